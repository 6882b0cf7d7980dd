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
(``GROUP BY`` and filtered counts) over one table kept for them, a row per trained
enrolment (``TrainedEnrolment``, :mod:`vaka.training.trained`), never from reading the
rows one by one.
"""

from collections import Counter
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import (
    Count,
    Max,
    Min,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from vaka.directory.models import Country, Organisation
from vaka.policy.visibility import personal_q, visible_to
from vaka.training import statistics_people as people_counts
from vaka.training.models import (
    Completion,
    Course,
    Gender,
    Participant,
    Session,
    Topic,
    TrainedEnrolment,
)
from vaka.training.trained import courses_by_topic
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
    """The courses tagged ``topic``."""
    return courses_by_topic(Course.objects.all()).get(topic, [])


def human_rights_gender_q() -> Q:
    """Courses with human-rights or gender content: flagged, or with either topic."""
    tagged = {pk for topic in (Topic.HUMAN_RIGHTS, Topic.GENDER_EQUALITY)
              for pk in topic_course_ids(topic)}
    return Q(human_rights_gender=True) | Q(pk__in=sorted(tagged))


def visible_course_ids(user: Any) -> list[int]:
    return list(visible_to(user, Course.objects.all()).values_list("pk", flat=True))


def trained_enrolments(user: Any, filters: Filters, courses: list[int] | None = None,
                       every_course: bool | None = None) -> QuerySet[TrainedEnrolment]:
    """The trained enrolments ``user`` may see, narrowed by ``filters``: their statistics
    rows (:class:`~vaka.training.models.TrainedEnrolment`, one table).

    The policy sees an enrolment where the viewer sees both its course and its person, so
    this asks it exactly that: the courses the viewer sees (few: read first), and the
    policy's personal-record rule in its ``bulk`` form (uncorrelated subqueries the
    database answers once a statement) — the same enrolments as ``visible_to(user,
    Enrolment…)`` (a test holds them equal), without a check per row. ``courses`` and
    ``every_course`` (whether they are all there are), when the caller knows them."""
    courses = visible_course_ids(user) if courses is None else courses
    if every_course is None:
        every_course = _every_course(courses)
    rows = TrainedEnrolment.objects.filter(personal_q(user, TrainedEnrolment, bulk=True),
                                           starts__lte=timezone.localdate())
    if not every_course:  # a course is never deleted with rows (PROTECT)
        rows = rows.filter(course_id__in=courses)
    if filters.programme:
        rows = rows.filter(programme_id=filters.programme)
    if filters.since:
        rows = rows.filter(starts__gte=filters.since)
    if filters.until:
        rows = rows.filter(starts__lte=filters.until)
    if filters.country:
        rows = rows.filter(country_id=filters.country)
    if filters.organisation:
        rows = rows.filter(organisation_id=filters.organisation)
    if filters.topic:
        rows = rows.filter(course_id__in=topic_course_ids(filters.topic))
    return rows.order_by()


# PostgreSQL answers "person IN (the people a coordinator sees)" with a hash of them only
# when it fits in work_mem (4 MB by default: about 80,000 people); past that it scans the
# subquery again for every row. The statistics' transaction gives it room.
PG_WORK_MEM = "64MB"


def training_figures(user: Any, filters: Filters | None = None) -> TrainingFigures:
    """The figures ``user`` may see (see the module docstring for what each counts), from
    aggregates of the statistics rows the viewer may see (``trained_enrolments``):

    * per course and completion: enrolments, completions and scores — the totals and the
      scores by course;
    * the people by gender, country and organisation, programme, topic and year, each
      person counted once: from their first rows where the viewer sees all of each
      person's rows, otherwise person by person (``_people_by``);
    * the trainers trained, and those who went on to deliver (``_trainers``);
    * the sessions held, and their trainers by gender."""
    filters = filters or Filters()
    courses = visible_course_ids(user)
    figures = TrainingFigures()
    if not courses:
        return figures
    every_course = _every_course(courses)
    rows = trained_enrolments(user, filters, courses, every_course)
    try:
        rows.query.sql_with_params()
    except EmptyResultSet:  # a filter no course meets: nothing to read
        return figures
    # PostgreSQL's SET LOCAL needs a transaction; SQLite's would take the write lock
    # (Vaka begins them IMMEDIATE), and its reads need none.
    atomic = transaction.atomic() if connection.vendor == "postgresql" else nullcontext()
    with atomic:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL work_mem = '{PG_WORK_MEM}'")
        if not _by_course(rows, figures):
            return figures
        held = _people_by(rows, courses, figures, whole=_whole(every_course, filters))
        _held(user, rows, figures, held)
    return figures


def _every_course(courses: list[int]) -> bool:
    return len(courses) == Course.objects.count()


def _whole(every_course: bool, filters: Filters) -> bool:
    """Whether the viewer sees every row of each person they see: every course, and no
    filter on the session (its programme, dates or topic) — filters on the person keep or
    drop all of a person's rows."""
    return every_course and not (
        filters.programme or filters.since or filters.until or filters.topic)


