"""Who may see a shareable record: the one place that decides.

A record's audience is the intersection of two sets:

* what its **distribution** reaches — ``organisation``: users of the owner organisation;
  ``communities``: the owner plus every member organisation of the record's communities;
  ``members`` and ``federation``: every user of this instance; ``public``: everyone;
* what its **TLP** allows — CLEAR and GREEN: no narrowing; AMBER: the owner, the recipient
  organisations and their clients (organisations ``served_by`` a recipient);
  AMBER+STRICT: the owner and the recipient organisations; RED: the named recipients.

A record with a release step (a product, declared by the model's ``released_path``)
reaches nobody outside its owner organisation until it is released, whatever its markings.

A record in a **compartment** (an operation, a secure message; declared by the model's
``compartment_path``, the path to its :class:`~vaka.policy.models.Compartment`) reaches
only users of the compartment's organisations — an operation's participants, a message's
sender and recipients — and within them only its markings' audience. Nobody outside,
platform admins included, sees it or learns that it exists.

A record that is part of another (an operation's targets, tasks and actions; declared by
``markings_path``, e.g. ``"operation__"``) has no markings of its own: it is seen exactly
where the record it belongs to is.

A **personal record** (a training participant; declared by ``person_org_path`` and
``personal_audiences``) has no markings: it reaches users of the person's organisation and
the users its ``personal_audiences`` paths name (the person themself, the trainers of the
sessions they are enrolled in, the coordinators of those sessions' programmes), nobody
else. Personal data about the person in a marked record (an enrolment, a quiz attempt;
declared by ``personal_path``, e.g. ``"participant__"``) is seen only where both the
person and the record's markings are. A part that carries a copy of its person's
organisation (``personal_org_path``: a statistics row) is read from that copy.

Anonymous visitors (and users without an organisation) see ``public`` records marked
TLP:CLEAR and nothing else. Roles never widen the audience: a platform admin sees what
their organisation is entitled to, like anyone else.
"""

from types import SimpleNamespace
from typing import Any

from django.db import models
from django.db.models import Exists, OuterRef, Q

from vaka.policy.markings import TLP, Distribution

AnyUser = Any  # a User or AnonymousUser


def _audience_has(field_name: str, prefix: str = "", **target: Any) -> Exists:
    """EXISTS (a row of the record's audience list ``field_name`` whose target matches)."""
    from vaka.policy.models import Audience

    field = Audience._meta.get_field(field_name)
    through = field.remote_field.through
    lookups = {f"{field.m2m_reverse_field_name()}__{key}": value
               for key, value in target.items()}
    return Exists(through.objects.filter(
        **{f"{field.m2m_field_name()}_id": OuterRef(f"{prefix}audience_id")}, **lookups))


def public_q(prefix: str = "") -> Q:
    return Q(**{f"{prefix}distribution": Distribution.PUBLIC, f"{prefix}tlp": TLP.CLEAR})


