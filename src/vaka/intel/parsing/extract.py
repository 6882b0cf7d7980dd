"""Indicators of compromise found in free text: advisories, reports, e-mails, web pages.

How it stays fast (≥ 5 MB/s) and linear
---------------------------------------
The text is refanged once, then each kind gets one pass of a compiled pattern. Every pattern
but the hash one starts with a literal character (`://`, `@`, `:`, `.`, `-`, `+`, `0`, `1`,
`3`, `bc1`) that the regex engine finds with a fast string search; a pattern led by a
character class or a lookbehind is tried at every position and costs about ten times more.
From the literal, candidates are widened with bounded scans (a label is ≤ 63 characters, a
local part ≤ 64, a URL ≤ 8 KiB). No pattern repeats a group whose contents can match the same
characters in two ways, so backtracking is bounded per candidate. Candidates then pass cheap
checks (boundaries, lengths, the top-level domain) before the full validation in
:func:`~vaka.intel.parsing.observables.canonical`.

Most of the time goes to Python work per candidate, not to the patterns, so that work is
kept small: a text repeats its values, and each short value is validated once (bounded
caches, so memory stays flat), with one shared :class:`Indicator` per value; a scan whose
leading literal is not in the text is skipped (the short texts joined across line breaks
need few); a dotted quad's context is read only when its numbers could be a version's, and
the nearest word is read first. Measure with ``python bench/extract.py --corpus-only``.

Precision rules
---------------
* A URL's host is not reported again as a separate domain or IP: the URL already carries it,
  and an analyst pivots on the URL. The host is reported when it also appears on its own.
  Hashes, domains and the like in a URL's path or query *are* reported (a VirusTotal link
  names the file hash the reader cares about).
* An e-mail address is reported once, as an e-mail; its domain is not reported separately.
* Dotted numbers are not IPv4 addresses when they are part of a longer dotted sequence
  (``1.2.3.4.5``, an OID) or glued to a word (``v10.0.0.1``). A dotted quad whose context
  says version, build, OID or section number (``versions prior to 7.0.14.1``,
  ``EKU OID 2.5.29.37``, ``see 4.1.2.3``) is *uncertain*: see :mod:`.certainty`.
* A value a line break may have cut (``akira-`` ⏎ ``support@onionmail.org``) is uncertain,
  and the values joining the lines would give are offered as uncertain too.
* Uncertain values are only returned with ``extract(text, uncertain=True)``, flagged, for an
  analyst to choose; they are never stored unasked.
* Some top-level domains are also common file extensions (``.zip``, ``.mov``, ``.py``,
  ``.sh``…). A bare two-label name ending in one (``archive.zip``, ``run.py``) is taken as a
  file name; the same name is a domain inside a URL, in an e-mail address, or with more
  labels (``www.archive.zip``, ``cdn.evil.sh``).
* Dotted names with capitals after the first label (``System.IO``, ``Foo.Bar``) are code,
  not domains; all capitals (``EVIL.COM``) and capitals in the first label only
  (``Evil.com``, ``Update-Check.example.com``) are fine.
* ``ASP.NET``, ``VB.NET``…, written in capitals, name Microsoft's frameworks, not domains.
* A dotted name followed by ``(`` is a function call (``record.save()``), not a domain.
* Phone numbers must be strict E.164: ``+``, 8–15 digits, single spaces or hyphens between
  groups. Digit runs without ``+`` are never phone numbers.
* Word boundaries are ASCII: in Chinese, Japanese or Thai text an indicator often touches the
  surrounding words (``访问evil.com获取``), and is still found.
"""

from __future__ import annotations

import bisect
import codecs
import io
import re
from collections.abc import Callable
from functools import lru_cache
from html.parser import HTMLParser
from operator import itemgetter
from typing import Any, NamedTuple

from vaka.intel.parsing import certainty
from vaka.intel.parsing.errors import InputError, Problem
from vaka.intel.parsing.observables import (
    BTC,
    CVE,
    DOMAIN,
    EMAIL,
    ETH,
    HASH_KINDS_BY_LENGTH,
    IPV4,
    IPV6,
    PHONE,
    URL,
    canonical,
    is_tld,
    refang,
)
from vaka.intel.parsing.readable import why_unreadable


class Indicator(NamedTuple):
    """One observable found in text: its kind and canonical value.

    ``certain`` is False for a value that may be wrong (see :mod:`.certainty`), with the
    ``reason`` code saying why; such a value is only stored when an analyst picks it.
    """

    kind: str
    value: str
    certain: bool = True
    reason: str = ""


Found = list[tuple[int, Indicator]]  # (position in the refanged text, indicator)
_POSITION = itemgetter(0)
_INDICATOR = itemgetter(1)

# Top-level domains that are more often a file extension in prose; see the module docstring.
FILE_LIKE_TLDS = frozenset({"zip", "mov", "py", "sh", "md", "rs", "ps", "so", "cab", "one", "run"})