def _by_course(rows: QuerySet[TrainedEnrolment], figures: TrainingFigures) -> bool:
    """The totals and the scores by course, from one ``GROUP BY`` course and completion;
    False when nothing was trained."""
    scored = Q(pre_score__isnull=False, post_score__isnull=False)
    by_course = list(rows.values("course_id", "completion").annotate(
        n=Count("*"), pairs=Count("pre_score", filter=scored),
        pre=Sum("pre_score", filter=scored), post=Sum("post_score", filter=scored)).values_list(
        "course_id", "completion", "n", "pairs", "pre", "post"))
    if not by_course:
        return False
    gains: dict[int, tuple[int, Decimal, Decimal]] = {}
    for course_id, completion, n, pairs, pre, post in by_course:
        figures.enrolments += n
        figures.completed += n if completion in DONE else 0
        figures.passed += n if completion == Completion.PASS else 0
        figures.failed += n if completion == Completion.FAIL else 0
        if pairs:
            figures.pairs += pairs
            before = gains.get(course_id, (0, Decimal(0), Decimal(0)))
            gains[course_id] = (before[0] + pairs, before[1] + Decimal(str(pre)),
                                before[2] + Decimal(str(post)))
    if figures.pairs:
        figures.pre_mean = _mean(sum(pre for _n, pre, _post in gains.values())
                                 / figures.pairs)
        figures.post_mean = _mean(sum(post for _n, _pre, post in gains.values())
                                  / figures.pairs)
    titles = dict(Course.objects.filter(pk__in=list(gains)).values_list("pk", "title"))
    figures.by_course = sorted(
        (CourseGain(pk, titles[pk], n, _mean(pre / n), _mean(post / n))
         for pk, (n, pre, post) in gains.items()),
        key=lambda g: (g.title, g.course_id))
    return True


def _people_by(rows: QuerySet[TrainedEnrolment], courses: list[int],
               figures: TrainingFigures, *, whole: bool) -> list[int] | None:
    """People by gender, country, organisation, programme, year and topic, each person
    counted once a figure (:mod:`~vaka.training.statistics_people`): ``whole`` when the
    viewer sees every row of each person they see (every course, no filter on the
    session), from their first rows; otherwise person by person. The sessions held, where
    the same statement read them."""
    groups = people_counts.Groups.of(courses)
    counted = people_counts.by_firsts if whole else people_counts.by_person
    gender: Counter[str] = Counter()
    country: Counter[str] = Counter()
    organisation: Counter[int] = Counter()
    by_person, people, held = counted(rows, courses, groups)
    for gender_code, country_code, org_id, n in by_person:
        figures.people += n
        gender[gender_code] += n
        country[country_code] += n
        organisation[org_id] += n
    country_names = dict(Country.objects.filter(pk__in=list(country)).values_list(
        "pk", "name"))
    org_names = dict(Organisation.objects.filter(pk__in=list(organisation)).values_list(
        "pk", "name"))
    figures.by_gender = dict(gender)
    figures.by_country = sorted(((country_names[c], n) for c, n in country.items()),
                                key=lambda p: (-p[1], p[0]))
    figures.by_organisation = sorted(((org_names[o], n) for o, n in organisation.items()),
                                     key=lambda p: (-p[1], p[0]))

    def ranked(pairs: Any) -> list[tuple[Any, int]]:
        return sorted(((k, n) for k, n in pairs if n), key=lambda p: (-p[1], str(p[0])))

    figures.by_programme = ranked([
        *((name, people[f"programme:{code}"]) for code, name in groups.programmes),
        (_("No programme"), people["programme:None"])])
    figures.by_year = [(year, people[f"year:{year}"]) for year in groups.years
                       if people[f"year:{year}"]]
    figures.by_topic = ranked((topic, people[f"topic:{topic}"]) for topic in groups.topics)
    _trainers(rows, courses, groups.topics.get(Topic.TRAINER_DEVELOPMENT), figures)
    return held


