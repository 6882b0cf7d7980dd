"""Forms of the lesson pages: they parse; ``training.lessons`` checks and writes."""

from django import forms
from django.utils.translation import gettext_lazy as _

from vaka.messaging.forms import AttachmentsField
from vaka.training.lessons import BODY_LENGTH, TITLE_LENGTH
from vaka.web.forms import BootstrapMixin


class ModuleForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=TITLE_LENGTH)
    summary = forms.CharField(label=_("Summary"), required=False,
                              widget=forms.Textarea(attrs={"rows": 3}))


class LessonForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=TITLE_LENGTH)
    body = forms.CharField(
        label=_("Text (Markdown)"), required=False, max_length=BODY_LENGTH,
        widget=forms.Textarea(attrs={"rows": 16}),
        help_text=_("Show one of the lesson's images with ![description](file-name.png)."))
    videos = forms.CharField(
        label=_("Video links"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One address of a video file a line (https://…/film.mp4)."))
    files = AttachmentsField(label=_("Add images and attachments"), required=False)

    def video_lines(self) -> list[str]:
        return (self.cleaned_data.get("videos") or "").splitlines()


class MoveForm(forms.Form):
    direction = forms.ChoiceField(choices=[("up", "up"), ("down", "down")])
