"""How deeply JSON may nest, for every JSON input Vaka reads (API bodies, TAXII and sync
requests, STIX and MISP files).

Python's decoders recurse once per level: 100,000 nested ``[`` is a RecursionError, and a
few hundred levels that do decode can still exhaust the stack later (serialising, storing,
rendering). No STIX object, MISP event or API body nests anywhere near ``MAX_DEPTH``.

Measured on an 83 MB bundle of 200,000 indicators: msgspec decodes it in 1.7 s; counting
its brackets (the test that skips the walk for small inputs) takes 0.12 s and the walk
0.65 s, so large files check depth per object (:func:`check_depth`) as they stream.
"""

import json
from typing import Any

import msgspec

MAX_DEPTH = 100


class TooDeep(ValueError):
    """JSON nested more than the limit. A ValueError, as other malformed JSON is."""

    def __init__(self, limit: int = MAX_DEPTH) -> None:
        super().__init__(f"JSON nested more than {limit} levels deep")


def check_depth(value: Any, limit: int = MAX_DEPTH) -> None:
    """Raise TooDeep if ``value`` (decoded JSON) nests lists and objects deeper than
    ``limit``; a scalar is depth 0, ``[]`` depth 1. Iterative: any depth is safe to check."""
    stack = [(value, 1)]
    pop, push = stack.pop, stack.append
    while stack:
        node, depth = pop()
        kind = node.__class__
        if kind is not dict and kind is not list:
            continue
        if depth > limit:
            raise TooDeep(limit)
        for child in (node.values() if kind is dict else node):
            if child.__class__ is dict or child.__class__ is list:
                push((child, depth + 1))


def _may_exceed(data: bytes | str, limit: int) -> bool:
    """False when there are too few brackets at all to nest deeper than ``limit``."""
    if isinstance(data, str):
        return data.count("[") + data.count("{") > limit
    return data.count(b"[") + data.count(b"{") > limit


def decode(data: bytes | str, limit: int = MAX_DEPTH) -> Any:
    """JSON decoded with msgspec, no deeper than ``limit``. Raises ``msgspec.DecodeError``
    for malformed JSON and TooDeep for JSON nested too deeply."""
    try:
        value = msgspec.json.decode(data)
    except RecursionError:
        raise TooDeep(limit) from None
    if _may_exceed(data, limit):
        check_depth(value, limit)
    return value


def loads(data: bytes | str, limit: int = MAX_DEPTH, **options: Any) -> Any:
    """``json.loads`` (with its ``options``), no deeper than ``limit``. Raises ValueError
    (``json.JSONDecodeError`` or TooDeep) for anything that is not such JSON."""
    try:
        value = json.loads(data, **options)
    except RecursionError:
        raise TooDeep(limit) from None
    if _may_exceed(data, limit):
        check_depth(value, limit)
    return value
