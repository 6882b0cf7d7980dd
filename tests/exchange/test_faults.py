"""Feed polls and instance syncs against servers that misbehave: an answer trickled a byte
at a time is cut off at the total time limit, an endless one at the size limit (without
being read whole)."""

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.exchange.test_feeds import misp_event, misp_feed_of
from tests.exchange.test_sync import make_world
from vaka.exchange import feeds, sync
from vaka.exchange.models import Feed, FeedPoll, Peer

TAXII = "application/taxii+json;version=2.1"
COLLECTION = {"id": "91a7b528-80eb-42ed-a74d-c6fbd5a26116", "title": "Endless",
              "can_read": True, "can_write": False,
              "media_types": ["application/stix+json;version=2.1"]}
MIB = 2**20


class Scripted:
    """A loopback HTTP server answering each path as told: ``routes[path] = (content type,
    body)``, where body is bytes, ``"endless"`` (JSON-looking bytes for ever, no length),
    ``"declared"`` (a Content-Length of 1 GiB, then bytes for ever), ``"trickle"`` (one
    byte every ``trickle_every`` seconds) or a callable of the request's query and body.
    ``sent``: body bytes written, for each path."""

    def __init__(self, trickle_every: float = 0.2) -> None:
        self.routes: dict[str, tuple[str, Any]] = {}
        self.sent: dict[str, int] = {}
        self.requested: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def answer(self) -> None:
                parts = urlsplit(self.path)
                body_in = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                server.requested.append(parts.path)
                content_type, body = server.routes.get(parts.path, ("text/plain", None))
                if body is None:
                    self.send_error(404)
                    return
                if callable(body):
                    body = body(parse_qs(parts.query), body_in)
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                if isinstance(body, bytes):
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                if body == "declared":
                    self.send_header("Content-Length", str(1024 * MIB))
                self.send_header("Connection", "close")
                self.end_headers()
                chunk = b"[" if body == "trickle" else b'{"objects": [' + b" " * 65_000
                try:
                    while server.sent.get(parts.path, 0) < 1024 * MIB:
                        self.wfile.write(chunk)
                        self.wfile.flush()
                        server.sent[parts.path] = server.sent.get(parts.path, 0) + len(chunk)
                        if body == "trickle":
                            time.sleep(server.trickle_every)
                        chunk = b" " * 65_536 if body != "trickle" else b" "
                except OSError:
                    pass  # the client hung up: what it was sent is counted

            do_GET = do_POST = answer

            def log_message(self, *args: Any) -> None:
                pass

        self.trickle_every = trickle_every
        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.http.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}"
        self.host = self.url.removeprefix("http://")
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.http.shutdown()
        self.http.server_close()


@pytest.fixture
def scripted() -> Iterator[Callable[..., Scripted]]:
    started: list[Scripted] = []

    def start(**options: Any) -> Scripted:
        started.append(Scripted(**options))
        return started[-1]

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def limits(settings: Any, loopback_allowed: None) -> Any:
    settings.OUTBOUND_TIMEOUT_SECONDS = 1
    settings.OUTBOUND_MAX_MB = 1
    return settings


def a_peer(url: str) -> Peer:
    return Peer.objects.create(name=f"Peer {uuid.uuid4().hex[:6]}", url=url,
                               outgoing_token="vakapeer_x",
                               incoming_token_hash=uuid.uuid4().hex)


# --- the total time limit ------------------------------------------------------------------

def test_a_feed_trickling_its_answer_is_stopped_at_the_time_limit(region, limits, scripted):
    server = scripted()
    server.routes["/feed/manifest.json"] = ("application/json", "trickle")
    feed = misp_feed_of(region, server, url=server.url + "/feed/")
    began = time.monotonic()
    done = feeds.poll(feed)
    took = time.monotonic() - began
    assert done.status == "failed"
    assert done.message.splitlines()[0] == (
        f"{server.host} sent too slowly: stopped after 1 s (VAKA_OUTBOUND_TIMEOUT_SECONDS).")
    assert took < 3, took  # cut off at the limit, not after a read timeout or the body
    feed.refresh_from_db()
    assert feed.last_error == done.message.splitlines()[0] and feed.failures == 1


