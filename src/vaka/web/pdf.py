"""PDF rendering with WeasyPrint: what a PDF may load, how it is sent, and the annex grid.

A product's PDF is rendered from HTML that holds what its authors wrote, so the renderer
loads nothing from elsewhere: only ``data:`` URIs and Vaka's own static files (looked up
on disk, never over the network). Anything else — ``http(s):``, ``ftp:``, a ``file:``
outside the static folders — is refused and left out (an image simply goes missing), so a
hostile ``<img>`` can neither reach a server nor read a file of this machine.

The templates are ``pdf/base.html`` (TLP banner, header and footer on every page),
``pdf/_toc.html`` (contents with page numbers) and ``pdf/_annex.html`` (the indicators
annex, from :func:`annex_table`); README "PDF documents" says how a product uses them.
"""

import functools
import logging
import mimetypes
import posixpath
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.functional import Promise
from django.utils.http import content_disposition_header

log = logging.getLogger(__name__)

# Relative URLs ("/static/…") need a base; this one names no host that could answer.
LOCAL_BASE_URL = "https://vaka.invalid/"


class RefusedURL(ValueError):
    """A URL a PDF may not load: WeasyPrint leaves the resource out and goes on."""


def _static_roots() -> list[Path]:
    roots = [Path(settings.STATIC_ROOT)]
    for finder in finders.get_finders():
        for storage in getattr(finder, "storages", {}).values():
            roots.append(Path(storage.location))
    return [root.resolve() for root in roots]


def _static_file(name: str) -> Path | None:
    """The file a static name stands for: the source (what the finders find) or the
    collected copy under STATIC_ROOT (hashed names); None for anything else."""
    name = posixpath.normpath(unquote(name)).lstrip("/")
    if not name or name == "." or name.startswith(".."):
        return None
    try:
        found = finders.find(name)
    except SuspiciousFileOperation:
        return None
    root = Path(settings.STATIC_ROOT).resolve()
    path = Path(found) if found else root / name
    path = path.resolve()
    if not path.is_file() or not any(path.is_relative_to(r) for r in _static_roots()):
        return None
    return path


def _static_name(url: str, base_url: str) -> str | None:
    """The static file name ``url`` asks for, if it asks for one of Vaka's own."""
    static_url = settings.STATIC_URL
    if "://" in static_url:  # static files on another origin: the same files, read here
        return url[len(static_url):] if url.startswith(static_url) else None
    parts, base = urlsplit(url), urlsplit(base_url)
    if (parts.scheme, parts.netloc) != (base.scheme, base.netloc):
        return None
    if not parts.path.startswith(static_url):
        return None
    return parts.path[len(static_url):]


@functools.cache
def _fetcher_class() -> type:
    # WeasyPrint (and Pango behind it) loads only when a PDF is made, not at start-up.
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class LocalOnlyFetcher(URLFetcher):
        """data: URIs and Vaka's static files; every other URL is refused."""

        def __init__(self, base_url: str) -> None:
            super().__init__(allowed_protocols=("data", "http", "https", "file"))
            self.base_url = base_url

        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            scheme = urlsplit(url).scheme.lower()
            if scheme == "data":
                return super().fetch(url, headers)  # decoded here, never sent anywhere
            path: Path | None = None
            if scheme in ("http", "https"):
                name = _static_name(url, self.base_url)
                path = _static_file(name) if name is not None else None
            elif scheme == "file":
                found = Path(url2pathname(urlsplit(url).path)).resolve()
                if found.is_file() and any(found.is_relative_to(r) for r in _static_roots()):
                    path = found
            if path is None:
                log.warning("A PDF left out a %s resource: PDFs load only data: URIs "
                            "and Vaka's own static files", scheme or "relative")
                raise RefusedURL(f"a PDF loads only Vaka's own static files: {url[:200]}")
            mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": mime})

    return LocalOnlyFetcher


def render_pdf(html: str, *, base_url: str | None = None) -> bytes:
    """``html`` as a PDF. Relative URLs resolve against ``base_url`` (the site's own address,
    or a local stand-in); only data: URIs and Vaka's static files are loaded."""
    from weasyprint import HTML

    base = base_url or LOCAL_BASE_URL
    return HTML(string=html, base_url=base, url_fetcher=_fetcher_class()(base)).write_pdf()


def render_template_pdf(template_name: str, context: dict[str, Any], *,
                        language: str | None = None, base_url: str | None = None) -> bytes:
    """A ``pdf/base.html`` template rendered in ``language`` (default: the active one),
    with ``language`` and ``rtl`` set unless the context gives them, as a PDF."""
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    with translation.override(language):
        bidi = translation.get_language_info(language)["bidi"]
        html = render_to_string(template_name, {"language": language, "rtl": bidi, **context})
    return render_pdf(html, base_url=base_url)


# Names a browser would mangle or a header could not carry.
_UNSAFE_FILENAME = re.compile(r'[\x00-\x1f\x7f/\\"]+')


