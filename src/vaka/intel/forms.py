from django import forms

from vaka.intel.models import Note
from vaka.policy.forms import MarkingsForm


class NoteForm(MarkingsForm):
    class Meta:
        model = Note
        fields = ["title", "body", *MarkingsForm.MARKING_FIELDS]
        widgets = {"body": forms.Textarea(attrs={"rows": 8, "dir": "auto"})}
