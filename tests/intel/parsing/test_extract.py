"""Indicator extraction from free text and from uploaded files."""

import pytest

from vaka.intel.parsing.errors import InputError
from vaka.intel.parsing.extract import Indicator, extract, text_of

SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
SHA1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709"
MD5 = "d41d8cd98f00b204e9800998ecf8427e"
SHA512 = (
    "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
    "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"
)


def pairs(text: str) -> list[tuple[str, str]]:
    return [(i.kind, i.value) for i in extract(text)]


# --- the result -----------------------------------------------------------------------------


def test_indicator_has_kind_and_value():
    assert extract("see evil.com") == [Indicator(kind="domain", value="evil.com")]


def test_indicators_are_in_order_of_first_appearance():
    text = f"{SHA256} then 198.51.100.7 then evil.com then CVE-2021-44228"
    assert [i.kind for i in extract(text)] == ["sha256", "ipv4", "domain", "cve"]


def test_indicators_are_deduplicated_after_canonicalisation():
    assert pairs("EVIL.com, evil.com. and evil[.]com") == [("domain", "evil.com")]


def test_empty_text_yields_nothing():
    assert extract("") == []


# --- each kind ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("host 198.51.100.7 seen", ("ipv4", "198.51.100.7")),
        ("range 203.0.113.9/24 seen", ("ipv4", "203.0.113.0/24")),
        ("host 2001:DB8::1 seen", ("ipv6", "2001:db8::1")),
        ("range 2001:db8::/32 seen", ("ipv6", "2001:db8::/32")),
        ("mapped ::ffff:192.0.2.1 seen", ("ipv6", "::ffff:192.0.2.1")),
        ("domain Update-Check.example.com seen", ("domain", "update-check.example.com")),
        ("domain bücher.de seen", ("domain", "xn--bcher-kva.de")),
        ("url https://evil.com/a?b=1 seen", ("url", "https://evil.com/a?b=1")),
        ("mail Bad.Actor@Evil.com seen", ("email", "bad.actor@evil.com")),
        (f"hash {MD5} seen", ("md5", MD5)),
        (f"hash {SHA1.upper()} seen", ("sha1", SHA1)),
        (f"hash {SHA256} seen", ("sha256", SHA256)),
        (f"hash {SHA512} seen", ("sha512", SHA512)),
        ("bug cve-2021-44228 seen", ("cve", "CVE-2021-44228")),
        (
            "wallet 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa seen",
            ("btc", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"),
        ),
        (
            "wallet BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4 seen",
            ("btc", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"),
        ),
        (
            "wallet 0x52908400098527886E0F7030069857D2E4169EE7 seen",
            ("eth", "0x52908400098527886e0f7030069857d2e4169ee7"),
        ),
        ("call +6797001234 now", ("phone", "+6797001234")),
    ],
)
def test_each_kind_is_extracted(text, expected):
    assert pairs(text) == [expected]


# --- refanging ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hxxps://evil[.]com/a", ("url", "https://evil.com/a")),
        ("hXXp[:]//evil[.]com/", ("url", "http://evil.com/")),
        ("fxp://files[.]evil[.]com/x", ("url", "ftp://files.evil.com/x")),
        ("198[.]51[.]100[.]7", ("ipv4", "198.51.100.7")),
        ("evil(dot)com", ("domain", "evil.com")),
        ("bad[at]evil[.]com", ("email", "bad@evil.com")),
        ("bad(at)evil{.}com", ("email", "bad@evil.com")),
    ],
)
def test_defanged_indicators_are_found(text, expected):
    assert pairs(f"Block {text} today.") == [expected]


# --- precision traps ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Upgrade to version 1.2.3.4 of the agent.",
        "Fixed in v10.0.0.1.",
        "ver 2.0.0.1 released",
        "Version: 6.1.7601.1 is affected",
        "build 10.0.19041.1 only",
        "firmware 3.2.1.0 update",
        "versions 10.0.0.1 through 10.0.0.9 are affected",
        "OID 1.2.3.4.5 is used",
        "sequence 1.2.3.4.5.6.7.8",
        "bad octet 999.1.1.1",
        "bad octet 1.2.3.256",
    ],
)
def test_version_numbers_and_invalid_octets_are_not_ipv4(text):
    assert pairs(text) == []


def test_ip_after_a_version_elsewhere_in_the_sentence_is_kept():
    assert pairs("Version 2 beacons to 198.51.100.7 daily") == [("ipv4", "198.51.100.7")]


