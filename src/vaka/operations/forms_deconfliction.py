"""Forms of deconfliction: a bulk check of values, and a broker's introduction."""

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vaka.operations.deconfliction import MAX_CHECK
from vaka.operations.desk import NOTE_LENGTH
from vaka.operations.models import Target
from vaka.web.forms import BootstrapMixin


class CheckForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("Type"), required=False,
        choices=[("", gettext_lazy("Given on each line")), *Target.Kind.choices])
    values = forms.CharField(
        label=gettext_lazy("Values"),
        widget=forms.Textarea(attrs={"rows": 10, "spellcheck": "false", "dir": "ltr"}),
        # Lazy, with the number filled in when shown (see intel's LookupForm).
        help_text=lazy(lambda: _("One per line (up to %(n)d). With a type chosen, each line "
                                 "is a value of that type; otherwise a line is “type value”, "
                                 "e.g. “domain evil.example” or “person Jane Doe”. Nothing "
                                 "you check is stored.") % {"n": MAX_CHECK}, str)())


class IntroduceForm(BootstrapMixin, forms.Form):
    clash = forms.IntegerField(widget=forms.HiddenInput)
    note = forms.CharField(label=gettext_lazy("Note for the desk"), required=False,
                           max_length=NOTE_LENGTH,
                           widget=forms.Textarea(attrs={"rows": 2}))
