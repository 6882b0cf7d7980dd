"""The MISP warninglists matcher: shipped data, semantics per list type, admin exclusions,
and agreement with pymispwarninglists' own (slow) search."""

import ipaddress
import json
import logging
import random
import re
import threading

import pytest
from pymispwarninglists import WarningLists

from vaka.intel.parsing.warninglists import (
    DEFAULT_EXCLUDED_LISTS,
    KIND_ATTRIBUTE_TYPES,
    Warninglists,
    default_warninglists,
    shipped_lists_dir,
)

EMPTY_MD5 = "d41d8cd98f00b204e9800998ecf8427e"
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
ALL_ATTRS = ["ip-src", "ip-dst", "domain", "hostname", "url", "email-src", "md5", "sha256"]


@pytest.fixture(scope="module")
def wl():
    return default_warninglists()


def keys(wl, names):
    """Directory names ("public-dns-v4") of the shipped lists among ``names``."""
    return {wl.lists[name].key for name in names if name in wl.lists}


def one_list(list_type, entries, attrs=ALL_ATTRS, name="Test list"):
    return {name: {"name": name, "type": list_type, "version": 1, "description": "test",
                   "matching_attributes": attrs, "list": entries}}


# -- the shipped lists ---------------------------------------------------------------


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1"])
def test_well_known_resolvers_are_on_the_public_dns_list(wl, address):
    assert "public-dns-v4" in keys(wl, wl.match("ipv4", address))


@pytest.mark.parametrize("address", ["10.1.2.3", "192.168.0.1"])
def test_private_addresses_are_on_the_rfc1918_list(wl, address):
    assert "rfc1918" in keys(wl, wl.match("ipv4", address))


def test_a_network_inside_a_listed_network_matches(wl):
    assert "rfc1918" in keys(wl, wl.match("ipv4", "10.1.0.0/16"))


def test_a_network_wider_than_every_listed_network_does_not_match(wl):
    assert "rfc1918" not in keys(wl, wl.match("ipv4", "8.0.0.0/5"))


def test_a_prefix_that_is_not_ascii_digits_matches_nothing(wl):
    assert wl.match("ipv4", "10.1.0.0/³") == []  # "³": a digit to isdigit(), not to int()


def test_google_ipv6_resolver_is_on_the_ipv6_public_dns_list(wl):
    assert "public-dns-v6" in keys(wl, wl.match("ipv6", "2001:4860:4860::8888"))


@pytest.mark.parametrize("domain", ["google.com", "www.google.com"])
def test_google_is_on_a_top_sites_list(wl, domain):
    assert {"tranco", "tranco10k", "alexa"} & keys(wl, wl.match("domain", domain))


def test_a_made_up_domain_matches_nothing(wl):
    assert wl.match("domain", "zqx-nonexistent-example-9.xyz") == []


def test_the_empty_file_hash_is_on_the_empty_hashes_list(wl):
    assert "empty-hashes" in keys(wl, wl.match("sha256", EMPTY_SHA256))


def test_a_hash_list_never_matches_a_domain_value(wl):
    hash_lists = {"empty-hashes", "nioc-filehash", "ti-falsepositives",
                  "common-ioc-false-positive", "mozilla-CA", "mozilla-IntermediateCA"}
    assert "empty-hashes" in keys(wl, wl.match("md5", EMPTY_MD5))
    assert not hash_lists & keys(wl, wl.match("domain", EMPTY_MD5))


def test_a_url_on_a_top_site_matches_through_its_host(wl):
    assert "tranco" in keys(wl, wl.match("url", "https://www.google.com/search?q=x"))


def test_top_sites_lists_do_not_apply_to_email_addresses(wl):
    assert "tranco" not in keys(wl, wl.match("email", "someone@google.com"))


def test_a_subdomain_of_a_public_suffix_is_not_a_top_site(wl):
    assert "tranco" in keys(wl, wl.match("domain", "duckdns.org"))
    assert wl.match("domain", "evil-c2.duckdns.org") == []


def test_a_contact_address_is_on_the_common_contact_emails_list(wl):
    assert "common-contact-emails" in keys(wl, wl.match("email", "abuse@example.org"))


def test_shipped_phone_patterns_are_skipped_as_misp_skips_them(wl):
    # Every shipped phone_numbers pattern ends in "/g", which PHP's preg_match rejects;
    # honouring them would flag nearly every phone number containing "08".
    assert wl.match("phone", "+6421085551234") == []


def test_an_unparseable_ip_value_matches_nothing(wl):
    assert wl.match("ipv4", "999.1.2.3") == []


