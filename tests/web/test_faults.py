"""A full disk and a database that does not answer: reads go on, a write is refused with
507 or 503 saying why (a page for people, JSON for programs), nothing of it is stored,
and once space is freed or the database is back everything works again.

The disk fills for real in ``tests/integration/test_full_disk.py`` (a small file system of
its own) and the database stops for real in ``tests/integration/test_lost_database.py``;
here SQLite is held to its present size with ``PRAGMA max_page_count`` (which gives the
very error a full disk does, SQLITE_FULL), PostgreSQL raises its own ``disk_full`` from a
trigger, and the file system's ``ENOSPC`` is raised part-way through writing a file.
"""

import errno
import os
import sqlite3
import sys
from contextlib import contextmanager
from unittest import mock

import psycopg
import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, OperationalError, connection
from django.test import Client
from django.urls import get_resolver
from rest_framework.test import APIClient

from tests.conftest import api_client_for
from tests.intel.store_data import bundle, indicator
from vaka import cli, faults
from vaka.intel import services
from vaka.intel.models import StixObject, Submission
from vaka.policy.services import Markings
from vaka.sqlite.base import read_only_params

MARKINGS = {"tlp": "green", "distribution": "organisation", "pap": "green"}
UPLOAD = bundle(*(indicator(f"disk-full-{n}.example") for n in range(200)))
DISK_FULL_WORDS = "disk is full: nothing was stored"
on_sqlite = pytest.mark.skipif("connection.vendor != 'sqlite'")
on_postgresql = pytest.mark.skipif("connection.vendor != 'postgresql'")


