"""Log lines carry UTC time, level, logger and request id; no secret or query string
reaches gunicorn's access log."""

import io
import json
import logging
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.test import Client
from gunicorn.config import Config

from vaka.web.logs import JsonFormatter, RequestIdFilter, TextFormatter, request_id
from vaka.web.redaction import GunicornLogger

TIME = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"


def _record(message: str, *args, exc_info=None, name: str = "vaka.intel") -> logging.LogRecord:
    record = logging.LogRecord(name, logging.WARNING, __file__, 1, message, args, exc_info)
    RequestIdFilter().filter(record)
    return record


def test_a_text_line_has_utc_time_level_logger_and_request_id():
    token = request_id.set("lb-7f3a")
    try:
        line = TextFormatter().format(_record("Feed %s failed", "abuse.ch"))
    finally:
        request_id.reset(token)
    assert re.fullmatch(rf"{TIME} WARNING vaka\.intel \[lb-7f3a\] Feed abuse\.ch failed", line)


def test_outside_a_request_the_request_id_is_a_dash():
    assert re.fullmatch(rf"{TIME} WARNING vaka\.intel \[-\] ready",
                        TextFormatter().format(_record("ready")))


def test_further_lines_of_a_text_record_are_indented_so_none_passes_for_a_record():
    try:
        raise ValueError("bad vaka_S3cretToken")
    except ValueError:
        import sys
        line = TextFormatter().format(_record("one\n2026-01-01T00:00:00.000Z INFO forged",
                                              exc_info=sys.exc_info()))
    first, *rest = line.split("\n")
    assert re.match(rf"{TIME} WARNING vaka\.intel \[-\] one$", first)
    assert rest and all(part.startswith("    ") for part in rest)
    assert "ValueError: bad vaka_[redacted]" in line and "S3cretToken" not in line


def test_a_json_line_is_one_object_with_the_exception_redacted():
    try:
        raise RuntimeError("peer answered for vakapeer_Secret99")
    except RuntimeError:
        import sys
        line = JsonFormatter().format(_record("Sync of %s failed", "hub",
                                              exc_info=sys.exc_info()))
    assert "\n" not in line
    entry = json.loads(line)
    assert set(entry) == {"timestamp", "level", "logger", "message", "request_id", "exception"}
    assert re.fullmatch(TIME, entry["timestamp"])
    assert (entry["level"], entry["logger"], entry["message"], entry["request_id"]) == (
        "WARNING", "vaka.intel", "Sync of hub failed", "-")
    assert "RuntimeError: peer answered for vakapeer_[redacted]" in entry["exception"]
    assert "Secret99" not in line


def test_a_json_line_without_an_exception_has_no_exception_key():
    assert "exception" not in json.loads(JsonFormatter().format(_record("fine")))


def _console():
    [handler] = [handler for handler in logging.getLogger().handlers
                 if any(isinstance(f, RequestIdFilter) for f in handler.filters)]
    return handler


def test_a_safe_incoming_request_id_is_kept_on_the_response_and_in_the_log(db):
    written = io.StringIO()
    previous = _console().setStream(written)
    try:
        response = Client().get("/no-such-page/", HTTP_X_REQUEST_ID="3f2a9c1e-lb")
    finally:
        _console().setStream(previous)
    assert response.status_code == 404
    assert response["X-Request-ID"] == "3f2a9c1e-lb"
    assert re.search(rf"^{TIME} WARNING django\.request \[3f2a9c1e-lb\] Not Found: "
                     r"/no-such-page/$", written.getvalue(), re.MULTILINE)


@pytest.mark.parametrize("offered", ["", "has space", "x" * 65, "quote\"d", "a\nb", "é"])
def test_an_unsafe_or_missing_request_id_is_replaced_by_a_new_one(db, offered):
    response = Client().get("/health/live", HTTP_X_REQUEST_ID=offered)
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


def test_each_request_gets_its_own_id(db):
    first, second = (Client().get("/health/live")["X-Request-ID"] for _ in range(2))
    assert first != second


def _gunicorn_logger(settings, log_format: str) -> tuple[GunicornLogger, io.StringIO]:
    settings.LOG_FORMAT = log_format
    config = Config()
    config.set("accesslog", "-")
    logger = GunicornLogger(config)
    written = io.StringIO()
    for log in (logger.access_log, logger.error_log):
        for handler in log.handlers:
            if getattr(handler, "_gunicorn", False):
                handler.setStream(written)
    return logger, written


def _access(logger: GunicornLogger, uri: str, referrer: str = "-") -> None:
    path, _, query = uri.partition("?")
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": uri, "PATH_INFO": path,
               "QUERY_STRING": query, "SERVER_PROTOCOL": "HTTP/1.1",
               "REMOTE_ADDR": "10.0.0.9", "HTTP_REFERER": referrer,
               "HTTP_USER_AGENT": "curl/8.5", "HTTP_AUTHORIZATION": "Token vaka_Tok3n"}
    request = SimpleNamespace(headers=[("AUTHORIZATION", "Token vaka_Tok3n")])
    response = SimpleNamespace(status="200 OK", sent=512,
                               headers=[("X-Request-ID", "abc123"),
                                        ("Content-Type", "text/plain")])
    logger.access(response, request, environ, timedelta(microseconds=12345))


def test_the_access_log_drops_query_strings_and_carries_the_request_id(settings):
    logger, written = _gunicorn_logger(settings, "text")
    _access(logger, "/api/lookup/?value=evil.example&token=vaka_Q1w2e3Secret",
            referrer="https://vaka.example.org/intel/objects/?q=evil.example")
    _access(logger, "/intel/export/domain.txt?key=vakx_Ab9zzSecret")
    _access(logger, "/intel/")
    lines = written.getvalue().splitlines()
    assert re.fullmatch(
        rf'{TIME} INFO gunicorn\.access \[abc123\] 10\.0\.0\.9 "GET /api/lookup/\?\[redacted\] '
        r'HTTP/1\.1" 200 512 0\.012345s "https://vaka\.example\.org/intel/objects/\?'
        r'\[redacted\]" "curl/8\.5"', lines[0])
    assert '"GET /intel/export/domain.txt?[redacted] HTTP/1.1"' in lines[1]
    assert '"GET /intel/ HTTP/1.1"' in lines[2]
    for secret in ("evil.example", "Q1w2e3", "Ab9zz", "Tok3n", "value=", "key="):
        assert secret not in written.getvalue()


def test_the_access_and_error_logs_write_json_when_asked(settings):
    logger, written = _gunicorn_logger(settings, "json")
    _access(logger, "/api/lookup/?value=evil.example")
    logger.error("Worker (pid:%s) was sent SIGKILL!", 42)
    access, error = (json.loads(line) for line in written.getvalue().splitlines())
    assert access["logger"] == "gunicorn.access" and access["request_id"] == "abc123"
    assert access["message"].startswith('10.0.0.9 "GET /api/lookup/?[redacted] HTTP/1.1" 200')
    assert (error["logger"], error["level"], error["message"]) == (
        "gunicorn.error", "ERROR", "Worker (pid:42) was sent SIGKILL!")
    assert "evil.example" not in written.getvalue()


def test_the_error_log_has_the_same_text_format(settings):
    logger, written = _gunicorn_logger(settings, "text")
    logger.info("Booting worker with pid: %s", 7)
    assert re.fullmatch(rf"{TIME} INFO gunicorn\.error \[-\] Booting worker with pid: 7\n",
                        written.getvalue())
