"""On SQLite an ingest is staged and written in one short step (``intel.staging``): what is
staged is seen by no reader, other writers do not wait for the whole ingest, a rejected or
killed ingest leaves nothing, and a record changed meanwhile is never overwritten."""

import fcntl
import json
import os
import signal
import sqlite3
import subprocess
import threading
import time

import pytest
from django.db import connection

from tests.intel.store_data import T1, bundle, indicator
from tests.intel.test_faults import (
    BOUND,
    _ingest,
    _poll,
    _stored,
    _vaka,
    _write_bundle,
    data,  # noqa: F401  (fixture)
    template,  # noqa: F401  (fixture)
)
from tests.intel.test_ingest import ingest
from vaka.intel import corrections, selectors, services, staging
from vaka.intel import ingest as ingest_module
from vaka.intel.models import (
    HitNotification,
    Observable,
    StixObject,
    StixObjectVersion,
    Submission,
)
from vaka.policy.services import Markings

sqlite_only = pytest.mark.skipif("connection.vendor != 'sqlite'",
                                 reason="PostgreSQL keeps one transaction: nothing is staged")


@pytest.fixture(autouse=True)
def _every_input_staged(monkeypatch):
    # The bundles here are small; a small input is written in one transaction instead.
    monkeypatch.setattr(staging, "SMALL_INPUT", 0)


def _staged_tables() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_temp_master WHERE type = 'table'")
        return [name for (name,) in cursor.fetchall() if name.startswith(staging.PREFIX)]


def _words() -> int:
    """Rows of the full-text table (SQLite), or 0."""
    if connection.vendor != "sqlite":
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM intel_object_search")
        return cursor.fetchone()[0]


def _before_the_final_step(monkeypatch, check) -> None:
    """Run ``check()`` once the whole submission is staged, before its final step (outside
    its transaction, as another connection's write would be)."""
    batches = ingest_module.prepared_batches

    def then_check(*args, **kwargs):
        yield from batches(*args, **kwargs)
        check()

    monkeypatch.setattr(ingest_module, "prepared_batches", then_check)


@sqlite_only
def test_what_is_staged_is_seen_by_no_reader_lookup_or_search(region, monkeypatch):
    ingest(bundle(indicator("shared.evil-portal-7.net")), region.analyst_b, tlp="amber",
           distribution="organisation")
    seen = {}

    def look() -> None:
        assert _staged_tables()  # the submission is staged, not yet written
        seen["objects"] = StixObject.objects.filter(owner=region.unit_a).count()
        seen["lookup"] = [(len(a.matches), a.hits) for a in services.lookup(
            ["staged.evil-portal-7.net"], user=region.analyst_b)]
        seen["search"] = selectors.search_objects(
            selectors.objects_for(region.analyst_a), "staged").count()
        seen["notified"] = HitNotification.objects.count()

    _before_the_final_step(monkeypatch, look)
    submission = ingest(bundle(indicator("staged.evil-portal-7.net"),
                               indicator("shared.evil-portal-7.net")), region.analyst_a,
                        tlp="green", distribution="members")
    assert seen == {"objects": 0, "lookup": [(0, 0)], "search": 0,
                    "notified": 0}
    assert (submission.status, submission.new) == ("stored", 2)
    assert selectors.search_objects(selectors.objects_for(region.analyst_a),
                                    "staged").count() == 1
    assert HitNotification.objects.count() == 1  # B's record, told at the final step
    [found] = services.lookup(["staged.evil-portal-7.net"], user=region.analyst_b)
    assert len(found.matches) == 1
    assert not _staged_tables()


def test_a_rejected_submission_leaves_nothing_and_can_be_sent_again(region):
    good = [indicator(f"c2-{i}.rejected.example.net") for i in range(30)]
    bad = {**indicator("broken.example.net"), "pattern": "[not a pattern"}
    submission = ingest(bundle(*good, bad), region.analyst_a)
    assert submission.status == "rejected" and submission.rejected == 1
    assert not StixObject.objects.exists() and not Observable.objects.exists()
    assert not StixObjectVersion.objects.exists() and _words() == 0
    again = ingest(bundle(*good), region.analyst_a)
    assert (again.status, again.new) == ("stored", 30)
    assert StixObject.objects.count() == Observable.objects.count() == 30
    assert _words() == (30 if connection.vendor == "sqlite" else 0)


def test_a_value_repeated_across_batches_is_one_record_with_its_versions(region,
                                                                          monkeypatch):
    monkeypatch.setattr("vaka.intel.prepare.BATCH", 2)
    first, newer = indicator("again.example.net"), indicator(
        "again.example.net", modified=T1, description="seen again")
    submission = ingest(bundle(first, indicator("other.example.net"), newer, first),
                        region.analyst_a)
    assert (submission.new, submission.updated, submission.unchanged) == (2, 1, 1)
    obj = StixObject.objects.get(name="again.example.net")
    assert obj.data == newer and obj.versions.count() == 2
    assert [v.stix for v in obj.versions.order_by("stix_modified")] == [first, newer]
    assert Observable.objects.filter(object=obj).count() == 1