@contextmanager
def full_database():
    """The database may not grow by a page: every write that needs one is refused as on a
    full disk (SQLite: SQLITE_FULL; PostgreSQL: a trigger raising ``disk_full``)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # Free pages left by earlier tests' deletes would take writes without growing
            # the file: give them back first.
            cursor.execute("VACUUM")
            pages = cursor.execute("PRAGMA page_count").fetchone()[0]
            cursor.execute(f"PRAGMA max_page_count = {pages}")
        else:
            cursor.execute("CREATE FUNCTION full_disk() RETURNS trigger AS $$ BEGIN "
                           "RAISE EXCEPTION 'could not extend file: No space left on device' "
                           "USING ERRCODE = 'disk_full'; END $$ LANGUAGE plpgsql")
            for table in ("intel_submission", "intel_stixobject", "policy_auditentry"):
                cursor.execute(f"CREATE TRIGGER full_disk BEFORE INSERT ON {table} "
                               "FOR EACH ROW EXECUTE FUNCTION full_disk()")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute("PRAGMA max_page_count = 1073741823")
            else:
                cursor.execute("DROP FUNCTION full_disk() CASCADE")


def _store(region) -> StixObject:
    services.ingest_bytes(bundle(indicator("held-before.example")),
                          organisation=region.unit_a, user=region.analyst_a,
                          markings=Markings(tlp="green"), source=Submission.Source.API)
    return StixObject.objects.get()


def _signed_in(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def _api(user) -> APIClient:
    api = api_client_for(user)
    api.raise_request_exception = False
    return api


@pytest.mark.django_db(transaction=True)
def test_a_full_disk_refuses_web_and_api_submissions_and_keeps_pages_readable(region):
    record = _store(region)
    web, api = _signed_in(region.analyst_a), _api(region.analyst_a)
    api.get("/api/objects/")  # the token's last use is noted before the disk fills
    with full_database():
        for path in ("/intel/objects/", f"/intel/objects/{record.pk}/", "/intel/submissions/"):
            assert web.get(path).status_code == 200, path
        listed = api.get("/api/objects/")
        assert listed.status_code == 200
        assert [o["id"] for o in listed.json()["results"]] == [record.pk]

        page = web.post("/intel/submit/", {"file": SimpleUploadedFile("iocs.json", UPLOAD),
                                           **MARKINGS})
        assert page.status_code == 507
        text = page.content.decode()
        assert "The disk is full" in text and DISK_FULL_WORDS in text
        assert "Traceback" not in text and "sqlite" not in text.lower()

        answer = api.post("/api/submissions/", {"file": SimpleUploadedFile(
            "iocs.json", UPLOAD), **MARKINGS}, format="multipart")
        assert answer.status_code == 507
        assert answer["Content-Type"] == "application/json"
        assert DISK_FULL_WORDS in answer.json()["detail"]

        assert Submission.objects.count() == 1 and StixObject.objects.count() == 1
    # Space is freed: the same submission is stored, with no restart.
    answer = api.post("/api/submissions/", {"file": SimpleUploadedFile("iocs.json", UPLOAD),
                                            **MARKINGS}, format="multipart")
    assert answer.status_code == 201, answer.content
    assert answer.json()["new"] == 200


@pytest.mark.django_db(transaction=True)
def test_a_full_disk_refuses_vaka_ingest_in_one_line(region, tmp_path, capsys):
    source = tmp_path / "iocs.json"
    source.write_bytes(UPLOAD)
    with full_database(), mock.patch.object(sys, "argv", [
            "vaka", "ingest", str(source), "--org", "Unit A", "--tlp", "green"]), \
            pytest.raises(SystemExit) as stopped:
        cli.main()
    assert stopped.value.code == 1
    error = capsys.readouterr().err.strip()
    assert error == f"CommandError: {source}: the disk is full; nothing of it was stored"
    assert not Submission.objects.exists()


def test_a_command_stopped_by_a_full_disk_says_so_in_one_line(monkeypatch, capsys):
    full = OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr("vaka.policy.audit.verify", mock.Mock(side_effect=full))
    monkeypatch.setattr(sys, "argv", ["vaka", "audit", "verify"])
    with pytest.raises(SystemExit) as stopped:
        cli.main()
    assert stopped.value.code == f"vaka: {faults.disk_full_message()}"
    monkeypatch.setattr(sys, "argv", ["vaka", "audit", "--traceback", "verify"])
    with pytest.raises(OSError):
        cli.main()


@pytest.mark.django_db(transaction=True)
def test_a_file_cut_short_by_a_full_disk_leaves_nothing_behind(region, settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": tmp_path / "files"}}}
    real_write = os.write

    def half_then_full(descriptor: int, data: bytes) -> int:
        real_write(descriptor, data[: len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    api = _api(region.analyst_a)
    with mock.patch("django.core.files.storage.filesystem.os.fdopen",
                    side_effect=lambda fd, mode: _Writer(fd, half_then_full)):
        answer = api.post("/api/submissions/", {"file": SimpleUploadedFile(
            "iocs.json", UPLOAD), **MARKINGS}, format="multipart")
    assert answer.status_code == 507
    assert DISK_FULL_WORDS in answer.json()["detail"]
    assert not Submission.objects.exists() and not StixObject.objects.exists()
    assert [p for p in (tmp_path / "files").rglob("*") if p.is_file()] == []


class _Writer:
    """A file object over ``descriptor`` whose writes go through ``write``."""

    def __init__(self, descriptor: int, write) -> None:
        self.descriptor, self._write = descriptor, write

    def write(self, data: bytes) -> int:
        return self._write(self.descriptor, data)

    def close(self) -> None:
        os.close(self.descriptor)


class _NoRoomForTheIndex(sqlite3.Connection):
    """A connection to a WAL database on a full disk: the first read needs the shared-memory
    index sized on disk, and that fails, leaving the index file it could create (3 bytes)
    and an empty log beside ``database``."""

    database = ""

    def execute(self, sql: str, *args):
        if sql.startswith("PRAGMA journal_mode"):
            error = sqlite3.OperationalError("disk I/O error")
            error.sqlite_errorname = "SQLITE_IOERR_SHMSIZE"
            raise error
        return super().execute(sql, *args)

    def close(self) -> None:
        super().close()
        for suffix, size in (("-shm", 3), ("-wal", 0)) if self.database else ():
            if not os.path.exists(f"{self.database}{suffix}"):
                with open(f"{self.database}{suffix}", "wb") as handle:
                    handle.truncate(size)


@on_sqlite
@pytest.mark.django_db
def test_a_full_disk_opens_sqlite_read_only_and_refuses_writes_as_full(tmp_path):
    from vaka.sqlite.base import DatabaseWrapper

    path = tmp_path / "store.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE held (value TEXT)")
        db.execute("INSERT INTO held VALUES ('kept')")
    db.close()
    # What a first connection leaves on a full disk: an index it could create but not size.
    (tmp_path / "store.sqlite3-shm").write_bytes(b"\0" * 3)
    (tmp_path / "store.sqlite3-wal").write_bytes(b"")
    wrapper = DatabaseWrapper({**connection.settings_dict, "NAME": str(path), "OPTIONS": {
        "transaction_mode": "IMMEDIATE"}}, alias="full")
    real_connect = sqlite3.connect
    opened = []

    def connect(**params):
        opened.append(params["database"])
        return real_connect(**params, **({} if len(opened) > 1 else {
            "factory": _NoRoomForTheIndex}))

    with mock.patch("vaka.sqlite.base.sqlite3.connect", connect):
        with wrapper.cursor() as cursor:
            cursor.execute("SELECT value FROM held")
            assert cursor.fetchall() == [("kept",)]
        assert wrapper.read_only_full_disk
        assert opened[1].endswith("?mode=ro&readonly_shm=1")
        with pytest.raises(OperationalError) as refused, wrapper.cursor() as cursor:
            cursor.execute("INSERT INTO held VALUES ('new')")
        assert str(refused.value) == "database or disk is full"
        assert faults.is_disk_full(refused.value)
        wrapper._start_transaction_under_autocommit()  # atomic()'s BEGIN, not IMMEDIATE
        with wrapper.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM held")
        wrapper.connection.rollback()
        wrapper.close()
        with wrapper.cursor() as cursor:  # space is back: the next connection writes
            cursor.execute("INSERT INTO held VALUES ('new')")
        assert not wrapper.read_only_full_disk and len(opened) == 3
        wrapper.close()


@on_sqlite
@pytest.mark.django_db
def test_a_disk_too_full_to_create_the_index_file_is_told_as_full(tmp_path):
    from vaka.sqlite.base import DatabaseWrapper

    path = tmp_path / "store.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA journal_mode=WAL")
    db.close()  # no -shm file beside it, and none can be made
    wrapper = DatabaseWrapper({**connection.settings_dict, "NAME": str(path), "OPTIONS": {}},
                              alias="full")
    real_connect = sqlite3.connect
    with mock.patch("vaka.sqlite.base.sqlite3.connect", lambda **params: real_connect(
            **params, **({} if "readonly_shm" in params["database"] else {
                "factory": _NoRoomForTheIndex}))), \
            pytest.raises(OperationalError) as refused:
        wrapper.ensure_connection()
    assert faults.is_disk_full(refused.value)
    assert not faults.is_database_unavailable(refused.value)


def test_read_only_params_keep_the_database_and_add_the_read_only_flags():
    params = read_only_params({"database": "/srv/vaka data/vaka.sqlite3", "timeout": 20})
    assert params == {"database": "file:/srv/vaka%20data/vaka.sqlite3?mode=ro&readonly_shm=1",
                      "timeout": 20, "uri": True}
    uri = read_only_params({"database": "file:store?cache=shared"})["database"]
    assert uri == "file:store?cache=shared&mode=ro&readonly_shm=1"


def _wrapped(driver_error: Exception, kind: type[DatabaseError] = OperationalError
             ) -> DatabaseError:
    """``driver_error`` as Django raises it: its own class, the driver's as the cause."""
    try:
        raise kind(str(driver_error)) from driver_error
    except DatabaseError as error:
        return error


