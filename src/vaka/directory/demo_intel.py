"""The demo region's intelligence: three cases that tell the story of hit/no-hit.

* a sextortion wave across the Pacific islands (phone numbers, e-mail addresses, payment
  wallets) held by the Philippines unit, the Fiji TCU and CERT Tonga at different TLPs;
* a business e-mail compromise (look-alike domains and mailboxes, a bank-change request)
  reported by a private partner and by the Fiji TCU;
* a ransomware group (addresses, domains, hashes, an onion site, ATT&CK techniques) from a
  private partner, re-shared in part by the desk.

Everything goes through the real services as each agency's users — ingestion (CSV, free
text, STIX), look-ups, notes, a TAXII collection — so correlations, hit notifications and
inbox notices happen for real. Every value is made up or reserved for documentation:
addresses in 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24 and 2001:db8::/32, domains under
example.com/.net/.org (those are on warninglists, as such values are: the demo shows them
flagged, never correlated), phone numbers from the ranges Australia and the UK keep for
drama, the BIP 173 test-vector bitcoin address, invented hashes and onion names.

Loading is idempotent: each part is skipped when what it made is already there.
"""

import json
from typing import Any

from vaka.directory.models import Community, Organisation, User
from vaka.exchange.models import Collection
from vaka.exchange.taxii import save_collection
from vaka.intel import services
from vaka.intel.models import HitNotification, Note, Submission
from vaka.policy.services import Markings

ATTACK = 'misp-galaxy:mitre-attack-pattern="{}"'
PTCN = "Pacific Transnational Crime Network"
PARTNERS = "Private partners"
ASPJOC = "ASPJOC members"

# --- The sextortion wave ---------------------------------------------------------------------

PH_LEADS = """type,value,description,labels
phone,+61491570158,Number given to victims in Cebu and Davao,sextortion
eth,0x5aa1c0de000000000000000000000000000f1ee7,Wallet named in three payment demands,sextortion
email,payme.now@inbox.example.net,Account sending the payment demands,sextortion
"""

FJ_WAVE = """type,value,description,labels
phone,+61491570156,Number of the 'Tavita' profile (Suva and Lautoka reports),sextortion
phone,+61491570157,Second number of the same profile,sextortion
phone,+61491570158,Number in payment demands to students in Labasa,sextortion
phone,+447700900123,Number used for follow-up threats,sextortion
email,tavita.love@mail.example.com,Social media recovery address of the profile,sextortion
email,payme.now@inbox.example.net,Account sending the payment demands,sextortion
btc,bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4,Wallet in the payment demands,sextortion
eth,0x5aa1c0de000000000000000000000000000f1ee7,Second wallet in the payment demands,sextortion
"""

TO_COMPLAINTS = """CERT Tonga: sextortion complaints received this month (summary for partners)

Seven young people in Nuku'alofa and Vava'u reported being contacted by a profile calling
herself Tavita. After an exchange of images they were told to call +61 491 570 156 or to
message +44 7700 900123, and to pay to bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4 within
24 hours. The profile's recovery address was tavita.love@mail.example.com.
"""

# --- The business e-mail compromise ------------------------------------------------------------

FJ_BEC = """type,value,description,labels
email,accounts@kumu1-freight.example.net,Sender of the bank-change request to a Suva importer,bec
email,finance.director@kumul-freight.example.net,Genuine address the look-alike imitates,bec
domain,kumu1-freight.example.net,Look-alike of the freight company's domain,bec
"""

# --- The ransomware group ----------------------------------------------------------------------

REEF_SHA256 = "7f3c9a1e5b2d4c6e8a0f1b3d5c7e9a2b4d6f8e0c1a3b5d7f9e2c4a6b8d0f1e3a"
REEF_SHA256_2 = "0e4d2c1b9a8f7e6d5c4b3a29180f7e6d5c4b3a29180f7e6d5c4b3a29180f7e6d"
REEF_MD5 = "5d41c0ffee2b8a6e9f1c3d7b0a4e8c21"
REEF_ONION = "reeflockpay7x2kq4p3hfd5nz6wjb2y7l4rs3tu5vw6xy7z8ab2cd3ef.onion"
DESK_IOCS = f"""type,value,description,labels
sha256,{REEF_SHA256},ReefLock encryptor seen at a Port Moresby logistics firm,ransomware
md5,{REEF_MD5},ReefLock loader,ransomware
domain,{REEF_ONION},ReefLock negotiation and leak site,ransomware
ipv4,203.0.113.45,ReefLock command server,ransomware
"""
REEF_TECHNIQUES = [("Exploit Public-Facing Application", "T1190"),
                   ("Data Encrypted for Impact", "T1486"),
                   ("Inhibit System Recovery", "T1490")]


def _stix_id(kind: str, n: int) -> str:
    return f"{kind}--00000000-0000-4000-8000-{n:012d}"


T0 = "2026-10-05T09:00:00.000Z"


