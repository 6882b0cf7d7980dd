"""/health/live and /health/ready: public, cookie-free, and saying only what is failing."""

import json
import shutil
import time
from collections import namedtuple
from unittest import mock

from django.db import OperationalError, connection
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client

from tests.ports import free_port
from vaka.web import health

ALL_OK = {"database": "ok", "migrations": "ok", "disk_space": "ok", "data_dir_writable": "ok"}


def _body(response) -> dict:
    body = json.loads(response.content)
    assert set(body) == {"status", "checks"}
    assert set(body["checks"].values()) <= {"ok", "failing"}
    return body


def test_live_answers_without_the_database_or_a_cookie():
    response = Client().get("/health/live")  # no db fixture: a query would raise
    assert response.status_code == 200
    assert _body(response) == {"status": "ok", "checks": {"process": "ok"}}
    assert not response.cookies
    assert response["Cache-Control"] == "no-store"


def test_ready_is_200_when_every_check_passes(db):
    response = Client().get("/health/ready")
    assert response.status_code == 200
    assert _body(response) == {"status": "ok", "checks": ALL_OK}
    assert not response.cookies


def test_probes_over_plain_http_with_any_host_are_answered(db, settings):
    # A load balancer probes the container's address over HTTP: no redirect, no 400.
    settings.ALLOWED_HOSTS = ["vaka.example.org"]
    settings.SECURE_SSL_REDIRECT = True
    for url in ("/health/live", "/health/ready"):
        response = Client().get(url, HTTP_HOST="10.0.3.7:8000")
        assert response.status_code == 200, url
        assert response["X-Request-ID"]
    assert Client().head("/health/live", HTTP_HOST="10.0.3.7:8000").status_code == 200


def test_other_methods_are_refused(db):
    assert Client().post("/health/ready").status_code == 405


def test_a_broken_database_fails_ready_and_names_no_detail(db, caplog):
    def refuse(*args, **kwargs):
        raise OperationalError("could not connect to db.internal.example (10.1.2.3)")

    with mock.patch.object(connection, "cursor", refuse):
        response = Client().get("/health/ready")
    assert response.status_code == 503
    body = _body(response)
    assert body["status"] == "failing"
    assert body["checks"]["database"] == body["checks"]["migrations"] == "failing"
    assert body["checks"]["disk_space"] == "ok"
    assert b"internal" not in response.content and b"10.1.2.3" not in response.content
    assert "Health check database failing: OperationalError: could not connect" in caplog.text


def test_pending_migrations_fail_ready(db):
    MigrationRecorder(connection).record_unapplied("web", "0001_initial")
    response = Client().get("/health/ready")
    assert response.status_code == 503
    assert _body(response)["checks"] == {**ALL_OK, "migrations": "failing"}


def test_too_little_free_disk_space_fails_ready(db, monkeypatch, settings):
    settings.HEALTH_MIN_FREE_MB = 500
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage",
                        lambda path: usage(10 * 2**30, 10 * 2**30 - 499 * 2**20, 499 * 2**20))
    response = Client().get("/health/ready")
    assert response.status_code == 503
    assert _body(response)["checks"] == {**ALL_OK, "disk_space": "failing"}
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(1, 0, 500 * 2**20))
    assert Client().get("/health/ready").status_code == 200


def test_a_data_dir_that_cannot_be_written_fails_ready(db, monkeypatch, settings, tmp_path):
    settings.DATA_DIR = tmp_path / "gone"
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(1, 0, 2**40))
    response = Client().get("/health/ready")
    assert response.status_code == 503
    assert _body(response)["checks"] == {**ALL_OK, "data_dir_writable": "failing"}
    assert b"gone" not in response.content


def test_an_unreachable_broker_fails_ready_quickly(db, settings):
    settings.CELERY_BROKER_URL = f"redis://:hunter2@127.0.0.1:{free_port()}/0"
    started = time.monotonic()
    response = Client().get("/health/ready")
    assert time.monotonic() - started < 2 * health.BROKER_TIMEOUT_SECONDS + 1
    assert response.status_code == 503
    assert _body(response)["checks"] == {**ALL_OK, "broker": "failing"}
    assert b"hunter2" not in response.content


def test_a_reachable_broker_passes_ready(db, settings, redis_url):
    settings.CELERY_BROKER_URL = redis_url
    response = Client().get("/health/ready")
    assert response.status_code == 200
    assert _body(response)["checks"] == {**ALL_OK, "broker": "ok"}


def test_a_full_disk_under_a_sqlite_database_elsewhere_fails_ready(db, monkeypatch, tmp_path):
    elsewhere = tmp_path / "database"
    elsewhere.mkdir()
    monkeypatch.setitem(connection.settings_dict, "ENGINE", "vaka.sqlite")
    monkeypatch.setitem(connection.settings_dict, "NAME", str(elsewhere / "vaka.sqlite3"))
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(
        2**40, 2**40, 0) if path == elsewhere else usage(2**40, 0, 2**40))
    response = Client().get("/health/ready")
    assert response.status_code == 503
    assert _body(response)["checks"] == {**ALL_OK, "disk_space": "failing"}
