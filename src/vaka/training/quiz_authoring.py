"""Writing quizzes and their questions: a course's managers' one write path for them
(``training.courses.can_manage``: trainers of the organisation that runs the course).

A quiz belongs to a module; it has a pass mark, an optional time limit, an optional
number of attempts allowed and an optional closing time. Its questions are of four kinds:
single choice (exactly one correct choice), multiple choice (at least one), true or false,
and short answer (a list of accepted answers, compared as :mod:`vaka.training.quizzes`
says). Each problem is refused keyed by field, its message naming the question ("Question
3: …") and what is wrong. Once learners have attempted a quiz its questions no longer
change (as in Moodle), so that every attempt is graded on the same questions, and the quiz
is no longer deleted (the attempts are the learners' records); its settings still change.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from vaka.policy import audit
from vaka.policy.audit import Action
from vaka.training import courses
from vaka.training.models import Module, Question, Quiz
from vaka.training.quizzes import ANSWER_LENGTH, TRUE, Kind, question_label

TITLE_LENGTH = Quiz._meta.get_field("title").max_length
MAX_TIME_LIMIT = 24 * 60  # minutes
MAX_CHOICES = 8
MAX_ACCEPTED = 20
TEXT_LENGTH = 2000
MAX_POINTS = 100


# --- who may write ---------------------------------------------------------------------

def check_manager(user: Any, quiz_or_module: Quiz | Module) -> None:
    """:func:`vaka.training.courses.check_manager` for a quiz's or module's course."""
    module = quiz_or_module if isinstance(quiz_or_module, Module) else quiz_or_module.module
    courses.check_manager(user, module.course)


# --- quizzes ---------------------------------------------------------------------------

@dataclass
class QuizDetails:
    """A quiz's settings: the form's and the import's one definition."""

    title: str
    intro: str = ""
    time_limit: int | None = None  # minutes
    pass_mark: int = 70  # percent
    max_attempts: int | None = None
    closes: datetime | None = None


QUIZ_FIELDS = tuple(QuizDetails.__dataclass_fields__)


