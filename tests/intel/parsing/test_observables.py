"""Observable kinds: canonical forms, rejections, guessing, refanging, hashing, STIX paths."""

import pytest

from vaka.intel.parsing.observables import (
    KINDS,
    STIX_PATHS,
    canonical,
    guess_kind,
    refang,
    stix_sco_values,
    value_hash,
)

MD5 = "d41d8cd98f00b204e9800998ecf8427e"
SHA1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709"
SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
SHA512 = (
    "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
    "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"
)
BTC_P2PKH = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"
BTC_P2SH = "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"
BTC_SEGWIT = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
BTC_TAPROOT = "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0"
ETH = "0x52908400098527886e0f7030069857d2e4169ee7"


def test_kinds_lists_every_supported_kind():
    assert set(KINDS) == {
        "ipv4",
        "ipv6",
        "domain",
        "url",
        "email",
        "md5",
        "sha1",
        "sha256",
        "sha512",
        "cve",
        "btc",
        "eth",
        "phone",
    }


def test_unknown_kind_is_rejected():
    with pytest.raises(ValueError, match="unknown observable kind"):
        canonical("mutex", "Global\\abc")


def test_non_text_value_is_rejected():
    with pytest.raises(ValueError, match="must be text"):
        canonical("domain", 42)


# --- domains ------------------------------------------------------------------------------


def test_domain_is_lower_cased():
    assert canonical("domain", "EVIL.Example.COM") == "evil.example.com"


def test_domain_trailing_dot_is_dropped():
    assert canonical("domain", "evil.example.com.") == "evil.example.com"


def test_domain_surrounding_whitespace_is_ignored():
    assert canonical("domain", "  evil.com \n") == "evil.com"


def test_unicode_domain_is_idna_encoded():
    assert canonical("domain", "Bücher.de") == "xn--bcher-kva.de"


def test_unicode_tld_is_idna_encoded():
    assert canonical("domain", "пример.рф") == "xn--e1afmkfd.xn--p1ai"


def test_punycode_domain_is_accepted_as_is():
    assert canonical("domain", "xn--bcher-kva.de") == "xn--bcher-kva.de"


def test_domain_under_multi_label_public_suffix_is_accepted():
    assert canonical("domain", "police.gov.pg") == "police.gov.pg"


def test_domain_needs_two_labels():
    with pytest.raises(ValueError, match="at least two labels"):
        canonical("domain", "localhost")


@pytest.mark.parametrize("name", ["intranet.local", "report.pdf", "payload.exe", "corp.lan"])
def test_domain_with_a_tld_not_on_the_public_list_is_rejected(name):
    with pytest.raises(ValueError, match="not a public top-level domain"):
        canonical("domain", name)


@pytest.mark.parametrize(
    "name", ["-evil.com", "evil-.com", "ev_il.com", "evil..com", "ev il.com", "a" * 64 + ".com"]
)
def test_domain_with_bad_label_syntax_is_rejected(name):
    with pytest.raises(ValueError):
        canonical("domain", name)


def test_domain_longer_than_253_characters_is_rejected():
    with pytest.raises(ValueError, match="253"):
        canonical("domain", ".".join(["a" * 60] * 5) + ".com")


def test_undecodable_punycode_label_is_rejected():
    with pytest.raises(ValueError, match="punycode"):
        canonical("domain", "xn--zz.com")


def test_empty_domain_is_rejected():
    with pytest.raises(ValueError, match="empty"):
        canonical("domain", " . ")


# --- e-mail -------------------------------------------------------------------------------


def test_email_is_lower_cased_whole():
    assert canonical("email", "John.Doe+Tag@EXAMPLE.com") == "john.doe+tag@example.com"


def test_email_domain_is_canonicalised_as_a_domain():
    assert canonical("email", "info@Bücher.de.") == "info@xn--bcher-kva.de"


@pytest.mark.parametrize(
    "value",
    [
        "no-at-sign.example.com",
        "@example.com",
        "a..b@example.com",
        ".a@example.com",
        "a b@example.com",
        "x" * 65 + "@example.com",
    ],
)
def test_email_with_bad_local_part_is_rejected(value):
    with pytest.raises(ValueError):
        canonical("email", value)


def test_email_with_bad_domain_is_rejected():
    with pytest.raises(ValueError, match="top-level"):
        canonical("email", "user@mail.internal")


# --- IP addresses -------------------------------------------------------------------------


def test_ipv4_address_is_kept():
    assert canonical("ipv4", " 198.51.100.7 ") == "198.51.100.7"


def test_ipv4_cidr_is_reduced_to_its_network():
    assert canonical("ipv4", "10.1.2.3/8") == "10.0.0.0/8"


def test_ipv4_slash_32_is_the_plain_address():
    assert canonical("ipv4", "198.51.100.7/32") == "198.51.100.7"


