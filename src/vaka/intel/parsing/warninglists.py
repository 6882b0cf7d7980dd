"""Fast matching of indicator values against the MISP warninglists.

Every value Vaka ingests or is asked about is checked here, so that well-known values
(public DNS resolvers, top sites, cloud and special-use ranges, hashes of empty files…)
are flagged and never correlate. ``pymispwarninglists`` ships the data; its own
``search()`` loops over every list for every value, far too slow for tens of thousands
of values a second. This module reads the same JSON files once and builds indexes that
answer a value with a handful of dictionary look-ups and one ``bisect``:

* ``string`` and ``hostname`` entries share one dictionary, entry → label. A label says
  which lists hold the entry exactly, as a hostname (the entry and its subdomains) or as
  a subdomain-only rule. A domain is answered by looking up the domain and each of its
  parent domains; a URL by its full text and its host; an e-mail address by its full
  text and its domain.
* ``cidr`` entries become integer ranges, merged per list, then cut into elementary
  intervals over all lists together, per address family: an address is answered by one
  ``bisect`` into the interval bounds. A network value (``10.1.0.0/16``) matches a list
  when the list's ranges cover all of it.
* ``substring`` lists are compiled into one regular expression per list whose
  alternatives form a trie, so the C regex engine walks all entries at once.
* ``regex`` lists are compiled once.

A list applies to a value only if the list's ``matching_attributes`` (MISP attribute
types) include a type that the value's Vaka kind maps to (``KIND_ATTRIBUTE_TYPES``), so a
hash list never matches a domain and a top-sites list never matches an e-mail address.
A list without ``matching_attributes`` applies to every kind, as in MISP.

Lists included by default: every list shipped with ``pymispwarninglists`` (MISP itself
imports all of them disabled and leaves the choice to the admin; the shipped data has no
"enabled" flag), top-sites lists included, except ``DEFAULT_EXCLUDED_LISTS``: lists that
describe services handing out an attacker-controlled identifier per customer (every
subdomain of a dynamic-DNS zone, every mailbox of a throw-away mail service). Flagging
those would stop exactly the values police most want to correlate. Pass ``names`` to
choose the lists yourself.

Deliberate differences from MISP and from ``pymispwarninglists`` (all tested):

1. Public-suffix boundary (``public_suffix_boundary=True``, the default): a shipped
   ``hostname`` entry does not reach past a public suffix. ``tranco`` lists
   ``duckdns.org``, ``github.io`` and ``blogspot.com``; in MISP every
   ``*.duckdns.org`` host is therefore "a top site". Here ``duckdns.org`` itself still
   matches but ``evil.duckdns.org`` does not, because ``duckdns.org`` is a public suffix
   (the shipped ``second-level-tlds`` list, Mozilla's public suffix list including its
   private section, is used; any single label is a suffix too). Admin exclusions are not
   bounded: an admin's domain always covers all its subdomains.
2. Case: entries are folded to lower case (MISP lower-cases hostname entries only), and
   values of kinds that are not guaranteed lower-case (``cve``, ``btc``, ``eth``,
   ``phone``, IPs) are folded before exact look-up. URL entries keep the case of their
   path. So the ``tlds`` list (``AAA``…) matches the value ``aaa``.
3. ``string`` entries starting with a dot (``.aadrm.com`` in the Microsoft and Google
   lists) match subdomains of that domain, as their authors meant; MISP and
   ``pymispwarninglists`` compare them literally and never match them.
4. ``hostname`` entries are stripped of dots at both ends, as MISP does;
   ``pymispwarninglists`` keeps a leading dot and so misses the bare domain.
5. ``regex`` entries are PCRE with delimiters (``/…/i``); they are translated to Python
   ``re``. A pattern PHP would reject (an unknown modifier such as ``/g``, used by every
   shipped ``phone_numbers`` pattern) is skipped, as ``preg_match`` fails on it in MISP.
   ``pymispwarninglists`` never matches regex lists at all.
6. Network values are matched by containment; ``pymispwarninglists`` only compares them
   as strings (MISP does not take network values at all).
7. A URL's host is parsed properly (userinfo and port dropped); MISP splits on ``/`` and
   keeps the port.
8. ``pymispwarninglists.search()`` ignores ``matching_attributes``; this module honours
   them, as MISP does.

Caveat, MISP's semantics kept: top-sites lists (``tranco``, ``alexa``) apply to URLs by
their host, so every URL on a top site (``https://pastebin.com/raw/…``, a file on
``cdn.discordapp.com``) is flagged. Drop those lists, or narrow them, if such URLs must
correlate.

No Django here: the module is pure and thread-safe for reading; ``add_exclusions`` swaps
in a rebuilt exclusions index atomically.
"""

