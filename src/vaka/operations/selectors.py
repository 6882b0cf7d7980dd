"""Reads of operations, always through the visibility policy.

An operation is seen by the users of its participating organisations within its
markings' audience, and by no one else — a platform admin of another organisation gets
"Not found", and no list or count includes it. Its targets and tasks are seen exactly
where it is (``markings_path = "operation__"``).
"""

from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404

from vaka.directory.models import Organisation
from vaka.intel.models import StixObject
from vaka.operations.models import Operation, Target, Task
from vaka.policy.services import record_view
from vaka.policy.visibility import visible_to


def operations_for(user: Any) -> QuerySet[Operation]:
    return visible_to(user, Operation.objects.all()).select_related(
        "lead", "lead__country", "owner")


def operation_for(user: Any, pk: int, *, request: Any = None) -> Operation:
    """The operation, or 404 — whether it does not exist or the user may not see it.
    Reading a TLP:AMBER+STRICT or TLP:RED operation is audited."""
    operation = operations_for(user).select_related("compartment").filter(pk=pk).first()
    if operation is None:
        raise Http404
    record_view(operation, user=user, request=request)
    return operation


def participants_of(operation: Operation) -> QuerySet[Organisation]:
    """The participating organisations (for someone who may see the operation)."""
    return operation.compartment.organisations.select_related("country").order_by("name")


def targets_for(user: Any, operation: Operation) -> QuerySet[Target]:
    """The operation's targets, each with the linked intelligence ``user`` may see."""
    return visible_to(user, Target.objects.filter(operation=operation)).select_related(
        "added_by", "organisation").prefetch_related(Prefetch(
            "linked", queryset=visible_to(user, StixObject.objects.all()).order_by(
                "type", "name"), to_attr="linked_visible"))


def target_for(user: Any, operation: Operation, pk: int) -> Target:
    target = targets_for(user, operation).filter(pk=pk).first()
    if target is None:
        raise Http404
    return target


def tasks_for(user: Any, operation: Operation) -> QuerySet[Task]:
    return visible_to(user, Task.objects.filter(operation=operation)).select_related(
        "assigned_to", "created_by")


def task_for(user: Any, operation: Operation, pk: int) -> Task:
    task = tasks_for(user, operation).filter(pk=pk).first()
    if task is None:
        raise Http404
    return task


def open_tasks_for(user: Any) -> QuerySet[Task]:
    """Tasks assigned to the user's organisation still to be done, in operations the user
    may see."""
    if not getattr(user, "is_authenticated", False) or user.organisation_id is None:
        return Task.objects.none()
    return visible_to(user, Task.objects.filter(
        assigned_to_id=user.organisation_id,
        status__in=[Task.Status.OPEN, Task.Status.IN_PROGRESS],
        operation__closed_at__isnull=True)).select_related("operation").order_by("due", "pk")


def counts_of(operation: Operation) -> dict[str, int]:
    """How many targets and open tasks the overview shows (to someone who may see the
    operation): one query."""
    row = Operation.objects.filter(pk=operation.pk).aggregate(
        targets=Count("targets", distinct=True),
        open_tasks=Count("tasks", distinct=True, filter=Q(
            tasks__status__in=[Task.Status.OPEN, Task.Status.IN_PROGRESS])))
    return {key: value or 0 for key, value in row.items()}