# Names of frameworks that are also registered domains; as written in capitals, the framework.
FRAMEWORK_NAMES = frozenset({"ASP.NET", "VB.NET", "ADO.NET", "ML.NET"})

# Schemes worth reporting as URL indicators.
URL_SCHEMES = frozenset(
    {"http", "https", "ftp", "ftps", "sftp", "ws", "wss", "smb", "ssh", "tcp", "udp"}
)


# Boundaries are ASCII word characters only: Chinese, Japanese and Thai text puts indicators
# right next to letters with no space (`访问198.51.100.7获取`), and those must still count.
_ASCII_WORD = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


_WORD_OR_DOT = _ASCII_WORD | {"."}


def _is_word(char: str) -> bool:
    return char in _ASCII_WORD


def _word_before(text: str, start: int) -> bool:
    return start > 0 and _is_word(text[start - 1])


def _word_after(text: str, end: int) -> bool:
    return end < len(text) and _is_word(text[end])


def _valid(kind: str, value: str) -> str | None:
    # Texts repeat their indicators (a report names its C2 domain a dozen times), and IDNA
    # encoding or `ipaddress` cost more than finding the value: short values are validated
    # once. Long ones (URLs up to 8 KiB) are not kept, so the cache stays small.
    if len(value) <= _CACHED_LENGTH:
        return _valid_cached(kind, value)
    return _canonical_or_none(kind, value)


def _canonical_or_none(kind: str, value: str) -> str | None:
    try:
        return canonical(kind, value)
    except ValueError:
        return None


_CACHED_LENGTH = 256
_valid_cached = lru_cache(maxsize=8192)(_canonical_or_none)


def _certain(kind: str, value: str) -> Indicator:
    """The indicator of a value found for sure: one shared object per short value, as a
    text repeats its values and making a named tuple costs more than finding it again."""
    if len(value) <= _CACHED_LENGTH:
        return _shared_certain(kind, value)
    return Indicator(kind, value)


_shared_certain = lru_cache(maxsize=8192)(Indicator)


def _mask(text: str, spans: list[tuple[int, int]]) -> str:
    """Blank out spans (same length, so positions stay valid) so later scans skip them."""
    if not spans:
        return text
    parts, last = [], 0
    for start, end in spans:
        parts += (text[last:start], " " * (end - start))
        last = end
    parts.append(text[last:])
    return "".join(parts)


# --------------------------------------------------------------------------------------------
# URLs
# --------------------------------------------------------------------------------------------

_SCHEME_BEFORE = re.compile(r"[A-Za-z]{2,6}\Z")
# Stops at whitespace, quotes, angle brackets, and at Thai, CJK and full-width characters:
# in those scripts the sentence carries on right after a URL, with no space.
_URL_BODY = re.compile(
    r"[^\s<>\"'`{}|\\^\u0e00-\u0e7f\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af"
    r"\uff00-\uffef]+"
)
_AUTHORITY_END = re.compile(r"[/?#]")
_TRAILING = ".,;:!?*)]}"
# Longer "URLs" are blobs (data, base64), not links; capping keeps each candidate cheap.
MAX_URL_LENGTH = 8192
_URL_ATTEMPTS_PER_RUN = 3
_OPENER = {")": "(", "]": "[", "}": "{"}


def _trim_url(url: str) -> str:
    # `[text](url)` in Markdown, when the link text is itself a URL.
    cut = url.find("](")
    if cut >= 0:
        url = url[:cut]
    # Sentence punctuation and closing brackets that are not part of the URL:
    # `(see http://x.y/z).` loses `).` but `…/Foo_(bar)` keeps its balanced `)`.
    # Counted once up front, so a URL ending in many `)` still costs linear time.
    closers = {c: url.count(c) for c in _OPENER}
    openers = {c: url.count(o) for c, o in _OPENER.items()}
    end = len(url)
    while end and url[end - 1] in _TRAILING:
        char = url[end - 1]
        if char in _OPENER:
            if openers[char] >= closers[char]:
                break
            closers[char] -= 1
        end -= 1
    return url[:end]


def _url_at(text: str, sep: int, run_end: int) -> tuple[int, str, str] | None:
    """The URL whose `://` is at ``sep``: (start, text as written, canonical value), or None."""
    scheme = _SCHEME_BEFORE.search(text, max(0, sep - 6), sep)
    if not scheme or scheme.group(0).lower() not in URL_SCHEMES:
        return None
    start = scheme.start()
    if _word_before(text, start) or run_end - start > MAX_URL_LENGTH:
        return None
    url = _trim_url(text[start:run_end])
    value = _valid(URL, url)
    return (start, url, value) if value else None


