"""An operation's notices go only to organisations its markings reach: a notice carries
the operation's TLP and audience but not its distribution, so a participant left out by
the distribution would otherwise read the code name of an operation it may not see."""

from vaka.inbox.selectors import notices_for
from vaka.operations import services, tasks
from vaka.operations.selectors import operations_for
from vaka.operations.services import OperationDetails
from vaka.policy.services import Markings


def _owner_only(ops) -> object:
    """TLP:GREEN to the desk alone, with Samoa's unit as a participant."""
    return services.open_operation(
        user=ops.coordinator, markings=Markings(distribution="organisation", tlp="green"),
        details=OperationDetails(code_name="Hidden Heron", objective="Watch the mules.",
                                 lead=ops.desk.pk, participants=[ops.samoa_unit.pk]))


def _told(user) -> list[str]:
    return [notice.params.get("code_name", "") for notice in notices_for(user)]


def test_a_participant_the_distribution_leaves_out_is_not_told_of_the_operation(ops):
    operation = _owner_only(ops)
    assert not operations_for(ops.samoa_analyst).filter(pk=operation.pk).exists()
    assert "Hidden Heron" not in _told(ops.samoa_analyst)


def test_nor_of_a_task_assigned_to_it(ops):
    operation = _owner_only(ops)
    tasks.create_task(operation, user=ops.coordinator, title="Freeze the wallets",
                      assigned_to=ops.samoa_unit.pk)
    assert _told(ops.samoa_analyst) == []


def test_a_participant_the_markings_reach_is_told(ops):
    services.open_operation(
        user=ops.coordinator, markings=Markings(distribution="members", tlp="green"),
        details=OperationDetails(code_name="Open Heron", objective="Watch the mules.",
                                 lead=ops.desk.pk, participants=[ops.samoa_unit.pk]))
    assert _told(ops.samoa_analyst) == ["Open Heron"]
