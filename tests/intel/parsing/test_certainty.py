"""Uncertain values: dotted quads whose context says version, OID or section, and values a
line break may have cut. They come back only when asked for, flagged with a reason."""

import pytest

from vaka.intel.parsing.extract import Indicator, extract

SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def uncertain(text: str) -> dict[tuple[str, str], str]:
    return {(i.kind, i.value): i.reason for i in extract(text, uncertain=True) if not i.certain}


def certain(text: str) -> set[tuple[str, str]]:
    return {(i.kind, i.value) for i in extract(text)}


@pytest.mark.parametrize(("text", "reason"), [
    ("GateOS versions prior to 7.0.14.1 are affected.", "version"),
    ("Apply firmware 2.0.0.1 and earlier images.", "version"),
    ("Fixed in 2.0.0.1 or later.", "version"),
    ("Older guides quote the OID 2.5.29.37 for the extension.", "oid"),
    ("client certificates carry the EKU 1.3.6.1 arc.", "oid"),
    ("See section 4.1.2.3 for the upgrade path.", "section"),
    ("Affected: 6.4.0.0 to 6.4.14.2 of the agent.", "version"),
    ("\n4.1.2.3 Lateral movement\n", "section"),
    ("Versions concernées : 3.2.1.0 et antérieures.", "version"),
])
def test_dotted_quad_whose_context_says_it_is_not_an_address_is_uncertain(text, reason):
    assert certain(text) == set()
    assert reason in uncertain(text).values()


def test_an_address_word_closer_than_a_version_word_keeps_the_address_certain():
    text = "Version 2 of the loader connects to the C2 server at 10.0.0.1 every hour."
    assert certain(text) == {("ipv4", "10.0.0.1")}


def test_a_version_word_inside_a_name_is_not_a_telling_word():
    text = "It speaks to mirage-update.info and falls back to raw TCP on 203.0.113.77:8080."
    assert ("ipv4", "203.0.113.77") in certain(text)


def test_an_address_whose_numbers_are_large_is_never_taken_for_a_version():
    assert certain("The update server 185.220.101.47 was seen.") == {
        ("ipv4", "185.220.101.47")}


def test_a_version_in_the_previous_sentence_does_not_count():
    text = "We use version 3 of the rules. Then 10.20.1.5 was contacted."
    assert ("ipv4", "10.20.1.5") in certain(text)


def test_a_telling_word_further_back_in_the_clause_still_counts():
    assert uncertain("The version number 2.0.0.1 is affected.") == {
        ("ipv4", "2.0.0.1"): "version"}


def test_a_line_break_flags_only_the_value_it_touches_among_many():
    before = "".join(f"C2 198.51.100.{n} seen.\n" for n in range(1, 40))
    after = "".join(f"C2 203.0.113.{n} seen.\n" for n in range(1, 40))
    text = before + "write to akira-\nsupport@onionmail.org now\n" + after
    found = uncertain(text)
    assert found.pop(("email", "support@onionmail.org")) == "line-break-part"
    assert set(found.values()) == {"joined-across-line-break"}
    assert len(certain(text)) == 78


def test_value_split_at_a_hyphen_across_lines_is_not_stored_as_its_second_half():
    text = "write to akira-\nsupport[@]onionmail[.]org for help"
    assert certain(text) == set()
    found = uncertain(text)
    assert found[("email", "support@onionmail.org")] == "line-break-part"
    assert found[("email", "akira-support@onionmail.org")] == "joined-across-line-break"
    assert found[("email", "akirasupport@onionmail.org")] == "joined-across-line-break"


def test_prose_hyphenation_costs_nothing_and_finds_nothing():
    assert extract("a well-\nknown group and spear-\nphishing", uncertain=True) == []


def test_hash_cut_by_a_line_break_is_offered_joined():
    text = f"SHA-256: {SHA256[:50]}\n    {SHA256[50:]}\nend"
    assert certain(text) == set()
    assert uncertain(text) == {("sha256", SHA256): "joined-across-line-break"}


def test_hashes_one_per_line_are_not_joined():
    md5s = "d41d8cd98f00b204e9800998ecf8427e\n0cc175b9c0f1b6a831c399e269772661"
    assert len(certain(md5s)) == 2
    assert uncertain(md5s) == {}


def test_url_cut_after_a_slash_is_uncertain_and_offered_joined():
    text = "download from hxxps://cdn-evil[.]com/dl/tools/\nx64/setup.bin today"
    assert ("url", "https://cdn-evil.com/dl/tools/") not in certain(text)
    found = uncertain(text)
    assert found[("url", "https://cdn-evil.com/dl/tools/x64/setup.bin")] == \
        "joined-across-line-break"


def test_url_at_the_end_of_a_line_before_a_numbered_step_stays_certain():
    text = "1. Get it from https://www.torproject.org/download/\n2. Open the chat"
    assert ("url", "https://www.torproject.org/download/") in certain(text)


def test_a_value_found_certain_elsewhere_is_certain():
    text = "C2 at 198.51.100.7.\nVersion 198.51.100.7 of nothing."
    assert extract(text, uncertain=True) == [Indicator("ipv4", "198.51.100.7")]


def test_uncertain_values_are_left_out_unless_asked_for():
    assert extract("versions prior to 7.0.14.1") == []
    assert extract("versions prior to 7.0.14.1", uncertain=True) == [
        Indicator("ipv4", "7.0.14.1", certain=False, reason="version")]


@pytest.mark.parametrize("name", ["ASP.NET", "VB.NET"])
def test_framework_names_in_capitals_are_not_domains(name):
    assert certain(f"built with {name} 4.8") == set()


def test_quad_in_a_version_range_whose_other_end_is_no_address_is_uncertain():
    text = "Northwind Document Server 2022   22.1.0.0 to 22.1.6.300    22.1.7.412"
    assert ("ipv4", "22.1.0.0") in uncertain(text)
    assert not certain(text)


def test_address_after_a_version_named_in_the_same_sentence_is_certain():
    text = "a renamed rclone.exe (v1.65.2) to a Mega account, and staged data on 10.14.2.9."
    assert certain(text) == {("ipv4", "10.14.2.9")}


def test_url_cut_right_after_its_scheme_is_offered_joined_and_its_host_is_not_certain():
    text = "The shortcut ran mshta.exe against hxxps://\ncdn.evil-portal[.]com/assets/offer.hta"
    assert ("url", "https://cdn.evil-portal.com/assets/offer.hta") in uncertain(text)
    assert ("domain", "cdn.evil-portal.com") not in certain(text)


def test_cve_id_cut_after_its_year_is_offered_joined():
    text = "Exploitation of CVE-2023-\n27997 was attempted."
    assert ("cve", "CVE-2023-27997") in uncertain(text)