def _indicator(n: int, name: str, pattern: str, description: str = "") -> dict[str, Any]:
    return {"type": "indicator", "spec_version": "2.1", "id": _stix_id("indicator", n),
            "created": T0, "modified": T0, "name": name, "description": description,
            "pattern": pattern, "pattern_type": "stix", "valid_from": T0}


def _relationship(n: int, source: str, kind: str, target: str) -> dict[str, Any]:
    return {"type": "relationship", "spec_version": "2.1", "id": _stix_id("relationship", n),
            "created": T0, "modified": T0, "relationship_type": kind, "source_ref": source,
            "target_ref": target}


def bec_bundle() -> bytes:
    campaign = {"type": "campaign", "spec_version": "2.1", "id": _stix_id("campaign", 1),
                "created": T0, "modified": T0, "name": "Freight bank-change wave",
                "description": "Look-alike mailboxes of a Port Moresby freight company ask "
                               "its Pacific customers to pay invoices into a new account."}
    indicators = [
        _indicator(101, "accounts@kumu1-freight.example.net",
                   "[email-addr:value = 'accounts@kumu1-freight.example.net']",
                   "Sends the bank-change request"),
        _indicator(102, "payroll-update@kumul-freiqht.example.com",
                   "[email-addr:value = 'payroll-update@kumul-freiqht.example.com']",
                   "Second look-alike mailbox"),
        _indicator(103, "kumu1-freight.example.net",
                   "[domain-name:value = 'kumu1-freight.example.net']",
                   "Look-alike domain (digit one for the letter l)"),
        _indicator(104, "kumul-freiqht.example.com",
                   "[domain-name:value = 'kumul-freiqht.example.com']",
                   "Look-alike domain (q for g)"),
    ]
    relations = [_relationship(200 + i, ind["id"], "indicates", campaign["id"])
                 for i, ind in enumerate(indicators)]
    return _bundle(1, [campaign, *indicators, *relations])


def ransomware_bundle() -> bytes:
    group = {"type": "intrusion-set", "spec_version": "2.1", "id": _stix_id("intrusion-set", 1),
             "created": T0, "modified": T0, "name": "ReefLock",
             "description": "Ransomware group targeting logistics and government networks in "
                            "Papua New Guinea, Fiji and Solomon Islands since mid-2026."}
    patterns = [{"type": "attack-pattern", "spec_version": "2.1",
                 "id": _stix_id("attack-pattern", i + 1), "created": T0, "modified": T0,
                 "name": name, "external_references": [
                     {"source_name": "mitre-attack", "external_id": code}]}
                for i, (name, code) in enumerate(REEF_TECHNIQUES)]
    indicators = [
        _indicator(301, "ReefLock encryptor", f"[file:hashes.'SHA-256' = '{REEF_SHA256}']"),
        _indicator(302, "ReefLock encryptor, second build",
                   f"[file:hashes.'SHA-256' = '{REEF_SHA256_2}']"),
        _indicator(303, "ReefLock loader", f"[file:hashes.MD5 = '{REEF_MD5}']"),
        _indicator(304, "ReefLock leak site", f"[domain-name:value = '{REEF_ONION}']"),
        _indicator(305, "ReefLock command server", "[ipv4-addr:value = '203.0.113.45']"),
        _indicator(306, "ReefLock staging server", "[ipv4-addr:value = '198.51.100.23']"),
        _indicator(307, "ReefLock exfiltration host", "[ipv6-addr:value = '2001:db8:7a::15']"),
        _indicator(308, "ReefLock payment portal",
                   "[domain-name:value = 'reeflock-pay.example.org']"),
    ]
    relations = [_relationship(400 + i, ind["id"], "indicates", group["id"])
                 for i, ind in enumerate(indicators)]
    relations += [_relationship(450 + i, group["id"], "uses", p["id"])
                  for i, p in enumerate(patterns)]
    return _bundle(2, [group, *patterns, *indicators, *relations])


def _bundle(n: int, objects: list[dict[str, Any]]) -> bytes:
    return json.dumps({"type": "bundle", "id": _stix_id("bundle", n),
                       "objects": objects}).encode()


# --- Loading -----------------------------------------------------------------------------------

def _org(name: str) -> Organisation:
    return Organisation.objects.get(name=name, origin__isnull=True)


def _community(name: str) -> Community:
    return Community.objects.get(name=name)


def _ingest(username: str, filename: str, data: bytes, fmt: str, markings: Markings,
            labels: list[str] | None = None) -> int:
    """Ingest as ``username`` unless their organisation already holds ``filename``."""
    user = User.objects.get(username=username)
    if Submission.objects.filter(organisation=user.organisation_id,
                                 filename=filename).exists():
        return 0
    submission = services.ingest_bytes(
        data, organisation=user.organisation, user=user, markings=markings, source="cli",
        fmt=fmt, filename=filename, labels=labels)
    if submission.status == Submission.Status.REJECTED:
        raise ValueError(f"demo data {filename} was rejected: {submission.errors}")
    return 1


