"""What Vaka writes is for its own user: the data directory 0700, files in it 0600."""

import os
import stat
import subprocess
import sys

from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage

from vaka.web.checks import data_dir_is_private


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _vaka(data_dir, *args):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("VAKA_")}
    environment["VAKA_DATA_DIR"] = str(data_dir)
    return subprocess.run([sys.executable, "-m", "vaka.cli", *args], env=environment,
                          capture_output=True, text=True, timeout=300, check=False)


def test_a_fresh_data_dir_its_database_and_stored_files_are_private(tmp_path):
    os.chmod(tmp_path, 0o755)
    data = tmp_path / "deployment" / "data"
    assert _vaka(data, "migrate", "--noinput").returncode == 0
    stored = _vaka(data, "shell", "-c", (
        "from django.core.files.base import ContentFile; "
        "from django.core.files.storage import default_storage; "
        "print(default_storage.save('originals/2026/advisory.txt', ContentFile(b'x')))"))
    assert stored.returncode == 0, stored.stderr
    name = stored.stdout.split()[-1]
    assert _mode(tmp_path / "deployment") == 0o700  # parents made on the way too
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
