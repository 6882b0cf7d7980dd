"""The form of a connected instance."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from vaka.directory.models import Community
from vaka.exchange.models import Peer
from vaka.policy import crypto
from vaka.web.forms import BootstrapMixin


class PeerForm(BootstrapMixin, forms.Form):
    """Create (``peer`` None) or edit a connected instance. The outgoing token is never
    shown back: left empty on edit, the current one is kept."""

    name = forms.CharField(label=_("Name"), max_length=200)
    url = forms.URLField(label=_("Address"), max_length=500, assume_scheme="https",
                         help_text=_("The other instance's address, e.g. "
                                     "https://vaka.example.org/."))
    outgoing_token = forms.CharField(
        label=_("Token for the other instance"), max_length=200, required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("The token the other instance's admin gave you for this one."))
    push = forms.BooleanField(
        label=_("Send to it"), required=False, initial=True,
        help_text=_("Push what may cross to it, and answer its pulls."))
    pull = forms.BooleanField(
        label=_("Receive from it"), required=False, initial=True,
        help_text=_("Pull what it shares, and accept what it pushes."))
    communities = forms.ModelMultipleChoiceField(
        label=_("Communities spanning both instances"), required=False,
        queryset=Community.objects.all(), widget=forms.CheckboxSelectMultiple,
        help_text=_("By agreement with the other instance, which names the same "
                    "communities: records shared with them cross too."))
    interval_minutes = forms.IntegerField(label=_("Sync every (minutes)"), min_value=1,
                                          max_value=7 * 24 * 60, initial=15)
    enabled = forms.BooleanField(label=_("Enabled"), required=False, initial=True)

    def __init__(self, *args: Any, peer: Peer | None = None, **kwargs: Any) -> None:
        if peer is not None:
            kwargs.setdefault("initial", {
                "name": peer.name, "url": peer.url, "push": peer.push, "pull": peer.pull,
                "communities": list(peer.communities.all()),
                "interval_minutes": peer.interval_minutes, "enabled": peer.enabled})
        super().__init__(*args, **kwargs)
        if peer is not None:
            self.fields["outgoing_token"].help_text = _(
                "Stored, but it cannot be decrypted: the encryption key changed. Enter it "
                "again.") if crypto.unreadable(peer, "outgoing_token") else _(
                "Leave empty to keep the current token.")
            self.fields["new_incoming_token"] = forms.BooleanField(
                label=_("Issue a new token for the other instance"), required=False,
                help_text=_("The current one stops working; give the new one to the "
                            "other instance's admin."))
            self.fields["start_over"] = forms.BooleanField(
                label=_("Read everything again"), required=False,
                help_text=_("Forget where the last sync stopped, e.g. after agreeing on "
                            "a new community. Nothing is stored twice."))
            self.fields["new_incoming_token"].widget.attrs["class"] = "form-check-input"
            self.fields["start_over"].widget.attrs["class"] = "form-check-input"