def _scan_urls(text: str, found: Found) -> tuple[str, list[tuple[int, int]]]:
    """The text with the URLs' hosts masked, and the URLs' spans."""
    hosts: list[tuple[int, int]] = []
    spans: list[tuple[int, int]] = []
    run_end = attempts = 0
    sep = text.find("://")
    while sep >= 0:
        if sep >= run_end:
            # A new run of URL characters. Every `://` inside one run shares its end, so the
            # run is matched once, and at most a few failed starts are tried in it: otherwise
            # `http://http://http://…` would cost time quadratic in its length.
            body = _URL_BODY.match(text, sep + 3)
            run_end, attempts = (body.end() if body else sep + 3), 0
        attempts += 1
        hit = _url_at(text, sep, run_end)
        if hit:
            start, url, value = hit
            found.append((start, _certain(URL, value)))
            host_end = _AUTHORITY_END.search(url, sep - start + 3)
            hosts.append((start, start + (host_end.start() if host_end else len(url))))
            spans.append((start, start + len(url)))
            next_sep = start + len(url)
        else:
            next_sep = run_end if attempts >= _URL_ATTEMPTS_PER_RUN else sep + 3
        sep = text.find("://", next_sep)
    return _mask(text, hosts), spans


# --------------------------------------------------------------------------------------------
# E-mail addresses
# --------------------------------------------------------------------------------------------

