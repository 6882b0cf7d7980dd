"""Back-off: how long to wait before trying again after failures in a row.

One curve for everything Vaka retries on its own — e-mail notices, xAPI statements, feed
polls and instance syncs: the wait doubles with each failure in a row, from a first wait,
and never exceeds a cap (a day). The callers differ only in the first wait, passed as
``base``; see :func:`retry_delay`.
"""

from datetime import timedelta

FIRST = timedelta(minutes=1)
CAP = timedelta(days=1)
# Doublings counted at most: 2**64 microseconds is over 500,000 years, past any cap, and
# a long outage's count (an xAPI statement is retried until the LRS takes it) can neither
# overflow ``timedelta`` nor build a huge integer.
MAX_DOUBLINGS = 64
_MICROSECOND = timedelta(microseconds=1)


def retry_delay(attempts: int, *, base: timedelta = FIRST, cap: timedelta = CAP) -> timedelta:
    """The wait after the ``attempts``-th failure in a row (1 for the first): ``base``,
    twice that after the second, and so on, at most ``cap``. ``attempts`` below 1 waits
    ``base``.

    The callers and their curves (as the README states them):

    * e-mail notices (``products.dissemination``) and xAPI statements (``training.xapi``)
      take the defaults: 1, 2, 4 … minutes, at most a day apart;
    * feeds (``exchange.feeds``) and instance syncs (``exchange.sync``) pass
      ``base=2 × interval``: after *n* failures the next try waits *interval × 2ⁿ*, at most
      24 hours.
    """
    doublings = min(max(attempts - 1, 0), MAX_DOUBLINGS)
    wait = (base // _MICROSECOND) << doublings  # exact, in integers: never overflows
    return min(timedelta(microseconds=min(wait, cap // _MICROSECOND)), cap)
