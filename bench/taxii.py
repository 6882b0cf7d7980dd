"""TAXII 2.1 paging speed: Vaka against OASIS medallion, both driven by taxii2-client.

    python bench/taxii.py                          # Vaka at 10k, 50k, 200k; medallion at 250, 2k
    python bench/taxii.py --sizes 10000 50000 --medallion-sizes 250 2000 10000

The same N STIX indicators are loaded into Vaka (embedded SQLite, served by ``vaka serve``
with one worker) and into medallion 3.0.0 (memory backend, loaded from its data file), each
on loopback. Each collection is paged through with ``taxii2client.v21.as_pages`` at 1,000
objects a page, and single objects are fetched by id (median of several). medallion is
measured only at the sizes it serves in bounded time (``--medallion-timeout``): it slows
quadratically with collection size. Targets for Vaka: 50,000 objects paged in under 5 s,
a single-object GET under 20 ms median, cost linear in the collection size.
"""

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests
from ingest import ROOT, indicator, setup_django, write_bundle  # bench/ingest.py

PAGE = 1000
TAXII = "application/taxii+json;version=2.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server at {url} exited ({process.returncode})")
        try:
            requests.get(url, timeout=2)
            return
        except requests.ConnectionError:
            time.sleep(0.3)
    raise SystemExit(f"{url} did not answer within {seconds} s")


def page_through(url: str, user: str, password: str, timeout: float | None = None
                 ) -> tuple[float | None, int]:
    """Seconds to page through the whole collection (None: gave up), objects received."""
    from taxii2client.v21 import Collection, as_pages

    collection = Collection(url, user=user, password=password)
    received, started = 0, time.perf_counter()
    stop = threading.Event()
    result: dict[str, float | None] = {"seconds": None}

    def run() -> None:
        nonlocal received
        try:
            for page in as_pages(collection.get_objects, per_request=PAGE):
                received += len(page.get("objects", []))
                if stop.is_set():
                    return
            result["seconds"] = time.perf_counter() - started
        except Exception as error:  # the server was stopped, or failed
            print(f"    paging failed: {str(error)[:120]}", flush=True)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout)
    stop.set()
    return result["seconds"], received


def single_gets(url: str, user: str, password: str, ids: list[str], count: int,
                timeout: float) -> float | None:
    """Median seconds of a single-object GET (None if the first one exceeds ``timeout``)."""
    session = requests.Session()
    session.auth = (user, password)
    times = []
    for object_id in random.Random(7).sample(ids, min(count, len(ids))):
        started = time.perf_counter()
        try:
            answer = session.get(f"{url}objects/{object_id}/", headers={"Accept": TAXII},
                                 timeout=timeout)
        except requests.Timeout:
            return None
        answer.raise_for_status()
        assert answer.json()["objects"][0]["id"] == object_id
        times.append(time.perf_counter() - started)
    return statistics.median(times)


# --- Vaka --------------------------------------------------------------------------------

