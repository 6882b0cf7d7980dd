"""STIX 2.1 input: fast validation, simple-pattern parsing, STIX 2.0 upgrade, bundle reading.

Pure: no Django imports. ``stix2`` and ``stix2-patterns`` are imported on first use of the
library path (importing ``stix2`` alone takes ~0.2 s).

Validation
----------
:func:`validate` accepts an object when **all** of these hold, whichever path checks it:

1. ``stix2.parse(obj, allow_custom=True, version="2.1")`` accepts it, and for an indicator
   with ``pattern_type == "stix"`` so does ``stix2patterns`` with the STIX 2.1 grammar;
2. Vaka's house rules, which are STIX 2.1 "MUST"s that ``stix2`` does not enforce (or
   enforces only by silently coercing the value, which would leave the caller's dict
   wrong):

   * JSON types as the specification defines them: strings are strings (``stix2`` turns
     ``123`` into ``"123"``), integers are integers, not floats, strings or booleans,
     booleans are ``true``/``false``, lists are lists (``stix2`` wraps a lone string);
   * timestamps in the RFC 3339 form ``YYYY-MM-DDTHH:MM:SS[.ffffff]Z`` (``stix2`` also
     reads ``2024-1-5T1:2:3z``); at most 6 fractional digits, as ``stix2`` requires;
   * identifiers are ``<type>--<UUID>`` with the UUID in its canonical 8-4-4-4-12 hex form
     and the RFC 4122 variant (``stix2`` also reads braces, ``urn:uuid:`` or no hyphens);
     any UUID version, as in ``stix2`` and the specification's "SHOULD" (OpenCTI, for one,
     writes UUIDv5 ids for SDOs and relationships);
   * required even though ``stix2`` would fill them in: ``id`` on every object;
     ``spec_version``, ``created`` (and ``modified`` where the type has it) on SDOs, SROs,
     marking-definitions and other non-SCO objects; ``valid_from`` on indicators;
   * ``modified >= created``; ``confidence`` in 0–100;
   * hash values match their algorithm's format exactly (``stix2`` lets a trailing newline
     through);
   * unknown properties: see "Custom content" below;
   * a marking-definition using a TLP 1.0 or TLP 2.0 id, or the TLP 2.0 extension, is the
     published definition for that level (``stix2`` checks this for TLP 1.0 only).

Like ``stix2``, a property whose value is ``null`` or ``[]`` is treated as absent.

The fast path (:data:`FAST_TYPES`) checks these rules by hand for the common shapes and
hands anything it does not fully recognise to the library path, so both paths give the
same verdict (the tests check this on a corpus). Only the first problem found is reported;
the two paths may word it differently.

Custom content
--------------
Vaka validates with ``allow_custom=True`` but narrows what that allows:

* unknown top-level (and nested) properties of a known type must be custom properties
  named ``x_`` + ``[a-z0-9_]``, at most 250 characters (the STIX 2.1 naming rules); any
  other unknown property is rejected. An object that declares a
  ``toplevel-property-extension`` may carry extra top-level properties, as in ``stix2``;
* unknown object types are accepted when the type name is valid (3–250 characters of
  ``a-z0-9-``, starting with a letter) and the id is ``<type>--<UUID>``; their common
  properties (``created``, ``modified``, ``created_by_ref``, ``object_marking_refs``,
  ``labels``, ``confidence``, ``revoked``, ``lang``, ``external_references``,
  ``spec_version``) are checked when present, the rest is left to the caller;
* unknown hash algorithm names and ``extension-definition--…`` extensions are accepted, as
  in ``stix2``.
"""

from __future__ import annotations

import codecs
import functools
import json
import json.scanner
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any, BinaryIO, NamedTuple

import msgspec

from . import jsonlimits
from .errors import InputError, Problem
from .jsonlimits import MAX_DEPTH, TooDeep, check_depth
from .stix_markings import (
    TLP1_CREATED,
    TLP1_MARKING_IDS,
    TLP2_CREATED,
    TLP2_EXTENSION_ID,
    TLP2_MARKING_IDS,
)

FAST = "fast"
LIBRARY = "library"

# ---------------------------------------------------------------------------------------
# STIX patterns
# ---------------------------------------------------------------------------------------


class Comparison(NamedTuple):
    """One ``object_type:path = 'value'`` comparison of a STIX pattern.

    ``path`` joins the property path with dots; a step that is not made of ``A-Za-z0-9_-``
    keeps its STIX quotes (``hashes.SHA-256``, ``from_ref.value``, ``extensions.'a.b'``).
    ``value`` is the unescaped string constant.
    """

    object_type: str
    path: str
    value: str


# Keywords of the STIX 2.1 pattern grammar: never identifiers there.
_PATTERN_KEYWORDS = frozenset({
    "AND", "OR", "NOT", "FOLLOWEDBY", "LIKE", "MATCHES", "ISSUPERSET", "ISSUBSET", "EXISTS",
    "LAST", "IN", "START", "STOP", "SECONDS", "true", "false", "WITHIN", "REPEATS", "TIMES",
})
# The grammar's whitespace (its WS token); comments are not accepted here.
_PATTERN_WS = "[ \\t\\r\\n\\x0b\\x0c\\x85\\xa0\\u2028\\u2029]+"
_PATTERN_STRING = r"'[^'\\]*(?:\\['\\][^'\\]*)*'"
_PATTERN_TOKEN = re.compile(
    rf"{_PATTERN_WS}|({_PATTERN_STRING})|([A-Za-z_][A-Za-z0-9_-]*)|([\[\]():.=])"
)
_PATTERN_ESCAPE = re.compile(r"\\(['\\])")
_PATTERN_STEP = re.compile(rf"[A-Za-z_][A-Za-z0-9_]*|{_PATTERN_STRING}")
# One comparison as usually written, ``type:path = 'value'``, matched in one go, and the
# `` AND ``/`` OR `` between comparisons or observations; see _usual_comparisons.
_USUAL_COMPARISON = re.compile(
    rf"([A-Za-z_][A-Za-z0-9_-]*):((?:{_PATTERN_STEP.pattern})(?:\.(?:{_PATTERN_STEP.pattern}))*)"
    rf" ?= ?({_PATTERN_STRING})"
)
_USUAL_JOIN = re.compile(" (?:AND|OR) ")
_PLAIN_STEP = re.compile(r"[A-Za-z0-9_-]+")
_MAX_PATTERN_DEPTH = 32

# What stix2-patterns checks about hash values in patterns (its v21 object_validator):
# the last path step, upper-cased without "-" or "'", when any step is "hashes".
_PATTERN_HASHES = {
    name: re.compile(rf"[a-fA-F0-9]{{{size}}}")
    for name, size in {
        "MD5": 32, "RIPEMD160": 40, "SHA1": 40, "SHA224": 56, "SHA256": 64, "SHA384": 96,
        "SHA512": 128, "SHA3224": 56, "SHA3256": 64, "SHA3384": 96, "SHA3512": 128,
        "WHIRLPOOL": 128,
    }.items()
}
_PATTERN_HASHES["MD6"] = re.compile(r"[a-fA-F0-9]{32}|[a-fA-F0-9]{40}|[a-fA-F0-9]{56}|"
                                    r"[a-fA-F0-9]{64}|[a-fA-F0-9]{96}|[a-fA-F0-9]{128}")
