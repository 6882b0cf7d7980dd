"""Observable kinds, their canonical forms, refanging and STIX property paths.

Everything that stores, compares or looks up an indicator goes through :func:`canonical`, so
two spellings of the same observable (``EVIL.com.`` and ``evil.com``, ``10.1.2.3/8`` and
``10.0.0.0/8``) meet in the same row. Pure Python: no Django, no network. The public-suffix
list comes from the ``publicsuffixlist`` package, which ships it as a data file; it is never
fetched.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections.abc import Callable
from functools import cache, lru_cache

from publicsuffixlist import PublicSuffixList

IPV4 = "ipv4"
IPV6 = "ipv6"
DOMAIN = "domain"
URL = "url"
EMAIL = "email"
MD5 = "md5"
SHA1 = "sha1"
SHA256 = "sha256"
SHA512 = "sha512"
CVE = "cve"
BTC = "btc"
ETH = "eth"
PHONE = "phone"

KINDS: tuple[str, ...] = (
    IPV4,
    IPV6,
    DOMAIN,
    URL,
    EMAIL,
    MD5,
    SHA1,
    SHA256,
    SHA512,
    CVE,
    BTC,
    ETH,
    PHONE,
)

# Hex digest length → kind; also used by the extractor to classify a hex run by its length.
HASH_KINDS_BY_LENGTH: dict[int, str] = {32: MD5, 40: SHA1, 64: SHA256, 128: SHA512}
_HASH_LENGTHS: dict[str, int] = {kind: n for n, kind in HASH_KINDS_BY_LENGTH.items()}

# Ports that a URL implies when it names none; dropping them makes `http://x:80/` == `http://x/`.
DEFAULT_PORTS: dict[str, int] = {"http": 80, "https": 443, "ftp": 21, "ws": 80, "wss": 443}


# --------------------------------------------------------------------------------------------
# Domains
# --------------------------------------------------------------------------------------------

_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


@cache
def _psl() -> PublicSuffixList:
    # accept_unknown=False: a made-up TLD (`.local`, `.exe`) must not count as public.
    # Loaded on first use (≈50 ms) so importing this module stays cheap.
    return PublicSuffixList(accept_unknown=False)


@lru_cache(maxsize=4096)  # bounded: the extractor asks about every word after a dot
def is_tld(label: str) -> bool:
    """Whether ``label`` (lower-case ASCII/punycode) is a top-level domain on the public list."""
    return bool(label) and _psl().is_public(label)


def _to_ascii(value: str) -> str:
    # The stdlib codec (IDNA 2003, with nameprep) also splits on the ideographic full stop.
    try:
        return value.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise ValueError(f"cannot IDNA-encode domain {value!r}: {exc}") from None


def _check_label(label: str) -> None:
    if not _LABEL.fullmatch(label):
        raise ValueError(f"invalid domain label {label!r}")
    if label.startswith("xn--"):
        # A punycode label that does not decode would never resolve; reject it here.
        try:
            label.encode("ascii").decode("idna")
        except UnicodeError:
            raise ValueError(f"invalid punycode label {label!r}") from None


def _canonical_domain(value: str) -> str:
    name = value.strip()
    if name.endswith("."):
        name = name[:-1]  # the absolute form `example.com.` names the same domain
    if not name:
        raise ValueError("empty domain")
    name = name.lower() if name.isascii() else _to_ascii(name).lower()
    if len(name) > 253:
        raise ValueError("domain longer than 253 characters")
    labels = name.split(".")
    if len(labels) < 2:
        raise ValueError(f"domain {name!r} needs at least two labels")
    for label in labels:
        _check_label(label)
    if not is_tld(labels[-1]):
        raise ValueError(f"{labels[-1]!r} is not a public top-level domain")
    return name


# --------------------------------------------------------------------------------------------
# IP addresses
# --------------------------------------------------------------------------------------------


def _ip_text(addr: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    # IPv6 in compressed form. IPv4-mapped addresses are spelt `::ffff:a.b.c.d` explicitly:
    # `str()` of them changed in Python 3.13, and stored canonical values must not.
    mapped = getattr(addr, "ipv4_mapped", None)
    return f"::ffff:{mapped}" if mapped else str(addr)


def _canonical_ip(value: str, version: int, allow_network: bool = True) -> str:
    text = value.strip()
    if "%" in text:
        raise ValueError("scoped IPv6 addresses (with %zone) are not observables")
    try:
        if "/" in text:
            if not allow_network:
                raise ValueError("a network is not allowed here")
            net = ipaddress.ip_network(text, strict=False)
            if net.version != version:
                raise ValueError(f"not an IPv{version} network")
            # A single-host network is just the address; store it the same way.
            if net.prefixlen == net.max_prefixlen:
                return _ip_text(net.network_address)
            return f"{_ip_text(net.network_address)}/{net.prefixlen}"
        addr = ipaddress.ip_address(text)
    except ValueError as exc:
        raise ValueError(f"invalid IPv{version} value {text!r}: {exc}") from None
    if addr.version != version:
        raise ValueError(f"{text!r} is not an IPv{version} address")
    return _ip_text(addr)


# --------------------------------------------------------------------------------------------
# E-mail and URL
# --------------------------------------------------------------------------------------------

_LOCAL_PART = re.compile(r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*")


def _canonical_email(value: str) -> str:
    text = value.strip()
    local, at, domain = text.rpartition("@")
    if not at or not local:
        raise ValueError(f"{text!r} is not an e-mail address")
    local = local.lower()
    if len(local) > 64 or not _LOCAL_PART.fullmatch(local):
        raise ValueError(f"invalid e-mail local part {local!r}")
    return f"{local}@{_canonical_domain(domain)}"


_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*")
_PERCENT = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_HOST_END = re.compile(r"[/?#]")
_URL_FORBIDDEN = re.compile(r"[\s\x00-\x1f\x7f]")
_IPV4_SHAPE = re.compile(r"[0-9.]+")


def _normalise_percent(part: str) -> str:
    # RFC 3986 §6.2.2.2: decode escapes of unreserved characters, upper-case the rest.
    def fix(m: re.Match[str]) -> str:
        char = chr(int(m.group(1), 16))
        return char if char in _UNRESERVED else "%" + m.group(1).upper()

    return _PERCENT.sub(fix, part) if "%" in part else part


def _canonical_host(host: str) -> str:
    if host.startswith("["):
        if not host.endswith("]"):
            raise ValueError(f"unterminated IPv6 literal {host!r}")
        return "[" + _canonical_ip(host[1:-1], 6, allow_network=False) + "]"
    if _IPV4_SHAPE.fullmatch(host):
        return _canonical_ip(host, 4, allow_network=False)
    return _canonical_domain(host)


def _split_host_port(hostport: str) -> tuple[str, str]:
    if hostport.startswith("["):
        close = hostport.find("]")
        if close < 0:
            raise ValueError(f"unterminated IPv6 literal in {hostport!r}")
        host, rest = hostport[: close + 1], hostport[close + 1 :]
        if rest and not rest.startswith(":"):
            raise ValueError(f"junk after IPv6 literal in {hostport!r}")
        return host, rest[1:]
    host, _, port = hostport.partition(":")
    if ":" in port:
        raise ValueError(f"IPv6 host must be in brackets: {hostport!r}")
    return host, port


def _canonical_port(scheme: str, port: str) -> str:
    if not port:
        return ""  # `host:` with an empty port means the default port
    if not port.isascii() or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"invalid port {port!r}")
    number = int(port)
    return "" if DEFAULT_PORTS.get(scheme) == number else f":{number}"


def _canonical_url(value: str) -> str:
    text = value.strip()
    if _URL_FORBIDDEN.search(text):
        raise ValueError("URL contains whitespace or control characters")
    scheme, sep, rest = text.partition("://")
    scheme = scheme.lower()
    if not sep or not _SCHEME.fullmatch(scheme):
        raise ValueError(f"{text!r} is not a URL with scheme://host")
    end = _HOST_END.search(rest)
    authority, tail = (rest[: end.start()], rest[end.start() :]) if end else (rest, "")
    userinfo, at, hostport = authority.rpartition("@")
    host, port = _split_host_port(hostport)
    if not host:
        raise ValueError(f"URL {text!r} has no host")
    tail = tail.partition("#")[0]  # the fragment never reaches the server
    path, question, query = tail.partition("?")
    netloc = f"{userinfo}{at}{_canonical_host(host)}{_canonical_port(scheme, port)}"
    path = _normalise_percent(path) or "/"
    return f"{scheme}://{netloc}{path}{question}{_normalise_percent(query)}"


# --------------------------------------------------------------------------------------------
# Hashes, CVE, phone, Ethereum
# --------------------------------------------------------------------------------------------

_HEX = re.compile(r"[0-9a-f]+")
_CVE = re.compile(r"CVE-(\d{4})-(\d{4,19})")
_PHONE_SEPARATORS = re.compile(r"[\s().-]")
_ETH = re.compile(r"0x[0-9a-f]{40}")


def _canonical_hash(kind: str, value: str) -> str:
    text = value.strip().lower()
    if len(text) != _HASH_LENGTHS[kind] or not _HEX.fullmatch(text):
        raise ValueError(f"{kind} must be {_HASH_LENGTHS[kind]} hexadecimal digits")
    return text


def _canonical_cve(value: str) -> str:
    text = value.strip().upper()
    m = _CVE.fullmatch(text)
    # CVE numbering started in 1999; a far-future year is a typo, not an identifier.
    if not m or not 1999 <= int(m.group(1)) <= 2099:
        raise ValueError(f"{value!r} is not a CVE identifier (CVE-YYYY-NNNN)")
    return text


def _canonical_phone(value: str) -> str:
    text = _PHONE_SEPARATORS.sub("", value)
    digits = text[1:]
    if not text.startswith("+") or not digits.isascii() or not digits.isdigit():
        raise ValueError(f"{value!r} is not an E.164 number (+ and digits)")
    if not 8 <= len(digits) <= 15 or digits[0] == "0":
        raise ValueError(f"{value!r}: E.164 needs 8–15 digits and no leading 0")
    return "+" + digits


def _canonical_eth(value: str) -> str:
    text = value.strip().lower()
    if not _ETH.fullmatch(text):
        raise ValueError(f"{value!r} is not an Ethereum address (0x + 40 hex digits)")
    return text


# --------------------------------------------------------------------------------------------
# Bitcoin: base58check (P2PKH/P2SH) and bech32/bech32m (SegWit, BIP 173/350)
# --------------------------------------------------------------------------------------------

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58)}
_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32_INDEX = {c: i for i, c in enumerate(_BECH32)}
_BECH32_CONST, _BECH32M_CONST = 1, 0x2BC830A3
_BECH32_GEN = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)


def _base58check_ok(text: str) -> bool:
    if not 26 <= len(text) <= 35 or text[0] not in "13":
        return False
    number = 0
    for char in text:
        digit = _B58_INDEX.get(char)
        if digit is None:
            return False
        number = number * 58 + digit
    zeros = len(text) - len(text.lstrip("1"))  # each leading '1' is a leading zero byte
    raw = b"\0" * zeros + number.to_bytes((number.bit_length() + 7) // 8, "big")
    if len(raw) != 25 or raw[0] not in (0x00, 0x05):  # mainnet P2PKH / P2SH only
        return False
    return hashlib.sha256(hashlib.sha256(raw[:21]).digest()).digest()[:4] == raw[21:]


def _bech32_polymod(values: list[int]) -> int:
    chk = 1
    for value in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ value
        for i, gen in enumerate(_BECH32_GEN):
            if (top >> i) & 1:
                chk ^= gen
    return chk


def _five_to_eight_bits(data: list[int]) -> list[int] | None:
    acc = bits = 0
    out: list[int] = []
    for value in data:
        acc = (acc << 5) | value
        bits += 5
        while bits >= 8:
            bits -= 8
            out.append((acc >> bits) & 0xFF)
    # Leftover bits are padding: fewer than 5 and all zero, or the encoding is not canonical.
    if bits >= 5 or (acc << (8 - bits)) & 0xFF:
        return None
    return out


def _segwit_ok(text: str) -> bool:
    if not 14 <= len(text) <= 74 or not text.startswith("bc1"):
        return False
    data = [_BECH32_INDEX.get(c, -1) for c in text[3:]]
    if min(data) < 0 or len(data) < 7:
        return False
    hrp = [ord(c) >> 5 for c in "bc"] + [0] + [ord(c) & 31 for c in "bc"]
    const = _bech32_polymod(hrp + data)
    version, program = data[0], _five_to_eight_bits(data[1:-6])
    if version > 16 or program is None or not 2 <= len(program) <= 40:
        return False
    if version == 0:
        return const == _BECH32_CONST and len(program) in (20, 32)
    return const == _BECH32M_CONST


def _canonical_btc(value: str) -> str:
    text = value.strip()
    if text[:3].lower() == "bc1":
        # bech32 is case-insensitive but must not mix cases (BIP 173).
        if text != text.lower() and text != text.upper():
            raise ValueError("bech32 address mixes upper and lower case")
        text = text.lower()
        if _segwit_ok(text):
            return text
        raise ValueError(f"{value!r} is not a valid bech32 bitcoin address")
    if _base58check_ok(text):
        return text  # base58 is case-sensitive: keep it exactly
    raise ValueError(f"{value!r} is not a bitcoin address (bad format or checksum)")


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------

_CANONICALISERS: dict[str, Callable[[str], str]] = {
    IPV4: lambda v: _canonical_ip(v, 4),
    IPV6: lambda v: _canonical_ip(v, 6),
    DOMAIN: _canonical_domain,
    URL: _canonical_url,
    EMAIL: _canonical_email,
    MD5: lambda v: _canonical_hash(MD5, v),
    SHA1: lambda v: _canonical_hash(SHA1, v),
    SHA256: lambda v: _canonical_hash(SHA256, v),
    SHA512: lambda v: _canonical_hash(SHA512, v),
    CVE: _canonical_cve,
    BTC: _canonical_btc,
    ETH: _canonical_eth,
    PHONE: _canonical_phone,
}


def canonical(kind: str, value: str) -> str:
    """Return the canonical form of ``value`` as an observable of ``kind``.

    Raises ``ValueError`` with the reason when the value is not valid for the kind. The value
    is not refanged here: callers that accept defanged input call :func:`refang` first.
    """
    try:
        fix = _CANONICALISERS[kind]
    except KeyError:
        raise ValueError(f"unknown observable kind {kind!r}") from None
    if not isinstance(value, str):
        raise ValueError(f"{kind} value must be text, not {type(value).__name__}")
    return fix(value)


def value_hash(kind: str, canonical_value: str) -> int:
    """A stable signed 64-bit key for ``(kind, value)``, for fast index joins.

    The first 8 bytes of the BLAKE2b digest of ``kind + "\\x00" + value``, read as a signed
    big-endian integer so it fits a PostgreSQL ``bigint``.
    """
    digest = hashlib.blake2b(f"{kind}\x00{canonical_value}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


# Every pattern here starts with a literal character, which the regex engine finds with a fast
# string search (a pattern led by a character class or `\b` is tried at every position, about
# ten times slower). None has nested repetition, so each pass is linear.
_DEFANG_BRACKETS = tuple(
    re.compile(re.escape(opener) + r" ?(?:\.|[dD][oO][tT]|://|:|@|[aA][tT]) ?[\])}]")
    for opener in "[({"
)
# A defanged scheme right before `://`, searched for in the few characters before each `://`.
_DEFANGED_SCHEME = re.compile(r"([hH][xX]{2}[pP]|[fF][xX][pP])([sS]?)\Z")
_FANG = {".": ".", "dot": ".", "://": "://", ":": ":", "@": "@", "at": "@"}


def _fang_bracket(m: re.Match[str]) -> str:
    return _FANG[m.group(0)[1:-1].strip(" ").lower()]


def _fang_schemes(text: str) -> str:
    # `hxxp`/`fxp` only count as a scheme, i.e. right before `://` (the bracket pass has
    # already turned `hxxp[:]//` and `hxxp[://]` into that) and not inside a longer word.
    parts: list[str] = []
    last = 0
    sep = text.find("://")
    while sep >= 0:
        m = _DEFANGED_SCHEME.search(text, max(0, sep - 5), sep)
        before = text[m.start() - 1] if m and m.start() else ""
        if m and not (before.isascii() and before.isalnum()):
            scheme = ("http" if m.group(1)[0] in "hH" else "ftp") + m.group(2).lower()
            parts += (text[last : m.start()], scheme)
            last = m.end()
        sep = text.find("://", sep + 3)
    if not parts:
        return text
    parts.append(text[last:])
    return "".join(parts)


def refang(text: str) -> str:
    """Undo the usual defangings: ``hxxp``, ``fxp``, ``[.]``, ``(dot)``, ``[:]``, ``[at]``….

    Linear time: a few regular-expression passes with no nested repetition.
    """
    for pattern in _DEFANG_BRACKETS:
        text = pattern.sub(_fang_bracket, text)
    return _fang_schemes(text)


_GUESS_HEX = re.compile(r"[0-9a-fA-F]+")
_GUESS_IPV4 = re.compile(r"[0-9./]+")


def _shape_kind(value: str) -> str:
    # Cheap shape tests pick the one kind worth validating; the order settles overlaps
    # (a 40-digit hex string is a SHA-1, never a domain or a bitcoin address).
    lower = value.lower()
    if "://" in value:
        return URL
    if "@" in value:
        return EMAIL
    if value.startswith("+"):
        return PHONE
    if lower.startswith("0x"):
        return ETH
    if lower.startswith("cve-"):
        return CVE
    if len(value) in HASH_KINDS_BY_LENGTH and _GUESS_HEX.fullmatch(value):
        return HASH_KINDS_BY_LENGTH[len(value)]
    if ":" in value:
        return IPV6
    if _GUESS_IPV4.fullmatch(value):
        return IPV4
    return DOMAIN if "." in value else BTC


def guess_kind(value: str) -> str | None:
    """The kind of a single bare value (refanged first), or None if it is none of them.

    A bare ``name.zip`` is taken as a domain here: with nothing around it, the value was put in
    a lookup field or indicator column on purpose (the free-text extractor is stricter).
    """
    text = refang(value).strip()
    if not text:
        return None
    kind = _shape_kind(text)
    try:
        canonical(kind, text)
    except ValueError:
        return None
    return kind


# --------------------------------------------------------------------------------------------
# STIX 2.1
# --------------------------------------------------------------------------------------------

# STIX hash names as the spec spells them, and the variants producers actually emit.
_STIX_HASHES: dict[str, str] = {
    "MD5": MD5,
    "SHA-1": SHA1,
    "SHA1": SHA1,
    "SHA-256": SHA256,
    "SHA256": SHA256,
    "SHA-512": SHA512,
    "SHA512": SHA512,
}


def _hash_paths() -> dict[tuple[str, str], str]:
    paths: dict[tuple[str, str], str] = {}
    for name, kind in _STIX_HASHES.items():
        for spelling in {name, name.lower()}:
            paths[("file", f"hashes.'{spelling}'")] = kind
            paths[("file", f"hashes.{spelling}")] = kind
    return paths


STIX_PATHS: dict[tuple[str, str], str] = {
    ("ipv4-addr", "value"): IPV4,
    ("ipv6-addr", "value"): IPV6,
    ("domain-name", "value"): DOMAIN,
    ("url", "value"): URL,
    ("email-addr", "value"): EMAIL,
    ("email-message", "from_ref.value"): EMAIL,
    ("email-message", "sender_ref.value"): EMAIL,
    ("vulnerability", "name"): CVE,
    **_hash_paths(),
}

_SCO_VALUE_KINDS = {
    "ipv4-addr": IPV4,
    "ipv6-addr": IPV6,
    "domain-name": DOMAIN,
    "url": URL,
    "email-addr": EMAIL,
}


def stix_sco_values(obj: dict) -> list[tuple[str, str]]:
    """(kind, raw value) pairs of a STIX 2.1 cyber-observable object; [] for other objects.

    Values are returned as found (not canonicalised) so the caller can report bad ones.
    """
    if not isinstance(obj, dict):
        return []
    sco_type = obj.get("type")
    if sco_type in _SCO_VALUE_KINDS:
        value = obj.get("value")
        return [(_SCO_VALUE_KINDS[sco_type], value)] if isinstance(value, str) else []
    if sco_type == "file" and isinstance(obj.get("hashes"), dict):
        found = []
        for name, digest in obj["hashes"].items():
            kind = _STIX_HASHES.get(str(name).upper())
            if kind and isinstance(digest, str):
                found.append((kind, digest))
        return found
    return []
