"""Which warninglists a value is on: MISP's shipped lists plus the admins' own entries."""

import threading

from vaka.intel.parsing.warninglists import Warninglists, default_warninglists

_lock = threading.Lock()
_own: Warninglists | None = None


def own_entries() -> Warninglists:
    """The admins' exclusions, rebuilt after any change (see ``forget_own_entries``)."""
    global _own
    with _lock:
        if _own is None:
            from vaka.intel.models import WarninglistEntry

            entries = [(e.kind, e.value, e.note or "Local exclusion")
                       for e in WarninglistEntry.objects.all()]
            _own = Warninglists(names=[], exclusions=entries)
        return _own


def forget_own_entries() -> None:
    global _own
    with _lock:
        _own = None


def warninglist_names(kind: str, value: str) -> str:
    """Names of the lists ``value`` is on, joined by '; ' (empty when on none)."""
    names = default_warninglists().match(kind, value) + own_entries().match(kind, value)
    return "; ".join(dict.fromkeys(names))