_PATTERN_HASHES["SSDEEP"] = re.compile(r"[a-zA-Z0-9/+:.]{1,128}")


def _tokenize_pattern(pattern: str) -> list[tuple[str, str]] | None:
    """Split a pattern into (kind, text) tokens; None at anything outside the simple shapes.

    Kinds: ``str`` (a string constant, quotes included), ``id`` (an identifier), a keyword
    itself (``AND``, ``WITHIN`` …) or a punctuation character.
    """
    tokens: list[tuple[str, str]] = []
    match = _PATTERN_TOKEN.match
    pos, end = 0, len(pattern)
    while pos < end:
        found = match(pattern, pos)
        if found is None:
            return None
        pos = found.end()
        string, ident, punct = found.groups()
        if string is not None:
            tokens.append(("str", string))
        elif ident is not None:
            tokens.append((ident if ident in _PATTERN_KEYWORDS else "id", ident))
        elif punct is not None:
            tokens.append((punct, punct))
    return tokens


def _unquote(literal: str) -> str:
    """The text of a STIX string constant (``'a\\'b'`` → ``a'b``)."""
    inner = literal[1:-1]
    return _PATTERN_ESCAPE.sub(r"\1", inner) if "\\" in inner else inner


def _render_step(step: str) -> str:
    """A path step as written in :attr:`Comparison.path`."""
    if _PLAIN_STEP.fullmatch(step):
        return step
    return "'" + step.replace("\\", "\\\\").replace("'", "\\'") + "'"


class _PatternParser:
    """Recursive descent over the tokens of a simple pattern, collecting the comparisons.

    Accepted grammar (every string it accepts is a valid STIX 2.1 pattern)::

        observations := observation (("AND" | "OR") observation)*
        observation  := "[" comparisons "]" | "(" observations ")"
        comparisons  := comparison (("AND" | "OR") comparison)*
        comparison   := path "=" STRING | "(" comparisons ")"
        path         := TYPE ":" step ("." step)*      step := IDENT | STRING
    """

    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.depth = 0
        self.comparisons: list[tuple[str, tuple[str, ...], str]] = []

    def parse(self) -> bool:
        return self._observations() and self.pos == len(self.tokens)

    def _kind(self) -> str | None:
        return self.tokens[self.pos][0] if self.pos < len(self.tokens) else None

    def _take(self, kind: str) -> str | None:
        if self._kind() != kind:
            return None
        self.pos += 1
        return self.tokens[self.pos - 1][1]

    def _joined(self, item: Callable[[], bool]) -> bool:
        if not item():
            return False
        while self._kind() in ("AND", "OR"):
            self.pos += 1
            if not item():
                return False
        return True

    def _grouped(self, inner: Callable[[], bool]) -> bool:
        self.depth += 1
        ok = self.depth <= _MAX_PATTERN_DEPTH and inner() and self._take(")") is not None
        self.depth -= 1
        return ok

    def _observations(self) -> bool:
        return self._joined(self._observation)

    def _observation(self) -> bool:
        if self._take("["):
            return self._comparisons() and self._take("]") is not None
        return self._take("(") is not None and self._grouped(self._observations)

    def _comparisons(self) -> bool:
        return self._joined(self._comparison)

    def _comparison(self) -> bool:
        if self._take("("):
            return self._grouped(self._comparisons)
        object_type = self._take("id")
        if object_type is None or self._take(":") is None:
            return False
        steps = [self._step()]
        while self._take("."):
            steps.append(self._step())
        value = self._take("=") and self._take("str")
        if None in steps or not value:
            return False
        self.comparisons.append((object_type, tuple(steps), _unquote(value)))
        return True

    def _step(self) -> str | None:
        """A property name: an identifier without hyphens, or a quoted string."""
        ident = self._take("id")
        if ident is not None:
            return None if "-" in ident else ident
        string = self._take("str")
        return None if string is None else _unquote(string)


def _usual_comparisons(pattern: str) -> list[tuple[str, str, str]] | None:
    """(type, path text, string constant) per comparison of a pattern written the usual way.

    The usual way: ``[c AND c OR c] OR [c]`` with single spaces around ``AND``/``OR``, no
    parentheses. None for any other form (the general parser then tries).
    """
    found: list[tuple[str, str, str]] = []
    comparison, join = _USUAL_COMPARISON.match, _USUAL_JOIN.match
    pos, end = 0, len(pattern)
    while pattern.startswith("[", pos):
        pos += 1
        while (step := comparison(pattern, pos)) is not None:
            found.append(step.groups())
            pos = step.end()
            if (step := join(pattern, pos)) is None:
                break  # the observation should end here
            pos = step.end()
        else:
            return None  # no comparison after "[" or after AND/OR
        if not pattern.startswith("]", pos):
            return None
        pos += 1
        if pos == end:
            return found
        if (step := join(pattern, pos)) is None:
            return None
        pos = step.end()
    return None


_Facts = tuple[str, re.Pattern[str] | None]


@functools.lru_cache(maxsize=4096)
def _path_facts(steps: tuple[str, ...]) -> _Facts:
    """(path as written in Comparison, hash format stix2-patterns checks the value against)."""
    rendered = ".".join(map(_render_step, steps))
    if "hashes" not in steps:
        return rendered, None
    return rendered, _PATTERN_HASHES.get(steps[-1].upper().replace("-", "").replace("'", ""))


@functools.lru_cache(maxsize=4096)
def _usual_path_facts(path: str) -> _Facts | None:
    """_path_facts of a path text matched by _USUAL_COMPARISON; None if a step is a keyword."""
    words = _PATTERN_STEP.findall(path) if "'" in path else path.split(".")
    if not _PATTERN_KEYWORDS.isdisjoint(words):
        return None
    return _path_facts(tuple(_unquote(word) if word[0] == "'" else word for word in words))


def _comparisons(pattern: str) -> list[tuple[str, _Facts, str]] | None:
    """(type, path facts, value) of each comparison of a simple pattern; None if not one."""
    usual = _usual_comparisons(pattern)
    if usual is None:
        tokens = _tokenize_pattern(pattern)
        parser = _PatternParser(tokens) if tokens else None
        if parser is None or not parser.parse():
            return None
        return [(object_type, _path_facts(steps), value)
                for object_type, steps, value in parser.comparisons]
    result = []
    for object_type, path, literal in usual:
        facts = _usual_path_facts(path)
        if facts is None or object_type in _PATTERN_KEYWORDS:
            return None  # a keyword where a name should be: not a valid pattern
        result.append((object_type, facts, _unquote(literal)))
    return result


