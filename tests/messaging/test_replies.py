import pytest
from django.core.exceptions import ValidationError

from tests.messaging.conftest import amber, send
from vaka.messaging import services
from vaka.policy.services import Markings
from vaka.policy.visibility import can_see


def test_reply_goes_to_the_other_parties_in_the_thread(world):
    original = send(world, to=[world.centre, world.tonga_unit],
                    markings=amber(recipient_organisations=[world.centre, world.tonga_unit]))
    answer = services.reply(original, user=world.hub, body="Seen here too.")
    assert answer.thread_id == original.pk and answer.reply_to == original
    assert set(answer.recipients_rows.values_list("organisation_id", flat=True)) == {
        world.fiji_unit.pk, world.tonga_unit.pk}
    assert answer.subject == f"Re: {original.subject}"
    assert can_see(world.fiji, answer) and can_see(world.tonga, answer)
    assert (answer.tlp, answer.pap, answer.handling) == (original.tlp, original.pap,
                                                          original.handling)


def test_reply_marked_wider_than_the_message_is_refused(world):
    original = send(world, markings=amber(handling=["no-evidence"]))
    with pytest.raises(ValidationError) as caught:
        services.reply(original, user=world.hub, body="x",
                       markings=Markings(distribution="members", tlp="green"))
    assert "tlp" in caught.value.message_dict and "handling" in caught.value.message_dict


def test_reply_may_be_narrower(world):
    original = send(world)
    answer = services.reply(original, user=world.hub, body="Only you.",
                            markings=Markings(distribution="members", tlp="amber+strict",
                                              handling=["no-onward"]))
    assert answer.tlp == "amber+strict" and can_see(world.fiji, answer)
