"""`vaka backup` and `vaka restore`: a populated instance survives the round trip row for row,
and a damaged archive or a used target is refused with one line, before anything changes."""

import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
from glob import glob
from pathlib import Path

import dj_database_url
import pytest
from django.apps import apps
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection

from tests.factories import confirmed_totp
from tests.policy.backup_rows import fill, snapshot, stored_files
from vaka.directory import demo
from vaka.directory.models import TOTPDevice as DirectoryTOTPDevice
from vaka.directory.models import User
from vaka.directory.services import create_recovery_codes, create_token
from vaka.policy import audit, pg_tools
from vaka.policy.pg_tools import ToolError, find_tool


def run_vaka(data_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "VAKA_DATA_DIR": str(data_dir),
                   "VAKA_SECRET_KEY": settings.SECRET_KEY, **env}
    return subprocess.run([sys.executable, "-m", "vaka.cli", *args], env=environment,
                          capture_output=True, text=True, timeout=600, check=False)


def populate() -> None:
    """The demo region, a few records through their services, then one row of every model
    still empty; fails if a model stays empty."""
    demo.load()
    user = User.objects.get(username="fj.analyst")
    create_token(user, name="backup test")
    confirmed_totp(user)  # django-otp's device; Vaka's own (encrypted secret) below
    DirectoryTOTPDevice.objects.create(user=user, name="app", confirmed=True)
    create_recovery_codes(user)
    default_storage.save("submissions/2026/12/original.txt", ContentFile(b"pasted advisory\n"))
    for model in apps.get_models():
        if not model._base_manager.exists():
            fill(model)
    empty = [m._meta.label for m in apps.get_models() if not m._base_manager.exists()]
    assert empty == []


def restored(data_dir: Path, **env: str) -> dict:
    out = data_dir.parent / f"{data_dir.name}-rows.json"
    result = run_vaka(data_dir, "shell", "-c",
                      f"from tests.policy.backup_rows import dump; dump({str(out)!r})", **env)
    assert result.returncode == 0, result.stderr
    return json.loads(out.read_text())


def round_trip(tmp_path: Path, **env: str) -> None:
    populate()
    archive = tmp_path / "vaka.tar.gz"
    out = io.StringIO()
    call_command("backup", str(archive), stdout=out)
    last_hash = audit.verify().last_hash
    assert last_hash in out.getvalue()
    assert oct(archive.stat().st_mode & 0o777) == "0o600"
    with tarfile.open(archive, "r:gz") as tar:
        names = tar.getnames()
    assert "secret_key" not in " ".join(names)
    target = tmp_path / "restored"
    target.mkdir()
    result = run_vaka(target, "restore", str(archive), **env)
    assert result.returncode == 0, result.stderr
    assert last_hash in result.stdout
    copy = restored(target, **env)
    assert copy["rows"] == snapshot()
    assert copy["files"] == stored_files()
    verify = run_vaka(target, "audit", "verify", "--expect", last_hash, **env)
    assert verify.returncode == 0, verify.stderr
    assert last_hash in verify.stdout


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite round trip")
@pytest.mark.django_db(transaction=True)
def test_sqlite_instance_round_trips_every_row_file_and_the_audit_chain(tmp_path):
    round_trip(tmp_path)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs a PostgreSQL server")
@pytest.mark.django_db(transaction=True)
def test_postgresql_instance_round_trips_into_an_empty_database(tmp_path):
    name = "vaka_restore_test"
    with connection.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {name}")
        cursor.execute(f"CREATE DATABASE {name}")
    url = dj_database_url.parse(os.environ["VAKA_DATABASE_URL"])
    target = (f"postgres://{url['USER']}@{url['HOST']}:{url['PORT']}/{name}")
    try:
        round_trip(tmp_path, VAKA_DATABASE_URL=target)
        used = tmp_path / "again"
        used.mkdir()
        again = run_vaka(used, "restore", str(tmp_path / "vaka.tar.gz"),
                         VAKA_DATABASE_URL=target)
        assert again.returncode != 0
        assert f"Database {name} already has" in again.stderr
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


# --- Refusals: each a one-line message and a non-zero exit, the target left as it was ----


