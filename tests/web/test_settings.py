import os
import sqlite3
import subprocess
import sys

import dj_database_url


def run_vaka(data_dir, *args, **env):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("VAKA_")}
    environment.update({"VAKA_DATA_DIR": str(data_dir), **env})
    return subprocess.run([sys.executable, "-m", "vaka.cli", *args], env=environment,
                          capture_output=True, text=True, timeout=300, check=False)


def test_fresh_data_dir_gets_a_secret_key_and_a_wal_sqlite_database(tmp_path):
    result = run_vaka(tmp_path, "migrate", "--noinput")
    assert result.returncode == 0, result.stderr
    key = (tmp_path / "secret_key").read_text()
    assert len(key) > 50
    assert oct((tmp_path / "secret_key").stat().st_mode & 0o777) == "0o600"
    with sqlite3.connect(tmp_path / "vaka.sqlite3") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    result = run_vaka(tmp_path, "shell", "-c", (
        "from django.db import connection; c = connection.cursor(); "
        "print(c.execute('PRAGMA foreign_keys').fetchone()[0], "
        "c.execute('PRAGMA busy_timeout').fetchone()[0])"))
    assert result.stdout.splitlines()[-1].split() == ["1", "20000"]
    assert (tmp_path / "secret_key").read_text() == key  # kept, not regenerated


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


def test_audit_verify_and_token_create_commands(tmp_path):
    assert run_vaka(tmp_path, "migrate", "--noinput").returncode == 0
    assert run_vaka(tmp_path, "demo").returncode == 0
    token = run_vaka(tmp_path, "token", "create", "fj.analyst", "--expires", "30")
    assert token.returncode == 0
    assert token.stdout.strip().startswith("vaka_")
    missing = run_vaka(tmp_path, "token", "create", "nobody")
    assert missing.returncode != 0 and "No user named 'nobody'" in missing.stderr
    verify = run_vaka(tmp_path, "audit", "verify")
    assert verify.returncode == 0
    assert "Audit chain intact" in verify.stdout


def test_https_turns_on_secure_cookies_and_hsts(tmp_path):
    script = ("from django.conf import settings as s; print(s.SESSION_COOKIE_SECURE, "
              "s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, s.SECURE_SSL_REDIRECT)")
    on = run_vaka(tmp_path, "shell", "-c", script, VAKA_HTTPS="1")
    assert on.stdout.splitlines()[-1] == "True True 31536000 True"
    off = run_vaka(tmp_path, "shell", "-c",
                   "from django.conf import settings as s; print(s.SESSION_COOKIE_SECURE)")
    assert off.stdout.splitlines()[-1] == "False"


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


def test_the_busy_timeout_and_side_write_wait_are_settings(tmp_path):
    result = run_vaka(tmp_path, "shell", "-c", (
        "from django.conf import settings; from django.db import connection; "
        "print(connection.cursor().execute('PRAGMA busy_timeout').fetchone()[0], "
        "settings.SIDE_WRITE_WAIT)"),
        VAKA_SQLITE_BUSY_TIMEOUT="2.5", VAKA_SIDE_WRITE_WAIT="0.1")
    assert result.stdout.splitlines()[-1].split() == ["2500", "0.1"], result.stderr
