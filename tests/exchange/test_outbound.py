"""Where feeds and instance sync may connect (vaka.exchange.outbound): public addresses
only, unless VAKA_OUTBOUND_ALLOW allows a host or network; checked when an address is
saved, at each connection (every resolved address) and at each redirect; and what a
failure says: a redirect loop, a refused connection, a server that never answers."""

import inspect
import socket
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
from django.core.exceptions import ImproperlyConfigured, ValidationError

from tests.exchange.test_feeds import form_data, misp_feed_of, signed_in_admin
from tests.factories import UserFactory
from tests.ports import free_port, serve_in_background
from vaka.exchange import feeds, outbound, sync
from vaka.exchange.models import Feed, Peer
from vaka.policy.services import Markings

REFUSED_ON_SAVE = [
    ("http://127.0.0.1:8080/feed/", "loopback"),
    ("http://127.1/feed/", "loopback"),
    ("http://2130706433/feed/", "loopback"),
    ("http://localhost/feed/", "loopback"),
    ("http://[::1]/feed/", "loopback"),
    ("http://[::ffff:127.0.0.1]/feed/", "loopback"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://[fe80::1]/feed/", "link-local"),
    ("https://10.1.2.3/feed/", "private"),
    ("https://172.16.9.9/feed/", "private"),
    ("https://192.168.1.20/feed/", "private"),
    ("https://[fd00::7]/feed/", "private"),
    ("https://100.64.0.1/feed/", "carrier-grade NAT"),
    ("http://0.0.0.0/feed/", "unspecified"),
    ("http://224.0.0.251/feed/", "multicast"),
    ("http://240.0.0.1/feed/", "reserved"),
]


class Redirector:
    """Answers every GET with ``302 Location: <to>`` on 127.0.0.2 (a loopback address
    distinct from the 127.0.0.1 the other test servers listen on); ``{n}`` in ``to`` is
    the number of the request, so each hop can lead somewhere new."""

    def __init__(self, to: str) -> None:
        self.requested: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requested.append(self.path)
                self.send_response(302)
                self.send_header("Location", to.replace("{n}", str(len(server.requested))))
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.2", 0), Handler)
        self.url = f"http://127.0.0.2:{self.http.server_address[1]}/feed/"
        serve_in_background(self.http)

    def stop(self) -> None:
        self.http.shutdown()
        self.http.server_close()


@pytest.fixture
def redirector() -> Iterator[Callable[[str], Redirector]]:
    started: list[Redirector] = []

    def start(to: str) -> Redirector:
        started.append(Redirector(to))
        return started[-1]

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def dns(monkeypatch) -> dict[str, list[str]]:
    """Host name → the addresses the resolver answers, one list per lookup (the last one
    repeats): ``dns["feeds.example.org"] = ["93.184.216.34", "127.0.0.1"]``."""
    answers: dict[str, list[str]] = {}
    real = outbound.resolve

    def resolve(host: str, port: int) -> list[tuple[Any, ...]]:
        if host not in answers:
            return real(host, port)
        queue = answers[host]
        address = queue.pop(0) if len(queue) > 1 else queue[0]
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(outbound, "resolve", resolve)
    return answers


def admin():
    return UserFactory(role="platform_admin")


def feed_at(region, url: str) -> Feed:
    """A MISP feed stored as it is, without the checks of saving."""
    return Feed.objects.create(name="Partner", kind=Feed.Kind.MISP, url=url,
                               organisation=region.unit_a, tlp="green",
                               distribution="members")


def port_of(url: str) -> str:
    return url.split(":")[2].split("/")[0]


def save(region, url: str) -> Feed:
    """``feeds.save_feed`` of a new MISP feed at ``url``, as the pages save one."""
    feed = Feed(name="Partner", kind=Feed.Kind.MISP, url=url, organisation=region.unit_a,
                tlp="green", distribution="members")
    # save_feed takes the feed's markings (or, before they were kept, its communities).
    if "markings" in inspect.signature(feeds.save_feed).parameters:
        wanted = {"markings": Markings(tlp="green", distribution="members")}
    else:
        wanted = {"communities": []}
    return feeds.save_feed(feed, user=admin(), **wanted)


# --- on save -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("url", "why"), REFUSED_ON_SAVE)
def test_a_feed_on_a_local_or_private_address_is_refused_on_save(region, url, why):
    with pytest.raises(ValidationError) as refused:
        save(region, url)
    [message] = refused.value.message_dict["url"]
    assert why in message and "VAKA_OUTBOUND_ALLOW" in message
    assert not Feed.objects.exists()


@pytest.mark.parametrize("url", ["ftp://feeds.example.org/feed/", "file:///etc/passwd",
                                 "gopher://feeds.example.org/"])
def test_a_feed_that_is_not_http_is_refused_on_save(region, url):
    with pytest.raises(ValidationError) as refused:
        save(region, url)
    assert "Only http:// and https://" in refused.value.message_dict["url"][0]


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest/", "ftp://feeds.example.org/",
                                 "file:///etc/passwd"])
