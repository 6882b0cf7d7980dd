"""Validate and apply markings; the shared write path of every shareable record."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from vaka.directory.models import Community, Organisation, User
from vaka.policy import audit
from vaka.policy.markings import (
    DEFAULT_GRADING_SCHEME,
    GRADING_SCHEMES,
    PAP,
    TLP,
    Distribution,
    Handling,
)
from vaka.policy.models import Audience, Compartment, Shareable


@dataclass
class Markings:
    distribution: str = Distribution.ORGANISATION
    tlp: str = TLP.AMBER
    communities: list[Community] = field(default_factory=list)
    recipient_organisations: list[Organisation] = field(default_factory=list)
    recipients: list[User] = field(default_factory=list)
    pap: str = PAP.AMBER
    handling: list[str] = field(default_factory=list)
    handling_note: str = ""
    grading_scheme: str = DEFAULT_GRADING_SCHEME
    grading_source: str = ""
    grading_information: str = ""
    grading_handling: str = ""

    @classmethod
    def of(cls, record: Shareable) -> "Markings":
        return cls(
            distribution=record.distribution,
            tlp=record.tlp,
            communities=list(record.communities.all()),
            recipient_organisations=list(record.recipient_organisations.all()),
            recipients=list(record.recipients.all()),
            pap=record.pap,
            handling=list(record.handling),
            handling_note=record.handling_note,
            grading_scheme=record.grading_scheme,
            grading_source=record.grading_source,
            grading_information=record.grading_information,
            grading_handling=record.grading_handling,
        )


def _reaches(owner: Organisation, markings: Markings, org_id: int | None) -> bool:
    """Does the distribution alone reach users of organisation ``org_id``?"""
    if org_id is None:
        return markings.distribution == Distribution.PUBLIC
    if org_id == owner.pk or markings.distribution in (
        Distribution.MEMBERS, Distribution.FEDERATION, Distribution.PUBLIC
    ):
        return True
    if markings.distribution == Distribution.COMMUNITIES:
        return Community.members.through.objects.filter(
            community__in=markings.communities, organisation_id=org_id
        ).exists()
    return False


def _resolve_recipient_organisations(owner: Organisation, m: Markings) -> list[Organisation]:
    """AMBER without explicit recipients goes to every organisation the distribution reaches."""
    if m.distribution == Distribution.ORGANISATION:
        return []
    if m.distribution == Distribution.COMMUNITIES:
        orgs = Organisation.objects.filter(communities__in=m.communities)
    else:
        orgs = Organisation.objects.filter(is_active=True)
    return list(orgs.exclude(pk=owner.pk).distinct())


def not_a_member(owner: Organisation | None, community: str) -> str:
    """The one refusal for a community the owner is not in, or that does not exist: the
    two must read the same, so that names of other communities do not leak."""
    return _("%(org)s is not a member of %(community)s.") % {
        "org": owner or _("The owner"), "community": community}


def clean_markings(owner: Organisation, creator: User | None, m: Markings) -> Markings:
    """Check markings against the rules of DESIGN.md §2 and normalise them.

    Raises ``ValidationError`` keyed by field, in the user's language.
    """
    errors: dict[str, list[str]] = {}

    def fail(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if m.distribution not in Distribution.values:
        fail("distribution", _("Unknown distribution “%s”.") % m.distribution)
    if m.tlp not in TLP.values:
        fail("tlp", _("Unknown TLP “%s”.") % m.tlp)
    if m.pap not in PAP.values:
        fail("pap", _("Unknown PAP “%s”.") % m.pap)
    if m.distribution == Distribution.PUBLIC and m.tlp != TLP.CLEAR:
        fail("tlp", _("Public distribution requires TLP:CLEAR."))
    if m.distribution == Distribution.COMMUNITIES:
        if not m.communities:
            fail("communities", _("Choose at least one community."))
        member_of = set(owner.communities.values_list("pk", flat=True))
        for community in m.communities:
            if community.pk not in member_of:
                fail("communities", not_a_member(owner, community.name))
    else:
        m.communities = []

    unknown = [code for code in m.handling if code not in Handling.values]
    if unknown:
        fail("handling", _("Unknown handling code(s): %s.") % ", ".join(unknown))
    m.handling = [code for code in Handling.values if code in m.handling]

    scheme = GRADING_SCHEMES.get(m.grading_scheme)
    if scheme is None:
        fail("grading_scheme", _("Unknown grading scheme “%s”.") % m.grading_scheme)
    else:
        for name, table in (("grading_source", scheme.source),
                            ("grading_information", scheme.information),
                            ("grading_handling", scheme.handling)):
            value = getattr(m, name)
            if value and value not in table:
                allowed = ", ".join(table) or _("none")
                fail(name, _("“%(value)s” is not a code of %(scheme)s (allowed: %(allowed)s).")
                     % {"value": value, "scheme": scheme.label, "allowed": allowed})

    if m.tlp == TLP.RED:
        m.recipient_organisations = []
        if creator is not None and creator not in m.recipients:
            m.recipients = [creator, *m.recipients]
        if not [r for r in m.recipients if r != creator]:
            fail("recipients", _("TLP:RED needs at least one named recipient."))
        for person in m.recipients:
            if not _reaches(owner, m, person.organisation_id):
                fail("recipients", _("%s is outside the chosen distribution.") % person)
    elif m.tlp in (TLP.AMBER, TLP.AMBER_STRICT):
        m.recipients = []
        if not m.recipient_organisations:
            m.recipient_organisations = _resolve_recipient_organisations(owner, m)
        for org in m.recipient_organisations:
            if not _reaches(owner, m, org.pk):
                fail("recipient_organisations",
                     _("%s is outside the chosen distribution.") % org)
    else:
        m.recipients, m.recipient_organisations = [], []

    if errors:
        raise ValidationError(errors)
    return m


def apply_markings(record: Any, m: Markings) -> None:
    """Set the checked markings ``m`` on a record or a version (not saved)."""
    for name in ("distribution", "tlp", "pap", "handling", "handling_note", "grading_scheme",
                 "grading_source", "grading_information", "grading_handling"):
        setattr(record, name, getattr(m, name))
    record.audience = audience_for(m)


def audience_for(m: Markings) -> Audience | None:
    """The stored audience with exactly these lists (created on first use), or None."""
    ids = ([c.pk for c in m.communities], [o.pk for o in m.recipient_organisations],
           [u.pk for u in m.recipients])
    if not any(ids):
        return None
    audience, created = Audience.objects.get_or_create(key=Audience.key_for(*ids))
    if created:
        audience.communities.set(ids[0])
        audience.organisations.set(ids[1])
        audience.people.set(ids[2])
    return audience


def markings_detail(m: Markings) -> dict[str, Any]:
    return {
        "distribution": m.distribution,
        "tlp": m.tlp,
        "communities": sorted(c.name for c in m.communities),
        "recipient_organisations": sorted(o.pk for o in m.recipient_organisations),
        "recipients": sorted(u.pk for u in m.recipients),
        "pap": m.pap,
    }


def create_shareable(
    record: Shareable, *, user: User, markings: Markings, request: Any = None
) -> Shareable:
    """Save a new record owned by ``user``'s organisation with validated markings.

    Call inside ``transaction.atomic()``; appends the audit entry.
    """
    if user.organisation_id is None:
        raise ValidationError(_("Your account belongs to no organisation."))
    record.owner = user.organisation
    record.created_by = user
    m = clean_markings(record.owner, user, markings)
    apply_markings(record, m)
    record.full_clean(exclude=["owner", "created_by"])
    record.save()
    audit.record(audit.Action.CREATE, actor=user, target=record, request=request,
                 detail=markings_detail(m))
    return record


def update_shareable(
    record: Shareable, *, user: User, markings: Markings, changed: Iterable[str] = (),
    request: Any = None,
) -> Shareable:
    """Save changes to ``record`` and its markings; call inside ``transaction.atomic()``."""
    m = clean_markings(record.owner, record.created_by or user, markings)
    apply_markings(record, m)
    record.modified = timezone.now()
    record.full_clean(exclude=["owner", "created_by"])
    record.save()
    audit.record(audit.Action.UPDATE, actor=user, target=record, request=request,
                 detail={**markings_detail(m), "changed": sorted(changed)})
    return record


def delete_shareable(record: Shareable, *, user: User, request: Any = None) -> None:
    audit.record(audit.Action.DELETE, actor=user, target=record, request=request)
    record.delete()


def record_view(record: Shareable, *, user: User, request: Any = None) -> None:
    """Audit a read of restricted material (TLP:AMBER+STRICT and TLP:RED)."""
    if record.tlp in (TLP.AMBER_STRICT, TLP.RED):
        audit.record(audit.Action.VIEW, actor=user, target=record, request=request)


def new_compartment(kind: str, organisation_ids: Iterable[int]) -> Compartment:
    """A compartment holding ``organisation_ids`` (an operation's participants, a
    message's parties); the caller's transaction writes it with the record it closes."""
    compartment = Compartment.objects.create(kind=kind)
    compartment.organisations.set(set(organisation_ids))
    return compartment


def set_compartment(compartment: Compartment, organisation_ids: Iterable[int]) -> None:
    """Make ``compartment`` hold exactly ``organisation_ids``; the caller audits the change
    on the record the compartment closes."""
    compartment.organisations.set(set(organisation_ids))


def why_not_reached(owner: Organisation, markings: Markings, org: Organisation) -> str:
    """Why organisation ``org`` is outside the audience of a record of ``owner`` marked
    ``markings``, naming the conflict — the one wording for every refusal to send, forward
    or open a record to an organisation (products, messages, operations)."""
    if not _reaches(owner, markings, org.pk):
        if markings.distribution == Distribution.COMMUNITIES:
            return _("%(org)s is in none of the communities it goes to (%(names)s).") % {
                "org": org, "names": ", ".join(c.name for c in markings.communities)}
        return _("%(org)s is outside its distribution (%(distribution)s).") % {
            "org": org, "distribution": Distribution(markings.distribution).label}
    if markings.tlp == TLP.RED:
        return _("TLP:RED: nobody at %(org)s is a named recipient.") % {"org": org}
    return _("%(tlp)s: %(org)s is not one of its recipient organisations.") % {
        "tlp": TLP(markings.tlp).label, "org": org}
