"""The organisation admin's page of training requirements: which capabilities of the
organisation's users wait for which course, set and lifted here (through
``training.requirements``)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from vaka.training import requirements
from vaka.training.models import Course
from vaka.web.forms import BootstrapMixin


class RequirementForm(BootstrapMixin, forms.Form):
    capability = forms.ChoiceField(label=gettext_lazy("Capability"),
                                   choices=requirements.GATED_CHOICES)
    course = forms.ModelChoiceField(label=gettext_lazy("Course to complete first"),
                                    queryset=Course.objects.none())

    def __init__(self, *args: object, user: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = requirements.courses_for_requirements(user)


def _organisation(request: HttpRequest) -> object:
    organisation = request.user.organisation
    if not requirements.can_require(request.user, organisation):
        raise PermissionDenied(_("Only an admin of the organisation sets or lifts its "
                                 "training requirements."))
    return organisation


@login_required
def requirement_list(request: HttpRequest) -> HttpResponse:
    """GET: the organisation's requirements and a form; POST: set one."""
    organisation = _organisation(request)
    form = RequirementForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            requirements.require(request.user, organisation, form.cleaned_data["capability"],
                                 form.cleaned_data["course"], request=request)
        except ValidationError as error:
            form.apply_errors(error)
        else:
            messages.success(request, _("Requirement set: it applies from each user's next "
                                        "page."))
            return redirect("training:requirements")
    labels = dict(requirements.GATED_CHOICES)
    rows = [(r, labels.get(r.capability, r.capability))
            for r in requirements.requirements_of(organisation)]
    return render(request, "training/requirements/requirement_list.html", {
        "organisation": organisation, "rows": rows, "form": form},
        status=400 if form.errors else 200)


@login_required
@require_POST
def requirement_lift(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = _organisation(request)
    requirement = get_object_or_404(requirements.requirements_of(organisation), pk=pk)
    requirements.lift(request.user, requirement, request=request)
    messages.success(request, _("Requirement lifted."))
    return redirect("training:requirements")

