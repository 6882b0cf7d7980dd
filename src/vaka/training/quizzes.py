"""Taking quizzes: grading, attempts, and the integrity checks that let a quiz be taken
offline. Quizzes and questions are written in :mod:`vaka.training.quiz_authoring`.

**Grading** (:func:`grade`). Each question earns its points or none: a multiple-choice
question earns them only when exactly the correct choices are ticked (all or nothing: it
cannot be gamed by ticking everything, and the result page can say right or wrong). A
short answer is right when it matches an accepted answer case-, accent- and
space-insensitively (compatibility forms folded as NFKC does: ``ﬁ`` is ``fi``; accents
dropped; runs of spaces as one, none at the ends). The score is the share of the points
earned, in percent; passed when it reaches the quiz's pass mark.

**Attempts.** :func:`start_attempt` fixes the deadline (now plus the time limit, never
after the quiz closes) and the device: the SHA-256 of a random token the browser keeps
(an attempt in progress on the same device is resumed; one on another device must be
finished there or given up). :func:`submit_attempt` refuses, with a reason the learner can
read (audited ``QUIZ_REFUSED``), answers that arrive after the deadline — with
:data:`GRACE` (two minutes) for the network —, from a device other than the attempt's, for
an attempt already submitted or given up, or naming questions the quiz does not have. The
time that counts is when Vaka receives the answers, not when the browser says they were
given (a browser's clock proves nothing): answers kept offline must reach Vaka before the
deadline. Sending the same answers again from the same device (a flaky link resending)
returns the stored result.

Answers are ``{question id: answer}``: the index of the chosen choice (single choice,
true or false: 0 is true, 1 false), a list of indices (multiple choice) or text (short
answer); indices may be given as digits, and any answer as a list (what a form sends).
"""

import hashlib
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from vaka.names import fold
from vaka.policy import audit
from vaka.policy.audit import Action
from vaka.policy.visibility import can_see, visible_to
from vaka.training import xapi
from vaka.training.models import Attempt, Participant, Question, Quiz

GRACE = timedelta(minutes=2)
GRACE_MINUTES = GRACE.seconds // 60
ANSWER_LENGTH = 500
TOKEN_LENGTH = 200
TRUE, FALSE = 0, 1  # the choices of a true-or-false question
Kind = Question.Kind


def question_label(number: int) -> str:
    return _("Question %(n)d") % {"n": number}


# --- grading ---------------------------------------------------------------------------

class QuestionResult(NamedTuple):
    question: Question
    number: int
    answer: Any  # as cleaned; None when unanswered
    right: bool
    points: int  # earned


class Grade(NamedTuple):
    score: Decimal  # percent, two decimals
    passed: bool
    results: list[QuestionResult]


def _index(value: Any, count: int, label: str) -> int:
    if isinstance(value, bool):
        raise ValidationError(_("%(q)s: a choice is given by its number.") % {"q": label})
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int) or not 0 <= value < count:
        raise ValidationError(_("%(q)s: there is no such choice (%(value)s).")
                              % {"q": label, "value": str(value)[:20]})
    return value


def _clean_answer(question: Question, value: Any, label: str) -> Any:
    """One answer in its stored form (see the module docstring), None when unanswered."""
    if question.kind == Kind.SHORT:
        if isinstance(value, list) and len(value) <= 1:
            value = value[0] if value else ""
        if not isinstance(value, str):
            raise ValidationError(_("%(q)s: the answer is text.") % {"q": label})
        if "\x00" in value or len(value) > ANSWER_LENGTH:
            raise ValidationError(_("%(q)s: the answer is longer than %(max)d characters "
                                    "or holds a NUL character.")
                                  % {"q": label, "max": ANSWER_LENGTH})
        return value.strip() or None
    count = len(question.choices)
    if question.kind == Kind.MULTIPLE:
        values = value if isinstance(value, list) else [value]
        picked = sorted({_index(v, count, label) for v in values if v != ""})
        return picked or None
    if isinstance(value, list):
        if len(value) > 1:
            raise ValidationError(_("%(q)s: choose one answer only.") % {"q": label})
        value = value[0] if value else ""
    return None if value in ("", None) else _index(value, count, label)


