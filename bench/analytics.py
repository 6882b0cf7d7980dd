"""The analytics dashboard at 1,000,000 objects: the refresh, and the page for a desk analyst.

    python bench/analytics.py [--objects 1000000] [--runs 20] [--postgres] [--scatter]

Builds the store with raw batched inserts (the rows ``intel.bulk`` writes) in a throwaway
data directory: 24 agencies in 12 countries and the desk; objects arrive in submissions of
1 to 2,000 as they do (a submission's objects share owner, markings, day and labels: crime
types, a threat actor, an ATT&CK technique), spread over 24 months, every TLP and
distribution, with communities, recipient organisations and named people; 1 % are
threat-actor and attack-pattern objects. Every indicator carries one value in the
observable index, 10 % of them one of 20,000 values that several agencies hold.
``--scatter`` gives each object its own markings and labels instead (no submission shares
anything): the worst case for the figures, which count per distinct combination.

Measured: ``figures.refresh()`` once (the scheduler's job) and the cache warming that
follows it, then, for an analyst of the desk (in the audience of most records through a
community and recipient lists), in process with the test client: the dashboard page on a
first visit with nothing cached (the shared-value counts computed), then warm (as after
the refresh's warming, or a second visit), the page filtered by a crime type and a
country, and one chart's CSV. Baselines of the same run: one figure, objects by owner's
country, read straight from the objects through the policy (what each chart would cost
without the figures), and the raw SQL count of every object (no policy, no grouping).
"""

import argparse
import gc
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from lists import p99, setup_django, start_postgres, timed  # bench/lists.py

BATCH = 20_000
COUNTRIES = ["FJ", "WS", "TO", "VU", "PG", "SB", "KI", "NR", "PH", "TH", "MY", "ID"]
CRIMES = ["ransomware", "phishing", "bec", "online-scam", "sextortion", "crypto-fraud",
          "intrusion", "ddos", "malware", "money-laundering", "identity-theft", "ocse"]
TYPES = ["indicator"] * 90 + ["malware"] * 3 + ["report"] * 3 + ["threat-actor"] * 1 + \
    ["attack-pattern"] * 1 + ["vulnerability"] * 2
DISTRIBUTIONS = ["members"] * 5 + ["communities"] * 3 + ["organisation"] * 2 + ["federation"]
TLPS = ["green"] * 5 + ["amber"] * 3 + ["clear", "red", "amber+strict"]
SHARED_VALUES = 20_000


