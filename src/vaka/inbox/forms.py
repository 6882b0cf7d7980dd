from django import forms
from django.utils.translation import gettext_lazy as _

from vaka.inbox.models import InboxSettings
from vaka.web.forms import BootstrapMixin


class InboxSettingsForm(BootstrapMixin, forms.Form):
    email = forms.ChoiceField(
        label=_("E-mail me when something is waiting"), choices=InboxSettings.Email.choices,
        widget=forms.RadioSelect,
        help_text=_("The e-mail says only that something is waiting, with a link; never "
                    "what it is."))