def test_the_feed_form_names_why_an_address_is_refused(region, client, url):
    signed_in_admin(region, client)
    answer = client.post("/exchange/feeds/new/", form_data(region, url=url))
    assert answer.status_code == 200
    assert answer.context["form"].errors["url"]
    assert not Feed.objects.exists()


def test_an_allowed_network_or_host_name_may_be_saved(region, settings):
    settings.OUTBOUND_ALLOW = ["10.20.0.0/16", "taxii.lan"]
    for url in ("https://10.20.3.4/feed/", "http://taxii.lan:8080/feed/"):
        feed = save(region, url)
        assert feed.url == url
        feed.delete()
    with pytest.raises(ValidationError):
        save(region, "https://10.21.0.1/")


def test_a_public_name_is_saved_without_asking_dns(region, dns):
    dns["feeds.example.org"] = ["10.0.0.9"]  # DNS may change by the first poll anyway
    feed = save(region, "https://feeds.example.org/")
    assert feed.pk is not None


@pytest.mark.parametrize(("url", "why"), [
    ("http://127.0.0.1:8000", "loopback"), ("https://169.254.169.254", "link-local"),
    ("https://192.168.0.10", "private"), ("ftp://vaka.example.org", "Enter the other"),
])
def test_a_peer_on_a_local_or_private_address_is_refused_on_save(db, url, why):
    with pytest.raises(ValidationError) as refused:
        sync.create_peer(actor=None, name="Inside", url=url)
    assert why in refused.value.message_dict["url"][0]
    assert not Peer.objects.exists()


def test_a_peer_cannot_be_moved_to_a_private_address(db):
    peer, _token = sync.create_peer(actor=None, name="Hub", url="https://hub.example")
    with pytest.raises(ValidationError) as refused:
        sync.update_peer(peer, actor=None, url="https://10.9.8.7")
    assert "private" in refused.value.message_dict["url"][0]
    peer.refresh_from_db()
    assert peer.url == "https://hub.example"


def test_the_peer_form_names_why_an_address_is_refused(region, client):
    signed_in_admin(region, client)
    answer = client.post("/exchange/peers/new/", {
        "name": "Inside", "url": "https://169.254.169.254/", "push": "on", "pull": "on",
        "interval_minutes": 15, "enabled": "on"})
    assert answer.status_code == 200
    assert "link-local" in answer.context["form"].errors["url"][0]
    assert not Peer.objects.exists()


# --- at connection -----------------------------------------------------------------------------

def test_a_feed_stored_on_loopback_is_refused_at_connection(region, misp_feed):
    server = misp_feed()  # listens on 127.0.0.1; no allow-list in this test
    server.write("manifest.json", b"{}")
    feed = misp_feed_of(region, server)  # stored directly, as before this rule existed
    done = feeds.poll(feed)
    assert done.status == "failed"
    assert "127.0.0.1 is a loopback address" in done.message
    assert server.requested == []


