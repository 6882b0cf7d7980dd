"""STIX 2.1 validation, patterns, STIX 2.0 upgrade, bundles and TLP (vaka.intel.parsing.stix).

Pure: no database. The central property: for every object of the corpus, the fast path
and the library path (stix2 + stix2-patterns + house rules) give the same verdict.
"""

import copy
import io
import json
import re

import pytest
import stix2
import stix2.hashes
import stix2.registry
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stix2patterns.v21 import object_validator
from stix2patterns.v21.pattern import Pattern
from stix2patterns.validator import run_validator
from stix2validator import validate_instance

from vaka.intel.parsing import stix as stix_module
from vaka.intel.parsing.errors import InputError
from vaka.intel.parsing.stix import (
    FAST_TYPES,
    Comparison,
    is_stix20_bundle,
    iter_bundle,
    parse_pattern,
    read_bundle,
    upgrade_20,
    validate,
)
from vaka.intel.parsing.stix_markings import (
    TLP1_MARKING_IDS,
    TLP2_MARKING_IDS,
    marking_tlp,
    tlp_marking_definition,
    tlp_marking_id,
)

SETTINGS = settings(max_examples=300, deadline=None, database=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])

IDENTITY_ID = "identity--7d4ee0f4-5e3a-4b7c-9f0e-2c1d3b4a5e6f"
MALWARE_ID = "malware--0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"
GREEN = TLP2_MARKING_IDS["green"]
MD5 = "d41d8cd98f00b204e9800998ecf8427e"
SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
T0 = "2024-01-02T03:04:05.678Z"
T1 = "2024-03-04T05:06:07Z"


def _indicator(pattern="[ipv4-addr:value = '203.0.113.7']", **extra):
    return {
        "type": "indicator", "spec_version": "2.1",
        "id": "indicator--3f6b1c2e-9a4d-4e8f-b7a1-0c2d3e4f5a6b",
        "created": T0, "modified": T0, "name": "C2 server", "pattern": pattern,
        "pattern_type": "stix", "valid_from": T0, "labels": ["malicious-activity"],
        "confidence": 80, "created_by_ref": IDENTITY_ID, "object_marking_refs": [GREEN],
        **extra,
    }


BASES = {
    "indicator": _indicator(),
    "indicator_hash": _indicator(f"[file:hashes.'SHA-256' = '{SHA256}' OR file:hashes.MD5 = "
                                 f"'{MD5}']"),
    "indicator_email": _indicator("[email-message:from_ref.value = 'a\\'b@example.org'] AND "
                                  "[network-traffic:dst_ref.value = '198.51.100.1']",
                                  valid_until=T1, indicator_types=["malicious-activity"]),
    "indicator_rich": _indicator(
        "[(url:value = 'http://x.example/' OR domain-name:value = 'x.example')]",
        kill_chain_phases=[{"kill_chain_name": "lockheed-martin-cyber-kill-chain",
                            "phase_name": "delivery"}],
        external_references=[{"source_name": "vaka", "url": "https://vaka.example/1"}],
        x_vaka_case="2024/17", revoked=False, lang="en", description="seen in case 17"),
    "identity": {
        "type": "identity", "spec_version": "2.1", "id": IDENTITY_ID, "created": T0,
        "modified": T1, "name": "Cybercrime Unit", "identity_class": "organization",
        "sectors": ["government"], "object_marking_refs": [GREEN],
    },
    "relationship": {
        "type": "relationship", "spec_version": "2.1",
        "id": "relationship--1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", "created": T0,
        "modified": T0, "relationship_type": "indicates",
        "source_ref": "indicator--3f6b1c2e-9a4d-4e8f-b7a1-0c2d3e4f5a6b",
        "target_ref": MALWARE_ID, "created_by_ref": IDENTITY_ID, "confidence": 50,
    },
    "tlp1_green": json.loads(stix2.TLP_GREEN.serialize()),
    "tlp2_amber_strict": tlp_marking_definition("amber+strict"),
    "tlp2_clear": tlp_marking_definition("clear"),
    "ipv4": {"type": "ipv4-addr", "id": "ipv4-addr--4cd605e7-afa2-5360-b5b9-c5e9fb5c76f4",
             "value": "203.0.113.7"},
    "ipv6": {"type": "ipv6-addr", "spec_version": "2.1",
             "id": "ipv6-addr--5cd605e7-afa2-5360-b5b9-c5e9fb5c76f4", "value": "2001:db8::1"},
    "domain": {"type": "domain-name", "id": "domain-name--6cd605e7-afa2-5360-b5b9-c5e9fb5c76f4",
               "value": "evil.example", "object_marking_refs": [GREEN]},
    "url": {"type": "url", "id": "url--7cd605e7-afa2-5360-b5b9-c5e9fb5c76f4",
            "value": "http://evil.example/x", "defanged": False},
    "email": {"type": "email-addr", "id": "email-addr--8cd605e7-afa2-5360-b5b9-c5e9fb5c76f4",
              "value": "boss@evil.example", "display_name": "The Boss"},
    "file": {"type": "file", "spec_version": "2.1",
             "id": "file--9cd605e7-afa2-5360-b5b9-c5e9fb5c76f4",
             "hashes": {"MD5": MD5, "SHA-256": SHA256}, "name": "invoice.exe", "size": 1024},
    "malware": {"type": "malware", "spec_version": "2.1", "id": MALWARE_ID, "created": T0,
                "modified": T0, "name": "Emotet", "is_family": True},
    "custom": {"type": "x-vaka-case", "spec_version": "2.1",
               "id": "x-vaka-case--2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e", "created": T0,
               "modified": T0, "case_number": 17},
}
SDOS = {"indicator", "indicator_hash", "indicator_email", "indicator_rich", "identity",
        "relationship", "malware", "custom"}
INDICATORS = {name for name in BASES if name.startswith("indicator")}
MARKINGS = {"tlp1_green", "tlp2_amber_strict", "tlp2_clear"}
SCOS = {"ipv4", "ipv6", "domain", "url", "email", "file"}


def _put(key, value):
    return lambda obj: {**obj, key: value}


def _drop(key):
    return lambda obj: {k: v for k, v in obj.items() if k != key}


def _id(uuid_part):
    return lambda obj: {**obj, "id": f"{obj['type']}--{uuid_part}"}


