"""The quiz pages: a quiz (introduction, attempts so far, start), an attempt (questions,
timer, submit — also offline, ``static/vaka/quiz.js`` and the service worker served at
``training:quiz_worker``), its result, and the course managers' quiz and question forms.

Every page reads through ``training.quizzes`` (404 outside the course's audience, and an
attempt outside the person's) and writes through ``quizzes`` and ``quiz_authoring``.
The submit answers JSON to the page's script (``Accept: application/json``) and
redirects a plain form; a refusal says why either way.
"""

import secrets
from functools import cache
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from vaka.training import quiz_authoring as authoring
from vaka.training import quizzes
from vaka.training.courses import can_manage
from vaka.training.forms_quizzes import QuestionForm, QuizForm
from vaka.training.lessons import module_for
from vaka.training.models import Attempt, Quiz

ANSWER_PREFIX = "answer-"
SESSION_DEVICE = "quiz_device"
WORKER = settings.STATICFILES_DIRS[0] / "vaka" / "quiz-worker.js"


def _device(request: HttpRequest) -> str:
    """The browser's device token (``quiz.js`` keeps one in localStorage); without
    JavaScript, one kept in the sign-in session stands for the browser."""
    token = request.POST.get("device", "")
    if token:
        return token
    return request.session.setdefault(SESSION_DEVICE, secrets.token_urlsafe(24))


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _report(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


# --- learners ----------------------------------------------------------------------------

@require_GET
@login_required
def quiz(request: HttpRequest, pk: int) -> HttpResponse:
    found = quizzes.quiz_for(request.user, pk)
    attempts = quizzes.attempts_of(request.user, found)
    manager = can_manage(request.user, found.module.course)
    return render(request, "training/quizzes/quiz.html", {
        "quiz": found, "module": found.module, "course": found.module.course,
        "attempts": attempts, "left": quizzes.attempts_left(found, attempts),
        "open_attempt": next((a for a in attempts if a.state == Attempt.State.IN_PROGRESS
                              and not quizzes.is_over(a)), None),
        "over": {a.pk for a in attempts if quizzes.is_over(a)},
        "closed": quizzes.is_closed(found), "manager": manager,
        "questions": list(found.questions.all()) if manager else [],
        "attempted": manager and found.attempts.exists()})


@require_POST
@login_required
def quiz_start(request: HttpRequest, pk: int) -> HttpResponse:
    found = quizzes.quiz_for(request.user, pk)
    try:
        attempt = quizzes.start_attempt(request.user, found, _device(request))
    except ValidationError as error:
        _report(request, error)
        return redirect("training:quiz", found.pk)
    return redirect("training:attempt", attempt.pk)


@require_GET
@login_required
def attempt(request: HttpRequest, pk: Any) -> HttpResponse:
    """The questions of the learner's attempt in progress; anyone else, and an attempt
    that is over, goes to its result."""
    found = quizzes.attempt_for(request.user, pk)
    if (found.participant.user_id != request.user.pk
            or found.state != Attempt.State.IN_PROGRESS or quizzes.is_over(found)):
        return redirect("training:attempt_result", found.pk)
    return render(request, "training/quizzes/attempt.html", {
        "attempt": found, "quiz": found.quiz, "course": found.quiz.module.course,
        "questions": list(found.quiz.questions.all()), "grace": quizzes.GRACE_MINUTES})


def _answers(request: HttpRequest) -> dict[str, list[str]]:
    return {key.removeprefix(ANSWER_PREFIX): request.POST.getlist(key)
            for key in request.POST if key.startswith(ANSWER_PREFIX)}


@require_POST
@login_required
def attempt_submit(request: HttpRequest, pk: Any) -> HttpResponse:
    found = quizzes.attempt_for(request.user, pk)
    result_url = reverse("training:attempt_result", args=[found.pk])
    try:
        submitted = quizzes.submit_attempt(request.user, found.pk, _device(request),
                                           _answers(request))
    except ValidationError as error:
        reason = " ".join(error.messages)
        if _wants_json(request):
            return JsonResponse({"status": "refused", "code": error.code or "",
                                 "reason": reason, "result": result_url},
                                status=400 if error.code == "malformed" else 409)
        messages.error(request, reason)
        return redirect("training:attempt", found.pk)
    text = _("Your answers were submitted: %(score)s%%, %(outcome)s.") % {
        "score": submitted.score,
        "outcome": _("passed") if submitted.passed else _("not passed")}
    if _wants_json(request):
        return JsonResponse({"status": "submitted", "message": text, "result": result_url})
    messages.success(request, text)
    return redirect(result_url)


@require_GET
@login_required
def attempt_result(request: HttpRequest, pk: Any) -> HttpResponse:
    found = quizzes.attempt_for(request.user, pk)
    quiz_ = found.quiz
    own = found.participant.user_id == request.user.pk
    if own and found.state == Attempt.State.IN_PROGRESS and not quizzes.is_over(found):
        return redirect("training:attempt", found.pk)
    graded = None
    if found.state == Attempt.State.SUBMITTED:
        graded = quizzes.grade(quiz_, found.answers)
    siblings = quizzes.sibling_attempts(request.user, found)
    return render(request, "training/quizzes/result.html", {
        "attempt": found, "quiz": quiz_, "course": quiz_.module.course, "own": own,
        "graded": graded,
        "show_answers": can_manage(request.user, quiz_.module.course)
        or quizzes.shows_answers(quiz_, siblings)})


@require_POST
@login_required
def attempt_abandon(request: HttpRequest, pk: Any) -> HttpResponse:
    found = quizzes.attempt_for(request.user, pk)
    try:
        quizzes.abandon_attempt(request.user, found.pk)
    except ValidationError as error:
        _report(request, error)
    else:
        messages.success(request, _("Attempt %(n)d given up.") % {"n": found.number})
    return redirect("training:quiz", found.quiz_id)


@cache
def _worker_script() -> bytes:
    return WORKER.read_bytes()


@require_GET
def quiz_worker(request: HttpRequest) -> HttpResponse:
    """The offline quiz's service worker, served under ``/training/attempts/`` so that
    its scope is the attempt pages (a script under ``/static/`` could not control them)."""
    return HttpResponse(_worker_script(), content_type="text/javascript; charset=utf-8")


# --- course managers ---------------------------------------------------------------------

def _quiz_form(request: HttpRequest, form: QuizForm, template_context: dict[str, Any],
               save: Any) -> HttpResponse:
    if request.method == "POST" and form.is_valid():
        try:
            saved = save(form.details())
        except ValidationError as error:
            form.apply_errors(error)
        else:
            messages.success(request, _("Quiz saved."))
            return redirect("training:quiz", saved.pk)
    return render(request, "training/quizzes/quiz_form.html", {"form": form,
                                                               **template_context},
                  status=400 if form.errors else 200)


@login_required
def quiz_create(request: HttpRequest, pk: int) -> HttpResponse:
    module = module_for(request.user, pk)
    authoring.check_manager(request.user, module)
    return _quiz_form(request, QuizForm(request.POST or None),
                      {"module": module, "course": module.course},
                      lambda details: authoring.create_quiz(request.user, module, details))


@login_required
def quiz_edit(request: HttpRequest, pk: int) -> HttpResponse:
    found = quizzes.quiz_for(request.user, pk)
    authoring.check_manager(request.user, found)
    initial = {name: getattr(found, name) for name in authoring.QUIZ_FIELDS}
    return _quiz_form(request, QuizForm(request.POST or None, initial=initial),
                      {"quiz": found, "module": found.module, "course": found.module.course},
                      lambda details: authoring.update_quiz(request.user, found, details))


@require_POST
@login_required
def quiz_delete(request: HttpRequest, pk: int) -> HttpResponse:
    found = quizzes.quiz_for(request.user, pk)
    try:
        authoring.delete_quiz(request.user, found)
    except ValidationError as error:
        _report(request, error)
        return redirect("training:quiz", found.pk)
    messages.success(request, _("Quiz deleted."))
    return redirect("training:module", found.module_id)


def _question_form(request: HttpRequest, quiz_: Quiz, form: QuestionForm, save: Any,
                   **context: Any) -> HttpResponse:
    if request.method == "POST" and form.is_valid():
        try:
            save(form.details())
        except ValidationError as error:
            form.apply_errors(error)
        else:
            messages.success(request, _("Question saved."))
            return redirect("training:quiz", quiz_.pk)
    return render(request, "training/quizzes/question_form.html", {
        "form": form, "quiz": quiz_, "course": quiz_.module.course, **context},
        status=400 if form.errors else 200)


@login_required
def question_create(request: HttpRequest, pk: int) -> HttpResponse:
    found = quizzes.quiz_for(request.user, pk)
    authoring.check_manager(request.user, found)
    return _question_form(request, found, QuestionForm(request.POST or None),
                          lambda details: authoring.add_question(request.user, found, details))


@login_required
def question_edit(request: HttpRequest, pk: int) -> HttpResponse:
    question = quizzes.question_for(request.user, pk)
    authoring.check_manager(request.user, question.quiz)
    form = QuestionForm(request.POST or None, initial=QuestionForm.initial_from(
        authoring.details_of(question)))
    return _question_form(
        request, question.quiz, form,
        lambda details: authoring.update_question(request.user, question, details),
        question=question)


@require_POST
@login_required
def question_delete(request: HttpRequest, pk: int) -> HttpResponse:
    question = quizzes.question_for(request.user, pk)
    try:
        authoring.delete_question(request.user, question)
    except ValidationError as error:
        _report(request, error)
    else:
        messages.success(request, _("Question deleted."))
    return redirect("training:quiz", question.quiz_id)
