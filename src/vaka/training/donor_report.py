"""The donor report of a programme and period: the statistics' figures, the sessions held
and the human-rights and gender content delivered, as tables — written as a PDF
(WeasyPrint, ``web.pdf``) or an XLSX workbook (``openpyxl``, one sheet per table).

Every row comes from the trained enrolments the reader may see
(``statistics.trained_enrolments``), so the report holds nothing the statistics page would
not show them. The report carries the strictest TLP of the courses it counts. No cell of
the workbook is a formula: text that a spreadsheet would run is written with a leading
``'`` (``csvcells.formula_safe``), like every CSV Vaka writes.
"""

import io
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from vaka.csvcells import formula_safe
from vaka.policy.markings import TLP
from vaka.policy.visibility import visible_to
from vaka.training.models import Course, Gender, GenderMarker, Participant, Session, Topic
from vaka.training.statistics import (
    Filters,
    TrainingFigures,
    human_rights_gender_q,
    trained_enrolments,
    training_figures,
)


@dataclass(frozen=True)
class Table:
    title: str  # also the sheet's name (at most 31 characters)
    header: tuple[str, ...]
    rows: list[tuple[Any, ...]]


@dataclass
class DonorReport:
    filters: Filters
    figures: TrainingFigures
    tables: list[Table]
    tlp: str


def _people_by_gender() -> dict[str, Count]:
    return {g: Count("participant_id", distinct=True, filter=Q(gender=g))
            for g in Gender.values}


def sessions_held(user: Any, filters: Filters) -> Table:
    """Each session held: course, dates, place, country, people by gender, trainers."""
    rows = trained_enrolments(user, filters)
    sessions = list(rows.values(
        "session_id", "session__reference", "session__course__title", "session__starts",
        "session__ends", "session__online", "session__place", "session__country__name")
        .annotate(**_people_by_gender()).order_by("session__starts", "session__reference"))
    trainers = dict(Session.trainers.through.objects.filter(
        session_id__in=[s["session_id"] for s in sessions],
        participant__in=visible_to(user, Participant.objects.all()))
        .values("session_id").annotate(n=Count("pk")).values_list("session_id", "n"))
    genders = dict(Gender.choices)
    return Table(_("Sessions held"), (
        _("Reference"), _("Course"), _("Starts"), _("Ends"), _("Place"), _("Country"),
        *(str(genders[g]) for g in Gender.values), _("Trainers")), [
        (s["session__reference"], s["session__course__title"], s["session__starts"],
         s["session__ends"], s["session__place"] or (_("Online") if s["session__online"]
                                                     else ""),
         s["session__country__name"] or "", *(s[g] for g in Gender.values),
         trainers.get(s["session_id"], 0)) for s in sessions])


def human_rights_gender(user: Any, filters: Filters) -> Table:
    """The courses with human-rights or gender content delivered: sessions, people,
    women, and the course's OECD gender marker."""
    rows = trained_enrolments(user, filters).filter(
        course__in=Course.objects.filter(human_rights_gender_q()))
    markers = dict(GenderMarker.choices)
    courses = rows.values("course__title", "course__gender_marker", "course_id").annotate(
        sessions=Count("session_id", distinct=True),
        people=Count("participant_id", distinct=True),
        women=Count("participant_id", distinct=True,
                    filter=Q(gender=Gender.FEMALE))).order_by("course__title", "course_id")
    return Table(_("Human rights and gender"), (
        _("Course"), _("Gender marker"), _("Sessions"), _("People trained"), _("Women")), [
        (c["course__title"],
         f"{c['course__gender_marker']} {markers[c['course__gender_marker']]}",
         c["sessions"], c["people"], c["women"]) for c in courses])


def _rate(value: float | None) -> Any:
    return "" if value is None else value


def figure_tables(figures: TrainingFigures) -> list[Table]:
    """The statistics' figures as tables: a summary, then one table per breakdown."""
    genders, topics = dict(Gender.choices), dict(Topic.choices)
    people = _("People trained")
    summary = Table(_("Summary"), (_("Figure"), _("Value")), [
        (people, figures.people),
        (_("Enrolments trained"), figures.enrolments),
        (_("Completions"), figures.completed),
        (_("Completion rate (%)"), _rate(figures.completion_rate)),
        (_("Passed"), figures.passed),
        (_("Failed"), figures.failed),
        (_("Pass rate (%)"), _rate(figures.pass_rate)),
        (_("Women among participants (%)"), _rate(figures.women_share)),
        (_("Trainers of the sessions held"), figures.trainers),
        (_("Women among trainers (%)"), _rate(figures.women_trainers_share)),
        (_("Pre-test and post-test pairs"), figures.pairs),
        (_("Mean pre-test score (%)"), _rate(figures.pre_mean)),
        (_("Mean post-test score (%)"), _rate(figures.post_mean)),
        (_("Mean improvement (points)"), _rate(figures.improvement)),
        (_("Trainers trained by the programme"), figures.trainers_trained),
        (_("…who went on to deliver"), figures.trainers_delivering),
        (_("Sessions held"), figures.sessions),
    ])
    return [
        summary,
        Table(_("By gender"), (_("Gender"), people),
              [(str(genders[g]), figures.by_gender.get(g, 0)) for g in Gender.values]),
        Table(_("By country"), (_("Country"), people), list(figures.by_country)),
        Table(_("By organisation"), (_("Organisation"), people),
              list(figures.by_organisation)),
        Table(_("By topic"), (_("Topic"), people),
              [(str(topics.get(t, t)), n) for t, n in figures.by_topic]),
        Table(_("By programme"), (_("Programme"), people), list(figures.by_programme)),
        Table(_("By year"), (_("Year"), people), list(figures.by_year)),
        Table(_("Improvement by course"), (
            _("Course"), _("Pairs"), _("Mean pre-test (%)"), _("Mean post-test (%)"),
            _("Improvement (points)")),
            [(g.title, g.pairs, g.pre, g.post, g.gain) for g in figures.by_course]),
    ]


def donor_report(user: Any, filters: Filters) -> DonorReport:
    """Everything the report holds, for ``user``."""
    figures = training_figures(user, filters)
    tlps = set(Course.objects.filter(
        pk__in=trained_enrolments(user, filters).values("course_id"))
        .values_list("tlp", flat=True))
    order = list(TLP.values)
    tlp = max(tlps, key=order.index) if tlps else TLP.CLEAR
    return DonorReport(filters, figures, [*figure_tables(figures),
                                          sessions_held(user, filters),
                                          human_rights_gender(user, filters)], tlp)


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        return formula_safe(value)
    return value


def workbook(report: DonorReport) -> bytes:
    """The report as an XLSX workbook: one sheet per table, a bold header row."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    bold = Font(bold=True)
    for table in report.tables:
        sheet = book.create_sheet(table.title[:31])
        sheet.append([_cell(h) for h in table.header])
        for cell in sheet[1]:
            cell.font = bold
        for row in table.rows:
            sheet.append([_cell(v) for v in row])
        for column, header in zip(sheet.columns, table.header, strict=False):
            width = max([len(header), *(len(str(c.value or "")) for c in column)])
            sheet.column_dimensions[column[0].column_letter].width = min(60, width + 2)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
