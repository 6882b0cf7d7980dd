"""Lists at any size: a filtered list page, its next page and a search answer, at 1,000,000
objects, for one client.

    python bench/lists.py [--objects 1000000] [--runs 50] [--postgres]

Builds the store with raw batched inserts (the rows ``intel.bulk`` writes) in a throwaway
data directory: three organisations, objects of several types and every TLP, some with
recipient lists naming the reader's organisation or the reader. An analyst of one of them
(so the policy's audience join is in every query) then asks, through the web page and the
API as a browser or client would:

* the filtered list ``type=indicator&tlp=amber`` (page 1, with its capped count),
* page 2 of it, through the cursor in page 1's ``next`` link,
* a search for a word of the objects' names.

Reported: median and p99 of each, and the baseline measured in the same run: the raw SQL
of one page of the same filter without the policy join or rendering (the database's floor
for a page), plus the exact count the lists used to run on every page, once.

``--postgres`` runs against ``VAKA_DATABASE_URL`` when it is set, otherwise starts a
throwaway PostgreSQL server (as ``scripts/with-postgres`` does for the tests).
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BATCH = 20_000
WORDS = ["harbour", "lagoon", "reef", "atoll", "trade", "freight", "portal", "relay",
         "cable", "tide", "coral", "monsoon", "pearl", "canoe", "summit", "island"]
TYPES = ["indicator"] * 6 + ["domain-name", "ipv4-addr", "malware", "report"]
TLPS = ["green"] * 4 + ["amber"] * 3 + ["clear", "red", "amber+strict"]
DISTRIBUTIONS = ["members"] * 5 + ["organisation"] * 3 + ["communities"] * 2


def setup_django(data_dir: str) -> None:
    os.environ["VAKA_DATA_DIR"] = data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vaka.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


def start_postgres() -> tuple[str, Callable[[], None]]:
    """A throwaway PostgreSQL server on a free loopback port: its URL and how to stop it."""
    import socket

    bindir = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
    folder = tempfile.mkdtemp(prefix="vaka-bench-pg-")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    run_as = []
    if os.getuid() == 0:
        shutil.chown(folder, "postgres")
        run_as = ["runuser", "-u", "postgres", "--"]
    subprocess.run([*run_as, str(bindir / "initdb"), "-D", f"{folder}/data", "-U", "vaka",
                    "--auth=trust", "-E", "UTF8"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([*run_as, str(bindir / "pg_ctl"), "-D", f"{folder}/data", "-l",
                    f"{folder}/log", "-w", "-o",
                    f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off "
                    "-c synchronous_commit=off -c full_page_writes=off "
                    "-c shared_buffers=256MB -c work_mem=16MB", "start"],
                   check=True, stdout=subprocess.DEVNULL)

    def stop() -> None:
        subprocess.run([*run_as, str(bindir / "pg_ctl"), "-D", f"{folder}/data", "-m",
                        "immediate", "stop"], check=False, stdout=subprocess.DEVNULL)
        shutil.rmtree(folder, ignore_errors=True)

    return f"postgres://vaka@127.0.0.1:{port}/postgres", stop


def build(objects: int) -> object:
    """The store: ``objects`` STIX objects in three organisations; returns the reader."""
    from django.db import connection, transaction

    from vaka.directory.models import Organisation, User
    from vaka.intel import bulk
    from vaka.intel.models import StixObject, Submission
    from vaka.policy.models import Audience

    reader_org = Organisation.objects.create(name="Bench Reader", kind="police_unit")
    others = [Organisation.objects.create(name=f"Bench {n}", kind="police_unit")
              for n in ("B", "C")]
    reader = User.objects.create(username="bench", organisation=reader_org, role="analyst")
    to_reader = Audience.objects.create(key=Audience.key_for([], [reader_org.pk], []))
    to_reader.organisations.add(reader_org)
    named = Audience.objects.create(key=Audience.key_for([], [], [reader.pk]))
    named.people.add(reader)
    elsewhere = Audience.objects.create(key=Audience.key_for([], [others[1].pk], []))
    elsewhere.organisations.add(others[1])
    submission = Submission.objects.create(
        organisation=others[0], user=reader, source="api", format="stix", status="done",
        owner=others[0]) if any(f.name == "owner" for f in Submission._meta.fields) else \
        Submission.objects.create(organisation=others[0], user=reader, source="api",
                                  format="stix", status="done")
    template = {f.column: f.get_default() for f in StixObject._meta.concrete_fields
                if not f.primary_key}
    owners = [reader_org.pk, others[0].pk, others[1].pk, others[0].pk]
    audiences = {"amber": [to_reader.pk, elsewhere.pk, None],
                 "amber+strict": [to_reader.pk, elsewhere.pk], "red": [named.pk, None]}
    rng = random.Random(7)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    columns = bulk.OBJECT_COLUMNS
    for first in range(0, objects, BATCH):
        rows = []
        for i in range(first, min(first + BATCH, objects)):
            tlp = rng.choice(TLPS)
            moment = bulk.db_time(start + timedelta(seconds=i * 30 + rng.randrange(30)))
            name = f"{rng.choice(WORDS)}-{rng.choice(WORDS)}-{i}.example.net"
            row = {**template, "owner_id": rng.choice(owners), "tlp": tlp,
                   "distribution": rng.choice(DISTRIBUTIONS),
                   "audience_id": rng.choice(audiences.get(tlp, [None])),
                   "type": rng.choice(TYPES), "name": name, "description": "",
                   "stix_id": f"indicator--{i:08d}-0000-4000-8000-000000000000",
                   "version_key": "k", "stix_created": moment, "stix_modified": moment,
                   "created": moment, "modified": moment, "data": bulk.db_json({"name": name}),
                   "labels": "[]", "handling": "[]", "submission_id": submission.pk,
                   "revoked": False, "label_text": ""}
            rows.append(tuple(row.get(column) for column in columns))
        with transaction.atomic():
            if connection.vendor == "postgresql":  # COPY: executemany is one round trip a row
                with connection.cursor() as cursor, cursor.connection.cursor().copy(
                        f"COPY intel_stixobject ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                bulk.insert_objects(rows)
        print(f"\r  {min(first + BATCH, objects):,} objects", end="", file=sys.stderr)
    print(file=sys.stderr)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO intel_object_search (rowid, name, description) "
                           "SELECT id, name, description FROM intel_stixobject")
            cursor.execute("ANALYZE")
    else:
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    return reader


def timed(runs: int, call: Callable[[], object]) -> list[float]:
    call()  # warm the caches: a list page is asked again and again
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return times


def p99(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def measure(reader: object, runs: int) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import override_settings
    from rest_framework.test import APIClient

    plain = {"staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
             "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    with override_settings(ALLOWED_HOSTS=["testserver"], STORAGES=plain):
        web = Client()
        web.force_login(reader)
        api = APIClient()
        api.force_authenticate(reader)
        filtered = {"type": "indicator", "tlp": "amber"}
        first = api.get("/api/objects/", filtered)
        assert first.status_code == 200, first.content[:500]
        body = first.json()
        next_url = body["next"]
        word = WORDS[3]

        def ok(client: object, url: str, params: dict | None = None) -> Callable[[], None]:
            def call() -> None:
                answer = client.get(url, params)
                assert answer.status_code == 200, answer.content[:500]
            return call

        def page_two() -> None:
            assert api.get(next_url).status_code == 200

        def baseline() -> None:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT * FROM intel_stixobject WHERE type = %s AND tlp = %s "
                    "AND revoked = %s ORDER BY stix_modified DESC, id DESC LIMIT 51",
                    ["indicator", "amber", False])
                cursor.fetchall()

        from vaka.intel import selectors
        from vaka.web import pagination

        visible = selectors.objects_for(reader).filter(type="indicator", tlp="amber")
        cases = {
            "baseline: raw SQL of one page, no policy": baseline,
            "db: one page with the policy (ORM)": lambda: pagination.window(visible, 25),
            "db: capped count with the policy": lambda: pagination.capped_count(visible),
            "web: filtered list page 1": ok(web, "/intel/objects/", filtered),
            "web: filtered list page 2 (cursor)": ok(
                web, "/intel/objects/", {**filtered, "cursor": _cursor(next_url)}),
            "web: search": ok(web, "/intel/objects/", {"search": word}),
            "api: filtered list page 1": ok(api, "/api/objects/", filtered),
            "api: filtered list page 2 (cursor)": page_two,
            "api: search": ok(api, "/api/objects/", {"search": word}),
        }
        for call in cases.values():  # warm every case, then freeze what lasts, as
            call()  # `vaka serve`'s workers do after their first requests
        gc.collect()
        gc.freeze()
        print(f"{connection.vendor}, count on page 1: {body['count']}")
        floor = None
        print(f"{'':44} {'median ms':>10} {'p99 ms':>8} {'x floor':>8}")
        for label, call in cases.items():
            times = timed(runs, call)
            median = statistics.median(times)
            floor = floor or median
            print(f"{label:44} {median:10.1f} {p99(times):8.1f} {median / floor:8.1f}")
        once = timed(1, lambda: api.get("/api/objects/", {**filtered, "count": "exact"}))
        print(f"{'api: page 1 with count=exact (once)':44} {once[0]:10.1f}")


def _cursor(url: str) -> str:
    from urllib.parse import parse_qs, urlsplit

    return parse_qs(urlsplit(url).query)["cursor"][0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--data-dir", help="keep the store here and reuse it on the next run "
                        "(SQLite only; built when the folder is empty)")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # the child: the data dir
    args = parser.parse_args()
    if args.measure:  # a fresh process, as a server's would be: none of the build's garbage
        setup_django(args.measure)
        from vaka.directory.models import User

        gc.freeze()  # what was loaded at start-up, as the warninglists' loader does
        measure(User.objects.get(username="bench"), args.runs)
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
            build(args.objects)
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
