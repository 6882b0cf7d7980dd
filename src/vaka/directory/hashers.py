"""Password hashing: Argon2id at the cost OWASP's password storage guidance names.

Django's defaults (100 MiB, 8 lanes, 2 passes) cost about 220 ms of CPU per sign-in, and a
burst of sign-ins on a small server holds 100 MiB each. OWASP's Password Storage Cheat
Sheet lists configurations of equal strength against guessing; its 19 MiB, 2 passes,
1 lane costs about 25 ms, so a morning's sign-ins of a whole desk no longer starve the
pages behind them. A password stored with other parameters is re-hashed with these at its
next sign-in (Django's ``must_update``)."""

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2Hasher(Argon2PasswordHasher):
    """Argon2id, 19 MiB of memory, 2 passes, 1 lane (same algorithm name: stored hashes
    of Django's default parameters still verify)."""

    memory_cost = 19_456  # KiB
    time_cost = 2
    parallelism = 1
