"""The second-core preparation of big inputs gives exactly what in-process preparation gives."""

import os

import pytest
from django.test import override_settings

from tests.intel.store_data import TLP2_RED, bundle, indicator, sid
from vaka.intel import prepare, services
from vaka.intel.ingest import Incoming
from vaka.intel.models import HitNotification, Observable, StixObject
from vaka.intel.parsing.errors import Problem
from vaka.policy.services import Markings

pytestmark = pytest.mark.django_db
TWO_CPUS = len(os.sched_getaffinity(0)) >= 2


def mixed_items(n: int) -> list[Incoming]:
    """Valid indicators with, every so often, an invalid object, a TLP definition, an item
    read with a problem, a non-object, and a value on a warninglist."""
    items = []
    for i in range(n):
        if i % 11 == 3:
            obj = indicator(f"bad{i}.evil-portal-7.net", valid_from="yesterday")
        elif i % 11 == 5:
            obj = {"type": "marking-definition", "spec_version": "2.1", "id": TLP2_RED,
                   "created": "2022-10-01T00:00:00.000Z", "name": "TLP:RED"}
        elif i % 11 == 7:
            obj = ["not", "an", "object"]
        elif i % 11 == 9:
            obj = indicator("8.8.8.8", "ipv4-addr:value", seed=f"dns{i}")
        else:
            obj = indicator(f"c2-{i}.evil-portal-7.net")
        items.append(Incoming(i, obj, problem=Problem("read badly") if i % 23 == 1 else None))
    return items


def run(items: list[Incoming], *, worker: bool) -> tuple[list, list]:
    problems: list[Problem] = []
    batches = list(prepare.prepared_batches(items, problems, worker=worker))
    valid = [(item.position, item.indexed) for batch in batches for item in batch]
    return valid, [p.as_dict() for p in problems]


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(prepare, "BATCH", 7)
    monkeypatch.setattr(prepare, "WORKER_AFTER", 1)


@pytest.fixture
def started(monkeypatch):
    """Records the workers started."""
    workers = []
    real = prepare._start_worker

    def start():
        helper = real()
        workers.append(helper)
        return helper

    monkeypatch.setattr(prepare, "_start_worker", start)
    return workers


def test_worker_and_in_process_agree_on_valid_items_values_and_problems(small_batches,
                                                                        started):
    alone = run(mixed_items(100), worker=False)
    helped = run(mixed_items(100), worker=True)
    assert helped == alone
    valid, problems = alone
    assert [position for position, _ in valid][:3] == [0, 2, 4]
    indexed = dict(valid)
    assert indexed[0] == [("domain", "c2-0.evil-portal-7.net", indexed[0][0][2], "")]
    (kind, value, _hash, listed), = indexed[9]
    assert (kind, value) == ("ipv4", "8.8.8.8") and "DNS" in listed  # on a warninglist
    assert any(p.get("index") == 3 and p.get("field") == "valid_from" for p in problems)
    assert {"index": 1, "message": "read badly"} in problems
    assert {"index": 7, "message": "not a STIX object (no id)"} in problems
    assert all(position % 11 != 5 for position, _ in valid)  # TLP definitions skipped
    if TWO_CPUS:
        assert started and started[0] is not None  # the worker did the work


def test_small_inputs_never_start_a_worker(started):
    run(mixed_items(50), worker=True)
    assert started == []


@override_settings(INGEST_WORKER=False)
def test_the_setting_turns_the_worker_off(small_batches, started):
    assert run(mixed_items(30), worker=True) == run(mixed_items(30), worker=False)
    assert started == [None]


def test_a_worker_that_dies_is_replaced_by_in_process_work(small_batches, monkeypatch):
    def die(inbox, outbox):
        inbox.get()
        os._exit(3)

    monkeypatch.setattr(prepare, "_serve", die)
    assert run(mixed_items(60), worker=True) == run(mixed_items(60), worker=False)


def test_objects_msgpack_cannot_carry_are_prepared_in_process(small_batches):
    items = mixed_items(40)
    items[20].obj = indicator("huge.evil-portal-7.net", x_count=2**70)
    alone = run([*mixed_items(40)[:20], items[20], *mixed_items(40)[21:]], worker=False)
    assert run(items, worker=True) == alone
    assert 20 in [position for position, _ in alone[0]]


def test_a_big_bundle_stores_the_same_through_the_worker(region, small_batches, started):
    """End to end: objects, index, hit notifications and named problems."""
    services.ingest_bytes(bundle(*[indicator(f"c2-{i}.evil-portal-7.net", seed=f"theirs{i}")
                                   for i in range(0, 40, 4)]),
                          organisation=region.unit_b, user=None, source="api",
                          markings=Markings(tlp="amber", distribution="organisation"))
    objects = [indicator(f"c2-{i}.evil-portal-7.net") for i in range(40)]
    objects[13] = indicator("broken.evil-portal-7.net", pattern="[domain-name:value = ")
    submission = services.ingest_bytes(
        bundle(*objects), organisation=region.unit_a, user=region.analyst_a, source="api",
        markings=Markings(tlp="amber", distribution="organisation"), partial=True)
    assert (submission.new, submission.rejected) == (39, 1)
    assert submission.errors[0]["index"] == 13 and submission.errors[0]["field"] == "pattern"
    assert StixObject.objects.filter(owner=region.unit_a).count() == 39
    assert Observable.objects.filter(object__owner=region.unit_a).count() == 39
    assert HitNotification.objects.filter(object__owner=region.unit_b).count() == 10
    assert StixObject.objects.get(stix_id=sid("indicator", "c2-1.evil-portal-7.net")).name == \
        "c2-1.evil-portal-7.net"
    if TWO_CPUS:
        assert started and started[0] is not None
