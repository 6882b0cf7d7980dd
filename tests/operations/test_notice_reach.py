"""An operation reaches every participant: one its markings leave out is refused when it
is opened, edited or joined. And its notices go only to organisations its markings reach
(a notice carries the operation's TLP and audience, not its distribution), should a
participant fall outside later — a community it was reached through dropping it, say."""

import pytest
from django.core.exceptions import ValidationError

from vaka.directory.models import Community
from vaka.inbox.selectors import notices_for
from vaka.operations import services, tasks
from vaka.operations.models import Operation
from vaka.operations.services import OperationDetails
from vaka.policy.models import AuditEntry
from vaka.policy.services import Markings, audience_for


def _open(ops, markings: Markings, name: str = "Hidden Heron") -> Operation:
    return services.open_operation(
        user=ops.coordinator, markings=markings,
        details=OperationDetails(code_name=name, objective="Watch the mules.",
                                 lead=ops.desk.pk, participants=[ops.samoa_unit.pk]))


def _told(user) -> list[str]:
    return [notice.params.get("code_name", "") for notice in notices_for(user)]


def test_a_participant_the_distribution_leaves_out_is_refused_and_nothing_is_kept(ops):
    entries = AuditEntry.objects.count()
    with pytest.raises(ValidationError) as refused:
        _open(ops, Markings(distribution="organisation", tlp="green"))
    assert refused.value.message_dict["participants"] == [
        "Samoa Unit is outside its distribution (Owner organisation only)."]
    assert not Operation.objects.exists()
    assert AuditEntry.objects.count() == entries
    assert _told(ops.samoa_analyst) == []


def test_a_red_operation_needs_a_named_person_at_each_participant(ops):
    red = Markings(distribution="members", tlp="red", recipients=[ops.fiji_coordinator])
    with pytest.raises(ValidationError) as refused:
        _open(ops, red)
    assert refused.value.message_dict["participants"] == [
        "TLP:RED: nobody at Samoa Unit is a named recipient."]


def test_a_participant_added_outside_the_markings_is_refused(ops):
    pacific = Community.objects.create(name="Pacific desk")
    pacific.members.set([ops.desk, ops.samoa_unit])
    operation = _open(ops, Markings(distribution="communities", tlp="green",
                                    communities=[pacific]))
    with pytest.raises(ValidationError) as refused:
        services.change_participants(operation, user=ops.coordinator,
                                     participants=[ops.desk.pk, ops.samoa_unit.pk,
                                                   ops.ph_unit.pk])
    assert refused.value.message_dict["participants"] == [
        "Philippines Unit is in none of the communities it goes to (Pacific desk)."]
    assert services.participant_ids(operation) == {ops.desk.pk, ops.samoa_unit.pk}


def test_no_notice_of_a_task_to_a_participant_fallen_outside(ops):
    operation = _open(ops, Markings(distribution="members", tlp="green"))
    # As a directory change would: the markings no longer reach Samoa's unit.
    Operation.objects.filter(pk=operation.pk).update(
        distribution="organisation", audience=audience_for(Markings()))
    operation.refresh_from_db()
    before = _told(ops.samoa_analyst)
    tasks.create_task(operation, user=ops.coordinator, title="Freeze the wallets",
                      assigned_to=ops.samoa_unit.pk)
    assert _told(ops.samoa_analyst) == before


def test_a_participant_the_markings_reach_is_told(ops):
    _open(ops, Markings(distribution="members", tlp="green"), name="Open Heron")
    assert _told(ops.samoa_analyst) == ["Open Heron"]