@pytest.mark.parametrize("value", ["999.1.1.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1.2.3.4/33"])
def test_invalid_ipv4_is_rejected(value):
    with pytest.raises(ValueError):
        canonical("ipv4", value)


def test_ipv6_value_is_not_an_ipv4():
    with pytest.raises(ValueError, match="IPv4"):
        canonical("ipv4", "2001:db8::1")


def test_ipv6_is_compressed_and_lower_cased():
    assert canonical("ipv6", "2001:0DB8:0000:0000:0000:0000:0000:0001") == "2001:db8::1"


def test_ipv6_cidr_is_reduced_to_its_network():
    assert canonical("ipv6", "2001:db8::1/64") == "2001:db8::/64"


def test_ipv6_slash_128_is_the_plain_address():
    assert canonical("ipv6", "2001:db8::1/128") == "2001:db8::1"


def test_ipv4_mapped_ipv6_keeps_the_dotted_quad():
    assert canonical("ipv6", "::FFFF:192.0.2.1") == "::ffff:192.0.2.1"


def test_ipv4_value_is_not_an_ipv6():
    with pytest.raises(ValueError, match="IPv6"):
        canonical("ipv6", "198.51.100.7")


def test_scoped_ipv6_is_rejected():
    with pytest.raises(ValueError, match="scoped"):
        canonical("ipv6", "fe80::1%eth0")


@pytest.mark.parametrize("value", ["12:30:45", "00:1A:2B:3C:4D:5E", "2001:db8::g", "1:::2"])
def test_invalid_ipv6_is_rejected(value):
    with pytest.raises(ValueError):
        canonical("ipv6", value)


# --- URLs ---------------------------------------------------------------------------------


def test_url_scheme_and_host_are_lower_cased_and_path_kept():
    assert canonical("url", "HTTPS://Evil.EXAMPLE.com/Path/File.PHP") == (
        "https://evil.example.com/Path/File.PHP"
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("http://evil.com:80/a", "http://evil.com/a"),
        ("https://evil.com:443/a", "https://evil.com/a"),
        ("ftp://evil.com:21/a", "ftp://evil.com/a"),
    ],
)
def test_url_default_port_is_removed(value, expected):
    assert canonical("url", value) == expected


def test_url_other_port_is_kept_without_leading_zeros():
    assert canonical("url", "http://evil.com:08080/a") == "http://evil.com:8080/a"


def test_url_empty_path_becomes_slash():
    assert canonical("url", "http://evil.com") == "http://evil.com/"


def test_url_empty_path_before_query_becomes_slash():
    assert canonical("url", "http://evil.com?q=1") == "http://evil.com/?q=1"


def test_url_percent_encoded_unreserved_characters_are_decoded():
    assert canonical("url", "http://evil.com/%7Euser/%41%2d%5F") == "http://evil.com/~user/A-_"


def test_url_percent_encoded_reserved_characters_stay_encoded_in_upper_case():
    assert canonical("url", "http://evil.com/a%2fb?x=%3d") == "http://evil.com/a%2Fb?x=%3D"


def test_url_fragment_is_dropped():
    assert canonical("url", "http://evil.com/a?b=1#section") == "http://evil.com/a?b=1"


def test_url_query_and_userinfo_are_kept():
    assert (
        canonical("url", "http://User:Pw@evil.com/a?B=C&d=") == "http://User:Pw@evil.com/a?B=C&d="
    )


def test_url_unicode_host_is_idna_encoded():
    assert canonical("url", "http://Bücher.de/x") == "http://xn--bcher-kva.de/x"


def test_url_ip_host_is_canonicalised():
    assert canonical("url", "http://[2001:DB8:0::1]:8080/x") == "http://[2001:db8::1]:8080/x"


def test_url_ipv4_host_is_accepted():
    assert canonical("url", "http://198.51.100.7/gate.php") == "http://198.51.100.7/gate.php"


@pytest.mark.parametrize(
    "value",
    [
        "evil.com/a",
        "http:/evil.com",
        "http://",
        "http://intranet/a",
        "http://999.1.1.1/",
        "http://evil.com:99999/",
        "http://evil.com:8o/",
        "http://evil .com/",
        "http://evil.com/a b",
        "http://2001:db8::1/",
        "1http://evil.com/",
    ],
)
def test_invalid_url_is_rejected(value):
    with pytest.raises(ValueError):
        canonical("url", value)


# --- hashes, CVE, cryptocurrency, phone ---------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "value"), [("md5", MD5), ("sha1", SHA1), ("sha256", SHA256), ("sha512", SHA512)]
)
def test_hash_is_lower_cased(kind, value):
    assert canonical(kind, value.upper()) == value