@pytest.mark.parametrize(
    "text",
    [
        "at 12:30:45 UTC",
        "from 10:30 to 11:45",
        "MAC 00:1A:2B:3C:4D:5E",
        "mac aa:bb:cc:dd:ee:ff",
        "EUI-64 02:1a:2b:ff:fe:3c:4d:5e",
        "the :: operator",
        "std::vector<int>",
        "Foo::Bar::baz()",
        "Face::Add",
        "ratio 1:2:3",
    ],
)
def test_times_macs_and_code_are_not_ipv6(text):
    assert pairs(text) == []


@pytest.mark.parametrize(
    "name",
    [
        "report.pdf",
        "invoice.exe",
        "setup.msi",
        "readme.txt",
        "photo.jpg",
        "archive.zip",
        "script.js",
        "run.py",
        "data.json",
        "install.sh",
        "clip.mov",
        "notes.md",
        "main.rs",
        "invoice.one",
        "libssl.so",
    ],
)
def test_file_names_are_not_domains(name):
    assert pairs(f"The dropper wrote {name} to disk.") == []


@pytest.mark.parametrize("name", ["www.archive.zip", "cdn.evil.sh", "dl.run.py"])
def test_file_like_tld_with_subdomains_is_a_domain(name):
    assert pairs(f"Traffic to {name} was seen.") == [("domain", name)]


def test_file_like_tld_inside_a_url_is_kept():
    assert pairs("Fetched http://archive.zip/payload today") == [
        ("url", "http://archive.zip/payload")
    ]


@pytest.mark.parametrize(
    "text",
    [
        "System.IO.File",
        "Foo.Bar",
        "e.g. this",
        "i.e. that",
        "U.S.A.",
        "Node.js runtime",
        "appendix A.1",
    ],
)
def test_code_identifiers_and_abbreviations_are_not_domains(text):
    assert pairs(text) == []


def test_method_call_is_not_a_domain():
    assert pairs("then record.save() and timezone.now()") == []


def test_capitalised_and_upper_case_domains_are_kept():
    assert pairs("Evil.com and EVIL.NET") == [("domain", "evil.com"), ("domain", "evil.net")]


def test_hash_inside_a_longer_hex_run_is_not_reported():
    assert pairs(f"blob {SHA256}ab end") == []


def test_a_value_too_long_to_be_remembered_is_still_validated_each_time():
    url = "http://evil.com/" + "a" * 400
    assert pairs(f"get {url} and {url}!") == [("url", url)]
    assert pairs("get http://evil.invalid/" + "a" * 400) == []


def test_sha256_does_not_also_yield_sha1_or_md5():
    assert pairs(f"hash {SHA256} end") == [("sha256", SHA256)]


@pytest.mark.parametrize(
    "text", ["id " + "1" * 32, "word " + "deadbeef" * 4, "x" + MD5, MD5 + "g", "0x" + SHA1]
)
def test_hex_runs_that_are_not_whole_hashes_are_not_reported(text):
    assert not [p for p in pairs(text) if p[0] in {"md5", "sha1", "sha256", "sha512"}]


def test_email_domain_is_not_also_reported_as_domain():
    assert pairs("Contact bad@evil.com now") == [("email", "bad@evil.com")]


def test_url_host_is_not_also_reported_as_domain():
    assert pairs("Visit http://evil.com/login now") == [("url", "http://evil.com/login")]


def test_url_host_ip_is_not_also_reported_as_ipv4():
    assert pairs("Visit http://198.51.100.7:8080/gate.php") == [
        ("url", "http://198.51.100.7:8080/gate.php")
    ]


def test_url_host_is_reported_when_it_also_appears_on_its_own():
    assert pairs("http://evil.com/a and later evil.com alone") == [
        ("url", "http://evil.com/a"),
        ("domain", "evil.com"),
    ]


def test_hash_in_a_url_path_is_reported():
    text = f"https://www.virustotal.com/gui/file/{SHA256}/detection"
    assert pairs(text) == [("url", text), ("sha256", SHA256)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Blocked example.com.", ("domain", "example.com")),
        ("(see http://x.evil.com/z)", ("url", "http://x.evil.com/z")),
        ("<http://x.evil.com/z>", ("url", "http://x.evil.com/z")),
        ('"http://x.evil.com/z"', ("url", "http://x.evil.com/z")),
        ("'http://x.evil.com/z',", ("url", "http://x.evil.com/z")),
        ("at http://x.evil.com/z.", ("url", "http://x.evil.com/z")),
        ("[link](http://x.evil.com/z)", ("url", "http://x.evil.com/z")),
        ("host 198.51.100.7.", ("ipv4", "198.51.100.7")),
        ("host 2001:db8::1.", ("ipv6", "2001:db8::1")),
        ("(bad@evil.com)", ("email", "bad@evil.com")),
    ],
)
def test_trailing_punctuation_and_wrappers_are_stripped(text, expected):
    assert pairs(text) == [expected]


