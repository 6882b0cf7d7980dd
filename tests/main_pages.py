"""The pages people use every day, on a populated demo region.

Shared by the checks that go over every main page: accessibility and page weight in the
browser (``tests/e2e``) and the rendered-translation check (``tests/web``).
"""

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from tests.factories import confirmed_totp, make_note
from tests.intel.store_data import bundle, indicator
from vaka.directory import demo
from vaka.directory.models import Community, Organisation, User
from vaka.exchange.models import Collection
from vaka.intel import services
from vaka.intel.exports import create_export_link
from vaka.intel.models import StixObject, Submission
from vaka.messaging import demo as demo_messages
from vaka.messaging import rfis
from vaka.messaging.models import Message
from vaka.operations import demo as demo_operations
from vaka.operations.models import Operation
from vaka.policy.markings import PAP, TLP, Distribution
from vaka.policy.services import Markings
from vaka.products import figures
from vaka.products.models import Product
from vaka.training import courses, lessons
from vaka.training.models import Certificate, Course, Lesson, Quiz, Session

ANALYST = "fj.analyst"
ADMIN = demo.ADMIN_USERNAME
TRAINER = "ptccc.trainer"
ASKER = "ph.analyst"
HELD = "c2-relay-44.net"
# A pasted advisory: the submit page's review step shows what it found.
ADVISORY = ("Advisory 2024-17: credential phishing against Pacific police staff.\n"
            "Staff were asked to re-validate their accounts at "
            "hxxps://login-portal-update[.]net/verify, served from 198.51.100.23.\n")


@dataclass(frozen=True)
class MainPage:
    name: str
    path: str
    """The address, with ``{object}``, ``{note}``, ``{submission}``, ``{organisation}``,
    ``{user}``, ``{community}``, ``{product}``, ``{operation}``, ``{message}``, ``{lesson}``,
    ``{course}``, ``{session}``, ``{quiz}``, ``{text_lesson}`` and ``{certificate}`` standing
    for records of the store."""
    who: str = ANALYST
    """Who looks at it: the analyst, the platform administrator, the Pacific centre's
    trainer, or "" for nobody signed in."""
    form: tuple[tuple[str, str], ...] = ()
    """When given, the page is the answer to posting these fields to the address (after any
    redirect): the review step of a pasted advisory, the results of a look-up."""


MAIN_PAGES = [
    MainPage("sign-in", "/accounts/login/", who=""),
    MainPage("dashboard", "/"),
    MainPage("object list", "/intel/objects/"),
    MainPage("object detail", "/intel/objects/{object}/"),
    MainPage("notes", "/intel/notes/"),
    MainPage("note", "/intel/notes/{note}/"),
    MainPage("submit", "/intel/submit/"),
    MainPage("review", "/intel/submit/", form=(("content", ADVISORY), ("tlp", "green"),
                                               ("distribution", "members"), ("pap", "green"))),
    MainPage("lookup", "/intel/lookup/", form=(("values", f"{HELD}\nnothing-here-55.net"),)),
    MainPage("submissions", "/intel/submissions/"),
    MainPage("submission", "/intel/submissions/{submission}/"),
    MainPage("exports", "/intel/export-links/"),
    MainPage("inbox", "/inbox/"),
    MainPage("products", "/products/"),
    MainPage("product", "/products/{product}/"),
    MainPage("operations", "/operations/"),
    MainPage("operation", "/operations/{operation}/"),
    MainPage("operation targets", "/operations/{operation}/targets/"),
    MainPage("messages", "/messages/"),
    MainPage("thread", "/messages/{message}/"),
    MainPage("rfis", "/messages/rfis/"),
    MainPage("awareness", "/awareness/", who=""),
    MainPage("analytics", "/analytics/"),
    MainPage("collections", "/exchange/collections/"),
    MainPage("feeds", "/exchange/feeds/", who=ADMIN),
    MainPage("peers", "/exchange/peers/", who=ADMIN),
    MainPage("organisations", "/organisations/"),
    MainPage("organisation", "/organisations/{organisation}/"),
    MainPage("people", "/users/"),
    MainPage("person", "/users/{user}/"),
    MainPage("communities", "/communities/"),
    MainPage("community", "/communities/{community}/"),
    MainPage("countries", "/countries/"),
    MainPage("audit log", "/audit/", who=ADMIN),
    MainPage("lesson", "/training/lessons/{lesson}/"),
    MainPage("course catalogue", "/training/"),
    MainPage("course", "/training/courses/{course}/"),
    MainPage("lesson without media", "/training/lessons/{text_lesson}/"),
    MainPage("quiz", "/training/quizzes/{quiz}/"),
    MainPage("training session", "/training/sessions/{session}/", who=TRAINER),
    MainPage("participants", "/training/participants/", who=TRAINER),
    MainPage("training statistics", "/training/statistics/", who=TRAINER),
    MainPage("certificate verification", "/verify/{certificate}/", who=""),
]


