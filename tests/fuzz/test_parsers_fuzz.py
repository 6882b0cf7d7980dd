"""The STIX, MISP, CSV and free-text parsers given anything: arbitrary bytes and text, and
inputs that look right but are wrong (JSON of the wrong shape, huge numbers, deep nesting,
bad encodings, NUL bytes, byte order marks, very long lines, a valid object with one
property replaced by anything).

The property: a parser returns its result, or raises the one input error type
(``parsing.errors.InputError``) with at least one problem that says something. Any other
exception would reach the user as a server error. Each test runs a small, fixed number of
examples from a fixed seed (reproducible in CI), sized so the file takes well under a minute.
"""

import codecs
import copy
import io
import json
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.intel.store_data import T0, bundle, indicator, sid
from vaka.intel.parsing import jsonlimits, stix
from vaka.intel.parsing.errors import InputError
from vaka.intel.parsing.extract import extract, read_text
from vaka.intel.parsing.misp import misp_to_stix
from vaka.intel.parsing.tabular import read_csv, rows_to_stix
from vaka.intel.prepare import observables_of

MISP_EVENT = json.loads((Path(__file__).parents[1] / "intel" / "parsing" / "data"
                         / "misp_event_phishing.json").read_text(encoding="utf-8"))

FUZZ = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much])


def refused_clearly(error: InputError) -> None:
    """An InputError that names at least one problem in words."""
    assert error.problems
    assert all(problem.message.strip() for problem in error.problems)


# --- Inputs ---------------------------------------------------------------------------------

# JSON values, with numbers no JSON library agrees on and strings with NULs and odd code points.
scalars = st.one_of(
    st.none(), st.booleans(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.sampled_from([0, -1, 2**63, -(2**63) - 1, 10**400]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
    st.sampled_from(["", "\x00", "\ufeff", "\ud7ff\ue000", "2024-13-45T99:99:99Z", T0,
                     "indicator", "bundle", "x_custom", "--", "a" * 300]),
)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=12) | st.sampled_from(
        ["type", "id", "objects", "spec_version", "created", "modified", "pattern",
         "pattern_type", "valid_from", "Event", "Attribute", "Object", "Tag", "info",
         "response", "value", "category", "uuid", "timestamp", "distribution"]),
        children, max_size=5),
    max_leaves=20,
)

STIX_TYPES = ["indicator", "domain-name", "ipv4-addr", "url", "file", "malware",
              "relationship", "report", "identity", "marking-definition", "note",
              "vulnerability", "observed-data", "bundle", "x-custom-thing", "Indicator"]


@st.composite
def broken_stix_objects(draw) -> dict:
    """A valid indicator or SCO with one property replaced by any JSON value, or added."""
    value = draw(st.sampled_from(["evil.example", "198.51.100.7", "http://x.example/a"]))
    base = draw(st.sampled_from([
        indicator(value),
        {"type": "domain-name", "spec_version": "2.1", "id": sid("domain-name", value),
         "value": value},
        {"type": "malware", "spec_version": "2.1", "id": sid("malware", value), "created": T0,
         "modified": T0, "name": value, "is_family": False},
        {"type": "file", "spec_version": "2.1", "id": sid("file", value),
         "hashes": {"SHA-256": "a" * 64}},
    ]))
    obj = copy.deepcopy(base)
    key = draw(st.sampled_from([*obj, "object_marking_refs", "labels", "confidence",
                                "external_references", "extensions", "x_vaka", "bogus"]))
    obj[key] = draw(json_values | st.sampled_from(STIX_TYPES))
    return obj


def as_json_bytes(value: object) -> bytes:
    return json.dumps(value).encode()


