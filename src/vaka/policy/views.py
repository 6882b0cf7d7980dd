from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from vaka.directory.models import Organisation
from vaka.directory.roles import Capability
from vaka.policy import selectors
from vaka.policy.audit import ACTION_LABELS, ACTIONS
from vaka.web.forms import BootstrapMixin
from vaka.web.pagination import paginate, query_without_page


class AuditFilterForm(BootstrapMixin, forms.Form):
    user = forms.CharField(label=_("User name"), required=False)
    organisation = forms.ModelChoiceField(label=_("Organisation"), required=False,
                                          queryset=Organisation.objects.all())
    action = forms.ChoiceField(
        label=_("Action"), required=False,
        choices=[("", "—"), *[(a, ACTION_LABELS.get(a, a)) for a in ACTIONS]])
    since = forms.DateField(label=_("From"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    if not request.user.can(Capability.MANAGE_PLATFORM):
        raise PermissionDenied
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    org = filters.get("organisation")
    entries = selectors.audit_entries(
        user=filters.get("user", ""), organisation=str(org.pk) if org else "",
        action=filters.get("action", ""), since=filters.get("since"),
        until=filters.get("until"))
    page = paginate(request, entries, 50)
    return render(request, "policy/audit_log.html", {
        "form": form, "page": page, "rows": selectors.audit_rows(request.user, page),
        "query": query_without_page(request)})
