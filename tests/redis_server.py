"""A real ``redis-server`` for the tests that need one (the broker's health check, rate
limits counted in Redis, the Celery integration test): Debian's, installed by
``scripts/install-system-deps``; tests skip with that hint where it is missing."""

import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

MISSING = "redis-server is not installed (scripts/install-system-deps installs it)"


def installed() -> bool:
    return shutil.which("redis-server") is not None


def answers_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def start(port: int, folder: Path, seconds: float = 30) -> subprocess.Popen:
    """A redis-server on ``port`` of the loopback interface, keeping nothing on disk,
    started and answering PING (polled, at most ``seconds``)."""
    if not installed():
        pytest.skip(MISSING)
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(folder)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + seconds
    while not answers_ping(port):
        if server.poll() is not None or time.monotonic() > deadline:
            stop(server)
            raise AssertionError(f"redis-server did not answer on port {port}")
        time.sleep(0.05)
    return server


def stop(server: subprocess.Popen | None) -> None:
    if server is not None and server.poll() is None:
        server.kill()
        server.wait(timeout=20)
