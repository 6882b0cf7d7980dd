"""Export link keys travel in a header where the device can send one, and never reach a
log when they are in the URL."""

import io
import logging
from datetime import timedelta
from types import SimpleNamespace

from django.test import Client

from tests.intel.store_data import bundle, indicator
from vaka.intel import exports, services
from vaka.policy.services import Markings
from vaka.web.redaction import GunicornLogger, RedactSecrets, redact


def _link(region, fmt: str = "domain") -> str:
    services.ingest_bytes(bundle(indicator("login-update.xyz")), organisation=region.unit_a,
                          user=region.analyst_a, source="api", markings=Markings(pap="green"))
    return exports.create_export_link(region.analyst_a, name="edge", fmt=fmt, filters={})[1]


def test_export_link_key_is_accepted_as_a_bearer_token(region):
    key = _link(region)
    response = Client().get("/intel/export/domain.txt", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"login-update.xyz\n"
    assert "no-store" in response["Cache-Control"]


def test_export_link_key_is_accepted_in_the_x_vaka_key_header(region):
    key = _link(region)
    response = Client().get("/intel/export/domain.txt", HTTP_X_VAKA_KEY=key)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"login-update.xyz\n"


def test_export_without_a_key_or_with_a_wrong_one_is_404(region):
    key = _link(region)
    assert Client().get("/intel/export/domain.txt").status_code == 404
    assert Client().get("/intel/export/domain.txt",
                        HTTP_X_VAKA_KEY="vakx_wrong").status_code == 404
    assert Client().get("/intel/export/objects.csv", HTTP_X_VAKA_KEY=key).status_code == 404


def test_redaction_removes_keys_and_tokens_from_log_text():
    line = ('"GET /intel/export/vakx_Ab-9_zz/ip.txt?key=s3cret&x=1 HTTP/1.1" 200 '
            "token vaka_Q1w2e3 peer vakapeer_P0o9")
    cleaned = redact(line)
    for secret in ("vakx_Ab-9_zz", "s3cret", "vaka_Q1w2e3", "vakapeer_P0o9"):
        assert secret not in cleaned
    assert "/intel/export/vakx_[redacted]/ip.txt?key=[redacted]&x=1" in cleaned


def test_log_filter_redacts_the_formatted_message():
    record = logging.LogRecord("django.request", logging.WARNING, __file__, 1,
                               "Not Found: %s", ("/intel/export/vakx_Ab9zz/ip.txt",), None)
    assert RedactSecrets().filter(record)
    assert record.getMessage() == "Not Found: /intel/export/vakx_[redacted]/ip.txt"


def test_a_wrong_key_in_the_url_is_logged_redacted(db):
    [console] = [handler for handler in logging.getLogger().handlers
                 if any(isinstance(f, RedactSecrets) for f in handler.filters)]
    written = io.StringIO()
    previous = console.setStream(written)
    try:
        response = Client().get("/intel/export/vakx_NotAKey123/ip.txt")
    finally:
        console.setStream(previous)
    assert response.status_code == 404
    assert "Not Found: /intel/export/vakx_[redacted]/ip.txt" in written.getvalue()
    assert "NotAKey123" not in written.getvalue()


def test_gunicorn_access_log_redacts_the_key_in_the_url_and_headers():
    logger = GunicornLogger.__new__(GunicornLogger)
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": "/intel/export/vakx_Ab9zz/ip.txt",
               "SERVER_PROTOCOL": "HTTP/1.1", "PATH_INFO": "/intel/export/vakx_Ab9zz/ip.txt",
               "QUERY_STRING": "key=vakx_Ab9zz", "HTTP_X_VAKA_KEY": "vakx_Ab9zz",
               "REMOTE_ADDR": "127.0.0.1"}
    request = SimpleNamespace(headers=[("X-VAKA-KEY", "vakx_Ab9zz"),
                                       ("AUTHORIZATION", "Bearer vakx_Ab9zz")])
    response = SimpleNamespace(status="200 OK", sent=10, headers=[])
    atoms = logger.atoms(response, request, environ, timedelta(seconds=1))
    assert not [name for name, value in atoms.items() if "Ab9zz" in str(value)]
    assert atoms["r"] == "GET /intel/export/vakx_[redacted]/ip.txt HTTP/1.1"
