"""An input with nothing in it is refused where a person sends it (the submit form, the
API, ``vaka ingest``), not stored as a submission of no objects that looks like success.

Feeds and peers are not refused: an empty page from them just means nothing new."""

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

EMPTY_CONTENT = _("The content is empty: it has only spaces and line breaks.")
BOM = b"\xef\xbb\xbf"
CHUNK = 2**20


def empty_file(name: str) -> str:
    """The message for a blank file, naming it."""
    return gettext("%(name)s: the file is empty (or holds only spaces and line breaks)."
                   ) % {"name": name}


def is_blank(chunks: Iterable[bytes]) -> bool:
    """Whether the data is nothing but whitespace (after a UTF-8 byte-order mark). Reads
    only up to the first chunk with something in it."""
    first = True
    for chunk in chunks:
        if first:
            chunk, first = chunk.removeprefix(BOM), False
        if chunk.strip():
            return False
    return True


def is_blank_file(path: Path) -> bool:
    with path.open("rb") as handle:
        return is_blank(iter(lambda: handle.read(CHUNK), b""))


def is_blank_upload(upload: Any) -> bool:
    """Whether an uploaded file is blank; it is left at its start, ready to be read."""
    try:
        return is_blank(upload.chunks())
    finally:
        upload.seek(0)