def clean_answers(questions: list[Question], answers: Any) -> dict[str, Any]:
    """``answers`` checked against the quiz's ``questions``: ``{str(question id):
    answer}`` for the questions answered. Answers naming another question, or malformed,
    are refused naming the question."""
    if not isinstance(answers, dict):
        raise ValidationError(_("The answers could not be read."))
    by_id = {str(q.pk): (number, q) for number, q in enumerate(questions, start=1)}
    unknown = [str(key)[:20] for key in answers if str(key) not in by_id]
    if unknown:
        raise ValidationError(_("This quiz has no question %(ids)s; reload the quiz page.")
                              % {"ids": ", ".join(sorted(unknown))})
    cleaned = {}
    for key, value in answers.items():
        number, question = by_id[str(key)]
        answer = _clean_answer(question, value, question_label(number))
        if answer is not None:
            cleaned[str(key)] = answer
    return cleaned


def _right(question: Question, answer: Any) -> bool:
    if answer is None:
        return False
    if question.kind == Kind.SHORT:
        return fold(answer, accents=False) in {fold(a, accents=False)
                                               for a in question.accepted}
    correct = sorted(i for i, c in enumerate(question.choices) if c["correct"])
    return (answer if isinstance(answer, list) else [answer]) == correct


def grade(quiz: Quiz, answers: Any, questions: list[Question] | None = None) -> Grade:
    """Score ``answers`` (checked by :func:`clean_answers`) against ``quiz``."""
    questions = list(quiz.questions.all()) if questions is None else questions
    cleaned = clean_answers(questions, answers)
    results = []
    for number, question in enumerate(questions, start=1):
        answer = cleaned.get(str(question.pk))
        right = _right(question, answer)
        results.append(QuestionResult(question, number, answer, right,
                                      question.points if right else 0))
    total = sum(q.points for q in questions)
    earned = sum(r.points for r in results)
    score = (Decimal(100 * earned) / total if total else Decimal(0)).quantize(Decimal("0.01"))
    return Grade(score, score >= quiz.pass_mark, results)


# --- reading ---------------------------------------------------------------------------

def quiz_for(user: Any, pk: int) -> Quiz:
    """The quiz ``pk`` if ``user`` sees its course; 404 otherwise, as for none."""
    quiz = Quiz.objects.visible_to(user).select_related("module__course").filter(
        pk=pk).first()
    if quiz is None:
        raise Http404
    return quiz


def question_for(user: Any, pk: int) -> Question:
    question = Question.objects.visible_to(user).select_related(
        "quiz__module__course").filter(pk=pk).first()
    if question is None:
        raise Http404
    return question


def attempt_for(user: Any, pk: Any) -> Attempt:
    """An attempt ``user`` may see (the learner's own; their organisation's, trainers' and
    coordinators' where they see the course too); 404 otherwise."""
    attempt = visible_to(user, Attempt.objects.select_related(
        "quiz__module__course", "participant")).filter(pk=pk).first()
    if attempt is None:
        raise Http404
    return attempt


def attempts_of(user: Any, quiz: Quiz) -> list[Attempt]:
    """``user``'s own attempts at ``quiz``, first first (reading makes no person record)."""
    return list(visible_to(user, Attempt.objects.filter(quiz=quiz, participant__user=user))
                .order_by("number"))


def sibling_attempts(user: Any, attempt: Attempt) -> list[Attempt]:
    """All the attempts of ``attempt``'s person at its quiz (as ``user`` sees them)."""
    return list(visible_to(user, Attempt.objects.filter(
        participant_id=attempt.participant_id, quiz_id=attempt.quiz_id)))


