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

Failures to connect are reported as one message ("could not connect to <host>"): whether
a port was closed, filtered or reset is nobody's business but the network's.
"""

import ipaddress
import socket
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils.translation import gettext as _
from requests.adapters import HTTPAdapter
from urllib3 import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util import connection

SCHEMES = ("http", "https")
# Redirects followed for one request: TAXII and MISP servers need one or two at most (a
# moved collection, http → https); each hop is checked like the first request.
MAX_REDIRECTS = 5
LOCAL_NAMES = ("localhost", "localhost.localdomain")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class Refused(requests.exceptions.ConnectionError):
    """The rule forbids the connection; the message says which host and why."""


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


class GuardedAdapter(HTTPAdapter):
    """Checks every request it sends (each redirect is sent through it again) before
    connecting, and connects only to checked addresses. With ``timeout``, requests that
    set none get it: a silent server would otherwise hold the poller for ever."""

    def __init__(self, timeout: Any = None, **kwargs: Any) -> None:
        self.default_timeout = timeout
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _CheckedHTTPPool,
                                                   "https": _CheckedHTTPSPool}

    def send(self, request: Any, **kwargs: Any) -> Any:
        if kwargs.get("timeout") is None and self.default_timeout is not None:
            kwargs["timeout"] = self.default_timeout
        # Through a proxy the socket goes to the proxy: the target is checked here.
        check_target(request.url)
        try:
            return super().send(request, **kwargs)
        except _RefusedAddress as error:
            raise Refused(str(error), request=request) from None


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


def failure_reason(error: Exception, url: str) -> str:
    """One line for a failed request that got no HTTP answer. Refused, reset and timed out
    read alike ("could not connect"), so the text tells nothing about a host's ports; a
    refusal by the rule says which host and why."""
    if isinstance(error, Refused):
        return str(error)
    request = getattr(error, "request", None)
    host = _host_of(getattr(request, "url", None) or url)
    if isinstance(error, requests.exceptions.TooManyRedirects):
        return _("%(host)s redirected more than %(count)d times.") % {
            "host": host, "count": MAX_REDIRECTS}
    if isinstance(error, requests.exceptions.SSLError):
        return _("The TLS certificate of %(host)s was not accepted.") % {"host": host}
    if isinstance(error, requests.exceptions.InvalidSchema):
        return _("A redirect led to an address that is not http:// or https://.")
    return _("Could not connect to %(host)s.") % {"host": host}
