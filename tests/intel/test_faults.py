"""Faults around an ingest: a killed `vaka ingest` takes its preparing worker along and
leaves its submission wholly stored or wholly absent; concurrent ingests on SQLite take
turns; every failure of `vaka ingest` is one line, not a traceback."""

import contextlib
import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.intel.store_data import bundle, indicator
from vaka.intel import prepare

VAKA = Path(sys.executable).with_name("vaka")
TWO_CPUS = len(os.sched_getaffinity(0)) >= 2
BOUND = 180  # seconds: the machine may be busy, but nothing here should take longer


def _env(data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VAKA_")}
    env.update(VAKA_DATA_DIR=str(data), DJANGO_SETTINGS_MODULE="vaka.settings")
    return env


def _vaka(data: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(VAKA), *args], env=_env(data), capture_output=True,
                          text=True, timeout=BOUND)


def _ingest(data: Path, path: Path, **popen: object) -> subprocess.Popen:
    return subprocess.Popen([str(VAKA), "ingest", str(path), "--org", "Unit A", "--tlp",
                             "green"], env=_env(data), text=True, **popen)


def _stored(data: Path) -> dict[str, int]:
    """Counts of what the instance holds, read in its own process."""
    done = _vaka(data, "shell", "-c", (
        "import json\n"
        "from vaka.intel.models import StixObject, Submission\n"
        "objects = StixObject.objects\n"
        "print(json.dumps({'objects': objects.count(),"
        " 'ids': objects.values('stix_id').distinct().count(),"
        " 'stored': Submission.objects.filter(status='stored').count(),"
        " 'submissions': Submission.objects.count()}))"))
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def template(tmp_path_factory, new_instance) -> Path:
    """A migrated data directory (a copy of the suite's new instance) with one organisation,
    copied by each test."""
    data = tmp_path_factory.mktemp("template") / "data"
    shutil.copytree(new_instance, data, ignore=shutil.ignore_patterns("files"))
    done = _vaka(data, "shell", "-c", "from vaka.directory.models import Organisation\n"
                                      "Organisation.objects.create(name='Unit A', kind='cert')")
    assert done.returncode == 0, done.stderr
    return data


@pytest.fixture
def data(template, tmp_path) -> Path:
    copy = tmp_path / "data"
    shutil.copytree(template, copy)
    return copy


def _write_bundle(path: Path, count: int, tag: str) -> Path:
    path.write_bytes(bundle(*[indicator(f"c2-{i}.{tag}.evil-portal-7.net")
                              for i in range(count)]))
    return path


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
    return found


def _gone(pid: int) -> bool:
    """Exited: no such process, or a zombie nobody reaped (a container's init may not)."""
    try:
        return (Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]) == "Z"
    except OSError:
        return True


def _poll(condition, what: str, bound: float = BOUND) -> None:
    deadline = time.monotonic() + bound
    while not condition():
        assert time.monotonic() < deadline, f"{what} within {bound} s"
        time.sleep(0.05)


@pytest.mark.skipif(not TWO_CPUS, reason="the preparing worker needs two CPUs")
@pytest.mark.one_database  # a SQLite instance of its own, in processes of its own
def test_a_killed_ingest_takes_its_worker_along_and_can_be_run_again(data, tmp_path):
    count = 30_000  # well past prepare.WORKER_AFTER batches: the worker starts early
    assert count > (prepare.WORKER_AFTER + 3) * prepare.BATCH
    path = _write_bundle(tmp_path / "big.json", count, "kill")
    ingest = _ingest(data, path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _poll(lambda: _children(ingest.pid) or ingest.poll() is not None,
              "the ingest forked its preparing worker")
        workers = _children(ingest.pid)
        assert workers, "the ingest ended before its worker started"
    finally:
        ingest.kill()  # SIGKILL: no clean-up runs in the parent
        ingest.wait()
    _poll(lambda: all(_gone(pid) for pid in workers), "the worker died with its parent", 5)

    before = _stored(data)
    assert before["objects"] in (0, count)  # wholly stored or wholly absent
    assert before["stored"] == (1 if before["objects"] else 0)
    again = _vaka(data, "ingest", str(path), "--org", "Unit A", "--tlp", "green")
    assert again.returncode == 0, again.stderr
    summary = json.loads(again.stdout)
    assert summary["new"] + summary["unchanged"] == count
    after = _stored(data)
    assert after["objects"] == after["ids"] == count  # no duplicate, nothing half-written


@pytest.mark.skipif(not TWO_CPUS, reason="the preparing worker needs two CPUs")
def test_the_worker_drops_inherited_sockets_and_ignored_signals(db, settings):
    settings.INGEST_WORKER = True
    listening = socket.create_server(("127.0.0.1", 0))
    ignored = signal.signal(signal.SIGTERM, signal.SIG_IGN)  # as some servers leave it
    try:
        helper = prepare._Worker()
    finally:
        signal.signal(signal.SIGTERM, ignored)
    try:
        pid = helper.process.pid
        sent = helper.send([indicator("c2-0.sockets.evil-portal-7.net")])
        assert sent and helper.receive() is not None  # it has set itself up by now
        fds = Path(f"/proc/{pid}/fd")
        assert not [fd for fd in fds.iterdir()
                    if os.readlink(fd).startswith("socket:")]
        status = dict(line.split(":\t", 1) for line in
                      Path(f"/proc/{pid}/status").read_text().splitlines() if ":\t" in line)
        assert not int(status["SigIgn"], 16) & (1 << (signal.SIGTERM - 1))
    finally:
        helper.close()
        listening.close()
    assert _gone(pid)


@pytest.mark.one_database  # a SQLite instance of its own, in processes of its own
def test_concurrent_ingests_take_turns_and_all_succeed(data, tmp_path):
    count = 3000
    paths = [_write_bundle(tmp_path / f"{tag}.json", count, tag) for tag in "abc"]
    lock = os.open(data / "ingest.lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.lockf(lock, fcntl.LOCK_EX)  # as another ingest would: all three must wait
    errs = [tmp_path / f"{path.stem}.err" for path in paths]
    ingests = [_ingest(data, path, stdout=subprocess.PIPE, stderr=err.open("w"))
               for path, err in zip(paths, errs, strict=True)]
    try:
        _poll(lambda: all("waiting for another ingest to finish" in err.read_text()
                          for err in errs), "each ingest said it waits")
    finally:
        os.close(lock)
    for ingest, err in zip(ingests, errs, strict=True):
        out, _ = ingest.communicate(timeout=BOUND)
        assert ingest.returncode == 0, err.read_text()
        assert json.loads(out)["new"] == count
        assert "Traceback" not in err.read_text()
    stored = _stored(data)
    assert stored["objects"] == stored["ids"] == 3 * count
    assert stored["stored"] == 3


@pytest.mark.one_database  # a SQLite instance of its own, in processes of its own
def test_a_failed_ingest_is_one_line_without_a_traceback(tmp_path):
    data = tmp_path / "unmigrated"  # no tables: every query fails
    path = _write_bundle(tmp_path / "one.json", 1, "fail")
    done = _vaka(data, "ingest", str(path), "--org", "Unit A")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [
        "CommandError: database error (no such table: directory_organisation)"]
    shown = _vaka(data, "ingest", str(path), "--org", "Unit A", "--traceback")
    assert shown.returncode == 1 and "Traceback" in shown.stderr