def test_a_name_resolving_to_a_private_address_is_refused_at_connection(region, dns):
    dns["feeds.example.org"] = ["10.0.0.9"]
    done = feeds.poll(feed_at(region, "https://feeds.example.org/"))
    assert done.status == "failed"
    assert done.message.splitlines()[0] == (
        "feeds.example.org is a private network address, which this instance does not "
        "connect to unless an admin allows it (VAKA_OUTBOUND_ALLOW).")


def test_a_name_with_one_public_and_one_link_local_address_is_refused(region, monkeypatch):
    def both(host: str, port: int) -> list[tuple[Any, ...]]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("169.254.169.254", port))]

    monkeypatch.setattr(outbound, "resolve", both)
    done = feeds.poll(feed_at(region, "https://mixed.example.org/"))
    assert done.status == "failed"
    assert "mixed.example.org is a link-local address" in done.message


def test_a_name_that_changes_to_loopback_between_check_and_connect_is_refused(
        region, misp_feed, dns):
    server = misp_feed()
    server.write("manifest.json", b"{}")
    port = port_of(server.url)
    # The first lookup (the check before sending) answers a public address, the one the
    # socket is opened with answers loopback: the socket is never opened to it.
    dns["rebind.example.org"] = ["93.184.216.34", "127.0.0.1"]
    done = feeds.poll(feed_at(region, f"http://rebind.example.org:{port}/feed/"))
    assert done.status == "failed"
    assert "rebind.example.org is a loopback address" in done.message
    assert server.requested == []


@pytest.mark.parametrize(("target", "why"), [
    ("http://127.0.0.1:{port}/feed/manifest.json", "127.0.0.1 is a loopback address"),
    ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
    ("file:///etc/passwd", "not http:// or https://"),
])
def test_a_redirect_from_an_allowed_host_to_a_local_one_is_refused(
        region, settings, misp_feed, redirector, target, why):
    settings.OUTBOUND_ALLOW = ["127.0.0.2"]
    inside = misp_feed()  # on 127.0.0.1, not allowed
    inside.write("manifest.json", b"{}")
    hop = redirector(target.format(port=port_of(inside.url)))
    done = feeds.poll(misp_feed_of(region, hop))
    assert done.status == "failed"
    assert why in done.message
    assert hop.requested == ["/feed/manifest.json"]
    assert inside.requested == []


def test_a_taxii_feed_redirected_to_loopback_is_refused(region, settings, redirector):
    settings.OUTBOUND_ALLOW = ["127.0.0.2"]
    hop = redirector(f"http://127.0.0.1:{free_port()}/taxii2/")
    feed = Feed.objects.create(name="Partner TAXII", kind=Feed.Kind.TAXII, url=hop.url,
                               organisation=region.unit_a, tlp="green",
                               distribution="members")
    done = feeds.poll(feed)
    assert done.status == "failed"
    assert "127.0.0.1 is a loopback address" in done.message


def test_redirects_are_followed_only_a_few_times(region, settings, redirector):
    settings.OUTBOUND_ALLOW = ["127.0.0.2"]
    hop = redirector("/feed/hop-{n}/")
    done = feeds.poll(misp_feed_of(region, hop))
    assert done.status == "failed"
    assert f"redirected more than {outbound.MAX_REDIRECTS} times" in done.message
    assert len(hop.requested) == outbound.MAX_REDIRECTS + 1


def test_a_redirect_loop_says_so(region, settings, redirector):
    settings.OUTBOUND_ALLOW = ["127.0.0.2"]
    hop = redirector("/feed/")
    done = feeds.poll(misp_feed_of(region, hop))
    host = hop.url.split("/")[2]
    assert done.message.splitlines()[0] == (
        f"{host} redirects in a loop (back to an address it already sent).")
    peer = Peer.objects.create(name="Loop", url=hop.url.rstrip("/"),
                               outgoing_token="vakapeer_x", incoming_token_hash="x")
    assert sync.sync(peer).message.splitlines()[0] == done.message.splitlines()[0]