from __future__ import annotations

import contextlib
import gc
import json
import logging
import re
import socket
import threading
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

__all__ = [
    "DEFAULT_EXCLUDED_LISTS",
    "KINDS",
    "KIND_ATTRIBUTE_TYPES",
    "ListInfo",
    "Warninglists",
    "default_warninglists",
    "shipped_lists_dir",
]

logger = logging.getLogger(__name__)

_IP_TYPES = frozenset({"ip-src", "ip-dst", "ip-src|port", "ip-dst|port", "ip"})
_DOMAIN_TYPES = frozenset({"domain", "hostname", "domain|ip", "hostname|port"})
_URL_TYPES = frozenset({"url", "uri", "link"})
_EMAIL_TYPES = frozenset({"email", "email-src", "email-dst", "target-email",
                          "whois-registrant-email", "dns-soa-email", "email-reply-to"})

KIND_ATTRIBUTE_TYPES: dict[str, frozenset[str]] = {
    "ipv4": _IP_TYPES,
    "ipv6": _IP_TYPES,
    "domain": _DOMAIN_TYPES,
    "url": _URL_TYPES,
    "email": _EMAIL_TYPES,
    "md5": frozenset({"md5", "filename|md5", "x509-fingerprint-md5"}),
    "sha1": frozenset({"sha1", "filename|sha1", "x509-fingerprint-sha1"}),
    "sha256": frozenset({"sha256", "filename|sha256", "x509-fingerprint-sha256"}),
    "sha512": frozenset({"sha512", "filename|sha512"}),
    "cve": frozenset({"vulnerability"}),
    "btc": frozenset({"btc"}),
    "eth": frozenset({"eth"}),
    "phone": frozenset({"phone-number", "whois-registrant-phone"}),
}
"""Which MISP attribute types each Vaka kind stands for. A kind not listed here stands
for the MISP type of the same name."""

KINDS = frozenset(KIND_ATTRIBUTE_TYPES)

DEFAULT_EXCLUDED_LISTS = frozenset({"dynamic-dns", "disposable-email"})
"""Shipped lists (by directory name) left out unless asked for by ``names``."""

# Kinds whose canonical form is already lower-case: no folding before exact look-up.
_LOWER_KINDS = frozenset({"domain", "email", "md5", "sha1", "sha256", "sha512", "url"})
_PUBLIC_SUFFIX_LIST = "second-level-tlds"
_PHP_MODIFIERS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "x": re.VERBOSE,
                  "u": 0, "D": 0, "S": 0, "U": 0, "X": 0, "J": 0, "A": 0, "n": 0}
_URL_HOST = re.compile(r"(?:[a-z][a-z0-9+.-]*:)?//(?:[^/?#@]*@)?(\[[^\]/?#]*\]|[^/?#:]*)")

# Parts of a label in the string/hostname dictionary.
_EXACT, _HOST, _SUB = 0, 1, 2


def _read_json(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_bytes())
    return data


def shipped_lists_dir() -> Path:
    """The ``lists`` directory of the MISP warninglists shipped with pymispwarninglists."""
    import pymispwarninglists  # only needed to locate the data

    return Path(pymispwarninglists.__file__).parent / "data" / "misp-warninglists" / "lists"


@dataclass(frozen=True)
class ListInfo:
    """What one included list is: its MISP metadata and how many entries were indexed."""

    name: str
    key: str  # directory name of a shipped list ("public-dns-v4"), or the name
    type: str  # string, substring, hostname, cidr or regex
    description: str
    version: int
    matching_attributes: tuple[str, ...]
    entries: int


@dataclass
class _Spec:
    """One list to index: name, MISP type, MISP attribute types (None: all), entries."""

    name: str
    type: str
    attrs: frozenset[str] | None
    entries: list[str]

    def applies(self, kind: str) -> bool:
        if self.attrs is None:
            return True
        return not self.attrs.isdisjoint(KIND_ATTRIBUTE_TYPES.get(kind, (kind,)))


