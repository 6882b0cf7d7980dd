"""Where this instance may connect to: the one rule for every outbound HTTP call (feed
polls, instance sync).

An address typed by an admin, or sent back by a server as a redirect, could point the
poller at this machine or its network (a database on loopback, a cloud metadata service on
169.254.169.254, an internal admin page): the answers and the error texts would then tell
an outsider what runs there. So only public unicast addresses are reached over http(s),
unless ``VAKA_OUTBOUND_ALLOW`` names the host or a network holding the address.

The rule is checked twice:

* when an address is saved (``check_url``): the scheme, and the host when it is written
  as an IP address or is ``localhost``. Names are not resolved here: DNS may fail or
  change, so a save never depends on it.
* at every connection, redirects included (``guard``): the host name is resolved and
  *every* address it resolves to is checked, and the socket is then opened to one of the
  checked addresses, never to a name resolved again (which DNS could answer differently).

Every answer is read whole by the adapter, within two limits: ``VAKA_OUTBOUND_TIMEOUT_SECONDS``
from the request to its last byte (a server trickling a byte at a time would otherwise hold
a poll for as long as it likes, each read being quick) and ``VAKA_OUTBOUND_MAX_MB`` of body
after decompression (a gigabyte answer would otherwise be held in memory whole). Either
stops the download where it is, with a reason naming the limit and its setting.

``failure_reason`` is the one mapping from what went wrong to the words an admin reads, for
feeds and sync alike. Only platform admins read them, and only about addresses the rule
lets through, so they say what happened (the name did not resolve, the connection was
refused, nothing came back in time, a redirect loop, a certificate refused).
"""

import ipaddress
import re
import socket
import time
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils.translation import gettext as _
from requests.adapters import HTTPAdapter
from urllib3 import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import (
    ConnectTimeoutError,
    DecodeError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)
from urllib3.util import connection

from vaka.faults import causes

SCHEMES = ("http", "https")
# Redirects followed for one request: TAXII and MISP servers need one or two at most (a
# moved collection, http → https); each hop is checked like the first request.
MAX_REDIRECTS = 5
LOCAL_NAMES = ("localhost", "localhost.localdomain")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class Refused(requests.exceptions.ConnectionError):
    """The rule forbids the connection; the message says which host and why."""


class TooSlow(requests.exceptions.Timeout):
    """The answer did not arrive whole within ``seconds`` of the request."""

    def __init__(self, seconds: float, **kwargs: Any) -> None:
        self.seconds = seconds
        super().__init__(f"the answer did not arrive within {seconds:g} s", **kwargs)


class TooLarge(requests.RequestException):
    """The answer is larger than ``limit`` bytes."""

    def __init__(self, limit: int, **kwargs: Any) -> None:
        self.limit = limit
        super().__init__(f"the answer is larger than {limit} bytes", **kwargs)


class _RefusedAddress(Exception):
    """Raised inside urllib3, where any ``OSError`` would be retried and re-wrapped."""


# --- the rule --------------------------------------------------------------------------------

@lru_cache(maxsize=8)
def _allowed(entries: tuple[str, ...]) -> tuple[frozenset[str], tuple[Network, ...]]:
    names, networks = set(), []
    for entry in entries:
        entry = entry.strip().lower().strip("[]")
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            if "/" in entry or ":" in entry or not entry.replace("-", "").replace(".", "") \
                    .isalnum():
                raise ImproperlyConfigured(
                    f"VAKA_OUTBOUND_ALLOW: {entry!r} is neither a host name nor an IP "
                    "network (e.g. feeds.example.org, 10.20.0.0/16, 127.0.0.1)") from None
            names.add(entry.rstrip("."))
    return frozenset(names), tuple(networks)


def allowed() -> tuple[frozenset[str], tuple[Network, ...]]:
    """The host names and networks ``VAKA_OUTBOUND_ALLOW`` opens."""
    return _allowed(tuple(getattr(settings, "OUTBOUND_ALLOW", ()) or ()))


def _host_allowed(host: str) -> bool:
    return host.lower().rstrip(".") in allowed()[0]


