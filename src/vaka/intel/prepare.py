"""Check and index incoming objects before they are written; big inputs use a second core.

Preparing an object means validating it (``stix.validate``) and working out the observables
it carries: kind, canonical value, hash and the warninglists the value is on. That work
needs no database, so for a large STIX input it runs in a forked worker process, a batch or
two ahead of the writer: the main process parses and stores batch *k* while the worker
prepares batch *k + 1*. Measured with ``bench/ingest.py``: about a quarter of the ingest
time moves off the writer's core.

The worker gets the objects as msgpack (JSON's types survive it exactly) and answers per
object; the main process keeps its own copies. Small inputs, hosts with one CPU, processes
that may not fork (a daemonic Celery pool process) and ``VAKA_INGEST_WORKER=0`` prepare in
process; if the worker dies or an object cannot be encoded, the batch is prepared in
process instead. Either way the result is the same.

The worker must never outlive the process that forked it: a killed web server's worker
would otherwise keep the client's socket and the listening port open (so the client hangs
and the server cannot restart) and hold its memory. So the worker asks Linux to kill it
when its parent dies, also stops when its parent has changed or gone, closes the sockets
it inherited, and takes the default action on SIGTERM and SIGINT whatever the parent
installed (``_detach``).
"""

import contextlib
import ctypes
import logging
import multiprocessing
import os
import queue
import signal
import stat
import sys
from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any

import msgspec
from django.conf import settings

from vaka.intel.parsing import stix
from vaka.intel.parsing.errors import InputError, Problem
from vaka.intel.parsing.observables import STIX_PATHS, canonical, stix_sco_values, value_hash
from vaka.intel.parsing.stix_markings import marking_tlp
from vaka.intel.parsing.warninglists import default_warninglists
from vaka.intel.warninglists import own_entries, warninglist_names

log = logging.getLogger(__name__)

BATCH = 2000  # objects written per bulk statement
WORKER_AFTER = 2  # batches read in process before a worker is worth starting
STUCK_AFTER = 60  # seconds without an answer before the worker is given up
WELL_KNOWN_MARKINGS = "marking-definition--"

OK, SKIP, BAD = 0, 1, 2
#: (kind, canonical value, value hash, warninglist names) of one indexed value.
Indexed = tuple[str, str, int, str]


def _pattern_comparisons(pattern: str) -> list[tuple[str, str, str]]:
    comparisons = stix.parse_pattern(pattern)
    if comparisons is not None:
        return [(c.object_type, c.path, c.value) for c in comparisons]
    from stix2patterns.v21.pattern import Pattern

    found = []
    try:
        inspected = Pattern(pattern).inspect().comparisons
    except Exception:
        return []
    for object_type, items in inspected.items():
        for path, operator, value in items:
            if operator == "=" and isinstance(value, str) and value.startswith("'"):
                dotted = ".".join(f"'{p}'" if "-" in str(p) else str(p) for p in path)
                found.append((object_type, dotted, value[1:-1].replace("\\'", "'")))
    return found


def observables_of(obj: dict[str, Any]) -> list[tuple[str, str]]:
    """(kind, canonical value) pairs an object carries; values that do not parse are
    simply not indexed."""
    pairs: list[tuple[str, str]] = []
    if obj.get("type") == "indicator" and obj.get("pattern_type") == "stix":
        for object_type, path, value in _pattern_comparisons(obj.get("pattern", "")):
            kind = STIX_PATHS.get((object_type, path))
            if kind is None and object_type == "x-cryptocurrency-wallet":
                kind = "eth" if value.lower().startswith("0x") else "btc"
            elif kind is None and object_type == "x-phone-number":
                kind = "phone"
            if kind:
                pairs.append((kind, value))
    elif obj.get("type") == "vulnerability" and str(obj.get("name", "")).upper().startswith(
            "CVE-"):
        pairs.append(("cve", obj["name"]))
    else:
        pairs.extend(stix_sco_values(obj))
    result = []
    for kind, raw in pairs:
        try:
            value = canonical(kind, raw)
        except ValueError:
            continue
        if (kind, value) not in result:
            result.append((kind, value))
    return result


def prepare(obj: dict[str, Any]) -> tuple[int, list[Any]]:
    """``(OK, [Indexed…])`` for a valid object, ``(SKIP, [])`` for a TLP marking
    definition (Vaka knows them), ``(BAD, [(message, field)…])`` for an invalid one."""
    if obj.get("type") == "marking-definition" and obj["id"].startswith(
            WELL_KNOWN_MARKINGS) and marking_tlp(obj["id"]):
        return SKIP, []
    try:
        stix.validate(obj)
    except InputError as error:
        return BAD, [(p.message, p.field) for p in error.problems]
    return OK, [(kind, value, value_hash(kind, value), warninglist_names(kind, value))
                for kind, value in observables_of(obj)]


PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
PARENT_CHECK = 1.0  # seconds between checks that the parent is still there


