"""The after-action report: an operation's objective, participants, timeline, results and
lessons learned, written as a product draft that then goes through the products workflow
(review, approval by a publisher who did not write it, dissemination).

It is an activity report (``products.models.Kind.REPORT``, whose ``operations`` section
fits) covering the operation's dates. Its markings are the operation's — TLP, PAP,
handling and grading — and it reaches nobody the operation does not: a product has no
compartment, so the audience is named with what the TLP can name:

* TLP:RED — the same named people, those of them who can see the operation now;
* TLP:AMBER+STRICT and TLP:AMBER — the participating organisations that see the
  operation, as recipient organisations (TLP:AMBER also reaches a recipient's clients, so
  when a recipient serves an organisation outside the operation, as for TLP:CLEAR and
  TLP:GREEN below, the draft stays in the writer's organisation);
* TLP:CLEAR and TLP:GREEN name nobody: the draft keeps its TLP with the distribution
  "organisation" — the writer's organisation only — until its writer widens it, an
  explicit and audited re-marking.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from vaka.directory.models import Organisation, User
from vaka.directory.roles import Capability
from vaka.intel.crime_types import CrimeType
from vaka.intel.models import StixObject
from vaka.operations.figures import results_for, timeline_for, totals_for
from vaka.operations.models import Operation, Target
from vaka.operations.selectors import participants_of
from vaka.operations.services import can_coordinate, for_change, participant_ids
from vaka.policy import audit
from vaka.policy.markings import TLP, Distribution
from vaka.policy.services import Markings, markings_detail
from vaka.policy.visibility import anyone_of, audience_q, can_see, visible_to
from vaka.products import services as products
from vaka.products.models import Kind, Product

MAX_LINKED = products.MAX_LINKED


@dataclass(frozen=True)
class Audience:
    """The draft's markings, and whether they name the operation's readers exactly."""

    markings: Markings
    exact: bool


def _reader_organisations(operation: Operation) -> list[Organisation]:
    """The participating organisations whose members (other than named TLP:RED people) the
    policy lets see the operation."""
    shown = Operation.objects.filter(pk=operation.pk)
    return [org for org in participants_of(operation)
            if shown.filter(audience_q(anyone_of(org))).exists()]


def draft_audience(operation: Operation, writer: User) -> Audience:
    """The after-action draft's markings: the operation's, narrowed to its readers (see
    the module's docstring)."""
    m = Markings.of(operation)
    kept = Markings(tlp=m.tlp, pap=m.pap, handling=m.handling, handling_note=m.handling_note,
                    grading_scheme=m.grading_scheme, grading_source=m.grading_source,
                    grading_information=m.grading_information,
                    grading_handling=m.grading_handling,
                    distribution=Distribution.ORGANISATION)
    if m.tlp == TLP.RED:
        people = [p for p in m.recipients if p.is_active and can_see(p, operation)]
        kept.distribution, kept.recipients = Distribution.MEMBERS, people
        return Audience(kept, exact=True)
    if m.tlp in (TLP.AMBER, TLP.AMBER_STRICT):
        readers = _reader_organisations(operation)
        others = [org for org in readers if org.pk != writer.organisation_id]
        outside_clients = m.tlp == TLP.AMBER and Organisation.objects.filter(
            served_by__in=others).exclude(pk__in=participant_ids(operation)).exists()
        if others and not outside_clients:
            kept.distribution, kept.recipient_organisations = Distribution.MEMBERS, others
            return Audience(kept, exact=True)
        return Audience(kept, exact=not others)
    return Audience(kept, exact=False)


def check_may_report(user: Any, operation: Operation) -> None:
    if not (can_coordinate(user, operation) and user.can(Capability.CONTRIBUTE)):
        raise PermissionDenied(_("Only a coordinator of a participating organisation writes "
                                 "the after-action report."))


@transaction.atomic
def set_lessons(operation: Operation, *, user: User, lessons: str,
                request: Any = None) -> Operation:
    """Write the operation's lessons learned (a coordinator, while it is open)."""
    operation = for_change(operation, user)
    lessons = (lessons or "").strip()
    if "\x00" in lessons:
        raise ValidationError({"lessons": [_("The text holds a NUL character.")]})
    if lessons == operation.lessons:
        return operation
    operation.lessons, operation.modified = lessons, timezone.now()
    operation.save(update_fields=["lessons", "modified"])
    audit.record(audit.Action.UPDATE, actor=user, target=operation, request=request,
                 detail={"changed": ["lessons"]})
    return operation


def _line(text: str) -> str:
    """One line of user text for a Markdown list item."""
    return " ".join(str(text).split())


def _block(text: str) -> str:
    """User text as a Markdown block quoted into a list item (kept as paragraphs)."""
    return "\n".join(f"  {line}" if line.strip() else "" for line in str(text).splitlines())


def _period(operation: Operation, user: User) -> tuple[date, date]:
    entries = timeline_for(user, operation)
    days = [entry.local.date() for entry in entries]
    days += list(results_for(user, operation).values_list("on", flat=True))
    start = operation.starts or min(days, default=operation.created.date())
    end = operation.ends or max(days, default=timezone.localdate())
    return start, max(start, end)


def _link(operation: Operation) -> str:
    try:
        return f"[{operation.reference}]({reverse('operations:operation', args=[operation.pk])})"
    except NoReverseMatch:
        return operation.reference


def compose(operation: Operation, user: User) -> tuple[str, dict[str, str]]:
    """The report's body and its sections, in Markdown, as ``user`` sees the operation."""
    participants = list(participants_of(operation))
    lines = [_("From operation %(link)s (%(code_name)s).")
             % {"link": _link(operation), "code_name": _line(operation.code_name)}, "",
             f"## {_('Objective')}", "", operation.objective.strip(), "",
             f"## {_('Participants')}", ""]
    for org in participants:
        name = _line(org.name)
        if org.pk == operation.lead_id:
            name = _("%(name)s (lead)") % {"name": name}
        country = f" — {org.country.name}" if org.country_id else ""
        lines.append(f"- {name}{country}")
    lines += ["", f"## {_('Timeline')}", ""]
    entries = timeline_for(user, operation)
    if not entries:
        lines.append(_("No action was recorded."))
    for entry in entries:
        action = entry.action
        when = formats.date_format(entry.local, "D j M Y H:i")
        target = (f" — {_('target')} {_line(action.target.shown)}" if action.target_id
                  else "")
        lines.append(f"- **{when}** ({entry.offset}, {action.time_zone}) — "
                     f"{action.get_kind_display()}, {_line(action.country.name)}, "
                     f"{_line(action.organisation.name)}{target}")
        lines += ["", _block(action.summary)]  # its own paragraph, not run on
    lines += ["", f"## {_('Results')}", ""]
    highlights = _results_lines(operation, user)
    lines += highlights or [_("No result was recorded.")]
    lines += ["", f"## {_('Lessons learned')}", "",
              operation.lessons.strip() or _("No lessons were recorded."), ""]
    return "\n".join(lines), {"highlights": "\n".join(highlights),
                              "operations": _("See the body of the report.")}


def _results_lines(operation: Operation, user: User) -> list[str]:
    totals = totals_for(user, operation)
    lines = [f"- {label}: {formats.number_format(n, force_grouping=True)}"
             for label, n in totals.rows() if n]
    lines += [f"- {_('Funds seized')}: {formats.number_format(amount, 2, force_grouping=True)}"
              f" {code}" for code, amount in totals.funds.items()]
    by_place: dict[tuple[str, str], list[str]] = {}
    for result in results_for(user, operation):
        figure = (formats.number_format(result.quantity, 2, force_grouping=True)
                  + f" {result.currency}" if result.currency
                  else formats.number_format(int(result.quantity), force_grouping=True))
        by_place.setdefault((result.country.name, result.organisation.name), []).append(
            f"{result.get_kind_display()} {figure}")
    if by_place:
        lines += ["", f"### {_('By country and organisation')}", ""]
        lines += [f"- {_line(country)}, {_line(org)}: {'; '.join(figures)}"
                  for (country, org), figures in sorted(by_place.items())]
    return lines


def _linked(operation: Operation, user: User) -> list[int]:
    held = Target.linked.through.objects.filter(target__operation=operation).values(
        "stixobject_id")
    return list(visible_to(user, StixObject.objects.filter(pk__in=held))
                .order_by("pk").values_list("pk", flat=True)[:MAX_LINKED])


def write_report(operation: Operation, *, user: User, request: Any = None
                 ) -> tuple[Product, bool]:
    """A new after-action report draft of ``operation``, owned by the writer's
    organisation, with the operation's markings narrowed to its readers; returns it and
    whether its audience is exactly the operation's (else the writer's organisation only,
    until the writer widens it)."""
    with transaction.atomic():
        operation = Operation.objects.select_for_update().select_related(
            "compartment", "lead").get(pk=operation.pk)
        check_may_report(user, operation)
        audience = draft_audience(operation, user)
        body, sections = compose(operation, user)
        start, end = _period(operation, user)
        title = _("After-action report: %(reference)s %(code_name)s") % {
            "reference": operation.reference, "code_name": _line(operation.code_name)}
        content = products.Content(
            title=title[:300], summary=_line(operation.objective)[:1000], body=body,
            sections=sections,
            crime_types=[c for c in operation.crime_types if c in CrimeType.values],
            language=(translation.get_language() or "en").split("-")[0],
            linked=_linked(operation, user), period_start=start, period_end=end)
        try:
            product = products.create_product(user=user, kind=Kind.REPORT, content=content,
                                              markings=audience.markings, request=request)
        except ValidationError as error:
            # The markings are derived, not typed: say what in the operation stops them.
            raise ValidationError(_("The after-action report could not be written: %s")
                                  % " ".join(error.messages)) from error
        audit.record(audit.Action.CREATE, actor=user, target=operation, request=request,
                     detail={"after_action_report": product.reference, "product": product.pk,
                             "exact_audience": audience.exact,
                             **markings_detail(audience.markings)})
    return product, audience.exact