@pytest.mark.parametrize(("error", "fault"), [
    (OSError(errno.ENOSPC, "No space left on device"), "disk"),
    (OSError(errno.EDQUOT, "Disk quota exceeded"), "disk"),
    (_wrapped(psycopg.errors.DiskFull("could not extend file")), "disk"),
    (_wrapped(psycopg.OperationalError("connection failed: Connection refused")), "down"),
    (_wrapped(psycopg.InterfaceError("the connection is closed")), "down"),
    (_wrapped(psycopg.errors.AdminShutdown("terminating connection")), "down"),
    (_wrapped(psycopg.errors.TooManyConnections("too many clients")), "down"),
    (_wrapped(psycopg.errors.UniqueViolation("duplicate key")), None),
    (_wrapped(psycopg.errors.QueryCanceled("statement timeout")), None),
    (OSError(errno.EACCES, "Permission denied"), None),
    (ValueError("no space left on device"), None),
], ids=["ENOSPC", "EDQUOT", "pg disk full", "pg refused", "pg closed", "pg shutdown",
        "pg too many", "pg unique", "pg timeout", "EACCES", "words only"])
def test_faults_are_told_by_the_error_not_its_words(error, fault):
    assert faults.is_disk_full(error) is (fault == "disk")
    assert faults.is_database_unavailable(error) is (fault == "down")


