"""Quizzes: authoring checks naming the question and field, grading of each kind, and the
attempt's integrity — attempts allowed, the deadline, the device, a resend."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from vaka.policy.audit import Action, AuditEntry
from vaka.training import quiz_authoring as authoring
from vaka.training import quizzes
from vaka.training.models import Attempt, Module
from vaka.training.quiz_authoring import Choice, QuestionDetails, QuizDetails

PHONE = "a" * 32
LAPTOP = "b" * 32
NOON = dt.datetime(2026, 11, 3, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def quiz(world):
    module = Module.objects.create(course=world.course, position=1, title="Evidence")
    quiz = authoring.create_quiz(world.trainer, module, QuizDetails(
        title="Seizing a phone", pass_mark=60, time_limit=20, max_attempts=2))
    add = authoring.add_question
    world.single = add(world.trainer, quiz, QuestionDetails(
        "single", "First step at the scene?", [Choice("Photograph it", True),
                                                Choice("Switch it off")]))
    world.multiple = add(world.trainer, quiz, QuestionDetails(
        "multiple", "What isolates a phone?", [Choice("Faraday bag", True),
                                               Choice("Airplane mode", True),
                                               Choice("A cloth")]))
    world.true_false = add(world.trainer, quiz, QuestionDetails(
        "true_false", "A hash proves the copy is the same.", answer=True))
    world.short = add(world.trainer, quiz, QuestionDetails(
        "short", "Where is the regional centre?", accepted=["Apia", "Āpia, Samoa"],
        points=2))
    return quiz


def answers(w, single=0, multiple=(0, 1), true_false=0, short="apia"):
    return {str(w.single.pk): single, str(w.multiple.pk): list(multiple),
            str(w.true_false.pk): true_false, str(w.short.pk): short}


def messages(error):
    return error.value.message_dict


# --- authoring ---------------------------------------------------------------------------

def test_a_single_choice_question_needs_exactly_one_correct_choice(world, quiz):
    with pytest.raises(ValidationError) as error:
        authoring.add_question(world.trainer, quiz, QuestionDetails(
            "single", "Which?", [Choice("A", True), Choice("B", True)]))
    assert messages(error) == {"choices": [
        "Question 5: a single-choice question has exactly one correct choice; 2 are "
        "marked."]}


def test_each_problem_is_named_by_question_and_field(world, quiz):
    with pytest.raises(ValidationError) as error:
        authoring.update_question(world.trainer, world.multiple, QuestionDetails(
            "multiple", " ", [Choice("A"), Choice("", True)], points=0))
    assert messages(error) == {
        "text": ["Question 2: the question has no text."],
        "points": ["Question 2: points are 1 to 100."],
        "choices": ["Question 2: choice 2 is marked correct but has no text.",
                    "Question 2: give at least two choices.",
                    "Question 2: mark at least one choice correct."]}


def test_true_false_and_short_answers_say_what_is_missing(world, quiz):
    with pytest.raises(ValidationError) as error:
        authoring.add_question(world.trainer, quiz, QuestionDetails("true_false", "Sky?"))
    assert messages(error) == {"answer": ["Question 5: say whether the statement is true "
                                          "or false."]}
    with pytest.raises(ValidationError) as error:
        authoring.add_question(world.trainer, quiz, QuestionDetails("short", "Who?",
                                                                    accepted=[" ", ""]))
    assert messages(error) == {"accepted": ["Question 5: give at least one accepted "
                                            "answer."]}


def test_quiz_settings_are_checked(world, quiz):
    with pytest.raises(ValidationError) as error:
        authoring.update_quiz(world.trainer, quiz, QuizDetails(
            title="", pass_mark=120, time_limit=0, max_attempts=0))
    assert set(messages(error)) == {"title", "pass_mark", "time_limit", "max_attempts"}


def test_only_the_course_trainers_write_quizzes(world, quiz):
    with pytest.raises(PermissionDenied):
        authoring.add_question(world.fiji_officer, quiz, QuestionDetails(
            "true_false", "Sky is blue.", answer=True))


def test_questions_no_longer_change_once_attempted(world, quiz):
    quizzes.start_attempt(world.fiji_officer, quiz, PHONE)
    with pytest.raises(ValidationError, match="1 attempt"):
        authoring.delete_question(world.trainer, world.short)
    with pytest.raises(ValidationError):
        authoring.delete_quiz(world.trainer, quiz)
    authoring.update_quiz(world.trainer, quiz, QuizDetails(title="Renamed", pass_mark=50))


# --- grading -----------------------------------------------------------------------------

def test_everything_right_scores_100(world, quiz):
    graded = quizzes.grade(quiz, answers(world))
    assert graded.score == Decimal("100.00") and graded.passed
    assert [r.right for r in graded.results] == [True] * 4


def test_each_kind_is_graded(world, quiz):
    graded = quizzes.grade(quiz, answers(world, single=1, multiple=[0], true_false=1,
                                         short="Wellington"))
    assert [r.right for r in graded.results] == [False] * 4
    assert graded.score == Decimal("0.00") and not graded.passed


def test_multiple_choice_is_all_or_nothing(world, quiz):
    for ticked in ([0], [0, 1, 2], [0, 2]):
        graded = quizzes.grade(quiz, answers(world, multiple=ticked))
        assert not graded.results[1].right
        assert graded.score == Decimal("80.00")  # 4 of 5 points


def test_short_answers_ignore_case_accents_spaces_and_compatibility_forms(world, quiz):
    for given in ("  APIA ", "Āpia,   samoa", "apia, ＳＡＭＯＡ"):
        assert quizzes.grade(quiz, answers(world, short=given)).results[3].right, given
    assert not quizzes.grade(quiz, answers(world, short="Apia Samoa")).results[3].right


def test_unanswered_questions_are_wrong_and_the_pass_mark_decides(world, quiz):
    graded = quizzes.grade(quiz, {str(world.short.pk): "Apia",
                                  str(world.single.pk): ["0"]})
    assert graded.score == Decimal("60.00") and graded.passed  # 3 of 5 points, mark 60


def test_malformed_answers_are_refused_naming_the_question(world, quiz):
    with pytest.raises(ValidationError, match="Question 1: there is no such choice"):
        quizzes.grade(quiz, answers(world, single=7))
    with pytest.raises(ValidationError, match="Question 1: choose one answer only"):
        quizzes.grade(quiz, answers(world, single=["0", "1"]))
    with pytest.raises(ValidationError, match="no question 999999"):
        quizzes.grade(quiz, {"999999": 0})


# --- attempts ----------------------------------------------------------------------------

def test_an_attempt_has_a_deadline_and_the_device_hash(world, quiz):
    attempt = quizzes.start_attempt(world.fiji_officer, quiz, PHONE, at=NOON)
    assert attempt.number == 1 and attempt.participant == world.officer
    assert attempt.deadline == NOON + dt.timedelta(minutes=20)
    assert attempt.device == quizzes.device_hash(PHONE) != PHONE


def test_the_deadline_never_passes_the_closing_time(world, quiz):
    quiz.closes = NOON + dt.timedelta(minutes=5)
    quiz.save()
    attempt = quizzes.start_attempt(world.fiji_officer, quiz, PHONE, at=NOON)
    assert attempt.deadline == quiz.closes
    with pytest.raises(ValidationError, match="closed"):
        quizzes.start_attempt(world.samoa_analyst, quiz, PHONE, at=quiz.closes)


def test_the_same_device_resumes_another_is_refused(world, quiz):
    first = quizzes.start_attempt(world.fiji_officer, quiz, PHONE)
    assert quizzes.start_attempt(world.fiji_officer, quiz, PHONE) == first
    with pytest.raises(ValidationError, match="in progress on another device"):
        quizzes.start_attempt(world.fiji_officer, quiz, LAPTOP)
    quizzes.abandon_attempt(world.fiji_officer, first.pk)
    assert quizzes.start_attempt(world.fiji_officer, quiz, LAPTOP).number == 2


def test_no_attempt_beyond_those_allowed(world, quiz):
    for _ in range(2):
        attempt = quizzes.start_attempt(world.fiji_officer, quiz, PHONE)
        quizzes.submit_attempt(world.fiji_officer, attempt.pk, PHONE, answers(world, single=1))
    with pytest.raises(ValidationError, match="used the 2 attempt"):
        quizzes.start_attempt(world.fiji_officer, quiz, PHONE)


def test_submitting_grades_and_stores(world, quiz):
    attempt = quizzes.start_attempt(world.fiji_officer, quiz, PHONE, at=NOON)
    done = quizzes.submit_attempt(world.fiji_officer, attempt.pk, PHONE, answers(world),
                                  at=NOON + dt.timedelta(minutes=10))
    assert done.state == Attempt.State.SUBMITTED and done.passed
    assert done.score == Decimal("100.00")
    assert AuditEntry.objects.filter(action=Action.QUIZ_SUBMIT,
                                     target_id=str(attempt.pk)).count() == 1


def test_answers_after_the_deadline_and_its_grace_are_refused(world, quiz):
    attempt = quizzes.start_attempt(world.fiji_officer, quiz, PHONE, at=NOON)
    in_grace = NOON + dt.timedelta(minutes=21, seconds=59)
    late = NOON + dt.timedelta(minutes=22, seconds=1)
    with pytest.raises(ValidationError, match="after this attempt's deadline") as error:
        quizzes.submit_attempt(world.fiji_officer, attempt.pk, PHONE, answers(world), at=late)
    assert error.value.code == "deadline"
    refused = AuditEntry.objects.get(action=Action.QUIZ_REFUSED)
    assert refused.detail["reason"] == "deadline"
    attempt.refresh_from_db()
    assert attempt.state == Attempt.State.IN_PROGRESS and attempt.score is None
    assert quizzes.submit_attempt(world.fiji_officer, attempt.pk, PHONE, answers(world),
                                  at=in_grace).passed


def test_answers_from_a_second_device_are_refused(world, quiz):
    attempt = quizzes.start_attempt(world.fiji_officer, quiz, PHONE)
    with pytest.raises(ValidationError, match="another device") as error:
        quizzes.submit_attempt(world.fiji_officer, attempt.pk, LAPTOP, answers(world))
    assert error.value.code == "device"
    assert AuditEntry.objects.get(action=Action.QUIZ_REFUSED).detail["reason"] == "device"


def test_the_same_answers_resent_return_the_stored_result(world, quiz):
    attempt = quizzes.start_attempt(world.fiji_officer, quiz, PHONE)
    first = quizzes.submit_attempt(world.fiji_officer, attempt.pk, PHONE, answers(world))
    again = quizzes.submit_attempt(world.fiji_officer, attempt.pk, PHONE,
                                   {k: [str(v)] if isinstance(v, int) else v
                                    for k, v in answers(world).items()})
    assert again.submitted_at == first.submitted_at and again.score == first.score
    assert AuditEntry.objects.filter(action=Action.QUIZ_SUBMIT).count() == 1
    with pytest.raises(ValidationError, match="already submitted") as error:
        quizzes.submit_attempt(world.fiji_officer, attempt.pk, PHONE, answers(world, single=1))
    assert error.value.code == "submitted"


def test_malformed_answers_are_refused_and_audited(world, quiz):
    attempt = quizzes.start_attempt(world.fiji_officer, quiz, PHONE)
    with pytest.raises(ValidationError, match="no question") as error:
        quizzes.submit_attempt(world.fiji_officer, attempt.pk, PHONE, {"12345678": 1})
    assert error.value.code == "malformed"
    assert AuditEntry.objects.get(action=Action.QUIZ_REFUSED).detail["reason"] == "malformed"


def test_only_the_learner_answers_their_attempt(world, quiz):
    attempt = quizzes.start_attempt(world.fiji_officer, quiz, PHONE)
    with pytest.raises(PermissionDenied):  # the trainer sees the attempt, but it's not theirs
        quizzes.submit_attempt(world.trainer, attempt.pk, PHONE, answers(world))


def test_an_outsider_cannot_start(world, quiz):
    world.course.tlp = "amber+strict"
    world.course.save()
    with pytest.raises(PermissionDenied):
        quizzes.start_attempt(world.ph_analyst, quiz, PHONE)


def test_correct_answers_are_shown_once_they_cannot_help(world, quiz):
    attempt = quizzes.start_attempt(world.fiji_officer, quiz, PHONE)
    quizzes.submit_attempt(world.fiji_officer, attempt.pk, PHONE, answers(world, single=1,
                                                                          short="x"))
    attempts = quizzes.attempts_of(world.fiji_officer, quiz)
    assert not quizzes.shows_answers(quiz, attempts)  # failed, one attempt left
    second = quizzes.start_attempt(world.fiji_officer, quiz, PHONE)
    quizzes.submit_attempt(world.fiji_officer, second.pk, PHONE, answers(world, single=1,
                                                                         short="x"))
    assert quizzes.shows_answers(quiz, quizzes.attempts_of(world.fiji_officer, quiz))