def test_balanced_parentheses_in_a_url_are_kept():
    assert pairs("see https://en.wikipedia.org/wiki/Foo_(bar) too") == [
        ("url", "https://en.wikipedia.org/wiki/Foo_(bar)")
    ]


def test_phone_with_spaces_is_normalised():
    assert pairs("Call +63 917 123 4567 for help") == [("phone", "+639171234567")]


@pytest.mark.parametrize(
    "text",
    [
        "call 0123 456 789",
        "order 12345678901234",
        "count 6797001234",
        "5+12345678",
        "+1234567 only",
        "UTC+10",
        "+1 234 567 890 123 456 789",
    ],
)
def test_numbers_that_are_not_strict_e164_are_not_phones(text):
    assert [p for p in pairs(text) if p[0] == "phone"] == []


def test_phone_followed_by_an_ip_keeps_its_own_digits():
    assert pairs("+679 7001234 198.51.100.7") == [
        ("phone", "+6797001234"),
        ("ipv4", "198.51.100.7"),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("访问evil.com获取", ("domain", "evil.com")),
        ("联系bad@evil.com获取更多", ("email", "bad@evil.com")),
        ("服务器198.51.100.7和", ("ipv4", "198.51.100.7")),
        ("链接http://evil.com/a获取", ("url", "http://evil.com/a")),
        ("ดาวน์โหลดจากevil.comเมื่อ", ("domain", "evil.com")),
        ("CVE-2024-3400を悪用", ("cve", "CVE-2024-3400")),
        (f"ハッシュ{SHA256}を", ("sha256", SHA256)),
    ],
)
def test_indicators_next_to_cjk_or_thai_text_without_spaces_are_found(text, expected):
    assert pairs(text) == [expected]


def test_internationalised_domain_in_text_is_found():
    assert pairs("例え.jp and пример.рф") == [
        ("domain", "xn--r8jz45g.jp"),
        ("domain", "xn--e1afmkfd.xn--p1ai"),
    ]


