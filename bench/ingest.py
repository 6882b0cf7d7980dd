"""Ingest and lookup speed on the embedded SQLite database.

    python bench/ingest.py                  # 100,000-indicator bundle, 10,000-value lookup
    python bench/ingest.py --n 1000000      # the memory check: a 1,000,000-indicator bundle
    python bench/ingest.py --lookup-store 1000000

Half of the bundle's values are already stored by another organisation, so correlation
and hit notifications run for real. The baseline, in the same run and database, is a raw
``executemany`` of the very rows Vaka wrote (objects, versions, observable index) into
clones of those tables with the same indexes: the database's floor for the same work. Peak
memory is the ingesting process's maximum resident set, measured in a child process.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
T0 = "2026-01-10T08:00:00.000Z"


def setup_django(data_dir: str) -> None:
    os.environ["VAKA_DATA_DIR"] = data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vaka.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


def value(i: int) -> str:
    return f"host{i}.bench-{i % 97}.net"


def indicator(i: int, owner: str) -> dict:
    v = value(i)
    return {"type": "indicator", "spec_version": "2.1",
            "id": f"indicator--{uuid.uuid5(uuid.NAMESPACE_DNS, owner + v)}",
            "created": T0, "modified": T0, "name": v,
            "pattern": f"[domain-name:value = '{v}']", "pattern_type": "stix",
            "valid_from": T0, "labels": ["bench"]}


def write_bundle(path: Path, indexes: range, owner: str) -> None:
    with path.open("w") as out:
        out.write(f'{{"type": "bundle", "id": "bundle--{uuid.uuid4()}", "objects": [')
        for n, i in enumerate(indexes):
            out.write(("," if n else "") + json.dumps(indicator(i, owner)))
        out.write("]}")


def organisations() -> tuple:
    from vaka.directory.models import Organisation, User

    a, _ = Organisation.objects.get_or_create(name="Bench A", defaults={"kind": "police_unit"})
    b, _ = Organisation.objects.get_or_create(name="Bench B", defaults={"kind": "police_unit"})
    user, _ = User.objects.get_or_create(username="bench", defaults={"organisation": a,
                                                                     "role": "analyst"})
    return a, b, user


def ingest_file(path: Path, org: object, user: object) -> object:
    from vaka.intel import services
    from vaka.policy.services import Markings

    return services.ingest_path(path, organisation=org, user=user, source="cli",
                                markings=Markings(tlp="amber", distribution="organisation"))


def child(args: argparse.Namespace) -> None:
    """The timed ingest, alone in its process so its peak memory is its own."""
    setup_django(args.data_dir)
    a, _b, user = organisations()
    from vaka.intel.parsing.warninglists import default_warninglists

    loading = time.perf_counter()
    default_warninglists()  # once per process: `vaka serve` does it at start-up
    load_seconds = time.perf_counter() - loading
    started = time.perf_counter()
    submission = ingest_file(Path(args.bundle), a, user)
    seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    worker_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(json.dumps({"seconds": seconds, "peak_mb": peak_kb / 1024,
                      "worker_mb": worker_kb / 1024, "load": load_seconds,
                      "summary": submission.summary() | {"errors": submission.errors[:3]}}))


def raw_insert_seconds(submission_id: int) -> float:
    """Baseline: the rows Vaka wrote for the submission (objects, versions, observables,
    full-text rows), replayed with executemany into clones of the same tables with the same
    indexes, in one transaction: the database's own floor for this work."""
    from django.db import connection

    tables = {"intel_stixobject": "submission_id = %s",
              "intel_stixobjectversion": "submission_id = %s",
              "intel_observable": "object_id IN (SELECT id FROM intel_stixobject "
                                  "WHERE submission_id = %s)"}
    batches = {}
    with connection.cursor() as cursor:
        for table, where in tables.items():
            cursor.execute(f"SELECT * FROM {table} WHERE {where}", [submission_id])
            rows = [row[1:] for row in cursor.fetchall()]  # without the id
            cursor.execute(f"SELECT * FROM {table} LIMIT 0")
            columns = [d[0] for d in cursor.description][1:]
            cursor.execute(f"CREATE TABLE bench_{table} AS SELECT * FROM {table} WHERE 0")
            cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
                           "AND sql IS NOT NULL", [table])
            for (ddl,) in cursor.fetchall():
                cursor.execute(ddl.replace(f'"{table}"', f'"bench_{table}"')
                               .replace("INDEX \"", "INDEX \"bench_"))
            batches[table] = (columns, rows)
        # The full-text rows Vaka writes for the same objects (SQLite's search table).
        cursor.execute("SELECT s.rowid, s.name, s.description FROM intel_object_search s "
                       "JOIN intel_stixobject o ON o.id = s.rowid WHERE o.submission_id = %s",
                       [submission_id])
        search_rows = cursor.fetchall()
        cursor.execute("CREATE VIRTUAL TABLE bench_search USING fts5(name, description, "
                       "tokenize = 'unicode61 remove_diacritics 2')")
        started = time.perf_counter()
        cursor.execute("BEGIN")
        cursor.executemany("INSERT INTO bench_search (rowid, name, description) "
                           "VALUES (%s, %s, %s)", search_rows)
        for table, (columns, rows) in batches.items():
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO bench_{table} ({', '.join(columns)}) "
                               f"VALUES ({marks})", rows)
        cursor.execute("COMMIT")
        return time.perf_counter() - started