# (name, mutation, the base objects it applies to)
ALL = set(BASES)
MUTATIONS = [
    ("unchanged", lambda obj: obj, ALL),
    ("no_id", _drop("id"), ALL),
    ("id_other_type", _put("id", "campaign--1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"), ALL),
    ("id_braces", _id("{1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d}"), ALL),
    ("id_no_hyphens", _id("1a2b3c4d5e6f4a7b8c9d0e1f2a3b4c5d"), ALL),
    ("id_ncs_variant", _id("1a2b3c4d-5e6f-4a7b-7c9d-0e1f2a3b4c5d"), ALL),
    ("id_uuid5", _id("4cd605e7-afa2-5360-b5b9-c5e9fb5c76f4"), ALL),
    ("id_uuid1_upper", _id("C7098586-E7C5-11F1-8D37-02FC00000001"), ALL),
    ("id_newline", _id("1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d\n"), ALL),
    ("id_number", _put("id", 17), ALL),
    ("no_spec_version", _drop("spec_version"), ALL),
    ("spec_version_20", _put("spec_version", "2.0"), ALL),
    ("spec_version_number", _put("spec_version", 2.1), ALL),
    ("unknown_property", _put("foo", "bar"), ALL),
    ("unknown_property_null", _put("Foo", None), ALL),
    ("custom_property", _put("x_vaka_score", 7), ALL),
    ("custom_property_upper", _put("x_Vaka", 7), ALL),
    ("custom_property_hyphen", _put("x_vaka-score", 7), ALL),
    ("custom_property_prefixless", _put("vaka_score", 7), ALL),
    ("custom_property_long", _put("x_" + "a" * 249, 1), ALL),
    ("marking_refs_tlp1", _put("object_marking_refs", [TLP1_MARKING_IDS["red"]]), ALL),
    ("marking_refs_wrong_type", _put("object_marking_refs", [IDENTITY_ID]), ALL),
    ("marking_refs_string", _put("object_marking_refs", GREEN), ALL),
    ("marking_refs_empty", _put("object_marking_refs", []), ALL),
    ("marking_refs_null_item", _put("object_marking_refs", [None]), ALL),
    ("granular_marking", _put("granular_markings", [{"marking_ref": GREEN,
                                                     "selectors": ["type"]}]), ALL),
    ("granular_marking_bad", _put("granular_markings", [{"marking_ref": GREEN}]), ALL),
    ("extension_definition", _put("extensions", {
        "extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e": {
            "extension_type": "property-extension", "rank": 1}}), ALL),
    ("toplevel_extension", lambda obj: {**obj, "rank": 1, "extensions": {
        "extension-definition--a932fcc6-e032-476c-826f-cb970a5a1ade": {
            "extension_type": "toplevel-property-extension"}}}, ALL),
    ("created_by_ref_ok", _put("created_by_ref", IDENTITY_ID), ALL),
    ("created_by_ref_wrong_type", _put("created_by_ref", MALWARE_ID), ALL),
    ("created_by_ref_bad_uuid", _put("created_by_ref", "identity--1234"), ALL),
    ("no_created", _drop("created"), ALL),
    ("no_modified", _drop("modified"), ALL),
    ("created_space", _put("created", "2024-01-02 03:04:05Z"), ALL),
    ("created_short_fields", _put("created", "2024-1-2T3:4:5Z"), ALL),
    ("created_offset", _put("created", "2024-01-02T03:04:05+00:00"), ALL),
    ("created_lowercase", _put("created", "2024-01-02t03:04:05z"), ALL),
    ("created_7_digits", _put("created", "2024-01-02T03:04:05.1234567Z"), ALL),
    ("created_6_digits", _put("created", "2024-01-02T03:04:05.123456Z"), ALL),
    ("created_feb_30", _put("created", "2024-02-30T00:00:00Z"), ALL),
    ("created_hour_24", _put("created", "2024-01-02T24:00:00Z"), ALL),
    ("created_number", _put("created", 1700000000), ALL),
    ("created_arabic_digits", _put("created", "٢٠٢٤-01-02T03:04:05Z"), ALL),
    ("modified_before_created", _put("modified", "2023-12-31T23:59:59.999Z"), ALL),
    ("modified_microsecond_later", _put("modified", "2024-01-02T03:04:05.678001Z"), ALL),
    ("modified_same_instant", _put("modified", "2024-01-02T03:04:05.678000Z"), ALL),
    ("labels_string", _put("labels", "malicious-activity"), ALL),
    ("labels_number_item", _put("labels", [1]), ALL),
    ("labels_empty", _put("labels", []), ALL),
    ("labels_null", _put("labels", None), ALL),
    ("confidence_negative", _put("confidence", -1), ALL),
    ("confidence_101", _put("confidence", 101), ALL),
    ("confidence_zero", _put("confidence", 0), ALL),
    ("confidence_string", _put("confidence", "50"), ALL),
    ("confidence_float", _put("confidence", 50.0), ALL),
    ("confidence_bool", _put("confidence", True), ALL),
    ("revoked_string", _put("revoked", "false"), ALL),
    ("revoked_true", _put("revoked", True), ALL),
    ("lang_number", _put("lang", 5), ALL),
    ("external_ref_ok", _put("external_references", [{"source_name": "cve",
                                                      "external_id": "CVE-2024-1"}]), ALL),
    ("external_ref_no_detail", _put("external_references", [{"source_name": "x"}]), ALL),
    ("external_ref_no_source", _put("external_references", [{"url": "https://x"}]), ALL),
    ("external_ref_string", _put("external_references", ["https://x"]), ALL),
    ("external_ref_unknown", _put("external_references",
                                  [{"source_name": "x", "url": "u", "foo": 1}]), ALL),
    ("external_ref_custom", _put("external_references",
                                 [{"source_name": "x", "url": "u", "x_note": 1}]), ALL),
    ("external_ref_null_url", _put("external_references",
                                   [{"source_name": "x", "url": None, "external_id": "1"}]), ALL),
    ("external_ref_hashes", _put("external_references",
                                 [{"source_name": "x", "url": "u", "hashes": {"MD5": MD5}}]), ALL),
    ("external_ref_bad_hash", _put("external_references",
                                   [{"source_name": "x", "url": "u", "hashes": {"MD5": "x"}}]),
     ALL),
    ("external_ref_odd_hash_name", _put("external_references",
                                        [{"source_name": "x", "url": "u",
                                          "hashes": {"SHA-224": "ab" * 28}}]), ALL),
    ("name_number", _put("name", 17), ALL),
    ("description_list", _put("description", ["a"]), ALL),
    ("value_number", _put("value", 17), ALL),
    ("defanged_string", _put("defanged", "yes"), ALL),
    ("defanged_true", _put("defanged", True), ALL),
    # Indicators
    ("no_pattern", _drop("pattern"), INDICATORS),
    ("no_pattern_type", _drop("pattern_type"), INDICATORS),
    ("no_valid_from", _drop("valid_from"), INDICATORS),
    ("valid_until_equal", lambda o: {**o, "valid_until": o["valid_from"]}, INDICATORS),
    ("valid_until_before", _put("valid_until", "2020-01-01T00:00:00Z"), INDICATORS),
    ("valid_until_after", _put("valid_until", T1), INDICATORS),
    ("pattern_unbalanced", _put("pattern", "[ipv4-addr:value = '1.2.3.4'"), INDICATORS),
    ("pattern_integer", _put("pattern", "[ipv4-addr:value = 1]"), INDICATORS),
    ("pattern_no_brackets", _put("pattern", "ipv4-addr:value = 'x'"), INDICATORS),
    ("pattern_not_equal", _put("pattern", "[ipv4-addr:value != '1.2.3.4']"), INDICATORS),
    ("pattern_matches", _put("pattern", "[url:value MATCHES '^http']"), INDICATORS),
    ("pattern_within", _put("pattern", "[ipv4-addr:value = '1.2.3.4'] WITHIN 60 SECONDS"),
     INDICATORS),
    ("pattern_followedby", _put("pattern", "[a:b = 'x'] FOLLOWEDBY [c:d = 'y']"), INDICATORS),
    ("pattern_lowercase_and", _put("pattern", "[a:b = 'x' and a:b = 'y']"), INDICATORS),
    ("pattern_empty_brackets", _put("pattern", "[]"), INDICATORS),
    ("pattern_comment", _put("pattern", "[a:b = 'x'] /* note */"), INDICATORS),
    ("pattern_bad_md5", _put("pattern", "[file:hashes.MD5 = 'abc']"), INDICATORS),
    ("pattern_md5_newline", _put("pattern", f"[file:hashes.MD5 = '{MD5}\n']"), INDICATORS),
    ("pattern_bad_escape", _put("pattern", "[a:b = 'x\\n']"), INDICATORS),
    ("pattern_keyword_path", _put("pattern", "[file:hashes.AND = 'x']"), INDICATORS),
    ("pattern_number", _put("pattern", 17), INDICATORS),
    ("pattern_type_sigma", lambda o: {**o, "pattern_type": "sigma", "pattern": "title: x"},
     INDICATORS),
    ("pattern_type_upper", lambda o: {**o, "pattern_type": "STIX", "pattern": "nonsense"},
     INDICATORS),
    ("pattern_version_20", _put("pattern_version", "2.0"), INDICATORS),
    ("pattern_version_21", _put("pattern_version", "2.1"), INDICATORS),
    ("pattern_21_only_syntax", lambda o: {
        **o, "pattern_version": "2.0",
        "pattern": "[a:b = 'x'] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'"},
     INDICATORS),
    ("indicator_types_string", _put("indicator_types", "malicious-activity"), INDICATORS),
    ("kill_chain_ok", _put("kill_chain_phases", [{"kill_chain_name": "k", "phase_name": "p"}]),
     INDICATORS),
    ("kill_chain_no_phase", _put("kill_chain_phases", [{"kill_chain_name": "k"}]), INDICATORS),
    ("kill_chain_unknown", _put("kill_chain_phases",
                                [{"kill_chain_name": "k", "phase_name": "p", "x": 1}]),
     INDICATORS),
    ("stix20_indicator", lambda o: {k: v for k, v in o.items()
                                    if k not in ("spec_version", "pattern_type")}, INDICATORS),
    # Identity and relationship
    ("identity_no_name", _drop("name"), {"identity"}),
    ("identity_sectors_string", _put("sectors", "government"), {"identity"}),
    ("identity_roles", _put("roles", ["analyst"]), {"identity"}),
    ("rel_no_type", _drop("relationship_type"), {"relationship"}),
    ("rel_no_source", _drop("source_ref"), {"relationship"}),
    ("rel_source_marking", _put("source_ref", GREEN), {"relationship"}),
    ("rel_target_relationship", lambda o: {**o, "target_ref": o["id"]}, {"relationship"}),
    ("rel_target_custom", _put("target_ref", "x-vaka-case--2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e"),
     {"relationship"}),
    ("rel_target_short_type", _put("target_ref", "ab--2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e"),
     {"relationship"}),
    ("rel_target_double_hyphen", _put("target_ref",
                                      "x--y--2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e"),
     {"relationship"}),
    ("rel_times_ok", lambda o: {**o, "start_time": T0, "stop_time": T1}, {"relationship"}),
    ("rel_times_equal", lambda o: {**o, "start_time": T0, "stop_time": T0}, {"relationship"}),
    # Markings
    ("tlp_other_level", lambda o: {**o, "extensions": {
        stix_module.TLP2_EXTENSION_ID: {"extension_type": "property-extension",
                                        "tlp_2_0": "red"}}}, MARKINGS),
    ("tlp_created_2023", _put("created", "2023-01-01T00:00:00.000Z"), MARKINGS),
    ("tlp_created_no_fraction", lambda o: {**o, "created": o["created"].replace(".000", "")},
     MARKINGS),
    ("tlp_with_modified", _put("modified", T0), MARKINGS),
    ("tlp_statement", lambda o: {**o, "definition_type": "statement",
                                 "definition": {"statement": "Copyright Vaka"}}, MARKINGS),
    ("tlp_random_id", _put("id", "marking-definition--2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e"),
     MARKINGS),
    ("tlp1_purple", lambda o: {**o, "definition": {"tlp": "purple"}}, {"tlp1_green"}),
    ("tlp1_extra_definition", lambda o: {**o, "definition": {"tlp": "green", "x": 1}},
     {"tlp1_green"}),
    ("tlp1_red_id", _put("id", TLP1_MARKING_IDS["red"]), {"tlp1_green"}),
    ("tlp2_extra_extension", lambda o: {**o, "extensions": {
        **o["extensions"], "extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e": {
            "extension_type": "property-extension"}}}, MARKINGS - {"tlp1_green"}),
    ("statement_marking", lambda o: {
        "type": "marking-definition", "spec_version": "2.1",
        "id": "marking-definition--2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e", "created": T0,
        "definition_type": "statement", "definition": {"statement": "Copyright Vaka"}},
     {"tlp1_green"}),
    # Observables
    ("sco_no_value", _drop("value"), SCOS),
    ("ipv4_resolves_mac", _put("resolves_to_refs", ["mac-addr--4cd605e7-afa2-5360-b5b9-"
                                                    "c5e9fb5c76f4"]), {"ipv4", "ipv6"}),
    ("ipv4_resolves_domain", _put("resolves_to_refs", ["domain-name--4cd605e7-afa2-5360-b5b9-"
                                                       "c5e9fb5c76f4"]), {"ipv4", "ipv6"}),
    ("domain_resolves_ipv4", _put("resolves_to_refs", [BASES["ipv4"]["id"]]), {"domain"}),
    ("domain_resolves_url", _put("resolves_to_refs", [BASES["url"]["id"]]), {"domain"}),
    ("email_belongs_user", _put("belongs_to_ref", "user-account--4cd605e7-afa2-5360-b5b9-"
                                                  "c5e9fb5c76f4"), {"email"}),
    ("email_belongs_identity", _put("belongs_to_ref", IDENTITY_ID), {"email"}),
    ("hash_bad_md5", _put("hashes", {"MD5": MD5[:-1]}), {"file"}),
    ("hash_md5_newline", _put("hashes", {"MD5": MD5 + "\n"}), {"file"}),
    ("hash_lowercase_name", _put("hashes", {"md5": MD5, "sha256": SHA256}), {"file"}),
    ("hash_upper_hex", _put("hashes", {"SHA-256": SHA256.upper()}), {"file"}),
    ("hash_custom_algorithm", _put("hashes", {"x-vaka-fuzzy": "anything at all"}), {"file"}),
    ("hash_sha224", _put("hashes", {"SHA-224": "ab" * 28}), {"file"}),
    ("hash_tlsh_t1", _put("hashes", {"TLSH": "T1" + "a" * 70}), {"file"}),
    ("hash_tlsh", _put("hashes", {"TLSH": "a" * 70}), {"file"}),
    ("hash_ssdeep", _put("hashes", {"SSDEEP": "96:abc+/:def"}), {"file"}),
    ("hash_md6_prefix", _put("hashes", {"MD6": "a" * 33}), {"file"}),
    ("hash_value_number", _put("hashes", {"MD5": 12}), {"file"}),
    ("hash_empty", _put("hashes", {}), {"file"}),
    ("hash_key_space", _put("hashes", {"SHA 256": SHA256}), {"file"}),
    ("hash_key_newline", _put("hashes", {"MD5\n": MD5}), {"file"}),
    ("file_name_only", _drop("hashes"), {"file"}),
    ("file_nothing", lambda o: {k: v for k, v in o.items() if k not in ("hashes", "name")},
     {"file"}),
    ("file_size_negative", _put("size", -1), {"file"}),
    ("file_size_string", _put("size", "10"), {"file"}),
    ("file_magic_odd", _put("magic_number_hex", "abc"), {"file"}),
    ("file_mtime", _put("mtime", T1), {"file"}),
    ("file_parent", _put("parent_directory_ref", "directory--4cd605e7-afa2-5360-b5b9-"
                                                 "c5e9fb5c76f4"), {"file"}),
    # Others
    ("malware_no_is_family", _drop("is_family"), {"malware"}),
    ("custom_bad_type", _put("type", "X-Vaka"), {"custom"}),
    ("not_a_bundle", lambda o: {"type": "bundle", "id": "bundle--2b3c4d5e-6f7a-4b8c-9d0e-"
                                                        "1f2a3b4c5d6e", "objects": []},
     {"custom"}),
    ("no_type", _drop("type"), ALL),
]

