"""Rate limits (``vaka.web.throttling``): each scope refuses the call after its rate with 429
and Retry-After, counted apart per API token, per signed-in user, per export link and per
connected instance; off means never; a malformed VAKA_RATE_* stops start-up."""

import base64
import errno
import json
import os
import subprocess
import sys
import time

import pytest
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from rest_framework.test import APIClient

from tests.factories import PASSWORD
from vaka.directory.services import create_token
from vaka.exchange import sync
from vaka.intel import exports, services
from vaka.intel.models import StixObject
from vaka.policy.services import Markings
from vaka.web import throttling

LIMIT = 2  # each scope's rate in these tests: 2 a minute


@pytest.fixture
def rates(settings):
    """Every scope limited to LIMIT a minute; ``rates(lookup=None)`` turns one off."""

    def set_rates(**overrides):
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
            **{scope: f"{LIMIT}/min" for scope in throttling.RATES}, **overrides}}

    set_rates()
    return set_rates


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {create_token(user, name='script')[1]}")
    return client


def session_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post_json(client, path, body):
    return client.post(path, json.dumps(body), content_type="application/json")


def api_lookup(client):
    return post_json(client, "/api/lookup/", {"values": ["91.92.240.13"]})


def page_lookup(client):
    return client.post("/intel/lookup/", {"values": "91.92.240.13"})


def api_export(client):
    return client.get("/api/objects/export/", {"format": "csv"})


def api_submit(client):
    return post_json(client, "/api/submissions/", {"content": "91.92.240.13",
                                                    "format": "text"})


def page_submit(client):
    return client.post("/intel/submit/", {"content": "91.92.240.13"})


def taxii(client):
    return client.get("/taxii2/")


def assert_refused(response):
    assert response.status_code == 429, response.content
    assert int(response["Retry-After"]) in range(1, 61)


def assert_allowed(response):
    assert response.status_code in (200, 201, 302), response.content


def exhaust(call, client):
    for _attempt in range(LIMIT):
        assert_allowed(call(client))


# --- the rate and its variable ------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("120/min", "120/min"), ("60/m", "60/min"), ("5/s", "5/s"), ("1000/hour", "1000/hour"),
    (" 30 / Hours ", "30/hour"), ("2/day", "2/day"), ("10/seconds", "10/s")])
def test_a_rate_is_a_count_per_second_minute_hour_or_day(text, expected):
    assert str(throttling.parse_rate(text, "VAKA_RATE_LOOKUP")) == expected


@pytest.mark.parametrize("text", ["0", "off", "OFF", " off "])
def test_zero_or_off_turns_a_limit_off(text):
    assert throttling.parse_rate(text, "VAKA_RATE_LOOKUP") is None


@pytest.mark.parametrize("text", ["fast", "120", "120/", "/min", "120/week", "10/ms",
                                  "0/min", "-5/min", "1.5/min", "120 per minute"])
def test_a_malformed_rate_is_refused_naming_the_variable(text):
    with pytest.raises(ImproperlyConfigured, match=r"^VAKA_RATE_EXPORTS=.*is not a rate"):
        throttling.parse_rate(text, "VAKA_RATE_EXPORTS")


def test_every_scope_has_its_variable_and_unset_ones_keep_the_default():
    given = {"RATE_LOOKUP": "60/min", "RATE_SYNC": "off"}
    rates = throttling.configured_rates(lambda name: given.get(name, ""))
    assert rates == {**throttling.RATES, "lookup": "60/min", "sync": None}


def test_one_variable_turns_every_limit_off_but_still_checks_the_others():
    rates = throttling.configured_rates(lambda name: "off" if name == "RATE_LIMITS" else "")
    assert rates == dict.fromkeys(throttling.RATES)
    with pytest.raises(ImproperlyConfigured, match="VAKA_RATE_LIMITS='no'"):
        throttling.configured_rates(lambda name: "no" if name == "RATE_LIMITS" else "")
    with pytest.raises(ImproperlyConfigured, match="VAKA_RATE_LOOKUP"):
        throttling.configured_rates(
            lambda name: {"RATE_LIMITS": "off", "RATE_LOOKUP": "x"}.get(name, ""))


def test_configured_rates_name_the_malformed_variable():
    with pytest.raises(ImproperlyConfigured, match="VAKA_RATE_TAXII='lots'"):
        throttling.configured_rates(lambda name: "lots" if name == "RATE_TAXII" else "")


def settings_in_a_fresh_process(tmp_path, code, **env):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("VAKA_")}
    environment.update({"VAKA_DATA_DIR": str(tmp_path), **env})
    return subprocess.run([sys.executable, "-c", f"import vaka.settings as s; {code}"],
                          env=environment, capture_output=True, text=True, timeout=60,
                          check=False)