@pytest.fixture(scope="module")
def small_archive(tmp_path_factory, request):
    """An instance with its schema and one stored file, backed up."""
    if connection.vendor != "sqlite":
        pytest.skip("refusals are checked on SQLite")
    new_instance = request.getfixturevalue("new_instance")  # not made just to be skipped
    source = tmp_path_factory.mktemp("source") / "data"
    shutil.copytree(new_instance, source, ignore=shutil.ignore_patterns("files"))
    (source / "files" / "submissions").mkdir(parents=True)
    (source / "files" / "submissions" / "a.txt").write_bytes(b"an original\n")
    archive = source.parent / "small.tar.gz"
    made = run_vaka(source, "backup", str(archive))
    assert made.returncode == 0, made.stderr
    return source, archive


def refused(data_dir: Path, archive: Path) -> str:
    result = run_vaka(data_dir, "restore", str(archive))
    assert result.returncode != 0
    message = [line for line in result.stderr.splitlines() if line.startswith("CommandError")]
    assert len(message) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert not (data_dir / "vaka.sqlite3").exists()
    assert not (data_dir / "files").exists() or not any((data_dir / "files").iterdir())
    return message[0]


def rewritten(archive: Path, out: Path, change) -> Path:
    """A copy of ``archive`` with ``change(name, data) -> data`` applied to every member."""
    with tarfile.open(archive, "r:gz") as source, tarfile.open(out, "w:gz") as copy:
        for member in source:
            data = change(member.name, source.extractfile(member).read())
            member.size = len(data)
            copy.addfile(member, io.BytesIO(data))
    return out


def test_truncated_archive_is_refused(small_archive, tmp_path):
    _source, archive = small_archive
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    assert "truncated" in refused(tmp_path / "target", cut)


def test_member_that_does_not_match_its_checksum_is_named(small_archive, tmp_path):
    _source, archive = small_archive
    bad = rewritten(archive, tmp_path / "bad.tar.gz",
                    lambda name, data: b"altered\n" if name.startswith("files/") else data)
    message = refused(tmp_path / "target", bad)
    assert "files/submissions/a.txt does not match its SHA-256" in message


def test_unknown_format_version_is_refused(small_archive, tmp_path):
    _source, archive = small_archive

    def newer(name, data):
        if name != "manifest.json":
            return data
        return json.dumps({**json.loads(data), "format_version": 99}).encode()

    message = refused(tmp_path / "target", rewritten(archive, tmp_path / "v99.tar.gz", newer))
    assert "unknown format version 99" in message


def test_manifest_without_its_sums_is_refused(small_archive, tmp_path):
    _source, archive = small_archive

    def stripped(name, data):
        if name != "manifest.json":
            return data
        return json.dumps({k: v for k, v in json.loads(data).items() if k != "members"}).encode()

    message = refused(tmp_path / "target", rewritten(archive, tmp_path / "m.tar.gz", stripped))
    assert "manifest.json lacks 'members'" in message


def test_restore_refuses_a_data_dir_that_holds_a_database(small_archive, tmp_path):
    source, archive = small_archive
    result = run_vaka(source, "restore", str(archive))
    assert result.returncode != 0
    assert "already holds a database" in result.stderr
    assert "Traceback" not in result.stderr


def test_restore_refuses_another_secret_key(small_archive, tmp_path):
    _source, archive = small_archive
    result = run_vaka(tmp_path / "target", "restore", str(archive), VAKA_SECRET_KEY="other")
    assert result.returncode != 0
    assert "secret key is not the backed-up instance's" in result.stderr


def test_pg_dump_older_than_the_server_is_named_with_its_version():
    if not (shutil.which("pg_dump") or glob("/usr/lib/postgresql/*/bin/pg_dump")):
        pytest.skip("no PostgreSQL client tools installed")
    with pytest.raises(ToolError, match=r"pg_dump is older than PostgreSQL 99: found .*\(\d+"):
        find_tool("pg_dump", 99)


def test_missing_pg_dump_is_named(monkeypatch):
    monkeypatch.setattr(pg_tools, "glob", lambda pattern: [])
    monkeypatch.setenv("PATH", "")
    with pytest.raises(ToolError, match="pg_dump was not found on PATH"):
        find_tool("pg_dump", 15)
