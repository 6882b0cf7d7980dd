"""Servers the feed tests poll: OASIS medallion (TAXII 2.1) in a subprocess, and a MISP
feed served from a temporary directory, both on free loopback ports; and a hostile server
whose every answer is JSON nested far too deeply."""

import functools
import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
from taxii2client.v21 import Collection

from tests.ports import free_port, serve_in_background

MEDALLION_USER, MEDALLION_PASSWORD = "feeder", "medallion-secret-7"
COLLECTION_ID = "91a7b528-80eb-42ed-a74d-c6fbd5a26116"
TAXII = "application/taxii+json;version=2.1"


@pytest.fixture
def loopback_allowed(settings: Any) -> None:
    """Let feeds and syncs reach the test servers on loopback, as an admin would with
    VAKA_OUTBOUND_ALLOW (without it loopback is refused: see test_outbound.py)."""
    settings.OUTBOUND_ALLOW = ["127.0.0.0/8", "localhost"]


class Medallion:
    """A running medallion with one empty collection, readable and writable."""

    def __init__(self, directory: Path, max_page_size: int) -> None:
        self.port = free_port()
        root = f"http://127.0.0.1:{self.port}/api1/"
        self.url = f"{root}collections/{COLLECTION_ID}/"
        data = {
            "/discovery": {"title": "Test TAXII", "default": root, "api_roots": [root]},
            "api1": {
                "information": {"title": "API root", "versions": [TAXII],
                                "max_content_length": 10_485_760},
                "status": [],
                "collections": [{
                    "id": COLLECTION_ID, "title": "Partner indicators", "can_read": True,
                    "can_write": True, "media_types": ["application/stix+json;version=2.1"],
                    "objects": [], "manifest": []}]}}
        (directory / "data.json").write_text(json.dumps(data))
        config = {"backend": {"module": "medallion.backends.memory_backend",
                              "module_class": "MemoryBackend",
                              "filename": str(directory / "data.json")},
                  "users": {MEDALLION_USER: MEDALLION_PASSWORD},
                  "taxii": {"max_page_size": max_page_size}}
        (directory / "config.json").write_text(json.dumps(config))
        self.log = (directory / "medallion.log").open("wb")
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "medallion"), "--host", "127.0.0.1",
             "--port", str(self.port), str(directory / "config.json")],
            stdout=self.log, stderr=subprocess.STDOUT)
        self._wait_until_it_answers(directory)

    def _wait_until_it_answers(self, directory: Path) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail("medallion stopped: " + (directory / "medallion.log").read_text())
            try:
                answer = requests.get(self.url, auth=(MEDALLION_USER, MEDALLION_PASSWORD),
                                      headers={"Accept": TAXII}, timeout=1)
                if answer.status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.05)
        pytest.fail("medallion did not answer within 30 s")

    def add(self, *objects: dict[str, Any]) -> None:
        collection = Collection(self.url, user=MEDALLION_USER, password=MEDALLION_PASSWORD)
        status = collection.add_objects({"objects": list(objects)})
        assert status.success_count == len(objects), status.failures

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        self.log.close()


@pytest.fixture
def medallion(tmp_path: Path) -> Iterator[Callable[..., Medallion]]:
    """``medallion(max_page_size=100)`` starts one; each is stopped after the test."""
    started: list[Medallion] = []

    def start(max_page_size: int = 100) -> Medallion:
        directory = tmp_path / f"medallion-{len(started)}"
        directory.mkdir()
        started.append(Medallion(directory, max_page_size))
        return started[-1]

    yield start
    for server in started:
        server.stop()


class MispFeed:
    """A MISP feed directory (manifest.json + <uuid>.json) served over HTTP. With ``key``,
    requests without ``Authorization: <key>`` get 401. ``requested``: paths asked for."""

    def __init__(self, directory: Path, key: str | None = None) -> None:
        self.directory, self.key = directory, key
        self.manifest: dict[str, Any] = {}
        self.requested: list[str] = []
        feed = self

        class Handler(SimpleHTTPRequestHandler):
            def do_GET(self) -> None:
                feed.requested.append(self.path)
                if feed.key and self.headers.get("Authorization") != feed.key:
                    self.send_error(401, "Unauthorized")
                    return
                super().do_GET()

            def log_message(self, *args: Any) -> None:
                pass

        handler = functools.partial(Handler, directory=str(directory))
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/feed/"
        (directory / "feed").mkdir()
        self.thread = serve_in_background(self.server)

    def publish(self, event: dict[str, Any]) -> None:
        """Write the event's file and its manifest entry (as PyMISP's feed generator)."""
        body = event["Event"]
        self.write(f"{body['uuid']}.json", json.dumps(event).encode())
        self.manifest[body["uuid"]] = {
            key: body[key] for key in ("info", "Orgc", "analysis", "timestamp", "date",
                                       "threat_level_id", "Tag") if key in body}
        self.write("manifest.json", json.dumps(self.manifest).encode())

    def write(self, name: str, data: bytes) -> None:
        (self.directory / "feed" / name).write_bytes(data)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def misp_feed(tmp_path: Path) -> Iterator[Callable[..., MispFeed]]:
    """``misp_feed(key=None)`` serves a fresh, empty feed directory."""
    started: list[MispFeed] = []

    def start(key: str | None = None) -> MispFeed:
        directory = tmp_path / f"misp-{len(started)}"
        directory.mkdir()
        started.append(MispFeed(directory, key))
        return started[-1]

    yield start
    for server in started:
        server.stop()



class DeepJsonServer:
    """Answers every GET and POST with 200 and ``[[[…]]]`` nested ``depth`` levels deep,
    as ``content_type``: a hostile TAXII server, MISP feed or peer."""

    def __init__(self, content_type: str, depth: int) -> None:
        body = b"[" * depth + b"]" * depth

        class Handler(BaseHTTPRequestHandler):
            def answer(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = answer

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = serve_in_background(self.server)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def deep_json_server() -> Iterator[Callable[..., DeepJsonServer]]:
    """``deep_json_server(content_type, depth=100_000)`` starts one, stopped after the test."""
    started: list[DeepJsonServer] = []

    def start(content_type: str = "application/json", depth: int = 100_000) -> DeepJsonServer:
        started.append(DeepJsonServer(content_type, depth))
        return started[-1]

    yield start
    for server in started:
        server.stop()
