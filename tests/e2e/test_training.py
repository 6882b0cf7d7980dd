"""Training as the Pacific centre runs it: a trainer puts a course in the catalogue and a
session of one place, enrols two people (the second waits, and the page says so), takes
the attendance and the test scores and sets the completion, which issues a certificate;
its PDF downloads and its public page confirms name, course and date to anyone, and
nothing else. Fiji's organisation admin requires the course before her officers submit
intelligence, and an officer who has not taken it is told which course to complete
first; the statistics draw their charts; a learner reads a lesson and sees her progress.
"""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import next_code, sign_in
from tests.factories import (
    PASSWORD,
    CountryFactory,
    OrganisationFactory,
    UserFactory,
    confirmed_totp,
)
from vaka.directory.models import Programme
from vaka.directory.roles import Role
from vaka.training import lessons
from vaka.training.models import Certificate, Course, Enrolment, Participant

pytestmark = pytest.mark.e2e

TITLE = "Digital evidence at the scene"
LESSON = "Isolate the phone"


@pytest.fixture
def region(transactional_db):
    samoa, fiji = CountryFactory(code="WS"), CountryFactory(code="FJ")
    Programme.objects.create(code="blue-pacific", name="Blue Pacific")
    centre = OrganisationFactory(name="PTCCC", kind="coordination_centre", country=samoa)
    fiji_unit = OrganisationFactory(name="Fiji Police Cybercrime Unit", country=fiji)
    UserFactory(username="centre_trainer", first_name="Sione", organisation=centre,
                role=Role.TRAINER)
    learner = UserFactory(username="centre_officer", first_name="Ana", last_name="Tuilagi",
                          organisation=centre, role=Role.ANALYST)
    # Ana's person record, and a constable of the centre who never signs in.
    Participant.objects.create(user=learner, given_name="Ana", family_name="Tuilagi",
                               organisation=centre, country=samoa, gender="female")
    Participant.objects.create(given_name="Losa", family_name="Aiono", organisation=centre,
                               country=samoa, gender="female", rank="Constable")
    admin = UserFactory(username="fiji_admin", organisation=fiji_unit, role=Role.ORG_ADMIN)
    UserFactory(username="fiji_officer", first_name="Mere", organisation=fiji_unit,
                role=Role.ANALYST)
    return {"admin_device": confirmed_totp(admin)}


def signed_in(context: BrowserContext, live_server, username: str) -> Page:
    page = context.new_page()
    sign_in(page, username, PASSWORD)
    page.wait_for_url(f"{live_server.url}/")
    return page


def _lesson_for(course: Course) -> int:
    """A module with one lesson, as the trainer writes them (the lesson pages are tested
    on their own)."""
    trainer = course.created_by
    module = lessons.create_module(trainer, course, lessons.ModuleDetails("At the scene"))
    lesson = lessons.create_lesson(trainer, module, lessons.LessonDetails(
        LESSON, body="## First\n\nSwitch the phone to **airplane mode** and photograph "
                     "the screen.\n\n- Do not browse it.\n- Keep it charged."))
    return lesson.pk


