"""The demo region's secure messages, made through the same services people use: Fiji's
transnational crime unit tells the Pacific coordination centre of mule wallets, with a
small text attachment; the centre reads it and forwards it to Tonga's unit, keeping its
markings. Idempotent: a second run finds the message by its subject and adds nothing."""

from django.core.files.uploadedfile import SimpleUploadedFile

from vaka.directory.demo import PTCCC, police_unit_name
from vaka.directory.models import Organisation, User
from vaka.messaging import services
from vaka.messaging.models import Message, Priority
from vaka.policy.services import Markings

SUBJECT = "Mule wallets behind the sextortion wave: Tongan accounts among the payers"
BODY = """Kia orana, colleagues in Apia.

Our sextortion case **FJ-2026-0412** traced the victims' payments to three wallets. Two
of the payers hold accounts with a bank in Nuku'alofa: Tonga's unit may want to follow the
money. The wallets and the payment dates are in the attachment.

- Not for use as evidence without our consent.
- Please forward to Tonga's unit if you agree.
"""
WALLETS = (b"wallet,first payment,last payment\n"
           b"bc1qdemo0mule0wallet0one0000000000000,2026-10-02,2026-11-18\n"
           b"bc1qdemo0mule0wallet0two0000000000000,2026-10-09,2026-11-21\n"
           b"TDemoMuleWalletThree000000000000,2026-10-15,2026-11-25\n")
NOTE = "Forwarded as Fiji asked: the Tongan payers may lead to the mules."


def load() -> int:
    """Send and forward the demo message; how many messages were made (0 on a second
    run)."""
    sender = User.objects.get(username="fj.analyst")
    hub = User.objects.get(username="ptccc.coordinator")
    if Message.objects.filter(owner=sender.organisation_id, subject=SUBJECT).exists():
        return 0
    centre = Organisation.objects.get(name=PTCCC, origin__isnull=True)
    tonga = Organisation.objects.get(name=police_unit_name("TO"), origin__isnull=True)
    message = services.send_message(
        user=sender, recipients=[centre], subject=SUBJECT, body=BODY,
        priority=Priority.PRIORITY,
        markings=Markings(distribution="members", tlp="amber",
                          recipient_organisations=[centre, tonga], pap="amber",
                          handling=["no-evidence"], grading_source="B",
                          grading_information="2"),
        attachments=[SimpleUploadedFile("mule-wallets.csv", WALLETS, "text/csv")])
    services.mark_read(message, user=hub)
    services.forward(message, user=hub, recipients=[tonga], note=NOTE)
    return 2
