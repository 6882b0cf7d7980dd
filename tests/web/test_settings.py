import io
import sqlite3

import dj_database_url
import pytest
from django.core.management import CommandError, call_command

from tests.new_instance import run_vaka


@pytest.mark.one_database  # a new SQLite instance in processes of its own
def test_fresh_data_dir_gets_a_secret_key_and_a_wal_sqlite_database(new_instance):
    key = (new_instance / "secret_key").read_text()
    assert len(key) > 50
    assert oct((new_instance / "secret_key").stat().st_mode & 0o777) == "0o600"
    with sqlite3.connect(new_instance / "vaka.sqlite3") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    result = run_vaka(new_instance, "shell", "-c", (
        "from django.db import connection; c = connection.cursor(); "
        "print(c.execute('PRAGMA foreign_keys').fetchone()[0], "
        "c.execute('PRAGMA busy_timeout').fetchone()[0])"))
    assert result.stdout.splitlines()[-1].split() == ["1", "20000"]
    assert (new_instance / "secret_key").read_text() == key  # kept, not regenerated


@pytest.mark.one_database  # settings read by a process of its own
def test_secret_key_from_the_environment_wins(tmp_path):
    result = run_vaka(tmp_path, "shell", "-c",
                      "from django.conf import settings; print(settings.SECRET_KEY)",
                      VAKA_SECRET_KEY="from-env")
    assert result.stdout.splitlines()[-1] == "from-env"
    assert not (tmp_path / "secret_key").exists()


def test_postgres_url_switches_the_database_engine():
    config = dj_database_url.parse("postgres://vaka:pw@db.example:5432/vaka")
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["HOST"], config["NAME"]) == ("db.example", "vaka")


def test_audit_verify_and_token_create_commands(db):
    # In this process, on the test database (call_command: `vaka`'s own entry point closes
    # the database connection after a command, and with it the test's transaction): what
    # needs a process of its own (a fresh data directory, settings read at start) is
    # checked above; these commands only need a database with the demo.
    call_command("demo", stdout=io.StringIO())
    out = io.StringIO()
    call_command("token", "create", "fj.analyst", "--expires", "30", stdout=out)
    assert out.getvalue().strip().startswith("vaka_")
    with pytest.raises(CommandError, match="No user named 'nobody'"):
        call_command("token", "create", "nobody")
    out = io.StringIO()
    call_command("audit", "verify", stdout=out)
    assert "Audit chain intact" in out.getvalue()


@pytest.mark.one_database  # settings read by a process of its own
def test_https_turns_on_secure_cookies_and_hsts(tmp_path):
    script = ("from django.conf import settings as s; print(s.SESSION_COOKIE_SECURE, "
              "s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, s.SECURE_SSL_REDIRECT)")
    on = run_vaka(tmp_path, "shell", "-c", script, VAKA_HTTPS="1")
    assert on.stdout.splitlines()[-1] == "True True 31536000 True"
    off = run_vaka(tmp_path, "shell", "-c",
                   "from django.conf import settings as s; print(s.SESSION_COOKIE_SECURE)")
    assert off.stdout.splitlines()[-1] == "False"


@pytest.mark.one_database  # settings read by a process of its own
def test_on_sqlite_sessions_are_kept_in_the_data_directory_not_the_database(tmp_path):
    result = run_vaka(tmp_path, "shell", "-c", (
        "from django.conf import settings as s; "
        "print(s.SESSION_ENGINE, s.CACHES[s.SESSION_CACHE_ALIAS]['LOCATION'])"))
    assert result.stdout.splitlines()[-1].split() == ["django.contrib.sessions.backends.cache",
                                     str(tmp_path / "sessions")]
    result = run_vaka(tmp_path, "shell", "-c", (
        "from django.conf import settings as s; print(s.SESSION_ENGINE)"),
        VAKA_DATABASE_URL="postgres://vaka@127.0.0.1:1/vaka")
    assert result.stdout.splitlines()[-1].split() == ["django.contrib.sessions.backends.db"]


@pytest.mark.one_database  # settings read by a process of its own
def test_the_busy_timeout_and_side_write_wait_are_settings(tmp_path):
    result = run_vaka(tmp_path, "shell", "-c", (
        "from django.conf import settings; from django.db import connection; "
        "print(connection.cursor().execute('PRAGMA busy_timeout').fetchone()[0], "
        "settings.SIDE_WRITE_WAIT)"),
        VAKA_SQLITE_BUSY_TIMEOUT="2.5", VAKA_SIDE_WRITE_WAIT="0.1")
    assert result.stdout.splitlines()[-1].split() == ["2500", "0.1"], result.stderr
