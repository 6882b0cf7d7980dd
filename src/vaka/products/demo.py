"""The demo region's products, made through the same services people use: a ransomware
alert the desk disseminated and Fiji acknowledged, an assessment waiting for review, and
public awareness material. Idempotent: a product whose title its owner already holds is
left alone."""

from datetime import timedelta

from django.utils import timezone

from vaka.directory.models import User
from vaka.intel.models import StixObject
from vaka.policy.services import Markings
from vaka.products import dissemination, services
from vaka.products.models import Kind, Product
from vaka.products.services import Content

ALERT = "ReefLock ransomware: Pacific utilities and ports targeted"
ASSESSMENT = "Sextortion in the Pacific, 2026: one network, many islands"
AWARENESS = "Sextortion: how to spot it and what to do"


def _exists(user: User, title: str) -> bool:
    return Product.objects.filter(owner=user.organisation_id, title=title).exists()


def load() -> int:
    """Make the demo products; how many were made (0 on a second run)."""
    writer = User.objects.get(username="desk.analyst")
    publisher = User.objects.get(username="desk.publisher")
    made = 0
    if not _exists(writer, ALERT):
        linked = list(StixObject.objects.filter(
            owner=writer.organisation_id, type="indicator").values_list("pk", flat=True)[:50])
        alert = services.create_product(
            user=writer, kind=Kind.ALERT, markings=Markings(tlp="green", distribution="members"),
            content=Content(
                title=ALERT, crime_types=["ransomware"], linked=linked,
                summary="ReefLock affiliates are breaking into utilities and port operators "
                        "through exposed remote-access services.",
                sections={
                    "threat": "Since October, **ReefLock** affiliates have encrypted the "
                              "systems of two Pacific utilities and one port operator, and "
                              "threaten to publish stolen data.",
                    "modus_operandi": "1. Brute force of exposed remote desktop and VPN "
                                      "accounts\n2. Disabling backups\n3. Encryption at night, "
                                      "ransom note with a negotiation portal on Tor",
                    "vector": "Exposed remote desktop and VPN gateways",
                    "targeted_sectors": ["energy", "transport"],
                    "targeted_countries": ["FJ", "TO", "WS", "PG"],
                    "recommended_actions": "- Block the indicators in the annex\n- Check "
                                           "remote access logs since 1 October\n- Tell the "
                                           "desk of any victim in your country",
                    "issuing_unit": "Asia and South Pacific Cybercrime Operations Desk"},
                ack_deadline=timezone.now() + timedelta(days=7)))
        services.submit_for_review(alert, user=writer, comment="Ready for dissemination.")
        services.approve(alert, user=publisher, comment="Approved: urgent.")
        dissemination.disseminate(alert, user=publisher,
                                  choice=dissemination.Choice(countries=("FJ", "TO", "WS", "PG")),
                                  comment="To the Pacific members first.")
        dissemination.acknowledge(alert, user=User.objects.get(username="fj.analyst"),
                                  ack="actioned",
                                  note="Indicators blocked at both Fiji ISPs.")
        made += 1
    if not _exists(writer, ASSESSMENT):
        assessment = services.create_product(
            user=writer, kind=Kind.ASSESSMENT,
            markings=Markings(tlp="amber", distribution="members"),
            content=Content(
                title=ASSESSMENT, crime_types=["sextortion"], charts=["crime-types", "countries"],
                summary="Reports from Fiji, Tonga and the Philippines point to one network.",
                sections={
                    "key_judgements": "- One network is **highly likely** behind the reports "
                                      "of three countries.\n- Victims are young men contacted "
                                      "on social media.",
                    "sources": "Member reports, partner complaints, desk analysis."},
                body="# The network\n\nShared phone numbers and wallets link the reports.\n\n"
                     "# Victims\n\nMost are 16 to 25 years old.\n\n# Outlook\n\nMore "
                     "countries will be hit before March."))
        services.submit_for_review(assessment, user=writer)
        made += 1
    if not _exists(writer, AWARENESS):
        material = services.create_product(
            user=writer, kind=Kind.AWARENESS,
            markings=Markings(tlp="clear", distribution="public"),
            content=Content(
                title=AWARENESS, crime_types=["sextortion"],
                summary="Someone threatens to share intimate images unless you pay.",
                sections={
                    "audience": "Young people, parents and teachers",
                    "how_to_spot": "- A new friend moves the chat to another app quickly\n- "
                                   "They ask for intimate pictures or a video call\n- Then "
                                   "they demand money",
                    "what_to_do": "- **Do not pay**\n- Keep the messages\n- Block the "
                                  "account and tell someone you trust",
                    "how_to_report": "Call your police cybercrime unit or go to the nearest "
                                     "police station."}))
        services.submit_for_review(material, user=writer)
        services.approve(material, user=publisher)
        dissemination.disseminate(material, user=publisher, choice=dissemination.Choice())
        made += 1
    return made
