"""Benchmark STIX 2.1 validation and bundle streaming (vaka.intel.parsing.stix).

    .venv/bin/python bench/stix_validate.py [N] [--library-sample M]

Generates N objects (default 50,000): 85 % indicators with simple patterns (IPv4, domain,
URL, e-mail, file hashes), 10 % SCOs, 5 % relationships, and prints objects/s for
``json.loads`` alone, the fast path (``validate``), the library path (on a sample of M
objects, default 2,000: it runs at ~1,000/s), ``iter_bundle`` streaming a bundle file of
the N objects, and for comparison ijson's yajl2_c ``items()`` (alone, and fed through a
generator that also sees the envelope), ``read_bundle`` and a ``msgspec.convert`` type
layer (types, id and timestamp regexes only, no patterns).
"""

import argparse
import gc
import json
import random
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Annotated

import ijson
import msgspec

from vaka.intel.parsing.stix import iter_bundle, read_bundle, validate
from vaka.intel.parsing.stix_markings import tlp_marking_id

IDENTITY = "identity--7d4ee0f4-5e3a-4b7c-9f0e-2c1d3b4a5e6f"
MARKINGS = [tlp_marking_id(level) for level in ("clear", "green", "amber", "red")]


def _timestamp(rng: random.Random) -> str:
    return (f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T"
            f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}."
            f"{rng.randint(0, 999):03d}Z")


def _pattern(rng: random.Random, i: int) -> str:
    ip = f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}"
    digest = f"{rng.getrandbits(256):064x}"
    return rng.choice([
        f"[ipv4-addr:value = '{ip}']",
        f"[domain-name:value = 'host{i}.evil.example']",
        f"[url:value = 'http://host{i}.evil.example/login.php?id={i}']",
        f"[email-message:from_ref.value = 'ceo{i}@evil.example']",
        f"[file:hashes.'SHA-256' = '{digest}']",
        f"[file:hashes.MD5 = '{digest[:32]}' OR file:hashes.'SHA-256' = '{digest}']",
        f"[ipv4-addr:value = '{ip}'] OR [domain-name:value = 'host{i}.evil.example']",
    ])


def _indicator(rng: random.Random, i: int) -> dict:
    created = _timestamp(rng)
    return {
        "type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
        "created": created, "modified": created, "name": f"Indicator {i}",
        "pattern": _pattern(rng, i), "pattern_type": "stix", "valid_from": created,
        "indicator_types": ["malicious-activity"], "labels": ["phishing"],
        "confidence": rng.randint(0, 100), "created_by_ref": IDENTITY,
        "object_marking_refs": [rng.choice(MARKINGS)],
    }


def _sco(rng: random.Random, i: int) -> dict:
    kind = rng.choice(["ipv4-addr", "domain-name", "url", "file"])
    obj = {"type": kind, "id": f"{kind}--{uuid.uuid4()}"}
    if kind == "file":
        obj["hashes"] = {"SHA-256": f"{rng.getrandbits(256):064x}"}
    else:
        obj["value"] = f"10.9.{i >> 8 & 255}.{i & 255}" if kind == "ipv4-addr" else f"h{i}.ex"
    return obj


def _relationship(rng: random.Random, i: int) -> dict:
    created = _timestamp(rng)
    return {
        "type": "relationship", "spec_version": "2.1", "id": f"relationship--{uuid.uuid4()}",
        "created": created, "modified": created, "relationship_type": "indicates",
        "source_ref": f"indicator--{uuid.uuid4()}", "target_ref": f"malware--{uuid.uuid4()}",
    }


def make_objects(n: int, seed: int = 7) -> list[dict]:
    """n objects: 85 % indicators, 10 % SCOs, 5 % relationships."""
    rng = random.Random(seed)
    makers = [_indicator] * 17 + [_sco] * 2 + [_relationship]
    return [makers[i % len(makers)](rng, i) for i in range(n)]


def rate(run: Callable[[], int]) -> tuple[float, int]:
    """(objects per second, objects) for a callable returning how many objects it handled."""
    gc.collect()
    start = time.perf_counter()
    count = run()
    return count / (time.perf_counter() - start), count


def _validate_all(objects: Iterable[dict], **options: bool) -> int:
    count = 0
    for obj in objects:
        validate(obj, **options)
        count += 1
    return count


def _loads_all(lines: list[str]) -> int:
    loads = json.loads
    for line in lines:
        loads(line)
    return len(lines)


def _loads_and_validate(lines: list[str]) -> int:
    return _validate_all(json.loads(line) for line in lines)


def _stream(path: Path, check: bool) -> int:
    with path.open("rb") as stream:
        if check:
            return _validate_all(obj for _, obj in iter_bundle(stream))
        return sum(1 for _ in iter_bundle(stream))