def lookup_bench(stored: int, asked: int) -> tuple[float, int]:
    """Store ``stored`` observables (raw, untimed), then time one lookup of ``asked``."""
    from django.db import connection, transaction

    from vaka.intel import services
    from vaka.intel.models import StixObject
    from vaka.intel.parsing.observables import value_hash

    _a, b, user = organisations()
    obj = StixObject.objects.create(owner=b, stix_id="indicator--lookup-bench",
                                    type="indicator", version_key="v", data={})
    rows = ((obj.pk, "domain", f"lk{i}.bench-lookup.org",
             value_hash("domain", f"lk{i}.bench-lookup.org"), "") for i in range(stored))
    with transaction.atomic(), connection.cursor() as cursor:
        batch = []
        for row in rows:
            batch.append(row)
            if len(batch) == 50_000:
                cursor.executemany("INSERT INTO intel_observable (object_id, kind, value, "
                                   "value_hash, warninglists) VALUES (%s, %s, %s, %s, %s)", batch)
                batch = []
        if batch:
            cursor.executemany("INSERT INTO intel_observable (object_id, kind, value, "
                               "value_hash, warninglists) VALUES (%s, %s, %s, %s, %s)", batch)
    values = [f"lk{i * 2}.bench-lookup.org" if i % 2 else f"miss{i}.bench-none.org"
              for i in range(asked)]
    from vaka.intel.parsing.warninglists import default_warninglists

    default_warninglists()  # loaded once per process, at start-up in `vaka serve`
    started = time.perf_counter()
    answers = services.lookup(values, user=user)
    seconds = time.perf_counter() - started
    return seconds, sum(a.hits for a in answers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100_000, help="indicators in the bundle")
    parser.add_argument("--lookup-store", type=int, default=1_000_000)
    parser.add_argument("--lookup-values", type=int, default=10_000)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", help=argparse.SUPPRESS)
    parser.add_argument("--bundle", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    data_dir = tempfile.mkdtemp(prefix="vaka-bench-")
    setup_django(data_dir)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    _a, b, _user = organisations()
    n = args.n
    work = Path(data_dir)
    print(f"Preparing: organisation B stores {n // 2:,} indicators (untimed)…", flush=True)
    write_bundle(work / "b.json", range(0, n, 2), "B")
    ingest_file(work / "b.json", b, None)
    write_bundle(work / "a.json", range(n), "A")  # every even value is also B's
    size = (work / "a.json").stat().st_size / 2**20
    print(f"Ingesting a {n:,}-indicator bundle ({size:.0f} MB) as organisation A…", flush=True)
    run = subprocess.run([sys.executable, __file__, "--child", "--data-dir", data_dir,
                          "--bundle", str(work / "a.json")], capture_output=True, text=True,
                         check=True, env={**os.environ, "VAKA_DATA_DIR": data_dir})
    result = json.loads(run.stdout.strip().splitlines()[-1])
    raw = raw_insert_seconds(result["summary"]["submission"])
    rate, raw_rate = n / result["seconds"], n / raw
    print()
    print(f"{'':34}{'objects/s':>12}{'seconds':>10}")
    print(f"{'Vaka ingest (end to end)':34}{rate:>12,.0f}{result['seconds']:>10.2f}")
    print(f"{'same rows, raw executemany':34}{raw_rate:>12,.0f}{raw:>10.2f}")
    print(f"ratio: Vaka takes {result['seconds'] / raw:.1f}x the raw insert's time "
          f"(target: within 4x, >= 10,000 objects/s)")
    print(f"peak memory of the ingesting process: {result['peak_mb']:.0f} MB, warninglists "
          f"included (target for 1,000,000 indicators: under 1 GB)")
    if result["worker_mb"]:
        print(f"peak memory of its preparing worker: {result['worker_mb']:.0f} MB, most of it "
              f"pages shared with the ingesting process (forked; set VAKA_INGEST_WORKER=0 to "
              f"measure without it)")
    print(f"(loading the warninglists once per process, untimed: {result['load']:.1f} s)")
    print(f"submission: {result['summary']}")
    from vaka.intel.models import HitNotification

    print(f"hit notifications sent to organisation B: {HitNotification.objects.count():,}")
    if args.lookup_store:
        seconds, hits = lookup_bench(args.lookup_store, args.lookup_values)
        print(f"lookup of {args.lookup_values:,} values against {args.lookup_store:,} stored "
              f"observables: {seconds:.2f} s ({hits:,} hits; target: under 1 s)")


if __name__ == "__main__":
    main()
