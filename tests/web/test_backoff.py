from datetime import timedelta

import pytest

from vaka.backoff import CAP, retry_delay

MINUTE = timedelta(minutes=1)


def test_the_wait_doubles_from_the_first_up_to_a_day() -> None:
    assert [retry_delay(n) for n in (1, 2, 3, 4)] == [MINUTE, 2 * MINUTE, 4 * MINUTE,
                                                      8 * MINUTE]
    assert retry_delay(11) == 1024 * MINUTE  # 17 h 4 min: the last wait under a day
    assert retry_delay(12) == CAP == timedelta(days=1)


def test_no_failure_yet_waits_the_first() -> None:
    assert retry_delay(0) == retry_delay(-3) == retry_delay(1) == MINUTE


@pytest.mark.parametrize("attempts", [42, 60, 32767, 2**31 - 1, 10**12])
def test_a_long_outage_waits_the_cap_and_never_overflows(attempts: int) -> None:
    # 2**41 minutes is past what a timedelta holds: an xAPI statement retried for a month
    # of LRS outage must still get its next try.
    assert retry_delay(attempts) == CAP
    assert retry_delay(attempts, base=timedelta(days=7)) == CAP


def test_base_and_cap_shape_the_curve() -> None:
    assert retry_delay(3, base=timedelta(seconds=10)) == timedelta(seconds=40)
    assert retry_delay(3, cap=timedelta(minutes=3)) == timedelta(minutes=3)
    assert retry_delay(5, base=timedelta(0)) == timedelta(0)


@pytest.mark.parametrize("interval", [1, 5, 15, 60, 90, 1440, 10080])
def test_feeds_and_syncs_wait_interval_times_2_to_the_failures_up_to_24_hours(
        interval: int) -> None:
    # The curve exchange.feeds and exchange.sync had before sharing this one, and the
    # README's "interval × 2ⁿ, at most 24 hours".
    for failures in range(1, 80):
        before = min(timedelta(minutes=interval) * 2 ** min(failures, 20),
                     timedelta(hours=24))
        assert retry_delay(failures, base=2 * timedelta(minutes=interval)) == before


def test_mail_and_xapi_keep_the_curve_they_had() -> None:
    # products.dissemination's own retry_delay before it was this one (it overflowed from
    # 42 attempts on; the same waits below that).
    for attempts in range(0, 42):
        before = min(MINUTE * 2 ** max(attempts - 1, 0), timedelta(days=1))
        assert retry_delay(attempts) == before
