"""What an analyst should know of each value found in free text before storing it."""

from dataclasses import dataclass, field
from typing import Any

from vaka.directory.models import Organisation, User
from vaka.intel.models import StixObject
from vaka.intel.parsing.extract import Indicator
from vaka.intel.services import MAX_LOOKUP, lookup


@dataclass
class ReviewFlag:
    """One value's flags: the warninglists holding it, a record of the user's audience
    carrying it, and whether only another agency holds it (hit/no-hit: no count, no
    name, except the agencies' names for a desk broker, as in a look-up)."""

    warninglists: str = ""
    yours: StixObject | None = None
    elsewhere: bool = False
    holders: list[Organisation] = field(default_factory=list)


def review_flags(found: list[Indicator], *, user: User, request: Any = None
                 ) -> dict[tuple[str, str], ReviewFlag]:
    """(kind, value) → its flags, for the first ``MAX_LOOKUP`` certain values found.

    The check is a look-up: it is audited, and the owners of hidden records carrying a
    value are told, as for any look-up. Showing "another agency holds this" without
    telling the owner would make the review page a silent look-up; a value the analyst
    then stores is reported to the owner again at ingestion (the inbox counts repeats).

    Uncertain values (``certain=False``: a version number shaped like an address, a value
    a line break may have cut) are not looked up and get no flags: a version number that
    happens to match a stored address must not send its owner a hit notice. Ticked and
    stored, they are checked at ingestion like any value."""
    values = list(dict.fromkeys((i.kind, i.value) for i in found if i.certain))[:MAX_LOOKUP]
    answers = lookup([value for _kind, value in values], user=user, request=request)
    flags = {}
    for key, answer in zip(values, answers, strict=True):
        flags[key] = ReviewFlag(
            warninglists=answer.warninglists,
            yours=answer.matches[0] if answer.matches else None,
            elsewhere=bool(answer.hits) and not answer.matches, holders=answer.holders)
    return flags
