"""A web look-up's answers, kept in the asker's session so its pages are read back, not
looked up again.

The look-up runs once, on the form's POST: its hit notifications go out once, and a page,
a reload or the CSV reads the kept answers. Re-running the look-up per page would cost the
whole look-up each time (about 1.7 s for 10,000 values) and notify owners again; keeping
the answers costs the session about 60 bytes a value (600 KB for 10,000), bounded by
``KEPT_CHARS`` per text and by the look-up's 10,000 values. Only the ids of the records a
value matched are kept: each page fetches them again through ``objects_for``, so a record
re-marked or revoked since drops out of the page as it would from a new look-up.
"""

import secrets
from dataclasses import asdict, dataclass
from typing import Any

from vaka.directory.models import Organisation
from vaka.intel import selectors
from vaka.intel.services import LookupAnswer, LookupSummary
from vaka.policy.brokering import is_broker

SESSION_KEY = "lookup_result"
PAGE_SIZE = 100
KEPT_CHARS = 1000  # a value longer than this (a rare URL) is kept, shown and exported cut


def _cut(text: str) -> str:
    return text if len(text) <= KEPT_CHARS else text[:KEPT_CHARS - 1] + "…"


@dataclass
class KeptLookup:
    id: str
    summary: LookupSummary
    only_found: bool
    rows: list[list[Any]]
    """Each ``[value, type, canonical ("": as typed), warninglists, error, match ids, hit,
    holder ids]``; holders are named to desk brokers only (``services.name_holders``)."""

    @property
    def shown(self) -> list[list[Any]]:
        """The rows the table lists: all of them, or those something is known of."""
        return [r for r in self.rows if r[5] or r[6]] if self.only_found else self.rows


def _kept_canonical(answer: LookupAnswer) -> str | None:
    # Most values are typed as stored: "" says "the same as typed" in a fraction of the bytes.
    if answer.canonical is None:
        return None
    return "" if answer.canonical == answer.value else _cut(answer.canonical)


def keep(session: Any, answers: list[LookupAnswer], summary: LookupSummary, *,
         only_found: bool) -> str:
    """Keep ``answers`` (in the order they are to be shown) as the session's one look-up,
    replacing the one before; returns the id its pages are addressed by."""
    rows = [[_cut(a.value), a.type or "",
             _kept_canonical(a),
             _cut(a.warninglists), _cut(a.error), [m.pk for m in a.matches], bool(a.hits),
             [o.pk for o in a.holders]]
            for a in answers]
    result = secrets.token_urlsafe(9)
    session[SESSION_KEY] = {"id": result, "summary": asdict(summary),
                            "only_found": only_found, "rows": rows}
    return result


def kept(session: Any, result: str) -> KeptLookup | None:
    """The session's look-up if ``result`` names it; None once another replaced it."""
    stored = session.get(SESSION_KEY)
    if not result or not isinstance(stored, dict) or stored.get("id") != result:
        return None
    return KeptLookup(id=stored["id"], summary=LookupSummary(**stored["summary"]),
                      only_found=stored["only_found"], rows=stored["rows"])


def answers_of(rows: list[list[Any]], user: Any) -> list[LookupAnswer]:
    """The kept rows as answers, with the records they matched that ``user`` still sees, and
    the agencies holding their hits while ``user`` is still a desk broker."""
    wanted = sorted({pk for row in rows for pk in row[5]})
    objects = {o.pk: o for start in range(0, len(wanted), 5000)
               for o in selectors.objects_for(user).filter(pk__in=wanted[start:start + 5000])}
    named = {pk for row in rows for pk in row[7]}
    holders = Organisation.objects.in_bulk(named) if named and is_broker(user) else {}
    return [LookupAnswer(value=value, type=kind or None,
                         canonical=value if canonical == "" else canonical,
                         matches=[objects[pk] for pk in ids if pk in objects], hits=int(hit),
                         warninglists=warninglists, error=error,
                         holders=[holders[pk] for pk in held_by if pk in holders])
            for value, kind, canonical, warninglists, error, ids, hit, held_by in rows]