def is_closed(quiz: Quiz, now: datetime | None = None) -> bool:
    return quiz.closes is not None and (now or timezone.now()) >= quiz.closes


def is_over(attempt: Attempt, now: datetime | None = None) -> bool:
    """The attempt's time (and grace) is up."""
    now = now or timezone.now()
    return attempt.deadline is not None and now > attempt.deadline + GRACE


def attempts_left(quiz: Quiz, attempts: list[Attempt]) -> int | None:
    """How many more attempts may start (None: no limit)."""
    return None if quiz.max_attempts is None else max(quiz.max_attempts - len(attempts), 0)


def shows_answers(quiz: Quiz, attempts: list[Attempt], now: datetime | None = None) -> bool:
    """The correct answers are shown once they can no longer help a later attempt: the
    learner passed, used the last attempt allowed, or the quiz has closed."""
    now = now or timezone.now()
    return (any(a.passed for a in attempts) or attempts_left(quiz, attempts) == 0
            or is_closed(quiz, now))


# --- attempts ---------------------------------------------------------------------------

def device_hash(token: str) -> str:
    """What an attempt keeps of a browser's device token."""
    return hashlib.sha256(token.encode()).hexdigest()


def _check_token(token: Any) -> str:
    if not isinstance(token, str) or not 16 <= len(token) <= TOKEN_LENGTH \
            or not token.isprintable():
        raise ValidationError(_("This browser sent no usable device token; reload the page "
                                "and try again."), code="token")
    return token