def parse_pattern(pattern: str) -> list[Comparison] | None:
    """The comparisons of a simple STIX 2.1 pattern, or None if it is not a simple one.

    Simple: observation expressions ``[...]`` joined by ``AND``/``OR`` (optionally in
    parentheses), each holding ``object-type:path = 'string'`` comparisons joined by
    ``AND``/``OR`` (optionally in parentheses). Paths are dotted steps, identifiers or
    quoted strings (``file:hashes.'SHA-256'``, ``email-message:from_ref.value``).

    None for everything else — other operators (``!=``, ``>``, ``LIKE``, ``MATCHES``,
    ``IN``, ``ISSUBSET`` …), ``NOT``, qualifiers (``WITHIN``, ``REPEATS``, ``START``/
    ``STOP``), ``FOLLOWEDBY``, non-string constants, list indexes, comments, malformed
    input — so the caller validates those with stix2-patterns. A pattern this function
    accepts is always accepted by stix2-patterns (including its hash-value check); the
    boolean structure (AND/OR) is not kept, only the comparisons in source order.
    """
    if not isinstance(pattern, str):
        return None
    comparisons = _comparisons(pattern)
    if not comparisons:
        return None
    result = []
    for object_type, (path, hash_format), value in comparisons:
        if hash_format is not None and hash_format.fullmatch(value) is None:
            return None  # stix2-patterns would (or might) reject this hash value
        result.append(Comparison(object_type, path, value))
    return result


# ---------------------------------------------------------------------------------------
# Shared value checks (both paths)
# ---------------------------------------------------------------------------------------

_UUID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}"
_ID = re.compile(rf"([a-z][a-z0-9]*(?:-[a-z0-9]+)*)--{_UUID}")
_TYPE_NAME = re.compile(r"[a-z][a-z0-9-]{2,249}")
_TIMESTAMP = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?Z"
)
_CUSTOM_PROPERTY = re.compile(r"x_[a-z0-9_]{1,248}")
_DICT_KEY = re.compile(r"[a-zA-Z0-9_-]{1,250}")

# stix2.hashes: algorithm (name upper-cased without "-") → value format, case-insensitive.
# Both paths use full matches, so a value with a trailing newline is refused.
_HASH_VALUES = {
    name: re.compile(regex, re.IGNORECASE)
    for name, regex in {
        "MD5": r"[a-f0-9]{32}",
        "MD6": r"[a-f0-9]{32}|[a-f0-9]{40}|[a-f0-9]{56}|[a-f0-9]{64}|[a-f0-9]{96}|[a-f0-9]{128}",
        "RIPEMD160": r"[a-f0-9]{40}",
        "SHA1": r"[a-f0-9]{40}",
        "SHA224": r"[a-f0-9]{56}",
        "SHA256": r"[a-f0-9]{64}",
        "SHA384": r"[a-f0-9]{96}",
        "SHA512": r"[a-f0-9]{128}",
        "SHA3224": r"[a-f0-9]{56}",
        "SHA3256": r"[a-f0-9]{64}",
        "SHA3384": r"[a-f0-9]{96}",
        "SHA3512": r"[a-f0-9]{128}",
        "SSDEEP": r"[a-z0-9/+:.]{1,128}",
        "WHIRLPOOL": r"[a-f0-9]{128}",
        "TLSH": r"[a-f0-9]{70}",
    }.items()
}

_NOT_RELATIONSHIP_ENDS = frozenset(
    {"bundle", "language-content", "marking-definition", "relationship", "sighting"}
)
_TLP1_BY_ID = {marking_id: colour for colour, marking_id in TLP1_MARKING_IDS.items()}
_TLP2_BY_ID = {marking_id: level for level, marking_id in TLP2_MARKING_IDS.items()}
_TLP1_MOMENT = datetime.fromisoformat(TLP1_CREATED)
_TLP2_MOMENT = datetime.fromisoformat(TLP2_CREATED)


class _Decline(Exception):
    """The fast path does not fully recognise this object: use the library path."""


def _invalid(field_name: str | None, message: str) -> InputError:
    return InputError(Problem(message, field=field_name))


def _absent(value: object) -> bool:
    """``null`` and ``[]`` count as absent (as in stix2)."""
    return value is None or (value.__class__ is list and not value)


def _check_str(value: object, where: str) -> None:
    if value.__class__ is not str:
        raise _invalid(where, "must be a string")


def _check_bool(value: object, where: str) -> None:
    if value is not True and value is not False:
        raise _invalid(where, "must be true or false")


def _check_int(value: object, where: str) -> None:
    if value.__class__ is not int:
        raise _invalid(where, "must be an integer")


def _check_number(value: object, where: str) -> None:
    if value.__class__ not in (int, float):
        raise _invalid(where, "must be a number")


def _check_dict(value: object, where: str) -> None:
    if value.__class__ is not dict:
        raise _invalid(where, "must be a JSON object")


def _check_confidence(value: object, where: str) -> None:
    if value.__class__ is not int or not 0 <= value <= 100:
        raise _invalid(where, "must be an integer from 0 to 100")


@functools.lru_cache(maxsize=8192)
def _moment(value: str) -> datetime | None:
    """The moment a STIX timestamp string names, or None unless it is in RFC 3339 Z form."""
    if _TIMESTAMP.fullmatch(value) is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:  # 2024-02-30, 24:00:00 …
        return None


def _timestamp(value: object, where: str) -> datetime:
    """The moment a STIX timestamp names; InputError unless it is RFC 3339 ``…Z`` form."""
    moment = _moment(value) if value.__class__ is str else None
    if moment is None:
        raise _invalid(where, f"must be a real UTC timestamp like 2024-01-31T12:00:00.000Z, "
                              f"not {value!r}")
    return moment


def _check_timestamp(value: object, where: str) -> None:
    _timestamp(value, where)


@functools.lru_cache(maxsize=8192)
def _id_type(value: str) -> str | None:
    """The type part of a ``<type>--<UUID>`` identifier, or None if it is not one."""
    found = _ID.fullmatch(value)
    return found.group(1) if found is not None and 3 <= len(found.group(1)) <= 250 else None


def _ref_type(value: object, where: str) -> str:
    """The type part of a ``<type>--<UUID>`` identifier; InputError if it is not one."""
    object_type = _id_type(value) if value.__class__ is str else None
    if object_type is None:
        raise _invalid(where, f"must be a STIX identifier <type>--<UUID>, not {value!r}")
    return object_type


def _check_id_of(object_type: str) -> Callable[[object, str], None]:
    """A check that the value is an identifier of ``object_type``."""

    def check(value: object, where: str) -> None:
        if _ref_type(value, where) != object_type:
            raise _invalid(where, f"must be an identifier of a {object_type}, not {value!r}")

    return check


def _check_ref_to(*types: str) -> Callable[[object, str], None]:
    """A check that the value references one of ``types``."""
    allowed = frozenset(types)

    def check(value: object, where: str) -> None:
        if _ref_type(value, where) not in allowed:
            raise _invalid(where, f"must reference a {' or '.join(sorted(allowed))}")

    return check


def _check_relationship_end(value: object, where: str) -> None:
    if _ref_type(value, where) in _NOT_RELATIONSHIP_ENDS:
        raise _invalid(where, f"a relationship cannot point to {value!r}")


def _list_of(item: Callable[[object, str], None]) -> Callable[[object, str], None]:
    """A check that the value is a list whose every item passes ``item``."""

    def check(value: object, where: str) -> None:
        if value.__class__ is not list:
            raise _invalid(where, "must be a list")
        for position, element in enumerate(value):
            item(element, f"{where}[{position}]")

    return check


