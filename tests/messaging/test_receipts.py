from tests.messaging.conftest import amber, send
from vaka.messaging import selectors, services
from vaka.messaging.models import MessageRecipient
from vaka.policy.audit import Action
from vaka.policy.models import AuditEntry


def test_opening_marks_the_recipient_organisation_read_once_and_audits_it(world):
    message = send(world)
    assert services.mark_read(message, user=world.hub_viewer)
    assert not services.mark_read(message, user=world.hub)  # the first reader stays
    row = MessageRecipient.objects.get(message=message)
    assert row.read_by == world.hub_viewer and row.read_at is not None
    assert AuditEntry.objects.filter(action=Action.MESSAGE_READ,
                                     target_id=str(message.pk)).count() == 1


def test_the_sender_opening_its_message_marks_nothing(world):
    message = send(world)
    assert not services.mark_read(message, user=world.fiji)
    assert MessageRecipient.objects.get(message=message).read_at is None


def test_sender_sees_each_recipients_receipt_a_recipient_its_own(world):
    message = send(world, to=[world.centre, world.tonga_unit],
                   markings=amber(recipient_organisations=[world.centre, world.tonga_unit]))
    services.mark_read(message, user=world.tonga)
    receipts = {row.organisation_id: row.read_at for row in
                selectors.receipts_for(world.fiji, message)}
    assert receipts[world.tonga_unit.pk] is not None and receipts[world.centre.pk] is None
    assert [row.organisation_id for row in selectors.receipts_for(world.hub, message)] == \
        [world.centre.pk]


def test_unread_until_someone_of_the_organisation_opens_it(world):
    message = send(world)
    assert selectors.messages_for(world.hub).get(pk=message.pk).unread
    services.mark_read(message, user=world.hub)
    assert not selectors.messages_for(world.hub_viewer).get(pk=message.pk).unread
    assert not selectors.messages_for(world.fiji).get(pk=message.pk).unread
