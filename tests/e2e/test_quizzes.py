"""A quiz taken over a broken link: a Fiji officer starts an attempt (the service worker
registers and the page is cached), the connection drops, the page reloads from the cache
with the answers given so far, the submit is kept on the device and the page says so, and
once back online the answers go to Vaka and the result shows."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD, CountryFactory, OrganisationFactory, UserFactory
from vaka.directory.roles import Role
from vaka.policy.markings import TLP, Distribution
from vaka.training import quiz_authoring as authoring
from vaka.training.models import Attempt, Course, Module
from vaka.training.quiz_authoring import Choice, QuestionDetails, QuizDetails

pytestmark = pytest.mark.e2e


@pytest.fixture
def quiz(transactional_db):
    samoa, fiji = CountryFactory(code="WS"), CountryFactory(code="FJ")
    centre = OrganisationFactory(name="PTCCC", kind="coordination_centre", country=samoa)
    fiji_unit = OrganisationFactory(name="Fiji Police Cybercrime Unit", country=fiji)
    trainer = UserFactory(username="centre_trainer", organisation=centre, role=Role.TRAINER)
    UserFactory(username="fiji_officer", first_name="Mere", last_name="Vula",
                organisation=fiji_unit, role=Role.ANALYST)
    course = Course.objects.create(owner=centre, created_by=trainer, code="evidence-101",
                                   title="Digital evidence", distribution=Distribution.MEMBERS,
                                   tlp=TLP.GREEN)
    module = Module.objects.create(course=course, position=1, title="At the scene")
    quiz = authoring.create_quiz(trainer, module, QuizDetails(
        title="Seizing a phone", pass_mark=50, time_limit=30))
    authoring.add_question(trainer, quiz, QuestionDetails(
        "single", "First step at the scene?", [Choice("Photograph it", True),
                                                Choice("Switch it off")]))
    authoring.add_question(trainer, quiz, QuestionDetails(
        "short", "Which bag blocks the phone's signals?", accepted=["Faraday bag"]))
    return quiz


def test_a_quiz_answered_offline_is_submitted_once_back_online(new_context, console, quiz,
                                                               live_server) -> None:
    console.allow(r"ERR_INTERNET_DISCONNECTED|Failed to fetch|Failed to load resource")
    context = new_context()
    page = context.new_page()
    sign_in(page, "fiji_officer", PASSWORD)
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"/training/quizzes/{quiz.pk}/")
    page.get_by_role("button", name="Start the quiz").click()
    page.wait_for_url("**/training/attempts/*/")
    form = page.locator("#quiz-attempt")
    # The service worker registered and the page and its files are cached.
    expect(form).to_have_attribute("data-cached", "yes")
    expect(page.locator("#quiz-timer")).to_contain_text("Time left:")

    context.set_offline(True)
    page.get_by_label("Photograph it").check()
    reloaded = page.reload()  # offline: only the service worker's cache can answer
    assert reloaded is not None and reloaded.from_service_worker
    expect(page.get_by_label("Photograph it")).to_be_checked()  # kept on the device
    page.get_by_label("Your answer").fill("faraday  BAG")
    page.get_by_role("button", name="Submit answers").click()
    expect(page.locator("#quiz-status")).to_contain_text(
        "You are offline. Your answers are kept on this device")
    attempt = Attempt.objects.get(quiz=quiz)
    assert attempt.state == Attempt.State.IN_PROGRESS  # nothing reached Vaka

    context.set_offline(False)  # the browser's "online" event sends them
    page.wait_for_url(f"**/training/attempts/{attempt.pk}/result")
    expect(page.locator("#quiz-result")).to_contain_text("Score: 100.00%")
    expect(page.locator("#quiz-result")).to_contain_text("Passed")
    attempt.refresh_from_db()
    assert attempt.state == Attempt.State.SUBMITTED and attempt.passed
    assert page.evaluate(f"localStorage.getItem('vaka-attempt-{attempt.pk}')") is None


def test_answers_from_a_second_device_are_refused_and_the_page_says_why(
        new_context, console, quiz, live_server) -> None:
    console.allow(r"status of 409")
    first = new_context().new_page()
    sign_in(first, "fiji_officer", PASSWORD)
    first.wait_for_url(f"{live_server.url}/")
    first.goto(f"/training/quizzes/{quiz.pk}/")
    first.get_by_role("button", name="Start the quiz").click()
    first.wait_for_url("**/training/attempts/*/")
    attempt_url = first.url

    second = new_context().new_page()  # another browser: its own device token
    sign_in(second, "fiji_officer", PASSWORD)
    second.wait_for_url(f"{live_server.url}/")
    second.goto(f"/training/quizzes/{quiz.pk}/")
    second.get_by_role("button", name="Continue your attempt").click()
    expect(second.get_by_role("alert")).to_contain_text("in progress on another device")
    second.goto(attempt_url)
    second.get_by_label("Photograph it").check()
    second.get_by_role("button", name="Submit answers").click()
    expect(second.locator("#quiz-status")).to_contain_text(
        "Vaka did not accept these answers: These answers come from another device")
    assert Attempt.objects.get(quiz=quiz).state == Attempt.State.IN_PROGRESS
