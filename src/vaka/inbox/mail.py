"""E-mail that says only that something is waiting: filled in below."""

from collections.abc import Iterable


def send_immediate(owner_ids: Iterable[int]) -> None:
    """Placeholder until the mailer lands."""