def test_an_error_raised_while_handling_a_full_disk_is_told_as_one():
    try:
        try:
            raise OSError(errno.ENOSPC, "No space left on device")
        except OSError:
            raise RuntimeError("cleaning up failed")  # noqa: B904  (as cleanup code does)
    except RuntimeError as error:
        assert faults.is_disk_full(error)


@pytest.mark.django_db
def test_a_database_that_does_not_answer_is_a_503_saying_so(region, monkeypatch):
    web, api = _signed_in(region.analyst_a), _api(region.analyst_a)
    refused = _wrapped(psycopg.OperationalError(
        "connection to server at \"db.internal\" (10.1.2.3), port 5432 failed"))
    monkeypatch.setattr("vaka.intel.selectors.submissions_for", mock.Mock(side_effect=refused))
    page = web.get("/intel/submissions/")
    answer = api.get("/api/submissions/")
    for response in (page, answer):
        assert response.status_code == 503
        assert response["Retry-After"] == str(faults.RETRY_AFTER_SECONDS)
        assert b"db.internal" not in response.content and b"10.1.2.3" not in response.content
    assert "The database is unavailable" in page.content.decode()
    assert answer.json() == {"detail": faults.database_unavailable_message()}


@pytest.mark.django_db
def test_any_other_server_error_keeps_djangos_page(region, monkeypatch):
    web = _signed_in(region.analyst_a)
    # The URLs' modules imported first: imported under the patch, one that binds the name
    # (the dashboard's selectors) would keep the failing stand-in for later tests.
    get_resolver().url_patterns  # noqa: B018
    monkeypatch.setattr("vaka.intel.selectors.submissions_for",
                        mock.Mock(side_effect=RuntimeError("a bug")))
    page = web.get("/intel/submissions/")
    assert page.status_code == 500
    assert b"Server Error (500)" in page.content


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_request_on_a_lost_postgresql_connection_is_a_503_and_the_next_reconnects(region):
    api = _api(region.analyst_a)
    assert api.get("/api/objects/").status_code == 200
    with psycopg.connect(**_pg_params()) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [connection.connection.info.backend_pid])
    answer = api.get("/api/objects/")
    assert answer.status_code == 503
    assert answer.json() == {"detail": faults.database_unavailable_message()}
    connection.close_if_unusable_or_obsolete()  # what the end of a request does
    assert api.get("/api/objects/").status_code == 200


