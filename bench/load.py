"""Load: many clients at once against `vaka serve`, doing what a region's users do.

    python bench/load.py [--postgres] [--clients 50] [--seconds 60] [--workers 4]
                         [--objects 100000] [--writers 0]

Builds a store in a throwaway data directory (``--objects`` listed objects as
``bench/lists.py`` builds them, plus 2,000 indicators ingested through the service so that
lookups hit), starts ``vaka serve`` with ``--workers`` processes on a free loopback port,
and runs ``--clients`` clients at once for ``--seconds``. Each client signs in on the web
and loops over a weighted mix:

=====================  ======  ==========================================================
action                 weight  request
=====================  ======  ==========================================================
lookup                 30      ``POST /api/lookup/``, 5 values (3 held, 2 unknown)
api list               15      ``GET /api/objects/?type=indicator&tlp=amber``
TAXII poll             15      ``GET /taxii2/api/collections/…/objects/?limit=100``
web list               10      ``GET /intel/objects/?type=indicator&tlp=green``
search                 10      ``GET /api/objects/?search=<word>`` (half on the web page)
dashboard              8       ``GET /``
ingest                 10      ``POST /api/submissions/``, a STIX bundle of 5 new indicators
sign-in                2       the sign-in page, then its form (argon2 hashing)
=====================  ======  ==========================================================

``--writers N``: the first N clients only ingest, the others keep to the mix (on SQLite,
ten writers beside the readers: no request may fail on the database's one write lock).

Reported: requests per second, p50/p95/p99 per action and overall, errors (any 5xx or
failed connection; 4xx other than the ones an action expects count too), and each web
worker's memory after the load (PSS and RSS, from ``/proc``). The baseline, measured in
the same run with the same clients: the server's floor, ``GET /health/live`` (no
database, no session) — the ratio says how far each action is above it.

``--postgres`` uses ``VAKA_DATABASE_URL`` when set, otherwise a throwaway PostgreSQL
server (as ``bench/lists.py`` does). Rate limits are switched off for the run: this
measures the server, not its throttles.
"""

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path

from lists import ROOT, WORDS, build, setup_django, start_postgres  # bench/lists.py
from taxii import free_port, wait_for  # bench/taxii.py

HELD = 2_000
PASSWORD = "load-bench-password-1"  # a throwaway account of a throwaway store
TAXII = "application/taxii+json;version=2.1"
MIX = {"lookup": 30, "api list": 15, "taxii poll": 15, "web list": 10, "search": 10,
       "dashboard": 8, "ingest": 10, "sign-in": 2}
CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


def held_value(i: int) -> str:
    return f"load{i}.bench-{i % 89}.net"


def stix_bundle(values: list[str]) -> str:
    now = "2026-01-01T00:00:00.000Z"
    return json.dumps({"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": [
        {"type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
         "created": now, "modified": now, "name": v, "valid_from": now,
         "pattern": f"[domain-name:value = '{v}']", "pattern_type": "stix"}
        for v in values]})