_EMAIL_DOMAIN = re.compile(r"[\w-]+(?:\.[\w-]+)+")
_ASCII_DOMAIN = re.compile(r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_LOCAL_RUN = re.compile(r"[A-Za-z0-9._+-]*")


def _local_part_start(text: str, at: int) -> int:
    # Read leftwards at most 65 characters (a local part is ≤ 64), so the work per '@' is bounded.
    window = text[max(0, at - 65) : at][::-1]
    start = at - _LOCAL_RUN.match(window).end()
    while start < at and text[start] == ".":
        start += 1  # `...user@x`: dots cannot start a local part
    return start


def _email_domains(text: str, at: int) -> list[re.Match[str]]:
    """Plausible domains after the '@': as written, then its ASCII part (`bad@evil.com获取`)."""
    domain = _EMAIL_DOMAIN.match(text, at + 1)
    if not domain:
        return []
    options = [domain]
    if not domain.group().isascii():
        ascii_part = _ASCII_DOMAIN.match(text, at + 1)
        options += [ascii_part] if ascii_part else []
    # The top-level-domain test is cheap and rejects most stray '@' before any other work.
    return [d for d in options if _public_tld(d.group())]


def _email_at(text: str, at: int) -> tuple[int, int, str] | None:
    """The address around the '@' at ``at``: (start, end, canonical value), or None."""
    domains = _email_domains(text, at)
    if not domains:
        return None
    start = _local_part_start(text, at)
    if start == at or at - start > 64 or _word_before(text, start):
        return None
    for domain in domains:
        value = _valid(EMAIL, text[start : domain.end()])
        if value:
            return start, domain.end(), value
    return None


def _scan_emails(text: str, found: Found) -> str:
    spans: list[tuple[int, int]] = []
    at = text.find("@")
    while at >= 0:
        hit = _email_at(text, at)
        if hit:
            start, end, value = hit
            found.append((start, _certain(EMAIL, value)))
            spans.append((start, end))
        at = text.find("@", hit[1] if hit else at + 1)
    return _mask(text, spans)


# --------------------------------------------------------------------------------------------
# IPv6
# --------------------------------------------------------------------------------------------

# Every IPv6 address with ≥ 2 colons contains two colons with ≤ 4 hex digits between them.
_V6_HIT = re.compile(r":[0-9A-Fa-f]{0,4}:")
_V6_TAIL = re.compile(r"[0-9A-Fa-f:]*(?:\.[0-9]{1,3}){0,3}(?:/[0-9]{1,3})?")
_HEX_CHARS = frozenset("0123456789abcdefABCDEF")


def _plausible_v6(candidate: str) -> bool:
    address = candidate.partition("/")[0]
    if not address.strip(":"):
        return False  # `::` alone (and `:::`) is punctuation, not an address
    colons = address.count(":")
    # Cheap shape test before the costly parse: `::`, or 8 groups, or 6 groups + dotted IPv4.
    # Times (`12:30:45`) and MAC addresses (`00:1A:2B:3C:4D:5E`) fail it.
    if "::" not in address and colons != 7 and not (colons == 6 and "." in address):
        return False
    if address != address.lower() and address != address.upper():
        return False  # `Face::Add` is code; real addresses use one case
    groups = address.split(":")
    # Eight two-digit groups is an EUI-64 / MAC-style identifier, not an address.
    return not (len(groups) == 8 and all(len(g) == 2 for g in groups))


def _scan_ipv6(text: str, found: Found) -> str:
    spans: list[tuple[int, int]] = []
    pos = 0
    while m := _V6_HIT.search(text, pos):
        colon = m.start()
        start = colon
        while start > colon - 5 and start > 0 and text[start - 1] in _HEX_CHARS:
            start -= 1
        end = _V6_TAIL.match(text, colon).end()
        pos = end  # never rescan this run of hex and colons
        candidate = text[start:end]
        if candidate.endswith(":") and not candidate.endswith("::"):
            candidate, end = candidate[:-1], end - 1  # `… fe80::1:` ends a clause
        if start > 0 and (_is_word(text[start - 1]) or text[start - 1] in ":."):
            continue
        if _word_after(text, end) or not _plausible_v6(candidate):
            continue
        value = _valid(IPV6, candidate)
        if value:
            found.append((start, _certain(IPV6, value)))
            spans.append((start, end))
    return _mask(text, spans)


# --------------------------------------------------------------------------------------------
# IPv4
# --------------------------------------------------------------------------------------------

# Led by the first dot (a literal, found by fast search); the first octet is read leftwards.
_V4_AFTER_FIRST_OCTET = re.compile(r"\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}(?:/[0-9]{1,2})?")
_DIGITS_BEFORE = re.compile(r"[0-9]*")  # matched on the reversed three characters before


def _part_of_longer_number(text: str, start: int, end: int) -> bool:
    if start > 0 and text[start - 1] in _WORD_OR_DOT:
        return True
    after = text[end : end + 1]
    if after and after in _ASCII_WORD:
        return True
    return after == "." and text[end + 1 : end + 2].isdigit()


@lru_cache(maxsize=4096)  # bounded; a text names the same few addresses over and over
def _ipv4_value(quad: str) -> tuple[str | None, bool]:
    """The canonical address (None if it is not one), and whether it is shaped like a version
    (only then are the words around it worth reading: see :mod:`.certainty`).

    A plain dotted quad (the common case) is checked here, with the same rules as the general
    check, which parses with :mod:`ipaddress` and costs more than the rest of the scan: each
    number at most 255, no leading zeros."""
    if "/" in quad:
        value = _valid(IPV4, quad)
    else:
        parts = quad.split(".")
        bad = any((len(part) > 1 and part[0] == "0") or int(part) > 255 for part in parts)
        value = None if bad else quad
    return value, value is not None and certainty.version_shaped(quad)


def _scan_ipv4(text: str, found: Found) -> None:
    for m in _V4_AFTER_FIRST_OCTET.finditer(text):
        dot, end = m.span()
        # The first octet: up to three digits before the dot.
        start = dot - len(_DIGITS_BEFORE.match(text[max(0, dot - 3) : dot][::-1]).group())
        if start == dot or _part_of_longer_number(text, start, end):
            continue
        value, shaped = _ipv4_value(text[start:end])
        if value:
            # `versions prior to 7.0.14.1`, `OID 2.5.29.37`: offered for review, not stored.
            # Most addresses are not shaped like a version, and need no look at their context.
            doubt = certainty.ipv4_doubt(text, start, end) if shaped else None
            found.append((start, Indicator(IPV4, value, False, doubt) if doubt
                          else _certain(IPV4, value)))


# --------------------------------------------------------------------------------------------
# Domains
# --------------------------------------------------------------------------------------------

_DOT_LETTER = re.compile(r"\.(?=[^\W\d_])")
_DOMAIN_TAIL = re.compile(r"(?:\.[\w-]+)+")
_LABEL_RUN = re.compile(r"[\w-]*")


def _label_start(text: str, dot: int) -> int:
    # The first label, read leftwards from the dot (matched forwards in the reversed window).
    # At most 64 characters are looked at (a label is ≤ 63), so a giant word costs no more.
    window = text[max(0, dot - 64) : dot][::-1]
    start = dot - _LABEL_RUN.match(window).end()
    while start < dot and text[start] == "-":
        start += 1  # `--evil.com`: option dashes, not part of the name
    return start


def _public_tld(name: str) -> bool:
    """Cheap pre-check of the last label (non-ASCII ones are left to full validation)."""
    tld = name[name.rfind(".") + 1 :].lower()
    return not tld.isascii() or is_tld(tld)


# First labels of reverse-DNS identifiers; no one registers a host named `com.` under a name.
_REVERSED_NAME_STARTS = frozenset({"com", "org", "net"})


def _plausible_domain(name: str) -> bool:
    if not _public_tld(name):
        return False  # cheap reject for `report.pdf`, `1.2.3`, `e.g`
    tld = name[name.rfind(".") + 1 :].lower()
    tail = name[name.find(".") :]
    if tail != tail.lower() and name != name.upper():
        return False  # `System.IO`, `Foo.Bar`: code identifiers
    if name in FRAMEWORK_NAMES:
        return False  # written in capitals, as the framework is; `asp.net` is a domain
    if name.count(".") >= 2 and name[: name.find(".")].lower() in _REVERSED_NAME_STARTS:
        return False  # `com.vendor.app`: an Android package or Java name, written backwards
    return not (name.count(".") == 1 and tld in FILE_LIKE_TLDS)


def _domain_value(name: str) -> str | None:
    # Names repeat in a text; those short enough to be a domain are judged once.
    return _judged_name(name) if len(name) <= _CACHED_LENGTH else _judge_name(name)


def _judge_name(name: str) -> str | None:
    return _canonical_or_none(DOMAIN, name) if _plausible_domain(name) else None


_judged_name = lru_cache(maxsize=8192)(_judge_name)


def _scan_domains(text: str, found: Found) -> None:
    pos = 0
    while m := _DOT_LETTER.search(text, pos):
        dot = m.start()
        start = _label_start(text, dot)
        end = _DOMAIN_TAIL.match(text, dot).end()
        pos = end
        if start == dot or _word_before(text, start) or (start > 0 and text[start - 1] in ".@"):
            continue  # no first label, a fragment of a longer name, or a too-long label
        if text[end : end + 1] in ("@", "("):
            continue  # the local part of a rejected address, or a call: `timezone.now()`
        name = text[start:end]
        value = _domain_value(name)
        if value is None and not name.isascii():
            # `访问evil.com获取`: the name is the ASCII part, the rest is the sentence.
            core = _ASCII_DOMAIN.search(name)
            if core:
                start += core.start()
                value = _domain_value(core.group())
        if value:
            found.append((start, _certain(DOMAIN, value)))


# --------------------------------------------------------------------------------------------
# Hashes, CVE ids, cryptocurrency addresses, phone numbers
# --------------------------------------------------------------------------------------------

# A hex digit not preceded by an ASCII word character then 31 more: the lookbehind rejects a
# start inside a word at once, so prose costs one test per hex letter, not a rescan of each
# word from each of its letters. The run is the whole token, as the word checks require.
_HEX_RUN = re.compile(r"[0-9A-Fa-f](?<![0-9A-Za-z_][0-9A-Fa-f])[0-9A-Fa-f]{31,}")
# Patterns below lead with a literal (fast search) where they can; a lookbehind right after it
# rejects a start inside a longer word at once, which keeps attempts in hex runs cheap.
_CVE_ID = re.compile(r"-(?<=[Cc][Vv][Ee]-)[0-9]{4}-[0-9]{4,}")
_BTC_BASE58 = tuple(
    re.compile(lead + r"(?<![0-9A-Za-z_]" + lead + r")[1-9A-HJ-NP-Za-km-z]{25,34}") for lead in "13"
)
_BTC_BECH32 = (  # bech32 may be all lower or all upper case, never mixed
    re.compile(r"bc1[02-9ac-hj-np-z]{11,71}"),
    re.compile(r"BC1[02-9AC-HJ-NP-Z]{11,71}"),
)
_ETH_ADDRESS = re.compile(r"0[xX][0-9A-Fa-f]{40}")
# `+`, a non-zero digit, then 7–14 digits each optionally after one space, hyphen or dot
# (`+687 75.12.34`), or with the area code in brackets (`+1 (415) 555-0132`).
_E164 = re.compile(r"\+[1-9](?:(?:[ .-]| ?\(|\) ?)?[0-9]){7,14}")


def _scan_hashes(text: str, found: Found) -> None:
    for m in _HEX_RUN.finditer(text):
        run, (start, end) = m.group(0), m.span()
        kind = HASH_KINDS_BY_LENGTH.get(len(run))
        # Only a whole run counts, so a 64-digit SHA-256 never also yields a SHA-1 or MD5.
        if kind is None or _word_before(text, start) or _word_after(text, end):
            continue
        # Real digests mix digits and letters; all-digit runs are numbers, all-letter words.
        if run.isdigit() or run.isalpha():
            continue
        if _not_a_digest(text, start):
            continue
        found.append((start, _certain(kind, run.lower())))


# Words that name a hex run of hash length as something else: a certificate serial, a TLS
# client fingerprint (JA3 is an MD5 of a handshake, not of a file), a transaction id.
_NOT_DIGEST_WORDS = frozenset({"serial", "ja3", "ja3s", "txid", "tx"})
_WORD_RUN = re.compile(r"[A-Za-z0-9]+")


def _not_a_digest(text: str, start: int) -> bool:
    """Whether one of the three words right before the run says it is not a digest."""
    words = _WORD_RUN.findall(text[max(0, start - 40) : start])[-3:]
    return any(word.lower() in _NOT_DIGEST_WORDS for word in words)


def _scan_simple(
    pattern: re.Pattern[str], kind: str, lead: int = 0
) -> Callable[[str, Found], None]:
    """A scanner for kinds whose whole token the pattern matches, between word boundaries.

    ``lead`` is how many characters of the token come before the match (the `CVE` of a CVE id,
    which the pattern checks with a lookbehind).
    """

    def scan(text: str, found: Found) -> None:
        for m in pattern.finditer(text):
            start, end = m.start() - lead, m.end()
            if _word_before(text, start) or _word_after(text, end):
                continue
            value = _valid(kind, text[start:end])
            if value:
                found.append((start, _certain(kind, value)))

    return scan


def _clean_end(text: str, end: int) -> bool:
    # Not followed by a word character, nor by `.5`, `,3`, `:2`, `/8` continuing a number.
    if _word_after(text, end):
        return False
    return not (text[end : end + 1] in (".", ",", ":", "/") and text[end + 1 : end + 2].isdigit())


def _scan_phones(text: str, found: Found) -> None:
    for m in _E164.finditer(text):
        start, end = m.span()
        # `5+12345678` is arithmetic, `++1…` is not a number.
        if start > 0 and (_is_word(text[start - 1]) or text[start - 1] == "+"):
            continue
        number = m.group(0)
        if not _clean_end(text, end):
            # More digits than E.164 allows: not a phone number at all.
            if text[end].isdigit():
                continue
            # The last space-separated group belongs to the next token (`+679 7001234 45.1.2.3`,
            # `+679 7001234 9f86d0…`): give it back.
            cut = number.rfind(" ")
            if cut < 0:
                continue
            number = number[:cut]
        value = _valid(PHONE, number)
        if value:
            found.append((start, _certain(PHONE, value)))


# Each scan with a string its pattern cannot match without: a scan of text lacking it is
# skipped (most of the short texts joined across line breaks need two or three scans of ten).
_LATE_SCANS: tuple[tuple[str, Callable[[str, Found], None]], ...] = (
    (".", _scan_ipv4),
    (".", _scan_domains),
    ("", _scan_hashes),
    ("-", _scan_simple(_CVE_ID, CVE, lead=3)),
    *((p.pattern[0], _scan_simple(p, BTC)) for p in _BTC_BASE58),
    *((p.pattern[:3], _scan_simple(p, BTC)) for p in _BTC_BECH32),
    ("0", _scan_simple(_ETH_ADDRESS, ETH)),
    ("+", _scan_phones),
)


def _scan(text: str) -> tuple[Found, list[tuple[int, int]]]:
    """Everything found in refanged ``text``, and the spans of its URLs."""
    found: Found = []
    # URLs, then e-mails, then IPv6 mask what they consumed, so that the later scans do not
    # report a URL's host, an address's domain, or the IPv4 tail of `::ffff:192.0.2.1` again.
    text, urls = _scan_urls(text, found) if "://" in text else (text, [])
    if "@" in text:
        text = _scan_emails(text, found)
    if ":" in text:
        text = _scan_ipv6(text, found)
    for needle, scan in _LATE_SCANS:
        if needle in text:
            scan(text, found)
    return found, urls


def _across(join: certainty.Join) -> Found:
    """The values of the joined text that cross the join: they start in the first piece,
    which is one token ending at the break, so they go on into the second."""
    # Most line-end hyphens are in prose (`well-⏎known`): nothing there can be an indicator.
    # A CVE id cut after its year (`CVE-2023-⏎27997`) is short and has none of those.
    if (len(join.text) < 25 and not any(c in join.text for c in ".@:")
            and join.left[:4].upper() != "CVE-"):
        return []
    return [(join.position, i._replace(certain=False, reason=certainty.JOINED))
            for start, i in _scan(join.text)[0] if start < len(join.left)]


def _line_break_doubts(text: str, found: Found, urls: list[tuple[int, int]]) -> Found:
    """``found`` (in order of position) with the values a line break may have cut flagged,
    and the values that joining the lines would make added, all uncertain (see
    :mod:`.certainty`); still in order of position."""
    parts: set[int] = set()  # positions of values that may be only part of one
    joined: Found = []
    for left_start, hyphen, after, joins in certainty.hyphen_breaks(text):
        first = bisect.bisect_left(found, left_start, key=_POSITION)
        last = bisect.bisect_left(found, hyphen, first, key=_POSITION)
        parts.update(position for position, _ in found[first:last])
        parts.add(after)
        for join in joins:
            joined += _across(join)
    for _first_end, _second_start, join in certainty.hex_breaks(text):
        joined += _across(join)
    for after, join in certainty.scheme_breaks(text):
        parts.add(after)  # `https://⏎host/path`: the host alone is part of a URL
        joined += _across(join)
    for start, end in urls:
        more = certainty.url_continuation(text, end)
        if more:
            parts.add(start)
            joined += _across(certainty.Join(text[start:end] + more[1], text[start:end],
                                             more[1], start))
    # Found values are flagged where they are, not by rebuilding the list: there are tens of
    # thousands in a long report, and a handful of line breaks that matter.
    for position in parts:
        at = bisect.bisect_left(found, position, key=_POSITION)
        while at < len(found) and found[at][0] == position:
            indicator = found[at][1]
            if indicator.certain:
                found[at] = (position, indicator._replace(
                    certain=False, reason=certainty.LINE_BREAK_PART))
            at += 1
    if joined:
        found += joined
        found.sort(key=_POSITION)  # stable, and nearly sorted already: about linear
    return found


def extract(text: str, *, uncertain: bool = False) -> list[Indicator]:
    """Indicators in ``text`` (refanged first), canonical, de-duplicated, in order of appearance.

    Only certain values unless ``uncertain``: then also the values that may be wrong, each
    with ``certain=False`` and a reason (a value found both ways counts as certain). Linear
    in the size of the text. See the module docstring for what is and is not reported.
    """
    text = refang(text)
    found, urls = _scan(text)
    found.sort(key=_POSITION)
    if "\n" in text:
        found = _line_break_doubts(text, found, urls)
    # Each indicator once, at its first place: a text repeats its values, so the work below
    # is on a few hundred values, not on every occurrence.
    unique = dict.fromkeys(map(_INDICATOR, found))
    if not uncertain:
        return [i for i in unique if i.certain]
    sure = {i[:2] for i in unique if i.certain}
    kept, seen = [], set()
    # A value found both ways is certain; an uncertain one is listed once, at its first place.
    for indicator in unique:
        key = indicator[:2]
        if key in seen or (not indicator.certain and key in sure):
            continue
        seen.add(key)
        kept.append(indicator)
    return kept


# --------------------------------------------------------------------------------------------
# Files to text
# --------------------------------------------------------------------------------------------

# Elements that break a line when rendered; text either side must not run together.
_BLOCK_TAGS = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "dd",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
    }
)
_HIDDEN_TAGS = frozenset({"script", "style"})


