"""The operation pages: parse the request, call a service or a selector, render.

Every page on one operation starts from ``selectors.operation_for`` (404 outside its
audience, before anything else); writes go through ``operations.services`` and
``operations.targets``, which check who may make them (403 for a participant who may not).
The overview, targets and tasks are tabs (``operations/_tabs.html``), each its own page.
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from vaka.directory.roles import Capability
from vaka.intel.crime_types import CrimeType
from vaka.operations import selectors, services, stix, targets
from vaka.operations import tasks as taskings
from vaka.operations.filtersets import OperationFilter
from vaka.operations.forms import (
    CloseForm,
    LinkForm,
    OperationForm,
    ParticipantsForm,
    PhaseForm,
    TargetsForm,
    TaskForm,
    TaskStatusForm,
)
from vaka.operations.models import Operation, Task
from vaka.web import throttling
from vaka.web.pagination import paginate, query_without_page


@login_required
def operation_list(request: HttpRequest) -> HttpResponse:
    """The operations the user may see, filtered; a bad filter value is a 400 naming it."""
    filterset = OperationFilter(request.GET or None,
                                queryset=selectors.operations_for(request.user))
    valid = not filterset.is_bound or filterset.is_valid()
    rows = (filterset.qs if valid else filterset.queryset.none()).prefetch_related(
        "countries")
    return render(request, "operations/operation_list.html", {
        "form": filterset.form, "page": paginate(request, rows),
        "query": query_without_page(request),
        "can_open": request.user.can(Capability.COORDINATE),
        "my_tasks": selectors.open_tasks_for(request.user)[:10]},
        status=200 if valid else 400)


@login_required
def operation_create(request: HttpRequest) -> HttpResponse:
    if not request.user.can(Capability.COORDINATE):
        raise PermissionDenied
    form = OperationForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            operation = services.open_operation(user=request.user, details=form.details(),
                                                markings=form.markings(), request=request)
        except ValidationError as error:
            form.apply_errors(error)
        else:
            messages.success(request, _("Operation %s opened.") % operation.reference)
            return redirect(operation)
    return render(request, "operations/operation_form.html", {"form": form},
                  status=400 if form.errors else 200)


def _page(request: HttpRequest, operation: Operation, template: str, tab: str,
          status: int = 200, **context: Any) -> HttpResponse:
    return render(request, template, {
        "operation": operation, "tab": tab,
        "can_coordinate": services.can_coordinate(request.user, operation),
        "counts": selectors.counts_of(operation), **context}, status=status)


@login_required
def operation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    operation = selectors.operation_for(request.user, pk, request=request)
    return _page(request, operation, "operations/operation_detail.html", "overview",
                 participants=selectors.participants_of(operation),
                 countries=operation.countries.all(),
                 crime_types=[label for code, label in CrimeType.choices
                              if code in operation.crime_types],
                 phase_form=PhaseForm(initial={"phase": operation.phase}),
                 close_form=CloseForm(initial={"lessons": operation.lessons}))


@login_required
def operation_stix(request: HttpRequest, pk: int) -> HttpResponse:
    """The operation's shareable intelligence as a STIX 2.1 bundle, as the reader may read
    it (``operations.stix``); counted as an export."""
    operation = selectors.operation_for(request.user, pk, request=request)
    if limited := throttling.check("exports", throttling.identity(request)):
        return limited.page(request)
    return stix.download(request.user, operation, request=request)


@login_required
def operation_edit(request: HttpRequest, pk: int) -> HttpResponse:
    operation = selectors.operation_for(request.user, pk)
    services.check_coordinator(request.user, operation)
    form = OperationForm(request.POST or None, user=request.user, operation=operation)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_operation(operation, user=request.user, details=form.details(),
                                      markings=form.markings(), request=request)
        except ValidationError as error:
            form.apply_errors(error)
        else:
            messages.success(request, _("Operation saved."))
            return redirect(operation)
    return render(request, "operations/operation_form.html",
                  {"form": form, "operation": operation},
                  status=400 if form.errors else 200)


@login_required
def operation_participants(request: HttpRequest, pk: int) -> HttpResponse:
    operation = selectors.operation_for(request.user, pk)
    services.check_coordinator(request.user, operation)
    form = ParticipantsForm(request.POST or None, operation=operation)
    if request.method == "POST" and form.is_valid():
        try:
            services.change_participants(
                operation, user=request.user, request=request,
                participants=[o.pk for o in form.cleaned_data["participants"]])
        except ValidationError as error:
            form.apply_errors(error)
        else:
            messages.success(request, _("Participants saved."))
            return redirect(operation)
    return render(request, "operations/participants.html",
                  {"form": form, "operation": operation},
                  status=400 if form.errors else 200)


def _report(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


@login_required
@require_POST
def operation_phase(request: HttpRequest, pk: int) -> HttpResponse:
    operation = selectors.operation_for(request.user, pk)
    try:
        services.set_phase(operation, user=request.user, phase=request.POST.get("phase", ""),
                           request=request)
    except ValidationError as error:
        _report(request, error)
    return redirect(operation)


@login_required
@require_POST
def operation_close(request: HttpRequest, pk: int) -> HttpResponse:
    operation = selectors.operation_for(request.user, pk)
    form = CloseForm(request.POST)
    form.is_valid()
    try:
        services.close_operation(operation, user=request.user, request=request,
                                 lessons=form.cleaned_data.get("lessons"))
    except ValidationError as error:
        _report(request, error)
    else:
        messages.success(request, _("Operation closed."))
    return redirect(operation)


# --- targets ---------------------------------------------------------------------------------

@login_required
def operation_targets(request: HttpRequest, pk: int) -> HttpResponse:
    operation = selectors.operation_for(request.user, pk)
    return _page(request, operation, "operations/targets.html", "targets",
                 page=paginate(request, selectors.targets_for(request.user, operation)))


@login_required
def targets_add(request: HttpRequest, pk: int) -> HttpResponse:
    operation = selectors.operation_for(request.user, pk)
    services.check_coordinator(request.user, operation)
    form = TargetsForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            added = targets.add_targets(operation, user=request.user, targets=form.inputs(),
                                        request=request)
        except ValidationError as error:
            form.apply_errors(error)
        else:
            text = ngettext("%(n)d target added.", "%(n)d targets added.",
                            len(added.targets)) % {"n": len(added.targets)}
            if added.already:
                text += " " + ngettext(
                    "%(n)d value was already a target.", "%(n)d values were already "
                    "targets.", added.already) % {"n": added.already}
            messages.success(request, text)
            return redirect("operations:targets", pk=operation.pk)
    return _page(request, operation, "operations/targets_add.html", "targets",
                 status=400 if form.errors else 200, form=form)


@login_required
@require_POST
def target_remove(request: HttpRequest, pk: int, target: int) -> HttpResponse:
    operation = selectors.operation_for(request.user, pk)
    try:
        targets.remove_target(operation, target, user=request.user, request=request)
    except ValidationError as error:
        _report(request, error)
    else:
        messages.success(request, _("Target removed."))
    return redirect("operations:targets", pk=operation.pk)


@login_required
def target_link(request: HttpRequest, pk: int, target: int) -> HttpResponse:
    operation = selectors.operation_for(request.user, pk)
    found = selectors.target_for(request.user, operation, target)
    services.check_coordinator(request.user, operation)
    form = LinkForm(request.POST or None, initial={
        "linked": " ".join(o.stix_id for o in found.linked_visible)})
    if request.method == "POST" and form.is_valid():
        try:
            targets.link_target(operation, found.pk, user=request.user, linked=form.ids(),
                                request=request)
        except ValidationError as error:
            form.apply_errors(error)
        else:
            messages.success(request, _("Linked intelligence saved."))
            return redirect("operations:targets", pk=operation.pk)
    return _page(request, operation, "operations/target_link.html", "targets",
                 status=400 if form.errors else 200, form=form, target=found)


# --- tasks -----------------------------------------------------------------------------------

@login_required
def operation_tasks(request: HttpRequest, pk: int) -> HttpResponse:
    """The tasks; a coordinator's POST assigns a new one."""
    operation = selectors.operation_for(request.user, pk)
    form = TaskForm(request.POST or None, operation=operation)
    if request.method == "POST":
        services.check_coordinator(request.user, operation)
        if form.is_valid():
            data = form.cleaned_data
            try:
                taskings.create_task(operation, user=request.user, title=data["title"],
                                     assigned_to=data["assigned_to"].pk, due=data["due"],
                                     detail=data["detail"], request=request)
            except ValidationError as error:
                form.apply_errors(error)
            else:
                messages.success(request, _("Task assigned."))
                return redirect("operations:tasks", pk=operation.pk)
    coordinator = services.can_coordinate(request.user, operation)
    tasks = [(task, taskings.can_change_task(request.user, task, coordinator=coordinator))
             for task in selectors.tasks_for(request.user, operation).select_related(
                 "operation")]
    return _page(request, operation, "operations/tasks.html", "tasks",
                 status=400 if form.errors else 200, form=form, tasks=tasks,
                 statuses=Task.Status.choices)


@login_required
@require_POST
def task_status(request: HttpRequest, pk: int, task: int) -> HttpResponse:
    operation = selectors.operation_for(request.user, pk)
    found = selectors.task_for(request.user, operation, task)
    form = TaskStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a status."))
    else:
        try:
            taskings.set_task_status(found, user=request.user,
                                     status=form.cleaned_data["status"], request=request)
        except ValidationError as error:
            _report(request, error)
        else:
            messages.success(request, _("Task status saved."))
    return redirect("operations:tasks", pk=operation.pk)
