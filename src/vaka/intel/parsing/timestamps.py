"""STIX timestamps as Vaka writes them."""

from datetime import UTC, datetime


def stix_timestamp(moment: datetime) -> str:
    """``moment`` as a STIX 2.1 timestamp: UTC, to the millisecond, ending in ``Z``, the
    year always in four digits (``strftime``'s ``%Y`` writes the year 738 as ``738``, which
    no reader takes back)."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