def test_every_default_list_matches_one_of_its_own_entries(wl):
    misses = []
    for info in wl.lists.values():
        data = json.loads((shipped_lists_dir() / info.key / "list.json").read_text())
        sample = _own_entry(info.type, data["list"], info.matching_attributes)
        if sample and info.name not in wl.match(*sample):
            misses.append((info.key, sample))
    assert misses == []


def _own_entry(list_type, entries, attrs):
    """A (kind, value) that must be on a list, from its first usable entry."""
    kinds = [k for k, types in KIND_ATTRIBUTE_TYPES.items() if set(types) & set(attrs)]
    for entry in entries:
        entry = entry.strip().lower()
        if list_type == "cidr":
            network = ipaddress.ip_network(entry, strict=False)
            return (f"ipv{network.version}", str(network.network_address))
        if list_type in ("string", "hostname") and re.fullmatch(r"\.?[a-z0-9_-]+(\.[a-z0-9_-]+)+",
                                                                 entry):
            value = "www" + entry if entry.startswith(".") else entry
            if "domain" in kinds:
                return ("domain", value)
        if list_type == "string" and re.fullmatch(r"[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64}",
                                                  entry):
            kind = {32: "md5", 40: "sha1", 64: "sha256"}[len(entry)]
            if kind in kinds:
                return (kind, entry)
        if list_type == "string" and not kinds and attrs:
            return (attrs[0], entry)  # a MISP type Vaka has no kind for
    return None


# -- choosing lists ------------------------------------------------------------------


def test_default_lists_leave_out_dynamic_dns_and_disposable_email(wl):
    included = {info.key for info in wl.lists.values()}
    assert not included & DEFAULT_EXCLUDED_LISTS
    assert {"public-dns-v4", "rfc1918", "tranco", "empty-hashes"} <= included


def test_lists_can_be_chosen_by_directory_or_misp_name():
    chosen = Warninglists(names=["rfc1918", "List of known IPv4 public DNS resolvers"])
    assert {info.key for info in chosen.lists.values()} == {"rfc1918", "public-dns-v4"}
    assert chosen.match("domain", "google.com") == []


def test_an_excluded_list_is_used_when_asked_for():
    chosen = Warninglists(names=["dynamic-dns"])
    assert chosen.match("domain", "something.0bit.org") == ["List of known dynamic DNS domains"]


def test_an_unknown_list_name_is_rejected():
    with pytest.raises(ValueError, match="no-such-list"):
        Warninglists(names=["no-such-list"])


def test_no_names_means_no_shipped_list():
    assert Warninglists(names=[]).match("ipv4", "8.8.8.8") == []


def test_lists_report_their_entry_counts(wl):
    assert wl.lists["List of RFC 1918 CIDR blocks"].entries == 3


# -- semantics per list type, on small lists -----------------------------------------


def test_a_substring_list_matches_values_containing_an_entry():
    lists = Warninglists(lists=one_list("substring", ["sandbox", "tria.ge"]))
    assert lists.match("domain", "my.sandbox-host.net") == ["Test list"]
    assert lists.match("url", "https://tria.ge/r/1") == ["Test list"]
    assert lists.match("domain", "triage.com") == []


def test_a_network_covered_by_the_union_of_a_lists_networks_matches():
    lists = Warninglists(lists=one_list("cidr", ["10.0.0.0/9", "10.128.0.0/9"]))
    assert lists.match("ipv4", "10.0.0.0/8") == ["Test list"]
    assert lists.match("ipv4", "10.0.0.0/7") == []


def test_an_ipv6_network_inside_a_listed_network_matches():
    lists = Warninglists(lists=one_list("cidr", ["2001:db8::/32"]))
    assert lists.match("ipv6", "2001:db8:1::/48") == ["Test list"]
    assert lists.match("ipv6", "2001:db9::1") == []


def test_a_string_entry_matches_the_exact_value_only():
    lists = Warninglists(lists=one_list("string", ["example.com"]))
    assert lists.match("domain", "example.com") == ["Test list"]
    assert lists.match("domain", "www.example.com") == []


def test_a_string_entry_with_a_leading_dot_matches_subdomains_only():
    lists = Warninglists(lists=one_list("string", [".example.com"]))
    assert lists.match("domain", "www.example.com") == ["Test list"]
    assert lists.match("domain", "example.com") == []


def test_a_hostname_entry_with_a_leading_dot_matches_the_bare_domain_too():
    lists = Warninglists(lists=one_list("hostname", [".Example.COM"]))
    assert lists.match("domain", "example.com") == ["Test list"]
    assert lists.match("domain", "a.b.example.com") == ["Test list"]
    assert lists.match("domain", "notexample.com") == []


