"""Training statistics over 100,000 participants and 10,000 sessions: the figures of the
statistics page (and of the donor report) for a programme coordinator and for a user of
one organisation.

    python bench/training_statistics.py [--participants 100000] [--sessions 10000]
                                        [--runs 5] [--postgres]

Builds the store with ``bulk_create`` in a throwaway data directory: 12 Pacific and Asian
countries, 36 police units (three a country) and the coordination centre; two programmes
and 40 courses over them (every topic, most courses shared with all members); ``--sessions``
sessions over 2023-2026 with one to three trainers, a few cancelled and a tenth still to
come; ``--participants`` people (45 % women, 50 % men, the rest another gender or not
stated) in the units, each enrolled in one to three sessions (about 1.5 on average: some
waiting or withdrawn), with pre/post scores for two thirds and a completion for most; and
the trainers among them, some of whom completed a trainer-development course first. The
statistics rows (``training.trained``) are then written at once, as ``vaka
training_statistics`` does.

Measured, median of ``--runs``, in process:

* ``statistics.training_figures`` for the programme coordinator of both programmes (who
  sees every enrolment: the policy reaches each person through their sessions' programme)
  and for an analyst of one unit (who sees that unit's people);
* the statistics page as the coordinator gets it: the whole request in process (the
  figures, eight SVG charts, the template), the server's time for the page;
* the baseline of the same run: one raw ``GROUP BY`` — distinct people by gender over
  every enrolment, joined to the participants, no policy — the database's floor for one
  of the figures.

``--postgres`` runs against ``VAKA_DATABASE_URL`` when it is set, otherwise starts a
throwaway PostgreSQL server (as ``scripts/with-postgres`` does for the tests).
"""

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta

from lists import p99, setup_django, start_postgres, timed  # bench/lists.py

COUNTRIES = ["FJ", "WS", "TO", "VU", "PG", "SB", "KI", "NR", "PH", "TH", "MY", "ID"]
GENDERS = ["female"] * 45 + ["male"] * 50 + ["another"] * 1 + ["not_stated"] * 4
BATCH = 5_000