def pdf_response(pdf: bytes, filename: str, *, inline: bool = True) -> HttpResponse:
    """``pdf`` to send, named ``filename`` (RFC 6266: a plain name, or ``filename*`` in
    UTF-8 for any other), never kept by a cache: a PDF carries marked material."""
    name = _UNSAFE_FILENAME.sub("_", filename).strip(" .") or "document.pdf"
    response = HttpResponse(pdf, content_type="application/pdf")
    disposition = content_disposition_header(not inline, name)
    if not name.isascii():  # Django gave filename* alone: an ASCII name first, for old clients
        fallback = name.encode("ascii", "replace").decode().replace("?", "_")
        kind, encoded = disposition.split("; ", 1)
        disposition = f'{kind}; filename="{fallback}"; {encoded}'
    response["Content-Disposition"] = disposition
    response["Content-Length"] = str(len(pdf))
    patch_cache_control(response, private=True, no_store=True)
    return response


# --- The indicators annex -----------------------------------------------------------------
# WeasyPrint lays out each line of each table cell on its own, at about the cost of a
# paragraph: 5,000 indicators in four columns, one table row each, took 13 s of CPU. The
# annex is therefore set in a monospace type (print.css: 7.5 pt) and wrapped here, to each
# column's width in characters, and ANNEX_BLOCK_ROWS indicators make one table row (a
# block) that WeasyPrint still splits where a page ends, under the header row it repeats.
# A block of printable ASCII — nearly every indicator — is one cell whose lines hold all
# the columns, padded to their widths: one line an indicator, not four, and a row copied
# from the PDF stays a row. Any other block has a cell per column, each with the block's
# lines, so that a character of another width can never push a column out of line.

ANNEX_BLOCK_ROWS = 20
# Characters a line of the annex holds on A4 or Letter with print.css's margins.
ANNEX_LINE_CHARS = 108
# Controls, line separators and bidirectional overrides would break the grid or show a
# value other than the one held; each shows as U+FFFD instead.
_HIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")
_BLANK = "\u00a0"  # an empty line that still takes its line's height


@dataclass(frozen=True)
class AnnexColumn:
    label: str | Promise
    chars: int  # width, in characters of the annex's type
    ltr: bool = True  # read left to right in any language (values, dates, codes)


@dataclass(frozen=True)
class AnnexBlock:
    line: str | None  # every column on each line (ASCII blocks), or None
    cells: tuple[tuple[str, bool], ...] = ()  # else each column's lines, and whether LTR


@dataclass(frozen=True)
class Annex:
    columns: tuple[AnnexColumn, ...]
    blocks: tuple[AnnexBlock, ...]
    rows: int
    width: int  # characters: the columns and a space after each


def _lines(text: str, width: int) -> list[str]:
    """``text`` cut into lines of ``width`` characters at most (any character but ASCII
    counts double: wider than the monospace cell in some fonts); every character kept."""
    text = _HIDDEN.sub("\ufffd", text)
    if text.isascii():
        return [text[i:i + width] for i in range(0, len(text), width)] or [""]
    lines, line, used = [], "", 0
    for char in text:
        size = 1 if char.isascii() else 2
        if used + size > width and line:
            lines.append(line)
            line, used = "", 0
        line += char
        used += size
    lines.append(line)
    return lines


def _block(columns: tuple[AnnexColumn, ...], rows: list[list[list[str]]], rtl: bool
           ) -> AnnexBlock:
    """One block from its rows, each a list of lines per column (all as many lines)."""
    if all(line.isascii() for row in rows for lines in row for line in lines):
        out = []
        for row in rows:
            for n in range(len(row[0])):
                if rtl:  # the first column at the right, each flush right as its heading
                    line = "".join(row[i][n].rjust(columns[i].chars + 1)
                                   for i in reversed(range(len(columns)))).lstrip()
                else:
                    line = "".join(row[i][n].ljust(columns[i].chars + 1)
                                   for i in range(len(columns))).rstrip()
                out.append(line if line.strip() else _BLANK)
        return AnnexBlock("\n".join(out))
    return AnnexBlock(None, tuple(
        ("\n".join(line or _BLANK for row in rows for line in row[i]), column.ltr)
        for i, column in enumerate(columns)))


def annex_table(columns: Sequence[AnnexColumn], rows: Iterable[Sequence[Any]], *,
                rtl: bool | None = None) -> Annex:
    """The rows (one value per column, shown with ``str``) as the grid ``pdf/_annex.html``
    draws; ``rtl`` (default: the active language's direction) must be the document's, as
    its columns then run from the right."""
    columns = tuple(columns)
    width = sum(c.chars + 1 for c in columns)
    if width > ANNEX_LINE_CHARS or min((c.chars for c in columns), default=0) < 1:
        raise ValueError(f"annex columns must be 1 character or wider and hold at most "
                         f"{ANNEX_LINE_CHARS} with a space each: {[c.chars for c in columns]}")
    rtl = translation.get_language_bidi() if rtl is None else rtl
    blocks: list[AnnexBlock] = []
    pending: list[list[list[str]]] = []
    count = 0
    for row in rows:
        count += 1
        cells = [_lines(str(value), c.chars) for c, value in zip(columns, row, strict=True)]
        height = max(len(lines) for lines in cells)
        pending.append([lines + [""] * (height - len(lines)) for lines in cells])
        if len(pending) == ANNEX_BLOCK_ROWS:
            blocks.append(_block(columns, pending, rtl))
            pending = []
    if pending:
        blocks.append(_block(columns, pending, rtl))
    return Annex(columns, tuple(blocks), count, width)