@pytest.mark.one_database  # settings or the file cache in fresh processes
def test_a_malformed_rate_stops_start_up_naming_it(tmp_path):
    result = settings_in_a_fresh_process(tmp_path, "", VAKA_RATE_SUBMISSIONS="lots/hour")
    assert result.returncode != 0
    assert "VAKA_RATE_SUBMISSIONS='lots/hour' is not a rate" in result.stderr


@pytest.mark.one_database  # settings or the file cache in fresh processes
def test_the_settings_hold_each_variable_and_a_cache_shared_by_processes(tmp_path):
    result = settings_in_a_fresh_process(
        tmp_path, "print(s.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES']); "
        "print(s.CACHES['default']['BACKEND'])", VAKA_RATE_LOOKUP="10/min",
        VAKA_RATE_EXPORTS="0")
    assert result.returncode == 0, result.stderr
    rates, backend = result.stdout.splitlines()
    assert "'lookup': '10/min'" in rates and "'exports': None" in rates
    assert backend == "vaka.web.throttling.FileCache"


@pytest.mark.one_database  # settings or the file cache in fresh processes
def test_a_redis_cache_url_uses_redis_and_anything_else_stops_start_up(tmp_path):
    result = settings_in_a_fresh_process(tmp_path, "print(s.CACHES['default'])",
                                         VAKA_CACHE_URL="redis://cache.internal:6379/1")
    assert "RedisCache" in result.stdout and "redis://cache.internal:6379/1" in result.stdout
    result = settings_in_a_fresh_process(tmp_path, "", VAKA_CACHE_URL="memcached://x:11211")
    assert result.returncode != 0
    assert "VAKA_CACHE_URL='memcached://x:11211' is not a Redis URL" in result.stderr


# --- each scope: the call after the rate is refused ----------------------------------------

@pytest.mark.parametrize("call", [api_lookup, api_export, api_submit, taxii],
                         ids=["lookup", "exports", "submissions", "taxii"])
def test_a_token_is_refused_past_the_rate_with_retry_after_and_an_api_body(
        region, rates, call):
    client = token_client(region.analyst_a)
    exhaust(call, client)
    response = call(client)
    assert_refused(response)
    if call is taxii:
        assert response["Content-Type"] == "application/taxii+json;version=2.1"
        assert response.json()["http_status"] == "429"
        assert "at most 2 per minute" in response.json()["description"]
    else:
        assert response.json()["detail"].startswith("Too many ")
        assert "at most 2 per minute" in response.json()["detail"]


@pytest.mark.parametrize("call", [api_lookup, page_lookup, api_export, page_submit,
                                  api_submit],
                         ids=["lookup", "lookup page", "exports", "submit page", "submissions"])
def test_a_signed_in_user_is_refused_past_the_rate(region, rates, call):
    client = session_client(region.analyst_a)
    exhaust(call, client)
    assert_refused(call(client))


def test_the_refusal_page_says_what_and_when_in_words(region, rates):
    client = session_client(region.analyst_a)
    exhaust(page_lookup, client)
    response = page_lookup(client)
    assert_refused(response)
    text = response.content.decode()
    assert "Too many look-ups: at most 2 per minute." in text
    assert "Try again in" in text


def test_each_token_and_the_session_are_counted_apart(region, rates):
    first, second = token_client(region.analyst_a), token_client(region.analyst_a)
    exhaust(api_lookup, first)
    assert_refused(api_lookup(first))
    assert_allowed(api_lookup(second))
    assert_allowed(api_lookup(session_client(region.analyst_a)))


@pytest.mark.parametrize("call", [api_lookup, api_export, api_submit, taxii],
                         ids=["lookup", "exports", "submissions", "taxii"])
def test_another_users_token_is_not_affected(region, rates, call):
    client = token_client(region.analyst_a)
    exhaust(call, client)
    assert_refused(call(client))
    assert_allowed(call(token_client(region.colleague_a)))
    assert_allowed(call(token_client(region.analyst_b)))


@pytest.mark.parametrize("call", [page_lookup, page_submit], ids=["lookup", "submit"])
def test_another_signed_in_user_is_not_affected(region, rates, call):
    client = session_client(region.analyst_a)
    exhaust(call, client)
    assert_refused(call(client))
    assert_allowed(call(session_client(region.colleague_a)))


def test_scopes_are_counted_apart(region, rates):
    client = token_client(region.analyst_a)
    exhaust(api_lookup, client)
    assert_refused(api_lookup(client))
    assert_allowed(api_export(client))


