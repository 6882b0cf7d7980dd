"""Deconfliction of a 10,000-value list against 5,000 operations holding 1,000,000 target
values: the bulk check a coordinator runs, and the check of 10,000 targets just added.

    python bench/deconfliction.py [--operations 5000] [--targets 1000000]
                                  [--values 10000] [--runs 5] [--postgres]

Builds the store with raw batched inserts in a throwaway data directory: 24 agencies and
the desk; ``--operations`` operations, each in a compartment of its lead and one to three
other agencies, most marked TLP:GREEN to their participants, one in five TLP:AMBER (the
owner only); ``--targets`` target values spread over them (domains, IPv4 addresses,
e-mail addresses, people, online accounts, stored canonical with the index's hash); and
20,000 of those domains in the observable index, half in records every member sees, half
in one agency's own. A coordinator of one agency (a participant of about one operation in
eight) then checks ``--values`` values: 20 % held by some operation (most of them ones the
coordinator may not see: hit/no-hit), half of those in the index too, 2 % not valid, the
rest held nowhere.

Measured, median of ``--runs``:

* ``deconfliction.check_values`` — canonicalise every line, find the operations holding
  each value, decide which the coordinator sees, ask the observable index through the
  look-up's hit/no-hit (warninglists included), audit the check;
* the baseline of the same run: the raw SQL that finds the rows holding the same 10,000
  value hashes on the ``value_hash`` index (chunks of 5,000, no policy, no Python per
  value) — the database's floor for the question;
* once: the same list stored as the targets of one more operation, and their
  deconfliction (``deconfliction.check_added``: clashes recorded, audited, leads told).

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
from datetime import UTC, datetime

from lists import setup_django, start_postgres  # bench/lists.py

BATCH = 20_000
KINDS = ["domain"] * 10 + ["ipv4"] * 4 + ["email"] * 3 + ["person"] * 2 + ["account"]


def value_of(kind: str, n: int) -> str:
    """The ``n``-th value of ``kind``, written canonical (checked in ``build``)."""
    if kind == "domain":
        return f"h{n}.bench-{n % 997}.net"
    if kind == "ipv4":
        return f"{10 + n // 16_777_216 % 200}.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"
    if kind == "email":
        return f"u{n}@mail-{n % 991}.org"
    if kind == "person":
        return f"person number {n}"
    return f"telegram:handle{n}"


INDEXED: list[str] = []  # the values in the observable index (``build``)


def build(operations: int, targets: int) -> None:
    from django.db import connection, transaction

    from vaka.directory.models import Organisation, User
    from vaka.intel import bulk
    from vaka.intel.parsing.observables import value_hash
    from vaka.operations.models import Operation, Target
    from vaka.operations.values import canonical_target
    from vaka.policy.models import Compartment

    INDEXED[:] = [value_of("domain", n) for n in range(0, min(targets, 400_000), 20)]
    for kind in set(KINDS):
        for n in (0, 7, 123_456_789):
            assert canonical_target(kind, value_of(kind, n))[0] == value_of(kind, n), kind
    desk = Organisation.objects.create(name="Bench Desk", kind="desk")
    agencies = [Organisation.objects.create(name=f"Agency {n}", kind="police_unit")
                for n in range(24)]
    User.objects.create(username="bench", organisation=agencies[0], role="coordinator")
    User.objects.create(username="broker", organisation=desk, role="coordinator")
    rng = random.Random(12)
    with transaction.atomic():
        compartments = Compartment.objects.bulk_create(
            [Compartment(kind=Compartment.Kind.OPERATION) for _ in range(operations)])
        leads, members = [], []
        for compartment in compartments:
            circle = rng.sample(agencies, rng.randint(2, 4))
            leads.append(circle[0])
            members += [Compartment.organisations.through(
                compartment_id=compartment.pk, organisation_id=org.pk) for org in circle]
        Compartment.organisations.through.objects.bulk_create(members, batch_size=5000)
        Operation.objects.bulk_create([
            Operation(owner=lead, lead=lead, compartment=compartment,
                      reference=f"OP-2026-{n:05d}", code_name=f"BENCH {n}",
                      objective="Benchmark", distribution="members",
                      tlp="amber" if rng.random() < 0.2 else "green")
            for n, (lead, compartment) in enumerate(zip(leads, compartments, strict=True))],
            batch_size=2000)
    ids = list(Operation.objects.order_by("pk").values_list("pk", "owner_id"))
    columns = [f.column for f in Target._meta.concrete_fields if not f.primary_key]
    added = bulk.db_time(datetime(2026, 1, 1, tzinfo=UTC))
    for first in range(0, targets, BATCH):
        rows = []
        for n in range(first, min(first + BATCH, targets)):
            kind = KINDS[n % len(KINDS)]
            value = value_of(kind, n)
            operation_id, org_id = ids[n % len(ids)]
            row = {"operation_id": operation_id, "kind": kind, "value": value, "shown": value,
                   "value_hash": value_hash(kind, value), "note": "", "added_by_id": None,
                   "organisation_id": org_id, "added": added}
            rows.append(tuple(row[column] for column in columns))
        with transaction.atomic():
            if connection.vendor == "postgresql":  # COPY: executemany is one round trip a row
                with connection.cursor() as cursor, cursor.connection.cursor().copy(
                        f"COPY operations_target ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                bulk._insert(Target._meta.db_table, columns, rows)
        print(f"\r  {min(first + BATCH, targets):,} targets", end="", file=sys.stderr)
    print(file=sys.stderr)
    # The observable index: 20,000 of these domains, half seen by every member, half held by
    # one agency alone (hit/no-hit for the coordinator).
    from vaka.intel import services
    from vaka.policy.services import Markings

    for n, markings in ((1, Markings(tlp="green", distribution="members")),
                        (2, Markings(tlp="amber", distribution="organisation"))):
        analyst = User.objects.create(username=f"analyst{n}", organisation=agencies[n],
                                      role="analyst")
        services.ingest_bytes(("value\n" + "\n".join(INDEXED[n - 1::2])).encode(),
                              organisation=agencies[n], user=analyst, source="api", fmt="csv",
                              markings=markings)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE" if connection.vendor == "sqlite" else "VACUUM ANALYZE")


def asked(values: int, targets: int) -> list[tuple[str, str]]:
    """The list checked: held values written as people write them, bad lines, the rest
    held nowhere."""
    rng = random.Random(34)
    lines = []
    for i in range(values):
        roll = rng.random()
        if roll < 0.1:
            lines.append(("domain", rng.choice(INDEXED)))
        elif roll < 0.2:
            n = rng.randrange(targets)
            kind = KINDS[n % len(KINDS)]
            text = value_of(kind, n)
            lines.append((kind, text.upper().replace(".", "[.]") if kind == "domain" else text))
        elif roll < 0.22:
            lines.append(("ipv4", f"999.{i}.0.1"))
        else:
            kind = KINDS[i % len(KINDS)]
            lines.append((kind, value_of(kind, targets + i)))
    return lines


def measure(values: int, targets: int, runs: int) -> None:
    from django.db import connection

    from vaka.directory.models import User
    from vaka.inbox.models import Notice
    from vaka.operations import deconfliction
    from vaka.operations.models import Operation, Target
    from vaka.operations.services import OperationDetails, open_operation
    from vaka.operations.values import canonical_target

    user = User.objects.get(username="bench")
    lines = asked(values, targets)
    hashes = []
    for kind, text in lines:
        try:
            hashes.append(canonical_target(kind, text)[1])
        except ValueError:
            continue
    table = Target._meta.db_table

    def raw() -> int:
        found = 0
        with connection.cursor() as cursor:
            for start in range(0, len(hashes), 5000):
                chunk = hashes[start:start + 5000]
                cursor.execute(
                    f"SELECT id, operation_id, kind, value, value_hash FROM {table} "
                    f"WHERE value_hash IN ({', '.join(['%s'] * len(chunk))})", chunk)
                found += len(cursor.fetchall())
        return found

    started = time.perf_counter()
    deconfliction.check_values(user, lines[:10])  # a new process loads the warninglists
    cold = time.perf_counter() - started
    checks, cpus, floors = [], [], []
    for _run in range(runs):
        started = time.perf_counter()
        held = raw()
        floors.append(time.perf_counter() - started)
        started, cpu = time.perf_counter(), time.process_time()
        answer = deconfliction.check_values(user, lines)
        checks.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
    check, floor = statistics.median(checks), statistics.median(floors)
    seen = sum(bool(line.finding.operations) for line in answer)
    hidden = sum(line.finding.held_elsewhere for line in answer)
    bad = sum(bool(line.error) for line in answer)
    intel = sum(bool(line.finding.intel) for line in answer)
    intel_held = sum(line.finding.intel_held for line in answer)
    print(f"{connection.vendor}: {Operation.objects.count():,} operations, "
          f"{Target.objects.count():,} target values; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"check of {len(lines):,} values: {check:.3f} s median of {runs} "
          f"(min {min(checks):.3f}, max {max(checks):.3f}; CPU of this process "
          f"{statistics.median(cpus):.3f}); {seen:,} in operations the "
          f"coordinator sees, {hidden:,} held beyond their sight (hit/no-hit), {bad:,} "
          f"refused; in the index {intel:,} seen, {intel_held:,} hit/no-hit; a new "
          f"process's first check of 10 values {cold:.2f} s")
    print(f"baseline, raw indexed IN-query of the same hashes ({held:,} rows): "
          f"{floor:.3f} s; ratio {check / floor:.1f}")
    # The same list added as targets of one more operation (stored in bulk here, as the
    # target services do), then deconflicted: clashes recorded, audited, leads notified.
    operation = open_operation(user=user, details=OperationDetails(
        code_name="BENCH ADD", objective="Benchmark", lead=user.organisation_id))
    rows = {}
    for kind, text in lines:
        try:
            value, hashed = canonical_target(kind, text)
        except ValueError:
            continue
        rows[(kind, value)] = Target(operation=operation, kind=kind, value=value, shown=text,
                                     value_hash=hashed, organisation_id=user.organisation_id)
    made = Target.objects.bulk_create(rows.values(), batch_size=2000)
    started = time.perf_counter()
    clashes = deconfliction.check_added([t.pk for t in made], user=user)
    print(f"{len(made):,} targets added to one operation, deconflicted in "
          f"{time.perf_counter() - started:.2f} s: {len(clashes):,} clashes recorded and "
          f"audited, {Notice.objects.filter(kind=Notice.Kind.CLASH).count():,} leads' "
          "notices (their e-mail jobs run in this process: no Celery broker)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--operations", type=int, default=5000)
    parser.add_argument("--targets", type=int, default=1_000_000)
    parser.add_argument("--values", type=int, default=10_000)
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

        # Everything the measure needs, imported before the minutes of building the store.
        from vaka.operations import deconfliction, services  # noqa: F401

        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        build(args.operations, args.targets)
        print(f"built {args.operations:,} operations, {args.targets:,} targets in "
              f"{time.perf_counter() - started:.0f} s")
        measure(args.values, args.targets, args.runs)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
        if stop:
            stop()


if __name__ == "__main__":
    main()