def audience_q(user: AnyUser, owner: str = "owner_id", prefix: str = "") -> Q:
    """The filter selecting the marked records that ``user`` may see.

    ``owner``: the path to the owning organisation's id (a STIX object version is owned
    through its object); ``prefix``: the path to the markings (``""``: the record's own
    fields; ``"operation__"``: those of the operation a target belongs to)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return public_q(prefix)
    org_id = user.organisation_id
    if org_id is None:
        return public_q(prefix)
    served_by_id = user.organisation.served_by_id
    distribution, tlp = f"{prefix}distribution", f"{prefix}tlp"

    reached = (
        Q(**{owner: org_id})
        | Q(**{f"{distribution}__in": [Distribution.MEMBERS, Distribution.FEDERATION,
                                       Distribution.PUBLIC]})
        | (Q(**{distribution: Distribution.COMMUNITIES})
           & Q(_audience_has("communities", prefix, members__id=org_id)))
    )
    amber_orgs = [org_id] if served_by_id is None else [org_id, served_by_id]
    allowed = (
        Q(**{f"{tlp}__in": [TLP.CLEAR, TLP.GREEN]})
        | (Q(**{f"{tlp}__in": [TLP.AMBER, TLP.AMBER_STRICT]}) & Q(**{owner: org_id}))
        | (Q(**{tlp: TLP.AMBER})
           & Q(_audience_has("organisations", prefix, id__in=amber_orgs)))
        | (Q(**{tlp: TLP.AMBER_STRICT})
           & Q(_audience_has("organisations", prefix, id=org_id)))
        | (Q(**{tlp: TLP.RED}) & Q(_audience_has("people", prefix, id=user.pk)))
    )
    return reached & allowed


def anyone_of(org: Any) -> Any:
    """Any active member of organisation ``org`` who is not a named TLP:RED recipient: to
    ask ``audience_q`` whether a record reaches that organisation (before telling it, or
    sending it something)."""
    return SimpleNamespace(is_authenticated=True, is_active=True, pk=None,
                           organisation_id=org.pk, organisation=org)


def reaches(record: models.Model, org: Any) -> bool:
    """Whether ``record``'s markings reach organisation ``org``: someone there is in its
    audience — any member (``anyone_of``), or for TLP:RED one of its active named people.
    Its compartment is not asked (a forward goes beyond the original's). Asked before
    sending a record to an organisation or telling it of one: a notice carries the
    record's TLP and audience, not its distribution."""
    saved = type(record)._default_manager.filter(pk=record.pk)
    if record.tlp == TLP.RED:
        from vaka.directory.models import User

        named = User.objects.filter(organisation=org, is_active=True,
                                    pk__in=record.recipients.values("pk"))
        return any(saved.filter(audience_q(person)).exists() for person in named)
    return saved.filter(audience_q(anyone_of(org))).exists()


def _organisation_of(user: AnyUser) -> int | None:
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    return user.organisation_id


def compartment_q(user: AnyUser, path: str) -> Q:
    """The records whose compartment (at ``path``, a compartment id) holds ``user``'s
    organisation; nothing for anyone without one."""
    from vaka.policy.models import Compartment

    org_id = _organisation_of(user)
    if org_id is None:
        return Q(pk__in=[])
    through = Compartment.organisations.through
    return Q(Exists(through.objects.filter(compartment_id=OuterRef(path),
                                           organisation_id=org_id)))


def _related_model(model: type[models.Model], prefix: str) -> type[models.Model]:
    for name in filter(None, prefix.split("__")):
        model = model._meta.get_field(name).related_model
    return model


# The most ids a bulk rule reads first and asks as a list (SQLite takes 32,766 parameters).
_LISTED = 1000


def _listed(ids: models.QuerySet) -> list[Any] | models.QuerySet:
    """``ids`` read now when there are at most ``_LISTED`` of them: each row is then asked
    of a short list; past that, the subquery, which the database answers once a
    statement."""
    first = list(ids.values_list("pk", flat=True)[:_LISTED + 1])
    return first if len(first) <= _LISTED else ids


def personal_q(user: AnyUser, model: type[models.Model], *, bulk: bool = False) -> Q:
    """The personal records of ``model`` (or the records whose person, at ``personal_path``,
    is one) that ``user`` may see: those of the people of their organisation, and those
    whose ``personal_audiences`` name them. Nothing for anyone signed out.

    ``bulk``: the same rule as uncorrelated subqueries, which the database answers once a
    statement rather than once a row — for reading most of a large table at once
    (statistics); a page reading a few rows keeps the default. The sets a part asks of
    itself (``personal_via_row``: a reader's own sessions and programmes) are read first
    when they hold at most ``_LISTED`` ids, so each row is asked of a short list rather
    than of a subquery; the people a reader sees through others stay subqueries (reading
    them first would cost a search of every enrolment for a reader who sees none)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    prefix = getattr(model, "personal_path", "")
    person = _related_model(model, prefix)
    person_ref = f"{prefix[:-2]}_id" if prefix else "pk"
    q = Q(pk__in=[])
    if bulk:
        # A part may say which users see its person through the part itself
        # (``personal_via_row``, each path one of ``personal_audiences`` read from the
        # part): asked first, they spare most rows the sets below.
        for path in getattr(model, "personal_via_row", ()):
            first, _, rest = path.partition("__")
            related = model._meta.get_field(first).related_model
            q |= Q(**{f"{first}_id__in": _listed(related._default_manager.filter(
                **{rest: user.pk}).values("pk"))})
    for path in person.personal_audiences:
        named = person._default_manager.filter(**{path: user.pk})
        if bulk:
            q |= Q(**{f"{person_ref}__in": named.values("pk")})
        else:
            q |= Q(Exists(named.filter(pk=OuterRef(person_ref))))
    if user.organisation_id is not None:
        org_path = getattr(model, "personal_org_path", f"{prefix}{person.person_org_path}")
        q |= Q(**{org_path: user.organisation_id})
    return q


def _owner_path(model: type[models.Model]) -> str:
    return getattr(model, "owner_path", "owner_id")


def record_q(user: AnyUser, model: type[models.Model], *, bulk: bool = False) -> Q:
    """The filter selecting the records of ``model`` that ``user`` may see: the audience,
    within its compartment for a model in one, and for a model with a release step
    (``released_path``: the field set when it is released) nothing of another
    organisation's until it is released."""
    if hasattr(model, "person_org_path"):
        return personal_q(user, model, bulk=bulk)
    owner = _owner_path(model)
    q = audience_q(user, owner, getattr(model, "markings_path", ""))
    compartment = getattr(model, "compartment_path", "")
    if compartment:
        q &= compartment_q(user, compartment)
    released = getattr(model, "released_path", "")
    if released:
        shown = Q(**{f"{released}__isnull": False})
        org_id = getattr(user, "organisation_id", None) if (
            user is not None and user.is_authenticated) else None
        if org_id is not None:
            shown |= Q(**{owner: org_id})
        q &= shown
    if hasattr(model, "personal_path"):
        q &= personal_q(user, model, bulk=bulk)
    return q


class ShareableQuerySet(models.QuerySet):
    def visible_to(self, user: AnyUser) -> "ShareableQuerySet":
        return self.filter(record_q(user, self.model))


def visible_to(user: AnyUser, queryset: models.QuerySet, *,
               bulk: bool = False) -> models.QuerySet:
    """Narrow ``queryset`` of marked records (shareable records, object versions,
    submissions, products and their revisions) to those ``user`` may see. ``bulk``: the
    same rows, asked in the shape that suits reading most of a large table at once (see
    :func:`personal_q`)."""
    return queryset.filter(record_q(user, queryset.model, bulk=bulk))


def can_see(user: AnyUser, record: models.Model) -> bool:
    """True when ``user`` is in ``record``'s audience."""
    if record.pk is None:
        return False
    model = type(record)
    return visible_to(user, model._default_manager.filter(pk=record.pk)).exists()


def can_edit(user: AnyUser, record: models.Model) -> bool:
    """Contributors of the owner organisation who can see a record may change it."""
    from vaka.directory.roles import Capability

    return (
        user.is_authenticated
        and user.organisation_id == record.owner_id
        and user.can(Capability.CONTRIBUTE)
        and can_see(user, record)
    )
