"""Writing an operation's taskings: a task for a participating organisation, with a due
date and a status.

A coordinator of the operation (:func:`operations.services.check_coordinator`) assigns
a task; the assigned organisation is told through its inbox (the notice carries the
operation's markings). The assigned organisation's contributors, or a coordinator, move
its status. Every write is checked, written in one transaction and audited on the
operation.
"""

from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vaka.directory.models import User
from vaka.directory.roles import Capability
from vaka.inbox.models import Notice
from vaka.inbox.services import notify
from vaka.operations.models import Operation, Task
from vaka.operations.notices import reached
from vaka.operations.services import _check_open, can_coordinate, for_change, participant_ids
from vaka.policy import audit
from vaka.policy.visibility import can_see

TITLE_LENGTH = Task._meta.get_field("title").max_length


@transaction.atomic
def create_task(operation: Operation, *, user: User, title: str, assigned_to: int,
                due: date | None = None, detail: str = "", request: Any = None) -> Task:
    """A task for a participating organisation, told through its inbox."""
    operation = for_change(operation, user)
    errors: dict[str, list[str]] = {}
    title, detail = title.strip(), detail.strip()
    if not title:
        errors["title"] = [_("Say what is to be done.")]
    elif len(title) > TITLE_LENGTH:
        errors["title"] = [_("The task is %(n)d characters long; at most %(max)d fit.")
                           % {"n": len(title), "max": TITLE_LENGTH}]
    if "\x00" in title + detail:
        errors.setdefault("detail", []).append(_("The text holds a NUL character."))
    if assigned_to not in participant_ids(operation):
        errors["assigned_to"] = [_("Assign the task to a participating organisation.")]
    if errors:
        raise ValidationError(errors)
    task = Task.objects.create(operation=operation, title=title, detail=detail,
                               assigned_to_id=assigned_to, due=due, created_by=user)
    audit.record(audit.Action.CREATE, actor=user, target=operation, request=request,
                 detail={"task": task.pk, "assigned_to": assigned_to,
                         "due": due.isoformat() if due else None})
    tell_assigned(task)
    return task


def tell_assigned(task: Task) -> None:
    """The TASK notice to the assigned organisation, when the operation reaches it."""
    operation = task.operation
    for org_id in reached(operation, [task.assigned_to_id]):
        notify(kind=Notice.Kind.TASK, owner_id=org_id, group_key=f"task:{task.pk}",
               tlp=operation.tlp, audience_id=operation.audience_id,
               target_name="operations:tasks", target_args=[operation.pk],
               params={"reference": operation.reference,
                       "code_name": operation.code_name[:100], "title": task.title[:200],
                       "due": task.due.isoformat() if task.due else ""})


def can_change_task(user: Any, task: Task, *, coordinator: bool | None = None) -> bool:
    """The assigned organisation's contributors, or a coordinator of the operation
    (``coordinator``: :func:`can_coordinate` already answered, for a page of tasks)."""
    operation = task.operation
    if coordinator if coordinator is not None else can_coordinate(user, operation):
        return True
    return bool(getattr(user, "is_authenticated", False)
                and user.organisation_id == task.assigned_to_id
                and user.can(Capability.CONTRIBUTE) and can_see(user, operation))


@transaction.atomic
def set_task_status(task: Task, *, user: User, status: str, request: Any = None) -> Task:
    """Move a task to ``status``; done records when."""
    task = Task.objects.select_for_update().select_related("operation").get(pk=task.pk)
    if not can_change_task(user, task):
        raise PermissionDenied(_("Only the assigned organisation or a coordinator changes "
                                 "this task."))
    _check_open(task.operation)
    if status not in Task.Status.values:
        raise ValidationError({"status": [_("Unknown status “%(status)s” (known: %(known)s).")
                                          % {"status": status,
                                             "known": ", ".join(Task.Status.values)}]})
    if status == task.status:
        return task
    audit.record(audit.Action.UPDATE, actor=user, target=task.operation, request=request,
                 detail={"task": task.pk, "from": task.status, "to": status})
    task.status = status
    task.completed_at = timezone.now() if status == Task.Status.DONE else None
    task.save(update_fields=["status", "completed_at"])
    return task