def _trainers(rows: QuerySet[TrainedEnrolment], courses: list[int],
              development: list[int] | None, figures: TrainingFigures) -> None:
    """The trainers trained — people who completed a trainer-development course — and
    those of them who trained a session (held, of a course the viewer sees) that began
    after the first such course ended, from one statement: the people with when their
    first ended (``GROUP BY`` person over those rows only), joined to when each trainer's
    last session began."""
    if not development:
        return
    sql, params = rows.filter(completion__in=DONE, course_id__in=development).values(
        "participant_id").annotate(developed=Min("ends")).query.sql_with_params()
    last_sql, last_params = Session.trainers.through.objects.filter(
        session__starts__lte=timezone.localdate(), session__cancelled_at__isnull=True,
        session__course_id__in=courses).order_by().values("participant_id").annotate(
        last=Max("session__starts")).query.sql_with_params()
    person = connection.ops.quote_name("participant_id")
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*), SUM(CASE WHEN t.last > y.developed "  # noqa: S608
                       f"THEN 1 ELSE 0 END) FROM ({sql}) y LEFT JOIN ({last_sql}) t "
                       f"ON t.{person} = y.{person}", [*params, *last_params])
        trained_, delivering = cursor.fetchone()
    figures.trainers_trained, figures.trainers_delivering = trained_, int(delivering or 0)


def _held(user: Any, rows: QuerySet[TrainedEnrolment], figures: TrainingFigures,
          known: list[int] | None = None) -> None:
    """The sessions held (those of the rows, or ``known`` when PostgreSQL has read them
    with the people), and their trainers by gender (only people the viewer may see), from
    one statement that reads the sessions once (``WITH``)."""
    if known is not None:  # one array parameter, however many
        sessions, params = "SELECT unnest(%s::bigint[])", [known]
    else:
        sessions, params = rows.values("session_id").distinct().query.sql_with_params()
    held = "vaka_held_sessions"
    # Joined, not "IN": the database hashes the held sessions rather than looking each up.
    places = connection.ops.quote_name(Session.trainers.through._meta.db_table)
    person, session = (connection.ops.quote_name(name)
                       for name in ("participant_id", "session_id"))
    trainers, trainer_params = visible_to(user, Participant.objects.filter(
        pk__in=RawSQL(f"SELECT t.{person} FROM {places} t JOIN {held} h "  # noqa: S611, S608
                      f"ON h.session_id = t.{session}", []))).order_by() \
        .values("gender").annotate(n=Count("pk")).values_list("gender", "n") \
        .query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {held} (session_id) AS MATERIALIZED ({sessions}) "  # noqa: S608
                       f"SELECT NULL, COUNT(*) FROM {held} UNION ALL {trainers}",
                       [*params, *trainer_params])
        counts = dict(cursor.fetchall())  # a gender is never NULL: NULL, the sessions
    figures.sessions = counts.pop(None)
    figures.trainers_by_gender = counts


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