def _check_custom_name(key: object, where: str | None) -> None:
    """An unknown property: only ``x_…`` custom properties are allowed."""
    if key.__class__ is not str or _CUSTOM_PROPERTY.fullmatch(key) is None:
        place = f"{where}.{key}" if where else str(key)
        raise _invalid(place, "unknown property (custom properties must be named x_…)")


def _check_hashes(value: object, where: str) -> None:
    """A STIX hashes dictionary: key format, string values, known algorithms' formats."""
    if value.__class__ is not dict:
        raise _invalid(where, "must be a JSON object of hash values")
    if not value:
        raise _invalid(where, "must not be empty")
    for name, digest in value.items():
        if name.__class__ is not str or _DICT_KEY.fullmatch(name) is None:
            raise _invalid(where, f"bad hash algorithm name {name!r}")
        if digest.__class__ is not str:
            raise _invalid(f"{where}.{name}", "must be a string")
        regex = _HASH_VALUES.get(name.replace("-", "").upper())
        if regex is not None and regex.fullmatch(digest) is None:
            raise _invalid(f"{where}.{name}", f"{digest!r} is not a valid {name} hash")


def _check_order(obj: Mapping, earlier: str, later: str, strict: bool) -> None:
    """``later`` is after (or, unless ``strict``, equal to) ``earlier`` when both are set."""
    first, second = obj.get(earlier), obj.get(later)
    if _absent(first) or _absent(second) or (first == second and not strict):
        return
    a, b = _timestamp(first, earlier), _timestamp(second, later)
    if b < a or (strict and b == a):
        word = "later than" if strict else "equal to or later than"
        raise _invalid(later, f"must be {word} {earlier}")


def _check_tlp_definition(obj: Mapping) -> None:
    """House rule: TLP marking ids and the TLP 2.0 extension are used only as published."""
    marking_id = obj.get("id")
    marking_id = marking_id.lower() if isinstance(marking_id, str) else marking_id
    extensions = obj.get("extensions")
    tlp2 = extensions.get(TLP2_EXTENSION_ID) if isinstance(extensions, dict) else None
    if marking_id in _TLP1_BY_ID and obj.get("definition_type") != "tlp":
        raise _invalid("id", "a TLP 1.0 marking id must carry the TLP 1.0 definition")
    if tlp2 is None and marking_id not in _TLP2_BY_ID:
        return
    level = tlp2.get("tlp_2_0") if isinstance(tlp2, dict) else None
    if _TLP2_BY_ID.get(marking_id) != level or level is None:
        raise _invalid("extensions", "a TLP 2.0 marking must be the published definition "
                                     "for its level (id and tlp_2_0 must agree)")
    if _timestamp(obj.get("created"), "created") != _TLP2_MOMENT:
        raise _invalid("created", f"a TLP 2.0 marking must have created {TLP2_CREATED}")


# ---------------------------------------------------------------------------------------
# Fast path
# ---------------------------------------------------------------------------------------

Check = Callable[[object, str], None]


@dataclass(frozen=True)
class _FastType:
    """How the fast path checks one object type."""

    checks: dict[str, Check]
    required: frozenset[str]
    decline_if_present: frozenset[str] = frozenset({"extensions", "granular_markings"})
    final: Callable[[dict], None] | None = None
    one_of: tuple[str, ...] = ()
    precheck: Callable[[dict], None] | None = None


def _skip(value: object, where: str) -> None:
    """``type`` is checked by the dispatch itself."""


def _decline(value: object, where: str) -> None:
    raise _Decline


def _nested_objects(checks: dict[str, Check], required: tuple[str, ...],
                    one_of: tuple[str, ...] = ()) -> Check:
    """A check for a list of embedded objects (external references, kill chain phases)."""

    def check_one(item: object, where: str) -> None:
        if item.__class__ is not dict:
            raise _invalid(where, "must be a JSON object")
        for key, value in item.items():
            check = checks.get(key)
            if check is None:
                _check_custom_name(key, where)
            elif not _absent(value):
                check(value, f"{where}.{key}")
        for name in required:
            if _absent(item.get(name)):
                raise _invalid(f"{where}.{name}", "is required")
        if one_of and all(_absent(item.get(name)) for name in one_of):
            raise _invalid(where, f"needs one of {', '.join(one_of)}")

    return _list_of(check_one)


_check_external_references = _nested_objects(
    {"source_name": _check_str, "description": _check_str, "url": _check_str,
     "external_id": _check_str, "hashes": _decline},
    required=("source_name",),
    one_of=("description", "external_id", "url"),
)
_check_kill_chain_phases = _nested_objects(
    {"kill_chain_name": _check_str, "phase_name": _check_str},
    required=("kill_chain_name", "phase_name"),
)
_check_strings = _list_of(_check_str)
_check_marking_refs = _list_of(_check_ref_to("marking-definition"))


def _check_spec_version(value: object, where: str) -> None:
    if value != "2.1":
        raise _invalid(where, f"must be '2.1', not {value!r} (upgrade STIX 2.0 with upgrade_20)")


def _sdo_checks(object_type: str) -> dict[str, Check]:
    """Checks for the common properties of SDOs and SROs."""
    return {
        "type": _skip,
        "spec_version": _check_spec_version,
        "id": _check_id_of(object_type),
        "created_by_ref": _check_ref_to("identity"),
        "created": _check_timestamp,
        "modified": _check_timestamp,
        "revoked": _check_bool,
        "labels": _check_strings,
        "confidence": _check_confidence,
        "lang": _check_str,
        "external_references": _check_external_references,
        "object_marking_refs": _check_marking_refs,
    }


def _sco_checks(object_type: str) -> dict[str, Check]:
    """Checks for the common properties of SCOs."""
    return {
        "type": _skip,
        "spec_version": _check_spec_version,
        "id": _check_id_of(object_type),
        "object_marking_refs": _check_marking_refs,
        "defanged": _check_bool,
    }


def _final_indicator(obj: dict) -> None:
    _check_order(obj, "created", "modified", strict=False)
    _check_order(obj, "valid_from", "valid_until", strict=True)
    if obj["pattern_type"] != "stix" or obj.get("pattern_version", "2.1") != "2.1":
        raise _Decline
    if parse_pattern(obj["pattern"]) is None:
        raise _Decline


def _final_relationship(obj: dict) -> None:
    _check_order(obj, "created", "modified", strict=False)
    _check_order(obj, "start_time", "stop_time", strict=True)


def _final_sdo(obj: dict) -> None:
    _check_order(obj, "created", "modified", strict=False)


def _precheck_marking(obj: dict) -> None:
    """Extensions other than the TLP 2.0 one (say, top-level ones) go to the library."""
    extensions = obj.get("extensions")
    if _absent(extensions):
        return
    if extensions.__class__ is not dict or list(extensions) != [TLP2_EXTENSION_ID]:
        raise _Decline
    if not isinstance(extensions[TLP2_EXTENSION_ID], dict) or \
            extensions[TLP2_EXTENSION_ID].get("extension_type") != "property-extension":
        raise _Decline


