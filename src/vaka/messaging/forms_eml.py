"""The form of a ``.eml`` import: the file, its recipients, and the markings and priority
used where the mail's ``X-Vaka-*`` headers say nothing valid (``messaging.eml``)."""

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from vaka.directory.models import User
from vaka.messaging.forms import MessageForm


class ImportForm(MessageForm):
    """A new message's recipients, priority and markings, and the mail instead of its
    subject, text and attachments."""

    file = forms.FileField(label=_("E-mail file (.eml)"), widget=forms.ClearableFileInput(
        attrs={"accept": ".eml,message/rfc822"}))

    field_order = ["file", "to", "priority"]

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        for name in ("subject", "body", "attachments"):
            del self.fields[name]
        self.fields["file"].help_text = _(
            "Its subject, text and attachments become the message (at most %(mb)d MB). Its "
            "X-Vaka-TLP, -PAP, -Handling, -Grading and -Priority headers, when valid, "
            "replace what is chosen below.") % {"mb": settings.MAX_UPLOAD_MB}
