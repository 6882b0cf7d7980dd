"""CSV input, and STIX indicators built from (kind, value) pairs (CSV rows, extracted text).

Built indicators get deterministic ids (UUIDv5 of kind and canonical value), so the same
value submitted twice is the same object, and submitting it again changes nothing.
"""

import csv
import hashlib
import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from vaka.intel.parsing.errors import InputError, Problem
from vaka.intel.parsing.observables import KINDS, canonical, guess_kind, refang
from vaka.intel.parsing.timestamps import stix_timestamp

# Namespace for ids of indicators Vaka builds from bare values.
VAKA_NAMESPACE = uuid.UUID("7a1c5e0e-8d6b-5f4c-9a3e-5641b4a10001")

# How each kind is written in a STIX pattern. Bitcoin, Ethereum and phone numbers have no
# STIX 2.1 cyber-observable, so they use custom object types (allowed in patterns).
PATTERN_PATHS = {
    "ipv4": "ipv4-addr:value",
    "ipv6": "ipv6-addr:value",
    "domain": "domain-name:value",
    "url": "url:value",
    "email": "email-addr:value",
    "md5": "file:hashes.MD5",
    "sha1": "file:hashes.'SHA-1'",
    "sha256": "file:hashes.'SHA-256'",
    "sha512": "file:hashes.'SHA-512'",
    "btc": "x-cryptocurrency-wallet:value",
    "eth": "x-cryptocurrency-wallet:value",
    "phone": "x-phone-number:value",
}
# CSV header names accepted for each column (lower-cased).
VALUE_COLUMNS = ("value", "indicator", "ioc", "observable")
TYPE_COLUMNS = ("type", "kind")
COMMENT_COLUMNS = ("comment", "description", "note")
FIRST_SEEN_COLUMNS = ("first_seen", "first seen", "valid_from")
LAST_SEEN_COLUMNS = ("last_seen", "last seen", "valid_until")
LABEL_COLUMNS = ("labels", "tags", "label")
# Synonyms seen in exports from other tools, mapped to Vaka kinds.
TYPE_SYNONYMS = {
    "ip": "ipv4", "ip-src": "ipv4", "ip-dst": "ipv4", "ipv4-addr": "ipv4",
    "ipv6-addr": "ipv6", "hostname": "domain", "domain-name": "domain", "fqdn": "domain",
    "uri": "url", "link": "url", "email-addr": "email", "email-src": "email",
    "email-dst": "email", "sha-1": "sha1", "sha-256": "sha256", "sha-512": "sha512",
    "vulnerability": "cve", "bitcoin": "btc", "ethereum": "eth", "phone-number": "phone",
}


@dataclass
class Row:
    line: int
    kind: str
    value: str
    comment: str = ""
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    labels: list[str] = field(default_factory=list)


def _column(header: list[str], names: tuple[str, ...]) -> int | None:
    for position, name in enumerate(header):
        if name.strip().lower() in names:
            return position
    return None