@dataclass
class _KindTable:
    """Everything one kind needs at match time, pre-filtered to the lists that apply."""

    exact: list[tuple[str, ...]]  # per label code: lists holding the key exactly
    first: list[tuple[str, ...]]  # per code: exact ∪ hostname (a domain value itself)
    host: list[tuple[str, ...]]  # per code: hostname lists (a URL's host, an e-mail domain)
    parent: list[tuple[str, ...]]  # per code: hostname ∪ subdomain-only (a parent domain)
    use_exact: bool
    use_host: bool
    cidr4: list[tuple[str, ...]]
    cidr6: list[tuple[str, ...]]
    use_cidr: bool
    substrings: list[tuple[str, re.Pattern[str]]]
    regexes: list[tuple[str, list[re.Pattern[str]]]]


def _fold_entry(entry: str) -> str:
    """Canonical form of a string-list entry: lower case, except a URL's path."""
    entry = entry.strip()
    scheme, sep, rest = entry.partition("://")
    if not sep:
        return entry.lower()
    cut = min((i for i in (rest.find("/"), rest.find("?"), rest.find("#")) if i >= 0),
              default=len(rest))
    return f"{scheme.lower()}://{rest[:cut].lower()}{rest[cut:]}"


def _fold_host(entry: str) -> str:
    """Canonical form of a hostname entry: no dots at the ends, lower case, punycode."""
    host = entry.strip().strip(".").lower()
    if host.startswith("*."):
        host = host[2:]
    if not host.isascii():
        with contextlib.suppress(UnicodeError):
            host = host.encode("idna").decode("ascii")
    return host


def _is_odd(entry: str) -> bool:
    """Whether an entry needs more than lower-casing to be canonical."""
    return (entry[:1] in ".* \t" or entry[-1:] in ". \t\r" or not entry.isascii()
            or not entry)


def _fold_all(entries: list[str], *, hostname: bool) -> list[str]:
    """``_fold_host`` (or ``_fold_entry``) of every entry, with per-entry Python work only
    when the list has entries that need more than lower-casing."""
    fold = _fold_host if hostname else _fold_entry
    joined = "\n".join(entries)
    if (joined.count("\n") != len(entries) - 1 or (not hostname and "://" in joined)
            or not joined.isascii()):
        return [fold(e) for e in entries]
    odd = (joined[:1] in ".* \t" or joined[-1:] in ". \t\r" or "\n." in joined
           or ".\n" in joined or "\n*" in joined or " " in joined or "\t" in joined
           or "\r" in joined or "\n\n" in joined)
    folded = list(map(str.lower, entries))
    if not odd:
        return folded
    if hostname:
        return [fold(e) if _is_odd(e) else e for e in folded]
    return [e.strip() if _is_odd(e) else e for e in folded]


class _Memo(dict):  # type: ignore[type-arg]
    """A dict that fills itself from a function: ``memo[x]`` is ``function(x)``."""

    def __init__(self, function: Any) -> None:
        super().__init__()
        self.function = function

    def __missing__(self, key: Any) -> Any:
        value = self[key] = self.function(key)
        return value


def _compile_php_regex(entry: str) -> re.Pattern[str] | None:
    """A PCRE pattern as MISP stores it (``/body/flags``) as a Python pattern, or None if
    PHP's ``preg_match`` or Python's ``re`` would reject it."""
    text = entry.strip()
    if len(text) < 2 or text[0].isalnum() or text[0] in "\\ ":
        return None
    closing = {"(": ")", "[": "]", "{": "}", "<": ">"}.get(text[0], text[0])
    end = text.rfind(closing)
    if end <= 0:
        return None
    flags = 0
    for modifier in text[end + 1:]:
        if modifier not in _PHP_MODIFIERS:
            return None
        flags |= _PHP_MODIFIERS[modifier]
    try:
        return re.compile(text[1:end], flags)
    except re.error:
        return None


def _trie_pattern(words: Iterable[str]) -> re.Pattern[str] | None:
    """One regex that finds any of ``words`` as a substring, shaped as a trie."""
    root: dict[str, Any] = {}
    for word in words:
        if not word:
            continue
        node = root
        for char in word:
            if node.get("") is True:
                break  # a shorter word already ends here: longer ones add nothing
            node = node.setdefault(char, {})
        else:
            node.clear()
            node[""] = True

    def render(node: dict[str, Any]) -> str:
        if node.get("") is True:
            return ""
        branches = [re.escape(char) + render(child) for char, child in sorted(node.items())]
        return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"

    return re.compile(render(root)) if root else None