def _clean_quiz(details: QuizDetails) -> QuizDetails:
    errors: dict[str, list[str]] = {}

    def fail(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    title, intro = (details.title or "").strip(), (details.intro or "").strip()
    if not title:
        fail("title", _("Give the quiz a title."))
    elif len(title) > TITLE_LENGTH:
        fail("title", _("The title is %(n)d characters long; at most %(max)d fit.")
             % {"n": len(title), "max": TITLE_LENGTH})
    if details.time_limit is not None and not 1 <= details.time_limit <= MAX_TIME_LIMIT:
        fail("time_limit", _("The time limit is between 1 and %(max)d minutes, or empty "
                             "for none.") % {"max": MAX_TIME_LIMIT})
    if not 0 <= details.pass_mark <= 100:
        fail("pass_mark", _("The pass mark is a percentage, 0 to 100."))
    if details.max_attempts is not None and not 1 <= details.max_attempts <= 100:
        fail("max_attempts", _("Allow 1 to 100 attempts, or leave it empty for no limit."))
    if details.closes is not None and timezone.is_naive(details.closes):
        fail("closes", _("The closing time needs a time zone."))
    if errors:
        raise ValidationError(errors)
    return QuizDetails(title, intro, details.time_limit, details.pass_mark,
                       details.max_attempts, details.closes)


@transaction.atomic
def create_quiz(user: Any, module: Module, details: QuizDetails) -> Quiz:
    """A new quiz at the end of ``module``'s quizzes."""
    check_manager(user, module)
    clean = _clean_quiz(details)
    last = module.quizzes.aggregate(last=Max("position"))["last"] or 0
    quiz = Quiz.objects.create(module=module, position=last + 1,
                               **{name: getattr(clean, name) for name in QUIZ_FIELDS})
    audit.record(Action.CREATE, actor=user, target=quiz)
    return quiz


@transaction.atomic
def update_quiz(user: Any, quiz: Quiz, details: QuizDetails) -> Quiz:
    """Change a quiz's settings (its attempts keep the deadline they started with)."""
    check_manager(user, quiz)
    clean = _clean_quiz(details)
    for name in QUIZ_FIELDS:
        setattr(quiz, name, getattr(clean, name))
    quiz.save(update_fields=list(QUIZ_FIELDS))
    audit.record(Action.UPDATE, actor=user, target=quiz)
    return quiz


def _check_unattempted(quiz: Quiz) -> None:
    count = quiz.attempts.count()
    if count:
        raise ValidationError(_("Learners have made %(n)d attempt(s) at “%(quiz)s”: its "
                                "questions no longer change, so that every attempt is "
                                "graded on the same questions.")
                              % {"n": count, "quiz": quiz.title})


@transaction.atomic
def delete_quiz(user: Any, quiz: Quiz) -> None:
    """Delete a quiz and its questions; refused once learners have attempted it (the
    attempts are their records)."""
    check_manager(user, quiz)
    _check_unattempted(quiz)
    audit.record(Action.DELETE, actor=user, target=quiz)
    quiz.delete()


# --- questions -------------------------------------------------------------------------

@dataclass
class Choice:
    text: str
    correct: bool = False


@dataclass
class QuestionDetails:
    """A question as its author gives it: ``choices`` for single and multiple choice,
    ``answer`` (true or false) for a true-or-false statement, ``accepted`` answers for a
    short answer."""

    kind: str
    text: str
    choices: list[Choice] = field(default_factory=list)
    answer: bool | None = None
    accepted: list[str] = field(default_factory=list)
    points: int = 1


def _clean_question(details: QuestionDetails, label: str) -> dict[str, Any]:
    """The question's stored fields, or every problem keyed by field, each message naming
    the question (``label``) and the field."""
    errors: dict[str, list[str]] = {}

    def fail(name: str, message: str) -> None:
        errors.setdefault(name, []).append(f"{label}: {message}")

    text = (details.text or "").strip()
    if not text:
        fail("text", _("the question has no text."))
    elif len(text) > TEXT_LENGTH:
        fail("text", _("the question is %(n)d characters long; at most %(max)d fit.")
             % {"n": len(text), "max": TEXT_LENGTH})
    if not 1 <= details.points <= MAX_POINTS:
        fail("points", _("points are 1 to %(max)d.") % {"max": MAX_POINTS})
    choices: list[dict[str, Any]] = []
    accepted: list[str] = []
    if details.kind in (Kind.SINGLE, Kind.MULTIPLE):
        given = [Choice((c.text or "").strip(), bool(c.correct)) for c in details.choices]
        for number, choice in enumerate(given, start=1):
            if not choice.text and choice.correct:
                fail("choices", _("choice %(n)d is marked correct but has no text.")
                     % {"n": number})
            elif len(choice.text) > ANSWER_LENGTH:
                fail("choices", _("choice %(n)d is longer than %(max)d characters.")
                     % {"n": number, "max": ANSWER_LENGTH})
        given = [c for c in given if c.text]
        correct = sum(c.correct for c in given)
        if len(given) < 2:
            fail("choices", _("give at least two choices."))
        elif len(given) > MAX_CHOICES:
            fail("choices", _("at most %(max)d choices.") % {"max": MAX_CHOICES})
        if details.kind == Kind.SINGLE and correct != 1:
            fail("choices", _("a single-choice question has exactly one correct choice; "
                              "%(n)d are marked.") % {"n": correct})
        if details.kind == Kind.MULTIPLE and correct < 1:
            fail("choices", _("mark at least one choice correct."))
        texts = [c.text.casefold() for c in given]
        if len(set(texts)) != len(texts):
            fail("choices", _("two choices have the same text."))
        choices = [{"text": c.text, "correct": c.correct} for c in given]
    elif details.kind == Kind.TRUE_FALSE:
        if details.answer is None:
            fail("answer", _("say whether the statement is true or false."))
        choices = [{"text": "true", "correct": details.answer is True},
                   {"text": "false", "correct": details.answer is False}]
    elif details.kind == Kind.SHORT:
        accepted = list(dict.fromkeys(a.strip() for a in details.accepted if a.strip()))
        if not accepted:
            fail("accepted", _("give at least one accepted answer."))
        elif len(accepted) > MAX_ACCEPTED:
            fail("accepted", _("at most %(max)d accepted answers.") % {"max": MAX_ACCEPTED})
        long = [a for a in accepted if len(a) > ANSWER_LENGTH]
        if long:
            fail("accepted", _("“%(answer)s…” is longer than %(max)d characters.")
                 % {"answer": long[0][:30], "max": ANSWER_LENGTH})
    else:
        fail("kind", _("unknown question type “%(kind)s” (known: %(known)s).")
             % {"kind": details.kind, "known": ", ".join(Kind.values)})
    if errors:
        raise ValidationError(errors)
    return {"kind": details.kind, "text": text, "choices": choices, "accepted": accepted,
            "points": details.points}


def number_of(question: Question) -> int:
    """The question's number as learners see it (1 for the first)."""
    return list(question.quiz.questions.values_list("pk", flat=True)).index(question.pk) + 1


@transaction.atomic
def add_question(user: Any, quiz: Quiz, details: QuestionDetails) -> Question:
    """A new question at the end of ``quiz``."""
    check_manager(user, quiz)
    _check_unattempted(quiz)
    fields = _clean_question(details, question_label(quiz.questions.count() + 1))
    last = quiz.questions.aggregate(last=Max("position"))["last"] or 0
    question = Question.objects.create(quiz=quiz, position=last + 1, **fields)
    audit.record(Action.CREATE, actor=user, target=question)
    return question


@transaction.atomic
def update_question(user: Any, question: Question, details: QuestionDetails) -> Question:
    check_manager(user, question.quiz)
    _check_unattempted(question.quiz)
    fields = _clean_question(details, question_label(number_of(question)))
    for name, value in fields.items():
        setattr(question, name, value)
    question.save(update_fields=list(fields))
    audit.record(Action.UPDATE, actor=user, target=question)
    return question


@transaction.atomic
def delete_question(user: Any, question: Question) -> None:
    check_manager(user, question.quiz)
    _check_unattempted(question.quiz)
    audit.record(Action.DELETE, actor=user, target=question)
    question.delete()


def details_of(question: Question) -> QuestionDetails:
    """What the question's form starts from."""
    answer = None
    if question.kind == Kind.TRUE_FALSE and question.choices:
        answer = bool(question.choices[TRUE]["correct"])
    return QuestionDetails(
        kind=question.kind, text=question.text, points=question.points, answer=answer,
        accepted=list(question.accepted),
        choices=[Choice(c["text"], c["correct"]) for c in question.choices
                 if question.kind != Kind.TRUE_FALSE])