@pytest.mark.parametrize(
    ("kind", "value"), [("md5", SHA1), ("sha1", MD5), ("sha256", SHA512), ("sha512", SHA256)]
)
def test_hash_of_the_wrong_length_is_rejected(kind, value):
    with pytest.raises(ValueError, match="hexadecimal"):
        canonical(kind, value)


def test_hash_with_non_hex_digits_is_rejected():
    with pytest.raises(ValueError):
        canonical("md5", "g" * 32)


def test_cve_is_upper_cased():
    assert canonical("cve", "cve-2021-44228") == "CVE-2021-44228"


def test_cve_with_a_long_number_is_accepted():
    assert canonical("cve", "CVE-2024-1234567") == "CVE-2024-1234567"


@pytest.mark.parametrize(
    "value", ["CVE-21-44228", "CVE-2021-123", "CVE 2021-44228", "CVE-1800-1234", "2021-44228"]
)
def test_malformed_cve_is_rejected(value):
    with pytest.raises(ValueError, match="CVE"):
        canonical("cve", value)


@pytest.mark.parametrize("address", [BTC_P2PKH, BTC_P2SH])
def test_legacy_bitcoin_address_with_valid_checksum_is_kept_as_is(address):
    assert canonical("btc", address) == address


def test_legacy_bitcoin_address_with_bad_checksum_is_rejected():
    with pytest.raises(ValueError, match="bitcoin"):
        canonical("btc", BTC_P2PKH[:-1] + "b")


def test_legacy_bitcoin_address_with_non_base58_character_is_rejected():
    with pytest.raises(ValueError):
        canonical("btc", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfN0")


def test_bech32_bitcoin_address_is_lower_cased():
    assert canonical("btc", BTC_SEGWIT.upper()) == BTC_SEGWIT


def test_bech32m_taproot_address_is_accepted():
    assert canonical("btc", BTC_TAPROOT) == BTC_TAPROOT


def test_bech32_address_with_bad_checksum_is_rejected():
    with pytest.raises(ValueError, match="bech32"):
        canonical("btc", BTC_SEGWIT[:-1] + "5")


def test_bech32_address_in_mixed_case_is_rejected():
    with pytest.raises(ValueError, match="mixes"):
        canonical("btc", "bc1Qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4")


def test_testnet_bitcoin_address_is_rejected():
    with pytest.raises(ValueError):
        canonical("btc", "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx")


def test_eth_address_is_lower_cased():
    assert canonical("eth", "0x52908400098527886E0F7030069857D2E4169EE7") == ETH


@pytest.mark.parametrize("value", [ETH[2:], ETH[:-1], ETH + "0", "0x" + "g" * 40])
def test_malformed_eth_address_is_rejected(value):
    with pytest.raises(ValueError, match="Ethereum"):
        canonical("eth", value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("+63 917 123 4567", "+639171234567"),
        ("+679-700-1234", "+6797001234"),
        ("+1 (555) 010.0199", "+15550100199"),
        ("+6797001234", "+6797001234"),
    ],
)
def test_phone_separators_are_removed(value, expected):
    assert canonical("phone", value) == expected


@pytest.mark.parametrize(
    "value", ["6797001234", "+123456", "+1234567890123456", "+0797001234", "+679 700 12x4"]
)
def test_phone_that_is_not_e164_is_rejected(value):
    with pytest.raises(ValueError, match=r"E\.164"):
        canonical("phone", value)


# --- guess_kind -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("198.51.100.7", "ipv4"),
        ("10.0.0.0/8", "ipv4"),
        ("2001:db8::1", "ipv6"),
        ("evil.example.com", "domain"),
        ("http://evil.com/a", "url"),
        ("bad@evil.com", "email"),
        (MD5, "md5"),
        (SHA1, "sha1"),
        (SHA256, "sha256"),
        (SHA512, "sha512"),
        ("CVE-2021-44228", "cve"),
        (BTC_P2PKH, "btc"),
        (BTC_SEGWIT, "btc"),
        (ETH, "eth"),
        ("+63 917 123 4567", "phone"),
    ],
)
def test_guess_kind_recognises_each_kind(value, kind):
    assert guess_kind(value) == kind


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("hxxps://evil[.]com/a", "url"),
        ("198[.]51[.]100[.]7", "ipv4"),
        ("bad[at]evil[.]com", "email"),
        ("evil(dot)com", "domain"),
    ],
)
def test_guess_kind_refangs_first(value, kind):
    assert guess_kind(value) == kind


@pytest.mark.parametrize(
    "value", ["", "   ", "hello", "report.pdf", "999.1.1.1", "12:30:45", "d41d8cd9", "1.2.3"]
)
def test_guess_kind_returns_none_for_non_observables(value):
    assert guess_kind(value) is None


def test_guess_kind_takes_a_bare_file_like_name_as_a_domain():
    assert guess_kind("archive.zip") == "domain"


