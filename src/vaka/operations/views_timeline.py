"""The timeline and results tabs of an operation, their forms, the lessons learned and
the after-action report button: parse the request, call ``operations.timeline`` or
``operations.after_action``, render.

Every page starts from ``selectors.operation_for`` (404 outside the operation's audience,
before anything else); the services decide who may write (403 for a participant who may
not).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from vaka.operations import after_action, figures, selectors, timeline
from vaka.operations.forms_timeline import ActionForm, LessonsForm, ResultForm
from vaka.operations.models import Action, Operation, Result
from vaka.operations.views import _page, _report


def _action_of(request: HttpRequest, operation: Operation, pk: int) -> Action:
    action = figures.actions_for(request.user, operation).filter(pk=pk).first()
    if action is None:
        raise Http404
    return action


def _result_of(request: HttpRequest, operation: Operation, pk: int) -> Result:
    result = figures.results_for(request.user, operation).filter(pk=pk).first()
    if result is None:
        raise Http404
    return result


@login_required
def operation_timeline(request: HttpRequest, pk: int) -> HttpResponse:
    """The action log in real-time order, each action in its own local time; a POST
    records a new action."""
    operation = selectors.operation_for(request.user, pk, request=request)
    may_record = timeline.may_record(request.user, operation)
    form = ActionForm(request.POST or None, operation=operation, user=request.user)
    if request.method == "POST":
        if not may_record:
            raise PermissionDenied
        if form.is_valid():
            try:
                timeline.record_action(operation, user=request.user, data=form.data_input(),
                                       request=request)
            except ValidationError as error:
                form.apply_errors(error)
            else:
                messages.success(request, _("Action recorded."))
                return redirect("operations:timeline", pk=operation.pk)
    entries = figures.timeline_for(request.user, operation)
    return _page(request, operation, "operations/timeline.html", "timeline",
                 status=400 if form.errors else 200, entries=entries, form=form,
                 may_record=may_record and operation.closed_at is None,
                 changeable={e.action.pk for e in entries
                             if timeline.may_change(request.user, e.action)})


@login_required
def action_edit(request: HttpRequest, pk: int, action: int) -> HttpResponse:
    operation = selectors.operation_for(request.user, pk)
    entry = _action_of(request, operation, action)
    if not timeline.may_change(request.user, entry):
        raise PermissionDenied
    form = ActionForm(request.POST or None, initial=ActionForm.initial_of(entry),
                      operation=operation, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            timeline.change_action(entry, user=request.user, data=form.data_input(),
                                   request=request)
        except ValidationError as error:
            form.apply_errors(error)
        else:
            messages.success(request, _("Action saved."))
            return redirect("operations:timeline", pk=operation.pk)
    return _page(request, operation, "operations/action_form.html", "timeline",
                 status=400 if form.errors else 200, form=form, entry=entry)


@login_required
@require_POST
def action_remove(request: HttpRequest, pk: int, action: int) -> HttpResponse:
    operation = selectors.operation_for(request.user, pk)
    entry = _action_of(request, operation, action)
    try:
        timeline.remove_action(entry, user=request.user, request=request)
    except ValidationError as error:
        _report(request, error)
    else:
        messages.success(request, _("Action removed."))
    return redirect("operations:timeline", pk=operation.pk)


@login_required
def operation_results(request: HttpRequest, pk: int) -> HttpResponse:
    """The results, their totals (funds per currency) and the lessons learned; a POST
    records a new result."""
    operation = selectors.operation_for(request.user, pk, request=request)
    may_record = timeline.may_record(request.user, operation)
    form = ResultForm(request.POST or None, operation=operation, user=request.user)
    if request.method == "POST":
        if not may_record:
            raise PermissionDenied
        if form.is_valid():
            try:
                timeline.record_result(operation, user=request.user, data=form.data_input(),
                                       request=request)
            except ValidationError as error:
                form.apply_errors(error)
            else:
                messages.success(request, _("Result recorded."))
                return redirect("operations:results", pk=operation.pk)
    rows = list(figures.results_for(request.user, operation))
    return _page(request, operation, "operations/results.html", "results",
                 status=400 if form.errors else 200, results=rows, form=form,
                 totals=figures.totals_for(request.user, operation),
                 may_record=may_record and operation.closed_at is None,
                 changeable={r.pk for r in rows if timeline.may_change(request.user, r)},
                 lessons_form=LessonsForm(initial={"lessons": operation.lessons}),
                 may_report=_may_report(request, operation))


def _may_report(request: HttpRequest, operation: Operation) -> bool:
    try:
        after_action.check_may_report(request.user, operation)
    except PermissionDenied:
        return False
    return True


@login_required
def result_edit(request: HttpRequest, pk: int, result: int) -> HttpResponse:
    operation = selectors.operation_for(request.user, pk)
    entry = _result_of(request, operation, result)
    if not timeline.may_change(request.user, entry):
        raise PermissionDenied
    form = ResultForm(request.POST or None, initial=ResultForm.initial_of(entry),
                      operation=operation, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            timeline.change_result(entry, user=request.user, data=form.data_input(),
                                   request=request)
        except ValidationError as error:
            form.apply_errors(error)
        else:
            messages.success(request, _("Result saved."))
            return redirect("operations:results", pk=operation.pk)
    return _page(request, operation, "operations/result_form.html", "results",
                 status=400 if form.errors else 200, form=form, entry=entry)


@login_required
@require_POST
def result_remove(request: HttpRequest, pk: int, result: int) -> HttpResponse:
    operation = selectors.operation_for(request.user, pk)
    entry = _result_of(request, operation, result)
    try:
        timeline.remove_result(entry, user=request.user, request=request)
    except ValidationError as error:
        _report(request, error)
    else:
        messages.success(request, _("Result removed."))
    return redirect("operations:results", pk=operation.pk)


@login_required
@require_POST
def operation_lessons(request: HttpRequest, pk: int) -> HttpResponse:
    operation = selectors.operation_for(request.user, pk)
    form = LessonsForm(request.POST)
    form.is_valid()
    try:
        after_action.set_lessons(operation, user=request.user, request=request,
                                 lessons=form.cleaned_data.get("lessons", ""))
    except ValidationError as error:
        _report(request, error)
    else:
        messages.success(request, _("Lessons learned saved."))
    return redirect("operations:results", pk=operation.pk)


@login_required
@require_POST
def operation_after_action(request: HttpRequest, pk: int) -> HttpResponse:
    """Write the after-action report as a product draft and open it."""
    operation = selectors.operation_for(request.user, pk)
    try:
        product, exact = after_action.write_report(operation, user=request.user,
                                                   request=request)
    except ValidationError as error:
        _report(request, error)
        return redirect("operations:results", pk=operation.pk)
    if exact:
        messages.success(request, _("After-action report %(reference)s drafted, marked for "
                                    "the operation's audience.")
                         % {"reference": product.reference})
    else:
        messages.warning(request, _("After-action report %(reference)s drafted. Its TLP "
                                    "cannot name the operation's participants, so it stays "
                                    "in your organisation until you choose who it goes to.")
                         % {"reference": product.reference})
    return redirect(product)