def test_advisory_with_every_trap_yields_exactly_the_planted_indicators():
    text = """
    TLP:CLEAR. On 2024-05-01 at 12:30:45 UTC the actor exploited CVE-2024-3400 in PAN-OS
    version 10.2.9.1 and v11.0.0.1. The loader (invoice.exe, report.pdf, archive.zip) beaconed
    to hxxps://cdn[.]evil-updates[.]com/gate.php?id=7 and 198[.]51[.]100[.]7, then to
    203.0.113.0/24. MAC 00:1A:2B:3C:4D:5E, time 10:30, e.g. System.IO.File were seen.
    Phishing came from billing[at]evil-updates[.]com; ransom to 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa.
    Payload SHA-256: E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855.
    Call-back number +679 700 1234. Also blocked: evil-updates.com.
    """
    assert pairs(text) == [
        ("cve", "CVE-2024-3400"),
        ("url", "https://cdn.evil-updates.com/gate.php?id=7"),
        ("ipv4", "198.51.100.7"),
        ("ipv4", "203.0.113.0/24"),
        ("email", "billing@evil-updates.com"),
        ("btc", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"),
        ("sha256", SHA256),
        ("phone", "+6797001234"),
        ("domain", "evil-updates.com"),
    ]


# --- linearity: these finish in well under a second; a backtracking blow-up would hang -----


@pytest.mark.parametrize(
    "text",
    [
        "a." * 100_000,
        "1." * 100_000,
        ":" * 200_000,
        "a" * 200_000 + "@",
        "@" * 200_000,
        "a@b." * 50_000,
        "http://" * 30_000,
        "1:" * 100_000,
        "f" * 200_000,
        "+1 " * 70_000,
        "[.]" * 70_000,
        ("a" * 70 + ".") * 3_000,
        "1.1.1.1/" * 25_000,
        "x.y " * 50_000,
    ],
    ids=[
        "a-dot",
        "1-dot",
        "colons",
        "a-then-at",
        "ats",
        "a-at-b-dot",
        "schemes",
        "1-colon",
        "hex",
        "plus-1",
        "defanged-dots",
        "long-labels",
        "cidr-chain",
        "tiny-domains",
    ],
)
def test_pathological_input_is_handled_in_linear_time(text):
    assert isinstance(extract(text), list)


# --- text_of --------------------------------------------------------------------------------


def minimal_pdf(text: str) -> bytes:
    """A one-page PDF showing ``text`` in Helvetica, with a correct cross-reference table."""
    stream = f"BT /F1 12 Tf 72 712 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def test_text_of_pdf_extracts_the_page_text():
    text = text_of(minimal_pdf("evil.example.com 198.51.100.7"), "report.pdf")
    assert pairs(text) == [("domain", "evil.example.com"), ("ipv4", "198.51.100.7")]


def test_text_of_pdf_with_wrong_magic_bytes_raises_input_error():
    with pytest.raises(InputError) as error:
        text_of(b"MZ\x90\x00 this is an executable", "invoice.pdf")
    problem = error.value.problems[0]
    assert problem.message.startswith("not a PDF file: ")
    assert problem.file == "invoice.pdf"


def test_text_of_unreadable_pdf_raises_input_error():
    with pytest.raises(InputError, match="not a PDF file") as error:
        text_of(b"%PDF-1.7\n\x00\x01 truncated garbage", "broken.PDF")
    assert error.value.problems[0].file == "broken.PDF"


def test_text_of_html_drops_scripts_and_styles():
    html = (
        b"<html><head><style>body{background:url(http://style.evil.com/x)}</style>"
        b"<script>fetch('http://script.evil.com/x')</script></head>"
        b"<body><p>Seen evil.com</p></body></html>"
    )
    assert pairs(text_of(html, "page.html")) == [("domain", "evil.com")]


def test_text_of_html_keeps_link_targets():
    # (split so the source does not read as a page loading a remote asset)
    html = b'<p>Read <a href="' b'https://linked.evil.com/p">this report</a></p>'
    assert pairs(text_of(html, "page.htm")) == [("url", "https://linked.evil.com/p")]


def test_text_of_html_keeps_table_cells_apart():
    html = b"<table><tr><td>evil.com</td><td>198.51.100.7</td></tr></table>"
    assert pairs(text_of(html, "t.HTML")) == [("domain", "evil.com"), ("ipv4", "198.51.100.7")]


def test_text_of_html_decodes_entities():
    assert text_of(b"<p>bad&#64;evil&period;com</p>", "x.html").strip() == "bad@evil.com"


@pytest.mark.parametrize("name", ["notes.txt", "notes.md", "notes", "notes.log"])
def test_text_of_plain_text_is_decoded_as_utf8(name):
    assert text_of("Bücher.de 198.51.100.7".encode(), name) == "Bücher.de 198.51.100.7"


def test_text_of_replaces_undecodable_bytes():
    assert text_of(b"evil.com \xff\xfe\xfa end", "dump.bin") == "evil.com \ufffd\ufffd\ufffd end"


def test_text_of_honours_a_utf16_byte_order_mark():
    assert text_of("evil.com".encode("utf-16"), "export.txt") == "evil.com"


# --- held-out corpus misses (issue 9) --------------------------------------------------------


@pytest.mark.parametrize(("text", "value"), [
    ("Scam phone  +687 75.12.34 (service client)", "+687751234"),
    ("vishing number +1 (415) 555-0132 in the notes", "+14155550132"),
])
def test_phone_number_with_dotted_groups_or_bracketed_area_code_is_found(text, value):
    assert pairs(text) == [("phone", value)]


def test_android_package_name_written_backwards_is_not_a_domain():
    assert pairs("the genuine app (com.goldwavesec.app) is not involved") == []


@pytest.mark.parametrize("text", [
    f"Serial (hex):   {MD5}",
    f"its JA3 fingerprint is {MD5}.",
    f"24\tja3\t{MD5}\tTLS client",
    f"First part sent, txid\n   {SHA256}",
])
def test_hex_run_named_as_serial_ja3_or_transaction_id_is_not_a_hash(text):
    assert pairs(text) == []


def test_hex_run_named_as_a_certificate_fingerprint_is_still_a_hash():
    assert pairs(f"signed with a certificate whose SHA-1 fingerprint is {SHA1}") == [
        ("sha1", SHA1)]
