"""`vaka serve`'s workers freeze what they hold after their first requests, so that full
garbage collections stop walking it (the lists' p99)."""

import gc
from types import SimpleNamespace

from gunicorn.config import Config

from vaka.directory.management.commands.serve import freeze_what_lasts


def test_a_worker_freezes_after_its_1st_10th_100th_and_1000th_request():
    try:
        for nr in range(1, 1001):
            before = gc.get_freeze_count()
            held = [object() for _ in range(3)] + [[]]  # a tracked object that lasts
            freeze_what_lasts(SimpleNamespace(nr=nr), None, None, None)
            assert (gc.get_freeze_count() > before) == (nr in {1, 10, 100, 1000}), nr
            del held
    finally:
        gc.unfreeze()


def test_gunicorn_takes_it_as_its_post_request_hook():
    config = Config()
    config.set("post_request", freeze_what_lasts)  # gunicorn checks the hook's arity
    assert config.post_request is freeze_what_lasts
