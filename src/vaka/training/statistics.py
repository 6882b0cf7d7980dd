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
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import Count, F, Max, Min, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from vaka.directory.models import Country, Organisation, Programme
from vaka.policy.visibility import personal_q, visible_to
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


def visible_course_ids(user: Any) -> list[int]:
    return list(visible_to(user, Course.objects.all()).values_list("pk", flat=True))


def trained_enrolments(user: Any, filters: Filters,
                       courses: list[int] | None = None) -> QuerySet[Enrolment]:
    """The trained enrolments ``user`` may see, narrowed by ``filters``.

    The policy sees an enrolment where the viewer sees both its course and its person, so
    this asks it exactly that: the courses the viewer sees (few: read first), and the
    policy's personal-record rule in its ``bulk`` form (uncorrelated subqueries the
    database answers once a statement) — the same rows as ``visible_to(user,
    Enrolment…)`` (a test holds them equal), without a check per enrolment."""
    rows = Enrolment.objects.filter(
        personal_q(user, Enrolment, bulk=True),
        session__course_id__in=visible_course_ids(user) if courses is None else courses,
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


# The trained enrolments of one call, read once into a temporary table (one per
# connection; dropped when the call ends): its columns, by the short names the figures'
# statements use. The name is a plain identifier, written as is in the statements.
TRAINED = "vaka_trained_enrolments"
_COLUMNS = {"i": "pk", "p": "participant_id", "s": "session_id", "c": "session__course_id",
            "g": "session__course__programme_id", "d": "session__starts",
            "e": "session__ends", "k": "completion", "a": "pre_score", "b": "post_score",
            "sx": "participant__gender", "co": "participant__country_id",
            "o": "participant__organisation_id"}


# PostgreSQL answers "person IN (the people a coordinator sees)" with a hash of them only
# when it fits in work_mem (4 MB by default: about 80,000 people); past that it scans the
# subquery again for every enrolment. The statistics' transaction gives it room.
PG_WORK_MEM = "64MB"


@contextmanager
def _trained_table(rows: QuerySet) -> Iterator[None]:
    sql, params = rows.values(**{name: F(path) for name, path in _COLUMNS.items()}) \
        .query.sql_with_params()
    table = connection.ops.quote_name(TRAINED)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"SET LOCAL work_mem = '{PG_WORK_MEM}'")
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
        cursor.execute(f"CREATE TEMPORARY TABLE {table} AS {sql}", params)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {table}")


def _date(day: date) -> Any:
    return connection.ops.adapt_datefield_value(day)


