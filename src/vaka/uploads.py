"""Files people attach to what they write (a product's annexes, a message's attachments):
read once for their size, SHA-256 and the content type their bytes show.

``read_upload`` is what every attachment goes through: at most ``VAKA_MAX_UPLOAD_MB``,
hashed, typed by :func:`vaka.intel.originals.sniff` (never by the name or the type the
browser sent). ``check_kind`` adds the rule for files that travel to other organisations
(secure messages): documents, images, text and archives only — no programs, scripts, web
pages or SVG (which can carry script) — and the bytes must be what the name says, so a
program named ``report.pdf`` is refused, not passed on.
"""

import hashlib
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpResponse
from django.utils.translation import gettext as _

from vaka.intel.originals import OOXML, sniff

_TEXT = ("text/plain; charset=utf-8", "text/plain; charset=utf-16")
_OLE = ("application/x-ole-storage",)
_ODF = "application/vnd.oasis.opendocument."

# What each allowed name ending may hold, as sniffed.
EXPECTED: dict[str, tuple[str, ...]] = {
    "pdf": ("application/pdf",),
    "png": ("image/png",), "jpg": ("image/jpeg",), "jpeg": ("image/jpeg",),
    "gif": ("image/gif",), "webp": ("image/webp",), "tif": ("image/tiff",),
    "tiff": ("image/tiff",),
    "txt": _TEXT, "log": _TEXT, "csv": _TEXT, "tsv": _TEXT, "md": _TEXT, "eml": _TEXT,
    "json": ("application/json", *_TEXT), "stix": ("application/json",),
    "docx": (f"{OOXML}.wordprocessingml.document", OOXML),
    "xlsx": (f"{OOXML}.spreadsheetml.sheet", OOXML),
    "pptx": (f"{OOXML}.presentationml.presentation", OOXML),
    "odt": (f"{_ODF}text",), "ods": (f"{_ODF}spreadsheet",), "odp": (f"{_ODF}presentation",),
    "doc": _OLE, "xls": _OLE, "ppt": _OLE, "msg": _OLE,
    "rtf": ("application/rtf",),
    "zip": ("application/zip",), "gz": ("application/gzip",),
}
# Refused whatever they are called: they run, or run script, where they are opened.
FORBIDDEN_TYPES = frozenset({
    "application/x-msdownload", "application/x-executable", "application/x-mach-binary",
    "text/x-script", "text/html; charset=utf-8", "image/svg+xml",
})
FORBIDDEN_ENDINGS = frozenset({
    "exe", "dll", "com", "scr", "msi", "msp", "bat", "cmd", "ps1", "psm1", "vbs", "vbe",
    "js", "jse", "wsf", "wsh", "hta", "cpl", "lnk", "jar", "apk", "app", "dmg", "iso",
    "sh", "bash", "py", "pl", "rb", "php", "html", "htm", "xhtml", "shtml", "svg", "svgz",
    "docm", "xlsm", "pptm", "dotm", "xltm", "reg", "scf", "inf",
})
# Shown in the browser when asked; everything else is only ever a download.
INLINE_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg", "image/gif",
                          "image/webp"})


@dataclass(frozen=True)
class Upload:
    """What ``read_upload`` learnt of a file: its name, size, SHA-256 and sniffed type."""

    name: str
    size: int
    sha256: str
    content_type: str

    @property
    def ending(self) -> str:
        return PurePosixPath(self.name.lower()).suffix.lstrip(".")


def upload_limit() -> int:
    return settings.MAX_UPLOAD_MB * 1024 * 1024


def read_upload(upload: UploadedFile, *, field: str = "file") -> Upload:
    """Size, hash and type of ``upload`` (left at its start, ready to store); a file over
    ``VAKA_MAX_UPLOAD_MB`` is refused under ``field``, saying which and the limit."""
    name = (upload.name or "file").replace("\x00", "")[-255:]
    if upload.size > upload_limit():
        raise ValidationError({field: [_("%(name)s is larger than the %(mb)d MB limit.")
                                       % {"name": name, "mb": settings.MAX_UPLOAD_MB}]})
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    head = upload.read(4096)
    upload.seek(0)
    return Upload(name, upload.size, digest.hexdigest(), sniff(head))


def kind_problem(found: Upload) -> str:
    """Why ``found`` may not travel to another organisation, or ``""`` when it may."""
    ending = found.ending
    if found.content_type in FORBIDDEN_TYPES or ending in FORBIDDEN_ENDINGS:
        return _("%(name)s is refused: programs, scripts, web pages and SVG images are "
                 "never sent (its content is %(type)s).") % {
            "name": found.name, "type": found.content_type}
    if ending not in EXPECTED:
        return _("%(name)s is refused: “.%(ending)s” is not a kind of file sent here "
                 "(documents, images, text and archives: %(allowed)s).") % {
            "name": found.name, "ending": ending or "",
            "allowed": ", ".join(f".{e}" for e in EXPECTED)}
    if found.content_type not in EXPECTED[ending]:
        return _("%(name)s is refused: its content is %(type)s, not what a “.%(ending)s” "
                 "file holds.") % {"name": found.name, "type": found.content_type,
                                   "ending": ending}
    return ""


def check_kind(found: Upload, *, field: str = "attachments") -> None:
    """Refuse (under ``field``) a file that ``kind_problem`` finds wrong."""
    problem = kind_problem(found)
    if problem:
        raise ValidationError({field: [problem]})


def guarded(response: HttpResponse) -> HttpResponse:
    """``response`` (a stored file sent back) never sniffed again by the browser,
    sandboxed, and not cached: what every download of an upload is sent with."""
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'"
    response["Cache-Control"] = "private, no-store"
    return response