def test_the_public_suffix_boundary_can_be_switched_off():
    data = one_list("hostname", ["duckdns.org"])
    assert Warninglists(lists=data, public_suffixes=["duckdns.org"]).match(
        "domain", "x.duckdns.org") == []
    assert Warninglists(lists=data, public_suffix_boundary=False).match(
        "domain", "x.duckdns.org") == ["Test list"]


def test_a_url_host_is_read_without_userinfo_or_port():
    lists = Warninglists(lists=one_list("hostname", ["example.com"]))
    assert lists.match("url", "http://user:pw@www.example.com:8080/a") == ["Test list"]


def test_matching_attributes_limit_a_list_to_its_kinds():
    lists = Warninglists(lists=one_list("string", ["abc"], attrs=["md5"]))
    assert lists.match("domain", "abc") == []
    assert lists.match("md5", "abc") == ["Test list"]


def test_a_list_without_matching_attributes_applies_to_every_kind():
    data = one_list("string", ["abc"])
    del data["Test list"]["matching_attributes"]
    lists = Warninglists(lists=data)
    assert lists.match("domain", "abc") == lists.match("btc", "abc") == ["Test list"]


def test_exact_matching_ignores_case_for_kinds_that_are_not_lower_case():
    lists = Warninglists(lists=one_list("string", ["CVE-2021-44228"], attrs=["vulnerability"]))
    assert lists.match("cve", "CVE-2021-44228") == ["Test list"]


def test_a_regex_list_honours_php_flags():
    lists = Warninglists(lists=one_list("regex", [r"/^noc\@/i"], attrs=["email-src"]))
    assert lists.match("email", "NOC@example.org") == ["Test list"]


def test_a_regex_php_would_reject_is_skipped():
    lists = Warninglists(lists=one_list("regex", ["/08/g"], attrs=["phone-number"]))
    assert lists.match("phone", "+6408123") == []


def test_a_value_on_several_lists_gets_every_name_sorted():
    data = {**one_list("string", ["x.org"], name="B list"),
            **one_list("hostname", ["x.org"], name="A list")}
    assert Warninglists(lists=data).match("domain", "x.org") == ["A list", "B list"]


# -- admin exclusions ----------------------------------------------------------------


def test_an_admin_domain_matches_itself_and_its_subdomains():
    lists = Warninglists(names=[], exclusions=[("domain", "police.example", "Ours")])
    assert lists.match("domain", "police.example") == ["Ours"]
    assert lists.match("domain", "mail.police.example") == ["Ours"]


def test_an_admin_domain_covers_urls_and_email_addresses_on_it():
    lists = Warninglists(names=[], exclusions=[("domain", "police.example", "Ours")])
    assert lists.match("url", "https://www.police.example/x") == ["Ours"]
    assert lists.match("email", "duty@police.example") == ["Ours"]


def test_an_admin_domain_does_not_cover_a_lookalike():
    lists = Warninglists(names=[], exclusions=[("domain", "police.example", "Ours")])
    assert lists.match("domain", "notpolice.example") == []


def test_an_admin_network_covers_addresses_and_networks_inside_it():
    lists = Warninglists(names=[], exclusions=[("ipv4", "198.51.100.0/24", "Our range")])
    assert lists.match("ipv4", "198.51.100.7") == ["Our range"]
    assert lists.match("ipv4", "198.51.100.128/25") == ["Our range"]
    assert lists.match("ipv4", "198.51.101.1") == []


def test_an_admin_ipv6_network_covers_addresses_inside_it():
    lists = Warninglists(names=[], exclusions=[("ipv6", "2001:db8:aa::/48", "Our range")])
    assert lists.match("ipv6", "2001:db8:aa::1") == ["Our range"]


def test_an_admin_value_of_another_kind_matches_that_kind_exactly():
    lists = Warninglists(names=[], exclusions=[("sha256", EMPTY_SHA256, "Ours")])
    assert lists.match("sha256", EMPTY_SHA256) == ["Ours"]
    assert lists.match("domain", EMPTY_SHA256) == []


def test_added_exclusions_add_to_earlier_ones():
    lists = Warninglists(names=[], exclusions=[("domain", "a.example", "A")])
    lists.add_exclusions([("domain", "b.example", "B")])
    assert lists.match("domain", "a.example") == ["A"]
    assert lists.match("domain", "b.example") == ["B"]


def test_exclusions_add_to_shipped_lists():
    lists = Warninglists(names=["rfc1918"], exclusions=[("ipv4", "10.0.0.0/8", "Ours")])
    assert lists.match("ipv4", "10.1.2.3") == ["List of RFC 1918 CIDR blocks", "Ours"]