@st.composite
def damaged(draw, document: bytes) -> bytes:
    """``document`` with a byte order mark, a NUL, a cut or a bad UTF-8 byte, or unchanged."""
    how = draw(st.sampled_from(["as is", "bom", "nul", "cut", "bad utf-8", "utf-16"]))
    at = draw(st.integers(min_value=0, max_value=len(document)))
    return {"as is": document, "bom": codecs.BOM_UTF8 + document,
            "nul": document[:at] + b"\x00" + document[at:], "cut": document[:at],
            "bad utf-8": document[:at] + b"\xff\xc3" + document[at:],
            "utf-16": document.decode("utf-8", "replace").encode("utf-16")}[how]


def deeply_nested(depth: int, opener: str = "[", closer: str = "]") -> bytes:
    return (opener * depth + closer * depth).encode()


stix_documents = st.one_of(
    st.binary(max_size=300),
    json_values.map(as_json_bytes),
    st.lists(broken_stix_objects(), min_size=1, max_size=3).map(lambda o: bundle(*o)),
    st.lists(broken_stix_objects(), max_size=3).map(as_json_bytes),
    broken_stix_objects().map(as_json_bytes),
    st.dictionaries(st.sampled_from(["type", "id", "objects", "spec_version"]), json_values,
                    max_size=4).map(as_json_bytes),
    st.integers(min_value=1, max_value=5000).map(deeply_nested),
    st.integers(min_value=1, max_value=5000).map(
        lambda n: b'{"type": "bundle", "objects": [' + deeply_nested(n, '{"a":', "}")[:-n]
        + b"1" + b"}" * n + b"]}"),
).flatmap(damaged)


# --- STIX -----------------------------------------------------------------------------------


def read_stix(data: bytes) -> None:
    """What an ingest does with a STIX input: read it (whole and streamed), upgrade 2.0
    objects, validate each object and read the values it carries."""
    envelope: dict = {}
    try:  # large inputs are streamed; it reads bundles only
        streamed = [obj for _index, obj in stix.iter_bundle(io.BytesIO(data))]
    except InputError as error:
        refused_clearly(error)
        streamed = None
    objects = stix.read_bundle(data, envelope)
    assert streamed is None or streamed == objects
    for obj in objects:
        if stix.is_stix20_bundle(envelope):
            try:
                obj = stix.upgrade_20(obj)
            except InputError as error:
                refused_clearly(error)
                continue
        try:
            stix.validate(obj)
        except InputError as error:
            refused_clearly(error)
            continue
        observables_of(obj)  # the values indexed: patterns, SCO properties, CVE names


@FUZZ
@given(stix_documents)
def test_stix_input_is_read_or_refused_with_an_input_error(data):
    try:
        read_stix(data)
    except InputError as error:
        refused_clearly(error)


@FUZZ
@given(st.text(max_size=200) | st.sampled_from([
    "[domain-name:value = 'a']", "[", "]", "[ipv4-addr:value = '1.2.3.4' AND",
    "[file:hashes.'SHA-256' = '" + "a" * 64 + "']", "[x:y = '\x00']", "[" * 3000]))
def test_a_pattern_is_parsed_or_declined(pattern):
    # parse_pattern returns None for what it does not handle (the library takes over).
    result = stix.parse_pattern(pattern)
    assert result is None or isinstance(result, list)


@FUZZ
@given(broken_stix_objects())
def test_both_validation_paths_refuse_with_an_input_error(obj):
    for force_library in (False, True):
        try:
            stix.validate(obj, force_library=force_library)
        except InputError as error:
            refused_clearly(error)


# --- MISP -----------------------------------------------------------------------------------


@st.composite
def broken_misp_events(draw) -> dict:
    """The sample event with one value, anywhere in it, replaced by any JSON value."""
    event = copy.deepcopy(MISP_EVENT)
    node, steps = event, draw(st.integers(min_value=1, max_value=5))
    for _ in range(steps):
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        if not keys:
            break
        key = draw(st.sampled_from(keys))
        if not isinstance(node[key], dict | list) or draw(st.booleans()):
            node[key] = draw(json_values)
            break
        node = node[key]
    return event


