"""A PostgreSQL server that stops and comes back, for real, under a running web server.

The test starts a PostgreSQL server of its own and gunicorn serving Vaka on it, as ``vaka
serve`` does (one gthread worker, so every request goes through the same process and its
kept connection). While the database is down, pages and the API answer 503 saying the
database is unavailable (never a 500 traceback) and nothing is stored; the first request
after it comes back works, also when the worker's kept connection died in between
(``CONN_HEALTH_CHECKS``).
"""

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import postgres_server
from tests.intel.store_data import bundle, indicator
from tests.ports import free_port

pytestmark = pytest.mark.skipif(not postgres_server.installed(),
                                reason=postgres_server.MISSING)

ROOT = Path(__file__).resolve().parents[2]
UNAVAILABLE = "The database is unavailable"
SETUP = """
from tests.factories import OrganisationFactory, UserFactory
from vaka.directory.services import create_token
user = UserFactory(username="analyst", organisation=OrganisationFactory(name="Unit A"))
print(create_token(user, name="script")[1])
"""
UPLOAD = json.dumps({"content": bundle(indicator("lost-database.example")).decode(),
                     "tlp": "green", "distribution": "organisation", "pap": "green"})


class Answer:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status, self.headers, self.text = status, headers, body.decode()

    def json(self) -> dict:
        return json.loads(self.text)


def fetch(url: str, *, key: str = "", cookie: str = "", data: str | None = None) -> Answer:
    headers = {"Content-Type": "application/json"} if data else {}
    if key:
        headers["Authorization"] = f"Token {key}"
    if cookie:
        headers["Cookie"] = cookie
    request = urllib.request.Request(url, data=data.encode() if data else None,
                                     headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return Answer(response.status, dict(response.headers), response.read())
    except urllib.error.HTTPError as error:
        return Answer(error.code, dict(error.headers), error.read())


@pytest.fixture
def database() -> Iterator[postgres_server.Server]:
    server = postgres_server.Server()
    try:
        yield server
    finally:
        server.remove()


def test_a_lost_database_is_a_503_and_the_next_request_after_it_works(database, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("VAKA_")}
    env.update({"VAKA_DATABASE_URL": database.url, "VAKA_DATA_DIR": str(tmp_path / "var"),
                "VAKA_LOG_LEVEL": "CRITICAL", "DJANGO_SETTINGS_MODULE": "vaka.settings",
                "VAKA_STATIC_STORAGE": "django.contrib.staticfiles.storage.StaticFilesStorage"})

    def vaka(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "vaka.cli", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=600, check=False)
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout

    vaka("migrate", "--noinput", "-v", "0")
    key = vaka("shell", "-c", SETUP).strip().splitlines()[-1]
    port = free_port()
    web = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "vaka.wsgi:application", "--bind",
         f"127.0.0.1:{port}", "--workers", "1", "--worker-class", "gthread", "--threads",
         "2"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                fetch(f"{base}/health/live")
                break
            except OSError:
                assert web.poll() is None and time.monotonic() < deadline, "gunicorn died"
                time.sleep(0.1)
        objects = f"{base}/api/objects/"
        assert fetch(objects, key=key).status == 200  # the worker now keeps a connection

        database.stop()
        for answer in (fetch(objects, key=key),
                       fetch(f"{base}/api/submissions/", key=key, data=UPLOAD)):
            assert answer.status == 503, answer.text[:500]
            assert answer.json()["detail"].startswith(f"{UNAVAILABLE}: nothing was stored.")
            assert answer.headers["Retry-After"] == "30"
        page = fetch(f"{base}/accounts/login/", cookie="sessionid=from-before")
        assert page.status == 503
        assert UNAVAILABLE in page.text and "Traceback" not in page.text
        ready = fetch(f"{base}/health/ready")
        assert ready.status == 503 and ready.json()["checks"]["database"] == "failing"

        database.start()
        assert fetch(objects, key=key).status == 200  # the first request after it works
        assert fetch(f"{base}/health/ready").status == 200

        # Restarted between two requests: the kept connection is dead, and is replaced.
        database.stop()
        database.start()
        assert fetch(objects, key=key).status == 200
        stored = fetch(f"{base}/api/submissions/", key=key, data=UPLOAD)
        assert stored.status == 201, stored.text[:500]
        assert stored.json()["new"] == 1  # nothing of the refused one was stored
        assert fetch(f"{base}/api/submissions/", key=key).json()["count"] == 1
    finally:
        web.terminate()
        web.wait(timeout=30)