@sqlite_only
@pytest.mark.parametrize("change", ["edit", "remark", "delete"])
def test_a_record_changed_while_a_new_version_is_staged_is_not_overwritten(
        region, monkeypatch, change):
    ingest(bundle(indicator("corrected.example.net")), region.analyst_a)
    obj = StixObject.objects.get()

    def meanwhile() -> None:  # as another connection's correction would, mid-ingest
        if change == "edit":
            corrections.edit(obj, user=region.analyst_a, changes={"description": "mine"})
        elif change == "remark":
            corrections.remark(obj, user=region.analyst_a,
                               markings=Markings(tlp="amber+strict", distribution="organisation"))
        else:
            corrections.delete(obj, user=region.analyst_a)

    _before_the_final_step(monkeypatch, meanwhile)
    submission = ingest(bundle(indicator("corrected.example.net", modified=T1,
                                         description="theirs"),
                               indicator("new.example.net")), region.analyst_a)
    assert submission.status == "rejected"
    assert "send it again" in submission.errors[0]["message"]
    assert not StixObject.objects.filter(name="new.example.net").exists()
    if change != "delete":
        obj.refresh_from_db()
        assert obj.description == ("mine" if change == "edit" else "")
    monkeypatch.undo()
    again = ingest(bundle(indicator("corrected.example.net", modified=T1,
                                    description="theirs"),
                          indicator("new.example.net")), region.analyst_a)
    assert again.status == "stored"


@sqlite_only
def test_a_record_made_meanwhile_with_a_staged_id_fails_the_submission(region, monkeypatch):
    sent = indicator("race.example.net")

    def meanwhile() -> None:  # not an ingest (they take turns): a record made otherwise
        StixObject.objects.create(owner=region.unit_a, stix_id=sent["id"], type="indicator",
                                  name="race.example.net", version_key="other", data=sent)

    _before_the_final_step(monkeypatch, meanwhile)
    submission = ingest(bundle(sent), region.analyst_a)
    assert submission.status == "rejected"
    assert StixObject.objects.filter(name="race.example.net").count() == 1


class _Writer(threading.Thread):
    """Another connection writing one row at a time with a 2 s busy timeout, as a sign-in
    would; records each failure and whether it ever saw part of a submission."""

    def __init__(self, database) -> None:
        super().__init__(daemon=True)
        self.db = sqlite3.connect(database, timeout=2, isolation_level=None,
                                  check_same_thread=False)
        self.db.execute("CREATE TABLE IF NOT EXISTS touch (n INTEGER)")
        self.seen, self.failures, self.writes = set(), [], 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            try:
                self.db.execute("BEGIN IMMEDIATE")
                self.db.execute("INSERT INTO touch VALUES (1)")
                self.db.execute("COMMIT")
                self.writes += 1
            except sqlite3.OperationalError as error:
                self.failures.append(str(error))
            self.seen.add(self.db.execute("SELECT COUNT(*) FROM intel_stixobject").fetchone()[0])
            time.sleep(0.02)


@sqlite_only
def test_other_writers_do_not_wait_for_a_large_ingest(data, tmp_path):  # noqa: F811
    count = 6000  # three batches: most of the ingest is staging
    path = _write_bundle(tmp_path / "big.json", count, "side")
    writer = _Writer(data / "vaka.sqlite3")
    writer.start()
    ingest = _ingest(data, path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = ingest.communicate(timeout=BOUND)
    finally:
        writer.done.set()
        writer.join()
    assert ingest.returncode == 0, err
    assert json.loads(out)["new"] == count
    assert writer.failures == []  # none waited past 2 s: no "database is locked"
    assert writer.writes > 10
    assert writer.seen <= {0, count}  # never part of the submission


@sqlite_only
def test_a_killed_ingest_leaves_nothing_staged_and_can_be_sent_again(data, tmp_path):  # noqa: F811
    count = 8000
    path = _write_bundle(tmp_path / "big.json", count, "killed")
    ingest = _ingest(data, path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    # Killed mid-staging: once it reads the bundle (its turn's lock file is taken).
    _poll(lambda: ingest.poll() is not None or _holds_turn(data),
          "the ingest took its turn")
    time.sleep(0.5)  # into the staging, well before the final step of 8,000 objects
    ingest.send_signal(signal.SIGKILL)
    ingest.wait()
    before = _stored(data)
    assert before["objects"] in (0, count)
    assert before["submissions"] == (1 if before["objects"] else 0)
    again = _vaka(data, "ingest", str(path), "--org", "Unit A", "--tlp", "green")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["new"] + json.loads(again.stdout)["unchanged"] == count
    after = _stored(data)
    assert after["objects"] == after["ids"] == count
    words = _vaka(data, "shell", "-c", "from django.db import connection\n"
                  "print(connection.cursor().execute("
                  "'SELECT COUNT(*) FROM intel_object_search').fetchone()[0])")
    assert int(words.stdout.split()[-1]) == count  # the killed one's words are gone


def _holds_turn(directory) -> bool:
    fd = os.open(directory / "ingest.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)
    return False


def test_an_ingest_stages_while_holding_its_turn(region, monkeypatch):
    taken = []
    real = staging.session

    def session(size=None):
        from vaka.intel import ingest_turn

        taken.append(ingest_turn._held)
        return real(size)

    monkeypatch.setattr(staging, "session", session)
    ingest(bundle(indicator("turn.example.net")), region.analyst_a)
    assert taken == [1 if connection.vendor == "sqlite" else 0]
    assert Submission.objects.get().status == "stored"


@sqlite_only
def test_a_small_input_is_written_in_one_transaction_without_a_stage(region, monkeypatch):
    monkeypatch.setattr(staging, "SMALL_INPUT", 256 * 1024)
    tables = []
    _before_the_final_step(monkeypatch, lambda: tables.append(_staged_tables()))

    submission = ingest(bundle(indicator("small.evil-portal-7.net")), region.analyst_a)

    assert (submission.status, submission.new, tables) == ("stored", 1, [[]])
    assert StixObject.objects.filter(name="small.evil-portal-7.net").count() == 1