misp_documents = st.one_of(
    json_values,
    broken_misp_events(),
    broken_misp_events().map(lambda e: {"response": [e, e]}),
    broken_misp_events().map(lambda e: [e["Event"]]),
    st.dictionaries(st.sampled_from(["Event", "response", "info", "Attribute", "Object"]),
                    json_values, max_size=3),
)


def read_misp(data: bytes) -> None:
    """As an ingest reads MISP: JSON with a depth limit, then the conversion."""
    try:
        document = jsonlimits.loads(data)
    except ValueError as error:  # the ingest's "not JSON" InputError
        raise InputError(f"not JSON: {error}") from error
    misp_to_stix(document, file="event.json")


@FUZZ
@given(misp_documents.map(as_json_bytes).flatmap(damaged))
def test_misp_input_is_converted_or_refused_with_an_input_error(data):
    try:
        read_misp(data)
    except InputError as error:
        refused_clearly(error)


@settings(FUZZ, max_examples=60)
@given(st.binary(max_size=300) | st.integers(min_value=1, max_value=5000).map(deeply_nested))
def test_misp_bytes_are_refused_with_an_input_error(data):
    try:
        read_misp(data)
    except InputError as error:
        refused_clearly(error)


# --- CSV ------------------------------------------------------------------------------------

csv_cells = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["evil.example", "hxxp://evil[.]example/a", "198.51.100.7", "2001:db8::1",
                     "a" * 64, "ip", "domain", "url", "sha256", "2024-01-05", "yesterday",
                     "\x00", '"', '""', "a,b", "x" * 5000, "y" * 140_000, "1e999", "-0"]),
)
csv_headers = st.lists(st.sampled_from(["value", "indicator", "type", "comment", "first_seen",
                                        "last_seen", "labels", "other", ""]) | st.text(
    max_size=10), min_size=1, max_size=5)


@st.composite
def csv_files(draw) -> bytes:
    separator = draw(st.sampled_from([",", ";", "\t", "|"]))
    line_end = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    header = draw(csv_headers)
    rows = draw(st.lists(st.lists(csv_cells, max_size=6), max_size=6))
    text = line_end.join(separator.join(line) for line in [header, *rows])
    return text.encode()


@FUZZ
@given(st.one_of(csv_files(), st.binary(max_size=300)).flatmap(damaged))
def test_csv_input_is_read_or_refused_with_an_input_error(data):
    try:
        rows, problems = read_csv(data, file="list.csv")
    except InputError as error:
        refused_clearly(error)
        return
    assert all(problem.line for problem in problems)  # each bad row says which line
    list(rows_to_stix(rows, datetime(2026, 1, 1, tzinfo=UTC)))


# --- Free text ------------------------------------------------------------------------------

text_bodies = st.one_of(
    st.text(max_size=400),
    st.lists(st.sampled_from(["evil[.]example", "hxxps://a.example/x?y=1", "198.51.100.7",
                              "1.2.3.4.5", "CVE-2024-0001", "a" * 64, "user@example.org",
                              "<a href='http://x.example'>x</a>", "\x00", "\ufeff", "%PDF-1.7",
                              "0x" + "f" * 40, "bc1q" + "a" * 38, "\u202e", " ", "\n"]),
             max_size=30).map("".join),
    st.integers(min_value=1, max_value=200_000).map(lambda n: "a." * (n // 2) + "example"),
)


@FUZZ
@given(st.one_of(text_bodies.map(str.encode).flatmap(damaged), st.binary(max_size=400)),
       st.sampled_from(["pasted.txt", "page.html", "report.pdf", "notes.md", "blob"]))
def test_a_file_is_read_or_refused_with_an_input_error(data, filename):
    try:
        read = read_text(data, filename)
    except InputError as error:
        refused_clearly(error)
        return
    extract(read.text)
    extract(read.text, uncertain=True)


@FUZZ
@given(text_bodies)
def test_free_text_extraction_never_fails(text):
    # Extraction has no error to give: whatever text it gets, it returns what it found.
    assert isinstance(extract(text), list)
    assert isinstance(extract(text, uncertain=True), list)