class _HtmlText(HTMLParser):
    """Visible text of an HTML page plus its link targets (``href``), without scripts/styles."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN_TAGS:
            self._hidden += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")
        for name, value in attrs:
            if name == "href" and value:
                self.parts.append(f" {value} ")  # so a link's target is extracted too

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN_TAGS:
            self._hidden = max(0, self._hidden - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


# --- Limits of the text read from one file --------------------------------------------------
# pypdf interprets a page's content streams in pure Python, at 0.1-0.5 MB of drawing
# operators a second. A file of a few hundred kilobytes can make it do hours of work: pages
# that all draw one big shared stream, or a form drawn over and over, are parsed again for
# each use. So the work is capped, not just the file size (at worst about 20 s on a busy
# two-core server), and what was left out is listed as a problem.
MAX_PDF_PAGES = 200  # pages read; an advisory's indicators come well before its 200th page
# Decoded content-stream bytes parsed over all pages, a stream counted each time a page uses
# it (its forms included): 200 ordinary text pages hold about 2-4 MiB.
MAX_PDF_CONTENT = 4 * 1024 * 1024
MAX_PDF_OPERATIONS = 500_000  # drawing operators interpreted over all pages (forms included)
# Characters of text kept from any file: extraction runs at >= 5 MB/s, so this bounds it to
# about a second, and a review page lists what 5 MB of prose can hold.
MAX_TEXT = 5 * 1024 * 1024


class Text(NamedTuple):
    """A file's text and what was left out of it (each a :class:`Problem`)."""

    text: str
    problems: list[Problem]


