"""`vaka serve`'s workers freeze what they hold after their first requests, so that full
garbage collections stop walking it (the lists' p99)."""

import gc
from types import SimpleNamespace

from gunicorn.config import Config

from vaka.directory.management.commands.serve import freeze_what_lasts


def test_a_worker_freezes_after_its_1st_10th_100th_and_1000th_request(monkeypatch):
    # Counted, not measured: gc.get_freeze_count() walks every frozen object, and asked
    # 2,000 times of a test process's heap it took minutes.
    calls: list[tuple[str, int]] = []
    for name in ("collect", "freeze"):
        monkeypatch.setattr(gc, name, lambda name=name: calls.append((name, nr)))
    for nr in range(1, 1001):
        freeze_what_lasts(SimpleNamespace(nr=nr), None, None, None)
    assert calls == [(step, nr) for nr in (1, 10, 100, 1000) for step in ("collect", "freeze")]


def test_a_freeze_moves_what_lasts_into_the_permanent_generation():
    try:
        before = gc.get_freeze_count()
        held = [[] for _ in range(3)]  # tracked objects that last
        freeze_what_lasts(SimpleNamespace(nr=1), None, None, None)
        assert gc.get_freeze_count() >= before + len(held)
    finally:
        gc.unfreeze()


def test_gunicorn_takes_it_as_its_post_request_hook():
    config = Config()
    config.set("post_request", freeze_what_lasts)  # gunicorn checks the hook's arity
    assert config.post_request is freeze_what_lasts