class Vaka:
    def __init__(self, work: Path) -> None:
        self.work, self.loaded = work, 0
        setup_django(str(work))
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        from vaka.directory.models import Organisation, User
        from vaka.directory.services import create_token
        from vaka.exchange.models import Collection

        self.org, _ = Organisation.objects.get_or_create(name="Bench",
                                                         defaults={"kind": "police_unit"})
        self.user, _ = User.objects.get_or_create(username="bench", defaults={
            "organisation": self.org, "role": "analyst"})
        self.key = create_token(self.user, name="bench")[1]
        collection = Collection.objects.create(title="Everything")
        port = free_port()
        self.url = f"http://127.0.0.1:{port}/taxii2/api/collections/{collection.id}/"
        self.server = subprocess.Popen(
            [str(Path(sys.executable).parent / "vaka"), "serve", "--port", str(port),
             "--workers", "1", "--threads", "2"],
            env={**os.environ, "VAKA_DATA_DIR": str(work)}, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        wait_for(f"http://127.0.0.1:{port}/taxii2/", self.server)

    def load_to(self, n: int) -> None:
        from vaka.intel import services
        from vaka.policy.services import Markings

        if n <= self.loaded:
            return
        path = self.work / f"load-{n}.json"
        write_bundle(path, range(self.loaded, n), "V")
        submission = services.ingest_path(path, organisation=self.org, user=self.user,
                                          source="cli", markings=Markings(tlp="green"))
        assert submission.rejected == 0, submission.errors[:3]
        path.unlink()
        self.loaded = n

    def stop(self) -> None:
        self.server.terminate()
        self.server.wait(timeout=30)


# --- medallion ---------------------------------------------------------------------------

def medallion(work: Path, n: int) -> tuple[subprocess.Popen, str]:
    collection = "8ab3d6a6-0ad5-4e1f-9f42-9e4f5cae7f01"
    objects = [indicator(i, "V") for i in range(n)]
    manifest = [{"id": o["id"], "date_added": f"2026-01-10T08:00:{i // 1000 % 60:02d}."
                 f"{i % 1000:03d}000Z", "version": o["modified"],
                 "media_type": "application/stix+json;version=2.1"}
                for i, o in enumerate(objects)]
    port = free_port()
    root = f"http://127.0.0.1:{port}/api1/"
    data = {"/discovery": {"title": "medallion", "default": root, "api_roots": [root]},
            "api1": {"information": {"title": "api1", "versions": [TAXII],
                                     "max_content_length": 100_000_000},
                     "status": [],
                     "collections": [{"id": collection, "title": "Everything",
                                      "can_read": True, "can_write": True,
                                      "media_types": ["application/stix+json;version=2.1"],
                                      "objects": objects, "manifest": manifest}]}}
    (work / "medallion-data.json").write_text(json.dumps(data))
    (work / "medallion.json").write_text(json.dumps({
        "backend": {"module": "medallion.backends.memory_backend",
                    "module_class": "MemoryBackend",
                    "filename": str(work / "medallion-data.json")},
        "users": {"bench": "bench"}, "taxii": {"max_page_size": PAGE}}))
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "medallion"), "--host", "127.0.0.1", "--port",
         str(port), "--log-level", "ERROR", str(work / "medallion.json")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(f"http://127.0.0.1:{port}/taxii2/", server)
    return server, f"{root}collections/{collection}/"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000, 200_000])
    parser.add_argument("--medallion-sizes", type=int, nargs="+", default=[250, 2_000])
    parser.add_argument("--medallion-timeout", type=float, default=120)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="vaka-bench-taxii-"))
    print("Starting Vaka (vaka serve, 1 worker, loopback)…", flush=True)
    vaka = Vaka(work)
    rows = []
    try:
        for n in sorted({*args.sizes, *args.medallion_sizes}):
            vaka.load_to(n)
            ids = [indicator(i, "V")["id"] for i in range(n)]
            seconds, received = page_through(vaka.url, "bench", vaka.key)
            assert received == n, f"Vaka served {received} of {n}"
            single = single_gets(vaka.url, "bench", vaka.key, ids, 50, 30)
            row = {"n": n, "vaka": seconds, "vaka_get": single}
            if n in args.medallion_sizes:
                print(f"  medallion: loading {n:,} objects…", flush=True)
                server, url = medallion(work, n)
                try:
                    m_seconds, m_received = page_through(url, "bench", "bench",
                                                         timeout=args.medallion_timeout)
                    row["medallion"] = m_seconds if m_received == n else None
                    row["medallion_get"] = single_gets(url, "bench", "bench", ids, 5,
                                                       args.medallion_timeout)
                finally:
                    server.kill()
                    server.wait()
            rows.append(row)
            print(f"  {n:,} objects: Vaka {seconds:.2f} s, single GET "
                  f"{single * 1000:.1f} ms", flush=True)
    finally:
        vaka.stop()
    print()
    print(f"{'objects':>9} {'Vaka s':>8} {'Vaka obj/s':>11} {'µs/object':>10} "
          f"{'GET ms':>7} {'medallion s':>12} {'obj/s':>7} {'GET ms':>7} {'ratio':>6}")
    for row in rows:
        n, v = row["n"], row["vaka"]
        line = (f"{n:>9,} {v:>8.2f} {n / v:>11,.0f} {v / n * 1e6:>10.1f} "
                f"{row['vaka_get'] * 1000:>7.1f}")
        if "medallion" in row:
            m, mg = row["medallion"], row["medallion_get"]
            line += (f" {m:>12.2f} {n / m:>7,.0f} {mg * 1000:>7.1f} {m / v:>5.0f}x"
                     if m is not None and mg is not None else
                     f" {'> ' + str(int(args.medallion_timeout)) + ' s':>12}")
        print(line)
    print("Targets (Vaka): 50,000 objects paged in under 5 s (1,000 a page); single-object "
          "GET under 20 ms median; µs/object flat as the collection grows.")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    main()
