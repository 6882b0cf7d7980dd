"""Rate limits: how often one API token, user, export link or connected instance may look
values up, export, submit, use TAXII or sync.

``RATES`` is the one definition: a scope and its default rate. Each scope's rate is
overridden by ``VAKA_RATE_<SCOPE>`` (``60/min``, ``1000/hour``; ``0`` or ``off`` turns the
limit off; ``VAKA_RATE_LIMITS=off`` turns them all off), parsed once by the settings
through :func:`configured_rates`, which stops start-up with a message naming a malformed
variable. The settings keep the result in ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``,
where DRF keeps scoped rates.

Who is counted: the API token when the request carries one (each token of a user is counted
apart, so a script does not use up its owner's web budget), else the signed-in user, else
the client address (``policy.audit.client_ip``, which trusts only ``VAKA_PROXY_COUNT``
proxies). Export links count per link, connected instances per peer.

The counts live in Django's default cache, which must be shared by every worker process
(Redis with ``VAKA_CACHE_URL``, else files under the data directory; see the settings): a
per-process cache would multiply every limit by the number of workers. Each count is a
sliding window (DRF's request history), so a refused caller is told exactly when to come
back (``Retry-After``, in seconds). A cache that cannot be reached lets requests through and
logs why: a limit is a protection, not a reason to stop answering.

DRF views name a throttle class below (``throttle_classes``); the HTML views, TAXII and
sync, which are plain Django views, call :func:`check` or use :func:`limit`, so every
channel counts the same way in the same place.

This module is imported by the settings: it must not read Django settings or import
models at import time.
"""

import contextlib
import fcntl
import functools
import hashlib
import logging
import math
import os
import pickle
import re
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.filebased import FileBasedCache
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _lazy

from vaka import faults

log = logging.getLogger(__name__)

# Scope -> default rate. A look-up or an export of a large filter can take seconds of a
# worker; a TAXII client pages through collections a request a page; a connected instance
# pulls and pushes a page at a time every few minutes.
RATES: dict[str, str] = {
    "lookup": "120/min",
    "exports": "30/min",
    "submissions": "60/hour",
    "taxii": "600/min",
    "sync": "120/min",
    # A Markdown preview: up to 200 KB rendered, a few seconds of CPU at worst; a writer's
    # pauses in typing send one each.
    "previews": "60/min",
    # Product writes through the API: drafts, workflow steps, dissemination (which mails
    # every recipient) and acknowledgements.
    "products": "600/hour",
    # Operation writes through the API: details, participants, targets (a list of up to
    # 10,000 at once), tasks, the action log and results.
    "operations": "600/hour",
    # Message writes through the API: sends, replies, forwards, imports, RFI answers and
    # closes (each sends inbox notices and their e-mails).
    "messages": "600/hour",
    # Training writes through the API: courses, sessions, participants, enrolments (each
    # may tell an organisation through its inbox), scores, completions and revocations.
    "training": "600/hour",
    # The public certificate check (/verify/<code>/), per address: a person checks a few
    # certificates; codes tried in bulk are refused.
    "verify": "30/min",
}

# What a 429 says was too many, per scope.
WHAT: dict[str, Any] = {
    "lookup": _lazy("look-ups"),
    "exports": _lazy("exports"),
    "submissions": _lazy("submissions"),
    "taxii": _lazy("TAXII requests"),
    "sync": _lazy("sync requests"),
    "previews": _lazy("previews"),
    "products": _lazy("product changes"),
    "operations": _lazy("operation changes"),
    "messages": _lazy("messages sent"),
    "training": _lazy("training changes"),
    "verify": _lazy("certificate checks"),
}

_UNITS = {**dict.fromkeys(("s", "sec", "secs", "second", "seconds"), 1),
          **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), 60),
          **dict.fromkeys(("h", "hour", "hours"), 3600),
          **dict.fromkeys(("d", "day", "days"), 86400)}
