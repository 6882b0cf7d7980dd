"""When a value found in free text may be wrong: shown for review, never stored unasked.

Two kinds of doubt
------------------
* **Context.** A dotted quad is a valid IPv4 address, but the words before it say it is a
  version, a build, an OID or a section number (``versions prior to 7.0.14.1``,
  ``EKU OID 2.5.29.37``, ``see section 4.1.2.3``, ``6.4.0.0 to 6.4.14.2``,
  ``2.0.0.1 and earlier``). The nearest telling word within the clause decides: an address
  word closer than a version word (``build 2 of the loader connects to the server at
  10.0.0.1``) keeps it an address.
* **Line breaks.** Text taken from a PDF is cut into lines, and a value may be cut with it.
  ``akira-`` at the end of one line and ``support@onionmail.org`` at the start of the next
  is ``akira-support@onionmail.org`` (the hyphen is the value's own) or, when the layout
  hyphenated a word, ``hr-notifications@…`` written ``hr-notifi-`` / ``cations@…``. Neither
  the part after the break nor any one way of joining is certain, so the part is flagged
  and both joinings are offered. The same for a URL cut after ``/``, ``=`` or ``_``, and a
  hash cut in two pieces that are not hashes on their own.

Every check here is a bounded look at a few dozen characters around a candidate, or one
pass of a literal-led pattern, so extraction stays linear and fast.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from typing import NamedTuple

# --- reasons (codes; the review page and the API explain them in the user's language) ----
VERSION = "version"  # the words around a dotted quad say it is a version or build number
OID = "oid"  # … an object identifier
SECTION = "section"  # … a section, table row or item number
LINE_BREAK_PART = "line-break-part"  # the value touches a line break and may be a part
JOINED = "joined-across-line-break"  # the value exists only when two lines are joined

REASONS = (VERSION, OID, SECTION, LINE_BREAK_PART, JOINED)

# --------------------------------------------------------------------------------------------
# Dotted quads in context
# --------------------------------------------------------------------------------------------

# How far back the telling word may be: about a clause (a table row: `versions prior to …`).
_CONTEXT_CHARS = 60
def _words(spaced: str) -> frozenset[str]:
    return frozenset(spaced.split())


# Telling words, lower case. A word inside a name (`mirage-update.info`) is one token with
# the rest of the name and does not count. Looking words up in sets costs a tenth of a pattern.
_VERSION_WORDS = _words(
    "version versions ver release releases build builds firmware revision rev patch patches "
    "update updates hotfix hotfixes upgrade fixed engine toolset antérieure antérieures "
    "ultérieure ultérieures"
)
_OID_WORDS = _words("oid oids eku arc")
_SECTION_WORDS = _words(
    "section sections sec chapter chapters clause clauses paragraph paragraphs paragraphe "
    "paragraphes appendix annex annexes annexe table tables figure figures fig row rows item "
    "items step steps article articles rule rules § ref reference references procedure "
    "procedures part parts point points handbook guide manual"
)
_ADDRESS_WORDS = _words(
    "ip ips ipv4 address addresses adresse adresses host hosts server servers serveur "
    "serveurs c2 c&c cnc connect connects connected connection connections contact contacts "
    "contacted beacon beacons beaconed beaconing resolve resolves resolved resolver "
    "resolvers port ports exporter gateway proxy relay listen listens listening forward "
    "forwards src dst source destination range subnet network node nodes dns ntp internal "
    "public jump scanning scanner scanners hosted hosting sinkhole egress ingress traffic "
    "ioc iocs indicator indicators infrastructure seen observed block blocks attacker "
    "attackers ->"
)
# Two-word phrases, keyed by their last word: `prior to 7.0.14.1`, `object identifier`.
_PHRASES = {("prior", "to"): VERSION, ("earlier", "than"): VERSION, ("older", "than"): VERSION,
            ("up", "to"): VERSION, ("object", "identifier"): OID}
# The window before a quad is read backwards, word by word, from the quad: most quads have
# their telling word right before them, so reading stops after a word or two. Dotted names
# are one token (of those only the last part counts: `OSVersion.Version`), and so is the
# end of a clause (a blank line, a sentence end before a capital), before which nothing
# counts. The pattern is the forward one reversed.
_WORD_BACKWARDS = re.compile(
    r"[\w&§]+(?:[-.][\w&§]+)*|>-|\n[ \t]*\n|(?<=[A-Z])\s+[\"')\]]?[.;!?]"
)
_PHRASE_ENDS = frozenset(last for _first, last in _PHRASES)
_DOUBTS = {**dict.fromkeys(_VERSION_WORDS, VERSION), **dict.fromkeys(_OID_WORDS, OID),
           **dict.fromkeys(_SECTION_WORDS, SECTION), **dict.fromkeys(_ADDRESS_WORDS, "")}


# After the quad: `7.0.14.1 and earlier`, `… or later`, `3.2.1.0 et antérieures`.
_VERSION_AFTER = re.compile(
    r"\s*(?:and|or|et|ou)\s+(?:earlier|later|older|newer|higher|lower|above|below|prior|"
    r"before|after|antérieures?|ultérieures?|supérieures?|inférieures?)\b",
    re.IGNORECASE,
)
# A version range: another dotted number, then `to`, `through`, a dash… (or the other way).
_RANGE_BEFORE = re.compile(r"\d+(?:\.\d+)+\s*(?:to|through|thru|till|until|-|–|and|or|à|et)\s*\Z")
_RANGE_AFTER = re.compile(r"\s*(?:to|through|thru|till|until|-|–|and|or|à|et)\s*\d+(?:\.\d+)+")
# Another dotted number earlier on the line: a table of versions (`2.0.0.1  2.0.13.5`).
_DOTTED_NUMBER = re.compile(r"\d\.\d+\.")
# A heading: `4.1.2.3 Lateral movement` at the start of a line.
_HEADING_AFTER = re.compile(r" [A-Z][a-z]")


def _numbers(quad: str) -> list[int]:
    return [int(part) for part in quad.split("/")[0].split(".")]


def _version_shaped(numbers: list[int]) -> bool:
    """Versions, sections and OIDs count in small numbers (a build number may be large):
    the first at most 30 and at most one above it. Most public addresses are not."""
    return numbers[0] <= 30 and sum(n > 30 for n in numbers) <= 1


def version_shaped(quad: str) -> bool:
    """Whether the dotted quad (maybe with a `/prefix`) could be a version, section or OID
    number by its numbers alone; only then can its context make it uncertain."""
    return _version_shaped(_numbers(quad))


def _telling_word(window: str) -> tuple[str | None, bool, int]:
    """The doubt the nearest telling word in the clause gives (None if it is an address word
    or there is none), whether that word is an address word, and where the clause starts."""
    backwards = window[::-1]
    # Most often the word right before the quad decides (`version 7.0.14.1`): read it alone
    # first, and the whole window only when it does not.
    nearest = _WORD_BACKWARDS.search(backwards)
    if nearest and not nearest.group()[0].isspace():  # a word, not the end of a clause
        word = nearest.group()[::-1].rpartition(".")[2].lower()
        doubt = _DOUBTS.get(word)
        if doubt is not None and word not in _PHRASE_ENDS and word != "v":
            return doubt or None, doubt == "", 0
    tokens = _WORD_BACKWARDS.findall(backwards)  # strings: far cheaper than match objects
    for i, token in enumerate(tokens):
        if not (token[0].isalnum() or token[0] in "_&§>"):  # the end of a clause
            end = next(itertools.islice(_WORD_BACKWARDS.finditer(backwards), i, None))
            return None, False, len(window) - end.start()
        word = token[::-1].rpartition(".")[2].lower()
        if word == "v" and i == 0:
            return VERSION, False, 0  # `v 1.2.3.4`
        if word in _PHRASE_ENDS and i + 1 < len(tokens):
            phrase = _PHRASES.get((tokens[i + 1][::-1].lower(), word))
            if phrase:
                return phrase, False, 0
        doubt = _DOUBTS.get(word)
        if doubt is not None:
            return doubt or None, doubt == "", 0
    return None, False, 0


def ipv4_doubt(text: str, start: int, end: int) -> str | None:
    """Why the dotted quad ``text[start:end]`` may not be an address, or None if it is one."""
    numbers = _numbers(text[start:end])
    if not _version_shaped(numbers):
        return None
    window = text[max(0, start - _CONTEXT_CHARS) : start]
    doubt, address, clause = _telling_word(window)
    window = window[clause:]
    if doubt:
        return doubt
    if _range_with_non_address(text, end):
        return VERSION  # `Server 2022  22.1.0.0 to 22.1.6.300`: the other end is no address
    if _VERSION_AFTER.match(text, end, end + 30):
        return VERSION
    if not address and max(numbers) <= 30:  # no telling word: the shape decides
        if _RANGE_BEFORE.search(window[-30:]) or _RANGE_AFTER.match(text, end, end + 30):
            return VERSION
        line_start = text.rfind("\n", max(0, start - 200), start) + 1
        before = text[line_start:start]
        if not before.strip() and _HEADING_AFTER.match(text, end, end + 3):
            return SECTION
        # A table of versions (`2.0.0.1 and earlier    2.0.13.5`), not prose naming a version
        # then an address (`rclone (v1.65.2) … staged on 10.14.2.9`).
        if _DOTTED_NUMBER.search(before) and (
            _COLUMN_GAP.search(before) or not _LETTER.search(before[_last_dotted(before) :])
        ):
            return VERSION
    return None


_LETTER = re.compile(r"[^\W\d_]")
_COLUMN_GAP = re.compile(r"(?: {2,}|\t)\Z")
_RANGE_END = re.compile(r"\s*(?:to|through|thru|till|until|-|–|à)\s*(\d+(?:\.\d+)+)")


def _last_dotted(before: str) -> int:
    """Where the last dotted number on the line before the quad ends."""
    return max(m.end() for m in _DOTTED_NUMBER.finditer(before))


def _range_with_non_address(text: str, end: int) -> bool:
    """Whether the quad starts a range whose other end is a dotted number but no address
    (a part above 255, or not four parts): then both are versions, whatever the words say."""
    m = _RANGE_END.match(text, end, end + 40)
    if not m:
        return False
    parts = m.group(1).split(".")
    return len(parts) != 4 or any(int(part) > 255 for part in parts)


# --------------------------------------------------------------------------------------------
# Values cut by a line break
# --------------------------------------------------------------------------------------------

# A hyphen ending a line right after a letter, digit or bracket: `akira-⏎support`.
_HYPHEN_BREAK = re.compile(r"-[ \t]*\r?\n[ \t]*(?=[A-Za-z0-9\[])")
# A line ending inside a long hex run and the next one going on with hex: a split hash. A
# layout only cuts a word too long for a whole line (or a table cell), so the part before
# the break is at least 8 characters: lines ending in a year or a short number are skipped.
_HEX_BREAK = re.compile(r"\n(?<=[0-9A-Fa-f]{8}\n)[ \t]*(?=[0-9A-Fa-f])")
_HEX_RIGHT = re.compile(r"[0-9A-Fa-f]{1,128}")
_LINE_BREAK = re.compile(r"[ \t]*\r?\n[ \t]*")
# What the next line must start with to carry on a URL: a path or query piece, not a word.
_URL_CONTINUATION = re.compile(r"(?![0-9]{1,3}[.)]\s)[\w%~-]+[/.=&?#][\w%~.=&?#/;:+@-]*")
_TOKEN_CHARS = 512  # how far a joined token is read either side of the break


class Join(NamedTuple):
    """Two pieces either side of a line break, to be searched again as one.

    Only what the joined text holds and neither piece does is new: a value across the join.
    """

    text: str
    left: str
    right: str
    position: int  # where the break is in the original text (for the order of values)


def _token_left(text: str, end: int) -> int:
    start = end
    limit = max(0, end - _TOKEN_CHARS)
    while start > limit and not text[start - 1].isspace():
        start -= 1
    return start


def _token_right(text: str, start: int) -> int:
    end = start
    limit = min(len(text), start + _TOKEN_CHARS)
    while end < limit and not text[end].isspace():
        end += 1
    return end


def hyphen_breaks(text: str) -> Iterator[tuple[int, int, int, list[Join]]]:
    """Each line-end hyphen after a word character: (start of the token before it, the
    hyphen's position, start of the next line's text, the two ways to join the tokens)."""
    for m in _HYPHEN_BREAK.finditer(text):
        hyphen, after = m.start(), m.end()
        if hyphen == 0 or not (text[hyphen - 1].isalnum() or text[hyphen - 1] in "])"):
            continue
        left_start = _token_left(text, hyphen)
        left = text[left_start:hyphen]
        right = text[after : _token_right(text, after)]
        yield left_start, hyphen, after, [
            Join(f"{left}-{right}", left, right, hyphen),  # the hyphen is the value's own
            Join(f"{left}{right}", left, right, hyphen),  # the layout hyphenated a word
        ]


def hex_breaks(text: str) -> Iterator[tuple[int, int, Join]]:
    """Hex runs cut by a line break into pieces of no hash length, whose join has one:
    (end of the first piece, start of the second, the join)."""
    from vaka.intel.parsing.observables import HASH_KINDS_BY_LENGTH

    for m in _HEX_BREAK.finditer(text):
        newline, after = m.start(), m.end()
        # The run before the break, read backwards: a pattern anchored at its end would be
        # tried at every position of the window.
        left = _HEX_RIGHT.match(text[max(0, newline - 128) : newline][::-1])
        right = _HEX_RIGHT.match(text, after)
        if not left or not right:
            continue
        first, second = left.group()[::-1], right.group()
        if (len(first) in HASH_KINDS_BY_LENGTH or len(second) in HASH_KINDS_BY_LENGTH
                or len(first + second) not in HASH_KINDS_BY_LENGTH):
            continue
        yield newline, after, Join(first + second, first, second, newline - len(first))


# A scheme ending a line (`hxxps://` once refanged) and the URL's host on the next one.
_SCHEME_BREAK = re.compile(r"(?<![A-Za-z])[A-Za-z]{2,6}://[ \t]*\r?\n[ \t]*(?=[\w\[])")


def scheme_breaks(text: str) -> Iterator[tuple[int, Join]]:
    """URLs cut right after their scheme: (start of the next line's text, the join of the
    scheme and that line's first token)."""
    for m in _SCHEME_BREAK.finditer(text):
        scheme = text[m.start() : text.index("://", m.start()) + 3]
        right = text[m.end() : _token_right(text, m.end())]
        yield m.end(), Join(scheme + right, scheme, right, m.start())


def url_continuation(text: str, url_end: int) -> tuple[int, str] | None:
    """If the URL ending at ``url_end`` may go on at the start of the next line: (start of
    that line's text, the part that would continue the URL)."""
    if url_end >= len(text) or text[url_end - 1] not in "/_=&?%.":
        return None
    gap = _LINE_BREAK.match(text, url_end)
    if not gap or gap.group().count("\n") != 1:
        return None
    more = _URL_CONTINUATION.match(text, gap.end())
    return (gap.end(), more.group()) if more else None
