"""The timeline and results tabs of an operation, their forms, the lessons learned and
the after-action report button: parse the request, call ``operations.timeline`` or
``operations.after_action``, render.

Every page starts from ``selectors.operation_for`` (404 outside the operation's audience,
before anything else); the services decide who may write (403 for a participant who may
not).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from vaka.operations import after_action, figures, selectors, timeline
from vaka.operations.forms_timeline import ActionForm, LessonsForm, ResultForm
from vaka.operations.models import Action, Operation, Result
from vaka.operations.views import _page, _report


@dataclass(frozen=True)
class EntryKind:
    """What tells an action of the log from a result when one is edited or removed: the
    rest of those pages is the same."""

    name: str  # also the name of the entry's id in its URLs
    form: type[ActionForm] | type[ResultForm]
    entries: Callable[[Any, Operation], QuerySet[Action] | QuerySet[Result]]
    change: Callable[..., None]
    remove: Callable[..., None]
    template: str
    tab: str  # also the name of the tab's page
    saved: str | Promise
    removed: str | Promise


ACTION = EntryKind("action", ActionForm, figures.actions_for, timeline.change_action,
                   timeline.remove_action, "operations/action_form.html", "timeline",
                   gettext_lazy("Action saved."), gettext_lazy("Action removed."))
RESULT = EntryKind("result", ResultForm, figures.results_for, timeline.change_result,
                   timeline.remove_result, "operations/result_form.html", "results",
                   gettext_lazy("Result saved."), gettext_lazy("Result removed."))


def _entry_of(request: HttpRequest, operation: Operation, kind: EntryKind,
              pk: int) -> Action | Result:
    entry = kind.entries(request.user, operation).filter(pk=pk).first()
    if entry is None:
        raise Http404
    return entry


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
def entry_edit(request: HttpRequest, pk: int, kind: EntryKind, **ids: int) -> HttpResponse:
    """Edit one action or result of the operation (``kind`` says which)."""
    operation = selectors.operation_for(request.user, pk)
    record = _entry_of(request, operation, kind, ids[kind.name])
    if not timeline.may_change(request.user, record):
        raise PermissionDenied
    form = kind.form(request.POST or None, initial=kind.form.initial_of(record),
                     operation=operation, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            kind.change(record, user=request.user, data=form.data_input(), request=request)
        except ValidationError as error:
            form.apply_errors(error)
        else:
            messages.success(request, kind.saved)
            return redirect(f"operations:{kind.tab}", pk=operation.pk)
    return _page(request, operation, kind.template, kind.tab,
                 status=400 if form.errors else 200, form=form, entry=record)


@login_required
@require_POST
def entry_remove(request: HttpRequest, pk: int, kind: EntryKind, **ids: int) -> HttpResponse:
    """Remove one action or result of the operation (``kind`` says which)."""
    operation = selectors.operation_for(request.user, pk)
    record = _entry_of(request, operation, kind, ids[kind.name])
    try:
        kind.remove(record, user=request.user, request=request)
    except ValidationError as error:
        _report(request, error)
    else:
        messages.success(request, kind.removed)
    return redirect(f"operations:{kind.tab}", pk=operation.pk)


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