CORPUS = [
    pytest.param(mutate(copy.deepcopy(BASES[base])), id=f"{base}-{name}")
    for name, mutate, bases in MUTATIONS
    for base in sorted(bases)
]


def _verdict(obj, force_library):
    try:
        validate(copy.deepcopy(obj), force_library=force_library)
    except InputError:
        return "rejected"
    return "accepted"


def _path(obj):
    try:
        return validate(copy.deepcopy(obj))
    except InputError:
        return "rejected"


# --- fast path and library path agree ----------------------------------------------------


def test_corpus_is_large_enough():
    assert len(CORPUS) >= 150


@pytest.mark.parametrize("obj", CORPUS)
def test_fast_and_library_paths_agree(obj):
    assert _verdict(obj, force_library=False) == _verdict(obj, force_library=True)


def test_corpus_exercises_both_paths_and_rejections():
    outcomes = [_path(param.values[0]) for param in CORPUS]
    assert outcomes.count("fast") >= 100
    assert outcomes.count("library") >= 50
    rejected = [param.values[0] for param in CORPUS if _path(param.values[0]) == "rejected"]
    assert len(rejected) >= 150


@pytest.mark.parametrize("name", sorted(BASES))
def test_base_objects_are_valid(name):
    assert _verdict(BASES[name], force_library=False) == "accepted"


