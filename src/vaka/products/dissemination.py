"""Dissemination: sending an approved revision to chosen countries, organisations and
communities, the acknowledgements of alerts, and the reminders and e-mail that follow.

A product goes only to organisations inside its revision's audience: each chosen
recipient is checked with the visibility policy itself (``audience_q``), and a recipient
outside is refused with the reason — the distribution does not reach it, or the TLP
keeps it out. Recipients get an inbox notice, carrying the revision's markings (a TLP:RED
alert's notice reaches only its named people), and an e-mail that says only that
something is waiting. Mail that fails is retried with back-off (``Delivery``) and shown
on the product; it is never dropped.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from vaka.backoff import retry_delay
from vaka.directory.models import Community, Country, Organisation, User
from vaka.directory.roles import Capability, Role
from vaka.inbox.models import InboxSettings, Notice
from vaka.inbox.services import notify
from vaka.policy import audit
from vaka.policy.markings import TLP, Distribution
from vaka.policy.services import Markings, why_not_reached
from vaka.policy.visibility import anyone_of, audience_q, can_see
from vaka.products.kinds import ACKNOWLEDGED
from vaka.products.models import Delivery, Product, Recipient, Revision, Status, Transition
from vaka.products.services import current_revision, mirror

log = logging.getLogger(__name__)

# The first reminder when an acknowledgement is overdue, then one a day; after this many
# the recipient's organisation admins are told.
REMINDERS_BEFORE_ESCALATION = 2
REMIND_EVERY = timedelta(days=1)
# E-mail retries: 1, 2, 4 … minutes, at most a day apart (``vaka.backoff``), given up
# after MAX_ATTEMPTS.
MAX_ATTEMPTS = 12


@dataclass(frozen=True)
class Choice:
    """Who a product goes to, as the disseminator chose."""

    countries: tuple[str, ...] = ()
    organisations: tuple[int, ...] = ()
    communities: tuple[int, ...] = ()


def _readers(revision: Revision, org: Organisation) -> list[User] | None:
    """The active people of ``org`` in ``revision``'s audience (the policy decides); None
    when the organisation itself is outside it (for TLP:RED: none of its people is named).
    An organisation inside with nobody signed up yet gets the product all the same."""
    in_audience = Revision.objects.filter(pk=revision.pk)
    if revision.tlp == TLP.RED:
        named = User.objects.filter(organisation=org, is_active=True,
                                    pk__in=revision.recipients.values("pk"))
        people = [person for person in named if in_audience.filter(
            audience_q(person, Revision.owner_path)).exists()]
        return people or None
    if not in_audience.filter(audience_q(anyone_of(org), Revision.owner_path)).exists():
        return None
    return list(User.objects.filter(organisation=org, is_active=True))


def _resolve(choice: Choice) -> dict[int, tuple[Organisation, str]]:
    """The organisations ``choice`` names, each with how it was chosen."""
    errors: dict[str, list[str]] = {}
    found: dict[int, tuple[Organisation, str]] = {}
    countries = {c.code: c for c in Country.objects.filter(code__in=[
        code.upper() for code in choice.countries])}
    for code in choice.countries:
        if code.upper() not in countries:
            errors.setdefault("countries", []).append(_("Unknown country “%s”.") % code)
    for org in Organisation.objects.filter(country__in=countries.values(), is_active=True):
        found.setdefault(org.pk, (org, f"country:{org.country_id}"))
    communities = {c.pk: c for c in Community.objects.filter(pk__in=choice.communities)}
    for pk in choice.communities:
        if pk not in communities:
            errors.setdefault("communities", []).append(_("Unknown community %s.") % pk)
    for community in communities.values():
        for org in community.members.filter(is_active=True):
            found.setdefault(org.pk, (org, f"community:{community.pk}"))
    orgs = {o.pk: o for o in Organisation.objects.filter(pk__in=choice.organisations,
                                                          is_active=True)}
    for pk in choice.organisations:
        if pk not in orgs:
            errors.setdefault("organisations", []).append(_("Unknown organisation %s.") % pk)
        else:
            found[pk] = (orgs[pk], "organisation")
    if errors:
        raise ValidationError(errors)
    return found


def _may_disseminate(user: User, product: Product) -> bool:
    return (user.organisation_id == product.owner_id and can_see(user, product)
            and (user.can(Capability.PUBLISH) or user.can(Capability.CONTRIBUTE)))


@transaction.atomic
def disseminate(product: Product, *, user: User, choice: Choice,
                deadline: datetime | None = None, comment: str = "",
                request: Any = None) -> list[Recipient]:
    """Send the approved current revision to the organisations ``choice`` names.

    Refused as a whole, naming each conflict, when any chosen organisation is outside
    the revision's audience. The revision becomes what readers get; recipients are told
    (inbox and e-mail); alerts ask each for an acknowledgement by ``deadline`` (or the
    product's ``ack_deadline``)."""
    product = Product.objects.select_for_update().get(pk=product.pk)
    if not _may_disseminate(user, product):
        raise PermissionDenied(_("You may not disseminate this product."))
    revision = current_revision(product)
    if revision.status != Status.APPROVED:
        raise ValidationError(_("Revision %(n)d is %(status)s: only an approved revision is "
                                "disseminated.") % {"n": revision.number,
                                                    "status": revision.get_status_display()})
    found = _resolve(choice)
    found.pop(product.owner_id, None)
    public = revision.distribution == Distribution.PUBLIC
    if not found and not public:
        raise ValidationError({"countries": [_("Choose at least one country, organisation "
                                               "or community.")]})
    readers: dict[int, list[User]] = {}
    conflicts = []
    for org, _how in found.values():
        people = _readers(revision, org)
        if people is None:
            conflicts.append(why_not_reached(product.owner, Markings.of(revision), org))
        readers[org.pk] = people or []
    if conflicts:
        raise ValidationError({"organisations": sorted(conflicts)})
    deadline = deadline or product.ack_deadline
    acknowledged = product.kind in ACKNOWLEDGED
    if acknowledged and found and (deadline is None or deadline <= timezone.now()):
        raise ValidationError({"deadline": [_("An alert needs an acknowledgement deadline in "
                                              "the future.")]})
    now = timezone.now()
    Transition.objects.create(product=product, revision=revision.number,
                              from_status=revision.status, to_status=Status.DISSEMINATED,
                              by=user, comment=comment)
    revision.status, revision.released_at = Status.DISSEMINATED, now
    revision.save(update_fields=["status", "released_at"])
    mirror(product, revision)
    product.status, product.released_revision = Status.DISSEMINATED, revision.number
    product.released_at = product.released_at or now
    product.ack_deadline = deadline if acknowledged else None
    product.modified = now
    product.save()
    rows = []
    for org, how in found.values():
        row, _created = Recipient.objects.update_or_create(
            product=product, organisation=org, defaults={
                "chosen_as": how, "revision": revision.number, "disseminated_at": now,
                "disseminated_by": user, "ack": Recipient.Ack.PENDING, "ack_note": "",
                "ack_by": None, "ack_at": None, "due_at": deadline if acknowledged else None,
                "reminders": 0, "reminded_at": None, "escalated_at": None})
        rows.append(row)
        _tell(product, revision, org.pk, Notice.Kind.PRODUCT, readers[org.pk],
              Delivery.Reason.DISSEMINATED, key=f"product:{product.pk}:r{revision.number}")
    audit.record(audit.Action.PRODUCT_DISSEMINATE, actor=user, target=product,
                 request=request, detail={
                     "revision": revision.number, "organisations": sorted(found),
                     "countries": sorted(choice.countries),
                     "communities": sorted(choice.communities),
                     "deadline": deadline.isoformat() if deadline and acknowledged else None,
                     "comment": comment[:500]})
    return rows


def _tell(product: Product, revision: Revision, org_id: int, kind: str,
          people: Iterable[User], reason: str, *, key: str) -> None:
    """An inbox notice for ``org_id`` within the revision's audience, and an e-mail notice
    to each of ``people`` who takes e-mail."""
    notify(kind=kind, owner_id=org_id, group_key=key, tlp=revision.tlp,
           audience_id=revision.audience_id, target_name="products:product",
           target_args=[product.pk],
           params={"reference": product.reference, "kind": product.kind,
                   "title": revision.title[:200], "revision": revision.number})
    queue_mail(product, people, reason)


def queue_mail(product: Product, people: Iterable[User], reason: str) -> int:
    """Queue the e-mail notice for ``people`` (not those who want no e-mail); sent after
    commit, retried by the scheduler until it goes."""
    opted_out = set(InboxSettings.objects.filter(email=InboxSettings.Email.NONE)
                    .values_list("user_id", flat=True))
    rows = [Delivery(product=product, user=person, reason=reason) for person in people
            if person.email and person.pk not in opted_out]
    Delivery.objects.bulk_create(rows)
    if rows:
        transaction.on_commit(_enqueue_send)
    return len(rows)


def _enqueue_send() -> None:
    from vaka.products import tasks

    try:
        tasks.send_mail_due.delay()
    except Exception:  # the scheduler's next round sends them
        log.exception("products: could not queue the mail")


def ask_for_review(product: Product, revision: Revision, *, by: User) -> None:
    """Tell the owner organisation's publishers (but the writer) a revision waits."""
    publishers = [u for u in User.objects.filter(organisation_id=product.owner_id,
                                                 is_active=True).exclude(pk=by.pk)
                  if u.can(Capability.PUBLISH)]
    notify(kind=Notice.Kind.PRODUCT_REVIEW, owner_id=product.owner_id,
           group_key=f"review:{product.pk}:r{revision.number}", tlp=revision.tlp,
           audience_id=revision.audience_id, target_name="products:product",
           target_args=[product.pk],
           params={"reference": product.reference, "kind": product.kind,
                   "title": revision.title[:200], "revision": revision.number})
    queue_mail(product, [u for u in publishers if can_see(u, revision)],
               Delivery.Reason.REVIEW)


# --- Acknowledgements ------------------------------------------------------------------------

@transaction.atomic
def acknowledge(product: Product, *, user: User, ack: str, note: str = "",
                request: Any = None) -> Recipient:
    """The user's organisation acknowledges an alert: received, or actioned (with a note)."""
    product = Product.objects.get(pk=product.pk)
    row = Recipient.objects.select_for_update().filter(
        product=product, organisation_id=user.organisation_id).first()
    if row is None or not can_see(user, product) or product.kind not in ACKNOWLEDGED:
        raise ValidationError(_("Your organisation was not asked to acknowledge this product."))
    if not user.can(Capability.VIEW):
        raise PermissionDenied(_("Your role may not acknowledge products."))
    if ack not in (Recipient.Ack.RECEIVED, Recipient.Ack.ACTIONED):
        raise ValidationError({"ack": [_("Acknowledge as “received” or “actioned”.")]})
    if product.status == Status.CLOSED:
        raise ValidationError(_("This alert is closed."))
    if row.ack == Recipient.Ack.ACTIONED and ack == Recipient.Ack.RECEIVED:
        raise ValidationError({"ack": [_("Your organisation already reported it actioned.")]})
    row.ack, row.ack_note, row.ack_by, row.ack_at = ack, note.strip()[:4000], user, timezone.now()
    row.save(update_fields=["ack", "ack_note", "ack_by", "ack_at"])
    audit.record(audit.Action.ACKNOWLEDGE, actor=user, target=product, request=request,
                 detail={"ack": ack, "revision": row.revision})
    return row


@transaction.atomic
def close(product: Product, *, user: User, comment: str = "", request: Any = None) -> Product:
    """Close a disseminated alert: no more acknowledgements are chased."""
    product = Product.objects.select_for_update().get(pk=product.pk)
    if not _may_disseminate(user, product):
        raise PermissionDenied(_("You may not close this product."))
    if product.kind not in ACKNOWLEDGED or product.status != Status.DISSEMINATED:
        raise ValidationError(_("Only a disseminated alert is closed."))
    Transition.objects.create(product=product, revision=product.released_revision or 0,
                              from_status=product.status, to_status=Status.CLOSED, by=user,
                              comment=comment)
    product.status, product.closed_at = Status.CLOSED, timezone.now()
    product.save(update_fields=["status", "closed_at"])
    audit.record(audit.Action.PRODUCT_CLOSE, actor=user, target=product, request=request,
                 detail={"comment": comment[:500]})
    return product


def chase_overdue(now: datetime | None = None) -> dict[str, int]:
    """One scheduler round: remind recipients whose acknowledgement is overdue (once a
    day), and tell their organisation admins after ``REMINDERS_BEFORE_ESCALATION``."""
    now = now or timezone.now()
    reminded = escalated = 0
    due = (Recipient.objects.filter(ack=Recipient.Ack.PENDING, due_at__lt=now,
                                    product__status=Status.DISSEMINATED)
           .filter(Q(reminded_at__isnull=True) | Q(reminded_at__lte=now - REMIND_EVERY))
           .filter(escalated_at__isnull=True).select_related("product", "organisation"))
    for row in due:
        with transaction.atomic():
            # Claimed first: two schedulers never both remind.
            if not Recipient.objects.filter(pk=row.pk, reminded_at=row.reminded_at,
                                            escalated_at__isnull=True).update(
                    reminded_at=now, reminders=row.reminders + 1):
                continue
            product = row.product
            revision = product.revisions.get(number=row.revision)
            readers = _readers(revision, row.organisation) or []
            if row.reminders + 1 > REMINDERS_BEFORE_ESCALATION:
                Recipient.objects.filter(pk=row.pk).update(escalated_at=now)
                admins = [u for u in readers if u.role in (Role.ORG_ADMIN,)]
                _tell(product, revision, row.organisation_id, Notice.Kind.ACK_ESCALATED,
                      admins, Delivery.Reason.ESCALATION,
                      key=f"escalated:{product.pk}:r{revision.number}")
                escalated += 1
            else:
                _tell(product, revision, row.organisation_id, Notice.Kind.ACK_REMINDER,
                      readers, Delivery.Reason.REMINDER,
                      key=f"reminder:{product.pk}:r{revision.number}")
                reminded += 1
    return {"reminded": reminded, "escalated": escalated}


# --- E-mail ---------------------------------------------------------------------------------

def _message(user: User) -> tuple[str, str]:
    with translation.override(user.language or settings.LANGUAGE_CODE):
        subject = _("%(site)s: a product is waiting for you") % {"site": settings.SITE_NAME}
        body = "\n\n".join([
            _("A product in %(site)s needs your attention.") % {"site": settings.SITE_NAME},
            _("Sign in to read it: %(link)s") % {
                "link": settings.BASE_URL + reverse("inbox:list")},
            _("This e-mail says no more on purpose."),
        ])
    return subject, body


def send_mail_due(now: datetime | None = None, *, limit: int = 500) -> dict[str, int]:
    """Send the queued and failed e-mail notices whose time has come. A failure is kept
    with its error and tried again later (``retry_delay``); never lost."""
    now = now or timezone.now()
    sent = failed = 0
    due = (Delivery.objects.filter(state__in=[Delivery.State.PENDING, Delivery.State.FAILED],
                                   next_attempt_at__lte=now)
           .select_related("user").order_by("next_attempt_at", "pk")[:limit])
    for delivery in due:
        # Claimed by moving its next attempt on: a second sender skips it.
        attempts = delivery.attempts + 1
        if not Delivery.objects.filter(pk=delivery.pk, attempts=delivery.attempts).update(
                attempts=attempts, next_attempt_at=now + retry_delay(attempts)):
            continue
        subject, body = _message(delivery.user)
        try:
            send_mail(subject, body, None, [delivery.user.email])
        except Exception as error:  # the mail server's trouble: kept, shown, retried
            state = (Delivery.State.GAVE_UP if attempts >= MAX_ATTEMPTS
                     else Delivery.State.FAILED)
            Delivery.objects.filter(pk=delivery.pk).update(
                state=state, last_error=f"{type(error).__name__}: {error}"[:300])
            failed += 1
            continue
        Delivery.objects.filter(pk=delivery.pk).update(state=Delivery.State.SENT, sent_at=now,
                                                       last_error="")
        sent += 1
    return {"sent": sent, "failed": failed}


@transaction.atomic
def retry_mail(product: Product, *, user: User, request: Any = None) -> int:
    """Send the product's given-up and failed mails again now (the owner's publishers)."""
    if not _may_disseminate(user, product):
        raise PermissionDenied(_("You may not change this product."))
    count = Delivery.objects.filter(product=product, state__in=[
        Delivery.State.FAILED, Delivery.State.GAVE_UP]).update(
        state=Delivery.State.FAILED, next_attempt_at=timezone.now(), attempts=0)
    if count:
        transaction.on_commit(_enqueue_send)
    return count
