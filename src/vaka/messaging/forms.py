"""Forms of the message pages. The services check everything; their errors land on the
fields (``apply_errors``): ``to`` holds the recipient organisations."""

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from vaka.directory.models import Organisation, User
from vaka.messaging.models import Priority
from vaka.messaging.services import BODY_LENGTH, SUBJECT_LENGTH
from vaka.policy.forms import MarkingFields
from vaka.policy.markings import TLP, Distribution
from vaka.policy.services import Markings
from vaka.uploads import EXPECTED
from vaka.web.forms import BootstrapMixin


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Several files in one input; each is checked by the service (``vaka.uploads``)."""

    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(AttachmentsField, self).clean(item, initial) for item in files]


def _attachments() -> AttachmentsField:
    return AttachmentsField(
        label=_("Attachments"), required=False,
        widget=MultipleFileInput(attrs={"accept": ",".join(f".{e}" for e in EXPECTED)}),
        help_text=_("Documents, images, text and archives, at most %(mb)d MB each. Programs, "
                    "scripts, web pages and SVG images are refused.")
        % {"mb": settings.MAX_UPLOAD_MB})


def _organisations(user: User) -> Any:
    return (Organisation.objects.filter(is_active=True, origin__isnull=True)
            .exclude(pk=user.organisation_id).select_related("country"))


class MessageForm(BootstrapMixin, MarkingFields):  # type: ignore[misc,valid-type]
    """A new message: recipients, subject, body, priority, attachments and markings."""

    to = forms.ModelMultipleChoiceField(
        label=_("To"), queryset=Organisation.objects.none(),
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("Recipient organisations. Each must be inside the message's audience: "
                    "with TLP:AMBER and no recipient organisations marked below, they are "
                    "these."))
    subject = forms.CharField(label=_("Subject"), max_length=SUBJECT_LENGTH)
    body = forms.CharField(label=_("Message"), required=False, max_length=BODY_LENGTH,
                           widget=forms.Textarea(attrs={"rows": 12, "dir": "auto"}))
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices,
                                 initial=Priority.ROUTINE)
    attachments = _attachments()

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.choices_for(user)
        self.fields["to"].queryset = _organisations(user)
        if not self.is_bound:
            # Messages go between organisations: TLP:AMBER to the recipients by default.
            self.initial_markings(Markings(distribution=Distribution.MEMBERS, tlp=TLP.AMBER))


class ReplyForm(BootstrapMixin, MarkingFields):  # type: ignore[misc,valid-type]
    """A reply: to the thread's other parties, marked as the original or narrower."""

    subject = forms.CharField(label=_("Subject"), max_length=SUBJECT_LENGTH)
    body = forms.CharField(label=_("Message"), max_length=BODY_LENGTH,
                           widget=forms.Textarea(attrs={"rows": 10, "dir": "auto"}))
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)
    attachments = _attachments()

    def __init__(self, *args: Any, user: User, markings: Markings, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.choices_for(user)
        if not self.is_bound:
            self.initial_markings(markings)


class ForwardForm(BootstrapMixin, forms.Form):
    """A hub's forward: to whom, and a note put before the original's text."""

    to = forms.ModelMultipleChoiceField(
        label=_("Forward to"), queryset=Organisation.objects.none(),
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("Each must be inside the original message's audience; the forward keeps "
                    "its markings and handling."))
    note = forms.CharField(label=_("Note"), required=False, max_length=4000,
                           widget=forms.Textarea(attrs={"rows": 4, "dir": "auto"}))

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to"].queryset = _organisations(user)
