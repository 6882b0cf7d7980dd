"""The README's screenshots, taken on the demo region.

The pages are always visited and checked; the PNGs in docs/screenshots/ are only written
when VAKA_SCREENSHOTS=1.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, screenshot, sign_in
from tests.factories import make_note
from vaka.directory import demo
from vaka.directory.models import Community, User
from vaka.policy.markings import PAP, TLP, Distribution

pytestmark = pytest.mark.e2e

RED_TITLE = "Chat handles of the suspect in the Nadi sextortion case"


@pytest.fixture
def region(transactional_db):
    demo.load()
    users = {u.username: u for u in User.objects.all()}
    ptcn = Community.objects.get(name="Pacific Transnational Crime Network")
    make_note(users["ph.analyst"], "SIM-box fraud ring routing calls through Manila",
              distribution=Distribution.MEMBERS, tlp=TLP.GREEN, pap=PAP.GREEN)
    make_note(users["fj.analyst"], "Phishing kit impersonating a Pacific mobile operator",
              distribution=Distribution.MEMBERS, tlp=TLP.GREEN, pap=PAP.GREEN)
    make_note(users["fj.analyst"], "Invoice-fraud mule accounts at two Suva banks",
              distribution=Distribution.COMMUNITIES, communities=[ptcn], tlp=TLP.AMBER)
    red = make_note(users["fj.analyst"], RED_TITLE, tlp=TLP.RED, pap=PAP.RED,
                    recipients=[users["fj.viewer"]])
    red.body = ("The suspect used three handles on two platforms between March and May.\n\n"
                "Handles and the platforms' preservation references are in the case file; "
                "do not contact the platforms before the Fiji TCU has spoken to the victim's "
                "family.")
    red.save(update_fields=["body"])
    return {"password": demo.demo_password(), "red": red}


def test_readme_screenshots(new_context, live_server, region):
    password = region["password"]
    home = f"{live_server.url}/"

    page = new_context().new_page()
    page.goto("/accounts/login/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    page.fill("input[name=username]", "fj.analyst")
    screenshot(page, "login.png")

    page.fill("input[name=password]", password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(home)
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Josefa")
    expect(page.locator("main table")).to_contain_text(RED_TITLE)
    # The demo's hits on Fiji's records, and the desk's indicators new to Fiji.
    expect(page.locator("#new-hits-count")).not_to_have_text(re.compile(r"^0\b"))
    expect(page.locator("#partner-intel-count")).not_to_have_text(re.compile(r"^0\b"))
    expect(page.locator("#dashboard-partners")).to_contain_text("TLP:GREEN")
    screenshot(page, "dashboard.png")

    page.goto("/intel/notes/new/")
    expect(page.get_by_role("heading", level=1)).to_have_text("New note")
    page.fill("input[name=title]", "Romance-scam proceeds moved through a Lautoka remittance "
                                   "agent")
    page.fill("textarea[name=body]", "Two victims in Samoa paid into the same agent in "
                                     "Lautoka in April.")
    page.check("input[name=tlp][value=amber]")
    screenshot(page, "note-form.png", full_page=True)

    page.goto(f"/intel/notes/{region['red'].pk}/")
    expect(page.locator(".banner-tlp")).to_have_text("TLP:RED")
    expect(page.get_by_role("heading", level=1)).to_have_text(RED_TITLE)
    expect(page.locator("main")).to_contain_text("Ana Tuilagi")
    screenshot(page, "note-red.png")

    admin = new_context().new_page()
    sign_in(admin, "admin", password)
    admin.wait_for_url(re.compile(r"/accounts/two-factor/$"))
    expect(admin.locator("#totp-qr svg")).to_be_visible()
    screenshot(admin, "totp-enrol.png")

    # A browser asking for Arabic gets the right-to-left interface.
    # (Another analyst, on a first visit: Fiji's analyst has seen what was new.)
    arabic = new_context(locale="ar").new_page()
    sign_in(arabic, "ph.analyst", password)
    arabic.wait_for_url(home)
    expect(arabic.locator("html")).to_have_attribute("dir", "rtl")
    expect(arabic.locator("link[rel=stylesheet]").first).to_have_attribute(
        "href", re.compile(r"bootstrap\.rtl"))
    expect(arabic.locator("#partner-intel-count")).not_to_have_text(re.compile(r"^0\b"))
    screenshot(arabic, "dashboard-ar.png")

    phone = new_context(viewport=PHONE).new_page()
    sign_in(phone, "fj.analyst", password)
    phone.wait_for_url(home)
    expect(phone.locator(".navbar-toggler")).to_be_visible()
    expect(phone.locator("#nav")).to_be_hidden()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Welcome, Josefa")
    screenshot(phone, "phone.png")


def test_training_screenshots(new_context, live_server, region):
    """The demo's Blue Pacific training: the catalogue, a held session with its people, a
    lesson, a quiz under way, a certificate and its public page, and the statistics."""
    from vaka.training.models import Certificate, Lesson, Quiz, Session

    password = region["password"]
    trainer = new_context().new_page()
    sign_in(trainer, "ptccc.trainer", password)
    trainer.wait_for_url(f"{live_server.url}/")
    trainer.goto("/training/")
    expect(trainer.locator("main")).to_contain_text("Handling codes and TLP")
    screenshot(trainer, "training-catalogue.png")

    held = Session.objects.filter(course__code="bp-cyber-foundations").order_by("starts")[0]
    trainer.goto(held.get_absolute_url())
    enrolled = held.enrolments.filter(status="enrolled").count()
    expect(trainer.get_by_role("table", name="Enrolled").locator("tbody tr")).to_have_count(
        enrolled)
    screenshot(trainer, "training-session.png", full_page=True)

    trainer.goto("/training/statistics/")
    expect(trainer.locator("#chart-gender")).to_be_visible()
    screenshot(trainer, "training-statistics.png", full_page=True)

    cert = Certificate.objects.filter(enrolment__session=held).order_by("pk")[0]
    trainer.goto(f"/training/certificates/{cert.pk}/")
    expect(trainer.get_by_role("link", name="Download the PDF")).to_be_visible()
    screenshot(trainer, "training-certificate.png")

    public = new_context().new_page()
    public.goto(f"/verify/{cert.code}/")
    expect(public.locator("#verification")).to_have_text("This certificate is valid.")
    screenshot(public, "training-verify.png")

    learner = new_context().new_page()
    sign_in(learner, "fj.viewer", password)
    learner.wait_for_url(f"{live_server.url}/")
    lesson = Lesson.objects.get(module__course__code="bp-handling-codes")
    learner.goto(f"/training/lessons/{lesson.pk}/")
    expect(learner.get_by_role("heading", level=1)).to_have_text(lesson.title)
    screenshot(learner, "training-lesson.png")
    quiz = Quiz.objects.get(module__course__code="bp-handling-codes")
    learner.goto(f"/training/quizzes/{quiz.pk}/")
    learner.get_by_role("button", name="Start the quiz").click()
    learner.wait_for_url("**/training/attempts/*/")
    learner.get_by_label("The recipient's organisation only").check()
    expect(learner.locator("#quiz-timer")).to_contain_text("Time left:")
    screenshot(learner, "training-quiz.png", full_page=True)
