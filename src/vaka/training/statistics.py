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
and organisation, and the course's topic. Every figure comes from aggregate queries
(``GROUP BY`` and filtered counts), never from reading the rows one by one.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Avg, Count, Exists, Max, Min, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from vaka.directory.models import Programme
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
    """The trained enrolments ``user`` may see, narrowed by ``filters``.

    The policy sees an enrolment where the viewer sees both its course and its person, so
    this asks it exactly that, as two uncorrelated subqueries the database runs once a
    statement — the same rows as ``visible_to(user, Enrolment…)`` (a test holds them
    equal), without a correlated check per enrolment: over 150,000 enrolments that was
    20 to 70 times slower."""
    rows = Enrolment.objects.filter(
        session__course_id__in=list(visible_to(user, Course.objects.all()).values_list(
            "pk", flat=True)),
        participant_id__in=visible_to(user, Participant.objects.all()).values("pk"),
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


def _people(q: Q) -> Count:
    return Count("participant_id", distinct=True, filter=q)


def training_figures(user: Any, filters: Filters | None = None) -> TrainingFigures:
    """The figures ``user`` may see (see the module docstring for what each counts).

    Five statements whatever the size: the totals with every per-programme, per-year and
    per-topic count as filtered aggregates of one scan; the people by (gender, country,
    organisation) — a person has one of each, so the groups add up; the scores by
    course; and the trainers (two)."""
    filters = filters or Filters()
    rows = trained_enrolments(user, filters)
    figures = TrainingFigures()
    topics = {topic: topic_course_ids(topic) for topic in Topic.values}
    programmes = list(Programme.objects.order_by("name").values_list("code", "name"))
    span = Session.objects.aggregate(first=Min("starts"), last=Max("starts"))
    years = range(span["first"].year, span["last"].year + 1) if span["first"] else ()
    scored = Q(pre_score__isnull=False, post_score__isnull=False)
    counts = rows.aggregate(
        people=Count("participant_id", distinct=True), enrolments=Count("pk"),
        completed=Count("pk", filter=Q(completion__in=DONE)),
        passed=Count("pk", filter=Q(completion=Completion.PASS)),
        failed=Count("pk", filter=Q(completion=Completion.FAIL)),
        sessions=Count("session_id", distinct=True), pairs=Count("pk", filter=scored),
        pre=Avg("pre_score", filter=scored), post=Avg("post_score", filter=scored),
        no_programme=_people(Q(session__course__programme__isnull=True)),
        **{f"programme_{i}": _people(Q(session__course__programme_id=code))
           for i, (code, _name) in enumerate(programmes)},
        **{f"year_{year}": _people(Q(session__starts__gte=date(year, 1, 1),
                                     session__starts__lte=date(year, 12, 31)))
           for year in years},
        **{f"topic_{topic}": _people(Q(session__course_id__in=ids))
           for topic, ids in topics.items() if ids})
    if not counts["enrolments"]:
        return figures
    for name in ("people", "enrolments", "completed", "passed", "failed", "sessions",
                 "pairs"):
        setattr(figures, name, counts[name])
    figures.pre_mean, figures.post_mean = _mean(counts["pre"]), _mean(counts["post"])

    def ranked(pairs: Any) -> list[tuple[Any, int]]:
        return sorted(((k, n) for k, n in pairs if n), key=lambda p: (-p[1], str(p[0])))

    figures.by_programme = ranked([
        *((name, counts[f"programme_{i}"]) for i, (_code, name) in enumerate(programmes)),
        (_("No programme"), counts["no_programme"])])
    figures.by_year = [(year, counts[f"year_{year}"]) for year in years
                       if counts[f"year_{year}"]]
    figures.by_topic = ranked((topic, counts.get(f"topic_{topic}", 0)) for topic in topics)
    _people_by(rows, figures)
    _by_course(rows.filter(scored), figures)
    _trainers(user, rows, figures, topics[Topic.TRAINER_DEVELOPMENT])
    return figures


def _people_by(rows: QuerySet, figures: TrainingFigures) -> None:
    """People by gender, country and organisation, from one GROUP BY of the three."""
    gender: Counter[str] = Counter()
    country: Counter[str] = Counter()
    organisation: Counter[str] = Counter()
    for row in rows.values("participant__gender", "participant__country__name",
                           "participant__organisation__name").annotate(
            n=Count("participant_id", distinct=True)).order_by():
        gender[row["participant__gender"]] += row["n"]
        country[row["participant__country__name"]] += row["n"]
        organisation[row["participant__organisation__name"]] += row["n"]
    figures.by_gender = dict(gender)
    figures.by_country = sorted(country.items(), key=lambda p: (-p[1], p[0]))
    figures.by_organisation = sorted(organisation.items(), key=lambda p: (-p[1], p[0]))


def _by_course(scored: QuerySet, figures: TrainingFigures) -> None:
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
        pk__in=held.values("participant_id"))).order_by()
    figures.trainers_by_gender = {row["gender"]: row["n"] for row in trainers.values(
        "gender").annotate(n=Count("pk"))}
    if not development:
        return
    trained = rows.filter(completion__in=DONE, session__course_id__in=development)
    delivered = through.objects.filter(
        participant_id=OuterRef("participant_id"), session__starts__gt=OuterRef("session__ends"),
        session__starts__lte=timezone.localdate(), session__cancelled_at__isnull=True,
        session__course_id__in=visible_to(user, Course.objects.all()).values("pk"))
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