def training_figures(user: Any, filters: Filters | None = None) -> TrainingFigures:
    """The figures ``user`` may see (see the module docstring for what each counts).

    The policy is asked once: the trained enrolments the viewer may see are read into a
    temporary table, and every figure is an aggregate of it —

    * per session (at most a row a session): enrolments, completions and scores — the
      totals, the sessions held and the scores by course;
    * per person (``GROUP BY`` participant inside), a flag for each programme, year and
      topic they were trained in, then per (gender, country, organisation) the people and
      the sums of those flags: every "people by …" figure, a person counted once;
    * the trainers of the sessions held, by gender, and those trained as trainers who
      went on to deliver."""
    filters = filters or Filters()
    courses = visible_course_ids(user)
    figures = TrainingFigures()
    if not courses:
        return figures
    topics = {topic: ids for topic in Topic.values if (ids := topic_course_ids(topic))}
    programmes = list(Programme.objects.order_by("name").values_list("code", "name"))
    span = Session.objects.aggregate(first=Min("starts"), last=Max("starts"))
    years = range(span["first"].year, span["last"].year + 1) if span["first"] else ()
    rows = trained_enrolments(user, filters, courses)
    try:
        rows.query.sql_with_params()
    except EmptyResultSet:  # a filter no course meets: nothing to read
        return figures
    # PostgreSQL's SET LOCAL needs a transaction; SQLite's would take the write lock
    # (Vaka begins them IMMEDIATE), and a temporary table needs none.
    atomic = transaction.atomic() if connection.vendor == "postgresql" else nullcontext()
    with atomic, _trained_table(rows):
        if not _by_session(figures):
            return figures
        flags: dict[str, tuple[str, list[Any]]] = {
            "no_programme": ("x.g IS NULL", []),
            **{f"programme_{i}": ("x.g = %s", [code])
               for i, (code, _name) in enumerate(programmes)},
            **{f"year_{year}": ("x.d >= %s AND x.d <= %s",
                                [_date(date(year, 1, 1)), _date(date(year, 12, 31))])
               for year in years},
            **{f"topic_{topic}": (f"x.c IN ({', '.join(['%s'] * len(ids))})", ids)
               for topic, ids in topics.items()},
        }
        people = _people_by(flags, figures)
        _trainers(user, figures, courses, topics.get(Topic.TRAINER_DEVELOPMENT, []))

    def ranked(pairs: Any) -> list[tuple[Any, int]]:
        return sorted(((k, n) for k, n in pairs if n), key=lambda p: (-p[1], str(p[0])))

    figures.by_programme = ranked([
        *((name, people[f"programme_{i}"]) for i, (_code, name) in enumerate(programmes)),
        (_("No programme"), people["no_programme"])])
    figures.by_year = [(year, people[f"year_{year}"]) for year in years
                       if people[f"year_{year}"]]
    figures.by_topic = ranked((topic, people[f"topic_{topic}"]) for topic in topics)
    return figures


def _rows(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql.replace("{trained}", TRAINED), params)
        return cursor.fetchall()


def _by_session(figures: TrainingFigures) -> bool:
    """The totals, the sessions held and the scores by course, from one ``GROUP BY``
    session; False when nothing was trained."""
    done = ", ".join(["%s"] * len(DONE))
    scored = "x.a IS NOT NULL AND x.b IS NOT NULL"
    sessions = _rows(
        f"SELECT x.c, COUNT(*), SUM(CASE WHEN x.k IN ({done}) THEN 1 ELSE 0 END), "  # noqa: S608
        "SUM(CASE WHEN x.k = %s THEN 1 ELSE 0 END), SUM(CASE WHEN x.k = %s THEN 1 ELSE 0 END), "
        f"SUM(CASE WHEN {scored} THEN 1 ELSE 0 END), SUM(CASE WHEN {scored} THEN x.a END), "
        f"SUM(CASE WHEN {scored} THEN x.b END) FROM {{trained}} x GROUP BY x.s, x.c",
        [*DONE, Completion.PASS, Completion.FAIL])
    if not sessions:
        return False
    figures.sessions = len(sessions)
    courses: dict[int, list[Any]] = {}
    pre = post = Decimal(0)
    for course_id, n, completed, passed, failed, pairs, pre_sum, post_sum in sessions:
        figures.enrolments += n
        figures.completed += completed
        figures.passed += passed
        figures.failed += failed
        if pairs:
            figures.pairs += pairs
            pre, post = pre + Decimal(str(pre_sum)), post + Decimal(str(post_sum))
            course = courses.setdefault(course_id, [0, Decimal(0), Decimal(0)])
            course[0] += pairs
            course[1] += Decimal(str(pre_sum))
            course[2] += Decimal(str(post_sum))
    if figures.pairs:
        figures.pre_mean = _mean(pre / figures.pairs)
        figures.post_mean = _mean(post / figures.pairs)
    titles = dict(Course.objects.filter(pk__in=list(courses)).values_list("pk", "title"))
    figures.by_course = sorted(
        (CourseGain(pk, titles[pk], n, _mean(pre_sum / n), _mean(post_sum / n))
         for pk, (n, pre_sum, post_sum) in courses.items()),
        key=lambda g: (g.title, g.course_id))
    return True


