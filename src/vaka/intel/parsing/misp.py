"""MISP JSON → STIX 2.1, through the MISP project's own converter (``misp-stix``).

The conversion itself is ``misp_stix_converter.MISPtoSTIX21Parser``: one ``report`` per
published event (a ``grouping`` for an unpublished one) whose ``object_refs`` name an
``indicator`` and/or ``observed-data`` per attribute and per MISP object, the galaxy clusters
as ``attack-pattern``, ``threat-actor``, ``malware``, ``intrusion-set``… and the links between
them as ``relationship`` objects. This module only wraps it:

* **input shapes** — ``{"Event": {…}}``, a bare event, ``{"response": [{"Event": …}, …]}``
  (REST search output) and a list of ``{"Event": …}`` (an event collection) are recognised
  by :func:`is_misp`; each event is converted by its own parser, so a failure costs at most
  that event;
* **bad input** — attributes and objects are checked before misp-stix sees them (a known
  MISP type from pymisp's ``describeTypes``, a ``value``, a usable ``uuid``…). A bad record is
  skipped and reported as a :class:`~vaka.intel.parsing.errors.Problem` naming the event
  (``index``), the record's position and uuid, and the ``field``; so are the records pymisp's
  validation drops (an invalid hash, an ``AS`` that is no number…) and those misp-stix fails
  on. An event that cannot be loaded at all is skipped and reported the same way. Nothing is
  raised unless the input is not MISP at all (:class:`~vaka.intel.parsing.errors.InputError`);
  whether to keep a partial result is the caller's decision;
* **labels** — every MISP tag but the TLP ones ends up as a STIX ``label``: the event's on
  its report, an attribute's (an object's and its attributes') on the indicator and
  observed-data built from it. misp-stix leaves out the galaxy tags, which are put back;
* **TLP** — misp-stix marks ``tlp:white/green/amber/red`` with the TLP 1.0 marking
  definitions; they are replaced by the TLP 2.0 ones (``tlp:white`` → CLEAR) and every object
  gets one: its own (an attribute's TLP tag), else the one of the observed-data that holds it
  (observables), else the most restrictive of its endpoints (relationships, sightings), else
  the event's. An attribute's own TLP wins over the event's, narrower or wider, as its
  author set it. The TLP 2.0 marking-definition objects used are included;
* **distribution and grading** — reported per event in :class:`EventMarkings`, in Vaka's
  vocabulary (see :data:`MISP_DISTRIBUTIONS`), with the Admiralty grading of the
  ``admiralty-scale`` tags. Nothing here is a Django model: the caller applies them.

Records soft-deleted in MISP (``"deleted": true``) are skipped with a warning. pymisp logs
each record it rejects, value included, on the ``pymisp`` logger: route or silence it in the
logging configuration if IOC values must stay out of the application logs.

Pure: no Django import, no I/O. Conversion is CPU-bound (most of it is stix2 checking each
indicator pattern): roughly 650 attributes/s, so run large imports in a worker.
"""

import copy
import json
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from misp_stix_converter import MISPtoSTIX21Parser
from pymisp.abstract import describe_types

from vaka.intel.parsing.errors import InputError, Problem
from vaka.intel.parsing.stix_markings import (
    TLP1_MARKING_IDS,
    TLP2_MARKING_IDS,
    TLP_LEVELS,
    marking_tlp,
    tlp_marking_definition,
)

__all__ = [
    "MISP_DISTRIBUTIONS",
    "TLP_MARKING_DEFINITIONS",
    "TLP_MARKING_IDS",
    "EventMarkings",
    "Grading",
    "MispConversion",
    "is_misp",
    "misp_tlp",
    "misp_to_stix",
]

# ---------------------------------------------------------------------------------------------
# Vocabularies
# ---------------------------------------------------------------------------------------------

#: TLP 2.0 levels, least to most restrictive (Vaka's ``TLP`` codes).
TLP_ORDER = TLP_LEVELS

#: STIX 2.1 marking-definition ids of the TLP 2.0 extension, by Vaka TLP code.
TLP_MARKING_IDS = TLP2_MARKING_IDS

#: The TLP 2.0 marking-definition objects, by Vaka TLP code.
TLP_MARKING_DEFINITIONS: dict[str, dict[str, Any]] = {
    code: tlp_marking_definition(code) for code in TLP_LEVELS}

# TLP 1.0 ids (what misp-stix emits) and TLP 2.0 ids, as Vaka TLP codes.
_TLP_BY_MARKING_ID = {marking_id: marking_tlp(marking_id) for marking_id in
                      (*TLP2_MARKING_IDS.values(), *TLP1_MARKING_IDS.values())}

