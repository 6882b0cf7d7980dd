"""A throwaway PostgreSQL server of a test's own, which the test may stop and start (the
lost-database test): Debian's, installed by ``scripts/install-system-deps``; tests skip
with that hint where it is missing. ``scripts/with-postgres`` starts the server the whole
PostgreSQL pass shares; this one belongs to one test."""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.ports import free_port

MISSING = "PostgreSQL is not installed (scripts/install-system-deps installs it)"


def _bindir() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                   key=lambda path: int(path.parts[-3]) if path.parts[-3].isdigit() else 0)
    return found[-1].parent if found else None


def installed() -> bool:
    return _bindir() is not None


class Server:
    """One PostgreSQL server on a free loopback port, its files in a folder of its own
    (owned by ``postgres`` when the tests run as root: it refuses to run as root)."""

    def __init__(self) -> None:
        bindir = _bindir()
        if bindir is None:
            pytest.skip(MISSING)
        self.bindir = bindir
        self.folder = Path(tempfile.mkdtemp(prefix="vaka-test-pg-"))
        self.port = free_port()
        self.run_as: list[str] = []
        if os.getuid() == 0:
            shutil.chown(self.folder, "postgres")
            self.run_as = ["runuser", "-u", "postgres", "--"]
        self._tool("initdb", "-D", f"{self.folder}/data", "-U", "vaka", "--auth=trust",
                   "-E", "UTF8")
        self.start()

    @property
    def url(self) -> str:
        return f"postgres://vaka@127.0.0.1:{self.port}/postgres"

    def _tool(self, name: str, *args: str) -> None:
        subprocess.run([*self.run_as, str(self.bindir / name), *args], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)

    def start(self) -> None:
        """Start it and wait until it accepts connections."""
        self._tool("pg_ctl", "-D", f"{self.folder}/data", "-l", f"{self.folder}/log", "-w",
                   "-o", f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off", "start")

    def stop(self) -> None:
        """Stop it as an administrator does (``fast``: open connections are cut)."""
        self._tool("pg_ctl", "-D", f"{self.folder}/data", "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        subprocess.run([*self.run_as, str(self.bindir / "pg_ctl"), "-D",
                        f"{self.folder}/data", "-m", "immediate", "stop"], check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
        shutil.rmtree(self.folder, ignore_errors=True)