_CANONICAL_UNIT = {1: "s", 60: "min", 3600: "hour", 86400: "day"}
_PERIODS = {1: _lazy("second"), 60: _lazy("minute"), 3600: _lazy("hour"), 86400: _lazy("day")}
_RATE = re.compile(r"\s*(\d+)\s*/\s*([a-z]+)\s*", re.IGNORECASE)
OFF = frozenset({"0", "off"})


@dataclass(frozen=True)
class Rate:
    requests: int
    seconds: int

    def __str__(self) -> str:
        return f"{self.requests}/{_CANONICAL_UNIT[self.seconds]}"


def variable(scope: str) -> str:
    """The environment variable that overrides ``scope``'s rate."""
    return f"VAKA_RATE_{scope.upper()}"


def parse_rate(text: str, name: str) -> Rate | None:
    """``text`` as a rate (None: off), or ImproperlyConfigured naming ``name`` and saying
    what a rate looks like."""
    if text.strip().lower() in OFF:
        return None
    match = _RATE.fullmatch(text)
    seconds = _UNITS.get(match.group(2).lower()) if match else None
    if match is None or seconds is None or int(match.group(1)) < 1:
        raise ImproperlyConfigured(
            f"{name}={text!r} is not a rate: use a number of requests per s, min, hour or "
            "day (e.g. 60/min or 1000/hour), or off.")
    return Rate(int(match.group(1)), seconds)


def configured_rates(read: Callable[[str], str]) -> dict[str, str | None]:
    """Every scope's rate as DRF's ``DEFAULT_THROTTLE_RATES`` holds them (None: off).

    ``read`` is the settings' ``env``: given ``RATE_LOOKUP`` it returns ``VAKA_RATE_LOOKUP``
    (or its ``_FILE``), empty when unset. ``VAKA_RATE_LIMITS=off`` turns every limit off
    at once (a benchmark, a closed network), still refusing a malformed scope variable."""
    rates = {}
    for scope, default in RATES.items():
        rate = parse_rate(read(variable(scope).removeprefix("VAKA_")) or default,
                          variable(scope))
        rates[scope] = None if rate is None else str(rate)
    switch = read("RATE_LIMITS")
    if switch.strip().lower() not in ("", "on", "off"):
        raise ImproperlyConfigured(
            f"VAKA_RATE_LIMITS={switch!r}: use off (no rate limits at all) or on (each "
            "VAKA_RATE_<SCOPE>, or its default).")
    return dict.fromkeys(rates) if switch.strip().lower() == "off" else rates


def cache_setting(url: str, data_dir: Path) -> dict[str, Any]:
    """Django's ``CACHES``, where the counts live: Redis at ``url`` (``VAKA_CACHE_URL``) when
    several machines serve, else :class:`FileCache` under the data directory, which one
    machine's worker processes share. A URL that is not Redis's stops start-up."""
    if not url:
        # Past MAX_ENTRIES files a third are dropped at random (their counts lost); one per
        # user, token and scope in use is far below it.
        return {"default": {"BACKEND": "vaka.web.throttling.FileCache",
                            "LOCATION": data_dir / "cache", "OPTIONS": {"MAX_ENTRIES": 20000}}}
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(
            f"VAKA_CACHE_URL={url!r} is not a Redis URL: use redis://host:6379/1, "
            "rediss://… or unix:///path/to/redis.sock, or leave it unset.")
    return {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                        "LOCATION": url, "KEY_PREFIX": "vaka"}}


@functools.lru_cache(maxsize=64)
def _parsed(text: str) -> Rate:
    rate = parse_rate(text, "DEFAULT_THROTTLE_RATES")
    assert rate is not None  # configured_rates stores an off limit as None
    return rate


def rate_of(scope: str) -> Rate | None:
    """``scope``'s rate now (tests override the settings)."""
    from django.conf import settings

    rates = settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {})
    text = rates.get(scope, RATES[scope])
    return None if text is None else _parsed(text)