# A lesson of some length, as a trainer writes one: headings, lists, a table, a quote.
LESSON_BODY = "\n\n".join(
    f"## Step {n}\n\nSwitch the phone to airplane mode or put it in a shielded bag, note "
    f"the time and who handled it, and photograph the screen before anything else.\n\n"
    f"- Do not browse the phone.\n- Keep it charged.\n\n"
    f"| Item | Note |\n|---|---|\n| Bag | sealed, numbered |\n\n"
    f"> The chain of custody starts at the scene." for n in range(1, 21))


def _lesson(markings: Markings) -> Lesson:
    """A course of the Pacific centre's trainer that every member sees, with a lesson."""
    trainer = User.objects.get(username="ptccc.trainer")
    course = courses.create_course(trainer, courses.CourseDetails(
        code="phone-seizure-101", title="Seizing a mobile phone", languages=["en"]),
        markings)
    module = lessons.create_module(trainer, course, lessons.ModuleDetails("At the scene"))
    return lessons.create_lesson(trainer, module, lessons.LessonDetails(
        "Isolate the phone", body=LESSON_BODY,
        videos=["https://videos.example.org/isolate-the-phone.mp4"]))


def _training() -> dict[str, int | str]:
    """The demo's training (``vaka.training.demo``): the online course with its lesson (text
    only) and quiz, which the analyst takes; the Suva session of the foundations course,
    held, scored and certified."""
    online = Course.objects.get(code="bp-handling-codes")
    held = Session.objects.get(course__code="bp-cyber-foundations", starts__lt=timezone.localdate())
    return {"course": online.pk, "session": held.pk,
            "text_lesson": Lesson.objects.get(module__course=online).pk,
            "quiz": Quiz.objects.get(module__course=online).pk,
            "certificate": Certificate.objects.filter(enrolment__session=held)
            .order_by("pk")[0].code}


@dataclass
class Store:
    password: str
    ids: dict[str, int | str]
    admin_device: object

    def path(self, page: MainPage) -> str:
        return page.path.format(**self.ids)


def populate() -> Store:
    """The demo region with what each main page lists: indicators of several kinds, notes,
    a submission, a hit on the analyst's record (an inbox notice), a collection and an
    export link; the demo's operation and message are the analyst's unit's, and so is a
    request for information to the Pacific coordination centre."""
    demo.load()
    analyst = User.objects.get(username=ANALYST)
    asker = User.objects.get(username=ASKER)
    green = Markings(tlp=TLP.GREEN, distribution=Distribution.MEMBERS, pap=PAP.GREEN)
    submission = services.ingest_bytes(
        bundle(indicator("pay.pacific-telco-login.net", labels=["phishing"]),
               indicator("https://login-portal-update.net/verify", "url:value"),
               indicator("198.51.100.23", "ipv4-addr:value"),
               indicator("44d88612fea8a8f36de82e1278abb02f", "file:hashes.MD5")),
        organisation=analyst.organisation, user=analyst, source="api", markings=green)
    assert submission.status == Submission.Status.STORED, submission.errors
    services.ingest_bytes(f"value\n{HELD}\n".encode(), organisation=analyst.organisation,
                          user=analyst, source="api", filename="held.csv",
                          markings=Markings(tlp=TLP.AMBER, distribution="organisation"))
    services.lookup([HELD], user=asker)  # a hit: a notice in the analyst's inbox
    ptcn = Community.objects.get(name="Pacific Transnational Crime Network")
    note = make_note(analyst, "Invoice-fraud mule accounts at two Suva banks",
                     distribution=Distribution.COMMUNITIES, communities=[ptcn],
                     tlp=TLP.AMBER)
    make_note(asker, "SIM-box fraud ring routing calls through Manila",
              distribution=Distribution.MEMBERS, tlp=TLP.GREEN, pap=PAP.GREEN)
    Collection.objects.create(title="TLP:GREEN indicators", alias="green-indicators",
                              description="Indicators every member may use and block.",
                              filters={"type": "indicator", "tlp": "green"})
    create_export_link(analyst, name="Phishing domains for the firewall", fmt="csv",
                       filters={"label": "phishing"})
    rfis.send_rfi(user=analyst, recipients=[Organisation.objects.get(
                      name=demo.PTCCC, origin__isnull=True)],
                  subject="Who registered the mule wallets?", body="The KYC, please.",
                  details=rfis.RfiDetails(deadline=timezone.now() + timedelta(days=3),
                                          case_reference="FJ-2026-0412"),
                  markings=Markings(tlp=TLP.AMBER, distribution=Distribution.MEMBERS))
    lesson = _lesson(green)
    figures.refresh()  # the dashboard's figures, as the scheduler computes them
    admin = User.objects.get(username=ADMIN)
    ids = {
        "object": StixObject.objects.get(name="https://login-portal-update.net/verify").pk,
        "note": note.pk,
        "submission": submission.pk,
        "organisation": analyst.organisation_id,
        "user": analyst.pk,
        "community": ptcn.pk,
        "product": Product.objects.get(kind="alert").pk,
        "operation": Operation.objects.get(code_name=demo_operations.CODE_NAME).pk,
        "message": Message.objects.get(subject=demo_messages.SUBJECT,
                                       forwarded_from__isnull=True).pk,
        "lesson": lesson.pk,
        **_training(),
    }
    return Store(password=demo.demo_password(), ids=ids, admin_device=confirmed_totp(admin))
