"""The demo region's secure messages, made through the same services people use: Fiji's
transnational crime unit tells the Pacific coordination centre of mule wallets, with a
small text attachment; the centre reads it and forwards it to Tonga's unit, keeping its
markings. The Philippines' unit asks Fiji's for the subscriber of a phone number used in
a sextortion case (a request for information, answered in time), and the desk asks the
Philippines' unit for the hosting of a phishing kit (still open). Idempotent: a second run
finds the messages by their subjects and adds nothing."""

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from vaka.directory.demo import FIJI_TCU, PHILIPPINES_UNIT, PTCCC, police_unit_name
from vaka.directory.models import Organisation, User
from vaka.messaging import rfis, services
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
ASKED = "Subscriber of +679 555 0142, used to extort victims in Manila"
ASKED_BODY = """Which subscriber held **+679 555 0142** between 1 and 30 October 2026, and
which identity document was shown when the SIM card was sold? The number called four
victims in Manila before they paid."""
ANSWER = """Vodafone Fiji: a prepaid SIM card sold in Lautoka on 28 September 2026 against
a driving licence in a false name. Top-ups were paid from the wallet in our message to the
Pacific centre of last week."""
HOSTING = "Hosting of the Reef Bank phishing kit found on a Manila server"
HOSTING_BODY = """The kit behind the Reef Bank alert answers from **203.0.113.80**, which
resolves to a data centre in Manila. Which provider hosts it, and can a takedown request
go out this week?"""


def _amber() -> Markings:
    """TLP:AMBER to the request's recipients (each request its own: sending fills it in)."""
    return Markings(distribution="members", tlp="amber", pap="amber")


def _requests() -> int:
    """The two requests for information; how many messages they made."""
    asker = User.objects.get(username="ph.analyst")
    if Message.objects.filter(owner=asker.organisation_id, subject=ASKED).exists():
        return 0
    fiji = Organisation.objects.get(name=FIJI_TCU, origin__isnull=True)
    philippines = Organisation.objects.get(name=PHILIPPINES_UNIT, origin__isnull=True)
    asked = rfis.send_rfi(
        user=asker, recipients=[fiji], subject=ASKED, body=ASKED_BODY, markings=_amber(),
        priority=Priority.PRIORITY, details=rfis.RfiDetails(
            deadline=timezone.now() + timedelta(days=5), case_reference="PH-CYB-2026-0931",
            reason="Sextortion of four victims in Manila; the caller's identity is sought."))
    rfis.answer_rfi(asked, user=User.objects.get(username="fj.analyst"), body=ANSWER)
    rfis.send_rfi(
        user=User.objects.get(username="desk.analyst"), recipients=[philippines],
        subject=HOSTING, body=HOSTING_BODY, markings=_amber(), details=rfis.RfiDetails(
            deadline=timezone.now() + timedelta(days=3), case_reference="REEF-ALERT",
            reason="A takedown request to the hosting provider."))
    return 3


def load() -> int:
    """Send and forward the demo message; how many messages were made (0 on a second
    run)."""
    sender = User.objects.get(username="fj.analyst")
    hub = User.objects.get(username="ptccc.coordinator")
    if Message.objects.filter(owner=sender.organisation_id, subject=SUBJECT).exists():
        return _requests()
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
    return 2 + _requests()