_TLP_TAGS = {
    "tlp:clear": "clear",
    "tlp:white": "clear",
    "tlp:green": "green",
    "tlp:amber": "amber",
    "tlp:amber+strict": "amber+strict",
    "tlp:red": "red",
}

#: MISP distribution level → Vaka ``Distribution`` code. 0 "your organisation only",
#: 1 "this community only" (every user of the MISP instance = every member of this Vaka
#: instance), 2 "connected communities" and 3 "all communities" → ``federation``: Vaka reaches
#: nothing beyond its connected instances, and ``public`` (anonymous visitors) is never
#: inferred, not even for 3 + TLP:CLEAR — publishing is a deliberate act. 4 "sharing group" →
#: ``communities`` (the sharing group's name is reported, its members are not mapped).
#: 5 "inherit" is only valid on attributes and objects: they take the event's.
MISP_DISTRIBUTIONS = {
    0: "organisation",
    1: "members",
    2: "federation",
    3: "federation",
    4: "communities",
}
_INHERIT = 5
# Vaka distributions, narrowest first: a sharing group is narrower than the whole instance.
_DISTRIBUTION_ORDER = ("organisation", "communities", "members", "federation")

_ADMIRALTY_TAG = re.compile(
    r'^admiralty-scale:(source-reliability|information-credibility)\s*=\s*"?([^"]*)"?$', re.I
)
_ADMIRALTY_SOURCE = ("A", "B", "C", "D", "E", "F")
_ADMIRALTY_INFORMATION = ("1", "2", "3", "4", "5", "6")

# Every MISP attribute type, from pymisp's copy of MISP's describeTypes.
_MISP_TYPES = frozenset(describe_types["types"])

_UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
# Namespace of the uuids given to records that come without one, so a re-import gives the
# same STIX ids.
_UUID_NAMESPACE = uuid.UUID("0b6f5f0e-3d0c-5d86-9d8e-6a1f8c0e7a11")
_FAILED_VALIDATION = re.compile(
    r"^Failed validation for (\S+) Attribute <[^>]*>(?: in .*? Object <[^>]*>)?:\s*(.*)$", re.S)
_EVENT_KEYS = ("Attribute", "Object", "Orgc", "threat_level_id", "analysis")
_REF_FIELDS_SKIPPED = ("created_by_ref", "object_marking_refs")


# ---------------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Grading:
    """An Admiralty grading read from the ``admiralty-scale`` MISP tags (Vaka's ``admiralty``)."""

    source: str | None  # "A"–"F", source reliability
    information: str | None  # "1"–"6", information credibility
    scheme: str = "admiralty"


@dataclass(frozen=True)
class EventMarkings:
    """What one MISP event says about who may see it, in Vaka's vocabulary.

    ``distribution`` is ``None`` when the event has none (or an invalid one: see the problems);
    ``tlp`` is the most restrictive TLP tag of the event, or ``None``.
    ``object_distributions`` maps the id of every STIX object built from an attribute or a
    MISP object whose own distribution is narrower than the event's to that distribution
    (relationships touching such an object included): apply it, or the narrower record is
    shared as widely as the event.
    """

    index: int  # the event's position in the input (0 for a single event)
    uuid: str
    report_id: str  # the STIX report (or grouping) of the event
    distribution: str | None
    tlp: str | None
    sharing_group_name: str | None = None
    grading: Grading | None = None
    object_distributions: dict[str, str] = field(default_factory=dict)