def identity(request: Any, user: Any = None, *, checked_header: bool = False) -> str:
    """Who a request counts against: its API token, else its user, else its address.

    ``request`` is a Django or a DRF request (whose token authentication sets ``auth``).
    A view that authenticated the ``Authorization`` header itself (TAXII) passes the user
    and ``checked_header``; elsewhere the header is not trusted, or a signed-in user could
    send a new made-up token with each request and never be counted. A token is named by
    the digest the database keeps of it, never by the key."""
    from vaka.directory.models import hash_token
    from vaka.policy.audit import client_ip

    digest = getattr(getattr(request, "auth", None), "key_hash", None)  # DRF token auth
    if digest is None and checked_header and (key := _presented_key(request)):
        digest = hash_token(key)
    if digest:
        return f"token:{digest}"
    user = user if user is not None else getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return f"address:{client_ip(request) or 'unknown'}"


def _presented_key(request: Any) -> str:
    """An API token in ``Authorization``: ``Token``/``Bearer`` <key>, or a token as the
    HTTP Basic password (TAXII clients)."""
    import base64
    import binascii

    scheme, _sep, credentials = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    scheme, credentials = scheme.lower(), credentials.strip()
    if scheme in ("token", "bearer"):
        return credentials
    if scheme == "basic":
        try:
            secret = base64.b64decode(credentials).decode().partition(":")[2]
        except (binascii.Error, UnicodeDecodeError):
            return ""
        return secret if secret.startswith("vaka_") else ""
    return ""


def now() -> float:
    return time.time()


@dataclass(frozen=True)
class Limited:
    """A refused request: which limit it hit, and in how many seconds to come back."""

    scope: str
    rate: Rate
    seconds: int

    @property
    def reason(self) -> str:
        from django.utils.translation import gettext as _

        return _("Too many %(what)s: at most %(count)d per %(period)s.") % {
            "what": WHAT[self.scope], "count": self.rate.requests,
            "period": _PERIODS[self.rate.seconds]}

    @property
    def message(self) -> str:
        from django.utils.translation import ngettext

        return " ".join([self.reason, ngettext(
            "Try again in %(seconds)d second.", "Try again in %(seconds)d seconds.",
            self.seconds) % {"seconds": self.seconds}])

    def apply(self, response: Any) -> Any:
        """``response`` (a 429 the caller built in its channel's format) with Retry-After."""
        response["Retry-After"] = str(self.seconds)
        return response

    def page(self, request: Any) -> Any:
        from django.shortcuts import render

        return self.apply(render(request, "429.html", {"limited": self}, status=429))

    def plain(self) -> Any:
        from django.http import HttpResponse

        return self.apply(HttpResponse(self.message, status=429,
                                       content_type="text/plain; charset=utf-8"))


