"""Opening and running an operation: who may write, the compartment, markings, notices."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.operations.conftest import open_reef
from vaka.inbox.models import Notice
from vaka.inbox.presentation import describe
from vaka.operations import selectors, services, tasks
from vaka.operations.models import Operation, Phase, Task
from vaka.operations.services import OperationDetails
from vaka.policy.audit import Action
from vaka.policy.markings import TLP, Distribution
from vaka.policy.models import AuditEntry
from vaka.policy.services import Markings
from vaka.policy.visibility import can_see


def _participants(operation) -> set[str]:
    return set(operation.compartment.organisations.values_list("name", flat=True))


def test_an_operation_is_numbered_and_holds_its_owner_and_lead(ops) -> None:
    operation = open_reef(ops)
    assert operation.reference.startswith("OP-") and operation.reference.endswith("-0001")
    assert _participants(operation) == {"Desk", "Fiji Unit", "Samoa Unit"}
    assert open_reef(ops, code_name="Second").reference.endswith("-0002")
    assert sorted(operation.countries.values_list("code", flat=True)) == ["FJ", "WS"]


def test_default_markings_are_amber_to_the_participants(ops) -> None:
    operation = open_reef(ops)
    assert (operation.tlp, operation.distribution) == (TLP.AMBER, Distribution.MEMBERS)
    assert set(operation.recipient_organisations.values_list("name", flat=True)) == {
        "Desk", "Fiji Unit", "Samoa Unit"}


def test_participants_see_it_and_outsiders_do_not_even_an_admin(ops) -> None:
    operation = open_reef(ops)
    for user in (ops.coordinator, ops.fiji_analyst, ops.samoa_viewer):
        assert can_see(user, operation)
        assert list(selectors.operations_for(user)) == [operation]
    assert not can_see(ops.ph_admin, operation)
    assert not selectors.operations_for(ops.ph_admin).exists()


def test_red_reaches_only_its_named_people_among_the_participants(ops) -> None:
    operation = services.open_operation(
        user=ops.coordinator, markings=Markings(tlp="red", distribution="members",
                                 recipients=[ops.fiji_analyst]),
        details=OperationDetails(code_name="Quiet", objective="x", lead=ops.fiji_unit.pk))
    assert can_see(ops.fiji_analyst, operation) and can_see(ops.coordinator, operation)
    assert not can_see(ops.fiji_coordinator, operation)


def test_only_a_coordinator_opens_one(ops) -> None:
    with pytest.raises(PermissionDenied):
        services.open_operation(user=ops.fiji_analyst, details=OperationDetails(
            code_name="X", objective="Y", lead=ops.fiji_unit.pk))
    assert not Operation.objects.exists()


def test_bad_details_are_named_by_field_and_nothing_is_stored(ops) -> None:
    with pytest.raises(ValidationError) as caught:
        services.open_operation(user=ops.coordinator, details=OperationDetails(
            code_name=" ", objective="", lead=99999, crime_types=["fraudz"],
            countries=["XX"], participants=[88888], phase="win"))
    errors = caught.value.message_dict
    assert set(errors) == {"code_name", "objective", "lead", "crime_types", "countries",
                           "participants", "phase"}
    assert "XX" in errors["countries"][0] and "88888" in errors["participants"][0]
    assert not Operation.objects.exists()


def test_participants_outside_the_distribution_are_refused(ops) -> None:
    with pytest.raises(ValidationError) as caught:
        services.open_operation(
            user=ops.coordinator, markings=Markings(distribution="organisation"),
            details=OperationDetails(code_name="X", objective="Y", lead=ops.fiji_unit.pk))
    assert "Fiji Unit is outside the chosen distribution." in \
        caught.value.message_dict["recipient_organisations"]


def test_who_may_write_coordinators_of_participants_who_see_it(ops) -> None:
    operation = open_reef(ops)
    assert services.can_coordinate(ops.fiji_coordinator, operation)
    assert not services.can_coordinate(ops.fiji_analyst, operation)  # role
    assert not services.can_coordinate(ops.ph_admin, operation)  # roles never widen
    assert not services.can_coordinate(ops.ph_coordinator, operation)
    for user in (ops.fiji_analyst, ops.ph_admin):
        with pytest.raises(PermissionDenied):
            services.set_phase(operation, user=user, phase=Phase.ACT)
    services.set_phase(operation, user=ops.fiji_coordinator, phase=Phase.ACT)
    operation.refresh_from_db()
    assert operation.phase == Phase.ACT
    entry = AuditEntry.objects.filter(action=Action.OPERATION_PHASE).get()
    assert entry.detail == {"from": "collect", "to": "act"}


def test_new_participants_are_told_and_see_it(ops) -> None:
    operation = open_reef(ops)
    assert set(Notice.objects.filter(kind=Notice.Kind.OPERATION).values_list(
        "owner__name", flat=True)) == {"Fiji Unit", "Samoa Unit"}  # not the desk itself
    services.change_participants(operation, user=ops.coordinator, participants=[
        ops.desk.pk, ops.fiji_unit.pk, ops.samoa_unit.pk, ops.ph_unit.pk])
    operation.refresh_from_db()
    assert can_see(ops.ph_coordinator, operation)
    notice = Notice.objects.get(kind=Notice.Kind.OPERATION, owner=ops.ph_unit)
    assert notice.target_args == [operation.pk]
    shown = describe([notice])[0]
    assert shown.text == f"Your organisation takes part in operation {operation.reference} " \
                         "Reef Shark."
    entry = AuditEntry.objects.get(action=Action.PARTICIPANTS_CHANGE)
    assert entry.detail["added"] == [ops.ph_unit.pk] and entry.detail["removed"] == []


def test_removing_the_lead_or_the_owner_is_refused(ops) -> None:
    operation = open_reef(ops)
    with pytest.raises(ValidationError) as caught:
        services.change_participants(operation, user=ops.coordinator,
                                     participants=[ops.samoa_unit.pk])
    messages = caught.value.message_dict["participants"]
    assert "Desk opened the operation and stays in it." in messages
    assert any(m.startswith("Fiji Unit leads the operation") for m in messages)
    assert _participants(operation) == {"Desk", "Fiji Unit", "Samoa Unit"}


def test_a_removed_participant_no_longer_sees_it(ops) -> None:
    operation = open_reef(ops)
    services.change_participants(operation, user=ops.coordinator,
                                 participants=[ops.desk.pk, ops.fiji_unit.pk])
    assert not can_see(ops.samoa_analyst, operation)
    operation.refresh_from_db()
    assert "Samoa Unit" not in set(operation.recipient_organisations.values_list(
        "name", flat=True))


def test_edit_keeps_the_lead_among_the_participants(ops) -> None:
    operation = open_reef(ops)
    details = OperationDetails(code_name="Reef Shark II", objective="New", lead=ops.ph_unit.pk)
    with pytest.raises(ValidationError) as caught:
        services.update_operation(operation, user=ops.coordinator, details=details,
                                  markings=Markings.of(operation))
    assert "add it to the participants first" in caught.value.message_dict["lead"][0]
    details.lead = ops.samoa_unit.pk
    services.update_operation(operation, user=ops.coordinator, details=details,
                              markings=Markings.of(operation))
    operation.refresh_from_db()
    assert (operation.code_name, operation.lead_id) == ("Reef Shark II", ops.samoa_unit.pk)


def test_a_closed_operation_no_longer_changes(ops) -> None:
    operation = open_reef(ops)
    services.close_operation(operation, user=ops.coordinator, lessons="Start earlier.")
    operation.refresh_from_db()
    assert operation.closed_at and operation.lessons == "Start earlier."
    assert AuditEntry.objects.filter(action=Action.OPERATION_CLOSE).exists()
    with pytest.raises(ValidationError, match="was closed on"):
        services.set_phase(operation, user=ops.coordinator, phase=Phase.EVALUATE)


def test_a_task_goes_to_a_participant_which_is_told(ops) -> None:
    operation = open_reef(ops)
    with pytest.raises(ValidationError) as caught:
        tasks.create_task(operation, user=ops.coordinator, title="Search",
                             assigned_to=ops.ph_unit.pk)
    assert "participating organisation" in caught.value.message_dict["assigned_to"][0]
    task = tasks.create_task(operation, user=ops.coordinator, title="Preserve the chats",
                                assigned_to=ops.samoa_unit.pk,
                                due=date(2026, 12, 24))
    notice = Notice.objects.get(kind=Notice.Kind.TASK)
    assert notice.owner_id == ops.samoa_unit.pk
    assert describe([notice])[0].text == (
        f"Your organisation has a task in operation {operation.reference} Reef Shark, due "
        "2026-12-24: Preserve the chats")
    assert "&lt;b&gt;" in describe([_with_title(notice, "<b>x</b>")])[0].html
    assert task.status == Task.Status.OPEN


def _with_title(notice: Notice, title: str) -> Notice:
    notice.params = {**notice.params, "title": title}
    return notice


def test_the_assigned_organisation_or_a_coordinator_changes_a_task(ops) -> None:
    operation = open_reef(ops)
    task = tasks.create_task(operation, user=ops.coordinator, title="Search",
                                assigned_to=ops.samoa_unit.pk)
    with pytest.raises(PermissionDenied):
        tasks.set_task_status(task, user=ops.fiji_analyst, status=Task.Status.DONE)
    with pytest.raises(PermissionDenied):
        tasks.set_task_status(task, user=ops.samoa_viewer, status=Task.Status.DONE)
    tasks.set_task_status(task, user=ops.samoa_analyst, status=Task.Status.DONE)
    task.refresh_from_db()
    assert task.status == Task.Status.DONE and task.completed_at is not None
    tasks.set_task_status(task, user=ops.fiji_coordinator, status=Task.Status.IN_PROGRESS)
    task.refresh_from_db()
    assert task.status == Task.Status.IN_PROGRESS and task.completed_at is None
