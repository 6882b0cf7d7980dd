"""The quiz pages: a learner starts, answers and sees the result (with the page's script
or without); refusals say why; outsiders get 404; trainers write questions."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from vaka.training import quiz_authoring as authoring
from vaka.training import quizzes
from vaka.training.models import Attempt, Module, Quiz
from vaka.training.quiz_authoring import Choice, QuestionDetails, QuizDetails

DEVICE = "d" * 40
JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def quiz(world):
    module = Module.objects.create(course=world.course, position=1, title="Evidence")
    quiz = authoring.create_quiz(world.trainer, module, QuizDetails(
        title="Seizing a phone", intro="Read **lesson 2** first.", pass_mark=50,
        time_limit=20))
    world.question = authoring.add_question(world.trainer, quiz, QuestionDetails(
        "single", "First step at the scene?", [Choice("Photograph it", True),
                                                Choice("Switch it off")]))
    world.module = module
    return quiz


def client(user):
    c = Client()
    c.force_login(user)
    return c


def start(world, quiz, device=DEVICE):
    response = client(world.fiji_officer).post(reverse("training:quiz_start", args=[quiz.pk]),
                                               {"device": device})
    assert response.status_code == 302
    return Attempt.objects.get(quiz=quiz)


def test_the_learner_sees_the_quiz_and_starts_an_attempt(world, quiz):
    page = client(world.fiji_officer).get(reverse("training:quiz", args=[quiz.pk]))
    assert page.status_code == 200
    assert "Seizing a phone" in page.content.decode() and b"Start the quiz" in page.content
    assert b"<strong>lesson 2</strong>" in page.content
    attempt = start(world, quiz)
    page = client(world.fiji_officer).get(reverse("training:attempt", args=[attempt.pk]))
    body = page.content.decode()
    assert "First step at the scene?" in body and 'id="quiz-attempt"' in body
    assert reverse("training:quiz_worker") in body and "<script>" not in body


def test_the_page_script_submits_and_gets_the_result(world, quiz):
    attempt = start(world, quiz)
    response = client(world.fiji_officer).post(
        reverse("training:attempt_submit", args=[attempt.pk]),
        {"device": DEVICE, f"answer-{world.question.pk}": "0"}, **JSON)
    assert response.status_code == 200
    assert response.json()["status"] == "submitted"
    result = client(world.fiji_officer).get(response.json()["result"])
    assert b"100.00%" in result.content and b"Passed" in result.content
    assert b"Correct answer" in result.content  # passed: the answers can no longer help


def test_a_second_device_is_told_why_it_was_refused(world, quiz):
    attempt = start(world, quiz)
    response = client(world.fiji_officer).post(
        reverse("training:attempt_submit", args=[attempt.pk]),
        {"device": "e" * 40, f"answer-{world.question.pk}": "0"}, **JSON)
    assert response.status_code == 409
    assert response.json()["code"] == "device"
    assert "another device" in response.json()["reason"]


def test_without_the_script_the_form_submits_and_a_refusal_is_shown(world, quiz):
    attempt = start(world, quiz)
    learner = client(world.fiji_officer)
    url = reverse("training:attempt_submit", args=[attempt.pk])
    response = learner.post(url, {"device": DEVICE, "answer-999999": "0"}, follow=True)
    assert b"This quiz has no question 999999" in response.content
    response = learner.post(url, {"device": DEVICE, f"answer-{world.question.pk}": "1"},
                            follow=True)
    assert response.redirect_chain[-1][0] == reverse("training:attempt_result",
                                                     args=[attempt.pk])
    assert b"0.00%" in response.content and b"Not passed" in response.content


def test_late_answers_are_refused_with_the_reason(world, quiz):
    attempt = start(world, quiz)
    Attempt.objects.filter(pk=attempt.pk).update(
        deadline=attempt.started_at - dt.timedelta(minutes=3))
    response = client(world.fiji_officer).post(
        reverse("training:attempt_submit", args=[attempt.pk]),
        {"device": DEVICE, f"answer-{world.question.pk}": "0"}, **JSON)
    assert response.status_code == 409 and response.json()["code"] == "deadline"
    page = client(world.fiji_officer).get(reverse("training:quiz", args=[quiz.pk]))
    assert b"Time ran out" in page.content and b"Start another attempt" in page.content


def test_outsiders_get_404_everywhere(world, quiz):
    attempt = start(world, quiz)
    world.course.tlp = "amber+strict"  # the centre's own now
    world.course.save()
    outsider = client(world.ph_analyst)
    for name, pk in (("quiz", quiz.pk), ("quiz_edit", quiz.pk), ("attempt", attempt.pk),
                     ("attempt_result", attempt.pk), ("question_edit", world.question.pk),
                     ("quiz_create", world.module.pk)):
        assert outsider.get(reverse(f"training:{name}", args=[pk])).status_code == 404, name
    for name, pk in (("quiz_start", quiz.pk), ("attempt_submit", attempt.pk),
                     ("attempt_abandon", attempt.pk), ("quiz_delete", quiz.pk)):
        assert outsider.post(reverse(f"training:{name}", args=[pk]),
                             {"device": DEVICE}).status_code == 404, name
    # The learner no longer sees the course: their own attempt is out of reach too.
    assert client(world.fiji_officer).get(
        reverse("training:attempt_result", args=[attempt.pk])).status_code == 404


def test_a_trainer_writes_a_quiz_and_its_questions(world, quiz):
    trainer = client(world.trainer)
    response = trainer.post(reverse("training:quiz_create", args=[world.module.pk]),
                            {"title": "Chain of custody", "pass_mark": "70"})
    made = Quiz.objects.get(title="Chain of custody")
    assert response.status_code == 302 and response["Location"] == reverse(
        "training:quiz", args=[made.pk])
    url = reverse("training:question_create", args=[made.pk])
    response = trainer.post(url, {"kind": "single", "text": "Who signs?", "points": "1",
                                  "choice_1": "The officer", "correct_1": "on",
                                  "choice_2": "The suspect", "correct_2": "on"})
    assert response.status_code == 400
    assert ("Question 1: a single-choice question has exactly one correct choice; 2 are "
            "marked.") in response.content.decode()
    response = trainer.post(url, {"kind": "true_false", "text": "Logs matter.",
                                  "points": "1", "answer": "true"})
    assert response.status_code == 302 and made.questions.get().choices[0]["correct"]


def test_learners_do_not_write_questions(world, quiz):
    learner = client(world.fiji_officer)
    assert learner.get(reverse("training:question_create", args=[quiz.pk])).status_code == 403
    assert learner.post(reverse("training:quiz_delete", args=[quiz.pk])).status_code == 403


def test_the_trainer_sees_a_learners_result_but_cannot_answer(world, quiz):
    attempt = start(world, quiz)
    quizzes.submit_attempt(world.fiji_officer, attempt.pk, DEVICE,
                           {str(world.question.pk): 1})
    trainer = client(world.trainer)
    page = trainer.get(reverse("training:attempt_result", args=[attempt.pk]))
    assert page.status_code == 200 and b"Mere Vula" in page.content
    response = trainer.post(reverse("training:attempt_submit", args=[attempt.pk]),
                            {"device": DEVICE})
    assert response.status_code == 403


def test_the_service_worker_is_served_as_javascript(db):
    response = Client().get(reverse("training:quiz_worker"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert b"self.addEventListener(\"fetch\"" in response.content


def test_questions_are_marked_with_the_course_language(world, quiz):
    # A trainer's questions and answers are content in the course's (first) language.
    world.course.languages = ["fr", "en"]
    world.course.save(update_fields=["languages"])
    attempt = start(world, quiz)
    body = client(world.fiji_officer).get(
        reverse("training:attempt", args=[attempt.pk])).content.decode()
    assert '<p dir="auto" lang="fr">First step at the scene?</p>' in body
    assert body.count('dir="auto" lang="fr">Photograph it</label>') == 1
    quizzes.submit_attempt(world.fiji_officer, attempt.pk, DEVICE,
                           {str(world.question.pk): 0})
    result = client(world.fiji_officer).get(
        reverse("training:attempt_result", args=[attempt.pk])).content.decode()
    assert '<p class="mb-1" dir="auto" lang="fr">First step at the scene?</p>' in result
    assert '<span dir="auto" lang="fr">Photograph it</span>' in result
    page = client(world.fiji_officer).get(reverse("training:quiz", args=[quiz.pk]))
    assert '<h1 class="h3" dir="auto" lang="fr">Seizing a phone</h1>' in page.content.decode()