def _people_by(flags: dict[str, tuple[str, list[Any]]],
               figures: TrainingFigures) -> Counter[str]:
    """People by gender, country and organisation, and by each of ``flags`` (a person
    counted once a flag, however many of their enrolments carry it), from one statement:
    a ``GROUP BY`` person inside, a ``GROUP BY`` (gender, country, organisation) outside."""
    inner = ", ".join(f"MAX(CASE WHEN {condition} THEN 1 ELSE 0 END) AS f{n}"
                      for n, (condition, _params) in enumerate(flags.values()))
    sums = "".join(f", SUM(y.f{n})" for n in range(len(flags)))
    params = [value for _condition, values in flags.values() for value in values]
    gender: Counter[str] = Counter()
    country: Counter[str] = Counter()
    organisation: Counter[int] = Counter()
    people: Counter[str] = Counter()
    for gender_code, country_code, org_id, n, *counts in _rows(
            f"SELECT y.sx, y.co, y.o, COUNT(*){sums} FROM (SELECT x.p, x.sx, x.co, x.o"  # noqa: S608
            f"{', ' + inner if inner else ''} FROM {{trained}} x "
            "GROUP BY x.p, x.sx, x.co, x.o) y GROUP BY y.sx, y.co, y.o", params):
        figures.people += n
        gender[gender_code] += n
        country[country_code] += n
        organisation[org_id] += n
        for name, value in zip(flags, counts, strict=True):
            people[name] += int(value or 0)
    country_names = dict(Country.objects.filter(pk__in=list(country)).values_list(
        "pk", "name"))
    org_names = dict(Organisation.objects.filter(pk__in=list(organisation)).values_list(
        "pk", "name"))
    figures.by_gender = dict(gender)
    figures.by_country = sorted(((country_names[c], n) for c, n in country.items()),
                                key=lambda p: (-p[1], p[0]))
    figures.by_organisation = sorted(((org_names[o], n) for o, n in organisation.items()),
                                     key=lambda p: (-p[1], p[0]))
    return people


def _trainers(user: Any, figures: TrainingFigures, courses: list[int],
              development: list[int]) -> None:
    """Trainers of the sessions held, by gender (only people the viewer may see), and the
    people trained as trainers who went on to deliver a session."""
    through = Session.trainers.through
    trained = RawSQL("SELECT s FROM vaka_trained_enrolments", [])
    held = through.objects.filter(session_id__in=trained)
    trainers = visible_to(user, Participant.objects.filter(
        pk__in=held.values("participant_id"))).order_by()
    figures.trainers_by_gender = {row["gender"]: row["n"] for row in trainers.values(
        "gender").annotate(n=Count("pk"))}
    if not development:
        return
    # The people trained as trainers (a completed trainer-development enrolment), and
    # those of them whose last session trained (held, of a course the viewer sees) began
    # after their own ended: one join of the table with each trainer's last session.
    done = ", ".join(["%s"] * len(DONE))
    dev = ", ".join(["%s"] * len(development))
    seen = ", ".join(["%s"] * len(courses))
    [(trained, delivering)] = _rows(
        "SELECT COUNT(DISTINCT x.p), COUNT(DISTINCT CASE WHEN t.last > x.e THEN x.p END) "  # noqa: S608
        "FROM {trained} x LEFT JOIN (SELECT st.participant_id AS p, MAX(s.starts) AS last "
        "FROM training_session_trainers st JOIN training_session s ON s.id = st.session_id "
        f"WHERE s.starts <= %s AND s.cancelled_at IS NULL AND s.course_id IN ({seen}) "
        f"GROUP BY st.participant_id) t ON t.p = x.p WHERE x.k IN ({done}) AND x.c IN ({dev})",
        [_date(timezone.localdate()), *courses, *DONE, *development])
    figures.trainers_trained, figures.trainers_delivering = trained, delivering


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