@pytest.mark.parametrize("name", sorted(set(BASES) - {"malware", "custom"}))
def test_fast_path_takes_the_common_shapes(name):
    assert validate(copy.deepcopy(BASES[name])) == "fast"


def test_validate_does_not_modify_the_object():
    obj = copy.deepcopy(BASES["indicator_rich"])
    validate(obj)
    validate(obj, force_library=True)
    assert obj == BASES["indicator_rich"]


@pytest.mark.parametrize("object_type", sorted(FAST_TYPES))
def test_fast_path_knows_every_property_stix2_defines(object_type):
    spec = stix_module._FAST[object_type]
    cls = stix2.registry.class_for_type(object_type, "2.1", "objects") or \
        stix2.registry.class_for_type(object_type, "2.1", "observables")
    assert set(spec.checks) | spec.decline_if_present == set(cls._properties)


def test_hash_formats_cover_the_algorithms_stix2_knows():
    assert set(stix_module._HASH_VALUES) == {alg.name for alg in stix2.hashes.Hash}


def test_pattern_hash_formats_cover_what_stix2_patterns_checks():
    assert set(stix_module._PATTERN_HASHES) == set(object_validator.HASHES_REGEX)


_VALUES = {
    "id": [None, "indicator--3f6b1c2e-9a4d-4e8f-b7a1-0c2d3e4f5a6b", "indicator--3f6b",
           "identity--3f6b1c2e-9a4d-4e8f-b7a1-0c2d3e4f5a6b"],
    "spec_version": [None, "2.1", "2.0", 2.1],
    "created": [None, T0, T1, "2024-01-02", "2024-01-02T03:04:05.1234567Z", 5],
    "modified": [None, T0, T1, "2023-01-01T00:00:00Z", "2024-13-01T00:00:00Z"],
    "valid_from": [None, T0, T1, "yesterday"],
    "valid_until": [None, T1, T0, "2099-12-31T23:59:59.999999Z"],
    "pattern": [None, "[ipv4-addr:value = '1.2.3.4']", "[ipv4-addr:value = '1.2.3.4'",
                "[a:b = 'x'] OR [c:d.'e' = 'y\\'z']", f"[file:hashes.MD5 = '{MD5}']",
                "[file:hashes.MD5 = 'xyz']", "[a:b > 5]", "[a:b = 'x'] REPEATS 2 TIMES", 5],
    "pattern_type": [None, "stix", "yara", 5],
    "pattern_version": [None, "2.1", "2.0", "9"],
    "confidence": [None, 0, 100, 101, -5, "7", 7.5, False],
    "labels": [None, [], ["a"], "a", [None], ["a", 5]],
    "object_marking_refs": [None, [GREEN], [IDENTITY_ID], GREEN],
    "created_by_ref": [None, IDENTITY_ID, GREEN, "identity--x"],
    "revoked": [None, True, "true"],
    "name": [None, "x", 5],
    "x_vaka": [None, 1, {"a": [1]}],
    "vaka": [None, 1],
    "kill_chain_phases": [None, [{"kill_chain_name": "k", "phase_name": "p"}], [{}], "k"],
}


@st.composite
def _indicators(draw):
    obj = {"type": "indicator"}
    for key, values in _VALUES.items():
        value = draw(st.sampled_from(values))
        if value is not None or draw(st.booleans()):
            obj[key] = value
    return obj