def _when(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M %Z")


def start_attempt(user: Any, quiz: Quiz, device_token: str, *,
                  at: datetime | None = None) -> Attempt:
    """Start (or, on the same device, resume) ``user``'s attempt at ``quiz``. Refused,
    saying why, when the quiz has closed or has no questions, the attempts allowed are
    used, or an attempt is in progress on another device."""
    if not can_see(user, quiz):
        raise PermissionDenied
    from vaka.training.participants import participant_for

    now = at or timezone.now()
    device = device_hash(_check_token(device_token))
    if not quiz.questions.exists():
        raise ValidationError(_("This quiz has no questions yet."), code="empty")
    person = participant_for(user)
    with transaction.atomic():
        Participant.objects.select_for_update().filter(pk=person.pk).first()  # one at a time
        attempts = list(Attempt.objects.filter(participant=person, quiz=quiz)
                        .order_by("number"))
        for attempt in attempts:
            if attempt.state != Attempt.State.IN_PROGRESS:
                continue
            if is_over(attempt, now):
                attempt.state = Attempt.State.ABANDONED
                attempt.save(update_fields=["state"])
            elif attempt.device == device:
                return attempt
            else:
                raise ValidationError(
                    _("Your attempt %(n)d, started %(when)s, is in progress on another "
                      "device. Finish it there, or give it up on this quiz's page.")
                    % {"n": attempt.number, "when": _when(attempt.started_at)},
                    code="other_device")
        if is_closed(quiz, now):
            raise ValidationError(_("This quiz closed on %(when)s.")
                                  % {"when": _when(quiz.closes)}, code="closed")
        if attempts_left(quiz, attempts) == 0:
            raise ValidationError(_("You have used the %(n)d attempt(s) allowed.")
                                  % {"n": quiz.max_attempts}, code="attempts")
        deadline = now + timedelta(minutes=quiz.time_limit) if quiz.time_limit else None
        if quiz.closes is not None:
            deadline = min(deadline or quiz.closes, quiz.closes)
        attempt = Attempt.objects.create(
            participant=person, quiz=quiz, started_at=now, deadline=deadline, device=device,
            number=max((a.number for a in attempts), default=0) + 1)
        audit.record(Action.CREATE, actor=user, target=attempt,
                     detail={"quiz": quiz.pk, "number": attempt.number})
    return attempt


def _own(user: Any, attempt_id: Any) -> Attempt:
    attempt = visible_to(user, Attempt.objects.filter(
        pk=attempt_id, participant__user=user)).first() if user.is_authenticated else None
    if attempt is None:
        raise PermissionDenied(_("Only the learner who started an attempt answers it."))
    return attempt


def submit_attempt(user: Any, attempt_id: Any, device_token: str, answers: Any, *,
                   at: datetime | None = None) -> Attempt:
    """Grade and store ``answers`` to ``user``'s attempt, received at ``at`` (now).
    Refused with a ``ValidationError`` the learner can read (its ``code``: ``device``,
    ``submitted``, ``abandoned``, ``deadline``, ``malformed``), audited ``QUIZ_REFUSED``.
    The same answers sent again from the same device return the stored attempt."""
    now = at or timezone.now()
    attempt = _own(user, attempt_id)
    token = _check_token(device_token)
    refusal: ValidationError | None = None
    with transaction.atomic():
        attempt = Attempt.objects.select_for_update().select_related("quiz").get(
            pk=attempt.pk)
        questions = list(attempt.quiz.questions.all())
        try:
            cleaned = clean_answers(questions, answers)
        except ValidationError as error:
            cleaned, refusal = None, ValidationError(" ".join(error.messages),
                                                     code="malformed")
        if device_hash(token) != attempt.device:
            refusal = ValidationError(
                _("These answers come from another device than the one that started this "
                  "attempt, so they were not accepted. Submit them from the browser you "
                  "started on."), code="device")
        elif attempt.state == Attempt.State.SUBMITTED:
            if cleaned == attempt.answers:
                return attempt  # the same answers again: the stored result
            refusal = ValidationError(
                _("This attempt was already submitted (%(when)s); other answers are not "
                  "accepted.") % {"when": _when(attempt.submitted_at)}, code="submitted")
        elif attempt.state == Attempt.State.ABANDONED:
            refusal = ValidationError(_("This attempt was given up or ran out of time; it "
                                        "takes no answers."), code="abandoned")
        elif is_over(attempt, now):
            refusal = ValidationError(
                _("These answers reached Vaka at %(at)s, after this attempt's deadline "
                  "(%(deadline)s, with %(grace)d minutes' grace), so they were not "
                  "accepted.") % {"at": _when(now), "deadline": _when(attempt.deadline),
                                  "grace": GRACE_MINUTES}, code="deadline")
        if refusal is None:
            result = grade(attempt.quiz, cleaned, questions)
            attempt.answers, attempt.score, attempt.passed = cleaned, result.score, \
                result.passed
            attempt.state, attempt.submitted_at = Attempt.State.SUBMITTED, now
            attempt.save(update_fields=["answers", "score", "passed", "state",
                                        "submitted_at"])
            audit.record(Action.QUIZ_SUBMIT, actor=user, target=attempt, detail={
                "quiz": attempt.quiz_id, "number": attempt.number,
                "score": str(result.score), "passed": result.passed})
            xapi.queue(attempt)
            return attempt
    audit.record(Action.QUIZ_REFUSED, actor=user, target=attempt, detail={
        "reason": refusal.code, "received": now.isoformat()})
    raise refusal


@transaction.atomic
def abandon_attempt(user: Any, attempt_id: Any) -> Attempt:
    """The learner gives up an attempt in progress (on a lost device, say); it counts as
    one of the attempts allowed, with no score."""
    attempt = Attempt.objects.select_for_update().get(pk=_own(user, attempt_id).pk)
    if attempt.state != Attempt.State.IN_PROGRESS:
        raise ValidationError(_("This attempt is no longer in progress."), code="over")
    attempt.state = Attempt.State.ABANDONED
    attempt.save(update_fields=["state"])
    audit.record(Action.UPDATE, actor=user, target=attempt, detail={"abandoned": True})
    return attempt