def test_a_peer_trickling_its_page_is_stopped_at_the_time_limit(db, limits, scripted):
    server = scripted()
    server.routes[sync.API_PATH] = ("application/json", "trickle")
    run = sync.sync(a_peer(server.url))
    assert (run.status, run.message.splitlines()[0]) == (
        "failed",
        f"{server.host} sent too slowly: stopped after 1 s (VAKA_OUTBOUND_TIMEOUT_SECONDS).")


# --- the size limit, in every format --------------------------------------------------------

def _taxii(server: Scripted, endless: str) -> Feed:
    base = "/api1/collections/91a7b528-80eb-42ed-a74d-c6fbd5a26116/"
    server.routes[base] = (TAXII, json.dumps(COLLECTION).encode())
    server.routes[base + "objects/"] = (TAXII, endless)
    return Feed(kind=Feed.Kind.TAXII, url=server.url + base)


def _taxii_collection(server: Scripted, endless: str) -> Feed:
    base = "/api1/collections/91a7b528-80eb-42ed-a74d-c6fbd5a26116/"
    server.routes[base] = (TAXII, endless)
    return Feed(kind=Feed.Kind.TAXII, url=server.url + base)


def _misp_manifest(server: Scripted, endless: str) -> Feed:
    server.routes["/feed/manifest.json"] = ("application/json", endless)
    return Feed(kind=Feed.Kind.MISP, url=server.url + "/feed/")


def _misp_event(server: Scripted, endless: str) -> Feed:
    event = misp_event("huge", 1_767_000_000, ["huge.example"])["Event"]
    server.routes["/feed/manifest.json"] = ("application/json", json.dumps(
        {event["uuid"]: {"timestamp": event["timestamp"]}}).encode())
    server.routes[f"/feed/{event['uuid']}.json"] = ("application/json", endless)
    return Feed(kind=Feed.Kind.MISP, url=server.url + "/feed/")


@pytest.mark.parametrize("endless", ["endless", "declared"])
@pytest.mark.parametrize("format_", [_taxii_collection, _taxii, _misp_manifest, _misp_event],
                         ids=["taxii-collection", "taxii-envelope", "misp-manifest",
                              "misp-event"])
def test_an_oversize_feed_answer_is_stopped_at_the_size_limit(region, limits, scripted,
                                                              format_, endless):
    server = scripted()
    feed = format_(server, endless)
    feed.name, feed.organisation, feed.tlp, feed.distribution = (
        "Huge", region.unit_a, "green", "members")
    feed.save()
    done = feeds.poll(feed)
    assert done.status == "failed"
    assert f"{server.host} sent more than 1 MiB: stopped there (VAKA_OUTBOUND_MAX_MB)." in (
        done.message)
    # Read up to the limit, not the gigabyte on offer (the rest is the sockets' buffers).
    assert sum(server.sent.values()) < 24 * MIB, server.sent
    assert FeedPoll.objects.get(pk=done.pk).submissions.count() == 0


@pytest.mark.parametrize("endless", ["endless", "declared"])
@pytest.mark.parametrize("direction", ["pull", "push"])
def test_an_oversize_peer_answer_is_stopped_at_the_size_limit(world, limits, scripted,
                                                              direction, endless):
    server = scripted()
    server.routes[sync.API_PATH] = ("application/json", endless)
    peer = a_peer(server.url)
    peer.pull = direction == "pull"  # a push sends this side's records and reads the answer
    run = sync.sync(peer)
    assert run.status == "failed", run.message
    assert run.message.splitlines()[0] == (
        f"{server.host} sent more than 1 MiB: stopped there (VAKA_OUTBOUND_MAX_MB).")
    assert sum(server.sent.values()) < 24 * MIB, server.sent
    assert [path for path in server.requested] == [sync.API_PATH]


@pytest.fixture
def world(db: Any) -> None:
    make_world("A")  # records that cross: a push has something to send