@SETTINGS
@given(_indicators())
def test_fast_and_library_paths_agree_on_generated_indicators(obj):
    assert _verdict(obj, force_library=False) == _verdict(obj, force_library=True)


# --- focused behaviours ------------------------------------------------------------------


def _rejects(obj):
    with pytest.raises(InputError) as caught:
        validate(obj)
    return caught.value.problems[0]


def test_a_wrong_id_is_rejected_with_its_field():
    assert _rejects({**BASES["indicator"], "id": "indicator--1234"}).field == "id"


def test_a_timestamp_with_an_offset_is_rejected():
    assert _rejects({**BASES["indicator"], "created": "2024-01-02T03:04:05+00:00"}).field == \
        "created"


def test_modified_before_created_is_rejected():
    problem = _rejects({**BASES["identity"], "modified": "2020-01-01T00:00:00Z"})
    assert problem.field == "modified"


def test_a_bad_md5_is_rejected():
    assert "MD5" in _rejects({**BASES["file"], "hashes": {"MD5": "abc"}}).field


def test_a_missing_pattern_is_rejected():
    assert _rejects(_drop("pattern")(BASES["indicator"])).field == "pattern"


def test_an_unknown_property_is_rejected():
    assert _rejects({**BASES["url"], "colour": "red"}).field == "colour"


def test_an_x_custom_property_is_accepted():
    assert validate({**BASES["url"], "x_vaka_colour": "red"}) == "fast"


def test_a_confidence_over_100_is_rejected():
    assert _rejects({**BASES["indicator"], "confidence": 101}).field == "confidence"


def test_an_unbalanced_pattern_is_rejected_by_the_library_path():
    problem = _rejects({**BASES["indicator"], "pattern": "[ipv4-addr:value = '1.2.3.4'"})
    assert problem.field == "pattern"


def test_a_pattern_without_brackets_is_rejected():
    assert _rejects({**BASES["indicator"], "pattern": "ipv4-addr:value = 'x'"}).field == \
        "pattern"


def test_an_integer_constant_is_valid_stix_so_the_library_path_accepts_it():
    assert validate({**BASES["indicator"], "pattern": "[ipv4-addr:value = 1]"}) == "library"


def test_a_stix20_indicator_is_rejected_until_upgraded():
    old = {k: v for k, v in BASES["indicator"].items() if k not in ("spec_version",
                                                                     "pattern_type")}
    assert _rejects(old).field == "spec_version"
    assert validate(upgrade_20(old)) == "fast"


def test_a_bundle_is_not_an_object():
    assert _rejects({"type": "bundle", "objects": []}).field == "type"


def test_a_non_dict_is_rejected():
    with pytest.raises(InputError):
        validate(["indicator"])


def test_a_custom_object_type_is_accepted_by_the_library_path():
    assert validate(BASES["custom"]) == "library"


def test_a_custom_object_with_a_bad_confidence_is_rejected():
    assert _rejects({**BASES["custom"], "confidence": 200}).field == "confidence"


def test_scos_may_omit_spec_version():
    assert "spec_version" not in BASES["ipv4"]
    assert validate(BASES["ipv4"]) == "fast"


def test_sdos_must_have_spec_version():
    assert _rejects(_drop("spec_version")(BASES["identity"])).field == "spec_version"


# --- patterns ----------------------------------------------------------------------------

SIMPLE_PATTERNS = [
    "[ipv4-addr:value = '203.0.113.7']",
    "[ipv4-addr:value='203.0.113.7']",
    "  [ ipv4-addr : value   =\t'203.0.113.7' ]\n",
    f"[file:hashes.'SHA-256' = '{SHA256}']",
    f"[file:hashes.MD5 = '{MD5}']",
    f"[file:hashes.md5 = '{MD5.upper()}']",
    "[email-message:from_ref.value = 'boss@evil.example']",
    "[network-traffic:dst_ref.value = '198.51.100.1']",
    "[url:value = 'http://x/?a=\\'1\\'&b=\\\\']",
    "[domain-name:value = 'a.example' OR domain-name:value = 'b.example']",
    "[file:name = 'a.exe' AND file:size_text = '12']",
    "[(ipv4-addr:value = '1.1.1.1' OR ipv4-addr:value = '2.2.2.2') AND ipv4-addr:value = 'x']",
    "[ipv4-addr:value = 'x'] OR [domain-name:value = 'y']",
    "[ipv4-addr:value = 'x'] AND [domain-name:value = 'y'] OR [url:value = 'z']",
    "([ipv4-addr:value = 'x'] OR [ipv4-addr:value = 'y'])",
    "[file:'name' = 'x']",
    "[file:extensions.'windows-pebinary-ext'.pe_type = 'exe']",
    "[x-vaka-thing:a.'b.c'.'d\\'e' = '']",
    "[IPV4-addr:value = 'x']",
    "[_x:y = 'unicode é 漢字 \n newline']",
    "[artifact:hashes.'x-custom' = 'not hex at all']",
]
COMPLEX_PATTERNS = [
    "[ipv4-addr:value != '1.2.3.4']",
    "[ipv4-addr:value = 1]",
    "[ipv4-addr:value IN ('1.2.3.4', '5.6.7.8')]",
    "[ipv4-addr:value ISSUBSET '198.51.100.0/24']",
    "[url:value MATCHES '^http']",
    "[url:value LIKE 'http%']",
    "[file:size > 10]",
    "[file:name NOT = 'x']",
    "[ipv4-addr:value = 'x'] WITHIN 300 SECONDS",
    "[ipv4-addr:value = 'x'] REPEATS 5 TIMES",
    "[ipv4-addr:value = 'x'] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'",
    "[ipv4-addr:value = 'x'] FOLLOWEDBY [ipv4-addr:value = 'y']",
    "[file:name = h'00ff']",
    "[artifact:payload_bin = b'AAAA']",
    "[ipv4-addr:value == 'x']",
    "[file:name = 'x'] // comment",
    "[network-traffic:extensions.'http-request-ext'.request_header[0] = 'x']",
    "[EXISTS file:name]",
    f"[file:hashes.MD5 = '{MD5}\n']",
]
INVALID_PATTERNS = [
    "[ipv4-addr:value = '1.2.3.4'",
    "ipv4-addr:value = '1.2.3.4'",
    "[ipv4-addr:value = 'x' and ipv4-addr:value = 'y']",
    "[ipv4-addr:value = 'x'] or [ipv4-addr:value = 'y']",
    "[]",
    "",
    "[ipv4-addr:value = 'a\\nb']",
    "[file:hashes.AND = 'x']",
    "[true:value = 'x']",
    "[1foo:value = 'x']",
    "[file:hashes.MD5 = 'abc']",
    "[file:hashes.'SHA-256' = 'aa']",
    "[file:na-me = 'x']",
    "[ipv4-addr:value = 'x']]",
    "[a:b = 'x' AND ]",
    "[] OR [a:b = 'x']",
    "[a:b = 'x'] OR ",
    "[a:b = 'x'] OR []",
    "[a:b = 'x'] OR [c:d = 'y'",
]