@pytest.mark.parametrize("call", [api_lookup, page_lookup, api_export, page_submit, taxii],
                         ids=["lookup", "lookup page", "exports", "submit page", "taxii"])
def test_a_scope_turned_off_never_refuses(region, rates, call):
    rates(lookup=None, exports=None, submissions=None, taxii=None)
    client = Client(HTTP_AUTHORIZATION=f"Token {create_token(region.analyst_a, name='s')[1]}")
    client.force_login(region.analyst_a)
    for _attempt in range(LIMIT * 5):
        assert_allowed(call(client))


def test_reading_submissions_does_not_count_against_submitting(region, rates):
    client = token_client(region.analyst_a)
    for _attempt in range(LIMIT * 3):
        assert client.get("/api/submissions/").status_code == 200
    assert_allowed(api_submit(client))


def test_the_lookup_page_counts_looking_up_not_reading_the_results(region, rates):
    client = session_client(region.analyst_a)
    result = page_lookup(client)["Location"]
    for _attempt in range(LIMIT * 3):
        assert client.get(result).status_code == 200
    assert_allowed(page_lookup(client))


def test_taxii_counts_a_password_user_per_user_and_a_token_apart(region, rates):
    basic = base64.b64encode(f"analyst_a:{PASSWORD}".encode()).decode()
    password = Client(HTTP_AUTHORIZATION=f"Basic {basic}")
    exhaust(taxii, password)
    assert_refused(taxii(password))
    token = create_token(region.analyst_a, name="taxii")[1]
    as_token = base64.b64encode(f"analyst_a:{token}".encode()).decode()
    assert_allowed(taxii(Client(HTTP_AUTHORIZATION=f"Basic {as_token}")))


def test_a_made_up_token_header_does_not_escape_a_pages_limit(region, rates):
    client = session_client(region.analyst_a)
    exhaust(page_lookup, client)
    response = client.post("/intel/lookup/", {"values": "91.92.240.13"},
                           HTTP_AUTHORIZATION="Token made-up-each-time")
    assert_refused(response)


def test_an_unauthenticated_taxii_call_is_401_and_uses_no_ones_rate(region, rates):
    for _attempt in range(LIMIT * 3):
        assert taxii(Client()).status_code == 401
    assert_allowed(taxii(token_client(region.analyst_a)))


def test_an_export_link_is_counted_per_link_in_plain_text(region, rates):
    def fetch(key):
        return Client().get(f"/intel/export/{key}/{exports.LINK_FILENAMES['csv']}")

    _link, key = exports.create_export_link(region.analyst_a, name="edge", fmt="csv",
                                            filters={})
    _other, other_key = exports.create_export_link(region.analyst_a, name="dns", fmt="csv",
                                                   filters={})
    for _attempt in range(LIMIT):
        assert fetch(key).status_code == 200
    response = fetch(key)
    assert_refused(response)
    assert response["Content-Type"].startswith("text/plain")
    assert "Too many exports" in response.content.decode()
    assert fetch(other_key).status_code == 200


def test_a_selection_export_counts_as_an_export(region, rates):
    submission = services.ingest_bytes(
        b"type,value\nipv4-addr,91.92.240.13\n", organisation=region.unit_a,
        user=region.analyst_a, markings=Markings(tlp="green"), source="api", fmt="csv")
    ticked = {"action": "export", "format": "csv",
              "selected": list(StixObject.objects.filter(submission=submission)
                                 .values_list("pk", flat=True))}
    client = session_client(region.analyst_a)
    exhaust(api_export, client)
    response = client.post("/intel/objects/selected/", ticked)
    assert_refused(response)
    assert "Too many exports" in response.content.decode()
    assert client.post("/intel/objects/selected/", {**ticked, "format": "stix"}
                       ).status_code == 429


def test_a_connected_instance_is_refused_past_its_sync_rate(db, rates):
    _peer, token = sync.create_peer(actor=None, name="Twin", url="https://twin.example")
    _other, other_token = sync.create_peer(actor=None, name="Other", url="https://o.example")

    def pull(key):
        return Client().get("/sync/v1/objects/", HTTP_AUTHORIZATION=f"Peer {key}")

    for _attempt in range(LIMIT):
        assert pull(token).status_code == 200
    response = pull(token)
    assert_refused(response)
    assert response["Content-Type"] == "application/json"
    assert "Too many sync requests" in response.json()["error"]
    assert pull(other_token).status_code == 200


# --- the window, the wait and the cache --------------------------------------------------