def _decode(data: bytes) -> str:
    # Honour a byte-order mark (Windows tools write UTF-16 reports); otherwise UTF-8, lossy.
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    return data.decode("utf-8-sig", errors="replace")


def _html_text(data: bytes) -> str:
    parser = _HtmlText()
    parser.feed(_decode(data))
    parser.close()
    return "".join(parser.parts)


class _OutOfWork(Exception):
    """The operator budget of a PDF is spent."""


def _streams_size(obj: Any, seen: set[int], depth: int = 0) -> int:
    """Decoded bytes of the content stream(s) ``obj`` and of the forms its resources hold
    (each counted once here: drawing one many times is caught by the operator budget)."""
    from pypdf.generic import ArrayObject, IndirectObject, StreamObject

    if isinstance(obj, IndirectObject):
        if obj.idnum in seen or depth > 8:
            return 0
        seen.add(obj.idnum)
        obj = obj.get_object()
    if isinstance(obj, ArrayObject):
        return sum(_streams_size(item, seen, depth) for item in obj)
    size = len(obj.get_data()) if isinstance(obj, StreamObject) else 0
    resources = obj.get("/Resources") if hasattr(obj, "get") else None
    xobjects = resources.get_object().get("/XObject") if resources is not None else None
    for ref in (xobjects.get_object().values() if xobjects is not None else ()):
        target = ref.get_object()
        if hasattr(target, "get") and target.get("/Subtype") == "/Form":
            size += _streams_size(ref, seen, depth + 1)
    return size


