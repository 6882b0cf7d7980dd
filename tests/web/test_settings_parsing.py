"""Settings parse strictly, and any variable may come from a file (``VAKA_<NAME>_FILE``)."""

import os
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from tests.new_instance import run_vaka
from vaka import config
from vaka.config import env, env_bool, env_choice, env_float, env_int, env_list

pytestmark = pytest.mark.one_database  # the environment, and settings in fresh processes


@pytest.fixture(autouse=True)
def _clean(monkeypatch):
    for name in list(os.environ):
        if name.startswith("VAKA_TEST"):
            monkeypatch.delenv(name)


@pytest.mark.parametrize(("raw", "expected"), [
    ("1", True), ("true", True), ("TRUE", True), ("Yes", True), ("on", True), (" on ", True),
    ("0", False), ("false", False), ("False", False), ("no", False), ("OFF", False),
])
def test_yes_no_values_are_read(monkeypatch, raw, expected):
    monkeypatch.setenv("VAKA_TEST_FLAG", raw)
    assert env_bool("TEST_FLAG") is expected


def test_an_unset_or_empty_yes_no_variable_takes_its_default(monkeypatch):
    assert env_bool("TEST_FLAG", True) is True
    monkeypatch.setenv("VAKA_TEST_FLAG", "")
    assert env_bool("TEST_FLAG", False) is False


@pytest.mark.parametrize("raw", ["ture", "2", "enabled", "y"])
def test_an_unknown_yes_no_value_is_an_error_naming_the_variable_and_value(monkeypatch, raw):
    monkeypatch.setenv("VAKA_TEST_FLAG", raw)
    with pytest.raises(ImproperlyConfigured, match=rf"VAKA_TEST_FLAG='{raw}' is not a yes/no"):
        env_bool("TEST_FLAG")


def test_a_number_that_is_not_one_is_an_error_naming_it(monkeypatch):
    monkeypatch.setenv("VAKA_TEST_WORKERS", "two")
    with pytest.raises(ImproperlyConfigured, match="VAKA_TEST_WORKERS='two' is not a whole"):
        env_int("TEST_WORKERS", 2)
    monkeypatch.setenv("VAKA_TEST_WORKERS", " 4 ")
    assert env_int("TEST_WORKERS", 2) == 4


def test_a_number_below_its_minimum_is_an_error(monkeypatch):
    monkeypatch.setenv("VAKA_TEST_WORKERS", "0")
    with pytest.raises(ImproperlyConfigured, match="VAKA_TEST_WORKERS=0 is below its minimum, 1"):
        env_int("TEST_WORKERS", 2, minimum=1)
    monkeypatch.setenv("VAKA_TEST_HOURS", "nan")
    with pytest.raises(ImproperlyConfigured, match="VAKA_TEST_HOURS=nan is below"):
        env_float("TEST_HOURS", 0.5)
    monkeypatch.setenv("VAKA_TEST_HOURS", "half")
    with pytest.raises(ImproperlyConfigured, match="VAKA_TEST_HOURS='half' is not a number"):
        env_float("TEST_HOURS", 0.5)


def test_a_choice_is_one_of_its_values_in_any_case(monkeypatch):
    monkeypatch.setenv("VAKA_TEST_FORMAT", "JSON")
    assert env_choice("TEST_FORMAT", "text", ("text", "json")) == "json"
    monkeypatch.setenv("VAKA_TEST_FORMAT", "yaml")
    with pytest.raises(ImproperlyConfigured, match="VAKA_TEST_FORMAT='yaml' is not one of: "
                                                   "text, json"):
        env_choice("TEST_FORMAT", "text", ("text", "json"))


def test_lists_split_on_commas(monkeypatch):
    monkeypatch.setenv("VAKA_TEST_HOSTS", " a.example, ,b.example ")
    assert env_list("TEST_HOSTS") == ["a.example", "b.example"]


def test_any_variable_can_come_from_a_file(monkeypatch, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("s3cret value\n")
    monkeypatch.setenv("VAKA_TEST_SECRET_FILE", str(secret))
    assert env("TEST_SECRET") == "s3cret value"
    (tmp_path / "flag").write_text("yes\n")
    monkeypatch.setenv("VAKA_TEST_FLAG_FILE", str(tmp_path / "flag"))
    assert env_bool("TEST_FLAG") is True


def test_a_variable_and_its_file_both_set_is_an_error(monkeypatch, tmp_path):
    (tmp_path / "secret").write_text("one")
    monkeypatch.setenv("VAKA_TEST_SECRET", "other")
    monkeypatch.setenv("VAKA_TEST_SECRET_FILE", str(tmp_path / "secret"))
    with pytest.raises(ImproperlyConfigured,
                       match="VAKA_TEST_SECRET and VAKA_TEST_SECRET_FILE are both set"):
        env("TEST_SECRET")


def test_an_unreadable_or_empty_file_is_an_error_naming_it(monkeypatch, tmp_path):
    missing = tmp_path / "missing"
    monkeypatch.setenv("VAKA_TEST_SECRET_FILE", str(missing))
    with pytest.raises(ImproperlyConfigured,
                       match=f"VAKA_TEST_SECRET_FILE={missing} cannot be read: No such file"):
        env("TEST_SECRET")
    (tmp_path / "empty").write_text("\n")
    monkeypatch.setenv("VAKA_TEST_SECRET_FILE", str(tmp_path / "empty"))
    with pytest.raises(ImproperlyConfigured, match=r"VAKA_TEST_SECRET_FILE=.* is empty"):
        env("TEST_SECRET")


def test_settings_read_the_environment_only_through_the_helpers():
    source = (Path(config.__file__).parent / "settings.py").read_text()
    assert "os.environ" not in source
    assert "getenv" not in source


def test_a_bad_setting_stops_vaka_with_one_line_naming_it(tmp_path):
    result = run_vaka(tmp_path, "check", VAKA_HTTPS="ture")
    assert result.returncode != 0
    assert result.stderr.strip() == ("vaka: VAKA_HTTPS='ture' is not a yes/no value: use "
                                     "true or false (or 1/0, yes/no, on/off).")
    result = run_vaka(tmp_path, "check", VAKA_WORKERS="two")
    assert result.stderr.strip() == "vaka: VAKA_WORKERS='two' is not a whole number."


def test_the_secret_key_and_database_url_can_come_from_files(tmp_path):
    (tmp_path / "key").write_text("key-from-a-file\n")
    (tmp_path / "db").write_text(f"sqlite:///{tmp_path / 'other.sqlite3'}\n")
    result = run_vaka(tmp_path / "data", "shell", "-c",
                   "from django.conf import settings as s; "
                   "print(s.SECRET_KEY, s.DATABASES['default']['NAME'])",
                   VAKA_SECRET_KEY_FILE=str(tmp_path / "key"),
                   VAKA_DATABASE_URL_FILE=str(tmp_path / "db"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-2:] == ["key-from-a-file", str(tmp_path / "other.sqlite3")]
    assert not (tmp_path / "data" / "secret_key").exists()