def _unescape(literal):
    return re.sub(r"\\(['\\])", r"\1", literal[1:-1])


def _step(step):
    if re.fullmatch(r"[A-Za-z0-9_-]+", step):
        return step
    return "'" + step.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _reference(pattern):
    """The comparisons as stix2-patterns' own parser sees them."""
    data = Pattern(pattern).inspect()
    return sorted(
        Comparison(object_type, ".".join(_step(s) for s in path), _unescape(value))
        for object_type, comparisons in data.comparisons.items()
        for path, _op, value in comparisons
    )


@pytest.mark.parametrize("pattern", SIMPLE_PATTERNS)
def test_simple_patterns_parse_like_stix2_patterns(pattern):
    assert run_validator(pattern, stix_version="2.1") == []
    assert sorted(parse_pattern(pattern)) == _reference(pattern)


@pytest.mark.parametrize("pattern", COMPLEX_PATTERNS)
def test_complex_valid_patterns_are_left_to_stix2_patterns(pattern):
    assert run_validator(pattern, stix_version="2.1") == []
    assert parse_pattern(pattern) is None


def _stix2_patterns_rejects(pattern):
    try:
        return run_validator(pattern, stix_version="2.1") != []
    except Exception:  # it crashes on some inputs, e.g. ""
        return True


@pytest.mark.parametrize("pattern", INVALID_PATTERNS)
def test_invalid_patterns_are_not_parsed(pattern):
    assert _stix2_patterns_rejects(pattern)
    assert parse_pattern(pattern) is None


def test_parse_pattern_keeps_source_order_and_unescapes():
    assert parse_pattern("[a-b:c = 'x\\'y'] OR [d-e:f.'g h' = 'z\\\\']") == [
        Comparison("a-b", "c", "x'y"), Comparison("d-e", "f.'g h'", "z\\")]


def test_parse_pattern_renders_hash_paths_without_quotes():
    [comparison] = parse_pattern(f"[file:hashes.'SHA-256' = '{SHA256}']")
    assert comparison == Comparison("file", "hashes.SHA-256", SHA256)


def test_parse_pattern_returns_none_for_a_non_string():
    assert parse_pattern(None) is None


def test_parse_pattern_gives_up_on_very_deep_nesting():
    assert parse_pattern("[" + "(" * 40 + "a:b = 'x'" + ")" * 40 + "]") is None


_NAMES = st.sampled_from(["ipv4-addr", "file", "x-vaka", "email-message", "a", "_t", "Url"])
_IDENTS = st.sampled_from(["value", "hashes", "MD5", "from_ref", "name", "x_y", "SHA1", "IN"])
_QUOTED = st.text(alphabet=st.sampled_from("ab.-' \\é\n"), max_size=6)
_STEPS = st.one_of(_IDENTS, _QUOTED.map(lambda s: "'" + s.replace("\\", "\\\\")
                                        .replace("'", "\\'") + "'"))
_CONSTANTS = st.one_of(
    st.text(max_size=12).map(lambda s: "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"),
    st.sampled_from([f"'{MD5}'", "'da39a3ee5e6b4b0d3255bfef95601890afd80709'", "'zz'"]),
)


@st.composite
def _simple_patterns(draw):
    def comparison():
        path = [draw(_STEPS) for _ in range(draw(st.integers(1, 3)))]
        return f"{draw(_NAMES)}:{'.'.join(path)} = {draw(_CONSTANTS)}"

    def observation():
        items = [comparison() for _ in range(draw(st.integers(1, 3)))]
        inner = f" {draw(st.sampled_from(['AND', 'OR']))} ".join(items)
        return "[" + (f"({inner})" if draw(st.booleans()) else inner) + "]"

    parts = [observation() for _ in range(draw(st.integers(1, 3)))]
    return f" {draw(st.sampled_from(['AND', 'OR']))} ".join(parts)


@SETTINGS
@given(_simple_patterns())
def test_generated_patterns_parse_like_stix2_patterns_or_are_declined(pattern):
    parsed = parse_pattern(pattern)
    if _stix2_patterns_rejects(pattern):
        assert parsed is None
    elif parsed is not None:
        assert sorted(parsed) == _reference(pattern)


_FRAGMENTS = ["[", "]", "(", ")", " AND ", " OR ", " ", "ipv4-addr", "file", ":", "value",
              "hashes", ".", "MD5", "'SHA-256'", " = ", "=", "'x'", f"'{MD5}'", "'a\\'b'",
              "'", "\\", "1", "!=", " WITHIN 5 SECONDS", "true", "-", "\n", "\u2028", "/*",
              "*/", "*", "t'2016-01-01T00:00:00Z'", "h'00'", "IN", "_"]


@SETTINGS
@given(st.lists(st.sampled_from(_FRAGMENTS), max_size=14).map("".join))
def test_parse_pattern_never_accepts_what_stix2_patterns_rejects(pattern):
    parsed = parse_pattern(pattern)
    if parsed is not None:
        assert not _stix2_patterns_rejects(pattern)
        assert sorted(parsed) == _reference(pattern)


_PIECES = ["[", "]", "(", ")", " AND ", " OR ", " ", "'", "\\", ".", ":", "=", "-", "\t", "[0]"]


_CLEAN_COMPARISONS = st.sampled_from([
    "ipv4-addr:value = '1.2.3.4'", "file:name = 'a.exe'", f"file:hashes.MD5 = '{MD5}'",
    "x-vaka:'a b'.c = 'x\\'y'", "url:value='u'"])


@st.composite
def _clean_patterns(draw):
    observations = [
        "[" + draw(st.sampled_from([" AND ", " OR "])).join(
            draw(st.lists(_CLEAN_COMPARISONS, min_size=1, max_size=3))) + "]"
        for _ in range(draw(st.integers(1, 3)))
    ]
    return draw(st.sampled_from([" AND ", " OR "])).join(observations)


@st.composite
def _mangled_patterns(draw):
    """A generated simple pattern, as pieces, with up to three pieces dropped or inserted."""
    base = draw(st.one_of(_clean_patterns(), _simple_patterns()))
    pieces = re.split(r"(\[|\]|\(|\)| AND | OR )", base)
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(pieces)))
        if draw(st.booleans()):
            del pieces[at:at + 1]
        else:
            pieces.insert(at, draw(st.sampled_from(_PIECES)))
    return "".join(pieces)


@settings(SETTINGS, max_examples=1000)
@given(_mangled_patterns())
def test_parse_pattern_never_accepts_a_mangled_pattern_stix2_patterns_rejects(pattern):
    parsed = parse_pattern(pattern)
    if parsed is not None:
        assert not _stix2_patterns_rejects(pattern)
        assert sorted(parsed) == _reference(pattern)