def _galaxy(name: str, count: int) -> list[str]:
    from vaka.intel import galaxies

    values = galaxies.cluster_values(name)
    return [values[i * len(values) // count] for i in range(count)]


def build(objects: int, scatter: bool) -> None:
    """The store; the reader is user ``bench`` of the desk."""
    from django.db import connection, transaction

    from vaka.directory.models import Community, Country, Organisation, User
    from vaka.intel import bulk
    from vaka.intel.models import Observable, StixObject, Submission
    from vaka.intel.parsing.observables import value_hash
    from vaka.policy.models import Audience

    for code in COUNTRIES:
        Country.objects.get_or_create(code=code, defaults={"alpha3": code + "X",
                                                           "name": f"Country {code}"})
    desk = Organisation.objects.create(name="Bench Desk", kind="desk")
    agencies = [Organisation.objects.create(name=f"Agency {n}", kind="police_unit",
                                            country_id=COUNTRIES[n % len(COUNTRIES)])
                for n in range(24)]
    reader = User.objects.create(username="bench", organisation=desk, role="analyst",
                                 last_login=datetime.now(UTC))
    colleague = User.objects.create(username="colleague", organisation=agencies[0],
                                    role="analyst")
    everyone = Community.objects.create(name="Bench members")
    everyone.members.set([desk, *agencies])
    pacific = Community.objects.create(name="Bench Pacific")
    pacific.members.set(agencies[:12])

    def audience(communities: list, organisations: list, people: list) -> int:
        made, fresh = Audience.objects.get_or_create(key=Audience.key_for(
            [c.pk for c in communities], [o.pk for o in organisations],
            [p.pk for p in people]))
        if not fresh:
            return made.pk
        made.communities.set(communities)
        made.organisations.set(organisations)
        made.people.set(people)
        return made.pk

    audiences = {
        "communities": [audience([everyone], [], []), audience([pacific], [], [])],
        "amber": [audience([], [desk], []), audience([], agencies[:3], []),
                  audience([everyone], [desk, agencies[1]], [])],
        "amber+strict": [audience([], [desk], []), audience([], agencies[4:6], [])],
        "red": [audience([], [], [reader]), audience([], [], [colleague])],
    }
    submission = Submission.objects.create(organisation=desk, user=reader, source="api",
                                           format="stix", status="stored")
    template = {f.column: f.get_default() for f in StixObject._meta.concrete_fields
                if not f.primary_key}
    actors = _galaxy("threat-actor", 40)
    techniques = _galaxy("mitre-attack-pattern", 60)
    rng = random.Random(7)
    start = datetime(2024, 12, 1, tzinfo=UTC)
    shared_pool = [f"shared-{n}.bench-c2.xyz" for n in range(SHARED_VALUES)]

    def markings() -> dict:
        distribution, tlp = rng.choice(DISTRIBUTIONS), rng.choice(TLPS)
        choices = audiences.get(tlp) or (audiences["communities"]
                                         if distribution == "communities" else [None])
        return {"owner_id": rng.choice(agencies).pk, "distribution": distribution,
                "tlp": tlp, "audience_id": rng.choice(choices)}

    def labels() -> list[str]:
        chosen = [f'vaka:crime-type="{c}"' for c in rng.sample(CRIMES, rng.choice([0, 1, 1, 2]))]
        if rng.random() < 0.4:
            chosen.append(f'misp-galaxy:threat-actor="{rng.choice(actors)}"')
        if rng.random() < 0.4:
            chosen.append(f'misp-galaxy:mitre-attack-pattern="{rng.choice(techniques)}"')
        return chosen

    columns = bulk.OBSERVABLE_COLUMNS
    made, left = 0, 0
    batch_marks, batch_labels, moment = {}, [], start
    while made < objects:
        rows, values = [], []
        for i in range(made, min(made + BATCH, objects)):
            if scatter or left == 0:  # a new submission
                left = rng.randint(1, 2_000)
                batch_marks, batch_labels = markings(), labels()
                moment = start + timedelta(seconds=rng.randrange(730 * 86400))
            left -= 1
            type_ = rng.choice(TYPES)
            if type_ == "threat-actor":
                name = rng.choice(actors)
            elif type_ == "attack-pattern":
                name = rng.choice(techniques).rpartition(" - ")[0]
            else:
                name = f"bench-{i}.example-c2.xyz"
            when = bulk.db_time(moment + timedelta(seconds=i % 3600))
            tags = batch_labels
            row = {**template, **batch_marks, "type": type_, "name": name, "description": "",
                   "stix_id": f"{type_}--{i:08d}-0000-4000-8000-000000000000",
                   "version_key": "k", "stix_created": when, "stix_modified": when,
                   "created": when, "modified": when, "data": bulk.db_json({"name": name}),
                   "labels": bulk.db_json(tags),
                   "label_text": "|" + "|".join(tags) + "|" if tags else "",
                   "handling": "[]", "submission_id": submission.pk, "revoked": False}
            rows.append(tuple(row.get(column) for column in bulk.OBJECT_COLUMNS))
            if type_ == "indicator":
                values.append(rng.choice(shared_pool) if rng.random() < 0.1 else name)
            else:
                values.append(None)
        with transaction.atomic():
            first = bulk.last_object_id()
            if connection.vendor == "postgresql":  # COPY: executemany is one round trip a row
                with connection.cursor() as cursor, cursor.connection.cursor().copy(
                        f"COPY intel_stixobject ({', '.join(bulk.OBJECT_COLUMNS)}) "
                        "FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                bulk.insert_objects(rows)
            ids = list(StixObject.objects.filter(pk__gt=first).order_by("pk")
                       .values_list("pk", flat=True))
            observed = [{"object_id": pk, "kind": "domain", "value": value,
                         "value_hash": value_hash("domain", value), "warninglists": ""}
                        for pk, value in zip(ids, values, strict=True) if value]
            bulk._insert(Observable._meta.db_table, columns,
                         [tuple(o[c] for c in columns) for o in observed])
        made += len(rows)
        print(f"\r  {made:,} objects", end="", file=sys.stderr)
    print(file=sys.stderr)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE" if connection.vendor == "sqlite" else "VACUUM ANALYZE")


def measure(runs: int) -> None:
    from django.core.cache import caches
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import override_settings

    from vaka.directory.models import User
    from vaka.intel.models import ObjectFigure, StixObject, ValueFigure
    from vaka.policy.visibility import visible_to
    from vaka.products import figures

    reader = User.objects.get(username="bench")
    started = time.perf_counter()
    state = figures.refresh()
    refreshed = time.perf_counter() - started
    started = time.perf_counter()
    figures.warm_recent()
    print(f"{connection.vendor}: refresh counted {state.counted:,} objects in "
          f"{refreshed:.1f} s ({ObjectFigure.objects.count():,} figure rows, "
          f"{ValueFigure.objects.count():,} shared-value rows); warming the cache for "
          f"recent users took {time.perf_counter() - started:.1f} s")
    plain = {"staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
             "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    with override_settings(ALLOWED_HOSTS=["testserver"], STORAGES=plain):
        web = Client()
        web.force_login(reader)

        def ok(url: str, params: dict | None = None) -> Callable[[], None]:
            def call() -> None:
                answer = web.get(url, params)
                assert answer.status_code == 200, answer.content[:500]
            return call

        def floor() -> None:
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM intel_stixobject")
                cursor.fetchall()

        def straight() -> None:
            list(visible_to(reader, StixObject.objects.filter(revoked=False)).order_by()
                 .values("owner__country_id").annotate(n=Count("pk")))

        def cold() -> None:
            caches["default"].clear()  # as for a first visit after a refresh, unwarmed
            ok("/analytics/")()

        cases = {
            "baseline: one figure from the objects": straight,
            "baseline: raw count(*) of every object": floor,
            "web: dashboard, first visit (cold)": cold,
            "web: dashboard": ok("/analytics/"),
            "web: dashboard, crime type and country": ok(
                "/analytics/", {"crime_type": "ransomware", "country": "FJ"}),
            "web: one chart's CSV": ok("/analytics/countries.csv"),
        }
        for call in cases.values():
            call()
        gc.collect()
        gc.freeze()
        base = None
        print(f"{'':42} {'median ms':>10} {'p99 ms':>8} {'x base':>8}")
        for label, call in cases.items():
            times = timed(runs, call)
            median = statistics.median(times)
            base = base or median
            print(f"{label:42} {median:10.1f} {p99(times):8.1f} {median / base:8.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--scatter", action="store_true")
    parser.add_argument("--data-dir", help="keep the store here and reuse it on the next run "
                        "(SQLite only; built when the folder is empty)")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # the child: the data dir
    args = parser.parse_args()
    if args.measure:  # a fresh process, as a server's would be
        setup_django(args.measure)
        gc.freeze()
        measure(args.runs)
        return
    stop = None
    if args.postgres and not os.environ.get("VAKA_DATABASE_URL"):
        os.environ["VAKA_DATABASE_URL"], stop = start_postgres()
    elif not args.postgres:
        os.environ.pop("VAKA_DATABASE_URL", None)
    kept = bool(args.data_dir) and not args.postgres
    data_dir = args.data_dir if kept else tempfile.mkdtemp(prefix="vaka-bench-")
    try:
        setup_django(data_dir)
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        from vaka.directory.models import User

        if not User.objects.filter(username="bench").exists():
            started = time.perf_counter()
            build(args.objects, args.scatter)
            print(f"built {args.objects:,} objects in {time.perf_counter() - started:.0f} s")
        from django.db import connections

        connections.close_all()
        subprocess.run([sys.executable, __file__, "--measure", data_dir, "--runs",
                        str(args.runs)], check=True, env=os.environ.copy())
    finally:
        if not kept:
            shutil.rmtree(data_dir, ignore_errors=True)
        if stop:
            stop()


if __name__ == "__main__":
    main()