def _timestamp(text: str, line: int, column: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as error:
        raise InputError(Problem(f"“{text}” is not an ISO 8601 date or time", line=line,
                                 field=column)) from error
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def read_csv(data: bytes, *, file: str | None = None) -> tuple[list[Row], list[Problem]]:
    """Rows of a CSV whose header names the value column (and optionally type, comment,
    first/last seen, labels). Returns the good rows and a problem per bad row."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(Problem(f"not UTF-8 text (byte {error.start})", file=file)) from error
    sample = text[:4096]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, ",;\t|")
    except csv.Error:
        dialect = csv.excel
    # newline="": the reader itself splits lines, so a file with CR line ends (old Mac
    # exports) reads as lines rather than failing on a "new-line in unquoted field".
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        return _read_rows(reader, file)
    except csv.Error as error:  # a field over csv's size limit, a NUL in some dialects…
        raise InputError(Problem(f"not readable as CSV: {error}", file=file,
                                 line=reader.line_num or 1)) from error


def _read_rows(reader: Iterator[list[str]], file: str | None) -> tuple[list[Row], list[Problem]]:
    header = next(reader, None)
    if not header:
        raise InputError(Problem("the CSV file is empty", file=file, line=1))
    value_at = _column(header, VALUE_COLUMNS)
    if value_at is None:
        raise InputError(Problem(
            "no value column: the header must name one of " + ", ".join(VALUE_COLUMNS),
            file=file, line=1))
    columns = {name: _column(header, names) for name, names in (
        ("type", TYPE_COLUMNS), ("comment", COMMENT_COLUMNS), ("first_seen", FIRST_SEEN_COLUMNS),
        ("last_seen", LAST_SEEN_COLUMNS), ("labels", LABEL_COLUMNS))}
    rows, problems = [], []
    for line, record in enumerate(reader, start=2):
        if not any(cell.strip() for cell in record):
            continue
        try:
            rows.append(_row(record, line, value_at, columns))
        except InputError as error:
            problems.extend(Problem(p.message, file=file, line=p.line, field=p.field)
                            for p in error.problems)
    return rows, problems


def _cell(record: list[str], position: int | None) -> str:
    if position is None or position >= len(record):
        return ""
    return record[position].strip()


def _row(record: list[str], line: int, value_at: int, columns: dict[str, int | None]) -> Row:
    raw = refang(_cell(record, value_at))
    if not raw:
        raise InputError(Problem("empty value", line=line, field="value"))
    kind = _cell(record, columns["type"]).lower()
    kind = TYPE_SYNONYMS.get(kind, kind)
    if kind and kind not in KINDS:
        raise InputError(Problem(f"unknown type “{kind}” (known: {', '.join(KINDS)})",
                                 line=line, field="type"))
    kind = kind or guess_kind(raw) or ""
    if not kind:
        raise InputError(Problem(f"cannot tell what kind of value “{raw}” is", line=line,
                                 field="value"))
    try:
        value = canonical(kind, raw)
    except ValueError as error:
        raise InputError(Problem(f"“{raw}”: {error}", line=line, field="value")) from error
    first, last = _cell(record, columns["first_seen"]), _cell(record, columns["last_seen"])
    labels = _cell(record, columns["labels"])
    return Row(
        line=line, kind=kind, value=value, comment=_cell(record, columns["comment"]),
        first_seen=_timestamp(first, line, "first_seen") if first else None,
        last_seen=_timestamp(last, line, "last_seen") if last else None,
        labels=[label.strip() for label in labels.replace(";", ",").split(",")
                if label.strip()])


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")


def owner_namespace(owner_uid: uuid.UUID) -> uuid.UUID:
    """The namespace of the ids one organisation's value-built objects get: two agencies'
    indicators for one value are two objects, never merged, never one id in an export."""
    return uuid.uuid5(VAKA_NAMESPACE, f"owner:{owner_uid}")


def stix_for(row: Row, now: datetime, namespace: uuid.UUID = VAKA_NAMESPACE) -> dict:
    """The STIX object for one value: an indicator, or a vulnerability for a CVE id.

    Its id is derived from the value in ``namespace`` (the owner's: ``owner_namespace``)."""
    identity = uuid.uuid5(namespace, f"{row.kind}:{row.value}")
    stamp = stix_timestamp(now)
    if row.kind == "cve":
        obj = {"type": "vulnerability", "spec_version": "2.1",
               "id": f"vulnerability--{identity}", "created": stamp, "modified": stamp,
               "name": row.value,
               "external_references": [{"source_name": "cve", "external_id": row.value}]}
    else:
        valid_from = row.first_seen or now
        obj = {"type": "indicator", "spec_version": "2.1", "id": f"indicator--{identity}",
               "created": stamp, "modified": stamp, "name": row.value,
               "pattern": f"[{PATTERN_PATHS[row.kind]} = '{_quote(row.value)}']",
               "pattern_type": "stix", "valid_from": stix_timestamp(valid_from)}
        if row.last_seen and row.last_seen > valid_from:
            obj["valid_until"] = stix_timestamp(row.last_seen)
    if row.comment:
        obj["description"] = row.comment
    if row.labels:
        obj["labels"] = row.labels
    return obj


def digest(row: Row) -> str:
    """What a built object says, without the timestamps of the day it was built."""
    text = "\x00".join([row.kind, row.value, row.comment,
                        row.first_seen.isoformat() if row.first_seen else "",
                        row.last_seen.isoformat() if row.last_seen else "", *row.labels])
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def rows_to_stix(rows: list[Row], now: datetime, namespace: uuid.UUID = VAKA_NAMESPACE
                 ) -> Iterator[tuple[int, dict, str]]:
    """(line, object, digest) for each row; the same value twice yields one object."""
    seen: set[str] = set()
    for row in rows:
        obj = stix_for(row, now, namespace)
        if obj["id"] not in seen:
            seen.add(obj["id"])
            yield row.line, obj, digest(row)
