"""A submission's original: the file or pasted text as it came, kept for its audience.

Originals live in the default storage (under VAKA_DATA_DIR), not in the database: an
upload may be as large as VAKA_MAX_UPLOAD_MB, and the database stays small to back up.
Only stored (or partly stored) submissions keep theirs: a rejected one keeps nothing of
what was sent, so nothing of a refused input is half-stored.
"""

import contextlib
import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, default_storage
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from vaka.directory.models import User
from vaka.directory.roles import Capability
from vaka.intel.models import Submission
from vaka.intel.selectors import submissions_for
from vaka.policy import audit
from vaka.policy.services import record_view

# Sniffed from the first bytes, never from the name the sender gave.
_SIGNATURES = [
    (b"%PDF-", "application/pdf"),
    (b"\x1f\x8b", "application/gzip"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"\xff\xfe", "text/plain; charset=utf-16"),
    (b"\xfe\xff", "text/plain; charset=utf-16"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    # Office documents before 2007 (and Outlook .msg): an OLE2 compound file.
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/x-ole-storage"),
    (b"{\\rtf", "application/rtf"),
    # Programs: named so that attachments can refuse them whatever they are called.
    (b"\x7fELF", "application/x-executable"),
    (b"\xcf\xfa\xed\xfe", "application/x-mach-binary"),
    (b"\xce\xfa\xed\xfe", "application/x-mach-binary"),
    (b"\xca\xfe\xba\xbe", "application/x-mach-binary"),
    (b"#!", "text/x-script"),
]
# Office Open XML (.docx, .xlsx, .pptx) is a ZIP whose first part is [Content_Types].xml;
# the folder of its main part says which. OpenDocument's first part is "mimetype", stored.
OOXML = "application/vnd.openxmlformats-officedocument"
_OOXML_PARTS = [(b"word/", f"{OOXML}.wordprocessingml.document"),
                (b"xl/", f"{OOXML}.spreadsheetml.sheet"),
                (b"ppt/", f"{OOXML}.presentationml.presentation")]
PENDING = "pending"  # originals waiting for the free-text review to finish
PENDING_HOURS = 24  # a review left unfinished this long is forgotten


@dataclass(frozen=True)
class Original:
    """What was sent: its bytes and the file name it came with ("" for a paste)."""

    data: bytes
    filename: str = ""

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def content_type(self) -> str:
        return sniff(self.data)

    @property
    def lines(self) -> int:
        """Lines of a paste, the last one counted even without a line break."""
        text = self.data.decode("utf-8", errors="replace")
        return len(text.splitlines()) or 1


def sniff(data: bytes) -> str:
    """The content type the bytes themselves show (from the first 4 KB at most)."""
    head = data[:1024]
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(data[:4096])
    if head.startswith(b"MZ") and b"\x00" in head[:64]:
        return "application/x-msdownload"  # a Windows program or library
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image/webp"
    for signature, content_type in _SIGNATURES:
        if head.startswith(signature):
            return content_type
    start = head.lstrip()[:1]
    lowered = head.lstrip()[:15].lower()
    if lowered.startswith((b"<!doctype html", b"<html")):
        return "text/html; charset=utf-8"
    if lowered.startswith(b"<svg") or (lowered.startswith(b"<?xml")
                                        and b"<svg" in head.lower()):
        return "image/svg+xml"
    if b"\x00" in head:
        return "application/octet-stream"
    try:
        data[:65536].decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < 65536 - 4:  # not merely a character cut at the sample's end
            return "application/octet-stream"
    if start in (b"{", b"["):
        return "application/json"
    return "text/plain; charset=utf-8"


def _zip_kind(head: bytes) -> str:
    """An OpenDocument or Office Open XML document, or another ZIP archive."""
    if head[30:38] == b"mimetype":
        kind = head[38:38 + 80].partition(b"PK")[0]
        if kind.startswith(b"application/vnd.oasis.opendocument."):
            return kind.decode("ascii", errors="replace")
    if head[30:49] == b"[Content_Types].xml":
        for folder, content_type in _OOXML_PARTS:
            if folder in head:
                return content_type
        return OOXML
    return "application/zip"


def keep(submission: Submission, original: Original) -> None:
    """Write ``original`` to storage and note it on ``submission`` (saved by the caller,
    inside its transaction; :func:`discard` undoes the write if that transaction fails)."""
    field = submission.original
    submission.original = save_whole(field.storage, field.field.generate_filename(
        submission, f"{secrets.token_hex(16)}.bin"), original.data)
    submission.original_type = original.content_type
    submission.original_size = len(original.data)
    submission.sha256 = original.sha256


def save_whole(storage: Storage, name: str, data: bytes) -> str:
    """Store ``data`` as ``name`` (a name of random letters, so nobody else's); a save that
    fails part-way, as on a full disk, leaves no partial file behind."""
    try:
        return storage.save(name, ContentFile(data))
    except BaseException:
        with contextlib.suppress(OSError):
            storage.delete(name)
        raise


def discard(submission: Submission) -> None:
    """Remove a kept original's file (its transaction failed, or the submission went)."""
    if submission.original:
        submission.original.storage.delete(submission.original.name)


def download_name(submission: Submission) -> str:
    """The name a download is saved under: the file's own, or one for a paste."""
    name = submission.filename or (submission.name if submission.source in (
        Submission.Source.UPLOAD, Submission.Source.CLI) else "")
    if not name:
        suffix = ".pdf" if submission.original_type == "application/pdf" else (
            ".json" if submission.original_type == "application/json" else ".txt")
        name = f"submission-{submission.pk}{suffix}"
    return safe_name(name)


def safe_name(name: str) -> str:
    """A file name with only characters every browser and file system takes, for a
    quoted header value (a download's ``Content-Disposition``)."""
    return "".join(c if c.isalnum() or c in "._- " else "_" for c in name)[:150]


def original_for(user: Any, pk: int, *, request: Any = None) -> Submission:
    """A submission whose original ``user`` may download, or 404: missing, outside its
    audience, and kept-nothing look the same. A restricted one's download is audited."""
    submission = submissions_for(user).filter(pk=pk).exclude(original="").first()
    if submission is None:
        raise Http404
    record_view(submission, user=user, request=request)
    return submission


def erase_submission(submission: Submission, *, user: User, request: Any = None) -> None:
    """Erase a submission and its original. The records it wrote stay (they have their
    own owners' corrections); they no longer point to it."""
    if not user.can(Capability.CONTRIBUTE) or not submissions_for(user).filter(
            pk=submission.pk).exists():
        raise PermissionDenied(_("You may not erase this submission."))
    with transaction.atomic():
        audit.record(audit.Action.DELETE, actor=user, target=submission, request=request,
                     detail={"original": bool(submission.original)})
        submission.delete()
        # The file goes only once the row has: a failed erase keeps both.
        transaction.on_commit(lambda: discard(submission))


# --- The free-text review: the original waits between the preview and the store --------

def stash(session: Any, original: Original) -> str:
    """Keep ``original`` until the analyst stores the reviewed indicators; the token is
    only good in this session, so another user cannot claim someone else's file."""
    _forget_stale()
    token = secrets.token_urlsafe(24)
    name = save_whole(default_storage,
                      f"{PENDING}/{int(time.time())}-{secrets.token_hex(8)}.bin", original.data)
    pending = dict(session.get("pending_originals", {}))
    pending[token] = {"path": name, "filename": original.filename}
    session["pending_originals"] = pending
    return token


def take(session: Any, token: str) -> Original | None:
    """The stashed original for ``token`` in this session (removed from the stash)."""
    pending = dict(session.get("pending_originals", {}))
    entry = pending.pop(token, None) if token else None
    if entry is None:
        return None
    session["pending_originals"] = pending
    try:
        with default_storage.open(entry["path"], "rb") as handle:
            data = handle.read()
    except OSError:  # forgotten as stale meanwhile
        return None
    default_storage.delete(entry["path"])
    return Original(data, entry["filename"])


def _forget_stale() -> None:
    """Drop the files of reviews nobody finished within ``PENDING_HOURS``."""
    try:
        _dirs, files = default_storage.listdir(PENDING)
    except OSError:
        return
    cutoff = time.time() - PENDING_HOURS * 3600
    for name in files:
        stamp = name.partition("-")[0]
        if stamp.isdigit() and int(stamp) < cutoff:
            default_storage.delete(f"{PENDING}/{name}")