def _lookup(username: str, values: list[str]) -> int:
    """Look values up as ``username``, once: their hits tell the holders who asked."""
    user = User.objects.get(username=username)
    if HitNotification.objects.filter(asked_by=user,
                                      channel=HitNotification.Channel.LOOKUP).exists():
        return 0
    services.lookup(values, user=user)
    return 1


def _note(username: str, title: str, body: str, markings: Markings) -> int:
    user = User.objects.get(username=username)
    if Note.objects.filter(owner=user.organisation_id, title=title).exists():
        return 0
    services.create_note(user=user, title=title, body=body, markings=markings)
    return 1


def load(desk_name: str, admin_username: str) -> dict[str, int]:
    """Load the three cases; returns how many submissions, look-ups, notes and
    collections were made (all zero on a second run)."""
    created = {"submissions": 0, "lookups": 0, "notes": 0, "collections": 0}
    desk = _org(desk_name)
    ptcn, partners, aspjoc = _community(PTCN), _community(PARTNERS), _community(ASPJOC)

    # Sextortion: the Philippines unit keeps its leads to itself; the Fiji TCU shares with
    # the PTCN (its ingest hits the Philippines' records); CERT Tonga shares its complaints
    # with the private partners at TLP:GREEN (they hit Fiji's TLP:AMBER records).
    created["submissions"] += _ingest(
        "ph.analyst", "ph-sextortion-leads.csv", PH_LEADS.encode(), "csv",
        Markings(tlp="amber+strict", distribution="organisation"))
    created["submissions"] += _ingest(
        "fj.analyst", "fj-sextortion-wave.csv", FJ_WAVE.encode(), "csv",
        Markings(tlp="amber", distribution="communities", communities=[ptcn]))
    created["submissions"] += _ingest(
        "to.cert", "to-cert-sextortion-complaints.txt", TO_COMPLAINTS.encode(), "text",
        Markings(tlp="green", distribution="communities", communities=[partners]),
        labels=["sextortion"])

    # BEC: a private partner's STIX (private partners only), and a Fiji complaint.
    created["submissions"] += _ingest(
        "kestrel.analyst", "kestrel-bec-freight.json", bec_bundle(), "stix",
        Markings(tlp="amber", distribution="communities", communities=[partners]),
        labels=["bec", ATTACK.format("Phishing - T1566")])
    created["submissions"] += _ingest(
        "fj.analyst", "fj-bec-complaint.csv", FJ_BEC.encode(), "csv",
        Markings(tlp="green", distribution="communities", communities=[ptcn]))

    # Ransomware: the partner's full report for the desk only (TLP:AMBER+STRICT); the desk
    # re-shares the indicators every member needs at TLP:GREEN.
    created["submissions"] += _ingest(
        "kestrel.analyst", "kestrel-reeflock.json", ransomware_bundle(), "stix",
        Markings(tlp="amber+strict", distribution="communities", communities=[partners],
                 recipient_organisations=[desk, _org("Kestrel Threat Research")]),
        labels=["ransomware", *(ATTACK.format(f"{n} - {c}") for n, c in REEF_TECHNIQUES)])
    created["submissions"] += _ingest(
        "desk.analyst", "desk-reeflock-indicators.csv", DESK_IOCS.encode(), "csv",
        Markings(tlp="green", distribution="members"))

    # Look-ups that hit records the asker may not see: their owners get notices.
    created["lookups"] += _lookup("ph.analyst", [
        "+61 491 570 156", "tavita.love@mail.example.com", "accounts@kumu1-freight.example.net"])
    created["lookups"] += _lookup("fj.analyst", [REEF_ONION, REEF_SHA256_2])

    created["notes"] += _note(
        "desk.analyst", "Sextortion wave across the Pacific: week 47",
        "Reports from Fiji, Tonga and the Philippines share phone numbers and wallets: one "
        "group is behind them. The desk is putting the three agencies in touch.",
        Markings(tlp="green", distribution="members"))
    created["notes"] += _note(
        "fj.analyst", "Victim referrals in Suva",
        "Two victims referred to counselling; both kept their messages for evidence.",
        Markings(tlp="amber", distribution="organisation"))
    created["notes"] += _note(
        "kestrel.analyst", "ReefLock negotiation portal",
        "The leak site lists two Pacific victims; negotiators answer within hours.",
        Markings(tlp="green", distribution="communities", communities=[partners]))

    if not Collection.objects.filter(alias="ransomware").exists():
        save_collection(
            Collection(title="Ransomware indicators", alias="ransomware",
                       description="Indicators of ransomware groups active in the region.",
                       filters={"label": "ransomware"}),
            readers=[aspjoc, partners], markings=Markings(tlp="green", distribution="members"),
            user=User.objects.get(username=admin_username))
        created["collections"] += 1
    return created
