"""Data built once for the tests of a module or class, and rolled back after the last."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import transaction
from django.test import override_settings

# Argon2 is slow by design, and tests store hundreds of passwords.
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@contextmanager
def built_once(django_db_blocker: Any) -> Iterator[None]:
    """For a module- or class-scoped fixture (which also asks for ``django_db_setup``): what
    it writes inside stays until the fixture ends, then is rolled back. Each test, asking
    for ``db``, runs in a savepoint inside, so what one test changes is gone before the
    next. Passwords are hashed as in the tests: conftest's hasher is set per test, too
    late for a fixture that outlives them."""
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS), \
            transaction.atomic():
        yield
        transaction.set_rollback(True)
