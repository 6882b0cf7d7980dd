"""Markdown as safe HTML: what products, messages and lessons are written in.

Two walls. markdown-it-py (CommonMark, with tables and strikethrough) never lets raw
HTML through: ``<script>`` or ``<img onerror=…>`` typed in a text is shown as text; and
links may only be ``http``, ``https``, ``mailto`` or relative (``javascript:``, ``data:``,
``vbscript:``… however spelt or encoded stay as the text that was written). Then nh3
(ammonia) keeps only the tags and attributes listed below from what markdown-it wrote: no
``style``, no event handler, no other URL scheme, ``rel="noopener noreferrer nofollow"`` on
every link.

Images are loaded only from this site (a relative address: ``/media/…``, ``/static/…``,
an attachment's path): one from elsewhere would tell another server who reads the text
and when, so it is replaced by its description and a note that it was not loaded. The
page's Content-Security-Policy (``img-src 'self' data:``) would refuse it anyway; this
says so in the text instead of showing a broken image.

Headings get ids (``md-`` and a slug of their words, in any script: ``md-résumé``,
``md-ملخص-التهديد``; ``-1``, ``-2``… when repeated) for a table of contents, which
:func:`headings` lists with the same ids. The prefix keeps them apart from the page's own
ids (``content``, ``nav``); a page that shows several texts passes a prefix per text.

Each block (paragraph, heading, list item, quote, table cell) is ``dir="auto"``: it is set
in the direction of its own words, so English lines in an Arabic text read right.

Markdown has no table caption, so a table is named by the heading of its section
(``aria-labelledby`` its id; ``aria-label``, its words, where headings get no ids): a
screen reader announces "Step 2, table" rather than an unnamed table. A table before any
heading stays unnamed.

Pure functions over text: no request, no settings. Only the note on a remote image is
translated, in the language active when :func:`render` is called.
"""

import re
import unicodedata
from collections.abc import Callable
from typing import Any

import nh3
from django.utils.translation import gettext as _
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.token import Token

ANCHOR_PREFIX = "md-"
MAX_HEADING = 6

_LINK_SCHEMES = frozenset({"http", "https", "mailto"})
# Browsers drop tabs and newlines anywhere in a URL and spaces around it ("java\tscript:").
_IGNORED_IN_URL = re.compile(r"[\x00-\x20\x7f]")
_SCHEME = re.compile(r"([a-z][a-z0-9+.\-]*):", re.IGNORECASE)
_ALIGN = {"text-align:left": "text-start", "text-align:center": "text-center",
          "text-align:right": "text-end"}

_TAGS = frozenset({
    "a", "blockquote", "br", "code", "em", "hr", "img", "li", "ol", "p", "pre", "s", "span",
    "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
    *(f"h{level}" for level in range(1, MAX_HEADING + 1))})
_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "table": {"aria-labelledby", "aria-label"},
    **{f"h{level}": {"id"} for level in range(1, MAX_HEADING + 1)},
}
# Each block takes the direction of its own words: an English line in an Arabic text (or
# the reverse) is set the right way round, whatever the page's direction.
_OWN_DIRECTION = {tag: {"dir": "auto"} for tag in (
    "blockquote", "li", "p", "td", "th", *(f"h{level}" for level in range(1, MAX_HEADING + 1)))}
_CELL_CLASSES = set(_ALIGN.values())
_CLASSES = {"span": {"text-muted"}, "table": {"table"}, "th": _CELL_CLASSES,
            "td": _CELL_CLASSES}


def _scheme(url: str) -> str | None:
    match = _SCHEME.match(_IGNORED_IN_URL.sub("", url))
    return match.group(1).lower() if match else None


def link_allowed(url: str) -> bool:
    """A link to ``url`` may be made: ``http``, ``https``, ``mailto`` or relative."""
    scheme = _scheme(url)
    return scheme is None or scheme in _LINK_SCHEMES


def same_site(url: str) -> bool:
    """``url`` is on this site: relative, with no scheme and no other host (``//host``,
    and ``/\\host``, which browsers read as ``//host``)."""
    cleaned = _IGNORED_IN_URL.sub("", url)
    return (_scheme(url) is None and not cleaned.startswith(("//", "/\\", "\\"))
            and "\\" not in cleaned and "%5c" not in cleaned.lower())


