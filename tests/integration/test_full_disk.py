"""A full disk, for real: the data directory on a 32 MB tmpfs filled to the last byte.

``tests.integration.full_disk`` runs in a user and mount namespace of its own (``unshare``),
where it may mount a tmpfs without being root; where namespaces are not allowed (some CI
containers) the test is skipped. It stores a submission, fills the disk, then reads pages,
the API and the health probe, submits through the web, the API and ``vaka ingest``, checks
the audit chain, frees the space and submits again.

On a WAL database the first connection after the disk filled could not size SQLite's
shared-memory index, and every request answered 500 (``vaka.sqlite``).
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DISK_FULL_WORDS = "disk is full: nothing was stored"


def _in_own_mount(disk: Path, *command: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    script = 'mount -t tmpfs -o size=32m vaka-test "$0" && exec "$@"'
    return subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "sh", "-c",
                           script, str(disk), *command], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600, check=False)


@pytest.fixture
def mountable(tmp_path) -> Path:
    """A folder a tmpfs can be mounted on in a namespace of this test's own, or a skip."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if shutil.which("unshare") is None:
        pytest.skip("unshare (util-linux) is not installed")
    probe = _in_own_mount(disk, "true", env=dict(os.environ))
    if probe.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {probe.stderr.strip()}")
    return disk


def test_a_full_disk_keeps_reads_and_refuses_writes_saying_so(mountable):
    env = {k: v for k, v in os.environ.items() if not k.startswith("VAKA_")}
    env.update({"VAKA_DATA_DIR": str(mountable / "var"), "VAKA_HEALTH_MIN_FREE_MB": "1",
                "VAKA_ALLOWED_HOSTS": "testserver", "VAKA_LOG_LEVEL": "ERROR",
                "VAKA_STATIC_STORAGE": "django.contrib.staticfiles.storage.StaticFilesStorage"})
    run = _in_own_mount(mountable, sys.executable, "-m", "tests.integration.full_disk",
                        str(mountable / "var"), str(mountable / "filler"), env=env)
    assert run.returncode == 0, run.stderr[-3000:]
    found = json.loads(run.stdout.splitlines()[-1])
    full, freed = found["full"], found["freed"]

    assert full["pages"] == dict.fromkeys(full["pages"], 200)
    assert full["api_objects"]["status"] == 200
    assert full["api_objects"]["json"]["count"] == 1
    assert full["audit_verify"]["code"] == 0, full["audit_verify"]["stderr"]
    assert "Audit chain intact" in full["audit_verify"]["stdout"]
    assert full["health"]["status"] == 503
    assert full["health"]["json"]["checks"] == {
        "database": "ok", "migrations": "ok", "disk_space": "failing",
        "data_dir_writable": "failing"}

    # A look-up must leave its audit entry and tell the owners of a hit: with no room for
    # either, it is refused like a submission.
    for refused in ("api_lookup", "api_submit"):
        assert full[refused]["status"] == 507, full[refused]
        assert DISK_FULL_WORDS in full[refused]["json"]["detail"]
    assert full["web_submit"]["status"] == 507
    assert "The disk is full" in full["web_submit"]["text"]
    assert DISK_FULL_WORDS in full["web_submit"]["text"]
    ingest = full["cli_ingest"]
    assert ingest["code"] == 1
    assert ingest["stderr"].strip().splitlines()[-1].endswith(
        "iocs.json: the disk is full; nothing of it was stored")
    assert "Traceback" not in ingest["stderr"]
    assert full["stored"] == found["before"]  # no submission row, no stored file

    assert freed["api_submit"]["status"] == 201
    assert freed["health"]["status"] == 200
    assert freed["audit_verify"]["code"] == 0
    assert freed["stored"]["submissions"] == found["before"]["submissions"] + 1
    assert len(freed["stored"]["files"]) == len(found["before"]["files"]) + 1