_STRUCTURE = ["[", "]", "(", ")", " AND ", " OR ", "AND", " ", "ipv4-addr:value = 'x'",
              "a:'b c'.d='y\\''", f"file:hashes.MD5 = '{MD5}'", "file:hashes.MD5 = 'zz'",
              "a:b", " = ", "'x'", " WITHIN 5 SECONDS", " FOLLOWEDBY ", "\t"]


@SETTINGS
@given(st.lists(st.sampled_from(_STRUCTURE), max_size=12).map("".join))
def test_parse_pattern_never_accepts_a_structure_stix2_patterns_rejects(pattern):
    parsed = parse_pattern(pattern)
    if parsed is not None:
        assert not _stix2_patterns_rejects(pattern)
        assert sorted(parsed) == _reference(pattern)


@SETTINGS
@given(st.text(max_size=40))
def test_parse_pattern_never_accepts_random_text_stix2_patterns_rejects(pattern):
    if parse_pattern(pattern) is not None:
        assert not _stix2_patterns_rejects(pattern)


# --- STIX 2.0 ----------------------------------------------------------------------------


def test_upgrade_20_adds_spec_version_and_pattern_type():
    old = {"type": "indicator", "id": BASES["indicator"]["id"], "created": T0,
           "modified": T0, "labels": ["malicious-activity"], "valid_from": T0,
           "pattern": "[ipv4-addr:value = '1.2.3.4']"}
    new = upgrade_20(old)
    assert new == {**old, "spec_version": "2.1", "pattern_type": "stix"}


def test_upgrade_20_does_not_modify_its_input():
    old = {"type": "identity", "id": IDENTITY_ID, "created": T0, "modified": T0,
           "name": "x", "identity_class": "organization"}
    upgrade_20(old)
    assert "spec_version" not in old


def test_upgrade_20_of_a_tlp_marking_gives_a_valid_21_marking():
    old = {k: v for k, v in BASES["tlp1_green"].items() if k not in ("spec_version", "name")}
    assert validate(upgrade_20(old)) == "fast"


def test_upgrade_20_refuses_observed_data_with_embedded_objects():
    old = {"type": "observed-data", "id": "observed-data--2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e",
           "created": T0, "modified": T0, "first_observed": T0, "last_observed": T0,
           "number_observed": 1, "objects": {"0": {"type": "ipv4-addr", "value": "1.2.3.4"}}}
    with pytest.raises(InputError) as caught:
        upgrade_20(old)
    assert caught.value.problems[0].field == "objects"


def test_upgrade_20_refuses_malware_without_is_family():
    with pytest.raises(InputError):
        upgrade_20({"type": "malware", "id": MALWARE_ID, "created": T0, "modified": T0,
                    "name": "x", "labels": ["trojan"]})


def test_upgrade_20_returns_a_21_object_unchanged():
    assert upgrade_20(BASES["identity"]) == BASES["identity"]


def test_upgrade_20_refuses_an_unknown_spec_version():
    with pytest.raises(InputError):
        upgrade_20({**BASES["identity"], "spec_version": "3.0"})


def test_is_stix20_bundle_reads_the_bundle_spec_version():
    assert is_stix20_bundle({"type": "bundle", "spec_version": "2.0", "objects": []})
    assert not is_stix20_bundle({"type": "bundle", "objects": []})
    assert not is_stix20_bundle({"type": "indicator", "spec_version": "2.0"})


# --- bundles -----------------------------------------------------------------------------

BUNDLE_ID = "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d"


def _bundle(objects, **envelope):
    return {"type": "bundle", "id": BUNDLE_ID, **envelope, "objects": objects}


def _write(tmp_path, data):
    path = tmp_path / "bundle.json"
    path.write_bytes(data if isinstance(data, bytes) else json.dumps(data).encode())
    return path


def _stream(tmp_path, data, envelope=None):
    with _write(tmp_path, data).open("rb") as stream:
        return list(iter_bundle(stream, envelope))


def _stream_error(tmp_path, data):
    with pytest.raises(InputError) as caught:
        _stream(tmp_path, data)
    return caught.value.problems[0]


def test_iter_bundle_yields_each_object_with_its_index(tmp_path):
    objects = [BASES["identity"], BASES["indicator"], BASES["relationship"]]
    assert _stream(tmp_path, _bundle(objects)) == list(enumerate(objects))


def test_iter_bundle_streams_a_100000_indicator_bundle(tmp_path):
    objects = [_indicator(f"[ipv4-addr:value = '10.0.{i // 256 % 256}.{i % 256}']",
                          id=f"indicator--{i:08x}-0000-4000-8000-000000000000")
               for i in range(100_000)]
    path = _write(tmp_path, _bundle(objects))
    with path.open("rb") as stream:
        count, last = 0, None
        for index, obj in iter_bundle(stream):
            assert index == count
            count, last = count + 1, obj
    assert count == 100_000
    assert last == objects[-1]


def test_iter_bundle_fills_the_envelope(tmp_path):
    envelope = {}
    _stream(tmp_path, _bundle([], spec_version="2.0"), envelope)
    assert envelope == {"type": "bundle", "id": BUNDLE_ID, "spec_version": "2.0"}
    assert is_stix20_bundle(envelope)


def test_iter_bundle_accepts_type_after_objects(tmp_path):
    data = b'{"objects": [{"type": "x-a", "id": "x-a--1"}], "type": "bundle"}'
    assert _stream(tmp_path, data) == [(0, {"type": "x-a", "id": "x-a--1"})]


def test_iter_bundle_accepts_a_bundle_without_objects(tmp_path):
    assert _stream(tmp_path, {"type": "bundle", "id": BUNDLE_ID}) == []


def test_iter_bundle_ignores_a_byte_order_mark(tmp_path):
    data = b"\xef\xbb\xbf" + json.dumps(_bundle([BASES["url"]])).encode()
    assert _stream(tmp_path, data) == [(0, BASES["url"])]


def test_iter_bundle_rejects_a_top_level_list(tmp_path):
    assert "JSON object" in _stream_error(tmp_path, [BASES["url"]]).message


def test_iter_bundle_rejects_another_top_level_type(tmp_path):
    assert _stream_error(tmp_path, {**BASES["url"]}).field == "type"


def test_iter_bundle_rejects_a_missing_type(tmp_path):
    assert _stream_error(tmp_path, {"objects": []}).field == "type"


def test_iter_bundle_rejects_objects_that_are_not_a_list(tmp_path):
    assert "objects list" in _stream_error(tmp_path, {"type": "bundle", "objects": {}}).message


def test_iter_bundle_rejects_a_non_object_item_with_its_index(tmp_path):
    assert _stream_error(tmp_path, _bundle([BASES["url"], "url"])).index == 1


def test_iter_bundle_reports_malformed_json_with_its_byte_position(tmp_path):
    data = b'{"type": "bundle", "objects": [{"type": "url"}, {"type": "url",}]}'
    problem = _stream_error(tmp_path, data)
    assert problem.index == 1
    assert f"byte {data.index(b',}') + 1}" in problem.message


