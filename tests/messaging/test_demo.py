import pytest

from vaka.directory.models import User
from vaka.messaging import demo as demo_messages
from vaka.messaging import selectors
from vaka.messaging.models import Message
from vaka.policy.visibility import can_see


@pytest.mark.usefixtures("demo_loaded")
class TestTheDemoMessages:
    def test_the_demo_thread_is_sent_read_and_forwarded_to_tonga(self, db):
        original = Message.objects.get(subject=demo_messages.SUBJECT, forwarded_from=None)
        forwarded = Message.objects.get(forwarded_from=original)
        assert forwarded.owner.kind == "coordination_centre"
        assert forwarded.recipients_rows.get().organisation.country_id == "TO"
        assert (forwarded.tlp, forwarded.handling) == (original.tlp, original.handling)
        assert original.attachments.get().name == "mule-wallets.csv"
        assert original.recipients_rows.get().read_at is not None
        fiji = User.objects.get(username="fj.analyst")
        assert [m.pk for m in selectors.thread_for(fiji, original)] == [original.pk, forwarded.pk]
        assert not can_see(User.objects.get(username="ph.analyst"), original)
        assert demo_messages.load() == 0


    def test_the_demo_has_an_answered_and_an_open_request_for_information(self, db):
        from vaka.messaging.models import RequestForInformation

        asked = RequestForInformation.objects.get(message__subject=demo_messages.ASKED)
        hosting = RequestForInformation.objects.get(message__subject=demo_messages.HOSTING)
        assert (asked.status, hosting.status) == ("answered", "open")
        assert asked.message.recipients_rows.get().answered_at is not None
        fiji = User.objects.get(username="fj.analyst")
        assert can_see(fiji, asked.message) and not can_see(fiji, hosting.message)
