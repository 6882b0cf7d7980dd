"""Visibility channel of compartmented records, for test_visibility_property.

Called as ``channel(user, visible, notes)`` like the others. Each note gets an operation
and a secure message carrying the note's markings (owner, author, distribution, TLP,
audience), written straight to the database, each closed in a compartment: the owner and
the organisations the note's position picks (``_circle``: a rule of its own, unrelated to
the markings). Each has its parts — a target, a task, an action and a result; a recipient
row, an attachment and a request for information. The reference: a user sees an
operation or a message, and every part of it, exactly when they may see the note AND
their organisation is in its circle; platform admins get no more.
"""

from django.utils import timezone

from vaka.directory.models import Country, Organisation
from vaka.messaging.models import (
    Message,
    MessageAttachment,
    MessageRecipient,
    RequestForInformation,
)
from vaka.operations.models import Action, Operation, Result, Target, Task
from vaka.policy.models import Compartment
from vaka.policy.visibility import can_see, visible_to

OPERATION_PARTS = (Target, Task, Action, Result)
MESSAGE_PARTS = (MessageRecipient, MessageAttachment, RequestForInformation)


def _circle(i: int, note, orgs: list[Organisation]) -> set[int]:
    """The owner, and the organisations whose place in the list and the note's position
    pick them: about two in three."""
    return {note.owner_id} | {org.pk for j, org in enumerate(orgs)
                              if (7 * i + 3 * j + note.pk) % 3 != 0}


def _compartment(kind: str, members: set[int]) -> Compartment:
    compartment = Compartment.objects.create(kind=kind)
    compartment.organisations.set(members)
    return compartment


def build(notes: list) -> tuple[list[Operation], list[Message], list[set[int]]]:
    orgs = list(Organisation.objects.filter(name__startswith="org").order_by("pk"))
    country, _ = Country.objects.get_or_create(code="WS", defaults={"alpha3": "WSM",
                                                                    "name": "Samoa"})
    operations, messages, circles = [], [], []
    for i, note in enumerate(notes):
        circle = _circle(i, note, orgs)
        marks = {"owner": note.owner, "created_by": note.created_by,
                 "distribution": note.distribution, "tlp": note.tlp,
                 "audience": note.audience}
        operation = Operation.objects.create(
            compartment=_compartment("operation", circle), reference=f"OP-2026-{9100 + i}",
            code_name=f"secret-operation-{i}-x", objective=f"secret-objective-{i}-x",
            lead=note.owner, **marks)
        Target.objects.create(operation=operation, kind="domain",
                              value=f"secret-target-{i}-x.net", shown=f"secret-target-{i}-x.net",
                              value_hash=9000 + i, organisation=note.owner)
        Task.objects.create(operation=operation, title=f"secret-task-{i}-x",
                            assigned_to=note.owner)
        action = Action.objects.create(operation=operation, kind="search", at=timezone.now(),
                                       country=country, organisation=note.owner,
                                       summary=f"secret-action-{i}-x")
        Result.objects.create(operation=operation, kind="arrests", quantity=1 + i,
                              country=country, organisation=note.owner, action=action)
        message = Message.objects.create(
            compartment=_compartment("message", circle), subject=f"secret-subject-{i}-x",
            body=f"secret-message-{i}-x", **marks)
        for org_id in circle - {note.owner_id}:
            MessageRecipient.objects.create(message=message, organisation_id=org_id)
        MessageAttachment.objects.create(message=message, file="messages/none.bin",
                                         name=f"secret-file-{i}-x.txt",
                                         content_type="text/plain", size=1, sha256="0" * 64)
        RequestForInformation.objects.create(message=message, case_reference=f"case-{i}",
                                             deadline=timezone.now())
        operations.append(operation)
        messages.append(message)
        circles.append(circle)
    return operations, messages, circles


def built(notes: list) -> tuple[list[Operation], list[Message], list[set[int]]]:
    """What ``build(notes)`` made for this world, built on the first call: the channels
    that read compartmented records (``channels_operations``, ``channels_messaging``)
    share them, whichever runs first."""
    references = [f"OP-2026-{9100 + i}" for i in range(len(notes))]
    found = {o.reference: o for o in Operation.objects.filter(reference__in=references)}
    if not found:
        return build(notes)
    operations = [found[reference] for reference in references]
    subjects = {m.subject: m for m in Message.objects.filter(
        subject__in=[f"secret-subject-{i}-x" for i in range(len(notes))])}
    messages = [subjects[f"secret-subject-{i}-x"] for i in range(len(notes))]
    circles = [set(o.compartment.organisations.values_list("pk", flat=True))
               for o in operations]
    return operations, messages, circles


def expected_indexes(user, visible: set[int], notes: list, circles: list[set[int]]) -> set[int]:
    org = getattr(user, "organisation_id", None) if user is not None else None
    return {i for i, note in enumerate(notes) if note.pk in visible and org in circles[i]}


def check_compartments(user, visible: set[int], notes: list) -> None:
    from django.contrib.auth.models import AnonymousUser

    operations, messages, circles = built(notes)
    shown = expected_indexes(user, visible, notes, circles)
    reader = user or AnonymousUser()
    for records, parts in ((operations, OPERATION_PARTS), (messages, MESSAGE_PARTS)):
        model = type(records[0])
        expected = {records[i].pk for i in shown}
        ours = visible_to(reader, model.objects.filter(pk__in=[r.pk for r in records]))
        assert set(ours.values_list("pk", flat=True)) == expected
        for record in records:
            assert can_see(reader, record) == (record.pk in expected), record
        parent = "operation_id" if model is Operation else "message_id"
        for part in parts:
            rows = part.objects.filter(**{f"{parent}__in": [r.pk for r in records]})
            seen = set(visible_to(reader, rows).values_list(parent, flat=True))
            assert seen == expected & set(rows.values_list(parent, flat=True)), part


CHANNELS = [check_compartments]