def why_refused(address: Address) -> str | None:
    """Why ``address`` may not be reached (None: it may), the allow-list considered."""
    mapped = getattr(address, "ipv4_mapped", None)
    address = mapped or address
    if any(address in network for network in allowed()[1]):
        return None
    if address.is_loopback:
        return _("a loopback address")
    if address.is_link_local:
        return _("a link-local address")
    if address.is_multicast:
        return _("a multicast address")
    if address.is_unspecified:
        return _("an unspecified address")
    if address in ipaddress.ip_network("100.64.0.0/10"):
        return _("a carrier-grade NAT address")
    if address.is_reserved:
        return _("a reserved address")
    if address.is_private:
        return _("a private network address")
    if not address.is_global:
        return _("a reserved address")
    return None


def _literal(host: str) -> Address | None:
    """The address ``host`` is written as, in any form the resolver accepts (``127.1``,
    ``0x7f000001`` and ``2130706433`` are all 127.0.0.1), or None for a name."""
    try:
        return ipaddress.ip_address(host.strip("[]").split("%")[0])
    except ValueError:
        pass
    if host and all(c in "0123456789abcdefx." for c in host.lower()):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def _refusal(host: str, why: str) -> str:
    return _("%(host)s is %(why)s, which this instance does not connect to unless an admin "
             "allows it (VAKA_OUTBOUND_ALLOW).") % {"host": host, "why": why}


def _invalid(field: str | None, message: str) -> ValidationError:
    return ValidationError({field: message} if field else message, code="outbound")


def check_url(url: str, field: str | None = "url") -> str:
    """``url`` stripped, or a ``ValidationError`` (on ``field``, if given) saying why it may
    not be used: not http(s), no host, or a host written as a local or private address."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme.lower() not in SCHEMES:
        raise _invalid(field, _("Only http:// and https:// addresses can be used, not “%s:”.")
                       % parts.scheme if parts.scheme else
                       _("Enter an http:// or https:// address."))
    host = parts.hostname or ""
    if not host:
        raise _invalid(field, _("The address has no host name."))
    if _host_allowed(host):
        return url
    address = _literal(host)
    if address is None and (host.rstrip(".") in LOCAL_NAMES
                            or host.rstrip(".").endswith(".localhost")):
        address = ipaddress.ip_address("127.0.0.1")
    why = why_refused(address) if address is not None else None
    if why:
        raise _invalid(field, _refusal(host, why))
    return url


def resolve(host: str, port: int) -> list[tuple[Any, ...]]:
    """``getaddrinfo`` for a TCP connection (a seam for tests)."""
    return socket.getaddrinfo(host, port, connection.allowed_gai_family(), socket.SOCK_STREAM)


def permitted(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to, all of them permitted; raises ``_RefusedAddress``
    if any is not (a name answering one public and one private address is refused: which
    one a client picks is not ours to choose) and ``socket.gaierror`` if it has none."""
    host = host.strip("[]")
    found = [info[4][0] for info in resolve(host, port)]
    if _host_allowed(host):
        return found
    for text in found:
        why = why_refused(ipaddress.ip_address(text.split("%")[0]))
        if why:
            raise _RefusedAddress(_refusal(host, why))
    return found


