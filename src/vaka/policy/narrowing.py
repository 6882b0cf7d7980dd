"""Whether one set of markings reaches no one another does: a new version never widens.

A new version of a record may narrow who sees it but not widen it: widening is the
owner's explicit, audited re-mark. ``within(a, b)`` answers "does every reader of ``a``
also read ``b``?" for two markings of one owner, by comparing distribution and TLP with
their lists, each on its own. Both narrower is enough for the audience (readers are the
distribution's reach *and* what the TLP allows, ``policy.visibility``); where the two
halves cannot be compared without listing users, the answer is a safe "no".
"""

from collections.abc import Iterable
from dataclasses import dataclass

from vaka.policy.markings import PAP, TLP, Distribution

# Narrowest first.
DISTRIBUTION_RANK = [Distribution.ORGANISATION, Distribution.COMMUNITIES,
                     Distribution.MEMBERS, Distribution.FEDERATION, Distribution.PUBLIC]
TLP_RANK = [TLP.RED, TLP.AMBER_STRICT, TLP.AMBER, TLP.GREEN, TLP.CLEAR]
PAP_RANK = [PAP.RED, PAP.AMBER, PAP.GREEN, PAP.CLEAR]


@dataclass(frozen=True)
class Reach:
    """Who a marking reaches, as ids: enough to compare two markings of one owner."""

    distribution: str
    tlp: str
    communities: frozenset[int] = frozenset()
    organisations: frozenset[int] = frozenset()
    people: frozenset[int] = frozenset()


def reach_of(distribution: str, tlp: str, audience_id: int | None) -> Reach:
    """The reach of stored markings (an audience row's lists read from the database)."""
    from vaka.policy.models import Audience

    if audience_id is None:
        return Reach(distribution, tlp)
    audience = Audience.objects.get(pk=audience_id)
    return Reach(distribution, tlp,
                 frozenset(audience.communities.values_list("pk", flat=True)),
                 frozenset(audience.organisations.values_list("pk", flat=True)),
                 frozenset(audience.people.values_list("pk", flat=True)))


def _distribution_within(a: Reach, b: Reach) -> bool:
    if a.distribution == Distribution.COMMUNITIES and b.distribution == Distribution.COMMUNITIES:
        return a.communities <= b.communities
    return DISTRIBUTION_RANK.index(a.distribution) <= DISTRIBUTION_RANK.index(b.distribution)


def _people_orgs(people: Iterable[int]) -> list[tuple[int | None, int | None]]:
    from vaka.directory.models import User

    return list(User.objects.filter(pk__in=list(people)).values_list(
        "organisation_id", "organisation__served_by_id"))


def _tlp_within(a: Reach, b: Reach, owner_id: int) -> bool:
    if b.tlp in (TLP.CLEAR, TLP.GREEN):
        return True  # b's TLP narrows nothing: a's distribution decides
    if b.tlp == TLP.RED:
        return a.tlp == TLP.RED and a.people <= b.people
    # b is AMBER or AMBER+STRICT to organisations: the owner, the recipients (and for
    # AMBER their clients).
    if a.tlp in (TLP.CLEAR, TLP.GREEN):
        return False
    if a.tlp == TLP.RED:
        for org, served_by in _people_orgs(a.people):
            if org == owner_id or org in b.organisations:
                continue
            if b.tlp == TLP.AMBER and served_by in b.organisations:
                continue
            return False
        return True
    if a.tlp == TLP.AMBER and b.tlp == TLP.AMBER_STRICT:
        return False  # AMBER also reaches the recipients' clients
    return a.organisations <= b.organisations


def within(a: Reach, b: Reach, *, owner_id: int) -> bool:
    """True when everyone ``a`` reaches is reached by ``b`` (a safe under-estimate)."""
    if a == b:
        return True
    return _distribution_within(a, b) and _tlp_within(a, b, owner_id)


def stricter_pap(first: str, second: str) -> str:
    """The stricter of two PAP levels (unknown values count as the strictest)."""
    def rank(code: str) -> int:
        return PAP_RANK.index(code) if code in PAP_RANK else -1
    return first if rank(first) <= rank(second) else second
