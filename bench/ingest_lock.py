"""How long a large ingest keeps other writers waiting on SQLite.

    python bench/ingest_lock.py                   # a 300,000-indicator bundle
    python bench/ingest_lock.py --objects 50000

A fresh SQLite data directory; organisation B first stores half of the bundle's values
(untimed), so the ingest updates nothing of its own but correlates and notifies for real.
Then organisation A ingests the bundle twice, each time into a copy of that database: once
written in one transaction from its first object to its last (the path PostgreSQL keeps,
and SQLite's before staging), once staged and written in one short final step
(``intel.staging``). Meanwhile another connection writes one row in its own transaction
every 50 ms, as a sign-in or an audit entry would, and records how long each write waited
for the lock. The figures that matter are structural (the longest wait, the final step's
share of the ingest); the machine may be loaded, so absolute times vary. The bundle comes
from ``bench/ingest.py``.
"""

import argparse
import contextlib
import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import ingest as ingest_bench  # bench/ingest.py: the bundle, the organisations

TOUCH_EVERY = 0.05  # seconds between the other connection's writes
LOCKED_AFTER = 20  # VAKA's SQLite busy timeout: a wait past it fails "database is locked"


def child(args: argparse.Namespace) -> None:
    """One ingest of the bundle, alone in its process (its own connection and worker)."""
    ingest_bench.setup_django(args.data_dir)
    from vaka.intel import staging
    from vaka.intel.parsing.warninglists import default_warninglists

    final = []
    if args.single:
        staging.session = lambda: contextlib.nullcontext()  # the one-transaction path
    else:
        apply = staging.Stage.apply

        def timed(self: staging.Stage, *a: object) -> None:
            started = time.perf_counter()
            apply(self, *a)
            final.append(time.perf_counter() - started)

        staging.Stage.apply = timed
    a, _b, user = ingest_bench.organisations()
    default_warninglists()  # once per process: `vaka serve` does it at start-up
    started = time.perf_counter()
    submission = ingest_bench.ingest_file(Path(args.bundle), a, user)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "final": final[0] if final else None,
                      "peak_mb": peak_mb, "summary": submission.summary()}))


class Toucher(threading.Thread):
    """Another writer: one small write in its own transaction, again and again."""

    def __init__(self, database: Path) -> None:
        super().__init__(daemon=True)
        self.db = sqlite3.connect(database, timeout=3600, isolation_level=None,
                                  check_same_thread=False)
        self.db.execute("CREATE TABLE IF NOT EXISTS bench_touch (n INTEGER)")
        self.db.execute("INSERT INTO bench_touch VALUES (0)")
        self.waits: list[float] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            started = time.perf_counter()
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute("UPDATE bench_touch SET n = n + 1")
            self.db.execute("COMMIT")
            self.waits.append(time.perf_counter() - started)
            time.sleep(TOUCH_EVERY)


def measured(data_dir: Path, bundle: Path, *, single: bool) -> dict:
    toucher = Toucher(data_dir / "vaka.sqlite3")
    toucher.start()
    try:
        run = subprocess.run(
            [sys.executable, __file__, "--child", "--data-dir", str(data_dir), "--bundle",
             str(bundle), *(["--single"] if single else [])],
            capture_output=True, text=True, env={**os.environ, "VAKA_DATA_DIR": str(data_dir)})
    finally:
        toucher.stop.set()
        toucher.join()
    if run.returncode:
        sys.exit(run.stderr)
    result = json.loads(run.stdout.strip().splitlines()[-1])
    waits = toucher.waits
    return {**result, "longest_wait": max(waits), "writes": len(waits),
            "failed": sum(w > LOCKED_AFTER for w in waits)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--objects", type=int, default=300_000, help="indicators in the bundle")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--single", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", help=argparse.SUPPRESS)
    parser.add_argument("--bundle", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    work = Path(tempfile.mkdtemp(prefix="vaka-bench-lock-"))
    try:
        template = work / "template"
        template.mkdir()
        ingest_bench.setup_django(str(template))
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", verbosity=0)
        _a, b, _user = ingest_bench.organisations()
        n = args.objects
        print(f"Preparing: organisation B stores {n // 2:,} indicators (untimed)…", flush=True)
        ingest_bench.write_bundle(work / "b.json", range(0, n, 2), "B")
        ingest_bench.ingest_file(work / "b.json", b, None)
        connection.close()
        ingest_bench.write_bundle(work / "a.json", range(n), "A")
        results = {}
        for label, single in (("one transaction", True), ("staged", False)):
            data_dir = work / label.replace(" ", "-")
            shutil.copytree(template, data_dir)
            print(f"Ingesting {n:,} indicators as organisation A ({label})…", flush=True)
            results[label] = measured(data_dir, work / "a.json", single=single)
            shutil.rmtree(data_dir)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    before, after = results["one transaction"], results["staged"]
    print()
    print(f"{'':18}{'ingest s':>10}{'lock held s':>13}{'longest wait s':>16}"
          f"{'other writes':>14}{'> 20 s':>8}{'peak MB':>9}")
    for label, r in results.items():
        held = r["seconds"] if r["final"] is None else r["final"]
        print(f"{label:18}{r['seconds']:>10.1f}{held:>13.1f}{r['longest_wait']:>16.2f}"
              f"{r['writes']:>14,}{r['failed']:>8}{r['peak_mb']:>9,.0f}")
    print(f"staged: the write lock is held for {after['final']:.1f} s of the "
          f"{after['seconds']:.1f} s ingest ({after['final'] / after['seconds']:.0%}); the "
          f"other writer's longest wait is {after['longest_wait'] / before['longest_wait']:.0%} "
          f"of the one-transaction path's")
    print(f"ingest time, staged / one transaction: "
          f"{after['seconds'] / before['seconds']:.2f}x (same run)")
    print(f"submission: {after['summary']}")


if __name__ == "__main__":
    main()