def _die_with_parent() -> None:
    """Have the kernel SIGKILL this process when the thread that forked it ends (Linux).

    The forking thread is the one running the ingest, which waits for the worker to stop
    before it returns, so it never ends first unless the whole process does."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _close_sockets() -> None:
    """Close every socket inherited from the parent: a server's listening socket, a
    client's connection, a database's. The worker talks to its parent through pipes."""
    try:
        fds = [int(name) for name in os.listdir("/proc/self/fd")]
    except OSError:
        return
    for fd in fds:
        with contextlib.suppress(OSError):
            if stat.S_ISSOCK(os.fstat(fd).st_mode):
                os.close(fd)


def _detach(parent: int) -> None:
    """Make the freshly forked worker independent of what its parent set up (see the
    module docstring); exits at once if the parent died before the death signal was set."""
    _die_with_parent()
    if os.getppid() != parent:
        os._exit(1)
    for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(number, signal.SIG_DFL)
    with contextlib.suppress(ValueError):
        signal.set_wakeup_fd(-1)
    signal.pthread_sigmask(signal.SIG_SETMASK, set())
    _close_sockets()


def _serve(inbox: Any, outbox: Any, parent: int) -> None:
    """The worker: prepare each batch of objects it is sent, until it is sent None or
    its parent is gone."""
    _detach(parent)
    # Exiting must not wait to flush answers nobody will read (a parent gone, a pipe full).
    outbox.cancel_join_thread()
    decode, encode = msgspec.msgpack.Decoder().decode, msgspec.msgpack.Encoder().encode
    while True:
        try:
            message = inbox.get(timeout=PARENT_CHECK)
        except queue.Empty:
            if os.getppid() != parent:
                return
            continue
        if message is None:
            return
        outbox.put(encode([prepare(obj) for obj in decode(message)]))


class _Worker:
    """A forked process preparing batches in order; ``None`` from ``receive`` if it died."""

    def __init__(self) -> None:
        default_warninglists(), own_entries()  # loaded once, here, and inherited
        context = multiprocessing.get_context("fork")
        self.inbox, self.outbox = context.Queue(maxsize=2), context.Queue()
        self.process = context.Process(target=_serve,
                                       args=(self.inbox, self.outbox, os.getpid()),
                                       name="vaka-ingest-prepare", daemon=True)
        self.process.start()
        log.debug("ingest worker %d started", self.process.pid)
        self._encode = msgspec.msgpack.Encoder().encode
        self._decode = msgspec.msgpack.Decoder().decode

    def send(self, objects: list[dict[str, Any]]) -> bool:
        """False if the objects cannot travel as msgpack, or the worker is gone."""
        try:
            message = self._encode(objects)
        except (TypeError, OverflowError, msgspec.EncodeError):
            return False
        while self.process.is_alive():
            try:
                self.inbox.put(message, timeout=0.5)
                return True
            except queue.Full:
                continue
        return False

    def receive(self) -> list[Any] | None:
        """The next batch's answers; None if the worker died or stopped answering (a
        batch takes well under a second: a minute of silence means it is stuck)."""
        for _tick in range(STUCK_AFTER * 2):
            try:
                return self._decode(self.outbox.get(timeout=0.5))
            except queue.Empty:
                if not self.process.is_alive():
                    log.warning("the ingest worker stopped (exit code %s); preparing in "
                                "process", self.process.exitcode)
                    return None
        log.warning("the ingest worker did not answer for %d s; preparing in process",
                    STUCK_AFTER)
        return None

    def close(self) -> None:
        if self.process.is_alive():
            with contextlib.suppress(queue.Full):
                self.inbox.put(None, timeout=1)
            self.process.join(timeout=2)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join()
        for q in (self.inbox, self.outbox):
            q.cancel_join_thread()  # whatever is still queued is of no use now
            q.close()


def _start_worker() -> _Worker | None:
    if not settings.INGEST_WORKER or (len(os.sched_getaffinity(0)) < 2):
        return None
    try:
        return _Worker()
    except (AssertionError, OSError, ValueError) as error:  # e.g. a daemonic process
        log.info("ingest prepares in process: %s", error)
        return None


def _batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _precheck(item: Any) -> Problem | None:
    """What is wrong with an item before validation (found while reading it), if anything."""
    if item.problem is not None:
        return item.problem
    if not isinstance(item.obj, dict) or not isinstance(item.obj.get("id"), str):
        return Problem("not a STIX object (no id)")
    return None


def prepared_batches(items: Iterable[Any], problems: list[Problem], *,
                     worker: bool = False) -> Iterator[list[Any]]:
    """The valid items in batches of up to ``BATCH``, each given its ``indexed`` values;
    problems (with the item's index or line) are appended to ``problems`` in input order.

    ``worker``: a forked process may prepare the batches, once the input has proved big.
    ``items`` are ``ingest.Incoming``.
    """
    helper: _Worker | None = None
    sent: deque[tuple[list[Any], list[Any]]] = deque()  # (batch, its objects to prepare)

    def finish(batch: list[Any], results: list[Any] | None) -> list[Any]:
        valid, answers = [], iter(results) if results is not None else None
        for item in batch:
            where = {"line": item.position} if item.index_is_line else {"index": item.position}
            early = _precheck(item)
            if early is not None:
                problems.append(Problem(early.message, field=early.field, **where))
                continue
            status, payload = next(answers) if answers is not None else prepare(item.obj)
            if status == BAD:
                problems.extend(Problem(message, field=field, **where)
                                for message, field in payload)
            elif status == OK:
                item.indexed = [tuple(row) for row in payload]
                valid.append(item)
        return valid

    def oldest() -> list[Any]:
        nonlocal helper
        batch, _objects = sent.popleft()
        results = helper.receive() if helper is not None else None
        if results is None and helper is not None:
            helper.close()
            helper = None
        return finish(batch, results)

    try:
        for number, batch in enumerate(_batches(items, BATCH)):
            if worker and number == WORKER_AFTER:
                helper = _start_worker()
            objects = [item.obj for item in batch if _precheck(item) is None]
            if helper is not None and helper.send(objects):
                sent.append((batch, objects))
                if len(sent) > 1:
                    yield oldest()
                continue
            while sent:
                yield oldest()
            yield finish(batch, None)
        while sent:
            yield oldest()
    finally:
        if helper is not None:
            helper.close()
