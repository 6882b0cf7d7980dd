"""The lists' ``day`` filter prints what ``date:"Y-m-d"`` printed, in the current zone."""

from datetime import UTC, date, datetime

from django.utils import timezone

from vaka.web.templatetags.listing import day


def test_day_is_the_date_in_the_current_time_zone():
    late = datetime(2026, 11, 30, 20, 30, tzinfo=UTC)
    with timezone.override("Pacific/Tongatapu"):  # UTC+13: already the next day
        assert day(late) == "2026-12-01"
    with timezone.override("UTC"):
        assert day(late) == "2026-11-30"


def test_day_of_a_date_and_of_nothing():
    assert day(date(2026, 1, 5)) == "2026-01-05"
    assert day(None) == ""