def _pdf_text(data: bytes, filename: str) -> Text:
    # The PDF header may follow a little junk, but must be in the first 1 KiB (as readers allow).
    if b"%PDF-" not in data[:1024]:
        raise InputError(Problem("not a PDF file: no %PDF header", file=filename))
    # Imported here: pypdf is only needed for PDFs and costs time to import.
    from pypdf import PdfReader

    operations = 0

    def count(*_args: object) -> None:
        nonlocal operations
        operations += 1
        if operations > MAX_PDF_OPERATIONS:
            raise _OutOfWork

    parts: list[str] = []
    cut = ""
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            reader.decrypt("")  # many "protected" PDFs use an empty user password
        total, content, length = len(reader.pages), 0, 0
        for number, page in enumerate(reader.pages, start=1):
            if number > MAX_PDF_PAGES:
                cut = f"only the first {MAX_PDF_PAGES} of {total} pages were read"
                break
            content += _streams_size(page.get("/Contents"), set()) + sum(
                _streams_size(form, set()) for form in _page_forms(page))
            if content > MAX_PDF_CONTENT:
                cut = (f"pages {number}-{total} were not read: their drawing instructions "
                       f"exceed {MAX_PDF_CONTENT // 1024:,} KiB")
                break
            pieces: list[str] = []  # the page's text so far, kept if the budget runs out
            try:
                parts.append(page.extract_text(
                    visitor_operand_before=count,
                    visitor_text=lambda text, *_args, kept=pieces: kept.append(text)) or "")
            except _OutOfWork:
                operations = MAX_PDF_OPERATIONS + 1
                parts.append("".join(pieces))
            if operations > MAX_PDF_OPERATIONS:  # also when a form swallowed the exception
                cut = (f"pages {number}-{total} were not read in full: they hold more than "
                       f"{MAX_PDF_OPERATIONS} drawing instructions")
                break
            length += len(parts[-1]) + 1
            if length > MAX_TEXT:
                break
    except Exception as exc:  # pypdf raises many exception types on damaged files
        message = f"not a PDF file: cannot read it ({type(exc).__name__}: {exc})"
        raise InputError(Problem(message, file=filename)) from None
    text = _capped("\n".join(parts), filename)
    problems = text.problems
    if cut:
        problems.insert(0, Problem(f"truncated: {cut}", file=filename))
    return Text(text.text, problems)