def check_target(url: str) -> None:
    """Raise ``Refused`` unless the connection ``url`` asks for is permitted (resolving
    its host name)."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in SCHEMES:
        raise Refused(_("Only http:// and https:// addresses can be used, not “%s:”.")
                      % parts.scheme)
    host = parts.hostname or ""
    try:
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
        permitted(host, port)
    except _RefusedAddress as error:
        raise Refused(str(error)) from None
    except (OSError, ValueError, UnicodeError):
        pass  # unresolvable or malformed: the connection itself reports it


# --- connections -----------------------------------------------------------------------------

class _Checked:
    """An urllib3 connection that opens its socket only to checked addresses."""

    def _new_conn(self) -> socket.socket:
        try:
            addresses = permitted(self._dns_host, self.port)
        except socket.gaierror as error:
            raise NameResolutionError(self.host, self, error) from error
        failure: Exception = NewConnectionError(self, "no address")
        for address in addresses:
            try:
                return connection.create_connection(
                    (address, self.port), self.timeout, source_address=self.source_address,
                    socket_options=self.socket_options)
            except TimeoutError as error:
                failure = ConnectTimeoutError(self, f"Connection to {self.host} timed out.")
                failure.__cause__ = error
            except OSError as error:
                failure = NewConnectionError(self, f"Failed to establish a new connection: "
                                                   f"{error}")
                failure.__cause__ = error
        raise failure


class _CheckedHTTPConnection(_Checked, HTTPConnection):
    pass


class _CheckedHTTPSConnection(_Checked, HTTPSConnection):
    pass


class _CheckedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _CheckedHTTPConnection


class _CheckedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _CheckedHTTPSConnection


CHUNK = 1 << 16  # bytes read at a time; the time limit is checked between reads


def limits() -> tuple[float, int]:
    """(seconds for one answer, bytes of one answer): ``VAKA_OUTBOUND_TIMEOUT_SECONDS`` and
    ``VAKA_OUTBOUND_MAX_MB``."""
    return settings.OUTBOUND_TIMEOUT_SECONDS, settings.OUTBOUND_MAX_MB * 2**20


def _within(timeout: Any, seconds: float) -> tuple[float, float]:
    """(connect, read) timeouts, neither beyond ``seconds``."""
    if timeout is None:
        return seconds, seconds
    connect, read = timeout if isinstance(timeout, tuple) else (timeout, timeout)
    return (min(connect, seconds) if connect else seconds,
            min(read, seconds) if read else seconds)


def _read_whole(response: requests.Response, deadline: float, seconds: float, cap: int,
                read_timeout: float) -> None:
    """Read ``response``'s body into it (``content``), stopping at ``deadline`` or past
    ``cap`` bytes. Each read waits at most until the deadline, so a trickle is cut off on
    time, not one read timeout later."""
    request = response.request
    length = response.headers.get("Content-Length", "")
    declared = int(length) if length.isascii() and length.isdigit() else 0  # not "³"
    if declared > cap and not response.headers.get("Content-Encoding"):
        raise TooLarge(cap, request=request, response=response)
    sock = getattr(getattr(response.raw, "connection", None), "sock", None)
    chunks, size = [], 0
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TooSlow(seconds, request=request, response=response)
        if sock is not None:
            sock.settimeout(min(read_timeout, remaining))
        try:
            chunk = response.raw.read1(CHUNK, decode_content=True)
        except (ReadTimeoutError, TimeoutError) as error:
            if time.monotonic() >= deadline - 0.01:
                raise TooSlow(seconds, request=request, response=response) from error
            raise requests.exceptions.ReadTimeout(error, request=request) from error
        except ProtocolError as error:
            raise requests.exceptions.ChunkedEncodingError(error, request=request) from error
        except DecodeError as error:
            raise requests.exceptions.ContentDecodingError(error, request=request) from error
        if not chunk:
            break
        size += len(chunk)
        if size > cap:
            raise TooLarge(cap, request=request, response=response)
        chunks.append(chunk)
    response._content = b"".join(chunks)
    response._content_consumed = True
    response.raw.release_conn()


class GuardedAdapter(HTTPAdapter):
    """Checks every request it sends (each redirect is sent through it again) before
    connecting, and connects only to checked addresses. Each answer is read whole within
    the time and size ``limits()``; a request's own timeouts (default ``timeout``) bound
    each connect and each read inside them."""

    def __init__(self, timeout: Any = None, **kwargs: Any) -> None:
        self.default_timeout = timeout
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _CheckedHTTPPool,
                                                   "https": _CheckedHTTPSPool}

    def send(self, request: Any, **kwargs: Any) -> Any:
        seconds, cap = limits()
        deadline = time.monotonic() + seconds
        timeout = kwargs.get("timeout")
        kwargs["timeout"] = _within(self.default_timeout if timeout is None else timeout,
                                    seconds)
        kwargs["stream"] = True
        # Through a proxy the socket goes to the proxy: the target is checked here.
        check_target(request.url)
        try:
            response = super().send(request, **kwargs)
        except _RefusedAddress as error:
            raise Refused(str(error), request=request) from None
        except requests.exceptions.Timeout as error:
            if time.monotonic() >= deadline - 0.01:
                raise TooSlow(seconds, request=request) from error
            raise
        try:
            _read_whole(response, deadline, seconds, cap, kwargs["timeout"][1])
        except BaseException:
            response.close()
            raise
        return response


def guard(session: requests.Session, timeout: Any = None) -> requests.Session:
    """``session`` made to follow the rule: a guarded adapter for http and https, and a
    bound on redirects (a redirect to any other scheme finds no adapter and fails)."""
    adapter = GuardedAdapter(timeout)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.max_redirects = MAX_REDIRECTS
    return session


def _host_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.netloc.rsplit("@", 1)[-1] or url


def _caused_by(error: BaseException, *kinds: type) -> bool:
    return any(isinstance(cause, kinds) for cause in causes(error))


_TLS = re.compile(r"certificate verify failed: ([^'\")(]+)")


def failure_reason(error: Exception, url: str) -> str:
    """One line saying why a request got no usable answer: refused by the rule, too slow
    or too large for the limits, a redirect loop, a certificate not accepted, a name that
    does not resolve, a connection refused or cut, no answer in time."""
    if isinstance(error, Refused):
        return str(error)
    request = getattr(error, "request", None)
    host = _host_of(getattr(request, "url", None) or url)
    if isinstance(error, TooSlow):
        return _("%(host)s sent too slowly: stopped after %(seconds)s s "
                 "(VAKA_OUTBOUND_TIMEOUT_SECONDS).") % {"host": host,
                                                        "seconds": f"{error.seconds:g}"}
    if isinstance(error, TooLarge):
        return _("%(host)s sent more than %(limit)s MiB: stopped there "
                 "(VAKA_OUTBOUND_MAX_MB).") % {"host": host,
                                               "limit": f"{error.limit / 2**20:g}"}
    if isinstance(error, requests.exceptions.TooManyRedirects):
        last = getattr(error, "response", None)
        visited = [r.url for r in [*getattr(last, "history", []), last] if r is not None]
        if len(set(visited)) < len(visited):
            return _("%(host)s redirects in a loop (back to an address it already "
                     "sent).") % {"host": host}
        return _("%(host)s redirected more than %(count)d times.") % {
            "host": host, "count": MAX_REDIRECTS}
    if isinstance(error, requests.exceptions.SSLError):
        found = _TLS.search(str(error))
        if found:
            return _("The TLS certificate of %(host)s was not accepted (%(why)s).") % {
                "host": host, "why": found.group(1).strip()}
        return _("The TLS connection to %(host)s failed.") % {"host": host}
    if isinstance(error, requests.exceptions.InvalidSchema):
        return _("A redirect led to an address that is not http:// or https://.")
    if _caused_by(error, NameResolutionError, socket.gaierror):
        return _("The host name of %(host)s could not be found (DNS).") % {"host": host}
    if _caused_by(error, ConnectionRefusedError):
        return _("%(host)s refused the connection.") % {"host": host}
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return _("%(host)s did not accept the connection in time.") % {"host": host}
    if isinstance(error, requests.exceptions.ReadTimeout):
        return _("%(host)s stopped answering: nothing came for too long.") % {"host": host}
    if isinstance(error, requests.exceptions.ChunkedEncodingError) or _caused_by(
            error, ConnectionResetError, ProtocolError):
        return _("%(host)s closed the connection before its answer was complete.") % {
            "host": host}
    if isinstance(error, requests.exceptions.ContentDecodingError):
        return _("The answer from %(host)s could not be decompressed.") % {"host": host}
    return _("Could not connect to %(host)s.") % {"host": host}


def status_reason(status: int, url: str) -> str:
    """One line for an HTTP answer that is not a success, with what to do about it."""
    hints = {
        401: _("check the credentials"),
        403: _("access refused: check the credentials and that this account may read it"),
        404: _("not found: check the URL"),
        406: _("the server does not answer TAXII 2.1 there: check the URL"),
        429: _("too many requests: polling backs off"),
    }
    hint = hints.get(status) or (_("the server failed; the poll is tried again later")
                                 if status >= 500 else _("the request was refused"))
    return _("HTTP %(status)s from %(url)s: %(hint)s.") % {
        "status": status, "url": shown(url), "hint": hint}


def shown(url: str) -> str:
    """The URL as reasons show it: no credentials, no query string."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc.rsplit("@", 1)[-1], parts.path, "", ""))