def test_a_peer_stored_on_loopback_is_refused_at_sync(db, misp_feed):
    server = misp_feed()
    peer = Peer.objects.create(name="Inside", url=server.url.rstrip("/"),
                               outgoing_token="vakapeer_x", incoming_token_hash="x")
    run = sync.sync(peer)
    assert run.status == "failed"
    assert "127.0.0.1 is a loopback address" in run.message
    assert server.requested == []


def test_a_peer_redirecting_to_the_metadata_service_is_refused(db, settings, redirector):
    settings.OUTBOUND_ALLOW = ["127.0.0.2"]
    hop = redirector("http://169.254.169.254/latest/meta-data/")
    peer = Peer.objects.create(name="Hop", url=hop.url.rstrip("/"),
                               outgoing_token="vakapeer_x", incoming_token_hash="x")
    run = sync.sync(peer)
    assert run.status == "failed"
    assert "169.254.169.254 is a link-local address" in run.message


# --- what failures say -------------------------------------------------------------------------

class SilentServer:
    """Accepts connections on loopback and never answers."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def silent_server() -> Iterator[SilentServer]:
    server = SilentServer()
    yield server
    server.close()


@pytest.mark.usefixtures("loopback_allowed")
def test_a_closed_port_and_a_silent_one_say_what_happened(region, silent_server,
                                                          monkeypatch):
    monkeypatch.setattr(feeds, "TIMEOUT", 0.5)
    closed, silent = free_port(), silent_server.port
    messages = []
    for port in (closed, silent):
        feed = Feed.objects.create(name=f"Port {port}", kind="misp",
                                   url=f"http://127.0.0.1:{port}/feed/",
                                   organisation=region.unit_a)
        messages.append(feeds.poll(feed).message.splitlines()[0])
    assert messages == [f"127.0.0.1:{closed} refused the connection.",
                        f"127.0.0.1:{silent} stopped answering: nothing came for too long."]


@pytest.mark.usefixtures("loopback_allowed")
def test_a_peer_on_a_closed_port_reads_refused(db):
    port = free_port()
    peer = Peer.objects.create(name="Gone", url=f"http://127.0.0.1:{port}",
                               outgoing_token="vakapeer_x", incoming_token_hash="x")
    run = sync.sync(peer)
    peer.refresh_from_db()
    assert run.message.splitlines()[0] == f"127.0.0.1:{port} refused the connection."
    assert peer.last_error == f"127.0.0.1:{port} refused the connection."


def test_a_bad_allow_list_entry_is_a_configuration_error(settings):
    settings.OUTBOUND_ALLOW = ["10.0.0.0/99"]
    with pytest.raises(ImproperlyConfigured, match=r"neither a host name"):
        outbound.allowed()



def test_a_name_that_does_not_resolve_says_dns(region, monkeypatch):
    def resolve(host: str, port: int) -> list[tuple[Any, ...]]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(outbound, "resolve", resolve)
    feed = Feed.objects.create(name="Typo", kind="misp", url="https://feeds.exmaple.org/f/",
                               organisation=region.unit_a)
    assert feeds.poll(feed).message.splitlines()[0] == (
        "The host name of feeds.exmaple.org could not be found (DNS).")


@pytest.mark.parametrize(("text", "said"), [
    ("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate "
     "in certificate chain (_ssl.c:1006)",
     "The TLS certificate of hub.example was not accepted (self-signed certificate in "
     "certificate chain)."),
    ("[SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)",
     "The TLS connection to hub.example failed."),
])
def test_a_tls_failure_says_what_was_refused(text, said):
    error = requests.exceptions.SSLError(text)
    assert outbound.failure_reason(error, "https://hub.example/sync/v1/objects/") == said
