"""Writing products: drafts, revisions, translations, attachments and the review workflow.

Dissemination, acknowledgements and their reminders are in ``products.dissemination``;
campaigns in ``products.campaigns``. Every write here checks who may make it, validates
what it is given (one ``ValidationError`` keyed by field), writes in one transaction and
appends its audit entry.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vaka.directory.models import Country, User
from vaka.directory.roles import Capability
from vaka.intel.crime_types import CrimeType
from vaka.intel.models import StixObject
from vaka.policy import audit
from vaka.policy.services import Markings, apply_markings, clean_markings, markings_detail
from vaka.policy.visibility import can_see, visible_to
from vaka.products.kinds import COUNTRIES, LINE, PREFIXES, SECTORS, Sector, sections_of
from vaka.products.models import (
    Attachment,
    Campaign,
    Kind,
    Product,
    Revision,
    Status,
    Transition,
    Translation,
)
from vaka.uploads import read_upload

LANGUAGE_CODES = [code for code, _name in settings.LANGUAGES]
MAX_LINKED = 5000


@dataclass
class Content:
    """What a writer gives for a revision (the same for the form, the API and the CLI)."""

    title: str
    summary: str = ""
    body: str = ""
    sections: dict[str, Any] = field(default_factory=dict)
    crime_types: list[str] = field(default_factory=list)
    language: str = "en"
    linked: list[int] = field(default_factory=list)  # StixObject ids
    ack_deadline: datetime | None = None
    period_start: date | None = None
    period_end: date | None = None
    campaign: int | None = None
    # Charts of the analytics to insert (keys of ``analytics.CHARTS``), drawn from the
    # writer's figures when saved: a product says what it said when it was approved.
    charts: list[str] | None = None


def _clean_content(kind: str, content: Content, user: User) -> dict[str, list[str]]:
    """What is wrong with ``content``, keyed by field; normalises it in place."""
    errors: dict[str, list[str]] = {}

    def fail(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    content.title = content.title.strip()
    if not content.title:
        fail("title", _("A product needs a title."))
    elif len(content.title) > 300:
        fail("title", _("The title is %(n)d characters long; at most 300 fit.")
             % {"n": len(content.title)})
    if content.language not in LANGUAGE_CODES:
        fail("language", _("“%(code)s” is not a language of this instance (%(known)s).")
             % {"code": content.language, "known": ", ".join(LANGUAGE_CODES)})
    unknown = [c for c in content.crime_types if c not in CrimeType.values]
    if unknown:
        fail("crime_types", _("Unknown crime type(s): %s.") % ", ".join(unknown))
    content.crime_types = [c for c in CrimeType.values if c in content.crime_types]
    sections: dict[str, Any] = {}
    known = {section.name for section in sections_of(kind)}
    for name in sorted(set(content.sections) - known):
        fail(name, _("A %(kind)s has no section “%(name)s”.")
             % {"kind": Kind(kind).label, "name": name})
    for section in sections_of(kind):
        value = content.sections.get(section.name)
        if section.form in (COUNTRIES, SECTORS):
            codes = [str(v).strip().upper() if section.form == COUNTRIES else str(v).strip()
                     for v in (value or [])]
            # PostgreSQL refuses to compare text holding NUL; no code holds one.
            asked = [c for c in codes if "\x00" not in c]
            allowed = (set(Country.objects.filter(code__in=asked).values_list("code", flat=True))
                       if section.form == COUNTRIES else set(Sector.values))
            bad = [c for c in codes if c not in allowed]
            if bad:
                fail(section.name, _("Unknown code(s) in %(section)s: %(codes)s.")
                     % {"section": section.label, "codes": ", ".join(bad)})
            sections[section.name] = list(dict.fromkeys(c for c in codes if c in allowed))
            continue
        text = "" if value is None else str(value)
        text = text.strip() if section.form == LINE else text
        if "\x00" in text:
            fail(section.name, _("%(section)s holds a NUL character.")
                 % {"section": section.label})
        if section.form == LINE and "\n" in text:
            fail(section.name, _("%(section)s is one line.") % {"section": section.label})
        if section.required and not text.strip():
            fail(section.name, _("%(section)s is required for a %(kind)s.")
                 % {"section": section.label, "kind": Kind(kind).label})
        sections[section.name] = text
    content.sections = sections
    if kind == Kind.REPORT:
        if not (content.period_start and content.period_end):
            fail("period_start", _("An activity report covers a period: give both dates."))
        elif content.period_start > content.period_end:
            fail("period_end", _("The period ends before it starts."))
    if content.ack_deadline is not None and kind != Kind.ALERT:
        fail("ack_deadline", _("Only threat alerts are acknowledged."))
    if content.campaign is not None:
        if kind != Kind.AWARENESS:
            fail("campaign", _("Only awareness material belongs to a campaign."))
        elif not visible_to(user, Campaign.objects.filter(pk=content.campaign,
                                                          owner=user.organisation_id)).exists():
            fail("campaign", _("No campaign of your organisation has the id %s.")
                 % content.campaign)
    if content.charts:
        from vaka.products.analytics import CHARTS

        unknown = [key for key in content.charts if key not in CHARTS]
        if unknown:
            fail("charts", _("Unknown chart(s): %s.") % ", ".join(unknown))
        elif kind not in (Kind.ASSESSMENT, Kind.REPORT):
            fail("charts", _("Charts go into assessments and activity reports."))
    if len(content.linked) > MAX_LINKED:
        fail("linked", _("At most %(n)d intelligence objects can be linked.")
             % {"n": MAX_LINKED})
    else:
        wanted = set(content.linked)
        seen = set(visible_to(user, StixObject.objects.filter(pk__in=wanted))
                   .values_list("pk", flat=True))
        if wanted - seen:
            # The same words for an object that does not exist and one the writer may
            # not see.
            fail("linked", _("No object you may see has the id(s) %s.")
                 % ", ".join(map(str, sorted(wanted - seen))))
        content.linked = sorted(seen)
    return errors


def _next_reference(kind: str, year: int) -> str:
    prefix = f"{PREFIXES[kind]}-{year}-"
    last = (Product.objects.filter(reference__startswith=prefix)
            .order_by("-reference").values_list("reference", flat=True).first())
    number = int(last[len(prefix):]) + 1 if last else 1
    return f"{prefix}{number:04d}"


def _check_can_write(user: User) -> None:
    if user.organisation_id is None:
        raise ValidationError(_("Your account belongs to no organisation."))
    if not user.can(Capability.CONTRIBUTE):
        raise PermissionDenied(_("Your role may not write products."))


def _fill(revision: Revision, content: Content) -> None:
    for name in ("title", "summary", "body", "sections", "crime_types", "language"):
        setattr(revision, name, getattr(content, name))


def _draw_charts(revision: Revision, content: Content, user: User, product_kind: str
                 ) -> None:
    """Put the chosen analytics charts into the revision, as the writer sees them now
    (over the report's period for an activity report)."""
    if content.charts is None:
        return
    kept = {c["key"]: c for c in (revision.figures or {}).get("charts", [])}
    if content.charts == list(kept):
        return
    from vaka.products.analytics import figures_for

    period = ({"since": content.period_start, "until": content.period_end}
              if product_kind == Kind.REPORT else {})
    drawn = figures_for(user, **period).charts if content.charts else {}
    revision.figures = {**(revision.figures or {}), "charts": [
        {"key": key, "title": chart.title, "kind": chart.kind, "unit": chart.unit,
         "labels": list(chart.labels),
         "series": [{"name": s.name, "values": list(s.values)} for s in chart.series]}
        for key in content.charts if (chart := drawn.get(key)) is not None]}


def mirror(product: Product, revision: Revision) -> None:
    """The product row shows ``revision``: what lists and readers get."""
    for name in ("title", "summary", "crime_types", "language"):
        setattr(product, name, getattr(revision, name))
    for name in ("distribution", "tlp", "audience_id", "pap", "handling", "handling_note",
                 "grading_scheme", "grading_source", "grading_information",
                 "grading_handling"):
        setattr(product, name, getattr(revision, name))


def _transition(product: Product, revision: Revision, to: str, user: User, comment: str,
                request: Any, action: str, *, from_status: str | None = None) -> None:
    Transition.objects.create(product=product, revision=revision.number,
                              from_status=from_status or revision.status, to_status=to,
                              by=user, comment=comment)
    audit.record(action, actor=user, target=product, request=request,
                 detail={"revision": revision.number, "from": from_status or revision.status,
                         "to": to, "comment": comment[:500]})


@transaction.atomic
def create_product(*, user: User, kind: str, content: Content, markings: Markings,
                   request: Any = None) -> Product:
    """A new product of ``kind`` owned by the user's organisation, as a draft revision 1."""
    _check_can_write(user)
    if kind not in Kind.values:
        raise ValidationError({"kind": [_("Unknown product kind “%s”.") % kind]})
    errors = _clean_content(kind, content, user)
    try:
        m = clean_markings(user.organisation, user, markings)
    except ValidationError as error:
        errors.update(error.message_dict)
        m = None
    if errors:
        raise ValidationError(errors)
    revision = Revision(number=1, created_by=user)
    _fill(revision, content)
    apply_markings(revision, m)
    if kind == Kind.REPORT:
        from vaka.products import reports

        revision.figures = reports.snapshot(user, content.period_start, content.period_end)
    _draw_charts(revision, content, user, kind)
    product = Product(kind=kind, owner=user.organisation, created_by=user,
                      ack_deadline=content.ack_deadline, period_start=content.period_start,
                      period_end=content.period_end, campaign_id=content.campaign)
    mirror(product, revision)
    for _attempt in range(5):
        product.reference = _next_reference(kind, timezone.now().year)
        try:
            with transaction.atomic():
                product.save()
            break
        except IntegrityError:
            continue
    else:
        raise ValidationError(_("Could not number the product; try again."))
    revision.product = product
    revision.save()
    revision.authors.add(user)
    revision.linked.set(content.linked)
    audit.record(audit.Action.CREATE, actor=user, target=product, request=request,
                 detail={"kind": kind, "revision": 1, **markings_detail(m)})
    return product


def current_revision(product: Product) -> Revision:
    return product.revisions.get(number=product.revision)


def check_writer(product: Product, user: User) -> None:
    """Only writers of the owner organisation who may see a product, and its current
    revision (a draft may be marked narrower than what was released), change it."""
    if not (user.organisation_id == product.owner_id and user.can(Capability.CONTRIBUTE)
            and can_see(user, product) and can_see(user, current_revision(product))):
        raise PermissionDenied(_("You may not change this product."))


def _editable(product: Product, user: User) -> Revision:
    check_writer(product, user)
    revision = current_revision(product)
    if revision.status != Status.DRAFT:
        raise ValidationError(_("Revision %(n)d is %(status)s and can no longer be changed; "
                                "start a new revision.")
                              % {"n": revision.number, "status": revision.get_status_display()})
    return revision


@transaction.atomic
def update_draft(product: Product, *, user: User, content: Content, markings: Markings,
                 request: Any = None) -> Revision:
    """Change the draft revision of ``product`` (content and markings)."""
    product = Product.objects.select_for_update().get(pk=product.pk)
    revision = _editable(product, user)
    errors = _clean_content(product.kind, content, user)
    try:
        m = clean_markings(product.owner, product.created_by or user, markings)
    except ValidationError as error:
        errors.update(error.message_dict)
        m = None
    if errors:
        raise ValidationError(errors)
    before = Markings.of(revision)
    changed = [name for name in ("title", "summary", "body", "sections", "crime_types",
                                 "language") if getattr(revision, name) != getattr(content, name)]
    _fill(revision, content)
    apply_markings(revision, m)
    _draw_charts(revision, content, user, product.kind)
    revision.modified = timezone.now()
    revision.save()
    revision.authors.add(user)
    # Links to objects the writer may not see (a colleague's) are kept as they are.
    held = set(revision.linked.values_list("pk", flat=True))
    hidden = held - set(visible_to(user, StixObject.objects.filter(pk__in=held))
                        .values_list("pk", flat=True))
    if held != set(content.linked) | hidden:
        revision.linked.set(set(content.linked) | hidden)
        changed.append("linked")
    if product.kind == Kind.REPORT and (product.period_start, product.period_end) != (
            content.period_start, content.period_end):
        from vaka.products import reports

        revision.figures = reports.snapshot(user, content.period_start, content.period_end)
        revision.save(update_fields=["figures"])
    product.ack_deadline, product.campaign_id = content.ack_deadline, content.campaign
    product.period_start, product.period_end = content.period_start, content.period_end
    if product.released_revision is None:
        mirror(product, revision)
    product.modified = timezone.now()
    product.save()
    detail = {"revision": revision.number, "changed": changed, **markings_detail(m)}
    remarked = markings_detail(before) != markings_detail(m)
    audit.record(audit.Action.REMARK if remarked else audit.Action.UPDATE, actor=user,
                 target=product, request=request, detail=detail)
    return revision


@transaction.atomic
def submit_for_review(product: Product, *, user: User, comment: str = "",
                      request: Any = None) -> Revision:
    """Draft → in review; the owner organisation's publishers are told."""
    from vaka.products import dissemination

    product = Product.objects.select_for_update().get(pk=product.pk)
    revision = _editable(product, user)
    _transition(product, revision, Status.IN_REVIEW, user, comment, request,
                audit.Action.PRODUCT_SUBMIT)
    revision.status = Status.IN_REVIEW
    revision.save(update_fields=["status"])
    if product.released_revision is None:
        product.status = Status.IN_REVIEW
    product.modified = timezone.now()
    product.save(update_fields=["status", "modified"])
    dissemination.ask_for_review(product, revision, by=user)
    return revision


def _reviewable(product: Product, user: User) -> Revision:
    if not (user.organisation_id == product.owner_id and user.can(Capability.PUBLISH)
            and can_see(user, product)):
        raise PermissionDenied(_("Only a publisher of the owner organisation reviews this "
                                 "product."))
    revision = current_revision(product)
    if revision.status != Status.IN_REVIEW:
        raise ValidationError(_("Revision %(n)d is not in review (it is %(status)s).")
                              % {"n": revision.number, "status": revision.get_status_display()})
    return revision


@transaction.atomic
def return_to_draft(product: Product, *, user: User, comment: str,
                    request: Any = None) -> Revision:
    """In review → draft, with the reviewer's comment (required: the writer must learn why)."""
    product = Product.objects.select_for_update().get(pk=product.pk)
    revision = _reviewable(product, user)
    if not comment.strip():
        raise ValidationError({"comment": [_("Say what needs changing.")]})
    _transition(product, revision, Status.DRAFT, user, comment, request,
                audit.Action.PRODUCT_RETURN)
    revision.status = Status.DRAFT
    revision.save(update_fields=["status"])
    if product.released_revision is None:
        product.status = Status.DRAFT
        product.save(update_fields=["status"])
    return revision


def approve(product: Product, *, user: User, comment: str = "",
            request: Any = None) -> Revision:
    """In review → approved, by a publisher of the owner organisation who did not write
    the revision. From now on the revision never changes. A writer's attempt is refused
    and stays on the audit log (written outside the change's transaction)."""
    revision = _reviewable(product, user)
    if revision.authors.filter(pk=user.pk).exists():
        audit.record(audit.Action.REFUSED, actor=user, target=product, request=request,
                     detail={"refused": "approve own revision", "revision": revision.number})
        raise ValidationError(_("You wrote revision %(n)d, so another publisher must "
                                "approve it.") % {"n": revision.number})
    with transaction.atomic():
        product = Product.objects.select_for_update().get(pk=product.pk)
        revision = _reviewable(product, user)
        if revision.authors.filter(pk=user.pk).exists():  # written to meanwhile
            raise ValidationError(_("You wrote revision %(n)d, so another publisher must "
                                    "approve it.") % {"n": revision.number})
        _transition(product, revision, Status.APPROVED, user, comment, request,
                    audit.Action.PRODUCT_APPROVE)
        revision.status, revision.approved_by, revision.approved_at = (
            Status.APPROVED, user, timezone.now())
        revision.save(update_fields=["status", "approved_by", "approved_at"])
        if product.released_revision is None:
            product.status = Status.APPROVED
            product.save(update_fields=["status"])
    return revision


@transaction.atomic
def new_revision(product: Product, *, user: User, request: Any = None) -> Revision:
    """Start revision n+1 from revision n (approved or later): a draft with the same
    content, markings, links and attachments, which goes through review again."""
    product = Product.objects.select_for_update().get(pk=product.pk)
    check_writer(product, user)
    previous = current_revision(product)
    if not previous.frozen:
        raise ValidationError(_("Revision %(n)d is still a draft or in review: change it "
                                "instead.") % {"n": previous.number})
    revision = Revision.objects.get(pk=previous.pk)
    linked = list(previous.linked.values_list("pk", flat=True))
    revision.pk, revision.number, revision.status = None, previous.number + 1, Status.DRAFT
    revision.created_by, revision.created = user, timezone.now()
    revision.modified = revision.created
    revision.approved_by = revision.approved_at = revision.released_at = None
    revision.save()
    revision.authors.add(user)
    revision.linked.set(linked)
    for attachment in previous.attachments.all():
        attachment.pk, attachment.revision = None, revision
        attachment.save()
    product.revision = revision.number
    product.modified = timezone.now()
    product.save(update_fields=["revision", "modified"])
    audit.record(audit.Action.PRODUCT_REVISE, actor=user, target=product, request=request,
                 detail={"revision": revision.number})
    return revision


# --- Translations ---------------------------------------------------------------------------

def _translation_of(revision: Revision, language: str) -> Translation:
    if language not in LANGUAGE_CODES or language == revision.language:
        raise ValidationError({"language": [
            _("Translate into another language of this instance (%s).")
            % ", ".join(code for code in LANGUAGE_CODES if code != revision.language)]})
    return (Translation.objects.filter(revision=revision, language=language).first()
            or Translation(revision=revision, language=language))


@transaction.atomic
def save_translation(product: Product, *, user: User, language: str, title: str,
                     summary: str = "", body: str = "", sections: dict[str, Any] | None = None,
                     request: Any = None) -> Translation:
    """Write or change the ``language`` translation of the current revision. A
    translation has its own review: changing an approved one sends it back to draft."""
    product = Product.objects.get(pk=product.pk)  # the current revision as it is now
    check_writer(product, user)
    revision = current_revision(product)
    translation = _translation_of(revision, language)
    content = Content(title=title, summary=summary, body=body, sections=sections or {},
                      language=revision.language)
    errors = _clean_content(product.kind, content, user)
    # Required sections may wait: a translation is often written section by section.
    errors = {k: v for k, v in errors.items() if k in ("title", *content.sections)
              and k not in {s.name for s in sections_of(product.kind) if s.required}}
    if errors:
        raise ValidationError(errors)
    translation.title, translation.summary, translation.body = (
        content.title, content.summary, content.body)
    translation.sections = content.sections
    translation.status, translation.translated_by = Translation.Review.DRAFT, user
    translation.approved_by, translation.modified = None, timezone.now()
    translation.save()
    audit.record(audit.Action.UPDATE, actor=user, target=product, request=request,
                 detail={"revision": revision.number, "translation": language})
    return translation


@transaction.atomic
def review_translation(product: Product, *, user: User, language: str, to: str,
                       request: Any = None) -> Translation:
    """Move a translation to ``in_review`` (its translator) or ``approved`` (a publisher
    who did not translate it), or back to ``draft``."""
    product = Product.objects.get(pk=product.pk)
    revision = current_revision(product)
    translation = Translation.objects.filter(revision=revision, language=language).first()
    if translation is None or not can_see(user, product) \
            or user.organisation_id != product.owner_id:
        raise ValidationError({"language": [_("There is no %s translation of this revision.")
                                            % language]})
    if to == Translation.Review.APPROVED:
        if not user.can(Capability.PUBLISH):
            raise PermissionDenied(_("Only a publisher approves a translation."))
        if translation.translated_by_id == user.pk:
            raise ValidationError(_("You translated it, so another publisher must approve it."))
        translation.approved_by = user
    elif to not in (Translation.Review.IN_REVIEW, Translation.Review.DRAFT):
        raise ValidationError(_("Unknown review status “%s”.") % to)
    elif not user.can(Capability.CONTRIBUTE):
        raise PermissionDenied(_("You may not change this product."))
    translation.status = to
    translation.save(update_fields=["status", "approved_by"])
    audit.record(audit.Action.UPDATE, actor=user, target=product, request=request,
                 detail={"revision": revision.number, "translation": language, "review": to})
    return translation


# --- Attachments ----------------------------------------------------------------------------

@transaction.atomic
def add_attachment(product: Product, *, user: User, upload: UploadedFile,
                   request: Any = None) -> Attachment:
    """Attach a file to the draft revision (at most ``VAKA_MAX_UPLOAD_MB``)."""
    product = Product.objects.select_for_update().get(pk=product.pk)
    revision = _editable(product, user)
    found = read_upload(upload)
    attachment = Attachment(revision=revision, name=found.name, content_type=found.content_type,
                            size=found.size, sha256=found.sha256, added_by=user)
    attachment.file.save(f"{found.sha256[:16]}.bin", upload, save=False)
    attachment.save()
    audit.record(audit.Action.UPDATE, actor=user, target=product, request=request,
                 detail={"revision": revision.number, "attached": attachment.name,
                         "sha256": attachment.sha256})
    return attachment


@transaction.atomic
def remove_attachment(product: Product, attachment_id: int, *, user: User,
                      request: Any = None) -> None:
    product = Product.objects.select_for_update().get(pk=product.pk)
    revision = _editable(product, user)
    attachment = revision.attachments.filter(pk=attachment_id).first()
    if attachment is None:
        raise ValidationError(_("This revision has no attachment %s.") % attachment_id)
    attachment.delete()
    audit.record(audit.Action.UPDATE, actor=user, target=product, request=request,
                 detail={"revision": revision.number, "removed": attachment.name})
