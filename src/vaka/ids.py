"""Record ids as people and clients send them: ASCII digits, within what the database holds."""

# The largest id a record can have (a 64-bit integer, Django's BigAutoField): a larger one
# names no record, and SQLite cannot even compare it (OverflowError, a server error).
MAX_ID = 2**63 - 1


def parse_id(text: str) -> int | None:
    """``text`` as a record id, or None when it cannot be one: only ASCII digits (``³`` is
    a digit to ``str.isdigit`` but not to ``int``), from 1 to ``MAX_ID``."""
    if not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ID else None
