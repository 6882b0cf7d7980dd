"""Training figures for the statistics page, its CSVs and the donor report.

Everything is counted from ``visible_to(user, Enrolment…)``: an enrolment is seen only
where the viewer sees both the person and the course, so a figure never carries anyone or
any course the viewer may not see — an outsider gets zeros, not a count of hidden rows.

Words, as the page and the report use them:

* **trained**: an enrolment that is *enrolled* (not on the waiting list, not withdrawn)
  in a session that is not cancelled and has started (its first day is today or before).
  *People trained* counts distinct participants over those enrolments; one person in two
  courses counts once (and once in each course's topic).
* **completed**: a trained enrolment whose completion is *complete* or *passed*. The
  **completion rate** is completed / trained enrolments; the **pass rate** is passed /
  (passed + failed): of those the post-test decided.
* **improvement**: post-test minus pre-test score, in points, over the enrolments that
  have both.
* **trainers trained who went on to deliver**: people who completed a course with the
  topic *trainer development* and are a trainer of a session (of a course the viewer sees,
  not cancelled, already started) that starts after their own session ended.
* **sessions held**: the sessions of the trained enrolments.

Filters (``Filters``; ``forms_stats.StatisticsFilter`` parses them): the course's
programme, the session's first day from / to (both included), the participant's country
and organisation, and the course's topic. Every breakdown is one ``GROUP BY`` query.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Avg, Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import ExtractYear
from django.utils import timezone
from django.utils.translation import gettext as _

from vaka.policy.visibility import visible_to
from vaka.training.models import (
    Completion,
    Course,
    Enrolment,
    Gender,
    Participant,
    Session,
    Topic,
)
from vaka.web.charts import Chart, Series

DONE = (Completion.COMPLETE, Completion.PASS)
# The charts of the page, by their CSV name.
CHARTS = ("gender", "country", "organisation", "topic", "programme", "year",
          "improvement", "trainers")


@dataclass(frozen=True)
class Filters:
    programme: str | None = None  # a Programme code
    since: date | None = None
    until: date | None = None
    country: str | None = None  # the participant's country (ISO code)
    topic: str | None = None  # a Topic value
    organisation: int | None = None  # the participant's organisation (pk)


@dataclass(frozen=True)
class CourseGain:
    course_id: int
    title: str
    pairs: int
    pre: Decimal
    post: Decimal

    @property
    def gain(self) -> Decimal:
        return self.post - self.pre


@dataclass
class TrainingFigures:
    people: int = 0
    enrolments: int = 0
    completed: int = 0
    passed: int = 0
    failed: int = 0
    sessions: int = 0
    by_gender: dict[str, int] = field(default_factory=dict)  # Gender value → people
    by_country: list[tuple[str, int]] = field(default_factory=list)  # (name, people)
    by_organisation: list[tuple[str, int]] = field(default_factory=list)
    by_topic: list[tuple[str, int]] = field(default_factory=list)  # (Topic value, people)
    by_programme: list[tuple[str, int]] = field(default_factory=list)  # (name, people)
    by_year: list[tuple[int, int]] = field(default_factory=list)
    pairs: int = 0  # enrolments with both scores
    pre_mean: Decimal | None = None
    post_mean: Decimal | None = None
    by_course: list[CourseGain] = field(default_factory=list)
    trainers_by_gender: dict[str, int] = field(default_factory=dict)
    trainers_trained: int = 0  # completed a trainer-development course
    trainers_delivering: int = 0  # …and later trained others

    @property
    def improvement(self) -> Decimal | None:
        if self.pre_mean is None or self.post_mean is None:
            return None
        return self.post_mean - self.pre_mean

    @property
    def trainers(self) -> int:
        return sum(self.trainers_by_gender.values())

    @property
    def completion_rate(self) -> float | None:
        return _share(self.completed, self.enrolments)

    @property
    def pass_rate(self) -> float | None:
        return _share(self.passed, self.passed + self.failed)

    @property
    def women_share(self) -> float | None:
        return _share(self.by_gender.get(Gender.FEMALE, 0), self.people)

    @property
    def women_trainers_share(self) -> float | None:
        return _share(self.trainers_by_gender.get(Gender.FEMALE, 0), self.trainers)


def _share(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _mean(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(Decimal("0.1"))


def topic_course_ids(topic: str) -> list[int]:
    """The courses tagged ``topic`` (topics are a JSON list; courses are few, so they are
    read here rather than unnested by each database in its own way)."""
    return [pk for pk, topics in Course.objects.values_list("pk", "topics")
            if topic in (topics or [])]


def human_rights_gender_q() -> Q:
    """Courses with human-rights or gender content: flagged, or with either topic."""
    tagged = {pk for topic in (Topic.HUMAN_RIGHTS, Topic.GENDER_EQUALITY)
              for pk in topic_course_ids(topic)}
    return Q(human_rights_gender=True) | Q(pk__in=sorted(tagged))


def trained_enrolments(user: Any, filters: Filters) -> QuerySet[Enrolment]:
    """The trained enrolments ``user`` may see, narrowed by ``filters``."""
    rows = visible_to(user, Enrolment.objects.all()).filter(
        status=Enrolment.Status.ENROLLED, session__cancelled_at__isnull=True,
        session__starts__lte=timezone.localdate())
    if filters.programme:
        rows = rows.filter(session__course__programme_id=filters.programme)
    if filters.since:
        rows = rows.filter(session__starts__gte=filters.since)
    if filters.until:
        rows = rows.filter(session__starts__lte=filters.until)
    if filters.country:
        rows = rows.filter(participant__country_id=filters.country)
    if filters.organisation:
        rows = rows.filter(participant__organisation_id=filters.organisation)
    if filters.topic:
        rows = rows.filter(session__course_id__in=topic_course_ids(filters.topic))
    return rows.order_by()


def _grouped(rows: QuerySet, key: str) -> list[tuple[Any, int]]:
    """(key, distinct people) per ``key``, most people first."""
    return [(row[key], row["n"]) for row in rows.values(key)
            .annotate(n=Count("participant_id", distinct=True)).order_by("-n", key)]


def training_figures(user: Any, filters: Filters | None = None) -> TrainingFigures:
    """The figures ``user`` may see (see the module docstring for what each counts)."""
    filters = filters or Filters()
    rows = trained_enrolments(user, filters)
    figures = TrainingFigures()
    totals = rows.aggregate(
        people=Count("participant_id", distinct=True), enrolments=Count("pk"),
        completed=Count("pk", filter=Q(completion__in=DONE)),
        passed=Count("pk", filter=Q(completion=Completion.PASS)),
        failed=Count("pk", filter=Q(completion=Completion.FAIL)),
        sessions=Count("session_id", distinct=True))
    if not totals["enrolments"]:
        return figures
    for name, value in totals.items():
        setattr(figures, name, value)
    figures.by_gender = dict(_grouped(rows, "participant__gender"))
    figures.by_country = _grouped(rows, "participant__country__name")
    figures.by_organisation = _grouped(rows, "participant__organisation__name")
    figures.by_programme = [(name or _("No programme"), n) for name, n
                            in _grouped(rows, "session__course__programme__name")]
    figures.by_year = sorted(_grouped(rows.annotate(year=ExtractYear("session__starts")),
                                      "year"))
    topics = {topic: topic_course_ids(topic) for topic in Topic.values}
    counted = rows.aggregate(**{
        topic: Count("participant_id", distinct=True, filter=Q(session__course_id__in=ids))
        for topic, ids in topics.items() if ids})
    figures.by_topic = sorted(((t, n) for t, n in counted.items() if n),
                              key=lambda pair: (-pair[1], pair[0]))
    _scores(rows, figures)
    _trainers(user, rows, figures, topics[Topic.TRAINER_DEVELOPMENT])
    return figures


def _scores(rows: QuerySet, figures: TrainingFigures) -> None:
    scored = rows.filter(pre_score__isnull=False, post_score__isnull=False)
    means = scored.aggregate(pairs=Count("pk"), pre=Avg("pre_score"), post=Avg("post_score"))
    figures.pairs = means["pairs"]
    figures.pre_mean, figures.post_mean = _mean(means["pre"]), _mean(means["post"])
    figures.by_course = [
        CourseGain(row["session__course_id"], row["session__course__title"], row["pairs"],
                   _mean(row["pre"]), _mean(row["post"]))
        for row in scored.values("session__course_id", "session__course__title")
        .annotate(pairs=Count("pk"), pre=Avg("pre_score"), post=Avg("post_score"))
        .order_by("session__course__title", "session__course_id")]


def _trainers(user: Any, rows: QuerySet, figures: TrainingFigures,
              development: list[int]) -> None:
    """Trainers of the sessions held, by gender (only people the viewer may see), and the
    people trained as trainers who went on to deliver a session."""
    through = Session.trainers.through
    held = through.objects.filter(session_id__in=rows.values("session_id"))
    trainers = visible_to(user, Participant.objects.filter(
        Exists(held.filter(participant_id=OuterRef("pk"))))).order_by()
    figures.trainers_by_gender = {row["gender"]: row["n"] for row in trainers.values(
        "gender").annotate(n=Count("pk"))}
    if not development:
        return
    trained = rows.filter(completion__in=DONE, session__course_id__in=development)
    delivered = through.objects.filter(
        participant_id=OuterRef("participant_id"), session__starts__gt=OuterRef("session__ends"),
        session__starts__lte=timezone.localdate(), session__cancelled_at__isnull=True,
        session__in=Session.objects.visible_to(user))
    counts = trained.aggregate(
        trained=Count("participant_id", distinct=True),
        delivering=Count("participant_id", distinct=True, filter=Q(Exists(delivered))))
    figures.trainers_trained, figures.trainers_delivering = (counts["trained"],
                                                             counts["delivering"])


def charts(figures: TrainingFigures) -> dict[str, Chart]:
    """The page's charts (and their CSVs), by name (``CHARTS``)."""
    people = _("people")
    genders = dict(Gender.choices)
    topics = dict(Topic.choices)

    def bars(title: str, pairs: list[tuple[Any, int]], kind: str = "hbar") -> Chart:
        return Chart(title, tuple(str(label) for label, _n in pairs),
                     (Series(str(people), tuple(n for _label, n in pairs)),), kind=kind,
                     unit=str(people))

    gender_rows = [(str(genders[g]), figures.by_gender.get(g, 0)) for g in Gender.values]
    trainer_rows = [(str(genders[g]), figures.trainers_by_gender.get(g, 0))
                    for g in Gender.values]
    return {
        "gender": bars(_("People trained by gender"), gender_rows, "bar"),
        "country": bars(_("People trained by country"), figures.by_country),
        "organisation": bars(_("People trained by organisation"), figures.by_organisation),
        "topic": bars(_("People trained by topic"),
                      [(topics.get(t, t), n) for t, n in figures.by_topic]),
        "programme": bars(_("People trained by programme"), figures.by_programme),
        "year": bars(_("People trained by year"), figures.by_year, "bar"),
        "improvement": Chart(
            _("Pre-test and post-test means by course"),
            tuple(g.title for g in figures.by_course),
            (Series(_("Pre-test"), tuple(float(g.pre) for g in figures.by_course)),
             Series(_("Post-test"), tuple(float(g.post) for g in figures.by_course))),
            kind="hbar", unit="%"),
        "trainers": bars(_("Trainers of the sessions held, by gender"), trainer_rows, "bar"),
    }