# --- refang -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("defanged", "fanged"),
    [
        ("hxxp://a.com", "http://a.com"),
        ("hXXp://a.com", "http://a.com"),
        ("hxxps://a.com", "https://a.com"),
        ("HXXPS://a.com", "https://a.com"),
        ("fxp://a.com", "ftp://a.com"),
        ("evil[.]com", "evil.com"),
        ("evil(.)com", "evil.com"),
        ("evil{.}com", "evil.com"),
        ("evil[dot]com", "evil.com"),
        ("evil(dot)com", "evil.com"),
        ("evil[ . ]com", "evil.com"),
        ("http[:]//a.com", "http://a.com"),
        ("http[://]a.com", "http://a.com"),
        ("bad[at]evil.com", "bad@evil.com"),
        ("bad(at)evil.com", "bad@evil.com"),
        ("bad[@]evil.com", "bad@evil.com"),
        ("hxxp[:]//evil[.]com", "http://evil.com"),
    ],
)
def test_refang_undoes_defanging(defanged, fanged):
    assert refang(defanged) == fanged


@pytest.mark.parametrize("text", ["the hxxp scheme", "ahxxp://x", "[sic]", "(at least)", "f(x)"])
def test_refang_leaves_ordinary_text_alone(text):
    assert refang(text) == text


def test_refang_handles_large_input():
    text = "evil[.]com hxxp://x[.]y " * 20000
    assert refang(text) == "evil.com http://x.y " * 20000


# --- value_hash -------------------------------------------------------------------------------


def test_value_hash_is_stable():
    assert value_hash("domain", "evil.com") == -3988728208662583325


def test_value_hash_fits_a_signed_64_bit_integer():
    values = [value_hash("md5", f"{i:032x}") for i in range(200)]
    assert all(-(2**63) <= v < 2**63 for v in values)
    assert any(v < 0 for v in values)


def test_value_hash_depends_on_the_kind():
    assert value_hash("md5", MD5) != value_hash("sha1", MD5)


# --- STIX ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        (("ipv4-addr", "value"), "ipv4"),
        (("ipv6-addr", "value"), "ipv6"),
        (("domain-name", "value"), "domain"),
        (("url", "value"), "url"),
        (("email-addr", "value"), "email"),
        (("email-message", "from_ref.value"), "email"),
        (("file", "hashes.MD5"), "md5"),
        (("file", "hashes.'SHA-1'"), "sha1"),
        (("file", "hashes.'SHA-256'"), "sha256"),
        (("file", "hashes.'SHA-512'"), "sha512"),
        (("file", "hashes.SHA256"), "sha256"),
        (("file", "hashes.SHA1"), "sha1"),
        (("file", "hashes.'SHA256'"), "sha256"),
        (("file", "hashes.sha256"), "sha256"),
        (("vulnerability", "name"), "cve"),
    ],
)
def test_stix_paths_map_properties_to_kinds(path, kind):
    assert STIX_PATHS[path] == kind


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        ({"type": "ipv4-addr", "value": "198.51.100.7"}, [("ipv4", "198.51.100.7")]),
        ({"type": "ipv6-addr", "value": "2001:db8::1"}, [("ipv6", "2001:db8::1")]),
        ({"type": "domain-name", "value": "evil.com"}, [("domain", "evil.com")]),
        ({"type": "url", "value": "http://evil.com/"}, [("url", "http://evil.com/")]),
        ({"type": "email-addr", "value": "a@evil.com"}, [("email", "a@evil.com")]),
    ],
)
def test_stix_sco_values_reads_value_objects(obj, expected):
    assert stix_sco_values(obj) == expected


def test_stix_sco_values_reads_file_hashes_in_either_spelling():
    obj = {
        "type": "file",
        "name": "x.exe",
        "hashes": {"MD5": MD5, "SHA-1": SHA1, "SHA256": SHA256, "sha-512": SHA512, "TLSH": "x"},
    }
    assert stix_sco_values(obj) == [
        ("md5", MD5),
        ("sha1", SHA1),
        ("sha256", SHA256),
        ("sha512", SHA512),
    ]


def test_stix_sco_values_returns_raw_values_unvalidated():
    assert stix_sco_values({"type": "domain-name", "value": "EVIL.com."}) == [
        ("domain", "EVIL.com.")
    ]


@pytest.mark.parametrize(
    "obj",
    [
        {"type": "indicator", "pattern": "[ipv4-addr:value = '1.2.3.4']"},
        {"type": "ipv4-addr"},
        {"type": "ipv4-addr", "value": 17},
        {"type": "file"},
        {"type": "file", "hashes": "nope"},
        "not a dict",
    ],
)
def test_stix_sco_values_returns_nothing_for_other_or_broken_objects(obj):
    assert stix_sco_values(obj) == []