def test_iter_bundle_rejects_a_truncated_file(tmp_path):
    data = json.dumps(_bundle([BASES["url"]] * 3)).encode()[:-30]
    assert "malformed JSON" in _stream_error(tmp_path, data).message


def test_iter_bundle_rejects_data_after_the_bundle(tmp_path):
    data = json.dumps(_bundle([])).encode() + b" {}"
    assert "after the bundle" in _stream_error(tmp_path, data).message


def test_iter_bundle_rejects_two_objects_lists(tmp_path):
    data = b'{"type": "bundle", "objects": [], "objects": []}'
    assert _stream_error(tmp_path, data).field == "objects"


def test_iter_bundle_rejects_nan(tmp_path):
    data = b'{"type": "bundle", "objects": [{"type": "x-a", "n": NaN}]}'
    assert _stream_error(tmp_path, data).index == 0


def test_iter_bundle_rejects_a_lone_surrogate(tmp_path):
    data = b'{"type": "bundle", "objects": [{"type": "x-a", "s": "\\ud800"}]}'
    assert _stream_error(tmp_path, data).index == 0


def test_iter_bundle_rejects_invalid_utf8(tmp_path):
    data = b'{"type": "bundle", "objects": [{"type": "x-\xff"}]}'
    position = data.index(b"\xff")
    assert f"byte {position}" in _stream_error(tmp_path, data).message


def test_iter_bundle_reads_values_split_across_chunks(tmp_path, monkeypatch):
    monkeypatch.setattr(stix_module._JsonReader, "CHUNK", 3)
    objects = [{"type": "x-a", "n": 1234567, "f": 1.5e10, "s": "é漢字\\\"", "t": True,
                "z": None, "l": [1, [2, {"k": "v"}]]}] * 4
    data = json.dumps(_bundle(objects), ensure_ascii=False).encode()
    assert _stream(tmp_path, data) == list(enumerate(objects))


def test_iter_bundle_reports_the_byte_position_across_chunks(tmp_path, monkeypatch):
    monkeypatch.setattr(stix_module._JsonReader, "CHUNK", 5)
    data = '{"type": "bundle", "objects": [{"s": "ééé"}, {"s": "é" x}]}'.encode()
    problem = _stream_error(tmp_path, data)
    assert f"byte {data.index(b' x') + 1}" in problem.message


def test_read_bundle_returns_the_objects_of_a_bundle():
    objects = [BASES["url"], BASES["file"]]
    assert read_bundle(json.dumps(_bundle(objects)).encode()) == objects


def test_read_bundle_accepts_a_bare_list():
    assert read_bundle(json.dumps([BASES["url"]]).encode()) == [BASES["url"]]


def test_read_bundle_accepts_a_single_object():
    assert read_bundle(json.dumps(BASES["url"]).encode()) == [BASES["url"]]


def test_read_bundle_fills_the_envelope():
    envelope = {}
    read_bundle(json.dumps(_bundle([], spec_version="2.0")).encode(), envelope)
    assert is_stix20_bundle(envelope)


def test_read_bundle_reports_malformed_json_with_its_byte_position():
    with pytest.raises(InputError) as caught:
        read_bundle(b'{"type": "bundle", "objects": [}')
    assert "byte 31" in caught.value.problems[0].message


def test_read_bundle_rejects_a_non_object_item_with_its_index():
    with pytest.raises(InputError) as caught:
        read_bundle(json.dumps(_bundle([BASES["url"], 5])).encode())
    assert caught.value.problems[0].index == 1


def test_read_bundle_rejects_a_top_level_string():
    with pytest.raises(InputError):
        read_bundle(b'"bundle"')


def test_read_bundle_and_iter_bundle_agree(tmp_path):
    data = json.dumps(_bundle(list(BASES.values())), ensure_ascii=False).encode()
    with _write(tmp_path, data).open("rb") as stream:
        assert [obj for _, obj in iter_bundle(stream)] == read_bundle(data)


# --- TLP markings ------------------------------------------------------------------------


@pytest.mark.parametrize("level", sorted(TLP2_MARKING_IDS))
def test_tlp_marking_id_and_marking_tlp_round_trip(level):
    assert marking_tlp(tlp_marking_id(level)) == level


@pytest.mark.parametrize(("colour", "level"), [("white", "clear"), ("green", "green"),
                                               ("amber", "amber"), ("red", "red")])
def test_tlp1_markings_map_to_vaka_levels(colour, level):
    assert marking_tlp(TLP1_MARKING_IDS[colour]) == level


def test_tlp1_ids_are_the_ones_built_into_stix2():
    assert {stix2.TLP_WHITE.id, stix2.TLP_GREEN.id, stix2.TLP_AMBER.id, stix2.TLP_RED.id} == \
        set(TLP1_MARKING_IDS.values())


def test_marking_tlp_returns_none_for_another_marking():
    assert marking_tlp("marking-definition--2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e") is None


def test_tlp_marking_id_accepts_prefixed_and_white_names():
    assert tlp_marking_id("TLP:AMBER+STRICT") == TLP2_MARKING_IDS["amber+strict"]
    assert tlp_marking_id("white") == TLP2_MARKING_IDS["clear"]


def test_tlp_marking_id_rejects_an_unknown_level():
    with pytest.raises(InputError):
        tlp_marking_id("purple")


@pytest.mark.parametrize("level", sorted(TLP2_MARKING_IDS))
def test_tlp2_marking_definition_passes_stix2_validator(level):
    assert validate_instance(tlp_marking_definition(level)).is_valid


@pytest.mark.parametrize("level", sorted(TLP2_MARKING_IDS))
def test_tlp2_marking_definition_takes_the_fast_path(level):
    assert validate(tlp_marking_definition(level)) == "fast"


def test_tlp2_marking_definition_has_the_published_fields():
    assert tlp_marking_definition("amber+strict") == {
        "type": "marking-definition", "spec_version": "2.1",
        "id": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
        "created": "2022-10-01T00:00:00.000Z", "name": "TLP:AMBER+STRICT",
        "extensions": {"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d": {
            "extension_type": "property-extension", "tlp_2_0": "amber+strict"}},
    }


def test_a_tlp2_marking_with_the_wrong_level_is_rejected():
    wrong = tlp_marking_definition("green")
    wrong["extensions"][stix_module.TLP2_EXTENSION_ID]["tlp_2_0"] = "clear"
    assert _rejects(wrong).field == "extensions"


def test_library_error_messages_name_the_field():
    problem = _rejects({**BASES["malware"], "is_family": None})
    assert problem.field == "is_family"


def test_problem_string_is_readable():
    with pytest.raises(InputError) as caught:
        validate({**BASES["indicator"], "valid_until": T0})
    assert "valid_until" in str(caught.value)


def test_validate_reports_type_errors_with_io_like_inputs():
    with pytest.raises(InputError):
        validate(io.BytesIO(b"{}"))