@dataclass
class MispConversion:
    """The STIX 2.1 objects converted from MISP JSON, and what went wrong on the way.

    ``objects`` are plain JSON-compatible dicts, one per id across all events (an identity
    or a galaxy cluster shared by two events appears once, with the more restrictive TLP).
    ``events`` counts the events converted; ``problems`` the bad input skipped (each names
    the event ``index``); ``warnings`` what misp-stix could only convert approximately (an
    attribute type with no STIX equivalent kept as ``x-misp-attribute``…).
    ``distribution`` and ``tlp`` are the most restrictive of the converted events' own.
    """

    objects: list[dict[str, Any]] = field(default_factory=list)
    events: int = 0
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    event_markings: list[EventMarkings] = field(default_factory=list)
    distribution: str | None = None
    tlp: str | None = None

    def as_bundle(self) -> dict[str, Any]:
        """The objects in a STIX 2.1 bundle (a new random bundle id each call)."""
        return {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": self.objects}


# ---------------------------------------------------------------------------------------------
# Public functions
# ---------------------------------------------------------------------------------------------


def misp_tlp(tags: Iterable[str]) -> str | None:
    """The most restrictive TLP among MISP tag names, as a Vaka TLP code, or ``None``.

    ``tlp:white`` is TLP 2.0's ``clear``; case and surrounding spaces are ignored, and tags
    that are not TLP 1.0/2.0 levels (``tlp:ex:chr``, ``tlp:unclear``…) are not TLP.
    """
    found = [_TLP_TAGS.get(tag.strip().lower()) for tag in tags if isinstance(tag, str)]
    return _most_restrictive(found, TLP_ORDER)


def is_misp(data: object) -> bool:
    """Whether parsed JSON looks like MISP: an event, REST search output or event collection.

    Recognised: ``{"Event": {…}}``; a bare event (``info`` with ``Attribute``/``Object``/
    ``Orgc``…); ``{"response": [{"Event": …}, …]}``; a list of ``{"Event": …}``. A list or a
    response is MISP when at least one item is an event (the others are reported as problems
    by :func:`misp_to_stix`).
    """
    return _event_items(data) is not None


def misp_to_stix(data: object, *, file: str | None = None) -> MispConversion:
    """Convert parsed MISP JSON to STIX 2.1 objects with misp-stix.

    Bad records and events are skipped and reported in ``problems`` (with ``file``); raises
    :class:`InputError` only when ``data`` is not MISP at all (see :func:`is_misp`).
    """
    items = _event_items(data)
    if items is None:
        raise InputError(Problem(
            "not MISP JSON: expected {\"Event\": {…}}, a MISP event, "
            "{\"response\": [{\"Event\": …}, …]} or a list of {\"Event\": …}",
            file=file,
        ))
    result = MispConversion()
    merged: dict[str, dict[str, Any]] = {}
    for index, item in items:
        converted = _EventConversion(index, item, file).run()
        result.problems.extend(converted.problems)
        result.warnings.extend(converted.warnings)
        if converted.markings is None:
            continue
        result.events += 1
        result.event_markings.append(converted.markings)
        for obj in converted.objects:
            _merge_object(merged, obj)
    used = {tlp for obj in merged.values() if (tlp := _tlp_of(obj))}
    definitions = [TLP_MARKING_DEFINITIONS[code] for code in TLP_ORDER if code in used]
    result.objects = copy.deepcopy(definitions) + list(merged.values())
    result.distribution = _most_restrictive(
        (m.distribution for m in result.event_markings), _DISTRIBUTION_ORDER)
    result.tlp = _most_restrictive((m.tlp for m in result.event_markings), TLP_ORDER)
    return result


# ---------------------------------------------------------------------------------------------
# Input shapes
# ---------------------------------------------------------------------------------------------


def _is_event(item: object) -> bool:
    if not isinstance(item, dict):
        return False
    if isinstance(item.get("Event"), dict):
        return True
    return isinstance(item.get("info"), str) and any(key in item for key in _EVENT_KEYS)


def _event_items(data: object) -> list[tuple[int, object]] | None:
    """The (position, item) of each event-like item, or None when nothing is MISP."""
    if isinstance(data, dict):
        if _is_event(data):
            return [(0, data)]
        data = data.get("response")
    if isinstance(data, list) and any(_is_event(item) for item in data):
        return list(enumerate(data))
    return None


# ---------------------------------------------------------------------------------------------
# misp-stix
# ---------------------------------------------------------------------------------------------


class _Parser(MISPtoSTIX21Parser):
    """misp-stix's STIX 2.1 exporter whose per-record failure hooks record the failure.

    misp-stix catches an exception on one attribute or object and writes the record as a
    custom ``x-misp-attribute``/``x-misp-object`` instead; here the record is skipped and its
    failure reported with its position (the objects it produced before failing are dropped).
    """

    def __init__(self) -> None:
        super().__init__()
        # (record uuid, reason, whether the record is dropped)
        self.failures: list[tuple[str, str, bool]] = []

    def _attribute_error(self, attribute: Any, exception: Exception) -> None:
        self.failures.append((_record_uuid(attribute), f"misp-stix failed: {exception}", True))

    def _invalid_attribute_hash_value_error(self, attribute: Any) -> None:
        reason = f"{attribute.get('value')!r} is not a valid {attribute.get('type')} hash"
        self.failures.append((_record_uuid(attribute), reason, True))

    def _object_error(self, misp_object: Any, exception: Exception) -> None:
        self.failures.append((_record_uuid(misp_object), f"misp-stix failed: {exception}", True))

    def _invalid_object_hash_value_error(self, hash_type: str, misp_object: Any) -> None:
        reason = f"invalid {hash_type} value, kept as a custom property"
        failure = (_record_uuid(misp_object), reason, False)
        if failure not in self.failures:
            self.failures.append(failure)


def _record_uuid(record: Any) -> str:
    try:
        return str(record.get("uuid") or "")
    except AttributeError:
        return ""


# ---------------------------------------------------------------------------------------------
# One event
# ---------------------------------------------------------------------------------------------


@dataclass
class _Record:
    """What the conversion needs to know of an attribute or object once misp-stix is done."""

    path: str  # "Attribute[3]", "Object[0]", "Object[0].Attribute[2]"
    tags: list[str]
    distribution: int | None  # own MISP distribution, None when inheriting


class _EventConversion:
    """Check, convert and post-process one event of the input."""

    def __init__(self, index: int, item: object, file: str | None) -> None:
        self.index = index
        self.item = item
        self.file = file
        self.problems: list[Problem] = []
        self.warnings: list[str] = []
        self.objects: list[dict[str, Any]] = []
        self.markings: EventMarkings | None = None
        self.records: dict[str, _Record] = {}  # by MISP uuid
        self.distribution: str | None = None  # the event's, in Vaka's vocabulary
        self.skipped = False  # a problem already says the event is skipped

    # -- reporting -------------------------------------------------------------------------

    def problem(self, message: str, field: str | None = None, record: str | None = None,
                uuid_: str | None = None) -> None:
        """Report bad input of this event; ``record`` is the position of the bad record."""
        where = f"event {self.index}"
        if record:
            where += f", {record}" if uuid_ is None else f", {record} (uuid {uuid_ or 'none'})"
        self.problems.append(Problem(f"{where}: {message}", file=self.file, index=self.index,
                                     field=field))

    # -- the steps -------------------------------------------------------------------------

    def run(self) -> "_EventConversion":
        item = self.item
        if isinstance(item, dict) and "Event" in item:
            event = item["Event"]
        else:
            event = item if _is_event(item) else None
        if not isinstance(event, dict):
            self.problem("not a MISP event (expected {\"Event\": {…}}) — event skipped",
                         field="Event" if isinstance(item, dict) and "Event" in item else None)
            return self
        prepared = self.prepare(event)
        if prepared is None:
            return self
        parser = _Parser()
        try:
            parser.parse_misp_event({"Event": prepared})
            stix_objects = [json.loads(obj.serialize()) for obj in parser.stix_objects]
        except Exception as exception:  # misp-stix failed on the event as a whole
            self.problem(f"misp-stix could not convert the event ({exception}) — event skipped")
            return self
        dropped = self.report_misp_stix(parser)
        report = next((o for o in stix_objects if o["type"] in ("report", "grouping")
                       and o["id"].endswith(prepared["uuid"])), None)
        if report is None:
            if not self.skipped:
                self.problem("misp-stix produced no report for the event — event skipped")
            return self
        stix_objects = _drop(stix_objects, dropped)
        if not report["object_refs"]:
            self.problem("nothing left to convert once the bad records are skipped "
                         "— event skipped")
            return self
        self.objects = stix_objects
        self.finish(event, prepared["uuid"], report)
        return self

    def prepare(self, event: dict[str, Any]) -> dict[str, Any] | None:
        """A copy of the event holding only the records misp-stix can be given."""
        event_uuid = event.get("uuid")
        if event_uuid in (None, ""):
            canonical = json.dumps(event, sort_keys=True, default=str)
            event_uuid = str(uuid.uuid5(_UUID_NAMESPACE, canonical))
        elif not _is_uuid(event_uuid):
            self.problem(f"{event_uuid!r} is not a uuid — event skipped", field="uuid")
            return None
        event_uuid = str(uuid.UUID(event_uuid))  # canonical: lower case, with hyphens
        prepared = {**event, "uuid": event_uuid}
        self.distribution = self.event_distribution(event)
        if self.distribution is None:
            prepared.pop("distribution", None)  # pymisp refuses an event with a bad one
        for key in ("Tag", "Galaxy"):
            if key in event:
                prepared[key] = self.check_list(event[key], key, self.check_tag
                                                if key == "Tag" else self.check_galaxy)
        prepared["Attribute"] = self.check_attributes(event.get("Attribute"), "Attribute",
                                                      event_uuid)
        prepared["Object"] = self.check_objects(event.get("Object"), event_uuid)
        return prepared

    # -- checks ----------------------------------------------------------------------------

    def check_list(self, values: object, path: str,
                   check: Callable[[object, str], bool]) -> list[Any]:
        if values is None:
            return []
        if not isinstance(values, list):
            self.problem("not a list — ignored", field=path, record=path)
            return []
        return [value for position, value in enumerate(values)
                if check(value, f"{path}[{position}]")]

    def check_tag(self, tag: object, path: str) -> bool:
        if isinstance(tag, dict) and isinstance(tag.get("name"), str) and tag["name"].strip():
            return True
        self.problem("a tag needs a name — tag ignored", field=path, record=path)
        return False

    def check_galaxy(self, galaxy: object, path: str) -> bool:
        if not isinstance(galaxy, dict) or not isinstance(galaxy.get("type"), str):
            self.problem("a galaxy needs a type — galaxy ignored", field=f"{path}.type",
                         record=path)
            return False
        clusters = galaxy.get("GalaxyCluster")
        if not isinstance(clusters, list) or not clusters or not all(
                isinstance(c, dict) and isinstance(c.get("value"), str)
                and _is_uuid(c.get("uuid")) for c in clusters):
            self.problem("every galaxy cluster needs a value and a uuid — galaxy ignored",
                         field=f"{path}.GalaxyCluster", record=path)
            return False
        return True

    def check_attributes(self, attributes: object, path: str, owner_uuid: str,
                         in_object: bool = False) -> list[dict[str, Any]]:
        if attributes is None:
            return []
        if not isinstance(attributes, list):
            self.problem("not a list — no attribute converted", field=path, record=path)
            return []
        kept = []
        for position, attribute in enumerate(attributes):
            checked = self.check_attribute(attribute, f"{path}[{position}]", owner_uuid,
                                           in_object)
            if checked is not None:
                kept.append(checked)
        return kept

    def check_attribute(self, attribute: object, path: str, owner_uuid: str,
                        in_object: bool) -> dict[str, Any] | None:
        if not isinstance(attribute, dict):
            self.problem("not a JSON object — attribute skipped", field=path, record=path,
                         uuid_="")
            return None
        uuid_ = attribute.get("uuid")
        shown = uuid_ if isinstance(uuid_, str) else ""
        if attribute.get("deleted") in (True, 1, "1", "true"):
            self.warnings.append(f"event {self.index}, {path} (uuid {shown or 'none'}): "
                                 "deleted in MISP — skipped")
            return None
        type_ = attribute.get("type")
        if not isinstance(type_, str) or not type_.strip():
            self.problem("no attribute type — attribute skipped", f"{path}.type", path, shown)
            return None
        if type_ not in _MISP_TYPES:
            self.problem(f"unknown MISP attribute type {type_!r} — attribute skipped",
                         f"{path}.type", path, shown)
            return None
        value = attribute.get("value")
        if isinstance(value, bool) or not isinstance(value, str | int | float) \
                or (isinstance(value, str) and not value.strip()):
            reason = "no value" if value in (None, "") else f"value {value!r} is not text"
            self.problem(f"{reason} — attribute skipped", f"{path}.value", path, shown)
            return None
        if in_object:
            relation = attribute.get("object_relation")
            if not isinstance(relation, str) or not relation.strip():
                self.problem("no object_relation — attribute skipped",
                             f"{path}.object_relation", path, shown)
                return None
        attribute = self.give_uuid(attribute, path, owner_uuid, f"{type_}|{value}")
        if attribute is None:
            return None
        tags = self.check_list(attribute.get("Tag"), f"{path}.Tag", self.check_tag)
        galaxies = self.check_list(attribute.get("Galaxy"), f"{path}.Galaxy", self.check_galaxy)
        distribution = self.own_distribution(attribute, path)
        attribute = {**attribute, "Tag": tags, "Galaxy": galaxies}
        if distribution is None:
            attribute["distribution"] = _INHERIT
        self.records[attribute["uuid"]] = _Record(path, [t["name"] for t in tags], distribution)
        return attribute

    def check_objects(self, objects: object, event_uuid: str) -> list[dict[str, Any]]:
        if objects is None:
            return []
        if not isinstance(objects, list):
            self.problem("not a list — no object converted", field="Object", record="Object")
            return []
        kept = []
        for position, misp_object in enumerate(objects):
            path = f"Object[{position}]"
            if not isinstance(misp_object, dict):
                self.problem("not a JSON object — object skipped", field=path, record=path,
                             uuid_="")
                continue
            uuid_ = misp_object.get("uuid")
            shown = uuid_ if isinstance(uuid_, str) else ""
            if misp_object.get("deleted") in (True, 1, "1", "true"):
                self.warnings.append(f"event {self.index}, {path} (uuid {shown or 'none'}): "
                                     "deleted in MISP — skipped")
                continue
            name = misp_object.get("name")
            if not isinstance(name, str) or not name.strip():
                self.problem("no object name — object skipped", f"{path}.name", path, shown)
                continue
            checked = self.give_uuid(misp_object, path, event_uuid, name)
            if checked is None:
                continue
            attributes = self.check_attributes(checked.get("Attribute"), f"{path}.Attribute",
                                               checked["uuid"], in_object=True)
            if not attributes:
                self.problem("no usable attribute — object skipped", path, path,
                             checked["uuid"])
                continue
            tags = self.check_list(checked.get("Tag"), f"{path}.Tag", self.check_tag)
            distribution = self.own_distribution(checked, path)
            checked = {**checked, "Attribute": attributes, "Tag": tags}
            if distribution is None:
                checked["distribution"] = _INHERIT
            own = [distribution] + [
                self.records[a["uuid"]].distribution for a in attributes]
            self.records[checked["uuid"]] = _Record(
                path,
                [t["name"] for t in tags]
                + [tag for a in attributes for tag in self.records[a["uuid"]].tags],
                _narrowest_code(own),
            )
            kept.append(checked)
        return kept

    def give_uuid(self, record: dict[str, Any], path: str, owner_uuid: str,
                  seed: str) -> dict[str, Any] | None:
        """The record with a uuid: its own, or a stable one when it has none."""
        uuid_ = record.get("uuid")
        if uuid_ in (None, ""):
            made = uuid.uuid5(_UUID_NAMESPACE, f"{owner_uuid}|{path}|{seed}")
            return {**record, "uuid": str(made)}
        if not _is_uuid(uuid_):
            self.problem(f"{uuid_!r} is not a uuid — skipped", f"{path}.uuid", path,
                         uuid_ if isinstance(uuid_, str) else "")
            return None
        canonical = str(uuid.UUID(uuid_))
        if canonical in self.records:
            self.problem(f"uuid already used by {self.records[canonical].path} — skipped",
                         f"{path}.uuid", path, uuid_)
            return None
        return record if canonical == uuid_ else {**record, "uuid": canonical}

    def own_distribution(self, record: dict[str, Any], path: str) -> int | None:
        value = record.get("distribution")
        if value in (None, ""):
            return None
        code = _distribution_code(value)
        if code is None:
            self.problem(f"unknown distribution {value!r} — the event's applies",
                         f"{path}.distribution", path, record.get("uuid"))
            return None
        return None if code == _INHERIT else code

    # -- after misp-stix -------------------------------------------------------------------

    def report_misp_stix(self, parser: _Parser) -> set[str]:
        """Turn misp-stix's errors and warnings into problems; the uuids of dropped records."""
        dropped = set()
        for uuid_, reason, drop in parser.failures:
            self.record_problem(uuid_, f"{reason} — {'skipped' if drop else 'converted'}")
            if drop:
                dropped.add(uuid_)
        for messages in parser.errors.values():
            for message in messages:
                text = _one_line(message)
                if text.startswith("Error loading Event"):
                    self.problem(f"{text} — event skipped")
                    self.skipped = True
                else:
                    self.record_problem(_first_uuid(text, self.records), f"{text} — skipped"
                                        if "loading" in text else text)
        for messages in parser.warnings.values():
            for message in messages:
                text = _one_line(message)
                failed = _FAILED_VALIDATION.match(text)
                if failed:  # pymisp's validation (MISP's own) dropped the attribute
                    uuid_ = _first_uuid(text, self.records)
                    self.record_problem(uuid_, f"invalid {failed.group(1)} value: "
                                        f"{failed.group(2)} — attribute skipped", suffix=".value")
                else:
                    self.warnings.append(f"event {self.index}: {text}")
        return dropped

    def record_problem(self, uuid_: str | None, message: str, suffix: str = "") -> None:
        record = self.records.get(uuid_ or "")
        if record is None:
            self.problem(message)
        else:
            self.problem(message, f"{record.path}{suffix}", record.path, uuid_)

    def finish(self, event: dict[str, Any], event_uuid: str, report: dict[str, Any]) -> None:
        """Labels, TLP 2.0 markings and the event's markings."""
        tags = [t["name"].strip() for t in event.get("Tag") or []
                if isinstance(t, dict) and isinstance(t.get("name"), str) and t["name"].strip()]
        event_tlp = misp_tlp(tags)
        _add_labels(report, tags)
        for obj in self.objects:
            record = self.records.get(_uuid_of(obj["id"]))
            if record is not None and "created" in obj and obj["type"] != "marking-definition":
                _add_labels(obj, record.tags)
        _apply_tlp(self.objects, event_tlp)
        distribution = self.distribution
        self.markings = EventMarkings(
            index=self.index,
            uuid=event_uuid,
            report_id=report["id"],
            distribution=distribution,
            tlp=event_tlp,
            sharing_group_name=_sharing_group_name(event) if distribution == "communities"
            else None,
            grading=self.grading(tags),
            object_distributions=self.object_distributions(distribution),
        )

    def event_distribution(self, event: dict[str, Any]) -> str | None:
        value = event.get("distribution")
        if value in (None, ""):
            return None
        code = _distribution_code(value)
        if code is None or code == _INHERIT:
            self.problem(f"distribution {value!r} is not an event distribution (0–4) "
                         "— reported as unknown", field="distribution")
            return None
        return MISP_DISTRIBUTIONS[code]

    def object_distributions(self, event_distribution: str | None) -> dict[str, str]:
        narrower: dict[str, str] = {}
        for obj in self.objects:
            record = self.records.get(_uuid_of(obj["id"]))
            if record is None or record.distribution is None:
                continue
            own = MISP_DISTRIBUTIONS[record.distribution]
            if _most_restrictive((own, event_distribution), _DISTRIBUTION_ORDER) != \
                    event_distribution:
                narrower[obj["id"]] = own
        for obj in self.objects:
            if obj["type"] in ("relationship", "sighting"):
                ends = [narrower[ref] for ref in _refs(obj) if ref in narrower]
                if ends:
                    narrower[obj["id"]] = _most_restrictive(ends, _DISTRIBUTION_ORDER)
        return narrower

    def grading(self, tags: list[str]) -> Grading | None:
        values: dict[str, list[str]] = {"source-reliability": [], "information-credibility": []}
        for tag in tags:
            match = _ADMIRALTY_TAG.match(tag)
            if match is None:
                continue
            kind, value = match.group(1).lower(), match.group(2).strip().upper()
            allowed = _ADMIRALTY_SOURCE if kind == "source-reliability" \
                else _ADMIRALTY_INFORMATION
            if value not in allowed:
                self.problem(f"{tag!r} is not an Admiralty grade — ignored", field="Tag")
                continue
            values[kind].append(value)
        # Two different grades of one kind: the least reliable / credible one.
        source = max(values["source-reliability"], default=None)
        information = max(values["information-credibility"], default=None)
        if source is None and information is None:
            return None
        return Grading(source=source, information=information)


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def _is_uuid(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _uuid_of(stix_id: str) -> str:
    return stix_id.split("--", 1)[-1]


def _first_uuid(text: str, records: dict[str, _Record]) -> str | None:
    """The first uuid in a message naming a known record (the innermost one comes first)."""
    for found in _UUID_RE.findall(text):
        if found in records:
            return found
    return None


def _one_line(message: str) -> str:
    text = ""
    for line in (line.strip() for line in str(message).splitlines()):
        if line:
            text += line if not text else (f" {line}" if text.endswith(":") else f"; {line}")
    return text


def _distribution_code(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, int) and (value in MISP_DISTRIBUTIONS or value == _INHERIT):
        return value
    return None


def _narrowest_code(codes: Iterable[int | None]) -> int | None:
    known = [c for c in codes if c is not None]
    if not known:
        return None
    narrowest = _most_restrictive((MISP_DISTRIBUTIONS[c] for c in known), _DISTRIBUTION_ORDER)
    return next(c for c in known if MISP_DISTRIBUTIONS[c] == narrowest)


def _sharing_group_name(event: dict[str, Any]) -> str | None:
    group = event.get("SharingGroup")
    name = group.get("name") if isinstance(group, dict) else None
    return name.strip() if isinstance(name, str) and name.strip() else None


def _most_restrictive(values: Iterable[str | None], order: tuple[str, ...]) -> str | None:
    """The value among ``values`` that comes last in ``order`` (TLP) or first (distribution).

    TLP is ordered least to most restrictive, distribution narrowest first.
    """
    known = [v for v in values if v in order]
    if not known:
        return None
    if order is TLP_ORDER:
        return max(known, key=order.index)
    return min(known, key=order.index)


def _refs(obj: dict[str, Any]) -> Iterator[str]:
    """The ids an object refers to (not its creator nor its markings)."""
    for key, value in obj.items():
        if key in _REF_FIELDS_SKIPPED:
            continue
        if key.endswith("_ref") and isinstance(value, str):
            yield value
        elif key.endswith("_refs") and isinstance(value, list):
            yield from (v for v in value if isinstance(v, str))


def _add_labels(obj: dict[str, Any], tags: Iterable[str]) -> None:
    """Add the non-TLP tags missing from the object's labels, in order."""
    labels = list(obj.get("labels") or [])
    seen = set(labels)
    for tag in tags:
        if tag not in seen and tag.strip().lower() not in _TLP_TAGS:
            labels.append(tag)
            seen.add(tag)
    if labels:
        obj["labels"] = labels


def _drop(objects: list[dict[str, Any]], uuids: set[str]) -> list[dict[str, Any]]:
    """Without the objects built from the dropped records and what refers to them."""
    if not uuids:
        return objects
    gone = {o["id"] for o in objects if _uuid_of(o["id"]) in uuids}
    gone |= {o["id"] for o in objects if o["type"] in ("relationship", "sighting")
             and any(ref in gone for ref in _refs(o))}
    kept = [o for o in objects if o["id"] not in gone]
    for obj in kept:  # the report, notes, opinions…
        if isinstance(obj.get("object_refs"), list):
            obj["object_refs"] = [ref for ref in obj["object_refs"] if ref not in gone]
    return kept


def _tlp_of(obj: dict[str, Any]) -> str | None:
    return _most_restrictive(
        (_TLP_BY_MARKING_ID.get(ref) for ref in obj.get("object_marking_refs") or []),
        TLP_ORDER)


def _apply_tlp(objects: list[dict[str, Any]], event_tlp: str | None) -> None:
    """Give every object its TLP 2.0 marking and drop misp-stix's TLP marking definitions.

    An object's own TLP (from its tags) wins; an observable takes the observed-data's that
    holds it; a relationship or sighting the most restrictive of what it links; anything
    else the event's.
    """
    objects[:] = [o for o in objects if not (o["type"] == "marking-definition"
                                             and o["id"] in _TLP_BY_MARKING_ID)]
    final: dict[str, str | None] = {}
    holders: dict[str, list[str]] = {}
    for obj in objects:
        if obj["type"] == "observed-data":
            for ref in obj.get("object_refs") or []:
                holders.setdefault(ref, []).append(obj["id"])
    sdos = [o for o in objects if "created" in o and o["type"] not in ("relationship",
                                                                        "sighting")]
    observables = [o for o in objects if "created" not in o]
    links = [o for o in objects if o["type"] in ("relationship", "sighting")]
    for obj in sdos:
        final[obj["id"]] = _tlp_of(obj) or event_tlp
    for obj in observables:
        final[obj["id"]] = _tlp_of(obj) or _most_restrictive(
            (final.get(h) for h in holders.get(obj["id"], [])), TLP_ORDER) or event_tlp
    for obj in links:
        final[obj["id"]] = _tlp_of(obj) or _most_restrictive(
            (final.get(ref) for ref in _refs(obj)), TLP_ORDER) or event_tlp
    for obj in objects:
        if obj["type"] == "marking-definition":
            continue
        _set_tlp(obj, final.get(obj["id"]))


def _set_tlp(obj: dict[str, Any], tlp: str | None) -> None:
    others = [r for r in obj.get("object_marking_refs") or [] if r not in _TLP_BY_MARKING_ID]
    refs = ([TLP_MARKING_IDS[tlp]] if tlp else []) + others
    if refs:
        obj["object_marking_refs"] = refs
    else:
        obj.pop("object_marking_refs", None)


def _merge_object(merged: dict[str, dict[str, Any]], obj: dict[str, Any]) -> None:
    """Keep one object per id: the first, with the more restrictive TLP and all labels."""
    first = merged.get(obj["id"])
    if first is None:
        merged[obj["id"]] = obj
        return
    tlp = _most_restrictive((_tlp_of(first), _tlp_of(obj)), TLP_ORDER)
    others = [r for r in obj.get("object_marking_refs") or []
              if r not in _TLP_BY_MARKING_ID and r not in (first.get("object_marking_refs")
                                                            or [])]
    if others:
        first["object_marking_refs"] = list(first.get("object_marking_refs") or []) + others
    if first["type"] != "marking-definition":
        _set_tlp(first, tlp)
    if obj.get("labels"):
        _add_labels(first, obj["labels"])