def prepare(objects: int) -> dict[str, str]:
    """The store, a signed-in reader's password and token, and a TAXII collection."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)  # as `make run` does
    reader = build(objects)
    from vaka.directory.services import create_token
    from vaka.exchange.models import Collection
    from vaka.intel import services
    from vaka.policy.services import Markings

    reader.set_password(PASSWORD)
    reader.save()
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        handle.write(stix_bundle([held_value(i) for i in range(HELD)]))
    services.ingest_path(Path(handle.name), organisation=reader.organisation, user=reader,
                         source="cli", markings=Markings(tlp="green"))
    os.unlink(handle.name)
    collection = Collection.objects.create(title="Everything")
    return {"username": reader.username, "token": create_token(reader, name="load")[1],
            "collection": str(collection.id)}


class Client:
    """One user: a signed-in browser session and an API token, over one keep-alive
    connection pool."""

    def __init__(self, base: str, account: dict[str, str], rng: random.Random) -> None:
        import aiohttp

        self.base, self.account, self.rng = base, account, rng
        self.session = aiohttp.ClientSession(
            base, cookie_jar=aiohttp.CookieJar(unsafe=True),
            timeout=aiohttp.ClientTimeout(total=60))
        self.api = {"Authorization": f"Token {account['token']}"}

    async def sign_in(self) -> int:
        async with self.session.get("/accounts/login/") as page:
            body = await page.read()
        token = CSRF.search(body)
        if token is None:
            return 599
        async with self.session.post("/accounts/login/", allow_redirects=False, data={
                "username": self.account["username"], "password": PASSWORD,
                "csrfmiddlewaretoken": token.group(1).decode()},
                headers={"Referer": self.base + "/accounts/login/"}) as answer:
            await answer.read()
            return 200 if answer.status == 302 else answer.status

    async def get(self, path: str, headers: dict | None = None) -> int:
        async with self.session.get(path, headers=headers) as answer:
            await answer.read()
            return answer.status

    async def act(self, action: str) -> int:
        rng = self.rng
        if action == "lookup":
            values = [held_value(rng.randrange(HELD)) for _ in range(3)] + [
                f"198.51.{rng.randrange(256)}.{rng.randrange(256)}" for _ in range(2)]
            async with self.session.post("/api/lookup/", json={"values": values},
                                         headers=self.api) as answer:
                await answer.read()
                return answer.status
        if action == "api list":
            return await self.get("/api/objects/?type=indicator&tlp=amber", self.api)
        if action == "taxii poll":
            return await self.get(
                f"/taxii2/api/collections/{self.account['collection']}/objects/?limit=100",
                {**self.api, "Accept": TAXII})
        if action == "web list":
            return await self.get("/intel/objects/?type=indicator&tlp=green")
        if action == "search":
            word = rng.choice(WORDS)
            if rng.random() < 0.5:
                return await self.get(f"/intel/objects/?search={word}")
            return await self.get(f"/api/objects/?search={word}", self.api)
        if action == "dashboard":
            return await self.get("/")
        if action == "ingest":
            values = [f"new-{uuid.uuid4().hex[:12]}.bench.net" for _ in range(5)]
            async with self.session.post("/api/submissions/", headers=self.api, data={
                    "content": stix_bundle(values), "format": "stix", "tlp": "green",
                    "distribution": "members"}) as answer:
                await answer.read()
                return 200 if answer.status == 201 else answer.status
        if action == "sign-in":
            return await self.sign_in()
        if action == "floor":
            return await self.get("/health/live")
        raise ValueError(action)


async def run(base: str, account: dict[str, str], clients: int, seconds: float,
              mix: dict[str, int], writers: int = 0
              ) -> tuple[dict[str, list[float]], dict[str, int], float]:
    """Latencies (ms) and errors per action, and the wall time the load took. The first
    ``writers`` clients only ingest; the others follow ``mix``."""
    times: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    actions, weights = list(mix), list(mix.values())
    users = [Client(base, account, random.Random(n)) for n in range(clients)]
    await asyncio.gather(*(user.sign_in() for user in users))
    deadline = time.monotonic() + seconds

    async def loop(user: Client, writer: bool) -> None:
        while time.monotonic() < deadline:
            action = "ingest" if writer else user.rng.choices(actions, weights)[0]
            started = time.perf_counter()
            try:
                status = await user.act(action)
            except Exception as error:  # a failed connection or a timeout is an error too
                status = f"599 {type(error).__name__}"
            times[action].append((time.perf_counter() - started) * 1000)
            if status != 200:
                errors[f"{action}: {status}"] += 1

    started = time.monotonic()
    try:
        await asyncio.gather(*(loop(user, n < writers) for n, user in enumerate(users)))
    finally:
        await asyncio.gather(*(user.session.close() for user in users))
    return times, errors, time.monotonic() - started


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def report(label: str, times: dict[str, list[float]], errors: dict[str, int], wall: float,
           floor: float | None) -> float:
    every = [t for values in times.values() for t in values]
    throughput = len(every) / wall
    print(f"\n{label}: {len(every):,} requests in {wall:.0f} s = {throughput:,.0f} requests/s, "
          f"errors: {sum(errors.values())}")
    print(f"{'':14} {'count':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'x floor':>8}")
    for action, values in [*sorted(times.items()), ("all", every)]:
        p50 = statistics.median(values)
        ratio = f"{p50 / floor:8.1f}" if floor else f"{'':8}"
        print(f"{action:14} {len(values):7,} {p50:8.1f} {percentile(values, 0.95):8.1f} "
              f"{percentile(values, 0.99):8.1f} {ratio}")
    for what, count in sorted(errors.items()):
        print(f"  error {what}: {count}")
    return statistics.median(every)


def worker_memory(master: int) -> list[tuple[int, int, int]]:
    """(pid, PSS MB, RSS MB) of each process whose parent is ``master``."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) != master:
                continue
            rollup = (stat.parent / "smaps_rollup").read_text()
        except (OSError, IndexError, ValueError):
            continue
        sizes = {line.split(":")[0]: int(line.split()[1]) // 1024
                 for line in rollup.splitlines()[1:] if line.endswith("kB")}
        found.append((int(stat.parent.name), sizes.get("Pss", 0), sizes.get("Rss", 0)))
    return sorted(found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--objects", type=int, default=100_000)
    parser.add_argument("--writers", type=int, default=0,
                        help="clients that only ingest, beside the mix (SQLite's 10 writers)")
    args = parser.parse_args()
    stop_postgres = None
    if args.postgres and not os.environ.get("VAKA_DATABASE_URL"):
        os.environ["VAKA_DATABASE_URL"], stop_postgres = start_postgres()
    elif not args.postgres:
        os.environ.pop("VAKA_DATABASE_URL", None)
    work = tempfile.mkdtemp(prefix="vaka-load-")
    server = None
    try:
        setup_django(work)
        from django.db import connection

        print(f"Building {args.objects:,} objects on {connection.vendor}…", flush=True)
        account = prepare(args.objects)
        connection.close()
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = {**os.environ, "VAKA_DATA_DIR": work, "VAKA_SCHEDULER": "0",
               "VAKA_RATE_LIMITS": "off", "VAKA_LOG_LEVEL": "WARNING"}
        log = open(Path(work) / "server.log", "wb")  # noqa: SIM115 - closed with the server
        server = subprocess.Popen(
            [str(Path(sys.executable).parent / "vaka"), "serve", "--port", str(port),
             "--workers", str(args.workers), "--threads", str(args.threads)],
            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log)
        wait_for(f"{base}/accounts/login/", server)
        print(f"vaka serve: {args.workers} workers × {args.threads} threads; "
              f"{args.clients} clients; {os.cpu_count()} cores", flush=True)
        times, errors, wall = asyncio.run(run(base, account, args.clients,
                                              min(10.0, args.seconds), {"floor": 1}))
        floor = report("baseline: GET /health/live", times, errors, wall, None)
        times, errors, wall = asyncio.run(run(base, account, args.clients, args.seconds, MIX,
                                              args.writers))
        label = f"mix, {args.writers} of the clients only ingesting" if args.writers else "mix"
        report(label, times, errors, wall, floor)
        print("\nweb workers after the load (MB):")
        for pid, pss, rss in worker_memory(server.pid):
            print(f"  pid {pid}: PSS {pss}, RSS {rss}")
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
            log.close()
            failures = [line for line in (Path(work) / "server.log").read_text(
                errors="replace").splitlines()
                if "Traceback" in line or "database is locked" in line]
            if failures:
                print(f"\nserver log: {len(failures)} tracebacks or lock errors")
        if stop_postgres is not None:
            stop_postgres()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