def _ip_range(value: str) -> tuple[int, int, int] | None:
    """(family 4 or 6, first, last address as integers) of an address or network."""
    address, slash, prefix = value.partition("/")
    family = 6 if ":" in address else 4
    try:
        packed = socket.inet_pton(socket.AF_INET6 if family == 6 else socket.AF_INET, address)
    except (OSError, ValueError):
        return None
    number = int.from_bytes(packed, "big")
    if not slash:
        return family, number, number
    bits = 128 if family == 6 else 32
    if not (prefix.isascii() and prefix.isdigit()) or int(prefix) > bits:
        return None
    hostmask = (1 << (bits - int(prefix))) - 1
    first = number & ~hostmask
    return family, first, first | hostmask


def _merge(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, non-overlapping, non-adjacent ranges covering the same addresses."""
    merged: list[list[int]] = []
    for first, last in sorted(ranges):
        if merged and first <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], last)
        else:
            merged.append([first, last])
    return [(first, last) for first, last in merged]


class _Cidr:
    """Elementary intervals over all lists of one address family: ``bounds[i]`` is the
    first address of interval ``i``, ``codes[i]`` its label (the lists covering it)."""

    def __init__(self, per_spec: dict[int, list[tuple[int, int]]], family: int) -> None:
        events: list[tuple[int, int, int]] = []
        for spec_id, ranges in per_spec.items():
            for first, last in _merge(ranges):
                events.append((first, 1, spec_id))
                events.append((last + 1, 0, spec_id))
        events.sort()
        self.labels: list[tuple[int, ...]] = [()]
        interned: dict[tuple[int, ...], int] = {(): 0}
        bounds, codes = [0], [0]
        active: set[int] = set()
        i = 0
        while i < len(events):
            position = events[i][0]
            while i < len(events) and events[i][0] == position:
                _pos, start, spec_id = events[i]
                if start:
                    active.add(spec_id)
                else:
                    active.discard(spec_id)
                i += 1
            label = tuple(sorted(active))
            code = interned.get(label)
            if code is None:
                code = interned[label] = len(self.labels)
                self.labels.append(label)
            if bounds[-1] == position:
                codes[-1] = code
            elif codes[-1] != code:
                bounds.append(position)
                codes.append(code)
        self.bounds: list[int] | array[int]
        if family == 4:
            self.bounds = array("L", bounds)
        else:
            self.bounds = bounds
        self.codes = array("L", codes)

    def lookup(self, first: int, last: int) -> tuple[int, ...] | int:
        """The label code of an address, or the spec ids covering all of a range."""
        bounds = self.bounds
        i = bisect_right(bounds, first) - 1
        if first == last:
            return self.codes[i]
        j = bisect_right(bounds, last) - 1
        common = set(self.labels[self.codes[i]])
        for k in range(i + 1, j + 1):
            if not common:
                break
            common.intersection_update(self.labels[self.codes[k]])
        return tuple(sorted(common))


class _Index:
    """Indexes over a fixed set of lists. Read-only once built."""

    def __init__(self, specs: Iterable[_Spec],
                 public_suffixes: Callable[[], Iterable[str]] | None) -> None:
        """Index ``specs`` (consumed one at a time, their entries dropped once indexed,
        so that only one raw list is in memory at a time). ``public_suffixes``: where to
        get the suffixes that stop hostname matching; None for no boundary."""
        self.specs: list[_Spec] = []
        self.keys: dict[str, int] = {}
        self.labels: list[tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]] = []
        self.suffix_flags: list[bool] = []
        cidr: dict[int, dict[int, list[tuple[int, int]]]] = {4: {}, 6: {}}
        self.substrings: list[tuple[int, re.Pattern[str]]] = []
        self.regexes: list[tuple[int, list[re.Pattern[str]]]] = []
        self.indexed: list[int] = []
        self._interned: dict[tuple[Any, ...], int] = {}
        self._code(((), (), ()), False)  # code 0: nothing (never stored in ``keys``)
        for spec_id, spec in enumerate(specs):
            self.specs.append(spec)
            self.indexed.append(self._add(spec_id, spec, cidr))
            spec.entries = []
        self.bounded = public_suffixes is not None and any(
            s.type in ("hostname", "string") for s in self.specs)
        if self.bounded and public_suffixes is not None:
            self._add_public_suffixes(public_suffixes())
        del self._interned
        self.cidr4 = _Cidr(cidr[4], 4)
        self.cidr6 = _Cidr(cidr[6], 6)
        self.tables: dict[str, _KindTable] = {kind: self._table(kind) for kind in KINDS}
        self.empty = not self.keys and not self.substrings and not self.regexes and len(
            self.cidr4.labels) == 1 and len(self.cidr6.labels) == 1

    # -- building -------------------------------------------------------------------

    def _code(self, label: tuple[tuple[int, ...], ...], suffix: bool) -> int:
        key = (*label, suffix)
        code = self._interned.get(key)
        if code is None:
            code = self._interned[key] = len(self.labels)
            self.labels.append(label)  # type: ignore[arg-type]
            self.suffix_flags.append(suffix)
        return code

    def _put(self, new_keys: Iterable[str], part: int, spec_id: int) -> int:
        """Put one list's keys into ``part`` of their labels; returns how many keys.

        Done with ``filter``, ``map`` and ``dict.update`` so that C loops do the work: a
        million-entry list costs a fraction of a second.
        """
        keys, labels, flags = self.keys, self.labels, self.suffix_flags
        new_keys = new_keys if isinstance(new_keys, list) else list(new_keys)

        def moved(old: int) -> int:
            label = list(labels[old])
            if spec_id not in label[part]:
                label[part] = (*label[part], spec_id)
            return self._code(tuple(label), flags[old])

        known = list(filter(keys.__contains__, new_keys))
        old_codes = list(map(keys.__getitem__, known))
        keys.update(dict.fromkeys(new_keys, moved(0)))
        keys.update(zip(known, map(_Memo(moved).__getitem__, old_codes), strict=True))
        if keys.pop("", None) is not None:
            return len(new_keys) - new_keys.count("")
        return len(new_keys)

    def _add(self, spec_id: int, spec: _Spec,
             cidr: dict[int, dict[int, list[tuple[int, int]]]]) -> int:
        entries = spec.entries
        if spec.type in ("string", "hostname"):
            folded = _fold_all(entries, hostname=spec.type == "hostname")
            if spec.type == "hostname":
                return self._put(folded, _HOST, spec_id)
            subs = [k for k in folded if k[:1] == "."]
            if not subs:
                return self._put(folded, _EXACT, spec_id)
            exact = [k for k in folded if k[:1] != "."]
            return (self._put(exact, _EXACT, spec_id)
                    + self._put((k.lstrip(".") for k in subs), _SUB, spec_id))
        if spec.type == "cidr":
            count = 0
            for entry in entries:
                found = _ip_range(entry.strip())
                if found is None:
                    logger.warning("warninglist %r: not an IP network: %r", spec.name, entry)
                    continue
                family, first, last = found
                cidr[family].setdefault(spec_id, []).append((first, last))
                count += 1
            return count
        if spec.type == "substring":
            words = [e for e in (e.strip() for e in entries) if e]
            pattern = _trie_pattern(words)
            if pattern is not None:
                self.substrings.append((spec_id, pattern))
            return len(words)
        if spec.type == "regex":
            compiled = []
            for entry in entries:
                pattern = _compile_php_regex(entry)
                if pattern is None:
                    logger.debug("warninglist %r: pattern skipped (invalid in PCRE or Python): "
                                "%r", spec.name, entry)
                else:
                    compiled.append(pattern)
            if compiled:
                self.regexes.append((spec_id, compiled))
            return len(compiled)
        logger.warning("warninglist %r: unknown type %r skipped", spec.name, spec.type)
        return 0

    def _add_public_suffixes(self, suffixes: Iterable[str]) -> None:
        keys, labels = self.keys, self.labels
        moves: dict[int, int] = {}
        for suffix in suffixes:
            key = _fold_host(suffix)
            if not key:
                continue
            old = keys.get(key, 0)
            new = moves.get(old)
            if new is None:
                new = moves[old] = self._code(labels[old], True)
            keys[key] = new

    def _table(self, kind: str) -> _KindTable:
        applies = [spec.applies(kind) for spec in self.specs]
        names: dict[frozenset[int], tuple[str, ...]] = {}

        def named(*parts: tuple[int, ...]) -> tuple[str, ...]:
            ids = frozenset(i for part in parts for i in part if applies[i])
            found = names.get(ids)
            if found is None:
                found = names[ids] = tuple(sorted({self.specs[i].name for i in ids}))
            return found

        labels = self.labels
        exact = [named(label[_EXACT]) for label in labels]
        first = [named(label[_EXACT], label[_HOST]) for label in labels]
        host = [named(label[_HOST]) for label in labels]
        parent = [named(label[_HOST], label[_SUB]) for label in labels]
        cidr4 = [named(label) for label in self.cidr4.labels]
        cidr6 = [named(label) for label in self.cidr6.labels]
        return _KindTable(
            exact=exact, first=first, host=host, parent=parent,
            use_exact=any(exact), use_host=any(parent) or any(host),
            cidr4=cidr4, cidr6=cidr6, use_cidr=any(cidr4) or any(cidr6),
            substrings=[(self.specs[i].name, p) for i, p in self.substrings if applies[i]],
            regexes=[(self.specs[i].name, ps) for i, ps in self.regexes if applies[i]],
        )

    # -- matching -------------------------------------------------------------------

    def table(self, kind: str) -> _KindTable:
        table = self.tables.get(kind)
        if table is None:
            table = self.tables[kind] = self._table(kind)
        return table

    def _hosts(self, host: str, table: _KindTable, itself: list[tuple[str, ...]],
               hits: list[tuple[str, ...]]) -> None:
        """Hits of ``host`` (with ``itself`` names) and of its parent domains."""
        keys = self.keys
        code = keys.get(host)
        if code is not None and itself[code]:
            hits.append(itself[code])
        if not table.use_host:
            return
        parent, flags, bounded = table.parent, self.suffix_flags, self.bounded
        dot = host.find(".")
        while dot >= 0:
            following = host.find(".", dot + 1)
            if bounded and following < 0:
                return  # a single label is always a public suffix
            code = keys.get(host[dot + 1:])
            if code is not None:
                if bounded and flags[code]:
                    return
                if parent[code]:
                    hits.append(parent[code])
            dot = following

    def match(self, kind: str, value: str) -> list[str]:
        table = self.tables.get(kind) or self.table(kind)
        hits: list[tuple[str, ...]] = []
        if kind == "domain":
            if table.use_exact or table.use_host:
                self._hosts(value, table, table.first, hits)
        elif kind == "url":
            if table.use_exact:
                code = self.keys.get(value)
                if code is not None and table.exact[code]:
                    hits.append(table.exact[code])
            if table.use_host:
                found = _URL_HOST.match(value)
                if found:
                    host = found.group(1).strip("[]").rstrip(".").lower()
                    if host:
                        self._hosts(host, table, table.host, hits)
        elif kind == "email":
            if table.use_exact:
                code = self.keys.get(value)
                if code is not None and table.exact[code]:
                    hits.append(table.exact[code])
            if table.use_host:
                domain = value.rpartition("@")[2]
                if domain:
                    self._hosts(domain, table, table.host, hits)
        else:
            if table.use_cidr:
                found_range = _ip_range(value)
                if found_range is not None:
                    family, first, last = found_range
                    index, names = (self.cidr4, table.cidr4) if family == 4 else (
                        self.cidr6, table.cidr6)
                    found_code = index.lookup(first, last)
                    if isinstance(found_code, int):
                        if names[found_code]:
                            hits.append(names[found_code])
                    elif found_code:
                        spec_names = {self.specs[i].name for i in found_code
                                      if self.specs[i].applies(kind)}
                        hits.append(tuple(sorted(spec_names)))
            if table.use_exact:
                code = self.keys.get(value if kind in _LOWER_KINDS else value.lower())
                if code is not None and table.exact[code]:
                    hits.append(table.exact[code])
        for name, pattern in table.substrings:
            if pattern.search(value):
                hits.append((name,))
        for name, patterns in table.regexes:
            for pattern in patterns:
                if pattern.search(value):
                    hits.append((name,))
                    break
        if not hits:
            return []
        if len(hits) == 1:
            return list(hits[0])
        return sorted({name for names in hits for name in names})


class Warninglists:
    """The MISP warninglists, indexed for fast matching, plus admin-defined exclusions.

    Build once (loading all shipped lists takes a few seconds) and share; use
    ``default_warninglists()`` for the process-wide instance. Matching is thread-safe.

    ``names``: the lists to include, by MISP name ("List of RFC 1918 CIDR blocks") or
    directory name ("rfc1918"); ``None`` means every shipped list except
    ``DEFAULT_EXCLUDED_LISTS`` (or every list of ``lists``); an empty iterable means
    none (exclusions only, which builds instantly).
    ``exclusions``: admin entries, see ``add_exclusions``.
    ``lists``: instead of the shipped files, MISP warninglist dicts keyed by directory
    name (for lists fetched elsewhere, and tests).
    ``data_dir``: a ``lists`` directory laid out like the misp-warninglists repository.
    ``public_suffix_boundary``: stop hostname matching at public suffixes (see the module
    docstring); ``public_suffixes`` overrides the suffixes of ``second-level-tlds``.
    """

    def __init__(
        self,
        names: Iterable[str] | None = None,
        exclusions: Iterable[tuple[str, str, str]] = (),
        *,
        lists: Mapping[str, Mapping[str, Any]] | None = None,
        data_dir: Path | str | None = None,
        public_suffix_boundary: bool = True,
        public_suffixes: Iterable[str] | None = None,
    ) -> None:
        wanted = None if names is None else list(names)
        directory = Path(data_dir) if data_dir is not None else None
        self._info: dict[str, ListInfo] = {}
        infos: list[tuple[str, Mapping[str, Any]]] = []

        def specs() -> Iterator[_Spec]:
            for key, load in self._sources(wanted, lists, directory):
                data = load()
                infos.append((key, {k: v for k, v in data.items() if k != "list"}))
                yield _Spec(name=data["name"], type=data["type"],
                            attrs=frozenset(data["matching_attributes"])
                            if data.get("matching_attributes") else None,
                            entries=data.get("list") or [])

        def suffixes() -> Iterable[str]:
            if public_suffixes is not None:
                return public_suffixes
            return self._shipped_public_suffixes(lists, directory)

        self._base = _Index(specs(), suffixes if public_suffix_boundary else None)
        for (key, data), count in zip(infos, self._base.indexed, strict=True):
            self._info[data["name"]] = ListInfo(
                name=data["name"], key=key, type=data["type"],
                description=str(data.get("description", "")),
                version=int(data.get("version", 0)),
                matching_attributes=tuple(data.get("matching_attributes") or ()),
                entries=count)
        self._exclusions: list[tuple[str, str, str]] = []
        self._extra: _Index | None = None
        self._lock = threading.Lock()
        self.add_exclusions(exclusions)

    # -- loading --------------------------------------------------------------------

    @staticmethod
    def _sources(wanted: list[str] | None, lists: Mapping[str, Mapping[str, Any]] | None,
                 directory: Path | None) -> list[tuple[str, Callable[[], Mapping[str, Any]]]]:
        """(directory name, loader of the MISP list dict) of each list to include,
        sorted by directory name. Files are read by the loaders, one at a time, unless
        lists are chosen by MISP name, which needs every file read to resolve."""
        if wanted is not None and not wanted:
            return []
        if lists is not None:
            available: Mapping[str, Any] = lists
        else:
            root = directory or shipped_lists_dir()
            files = {p.parent.name: p for p in root.glob("*/list.json")}
            if not files:
                raise FileNotFoundError(f"no warninglists under {root}")
            if wanted is None:
                return [(k, partial(_read_json, files[k]))
                        for k in sorted(set(files) - DEFAULT_EXCLUDED_LISTS)]
            if set(wanted) <= set(files):
                return [(k, partial(_read_json, files[k])) for k in sorted(set(wanted))]
            available = {k: _read_json(path) for k, path in files.items()}
        if wanted is None:
            return [(k, partial(available.__getitem__, k)) for k in sorted(available)]
        by_name = {d["name"]: k for k, d in available.items()}
        chosen = {w if w in available else by_name.get(w, w) for w in wanted}
        unknown = sorted(k for k in chosen if k not in available)
        if unknown:
            raise ValueError(f"unknown warninglists: {', '.join(unknown)}")
        return [(k, partial(available.__getitem__, k)) for k in sorted(chosen)]

    @staticmethod
    def _shipped_public_suffixes(lists: Mapping[str, Mapping[str, Any]] | None,
                                 directory: Path | None) -> list[str]:
        if lists is not None and _PUBLIC_SUFFIX_LIST in lists:
            return list(lists[_PUBLIC_SUFFIX_LIST].get("list", ()))
        path = (directory or shipped_lists_dir()) / _PUBLIC_SUFFIX_LIST / "list.json"
        if not path.exists():
            logger.warning("no %s list: hostname matching has no public-suffix boundary "
                           "beyond top-level domains", _PUBLIC_SUFFIX_LIST)
            return []
        return list(_read_json(path)["list"])

    # -- admin exclusions -----------------------------------------------------------

    def add_exclusions(self, entries: Iterable[tuple[str, str, str]]) -> None:
        """Add admin-defined entries: ``(kind, value, name)``, matched as list ``name``.

        ``ipv4``/``ipv6``: an address or a network (host bits allowed), matched by
        containment. ``domain``: the domain and all its subdomains, for domain values,
        URL hosts and e-mail domains. Any other kind: the exact value, for that kind
        only. Entries that cannot be read (a bad network) are logged and skipped.
        """
        entries = [(str(k), str(v), str(n)) for k, v, n in entries]
        if not entries:
            return
        with self._lock:
            self._exclusions.extend(entries)
            grouped: dict[tuple[str, str, frozenset[str]], list[str]] = {}
            for kind, value, name in self._exclusions:
                value = value.strip()
                if kind in ("ipv4", "ipv6"):
                    if _ip_range(value) is None:
                        logger.warning("warninglist exclusion %r: not an IP address or "
                                       "network: %r", name, value)
                        continue
                    key = (name, "cidr", _IP_TYPES)
                elif kind == "domain":
                    key = (name, "hostname", _DOMAIN_TYPES | _URL_TYPES | _EMAIL_TYPES)
                else:
                    key = (name, "string", frozenset({kind}))
                    if kind not in _LOWER_KINDS and kind != "url":
                        value = value.lower()
                grouped.setdefault(key, []).append(value)
            specs = []
            for (name, list_type, attrs), values in grouped.items():
                if list_type == "string":
                    kind = next(iter(attrs))
                    attrs = KIND_ATTRIBUTE_TYPES.get(kind, attrs)
                specs.append(_Spec(name=name, type=list_type, attrs=attrs, entries=values))
            self._extra = _Index(specs, None)

    # -- matching -------------------------------------------------------------------

    def match(self, kind: str, value: str) -> list[str]:
        """Names of the lists ``value`` (canonical, of Vaka kind ``kind``) is on, sorted;
        an empty list when none. Values that do not parse simply match nothing."""
        found = self._base.match(kind, value) if not self._base.empty else []
        extra = self._extra
        if extra is not None:
            more = extra.match(kind, value)
            if more:
                return sorted(set(found).union(more))
        return found

    def match_many(self, items: Iterable[tuple[str, str]]) -> dict[tuple[str, str], list[str]]:
        """``match`` for many ``(kind, value)`` pairs at once, keyed by the pair."""
        results: dict[tuple[str, str], list[str]] = {}
        match = self.match
        for item in items:
            if item not in results:
                results[item] = match(item[0], item[1])
        return results

    @property
    def lists(self) -> dict[str, ListInfo]:
        """The shipped (or given) lists included, by name."""
        return dict(self._info)

    @property
    def exclusions(self) -> list[tuple[str, str, str]]:
        """The admin entries added so far."""
        return list(self._exclusions)


_default: Warninglists | None = None
_default_lock = threading.Lock()


def default_warninglists() -> Warninglists:
    """The process-wide ``Warninglists()`` (default lists, no exclusions), built on first
    use; safe to call from many threads at once."""
    global _default
    instance = _default
    if instance is None:
        with _default_lock:
            if _default is None:
                _default = Warninglists()
                # Millions of long-lived entries: keep them out of the garbage collector's
                # full scans (which otherwise slow every later allocation-heavy task,
                # such as a big ingest) and, in forked workers, out of copy-on-write.
                gc.freeze()
            instance = _default
    return instance