def test_the_rate_is_a_sliding_window_and_retry_after_is_when_a_call_frees(
        region, rates, monkeypatch):
    clock = [1_000_000.0]
    monkeypatch.setattr(throttling, "now", lambda: clock[0])
    client = token_client(region.analyst_a)
    assert_allowed(api_lookup(client))
    clock[0] += 20
    assert_allowed(api_lookup(client))
    clock[0] += 10
    assert api_lookup(client)["Retry-After"] == "30"  # the first call leaves at 60 s
    clock[0] += 30
    assert_allowed(api_lookup(client))
    assert api_lookup(client)["Retry-After"] == "20"


def test_a_refused_call_does_not_count(region, rates, monkeypatch):
    clock = [1_000_000.0]
    monkeypatch.setattr(throttling, "now", lambda: clock[0])
    client = token_client(region.analyst_a)
    exhaust(api_lookup, client)
    for _attempt in range(5):
        assert_refused(api_lookup(client))
    clock[0] += 60
    assert_allowed(api_lookup(client))


def test_an_unreachable_cache_lets_calls_through_and_says_so(region, rates, monkeypatch,
                                                              caplog):
    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(caches["default"], "get", broken)
    client = token_client(region.analyst_a)
    for _attempt in range(LIMIT * 2):
        assert_allowed(api_lookup(client))
    assert "rate limit lookup not counted" in caplog.text


def count_in_another_process(data_dir, **env):
    """One look-up counted by a process of its own, configured as `vaka serve` would be."""
    result = settings_in_a_fresh_process(
        data_dir, "import django; django.setup(); from vaka.web import throttling; "
        "print('refused' if throttling.check('lookup', 'token:shared') else 'allowed')",
        DJANGO_SETTINGS_MODULE="vaka.settings", VAKA_RATE_LOOKUP="2/min", **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()[-1]


@pytest.mark.one_database  # settings or the file cache in fresh processes
def test_the_file_cache_counts_across_worker_processes(tmp_path):
    assert count_in_another_process(tmp_path) == "allowed"
    assert count_in_another_process(tmp_path) == "allowed"
    assert count_in_another_process(tmp_path) == "refused"
    assert [p.name for p in tmp_path.iterdir() if p.name == "cache"] == ["cache"]


def test_the_file_cache_drops_what_expired_before_culling(tmp_path, settings, monkeypatch):
    settings.CACHES = {"default": {"BACKEND": "vaka.web.throttling.FileCache",
                                   "LOCATION": tmp_path / "cache"}}
    cache = caches["default"]
    cache.set("stale", 1, timeout=-1)  # expired at once
    monkeypatch.setattr(throttling.FileCache, "_last_cull", 0.0)  # a minute has passed
    cache.set("fresh", 1)
    assert cache.get("fresh") == 1
    assert len(list((tmp_path / "cache").glob("*.djcache"))) == 1


def test_with_vaka_cache_url_every_process_counts_in_redis(tmp_path, redis_url, region,
                                                            settings):
    assert count_in_another_process(tmp_path / "a", VAKA_CACHE_URL=redis_url) == "allowed"
    assert count_in_another_process(tmp_path / "b", VAKA_CACHE_URL=redis_url) == "allowed"
    assert count_in_another_process(tmp_path / "c", VAKA_CACHE_URL=redis_url) == "refused"
    # This process, a web worker with the same settings, sees the same counts.
    settings.CACHES = {**settings.CACHES,
                       "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": redis_url, "KEY_PREFIX": "vaka"}}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {"lookup": "2/min"}}
    assert throttling.check("lookup", "token:shared") is not None
    client = session_client(region.analyst_a)
    exhaust(api_lookup, client)
    assert_refused(api_lookup(client))


def test_a_full_disk_lets_requests_through_and_leaves_no_half_written_count(
        tmp_path, settings, monkeypatch, caplog):
    settings.CACHES = {"default": {"BACKEND": "vaka.web.throttling.FileCache",
                                   "LOCATION": tmp_path / "cache"}}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {"lookup": "1/min"}}
    assert throttling.check("lookup", "user:1") is None  # counted: one entry on disk
    written = throttling.FileCache._write_content

    def half_then_full(self, handle, timeout, value):
        written(self, handle, timeout, value)
        handle.flush()
        handle.seek(handle.tell() // 2)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(throttling.FileCache, "_write_content", half_then_full)
    monkeypatch.setattr(throttling, "now", lambda: time.time() + 120)  # a new window
    assert throttling.check("lookup", "user:1") is None  # let through, not counted
    assert "rate limit lookup not counted: the disk is full" in caplog.text
    assert "Traceback" not in caplog.text
    assert list((tmp_path / "cache").glob("*.djcache")) == []  # nothing unreadable left
