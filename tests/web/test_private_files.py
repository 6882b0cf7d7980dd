"""What Vaka writes is for its own user: the data directory 0700, files in it 0600."""

import os
import stat

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage

from tests.new_instance import run_vaka
from vaka.web.checks import data_dir_is_private

# Files and folders, and a new SQLite instance in processes of its own: never the test
# database.
pytestmark = pytest.mark.one_database


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_fresh_data_dir_its_database_and_stored_files_are_private(new_instance):
    deployment = new_instance.parent  # made on the way, in a folder others may read
    data = new_instance
    stored = run_vaka(data, "shell", "-c", (
        "from django.core.files.base import ContentFile; "
        "from django.core.files.storage import default_storage; "
        "print(default_storage.save('originals/2026/advisory.txt', ContentFile(b'x')))"))
    assert stored.returncode == 0, stored.stderr
    name = stored.stdout.split()[-1]
    assert _mode(deployment.parent) == 0o755
    assert _mode(deployment) == 0o700  # parents made on the way too
    assert _mode(data) == 0o700
    assert _mode(data / "static") == 0o700
    for path in (data / "vaka.sqlite3", data / "secret_key", data / "files" / name):
        assert _mode(path) == 0o600, path
    for wal in data.glob("vaka.sqlite3-*"):
        assert _mode(wal) == 0o600, wal
    assert _mode(data / "files" / "originals" / "2026") == 0o700


def test_stored_files_are_written_0600_in_0700_folders(tmp_path, settings):
    storage = FileSystemStorage(location=tmp_path / "files")
    name = storage.save("submissions/7/original.json", ContentFile(b"{}"))
    assert _mode(tmp_path / "files" / name) == 0o600
    assert _mode(tmp_path / "files" / "submissions" / "7") == 0o700
    assert (settings.FILE_UPLOAD_PERMISSIONS,
            settings.FILE_UPLOAD_DIRECTORY_PERMISSIONS) == (0o600, 0o700)


def test_a_data_dir_others_can_read_is_warned_about_and_left_as_it_is(tmp_path, settings):
    settings.DATA_DIR = tmp_path
    os.chmod(tmp_path, 0o750)
    [warning] = data_dir_is_private()
    assert warning.id == "vaka.W001"
    assert "mode 0750" in warning.msg
    assert _mode(tmp_path) == 0o750
    os.chmod(tmp_path, 0o700)
    assert data_dir_is_private() == []