class FileCache(FileBasedCache):
    """Django's file cache, shared by every worker process of one machine, without its two
    costs per write (measured on ext4): it lists the whole folder to decide whether to cull
    (14 ms a write at 5,000 entries), and it replaces the file by renaming a new one over it,
    which makes ext4 flush the new file (4 ms at the 90th percentile). Here the folder is
    listed at most once a minute per process, expired entries first; and an entry is
    rewritten in place under an exclusive lock, read under a shared one (tens of µs)."""

    cull_every = 60.0
    _last_cull = 0.0

    def get(self, key: str, default: Any = None, version: int | None = None) -> Any:
        try:
            with open(self._key_to_file(key, version), "rb") as handle:
                fcntl.flock(handle, fcntl.LOCK_SH)
                if not self._is_expired(handle):
                    return pickle.loads(zlib.decompress(handle.read()))  # noqa: S301
        except FileNotFoundError:
            pass
        return default

    def set(self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT,
            version: int | None = None) -> None:
        self._createdir()  # the folder may have been removed
        name = self._key_to_file(key, version)
        self._cull()
        descriptor = os.open(name, os.O_RDWR | os.O_CREAT, 0o600)
        with open(descriptor, "r+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                self._write_content(handle, timeout, value)
                # Cut what is left of a longer entry only now: truncating to zero first
                # also makes ext4 flush the file on close.
                handle.truncate()
            except BaseException:
                # Half new, half old (a full disk): no entry rather than an unreadable one.
                with contextlib.suppress(OSError):
                    os.remove(name)
                raise

    def _cull(self) -> None:
        moment = time.monotonic()
        if moment - FileCache._last_cull < self.cull_every:
            return
        FileCache._last_cull = moment
        for name in self._list_cache_files():
            with contextlib.suppress(OSError, EOFError), open(name, "rb") as handle:
                self._is_expired(handle)  # deletes the file when expired
        super()._cull()


def check(scope: str, ident: str) -> Limited | None:
    """Count one request of ``ident`` in ``scope``; a :class:`Limited` instead when its
    rate is spent (a refused request is not counted)."""
    rate = rate_of(scope)
    if rate is None:
        return None
    from django.core.cache import cache

    key = f"rate:{scope}:{hashlib.sha256(ident.encode()).hexdigest()[:32]}"
    moment = now()
    try:
        # Newest first; what left the window is dropped.
        history = [t for t in cache.get(key, []) if t > moment - rate.seconds]
        if len(history) >= rate.requests:
            wait = history[rate.requests - 1] + rate.seconds - moment
            return Limited(scope, rate, max(1, math.ceil(wait)))
        cache.set(key, [moment, *history], rate.seconds)
    except Exception as error:  # any backend's connection or disk error
        full = faults.is_disk_full(error)
        log.warning("rate limit %s not counted: %s", scope,
                    "the disk is full" if full else "the cache cannot be used",
                    exc_info=not full)
    return None


def limit(scope: str, methods: tuple[str, ...] = ("POST",)) -> Callable:
    """Rate-limit an HTML view's ``methods`` per user; over the limit, a 429 page."""

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(request: Any, *args: Any, **kwargs: Any) -> Any:
            if request.method in methods and (limited := check(scope, identity(request))):
                return limited.page(request)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


class ScopeThrottle:
    """A DRF throttle counting :attr:`scope` for the request's token or user.

    Over the limit it raises DRF's ``Throttled`` itself, so that the answer (through the
    project's exception handler: ``{"detail": …}``, status 429, ``Retry-After``) names the
    limit that was hit rather than only the wait."""

    scope = ""
    methods: frozenset[str] = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"})

    def allow_request(self, request: Any, view: Any) -> bool:
        from rest_framework.exceptions import Throttled

        if request.method in self.methods and (
                limited := check(self.scope, identity(request))):
            raise Throttled(limited.seconds, detail=limited.reason)
        return True

    def wait(self) -> float | None:
        return None


class LookupThrottle(ScopeThrottle):
    scope = "lookup"


class ExportsThrottle(ScopeThrottle):
    scope = "exports"


class ProductsThrottle(ScopeThrottle):
    """Only what changes a product counts; reading products does not."""

    scope = "products"
    methods = frozenset({"POST", "PUT", "PATCH"})


class OperationsThrottle(ScopeThrottle):
    """Only what changes an operation counts; reading operations does not."""

    scope = "operations"
    methods = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class MessagesThrottle(ScopeThrottle):
    """Only what sends or changes a message or RFI counts; reading them does not."""

    scope = "messages"
    methods = frozenset({"POST"})


class TrainingThrottle(ScopeThrottle):
    """Only what changes training records counts; reading them does not."""

    scope = "training"
    methods = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class SubmissionsThrottle(ScopeThrottle):
    """Only what submits counts; reading your submissions does not."""

    scope = "submissions"
    methods = frozenset({"POST"})