def test_a_trainer_runs_a_session_to_a_certificate_anyone_can_verify(
        new_context, console, region, live_server) -> None:
    held = timezone.localdate() - dt.timedelta(days=7)  # a session already given
    trainer = signed_in(new_context(), live_server, "centre_trainer")

    # The catalogue: a new course, with its markings.
    trainer.goto("/training/")
    expect(trainer.get_by_role("navigation", name="Training")).to_contain_text("Sessions")
    trainer.get_by_role("link", name="New course").click()
    trainer.fill("input[name=title]", TITLE)
    trainer.fill("input[name=code]", "evidence-101")
    trainer.fill("textarea[name=summary]", "Seizing and preserving phones and computers.")
    trainer.check("input[name=topics][value=digital_evidence]")
    trainer.get_by_label("Programme").select_option(label="Blue Pacific")
    trainer.fill("input[name=pass_mark]", "60")
    trainer.check("input[name=tlp][value=green]")
    trainer.check("input[name=distribution][value=members]")
    trainer.get_by_role("button", name="Save").click()
    trainer.wait_for_url(re.compile(r"/training/courses/\d+/$"))
    expect(trainer.get_by_role("heading", level=1)).to_contain_text(TITLE)
    expect(trainer.locator(".banner-tlp")).to_have_text("TLP:GREEN")
    course = Course.objects.get(code="evidence-101")
    lesson = _lesson_for(course)
    trainer.goto(course.get_absolute_url())
    trainer.get_by_role("link", name="At the scene").click()
    expect(trainer.get_by_role("link", name="Add a quiz")).to_have_attribute(
        "href", re.compile(r"/training/modules/\d+/quizzes/new$"))
    trainer.goto(course.get_absolute_url())

    # A session of one day with one place.
    trainer.get_by_role("link", name="New session").click()
    trainer.fill("input[name=starts]", held.isoformat())
    trainer.fill("input[name=ends]", held.isoformat())
    trainer.fill("input[name=place]", "Apia")
    trainer.locator("select[name=country]").select_option("WS")
    trainer.fill("input[name=capacity]", "1")
    trainer.get_by_role("button", name="Save").click()
    trainer.wait_for_url(re.compile(r"/training/sessions/\d+/$"))
    session_url = trainer.url
    reference = course.sessions.get().reference

    # Two people for one place: the second waits, and the page says so.
    enrol = trainer.get_by_label("Enrol a person")
    enrol.select_option(label="Ana Tuilagi (PTCCC)")
    trainer.get_by_role("button", name="Enrol", exact=True).click()
    expect(trainer.get_by_role("alert")).to_contain_text(
        f"Ana Tuilagi is enrolled in {reference}.")
    trainer.get_by_label("Enrol a person").select_option(label="Losa Aiono (PTCCC)")
    trainer.get_by_role("button", name="Enrol", exact=True).click()
    expect(trainer.get_by_role("alert")).to_contain_text(
        f"{reference} is full (1 places): Losa Aiono is on the waiting list, number 1.")
    enrolled = trainer.get_by_role("table", name="Enrolled")
    waiting = trainer.get_by_role("table", name="Waiting list")
    expect(enrolled.locator("tbody tr")).to_have_count(1)
    expect(enrolled).to_contain_text("Ana Tuilagi")
    expect(waiting.locator("tbody tr")).to_have_count(1)
    expect(waiting).to_contain_text("Losa Aiono")

    # The day's attendance, the tests' scores, and the completion by the course's rules.
    trainer.get_by_role("link", name="Attendance").click()
    trainer.get_by_label("Ana Tuilagi").check()
    trainer.get_by_role("button", name="Save attendance").click()
    expect(trainer.get_by_role("alert")).to_contain_text(
        f"Attendance of {held.isoformat()} saved: 1 present.")
    trainer.goto(session_url)
    trainer.get_by_role("link", name="Test scores and completion").click()
    row = trainer.locator("tbody tr", has_text="Ana Tuilagi")
    row.get_by_label("Pre-test (%)").fill("45")
    row.get_by_label("Post-test (%)").fill("85")
    trainer.get_by_role("button", name="Save scores").click()
    expect(trainer.get_by_role("alert")).to_contain_text("Scores saved.")
    row = trainer.locator("tbody tr", has_text="Ana Tuilagi")
    expect(row.locator("td").nth(4)).to_have_text("Passed")  # by the rules: 85 ≥ 60
    row.get_by_role("button", name="Set").click()
    expect(trainer.get_by_role("alert")).to_contain_text("Ana Tuilagi: Passed.")
    enrolment = Enrolment.objects.get(participant__family_name="Tuilagi")
    assert enrolment.completion == "pass"
    cert = Certificate.objects.get(enrolment=enrolment)

    # The certificate, from the person's page, and its PDF.
    trainer.goto(f"/training/participants/{enrolment.participant_id}/")
    trainer.get_by_role("link", name=cert.code).click()
    expect(trainer.get_by_role("heading", level=1)).to_contain_text("Certificate")
    pdf = trainer.get_by_role("link", name="Download the PDF").get_attribute("href")
    answer = trainer.request.get(pdf)
    assert answer.status == 200
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.body().startswith(b"%PDF-")

    # The public verification page: name, course and date, to anyone, and nothing else.
    public = new_context().new_page()
    public.goto(f"/verify/{cert.code}/")
    expect(public.locator("#verification")).to_have_text("This certificate is valid.")
    facts = public.locator("main dl")
    expect(facts.locator("dd")).to_have_text([
        "Ana Tuilagi", TITLE, re.compile(str(enrolment.completed_at.year))])
    for private in ("PTCCC", "85", "45", reference, "Apia", "Passed"):
        expect(public.locator("main")).not_to_contain_text(private)
    expect(public.locator("#user-menu")).to_have_count(0)

    # Statistics: one person trained, her improvement, and the charts drawn.
    trainer.goto("/training/statistics/")
    expect(trainer.locator("#figure-people")).to_have_text("1")
    expect(trainer.locator("#figure-completed")).to_contain_text("1")
    expect(trainer.locator("#figure-women")).to_contain_text("100")
    expect(trainer.locator("#figure-improvement")).to_contain_text("40")
    charts = trainer.locator("main section.card svg")
    expect(charts.first).to_be_visible()
    assert charts.count() >= 4
    expect(trainer.locator("#chart-gender")).to_contain_text("Female")
    # Each chart shrinks to its card rather than being cut at the card's edge.
    cut = trainer.locator("main section.card .overflow-auto").evaluate_all(
        "boxes => boxes.filter(b => b.scrollWidth > b.clientWidth + 1).length")
    assert cut == 0, f"{cut} charts wider than their card"
    console.check()

    # The learner reads the lesson and sees her progress.
    learner = signed_in(new_context(), live_server, "centre_officer")
    learner.goto(f"/training/lessons/{lesson}/")
    expect(learner.get_by_role("heading", level=1)).to_have_text(LESSON)
    expect(learner.locator(".lesson-text strong")).to_have_text("airplane mode")
    learner.get_by_role("button", name="Mark as read").click()
    expect(learner.get_by_text("You have read this lesson.")).to_be_visible()
    learner.goto(course.get_absolute_url())
    outline = learner.locator("section[aria-labelledby=course-outline-heading]")
    expect(outline).to_contain_text("Your progress: 100%")
    expect(outline.locator("progress")).to_have_attribute("value", "100")
    expect(outline).to_contain_text("1 of 1 done")

    # Fiji requires the course before its officers submit intelligence.
    admin = new_context().new_page()
    sign_in(admin, "fiji_admin", PASSWORD)
    admin.wait_for_url(re.compile(r"/accounts/verify/$"))
    admin.fill("input[name=otp_token]", next_code(region["admin_device"]))
    admin.locator("main form button[type=submit]").click()
    admin.wait_for_url(f"{live_server.url}/")
    admin.goto("/training/")
    admin.get_by_role("navigation", name="Training").get_by_role(
        "link", name="Required training").click()
    admin.get_by_label("Capability").select_option("contribute")
    admin.get_by_label("Course to complete first").select_option(label=TITLE)
    admin.locator("main form button[type=submit]").last.click()
    expect(admin.locator("#requirements")).to_contain_text(TITLE)
    expect(admin.locator("#requirements")).to_contain_text(
        "Submit intelligence and write notes")

    officer = signed_in(new_context(), live_server, "fiji_officer")
    officer.goto("/intel/notes/")
    expect(officer.get_by_role("link", name="New note")).to_have_count(0)
    expect(officer.locator("#training-held")).to_contain_text(
        f"Submit intelligence and write notes — Complete {TITLE} first.")
    expect(officer.locator("#training-held").get_by_role("link", name=TITLE)).to_have_attribute(
        "href", course.get_absolute_url())
