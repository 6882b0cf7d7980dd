import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.messaging.conftest import amber, send, text_file
from vaka.messaging import services
from vaka.messaging.models import Message
from vaka.policy.audit import Action
from vaka.policy.models import AuditEntry
from vaka.policy.services import Markings
from vaka.policy.visibility import can_see


def _for_the_region(world, **extra):
    """AMBER to the centre and Tonga: the centre may forward it to Tonga."""
    return send(world, markings=amber(recipient_organisations=[world.centre, world.tonga_unit],
                                      handling=["no-evidence"], pap="red", **extra),
                attachments=[text_file()])


def test_forward_keeps_the_originals_markings_and_is_audited(world):
    original = _for_the_region(world)
    forwarded = services.forward(original, user=world.hub, recipients=[world.tonga_unit],
                                 note="For your case.")
    mine, theirs = Markings.of(forwarded), Markings.of(original)
    assert (forwarded.tlp, forwarded.distribution, forwarded.pap, forwarded.handling) == \
        (original.tlp, original.distribution, original.pap, original.handling)
    assert set(mine.recipient_organisations) == {*theirs.recipient_organisations,
                                                 world.fiji_unit}
    assert forwarded.forwarded_from == original and forwarded.owner == world.centre
    assert forwarded.body.startswith("For your case.") and original.body in forwarded.body
    entry = AuditEntry.objects.get(action=Action.MESSAGE_FORWARD, target_id=str(forwarded.pk))
    assert entry.detail["forwarded_from"] == original.pk
    # The same stored file, not a copy.
    assert [a.file.name for a in forwarded.attachments.all()] == \
        [a.file.name for a in original.attachments.all()]


def test_the_originals_sender_sees_where_its_message_went(world):
    original = _for_the_region(world)
    forwarded = services.forward(original, user=world.hub, recipients=[world.tonga_unit])
    assert can_see(world.fiji, forwarded)
    assert can_see(world.tonga, forwarded)
    assert world.fiji_unit.pk in set(forwarded.compartment.organisations.values_list(
        "pk", flat=True))
    # Tonga was not a party of the original: it sees the forward only.
    assert not can_see(world.tonga, original)


def test_forward_outside_the_originals_audience_is_refused_naming_it(world):
    original = send(world)  # AMBER to the centre only
    with pytest.raises(ValidationError) as caught:
        services.forward(original, user=world.hub, recipients=[world.tonga_unit])
    (reason,) = caught.value.message_dict["to"]
    assert "Tonga Unit" in reason
    assert Message.objects.count() == 1


def test_only_a_hub_that_received_it_forwards(world):
    original = send(world, to=[world.centre, world.tonga_unit],
                    markings=amber(recipient_organisations=[world.centre, world.tonga_unit]))
    with pytest.raises(PermissionDenied):
        services.forward(original, user=world.tonga, recipients=[world.centre])
    with pytest.raises(PermissionDenied):
        services.forward(original, user=world.hub_viewer, recipients=[world.tonga_unit])


def test_a_message_marked_not_to_be_passed_on_is_not_forwarded(world):
    original = send(world, markings=amber(
        recipient_organisations=[world.centre, world.tonga_unit], handling=["no-onward"]))
    with pytest.raises(ValidationError, match="passed on"):
        services.forward(original, user=world.hub, recipients=[world.tonga_unit])