def _final_marking(obj: dict) -> None:
    """Only the published TLP 1.0 and TLP 2.0 definitions take the fast path."""
    marking_id = obj["id"]
    created = _timestamp(obj["created"], "created")
    extensions, definition = obj.get("extensions"), obj.get("definition")
    if not _absent(extensions):
        level = _TLP2_BY_ID.get(marking_id)
        expected = {TLP2_EXTENSION_ID: {"extension_type": "property-extension", "tlp_2_0": level}}
        canonical = (level is not None and extensions == expected and created == _TLP2_MOMENT
                     and _absent(definition) and _absent(obj.get("definition_type")))
    else:
        colour = _TLP1_BY_ID.get(marking_id)
        canonical = (colour is not None and obj.get("definition_type") == "tlp"
                     and definition == {"tlp": colour} and created == _TLP1_MOMENT)
    if not canonical:
        raise _Decline


_INDICATOR_CHECKS = {
    **_sdo_checks("indicator"),
    "name": _check_str, "description": _check_str, "indicator_types": _check_strings,
    "pattern": _check_str, "pattern_type": _check_str, "pattern_version": _check_str,
    "valid_from": _check_timestamp, "valid_until": _check_timestamp,
    "kill_chain_phases": _check_kill_chain_phases,
}
_IDENTITY_CHECKS = {
    **_sdo_checks("identity"),
    "name": _check_str, "description": _check_str, "roles": _check_strings,
    "identity_class": _check_str, "sectors": _check_strings, "contact_information": _check_str,
}
_RELATIONSHIP_CHECKS = {
    **_sdo_checks("relationship"),
    "relationship_type": _check_str, "description": _check_str,
    "source_ref": _check_relationship_end, "target_ref": _check_relationship_end,
    "start_time": _check_timestamp, "stop_time": _check_timestamp,
}
_MARKING_CHECKS = {
    "type": _skip, "spec_version": _check_spec_version,
    "id": _check_id_of("marking-definition"), "created_by_ref": _check_ref_to("identity"),
    "created": _check_timestamp, "definition_type": _check_str, "name": _check_str,
    "definition": _check_dict, "extensions": _check_dict,
    "external_references": _check_external_references,
    "object_marking_refs": _check_marking_refs,
}
def _check_size(value: object, where: str) -> None:
    if value.__class__ is not int or value < 0:
        raise _invalid(where, "must be a non-negative integer")


_ADDRESS_REFS = {
    "value": _check_str,
    "resolves_to_refs": _list_of(_check_ref_to("mac-addr")),
    "belongs_to_refs": _list_of(_check_ref_to("autonomous-system")),
}
_SDO_REQUIRED = frozenset({"id", "spec_version", "created", "modified"})
_SCO_REQUIRED = frozenset({"id", "value"})

_FAST: dict[str, _FastType] = {
    "indicator": _FastType(
        _INDICATOR_CHECKS, _SDO_REQUIRED | {"pattern", "pattern_type", "valid_from"},
        final=_final_indicator),
    "identity": _FastType(_IDENTITY_CHECKS, _SDO_REQUIRED | {"name"}, final=_final_sdo),
    "relationship": _FastType(
        _RELATIONSHIP_CHECKS, _SDO_REQUIRED | {"relationship_type", "source_ref", "target_ref"},
        final=_final_relationship),
    "marking-definition": _FastType(
        _MARKING_CHECKS, frozenset({"id", "spec_version", "created"}),
        decline_if_present=frozenset({"granular_markings"}), precheck=_precheck_marking,
        final=_final_marking),
    "ipv4-addr": _FastType({**_sco_checks("ipv4-addr"), **_ADDRESS_REFS}, _SCO_REQUIRED),
    "ipv6-addr": _FastType({**_sco_checks("ipv6-addr"), **_ADDRESS_REFS}, _SCO_REQUIRED),
    "domain-name": _FastType(
        {**_sco_checks("domain-name"), "value": _check_str,
         "resolves_to_refs": _list_of(_check_ref_to("ipv4-addr", "ipv6-addr", "domain-name"))},
        _SCO_REQUIRED),
    "url": _FastType({**_sco_checks("url"), "value": _check_str}, _SCO_REQUIRED),
    "email-addr": _FastType(
        {**_sco_checks("email-addr"), "value": _check_str, "display_name": _check_str,
         "belongs_to_ref": _check_ref_to("user-account")},
        _SCO_REQUIRED),
    "file": _FastType(
        {**_sco_checks("file"), "hashes": _check_hashes, "name": _check_str,
         "size": _check_size, "name_enc": _check_str,
         "mime_type": _check_str, "ctime": _check_timestamp, "mtime": _check_timestamp,
         "atime": _check_timestamp},
        frozenset({"id"}), one_of=("hashes", "name"),
        decline_if_present=frozenset({"extensions", "granular_markings", "magic_number_hex",
                                      "parent_directory_ref", "contains_refs", "content_ref"})),
}

#: Object types the fast path knows (it may still hand unusual shapes to the library).
FAST_TYPES = frozenset(_FAST)


def _missing(names: Iterable[str]) -> InputError:
    """The error for missing required properties, naming spec_version first (STIX 2.0)."""
    names = sorted(names, key=lambda name: (name not in ("id", "spec_version"), name))
    hint = " (STIX 2.0 objects must be upgraded with upgrade_20 first)" \
        if names[0] == "spec_version" else ""
    return _invalid(names[0], f"is a required property{hint}")


def _validate_fast(obj: dict, spec: _FastType) -> None:
    """Check ``obj`` by hand; InputError if invalid, _Decline if not fully recognised."""
    if not spec.decline_if_present.isdisjoint(obj):
        raise _Decline
    if spec.precheck is not None:
        spec.precheck(obj)
    checks, required = spec.checks, spec.required
    for key, value in obj.items():
        check = checks.get(key)
        if check is None:
            _check_custom_name(key, None)
        elif value is not None and (value.__class__ is not list or value):
            check(value, key)
        elif key in required:
            raise _missing([key])
    if not obj.keys() >= required:
        raise _missing(required - obj.keys())
    if spec.one_of and all(_absent(obj.get(name)) for name in spec.one_of):
        raise _invalid(None, f"needs at least one of {', '.join(spec.one_of)}")
    if spec.final is not None:
        spec.final(obj)


# ---------------------------------------------------------------------------------------
# Library path
# ---------------------------------------------------------------------------------------


@functools.cache
def _library() -> SimpleNamespace:
    """The stix2 / stix2-patterns pieces, imported on first use."""
    import stix2
    import stix2.base
    import stix2.properties
    import stix2.registry
    import stix2.v21.common
    from stix2patterns.validator import run_validator

    return SimpleNamespace(
        parse=stix2.parse, properties=stix2.properties, observable=stix2.base._Observable,
        class_for_type=stix2.registry.class_for_type,
        marking_property=stix2.v21.common.MarkingProperty,
        marking_classes=stix2.v21.common.OBJ_MAP_MARKING,
        common_properties=stix2.v21.Indicator._properties, run_validator=run_validator,
    )


