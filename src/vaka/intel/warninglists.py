"""Which warninglists a value is on: MISP's shipped lists plus the admins' own entries.

The admins' entries live in the database and every process (web workers, the scheduler,
Celery workers) keeps them indexed in memory. A process learns of a change made by
another one from a fingerprint of the table (count and sum and maximum of the ids: rows
are only added and deleted, and ids are never reused), read at most every
``RECHECK_SECONDS``; the process that made the change forgets its copy at once.

A process that inherited the index through ``fork`` (the ingest worker of
``intel.prepare``) keeps it as inherited: it must not use its parent's database
connection, and it lives for one ingest only. Celery's pool processes, which may use the
database, drop an inherited copy when they start.
"""

import ipaddress
import os
import threading
import time
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from celery.signals import worker_process_init
from django.db.models import Count, Max, QuerySet, Sum

from vaka.intel.parsing.observables import value_hash
from vaka.intel.parsing.warninglists import Warninglists, default_warninglists

if TYPE_CHECKING:
    from vaka.intel.models import Observable

RECHECK_SECONDS = 5.0

_lock = threading.Lock()
_own: Warninglists | None = None
_own_mark: tuple[int, int, int] | None = None
_own_pid = 0  # the process that loaded _own (and may check it against the database)
_checked_at = 0.0


def _fingerprint() -> tuple[int, int, int]:
    from vaka.intel.models import WarninglistEntry

    found = WarninglistEntry.objects.aggregate(n=Count("pk"), top=Max("pk"), total=Sum("pk"))
    return found["n"], found["top"] or 0, found["total"] or 0


def load_own_entries() -> Warninglists:
    """The admins' exclusions as the database holds them now (in this transaction)."""
    from vaka.intel.models import WarninglistEntry

    entries = [(e.kind, e.value, e.note or "Local exclusion")
               for e in WarninglistEntry.objects.all()]
    return Warninglists(names=[], exclusions=entries)


def own_entries() -> Warninglists:
    """The admins' exclusions, reloaded when another process has changed them."""
    global _own, _own_mark, _own_pid, _checked_at
    with _lock:
        now = time.monotonic()
        if _own is not None and (_own_pid != os.getpid()
                                 or now - _checked_at < RECHECK_SECONDS):
            return _own
        mark = _fingerprint()
        if _own is None or mark != _own_mark:
            _own, _own_mark = load_own_entries(), mark
        _own_pid, _checked_at = os.getpid(), now
        return _own


def forget_own_entries(**_signal: Any) -> None:
    """Drop this process's copy: the next look-up reloads it."""
    global _own, _own_mark
    with _lock:
        _own, _own_mark = None, None


worker_process_init.connect(forget_own_entries, weak=False)


def names_on(kind: str, value: str, own: Warninglists) -> str:
    """Names of the lists ``value`` is on, with ``own`` as the admins' exclusions."""
    names = default_warninglists().match(kind, value) + own.match(kind, value)
    return "; ".join(dict.fromkeys(names))


def warninglist_names(kind: str, value: str) -> str:
    """Names of the lists ``value`` is on, joined by '; ' (empty when on none)."""
    return names_on(kind, value, own_entries())


def _stored_candidates(kind: str, value: str) -> QuerySet["Observable"]:
    """Stored observables an exclusion ``(kind, value)`` may cover: a superset, cheap to
    select; ``reflag_stored_values`` decides each one as ingest would."""
    from vaka.intel.models import Observable

    if kind in ("ipv4", "ipv6"):
        network = ipaddress.ip_network(value, strict=False)
        found = Observable.objects.filter(kind=f"ipv{network.version}")
        if network.version == 4 and network.prefixlen >= 8:
            # Canonical IPv4 values are dotted decimal: the network's whole octets lead.
            octets = str(network.network_address).split(".")[:min(network.prefixlen // 8, 3)]
            found = found.filter(value__startswith=".".join(octets) + ".")
        return found
    if kind == "domain":  # the domain and its subdomains, as values, URL hosts, mail domains
        return Observable.objects.filter(kind__in=("domain", "url", "email"),
                                         value__contains=value)
    return Observable.objects.filter(kind=kind, value_hash=value_hash(kind, value),
                                     value=value)


def reflag_stored_values(kind: str, value: str) -> int:
    """Bring the stored observables an exclusion ``(kind, value)`` covers in line with the
    exclusions the database holds now; returns how many changed.

    Called by the exclusion services inside their transaction, after adding or deleting
    the entry: flagged values leave correlation and blocklists at once, and values no
    longer excluded come back (unless a shipped list or another entry still holds them).
    """
    from vaka.intel.models import Observable

    own = load_own_entries()
    decided: dict[tuple[str, str], str] = {}
    changes: dict[str, list[int]] = defaultdict(list)
    rows = _stored_candidates(kind, value).values_list("pk", "kind", "value", "warninglists")
    for pk, row_kind, row_value, flagged in rows.iterator(chunk_size=5000):
        names = decided.get((row_kind, row_value))
        if names is None:
            names = decided[row_kind, row_value] = names_on(row_kind, row_value, own)
        if names != flagged:
            changes[names].append(pk)
    for names, pks in changes.items():
        for start in range(0, len(pks), 1000):
            Observable.objects.filter(pk__in=pks[start:start + 1000]).update(
                warninglists=names)
    return sum(len(pks) for pks in changes.values())
