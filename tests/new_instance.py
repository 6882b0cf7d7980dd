"""`vaka` in a process of its own on a data directory of its own, as on a new machine: none
of the test run's ``VAKA_*`` settings, so SQLite in that directory (settings are read when a
process starts)."""

import os
import subprocess
import sys
from pathlib import Path


def run_vaka(data_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("VAKA_")}
    environment.update({"VAKA_DATA_DIR": str(data_dir), **env})
    return subprocess.run([sys.executable, "-m", "vaka.cli", *args], env=environment,
                          capture_output=True, text=True, timeout=300, check=False)


def migrated(base: Path) -> Path:
    """``base/deployment/data``, made by `vaka migrate` from nothing under ``base`` (mode
    0755: a folder others may read, as a home directory often is)."""
    os.chmod(base, 0o755)
    data = base / "deployment" / "data"
    done = run_vaka(data, "migrate", "--noinput")
    assert done.returncode == 0, done.stderr
    return data
