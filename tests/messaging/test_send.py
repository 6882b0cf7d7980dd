import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.messaging.conftest import amber, send
from vaka.messaging.models import Message, MessageRecipient
from vaka.policy.audit import Action
from vaka.policy.models import AuditEntry
from vaka.policy.visibility import can_see


def test_amber_message_reaches_its_recipient_and_not_others(world):
    message = send(world, attachments=[])
    assert can_see(world.hub, message)
    assert can_see(world.fiji, message)
    assert not can_see(world.tonga, message)
    assert [o.pk for o in message.recipient_organisations] == [world.centre.pk]
    assert list(MessageRecipient.objects.filter(message=message).values_list(
        "organisation_id", flat=True)) == [world.centre.pk]
    assert AuditEntry.objects.filter(action=Action.MESSAGE_SEND,
                                     target_id=str(message.pk)).exists()


def test_recipient_outside_the_tlp_audience_is_refused_naming_it(world):
    markings = amber(recipient_organisations=[world.centre])
    with pytest.raises(ValidationError) as caught:
        send(world, to=[world.centre, world.tonga_unit], markings=markings)
    (reason,) = caught.value.message_dict["to"]
    assert "Tonga Unit" in reason and "TLP:AMBER" in reason
    assert not Message.objects.exists()


def test_recipient_outside_the_distribution_is_refused_naming_it(world):
    with pytest.raises(ValidationError) as caught:
        send(world, markings=amber(distribution="organisation"))
    (reason,) = caught.value.message_dict["to"]
    assert "Pacific Centre" in reason and "distribution" in reason
    assert not Message.objects.exists()


def test_red_message_needs_a_named_person_at_each_recipient(world):
    markings = amber(tlp="red", recipients=[world.hub])
    message = send(world, to=[world.centre], markings=markings)
    assert can_see(world.hub, message) and not can_see(world.hub_viewer, message)
    with pytest.raises(ValidationError) as caught:
        send(world, to=[world.centre, world.tonga_unit],
             markings=amber(tlp="red", recipients=[world.hub]))
    assert "nobody at Tonga Unit" in caught.value.message_dict["to"][0]


def test_viewer_may_not_send(world):
    with pytest.raises(PermissionDenied):
        send(world, user=world.fiji_viewer)


def test_empty_subject_and_no_recipient_are_named(world):
    with pytest.raises(ValidationError) as caught:
        send(world, to=[world.fiji_unit], subject="  ")
    assert set(caught.value.message_dict) >= {"subject", "to"}