def _image(self: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    alt = self.renderInlineAsText(token.children or [], options, env)
    choose = env.get("images")
    if choose is not None:
        src = choose(str(token.attrGet("src") or ""))
        if src is None:
            note = (_("Image not loaded, not one of this text's files: %(description)s")
                    % {"description": alt} if alt.strip()
                    else _("Image not loaded, not one of this text's files"))
            return f'<span class="text-muted">[{escapeHtml(note)}]</span>'
        token.attrSet("src", src)
    if same_site(str(token.attrGet("src") or "")):
        token.attrSet("alt", alt)
        return self.renderToken(tokens, idx, options, env)
    note = (_("Image from another site not loaded: %(description)s") % {"description": alt}
            if alt.strip() else _("Image from another site not loaded"))
    return f'<span class="text-muted">[{escapeHtml(note)}]</span>'


def _parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    parser.validateLink = link_allowed  # type: ignore[method-assign]
    parser.add_render_rule("image", _image)
    return parser


_MARKDOWN = _parser()


def _sanitise_attribute(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src" and not same_site(value):
        return None
    return value


def _sanitise(html: str) -> str:
    return nh3.clean(html, tags=set(_TAGS), attributes=_ATTRIBUTES,
                     url_schemes=set(_LINK_SCHEMES), allowed_classes=_CLASSES,
                     attribute_filter=_sanitise_attribute, set_tag_attribute_values=_OWN_DIRECTION,
                     link_rel="noopener noreferrer nofollow", strip_comments=True)


def _inline_text(children: list[Token] | None) -> str:
    """The words of an inline run: text, code, image descriptions; line breaks as spaces."""
    parts = []
    for child in children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(_inline_text(child.children))
    return "".join(parts)


def slug(text: str) -> str:
    """``text`` as an id: lower case, letters, digits and marks of any script kept, spaces
    as hyphens, punctuation dropped; ``section`` when nothing is left."""
    kept = []
    for char in unicodedata.normalize("NFKC", text).lower():
        if char.isspace() or char == "-":
            kept.append("-")
        elif unicodedata.category(char)[0] in "LNM" or char == "_":
            kept.append(char)
    return re.sub(r"-{2,}", "-", "".join(kept)).strip("-") or "section"


def _parse(text: str, heading_offset: int, anchors: bool,
           anchor_prefix: str) -> tuple[list[Token], list[tuple[int, str, str]]]:
    """The tokens of ``text`` with headings shifted and given their ids, and the headings."""
    tokens = _MARKDOWN.parse(text, {})
    found: list[tuple[int, str, str]] = []
    taken: set[str] = set()
    tried: dict[str, int] = {}  # the last number tried after each base: a linear walk
    section: tuple[str, str] | None = None  # the last heading so far: (id, words)
    for index, token in enumerate(tokens):
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(MAX_HEADING, int(token.tag[1:]) + heading_offset)}"
        if token.type == "heading_open":
            words = _inline_text(tokens[index + 1].children).strip()
            base = anchor_prefix + slug(words)
            anchor, number = base, tried.get(base, 0)
            while anchor in taken:
                number += 1
                anchor = f"{base}-{number}"
            tried[base] = number
            taken.add(anchor)
            if anchors:
                token.attrSet("id", anchor)
            found.append((int(token.tag[1:]), anchor, words))
            section = (anchor, words) if words else None
        elif token.type in ("th_open", "td_open"):
            align = _ALIGN.get(str(token.attrGet("style") or ""))
            token.attrs.pop("style", None)
            if align:
                token.attrSet("class", align)
        elif token.type == "table_open":
            token.attrSet("class", "table")
            if section:  # Markdown has no caption: the table is named by its section
                token.attrSet(*(("aria-labelledby", section[0]) if anchors
                                else ("aria-label", section[1])))
    return tokens, found


def render(text: str, *, heading_offset: int = 0, anchors: bool = True,
           anchor_prefix: str = ANCHOR_PREFIX,
           images: Callable[[str], str | None] | None = None) -> str:
    """``text`` (Markdown) as sanitised HTML, safe to put in a page or a PDF as it is.

    ``heading_offset`` moves headings down (2: ``# x`` is an ``h3``; never past ``h6``);
    ``anchors`` gives each heading its id (off for a preview beside a form, whose ids would
    repeat the page's); ``anchor_prefix`` starts every id. ``images``, when given, says
    where each image's address (as written) is loaded from, or None to show its
    description instead (a lesson loads images from its own files only)."""
    tokens, _found = _parse(text or "", heading_offset, anchors, anchor_prefix)
    return _sanitise(_MARKDOWN.renderer.render(tokens, _MARKDOWN.options,
                                               {"images": images}))


def headings(text: str, *, heading_offset: int = 0,
             anchor_prefix: str = ANCHOR_PREFIX) -> list[tuple[int, str, str]]:
    """Each heading of ``text`` as (level, id, words), in order: the table of contents of
    what :func:`render` makes with the same arguments (``#md-summary`` links to it)."""
    return _parse(text or "", heading_offset, True, anchor_prefix)[1]


_BLOCK_ENDS = frozenset({"paragraph_close", "heading_close", "bullet_list_close",
                         "ordered_list_close", "blockquote_close", "table_close", "hr"})


def plain_text(text: str) -> str:
    """``text`` without its Markdown: the words of paragraphs, headings, list items, table
    cells and code, image descriptions instead of images, links as their words. Blocks are
    separated by a blank line. Not HTML: escape it where it goes into markup."""
    parts: list[str] = []
    for token in _MARKDOWN.parse(text or "", {}):
        if token.type == "inline":
            parts.append(_inline_text(token.children))
        elif token.type in ("fence", "code_block"):
            parts.append(token.content.rstrip("\n") + "\n\n")
        elif token.type in _BLOCK_ENDS and not token.hidden:  # tight lists' paragraphs
            parts.append("\n\n")
        elif token.type in ("list_item_close", "tr_close"):
            parts.append("\n")
        elif token.type in ("th_close", "td_close"):
            parts.append("\t")
    lines = (line.rstrip() for line in "".join(parts).splitlines())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