def _strict_value(prop: Any, value: object, where: str) -> None:
    """House rule: the JSON type (and format) the specification gives a stix2 property."""
    lib = _library()
    p = lib.properties
    if isinstance(prop, p.ListProperty):
        if value.__class__ is not list:
            raise _invalid(where, "must be a list")
        for position, item in enumerate(value):
            _strict_item(prop.contained, item, f"{where}[{position}]")
    elif isinstance(prop, p.TimestampProperty):
        _timestamp(value, where)
    elif isinstance(prop, p.IDProperty):
        _check_id_of(prop.required_prefix[:-2])(value, where)
    elif isinstance(prop, p.ReferenceProperty):
        _ref_type(value, where)
    elif isinstance(prop, p.BooleanProperty):
        _check_bool(value, where)
    elif isinstance(prop, p.IntegerProperty):
        _check_int(value, where)
    elif isinstance(prop, p.FloatProperty):
        _check_number(value, where)
    elif isinstance(prop, p.HashesProperty):
        _check_hashes(value, where)
    elif isinstance(prop, p.DictionaryProperty | p.ObservableProperty | p.STIXObjectProperty
                    | lib.marking_property):
        _strict_dict(prop, value, where)
    elif isinstance(prop, p.EmbeddedObjectProperty):
        _strict_embedded(prop.type, value, where)
    elif isinstance(prop, p.StringProperty | p.HexProperty | p.BinaryProperty
                    | p.SelectorProperty | p.TypeProperty):
        _check_str(value, where)


def _strict_dict(prop: Any, value: object, where: str) -> None:
    _check_dict(value, where)
    if type(prop) is _library().properties.DictionaryProperty:
        for key in value:
            if key.__class__ is not str or _DICT_KEY.fullmatch(key) is None:
                raise _invalid(where, f"bad dictionary key {key!r}")


def _strict_item(contained: Any, item: object, where: str) -> None:
    if isinstance(contained, _library().properties.Property):
        _strict_value(contained, item, where)
    else:
        _strict_embedded(contained, item, where)


def _strict_embedded(cls: Any, value: object, where: str) -> None:
    _check_dict(value, where)
    _strict_properties(value, cls._properties, where, allow_extra=False)


def _strict_properties(obj: Mapping, props: Mapping[str, Any], where: str | None,
                       allow_extra: bool) -> None:
    """House rules for each property of ``obj``, known ones by their stix2 definition."""
    for key, value in obj.items():
        prop = props.get(key)
        place = f"{where}.{key}" if where else key
        if prop is None:
            if not allow_extra:
                _check_custom_name(key, where)
        elif not _absent(value):
            _strict_value(prop, value, place)


def _has_toplevel_extension(obj: Mapping) -> bool:
    extensions = obj.get("extensions")
    return isinstance(extensions, dict) and any(
        isinstance(ext, dict) and ext.get("extension_type") == "toplevel-property-extension"
        for ext in extensions.values()
    )


def _required_by_spec(cls: Any, object_type: str) -> tuple[str, ...]:
    """Properties the specification requires that stix2 would fill in by itself."""
    if issubclass(cls, _library().observable):
        return ("id",)
    required = ("id", "spec_version", "created")
    if "modified" in cls._properties:
        required += ("modified",)
    if object_type == "indicator":
        required += ("valid_from",)
    return required


def _house_rules_known(obj: dict, cls: Any) -> None:
    """House rules for a type stix2 knows."""
    object_type = obj["type"]
    props = cls._properties
    _strict_properties(obj, props, None, allow_extra=_has_toplevel_extension(obj))
    missing = [name for name in _required_by_spec(cls, object_type) if _absent(obj.get(name))]
    if missing:
        raise _missing(missing)
    if "confidence" in props and not _absent(obj.get("confidence")):
        _check_confidence(obj["confidence"], "confidence")
    if object_type == "marking-definition":
        _check_tlp_definition(obj)
        _strict_marking_definition(obj)


def _strict_marking_definition(obj: dict) -> None:
    """The ``definition`` of a TLP or statement marking is checked like an embedded object."""
    cls = _library().marking_classes.get(obj.get("definition_type"))
    definition = obj.get("definition")
    if cls is not None and isinstance(definition, dict):
        _strict_properties(definition, cls._properties, "definition", allow_extra=True)


def _house_rules_custom(obj: dict) -> None:
    """House rules for an object type stix2 does not know (a custom object)."""
    object_type = obj["type"]
    if _TYPE_NAME.fullmatch(object_type) is None:
        raise _invalid("type", f"{object_type!r} is not a valid STIX type name")
    if _absent(obj.get("id")):
        raise _invalid("id", "is a required property")
    _check_id_of(object_type)(obj["id"], "id")
    common = _library().common_properties
    for key in _CUSTOM_COMMON:
        if not _absent(obj.get(key)):
            _strict_value(common[key], obj[key], key)
    if not _absent(obj.get("spec_version")):
        _check_spec_version(obj["spec_version"], "spec_version")
    if not _absent(obj.get("confidence")):
        _check_confidence(obj["confidence"], "confidence")


_CUSTOM_COMMON = ("created_by_ref", "created", "modified", "revoked", "labels", "confidence",
                  "lang", "external_references", "object_marking_refs")


def _library_problem(exc: Exception) -> Problem:
    """A readable Problem from a stix2 exception, naming the property when stix2 does."""
    name = getattr(exc, "prop_name", None)
    names = getattr(exc, "properties", None)
    if name is None and names and len(names) == 1:
        name = next(iter(names))
    message = str(exc) or exc.__class__.__name__
    return Problem(f"STIX: {message}", field=name)


def _validate_library(obj: dict) -> None:
    """House rules, then ``stix2.parse`` and, for STIX patterns, stix2-patterns (2.1)."""
    lib = _library()
    object_type = obj["type"]
    cls = lib.class_for_type(object_type, "2.1", "objects") or lib.class_for_type(
        object_type, "2.1", "observables")
    if cls is None:
        _house_rules_custom(obj)
    else:
        _house_rules_known(obj, cls)
    try:
        lib.parse(obj, allow_custom=True, version="2.1")
    except Exception as exc:  # stix2 raises many kinds; all mean "invalid object"
        raise InputError(_library_problem(exc)) from exc
    _validate_pattern_21(obj)
    _check_order(obj, "created", "modified", strict=False)


def _validate_pattern_21(obj: dict) -> None:
    """stix2 checks a pattern against its ``pattern_version``; Vaka also requires STIX 2.1."""
    if obj["type"] != "indicator" or obj.get("pattern_type") != "stix":
        return
    if obj.get("pattern_version") in (None, "2.1"):
        return  # stix2.parse has already checked it with the 2.1 grammar
    try:
        errors = _library().run_validator(obj["pattern"], stix_version="2.1")
    except Exception as exc:  # stix2-patterns crashes on some inputs (e.g. "")
        errors = [f"{exc.__class__.__name__}: {exc}"]
    if errors:
        raise _invalid("pattern", f"not a valid STIX 2.1 pattern: {errors[0]}")


# ---------------------------------------------------------------------------------------
# validate
# ---------------------------------------------------------------------------------------