def _page_forms(page: Any) -> list[Any]:
    """The form XObjects in a page's resources (drawn by its content with ``Do``)."""
    resources = page.get("/Resources")
    xobjects = resources.get_object().get("/XObject") if resources is not None else None
    if xobjects is None:
        return []
    return [ref for ref in xobjects.get_object().values()
            if ref.get_object().get("/Subtype") == "/Form"]


def _capped(text: str, filename: str) -> Text:
    if len(text) <= MAX_TEXT:
        return Text(text, [])
    return Text(text[:MAX_TEXT], [Problem(
        f"truncated: only the first {MAX_TEXT:,} characters of text were read",
        file=filename)])


def bytes_read(filename: str) -> int | None:
    """How much of a file :func:`read_text` reads: the start of a plain-text file (its text
    is cut at ``MAX_TEXT`` characters, each at most 4 bytes), or all of it (None) for an
    HTML page or a PDF. A caller reading a large file from disk need load no more."""
    suffix = filename.lower().rpartition(".")[2] if "." in filename else ""
    return None if suffix in ("html", "htm", "pdf") else 4 * MAX_TEXT + 4


def read_text(data: bytes, filename: str) -> Text:
    """The text of an uploaded file, for :func:`extract`, and what was left out of it.

    ``.html``/``.htm``: visible text and link targets; ``.pdf``: text of its pages (raises
    :class:`InputError` if the file is not a readable PDF); anything else (``.txt``, ``.md``,
    unknown): decoded as UTF-8, with undecodable bytes replaced. The work is bounded (see
    ``MAX_PDF_PAGES``, ``MAX_PDF_CONTENT``, ``MAX_PDF_OPERATIONS``, ``MAX_TEXT``); what was
    not read is listed as a "truncated: …" problem.
    """
    why = why_unreadable(data, filename)
    if why:
        raise InputError(Problem(why, file=filename))
    suffix = filename.lower().rpartition(".")[2] if "." in filename else ""
    if suffix in ("html", "htm"):
        read = _capped(_html_text(data), filename)
    elif suffix == "pdf":
        read = _pdf_text(data, filename)
    else:
        # No need to decode what would be cut anyway.
        read = _capped(_decode(data[:bytes_read(filename)]), filename)
    if not read.text.strip():  # a scanned PDF, a page of markup only
        raise InputError(Problem("no text could be read from the file (a scanned document "
                                 "holds only images): upload a copy with its text",
                                 file=filename))
    return read


def text_of(data: bytes, filename: str) -> str:
    """The text of an uploaded file (see :func:`read_text`), without what was left out."""
    return read_text(data, filename).text