def test_an_unreadable_admin_network_is_logged_and_skipped(caplog):
    with caplog.at_level(logging.WARNING):
        lists = Warninglists(names=[], exclusions=[("ipv4", "10.0.0.0/99", "Bad"),
                                                   ("ipv4", "10.0.0.0/8", "Good")])
    assert lists.match("ipv4", "10.1.1.1") == ["Good"]
    assert "10.0.0.0/99" in caplog.text


# -- bulk, sharing, and agreement with pymispwarninglists ----------------------------


def test_match_many_equals_match_per_value(wl):
    items = [("ipv4", "8.8.8.8"), ("domain", "www.google.com"), ("url", "https://x.y/z"),
             ("sha256", EMPTY_SHA256), ("domain", "zqx-nonexistent-example-9.xyz"),
             ("ipv4", "8.8.8.8")]
    assert wl.match_many(items) == {item: wl.match(*item) for item in items}


def test_default_warninglists_is_one_instance_for_all_threads():
    seen = []
    threads = [threading.Thread(target=lambda: seen.append(default_warninglists()))
               for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(instance) for instance in seen}) == 1


def test_results_agree_with_pymispwarninglists_search():
    """Both engines over the same data (every shipped list, cut to 1,500 entries so the
    reference's linear search stays quick) and ~300 values drawn from the lists plus
    random ones. Known, documented differences are taken out of the data or the check:
    regex lists (the reference never matches them), case and dots of entries (folded
    here as MISP does), leading-dot string entries (subdomain rules here), network
    values (containment here), and the public-suffix boundary (switched off)."""
    rnd = random.Random(20240611)
    corpus = {}
    for path in sorted(shipped_lists_dir().glob("*/list.json")):
        data = json.loads(path.read_text())
        if data["type"] == "regex":
            continue
        entries = [e.strip() for e in data["list"]]
        if data["type"] == "hostname":
            entries = [e.strip(".").lower() for e in entries]
        elif data["type"] == "string":
            entries = [e.lower() for e in entries if not e.startswith(".")]
        entries = sorted({e for e in entries if e})
        data["list"] = rnd.sample(entries, min(len(entries), 1500))
        corpus[path.parent.name] = data
    ours = Warninglists(lists=corpus, public_suffix_boundary=False)
    reference = WarningLists(slow_search=True, lists=list(corpus.values()))

    values = _random_values(rnd)
    for data in corpus.values():
        for entry in rnd.sample(data["list"], min(len(data["list"]), 2)):
            values.extend(_values_for(data["type"], entry, rnd))
    assert len(values) >= 200

    def applies(kind, warninglist):
        attrs = getattr(warninglist, "matching_attributes", None)
        return not attrs or bool(set(attrs) & KIND_ATTRIBUTE_TYPES[kind])

    differences = []
    for kind, value in values:
        expected = sorted({w.name for w in reference.search(value) if applies(kind, w)})
        if ours.match(kind, value) != expected:
            differences.append((kind, value, ours.match(kind, value), expected))
    assert differences == []


def _values_for(list_type, entry, rnd):
    if list_type == "cidr":
        network = ipaddress.ip_network(entry, strict=False)
        address = network.network_address + rnd.randrange(network.num_addresses)
        return [(f"ipv{network.version}", str(address))]
    if re.fullmatch(r"[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64}|[0-9a-f]{128}", entry):
        return [({32: "md5", 40: "sha1", 64: "sha256", 128: "sha512"}[len(entry)], entry)]
    if re.fullmatch(r"[a-z0-9_-]+(\.[a-z0-9_-]+)+", entry):
        if re.fullmatch(r"[0-9.]+", entry):
            return [("ipv4", entry)]
        return [("domain", entry), ("domain", "www." + entry), ("url", f"https://{entry}/p"),
                ("email", "someone@" + entry)]
    return []


def _random_values(rnd):
    letters = "abcdefghijklmnopqrstuvwxyz"
    values = []
    for _ in range(30):
        values.append(("ipv4", str(ipaddress.IPv4Address(rnd.getrandbits(32)))))
    for _ in range(10):
        values.append(("ipv6", str(ipaddress.IPv6Address(rnd.getrandbits(128)))))
    for _ in range(20):
        name = "".join(rnd.choice(letters) for _ in range(9))
        values.append(("domain", f"{name}.com"))
        values.append(("url", f"http://{name}.net/login"))
    for _ in range(10):
        values.append(("sha256", f"{rnd.getrandbits(256):064x}"))
        values.append(("email", f"{rnd.choice(letters) * 5}@mail-{rnd.randrange(999)}.org"))
    return values