def validate(obj: dict, *, force_library: bool = False) -> str:
    """Validate one STIX 2.1 object; return ``"fast"`` or ``"library"`` (the path used).

    Raises InputError (one Problem, with ``field`` when known) if the object is invalid.
    ``force_library`` skips the fast path (for tests and benchmarks). See the module
    docstring for what is accepted.
    """
    if not isinstance(obj, dict):
        raise InputError(Problem(f"a STIX object must be a JSON object, not {_kind(obj)}"))
    object_type = obj.get("type")
    if not isinstance(object_type, str):
        raise _invalid("type", "is required and must be a string")
    if object_type == "bundle":
        raise _invalid("type", "a bundle cannot appear as a STIX object")
    spec = None if force_library else _FAST.get(object_type)
    if spec is not None:
        try:
            _validate_fast(obj, spec)
        except _Decline:
            pass
        else:
            return FAST
    _validate_library(obj)
    return LIBRARY


def _kind(value: object) -> str:
    return {list: "a list", str: "a string", int: "a number", float: "a number",
            bool: "a boolean", type(None): "null"}.get(type(value), type(value).__name__)


# ---------------------------------------------------------------------------------------
# STIX 2.0
# ---------------------------------------------------------------------------------------


def is_stix20_bundle(bundle: dict) -> bool:
    """True for a STIX 2.0 bundle (a bundle whose ``spec_version`` is ``"2.0"``).

    Works on a bundle or on the envelope dict that :func:`iter_bundle` and
    :func:`read_bundle` fill in. STIX 2.1 bundles have no ``spec_version``.
    """
    return (isinstance(bundle, dict) and bundle.get("type") == "bundle"
            and bundle.get("spec_version") == "2.0")


def upgrade_20(obj: dict) -> dict:
    """A STIX 2.1 copy of a STIX 2.0 object, where the conversion is mechanical.

    Adds ``spec_version: "2.1"``; gives an indicator without ``pattern_type`` the
    ``"stix"`` type (its ``labels`` stay; its pattern is later validated with the 2.1
    grammar). An object already marked 2.1 is returned as a copy. Raises InputError for
    what cannot be converted mechanically: observed-data with embedded ``objects`` (2.1
    needs top-level SCOs with their own ids) and malware without ``is_family`` (2.1
    requires it and 2.0 does not say whether it is a family).
    """
    if not isinstance(obj, dict) or not isinstance(obj.get("type"), str):
        raise InputError(Problem("a STIX object must be a JSON object with a type"))
    object_type, version = obj["type"], obj.get("spec_version")
    if object_type == "bundle":
        raise _invalid("type", "upgrade the bundle's objects one at a time")
    if version == "2.1":
        return dict(obj)
    if version not in (None, "2.0"):
        raise _invalid("spec_version", f"unknown STIX version {version!r}")
    if object_type == "observed-data" and not _absent(obj.get("objects")):
        raise _invalid("objects", "STIX 2.0 observed-data with embedded objects cannot be "
                                  "converted to 2.1 mechanically (2.1 needs top-level SCOs "
                                  "with ids, referenced by object_refs)")
    if object_type == "malware" and "is_family" not in obj:
        raise _invalid("is_family", "STIX 2.0 malware cannot be converted mechanically: 2.1 "
                                    "requires is_family and 2.0 does not say")
    upgraded = {**obj, "spec_version": "2.1"}
    if object_type == "indicator" and _absent(obj.get("pattern_type")):
        upgraded["pattern_type"] = "stix"
    return upgraded


# ---------------------------------------------------------------------------------------
# Bundles
# ---------------------------------------------------------------------------------------


def _check_envelope_member(key: str, value: object) -> None:
    if key == "type" and value is None:
        raise InputError(Problem("the top level must be a STIX bundle (it has no type)",
                                 field="type"))
    if key == "type" and value != "bundle":
        raise InputError(Problem(f"the top level must be a STIX bundle, not type {value!r}",
                                 field="type"))


def _checked_objects(objects: object) -> list[dict]:
    if not isinstance(objects, list):
        raise InputError(Problem("a bundle's objects must be a list", field="objects"))
    for index, item in enumerate(objects):
        if not isinstance(item, dict):
            raise InputError(Problem(f"a STIX object must be a JSON object, not {_kind(item)}",
                                     index=index))
    return objects


def read_bundle(data: bytes | str, envelope: dict | None = None) -> list[dict]:
    """The objects of a small STIX input held in memory (decoded with msgspec).

    Accepts a bundle (``{"type": "bundle", "objects": [...]}``; a bundle without
    ``objects`` is empty), a bare JSON list of objects, or a single STIX object (returned as
    a one-item list). A UTF-8 byte order mark is ignored. The bundle's other top-level
    members (``type``, ``id``, ``spec_version`` …) are copied into ``envelope`` when given;
    see :func:`is_stix20_bundle`. Raises InputError for malformed JSON (with the byte
    position msgspec reports), another top-level shape, or a non-object item (with its
    ``index``).
    """
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    try:
        document = jsonlimits.decode(raw.removeprefix(codecs.BOM_UTF8))
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise InputError(Problem(f"malformed JSON: {exc}")) from None
    except jsonlimits.TooDeep as exc:
        raise InputError(Problem(str(exc))) from None
    if isinstance(document, list):
        return _checked_objects(document)
    if not isinstance(document, dict) or not isinstance(document.get("type"), str):
        raise InputError(Problem("expected a STIX bundle, a list of STIX objects or one object"))
    if document["type"] != "bundle":
        return [document]
    if envelope is not None:
        envelope.update((k, v) for k, v in document.items() if k != "objects")
    objects = document.get("objects")
    return [] if objects is None else _checked_objects(objects)


def _finite_float(text: str) -> float:
    number = float(text)
    if math.isinf(number):
        raise ValueError(f"number out of range: {text}")
    return number


def _no_constant(text: str) -> float:
    raise ValueError(f"{text} is not valid JSON")


_JSON_WS = re.compile(r"[ \t\n\r]*")
_SCAN = json.scanner.make_scanner(  # the C scanner behind JSONDecoder.raw_decode
    json.JSONDecoder(parse_float=_finite_float, parse_constant=_no_constant)
)