def _ijson_items(path: Path) -> int:
    """ijson's C items(): fast, but blind to the bundle envelope."""
    with path.open("rb") as stream:
        return sum(1 for _ in ijson.items(stream, "objects.item", use_float=True))


def _ijson_items_with_envelope(path: Path) -> int:
    """ijson's items() fed by parse events a Python generator also reads for the envelope:
    what seeing ``type`` etc. in the same pass costs with ijson."""
    envelope: dict = {}

    def watch(events: Iterable[tuple]) -> Iterable[tuple]:
        for prefix, event, value in events:
            if event in ("string", "number", "boolean", "null") and "." not in prefix:
                envelope[prefix] = value
            yield prefix, event, value

    with path.open("rb") as stream:
        events = watch(ijson.parse(stream, use_float=True))
        count = sum(1 for _ in ijson.items(events, "objects.item"))
    assert envelope.get("type") == "bundle"
    return count


_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}"
_TS = Annotated[str, msgspec.Meta(
    pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?Z$")]
_REF = Annotated[str, msgspec.Meta(pattern=rf"^[a-z][a-z0-9-]+--{_UUID}$")]


class _IndicatorTypes(msgspec.Struct):
    """The indicator's JSON types and id/timestamp formats, as a msgspec Struct."""

    type: str
    spec_version: str
    id: Annotated[str, msgspec.Meta(pattern=rf"^indicator--{_UUID}$")]
    created: _TS
    modified: _TS
    pattern: str
    pattern_type: str
    valid_from: _TS
    name: str | None = None
    indicator_types: list[str] | None = None
    labels: list[str] | None = None
    confidence: Annotated[int, msgspec.Meta(ge=0, le=100)] | None = None
    created_by_ref: _REF | None = None
    object_marking_refs: list[_REF] | None = None


def _msgspec_types(indicators: list[dict]) -> int:
    convert = msgspec.convert
    for obj in indicators:
        convert(obj, _IndicatorTypes)
    return len(indicators)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=50_000)
    parser.add_argument("--library-sample", type=int, default=2_000)
    args = parser.parse_args()

    objects = make_objects(args.n)
    indicators = [obj for obj in objects if obj["type"] == "indicator"]
    lines = [json.dumps(obj) for obj in objects]
    sample = objects[: args.library_sample]
    paths = Counter(validate(obj) for obj in objects)

    results = {
        "json.loads alone": rate(lambda: _loads_all(lines)),
        "validate, fast path (all objects)": rate(lambda: _validate_all(objects)),
        "validate, fast path (indicators only)": rate(lambda: _validate_all(indicators)),
        "json.loads + validate": rate(lambda: _loads_and_validate(lines)),
        "library path (sample)": rate(lambda: _validate_all(sample, force_library=True)),
        "msgspec.convert type layer (indicators)": rate(lambda: _msgspec_types(indicators)),
    }
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bundle.json"
        bundle = {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": objects}
        path.write_text(json.dumps(bundle))
        size = path.stat().st_size
        results["iter_bundle streaming"] = rate(lambda: _stream(path, check=False))
        results["iter_bundle + validate"] = rate(lambda: _stream(path, check=True))
        results["ijson yajl2_c items(), no envelope"] = rate(lambda: _ijson_items(path))
        results["ijson items() + envelope events"] = rate(
            lambda: _ijson_items_with_envelope(path))
        data = path.read_bytes()
        results["read_bundle (msgspec, in memory)"] = rate(lambda: len(read_bundle(data)))

    print(f"{args.n:,} objects ({len(indicators):,} indicators), bundle file "
          f"{size / 1e6:.1f} MB, ijson backend {ijson.backend}")
    print(f"paths taken by validate: {dict(paths)}")
    for name, (per_second, count) in results.items():
        print(f"  {name:<42} {per_second:>12,.0f} objects/s   ({count:,} objects)")
    fast = results["validate, fast path (all objects)"][0]
    print("ratios:")
    print(f"  fast path / library path        {fast / results['library path (sample)'][0]:8.1f}x")
    print(f"  fast path / json.loads          {fast / results['json.loads alone'][0]:8.2f}x")
    stream = results["iter_bundle streaming"][0]
    print(f"  iter_bundle / ijson items()     "
          f"{stream / results['ijson yajl2_c items(), no envelope'][0]:8.2f}x")
    print(f"  iter_bundle / ijson + envelope  "
          f"{stream / results['ijson items() + envelope events'][0]:8.2f}x")
    target = results["validate, fast path (indicators only)"][0]
    print(f"target: fast path >= 50,000 indicators/s: {'met' if target >= 50_000 else 'MISSED'}")


if __name__ == "__main__":
    main()
