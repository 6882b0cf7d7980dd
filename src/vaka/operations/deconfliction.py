"""Deconfliction: a target value held by another operation, or in the observable index."""

from collections.abc import Sequence
from typing import Any

from vaka.operations.models import Target


def on_targets_added(targets: Sequence[Target], *, user: Any) -> None:
    """Check newly added ``targets`` against every other operation and the observable
    index; called by the operations services once the targets are stored."""
