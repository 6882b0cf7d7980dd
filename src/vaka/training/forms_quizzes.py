"""Forms of the quiz pages: they parse; ``training.quiz_authoring`` checks and writes."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from vaka.training.models import Question
from vaka.training.quiz_authoring import (
    MAX_CHOICES,
    MAX_POINTS,
    MAX_TIME_LIMIT,
    TITLE_LENGTH,
    Choice,
    QuestionDetails,
    QuizDetails,
)
from vaka.web.forms import BootstrapMixin

CHOICE_ROWS = MAX_CHOICES


class QuizForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=TITLE_LENGTH)
    intro = forms.CharField(label=_("Introduction (Markdown)"), required=False,
                            widget=forms.Textarea(attrs={"rows": 4}))
    time_limit = forms.IntegerField(label=_("Time limit (minutes)"), required=False,
                                    min_value=1, max_value=MAX_TIME_LIMIT,
                                    help_text=_("Empty: no time limit."))
    pass_mark = forms.IntegerField(label=_("Pass mark (%)"), min_value=0, max_value=100,
                                   initial=70)
    max_attempts = forms.IntegerField(label=_("Attempts allowed"), required=False,
                                      min_value=1, max_value=100,
                                      help_text=_("Empty: unlimited."))
    closes = forms.DateTimeField(
        label=_("Closes"), required=False, help_text=_("Empty: the quiz stays open."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                   format="%Y-%m-%dT%H:%M"))

    def details(self) -> QuizDetails:
        return QuizDetails(**{name: self.cleaned_data[name] for name in (
            "title", "intro", "time_limit", "pass_mark", "max_attempts", "closes")})


class QuestionForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Type"), choices=Question.Kind.choices)
    text = forms.CharField(label=_("Question"), widget=forms.Textarea(attrs={"rows": 3}))
    points = forms.IntegerField(label=_("Points"), min_value=1, max_value=MAX_POINTS,
                                initial=1)
    answer = forms.ChoiceField(
        label=_("True or false: the statement is"), required=False,
        choices=[("true", _("True")), ("false", _("False"))], widget=forms.RadioSelect)
    accepted = forms.CharField(
        label=_("Short answer: accepted answers"), required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One a line. Case, accents and extra spaces do not matter."))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for n in range(1, CHOICE_ROWS + 1):
            self.fields[f"choice_{n}"] = forms.CharField(
                label=_("Choice %(n)d") % {"n": n}, required=False)
            self.fields[f"correct_{n}"] = forms.BooleanField(
                label=_("Choice %(n)d is correct") % {"n": n}, required=False)

    @property
    def choice_rows(self) -> list[tuple[Any, Any]]:
        return [(self[f"choice_{n}"], self[f"correct_{n}"]) for n in range(1, CHOICE_ROWS + 1)]

    @classmethod
    def initial_from(cls, details: QuestionDetails) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "kind": details.kind, "text": details.text, "points": details.points,
            "accepted": "\n".join(details.accepted),
            "answer": "" if details.answer is None else ("true" if details.answer else "false")}
        for n, choice in enumerate(details.choices[:CHOICE_ROWS], start=1):
            initial[f"choice_{n}"], initial[f"correct_{n}"] = choice.text, choice.correct
        return initial

    def details(self) -> QuestionDetails:
        data = self.cleaned_data
        answer = {"true": True, "false": False}.get(data.get("answer") or "")
        return QuestionDetails(
            kind=data["kind"], text=data["text"], points=data["points"], answer=answer,
            accepted=(data.get("accepted") or "").splitlines(),
            choices=[Choice(data.get(f"choice_{n}") or "", bool(data.get(f"correct_{n}")))
                     for n in range(1, CHOICE_ROWS + 1)])