class _JsonReader:
    """Reads JSON values one at a time from a binary stream, holding about one chunk.

    Uses the C scanner of the ``json`` module (what ``raw_decode`` calls) on a sliding text
    buffer. Measured (bench/stix_validate.py): about as fast as ijson's yajl2_c ``items()``
    (0.9×), which cannot see the bundle envelope in the same pass; fed through a Python
    generator that does, ijson is 3× slower than this.
    """

    CHUNK = 1 << 20  # bytes read at a time
    MAX_VALUE = 64 << 20  # characters one value may span before we give up

    def __init__(self, stream: BinaryIO) -> None:
        self._read = stream.read
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._buf = ""
        self._pos = 0
        self._base = 0  # byte offset of self._buf[0]
        self._bytes_read = 0
        self._eof = False
        self._started = False
        self.index: int | None = None  # the objects item being read, for error reports

    def _fill(self) -> bool:
        """Drop the consumed text, append the next chunk; False at the end of the stream."""
        if self._eof:
            return False
        data = self._read(self.CHUNK)
        pending = len(self._decoder.getstate()[0])
        try:
            text = self._decoder.decode(data, final=not data)
        except UnicodeDecodeError as exc:
            position = self._bytes_read - pending + exc.start
            raise self._error(f"invalid UTF-8 at byte {position}") from None
        if not self._started:
            self._started = True
            text = text.removeprefix("\ufeff")
        self._bytes_read += len(data)
        self._eof = not data
        if self._pos:
            self._base += len(self._buf[: self._pos].encode("utf-8", "surrogatepass"))
            self._buf = self._buf[self._pos:]
            self._pos = 0
        self._buf += text
        return True

    def _error(self, message: str) -> InputError:
        return InputError(Problem(message, index=self.index))

    def byte_position(self, pos: int) -> int:
        return self._base + len(self._buf[:pos].encode("utf-8", "surrogatepass"))

    def peek(self) -> str:
        """The next non-blank character (not consumed), or "" at the end of the stream."""
        while True:
            self._pos = _JSON_WS.match(self._buf, self._pos).end()
            if self._pos < len(self._buf):
                return self._buf[self._pos]
            if not self._fill():
                return ""

    def expect(self, char: str, what: str) -> None:
        """Consume ``char`` (after blanks) or raise InputError naming ``what`` was expected."""
        found = self.peek()
        if found != char:
            found = repr(found) if found else "the end of the input"
            position = self.byte_position(self._pos)
            raise self._error(f"malformed JSON at byte {position}: expected {what}, "
                              f"found {found}")
        self._pos += 1

    def value(self) -> Any:
        """Decode the next JSON value."""
        self.peek()
        while True:
            try:
                result, end = _SCAN(self._buf, self._pos)
            except StopIteration as stop:  # what raw_decode reports as "Expecting value"
                exc = json.JSONDecodeError("Expecting value", self._buf, stop.value)
                if self._truncated(exc) and self._fill():
                    continue
                raise self._malformed(exc) from None
            except json.JSONDecodeError as exc:
                if self._truncated(exc) and self._fill():
                    continue
                raise self._malformed(exc) from None
            except RecursionError:
                raise self._error(str(TooDeep())) from None
            except ValueError as exc:
                raise self._error(f"bad JSON value: {exc}") from None
            if end == len(self._buf) and self._fill():
                continue  # a number at the very end of the buffer may go on
            start, self._pos = self._pos, end
            self._check_surrogates(result, start, end)
            return result

    def _malformed(self, exc: json.JSONDecodeError) -> InputError:
        position = self.byte_position(exc.pos)
        return self._error(f"malformed JSON at byte {position}: {exc.msg}")

    def _truncated(self, exc: json.JSONDecodeError) -> bool:
        """Could more input turn this error into a value? (Then read on, within limits.)"""
        if len(self._buf) - self._pos > self.MAX_VALUE:
            raise self._error(f"a JSON value is larger than {self.MAX_VALUE} characters")
        near_end = exc.pos >= len(self._buf) - 16
        return near_end or exc.msg.startswith("Unterminated string")

    def _check_surrogates(self, value: Any, start: int, end: int) -> None:
        """Refuse ``\\ud800``-style lone surrogates, as msgspec (read_bundle) does."""
        if self._buf.find("\\u", start, end) == -1:
            return
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise self._error("a JSON string holds a lone UTF-16 surrogate") from None

    def items(self) -> Iterator[Any]:
        """The values of the JSON array whose ``[`` has just been read, then its ``]``.

        The loop decodes in place while a value lies wholly inside the buffer; anything
        else (the buffer's end, an error, a ``\\u`` escape) goes through :meth:`value`.
        """
        scan, blank = _SCAN, _JSON_WS.match
        self.index = 0
        if self.take("]"):
            self.index = None
            return
        while True:
            buf = self._buf
            pos = blank(buf, self._pos).end()
            try:
                item, end = scan(buf, pos)
            except (StopIteration, ValueError, RecursionError):
                end = len(buf)
            if end < len(buf) and buf.find("\\u", pos, end) == -1:
                self._pos = end
            else:
                self._pos = pos
                item = self.value()
            yield item
            self.index += 1
            pos = blank(self._buf, self._pos).end()
            if self._buf.startswith(",", pos):
                self._pos = pos + 1
            elif not self.take(","):
                break
        self.expect("]", "',' or ']' after an object")
        self.index = None

    def take(self, char: str) -> bool:
        """Consume ``char`` if it is the next non-blank character."""
        if self.peek() == char:
            self._pos += 1
            return True
        return False

    def at_end(self) -> bool:
        return self.peek() == ""


def iter_bundle(stream: BinaryIO, envelope: dict | None = None) -> Iterator[tuple[int, dict]]:
    """Stream a STIX bundle from a binary file: yield ``(index, object)`` per object.

    Holds about one 1 MiB chunk plus the current object in memory, whatever the bundle's
    size. The top level must be a JSON object with ``"type": "bundle"``; its members other
    than ``objects`` are stored into ``envelope`` (when given) as they are read, so
    :func:`is_stix20_bundle` works on it once ``spec_version`` has been read (producers put
    it before ``objects``). A ``type`` other than ``"bundle"`` raises as soon as it is read;
    if it follows the objects, that is after they have been yielded — treat the import as
    one unit. Raises InputError for malformed JSON (with the byte position and the index of
    the object being read), a non-object item (with its ``index``), a missing or duplicate
    ``objects`` list, or data after the bundle. A UTF-8 byte order mark is ignored.
    """
    reader = _JsonReader(stream)
    meta: dict = {} if envelope is None else envelope
    reader.expect("{", "a JSON object (a STIX bundle) at the top level")
    seen_objects, first = False, True
    while reader.peek() != "}":
        if not first:
            reader.expect(",", "',' or '}'")
        first = False
        if reader.peek() != '"':
            reader.expect('"', "a member name")
        key = reader.value()
        reader.expect(":", "':'")
        if key == "objects":
            if seen_objects:
                raise InputError(Problem("the bundle has two objects lists", field="objects"))
            seen_objects = True
            yield from _iter_objects(reader)
        else:
            meta[key] = reader.value()
            try:
                check_depth(meta[key], MAX_DEPTH - 1)
            except TooDeep:
                raise InputError(Problem(str(TooDeep()), field=str(key))) from None
            _check_envelope_member(key, meta[key])
    reader.expect("}", "'}'")
    if not reader.at_end():
        raise InputError(Problem("unexpected data after the bundle"))
    _check_envelope_member("type", meta.get("type"))


def _iter_objects(reader: _JsonReader) -> Iterator[tuple[int, dict]]:
    """The items of the bundle's ``objects`` array."""
    reader.expect("[", "the objects list")
    for index, item in enumerate(reader.items()):
        if item.__class__ is not dict:
            raise InputError(Problem(f"a STIX object must be a JSON object, not {_kind(item)}",
                                     index=index))
        try:
            check_depth(item, MAX_DEPTH - 2)  # as deep as in a bundle read whole
        except TooDeep:
            raise InputError(Problem(str(TooDeep()), index=index)) from None
        yield index, item