def build(participants: int, sessions: int) -> None:
    """The store; the readers are users ``coordinator`` and ``analyst``."""
    from django.db import connection, transaction

    from vaka.directory.models import Country, Organisation, Programme, User
    from vaka.training import trained
    from vaka.training.models import Course, Enrolment, Participant, Session, Topic

    rng = random.Random(13)
    for code in COUNTRIES:
        Country.objects.get_or_create(code=code, defaults={"alpha3": code + "X",
                                                           "name": f"Country {code}"})
    centre = Organisation.objects.create(name="Bench Centre", kind="coordination_centre",
                                         country_id="WS")
    units = [Organisation.objects.create(name=f"Unit {n}", kind="police_unit",
                                         country_id=COUNTRIES[n % len(COUNTRIES)])
             for n in range(36)]
    coordinator = User.objects.create(username="coordinator", organisation=centre,
                                      role="coordinator")
    User.objects.create(username="analyst", organisation=units[0], role="analyst")
    programmes = [Programme.objects.create(code=f"bench-{n}", name=f"Bench programme {n}")
                  for n in range(2)]
    for programme in programmes:
        programme.coordinators.add(coordinator)
    topics = list(Topic.values)
    courses = Course.objects.bulk_create([Course(
        owner=centre, code=f"course-{n}", title=f"Course {n}",
        topics=[topics[n % len(topics)], *rng.sample(topics, rng.choice([0, 1]))],
        programme=programmes[n % 2], human_rights_gender=n % 5 == 0,
        gender_marker=n % 3, distribution="members" if n % 8 else "organisation",
        tlp="green") for n in range(40)])
    development = [c for c in courses if "trainer_development" in c.topics]
    start = date(2023, 1, 2)
    cancelled = datetime(2023, 1, 1, tzinfo=UTC)
    made = Session.objects.bulk_create([Session(
        course=rng.choice(courses), reference=f"B-{n:06d}",
        starts=(day := start + timedelta(days=rng.randrange(4 * 365))),
        ends=day + timedelta(days=rng.randrange(5)), place="Bench",
        country_id=rng.choice(COUNTRIES), capacity=30,
        cancelled_at=None if rng.random() > 0.02 else cancelled)
        for n in range(sessions)], batch_size=BATCH)
    made.sort(key=lambda s: s.starts)
    people = Participant.objects.bulk_create([Participant(
        given_name=f"Given{n}", family_name=f"Family{n}",
        organisation=(unit := rng.choice(units)), country_id=unit.country_id,
        gender=rng.choice(GENDERS)) for n in range(participants)], batch_size=BATCH)
    rows, pairs = [], set()
    for person in people:
        for _ in range(rng.choice([1, 1, 1, 2, 2, 3])):
            session = rng.choice(made)
            if (person.pk, session.pk) in pairs:
                continue
            pairs.add((person.pk, session.pk))
            status = rng.choices(["enrolled", "waitlisted", "withdrawn"], [90, 5, 5])[0]
            scored = rng.random() < 0.66
            pre = rng.randint(20, 70) if scored else None
            rows.append(Enrolment(
                participant=person, session=session, status=status,
                pre_score=pre, post_score=min(100, pre + rng.randint(-5, 35)) if scored
                else None, completion=rng.choices(["complete", "pass", "fail", "incomplete"],
                                                  [40, 30, 10, 20])[0]))
    with transaction.atomic():
        Enrolment.objects.bulk_create(rows, batch_size=BATCH)
    # Trainers: 600 people, a third of whom completed a trainer-development course first.
    trainers = rng.sample(people, 600)
    through = Session.trainers.through
    links = {(s.pk, t.pk) for s in made for t in rng.sample(trainers, rng.randint(1, 3))}
    through.objects.bulk_create([through(session_id=s, participant_id=t) for s, t in links],
                                batch_size=BATCH)
    early = [s for s in made[:len(made) // 3] if s.course in development]
    Enrolment.objects.bulk_create([Enrolment(
        participant=t, session=rng.choice(early), completion="complete")
        for t in trainers[:200]], batch_size=BATCH, ignore_conflicts=True)
    started = time.perf_counter()
    rows = trained.rebuild()  # bulk_create saves nothing one by one: the rows at once
    print(f"{rows:,} statistics rows written in {time.perf_counter() - started:.1f} s",
          file=sys.stderr)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE" if connection.vendor == "sqlite" else "VACUUM ANALYZE")
    print(f"{len(people):,} participants, {len(made):,} sessions, "
          f"{Enrolment.objects.count():,} enrolments, {len(links):,} trainer places",
          file=sys.stderr)


def measure(runs: int) -> None:
    from django.db import connection

    from vaka.directory.models import User
    from vaka.training.statistics import Filters, training_figures

    coordinator = User.objects.get(username="coordinator")
    analyst = User.objects.get(username="analyst")

    def floor() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT p.gender, count(DISTINCT e.participant_id) "
                           "FROM training_enrolment e JOIN training_participant p "
                           "ON p.id = e.participant_id GROUP BY p.gender")
            cursor.fetchall()

    everything = training_figures(coordinator, Filters())
    own = training_figures(analyst, Filters())
    print(f"{connection.vendor}: the coordinator counts {everything.people:,} people "
          f"trained in {everything.sessions:,} sessions; the unit's analyst "
          f"{own.people:,} people")
    from django.conf import settings
    from django.test import Client, override_settings
    from django.urls import reverse

    # The throwaway data directory has no collected static files: name them unhashed.
    override_settings(STORAGES={**settings.STORAGES, "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}).enable()
    page = Client(HTTP_HOST="localhost")
    page.force_login(coordinator)
    url = reverse("training:statistics")

    def rendered() -> None:
        response = page.get(url)
        assert response.status_code == 200 and b"<svg" in response.content

    cases = {
        "baseline: raw GROUP BY, people by gender": floor,
        "training_figures, programme coordinator": lambda: training_figures(
            coordinator, Filters()),
        "the statistics page, rendered, programme coordinator": rendered,
        "training_figures, coordinator, one programme and year": lambda: training_figures(
            coordinator, Filters(programme="bench-0", since=date(2025, 1, 1),
                                 until=date(2025, 12, 31))),
        "training_figures, one unit's analyst": lambda: training_figures(analyst, Filters()),
    }
    base = None
    print(f"{'':60} {'median ms':>10} {'p99 ms':>8} {'x base':>8}")
    for label, call in cases.items():
        times = timed(runs, call)
        median = statistics.median(times)
        base = base or median
        print(f"{label:60} {median:10.1f} {p99(times):8.1f} {median / base:8.2f}")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=100_000)
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    stop = None
    if args.postgres and not os.environ.get("VAKA_DATABASE_URL"):
        os.environ["VAKA_DATABASE_URL"], stop = start_postgres()
    elif not args.postgres:
        os.environ.pop("VAKA_DATABASE_URL", None)
    data_dir = tempfile.mkdtemp(prefix="vaka-bench-")
    try:
        setup_django(data_dir)
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        build(args.participants, args.sessions)
        print(f"built in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        measure(args.runs)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
        if stop:
            stop()


if __name__ == "__main__":
    main()