def _pg_params() -> dict:
    settings_dict = connection.settings_dict
    return {"host": settings_dict["HOST"], "port": settings_dict["PORT"] or 5432,
            "user": settings_dict["USER"], "dbname": settings_dict["NAME"],
            "password": settings_dict["PASSWORD"] or None}


@pytest.mark.django_db
def test_a_queued_upload_refused_by_a_full_disk_leaves_no_waiting_bytes(region, settings,
                                                                        tmp_path):
    from vaka.intel import queued
    from vaka.intel.originals import Original

    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": tmp_path / "files"}}}
    saved = []

    def the_second_finds_the_disk_full(storage, name, data):
        if saved:
            raise OSError(errno.ENOSPC, "No space left on device")
        saved.append(storage.save(name, ContentFile(data)))
        return saved[-1]

    with mock.patch.object(queued, "save_whole", the_second_finds_the_disk_full), \
            pytest.raises(OSError) as refused:
        queued.queue_ingest(UPLOAD, organisation=region.unit_a, user=region.analyst_a,
                            markings=Markings(tlp="green"), source=Submission.Source.UPLOAD,
                            original=Original(UPLOAD + b"\n", "iocs.json"))
    assert faults.is_disk_full(refused.value) and saved  # the upload itself was written
    assert not Submission.objects.exists()
    assert [p for p in (tmp_path / "files").rglob("*") if p.is_file()] == []


@contextmanager
def sqlite_disk_full():
    """Within ``tests.busy.database_on_file``: the disk under that file is full, and Vaka
    opens it as it then does, read-only, every write refused as SQLITE_FULL."""
    real_connect = sqlite3.connect
    connection.close()
    with mock.patch.object(_NoRoomForTheIndex, "database", connection.settings_dict["NAME"]), \
            mock.patch("vaka.sqlite.base.sqlite3.connect", lambda **params: real_connect(
            **params, **({} if "readonly_shm" in params["database"] else {
                "factory": _NoRoomForTheIndex}))):
        yield
        connection.close()


@on_sqlite
@pytest.mark.django_db(transaction=True)
def test_a_token_last_use_is_skipped_on_a_full_disk_and_the_request_answers(region, tmp_path):
    from tests.busy import database_on_file
    from vaka.directory.models import ApiToken
    from vaka.directory.services import create_token

    with database_on_file(tmp_path, busy_timeout=5):
        token, key = create_token(region.analyst_a, name="script")
        api = APIClient(raise_request_exception=False)
        api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        with sqlite_disk_full():
            assert api.get("/api/objects/").status_code == 200
            assert connection.read_only_full_disk
        assert ApiToken.objects.get(pk=token.pk).last_used is None
        assert api.get("/api/objects/").status_code == 200  # space freed: noted now
        assert ApiToken.objects.get(pk=token.pk).last_used is not None


@on_sqlite
@pytest.mark.django_db(transaction=True)
def test_audit_verify_on_a_full_disk_checks_the_chain_and_leaves_the_spool(
        region, settings, tmp_path, capsys, monkeypatch):
    from django.core.management import call_command

    from tests.busy import database_on_file, write_lock_held
    from vaka.policy import audit, deferred
    from vaka.policy.models import AuditEntry

    settings.SIDE_WRITE_WAIT = 0.05
    settings.DEFERRED_WRITES_DIR = tmp_path / "deferred"
    monkeypatch.setattr(deferred, "RETRY_AFTER_BUSY", 0)  # the next flush may follow at once
    with database_on_file(tmp_path, busy_timeout=5):
        assert audit.record(audit.Action.LOG_START, actor_name="vaka") is not None
        with write_lock_held():
            assert audit.record("test", actor_name="waiting") is None  # spooled
        with sqlite_disk_full():
            call_command("audit", "verify")
        output = capsys.readouterr()
        assert "Audit chain intact" in output.out
        assert "still waiting in the spool" in output.err
        assert deferred.pending()
        assert deferred.flush() == 1  # space freed: written
        assert AuditEntry.objects.filter(actor_name="waiting").exists()
