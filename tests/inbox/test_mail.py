"""E-mail through a real SMTP server on loopback (aiosmtpd): it says something is waiting,
links to the inbox, and carries nothing of what is waiting."""

from collections.abc import Iterator
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from tests.inbox.helpers import VALUE, hold, look_up
from tests.ports import free_port
from vaka.inbox import mail, services
from vaka.inbox.models import InboxSettings

BASE_URL = "https://vaka.example.org"


class Inbox:
    """The SMTP server's handler: keeps every message it is given."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], str]] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd names it
        self.messages.append((list(envelope.rcpt_tos), envelope.content.decode()))
        return "250 OK"


@pytest.fixture
def smtp(settings) -> Iterator[Inbox]:
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS, settings.EMAIL_TIMEOUT = False, 5
    settings.BASE_URL = BASE_URL
    yield handler
    controller.stop()


@pytest.fixture
def people(region):
    for user in (region.analyst_a, region.colleague_a, region.analyst_b):
        user.email = f"{user.username}@police.example"
        user.save()
    return region


def _choose(user, email: str) -> None:
    services.update_settings(user, email=email)


def test_an_immediate_mail_arrives_with_the_link_and_none_of_the_content(
        smtp, people, django_capture_on_commit_callbacks):
    _choose(people.analyst_a, "immediate")
    hold(people.analyst_a, VALUE)
    with django_capture_on_commit_callbacks(execute=True):
        look_up(people.analyst_b, VALUE)
    [(to, message)] = smtp.messages
    assert to == ["analyst_a@police.example"]
    assert f"{BASE_URL}/inbox/" in message
    for secret in (VALUE, "evil-portal", "Unit A", "Unit B", "analyst_b", "lookup",
                   "looked up"):
        assert secret not in message


def test_five_hundred_hits_of_one_burst_make_one_mail(
        smtp, people, django_capture_on_commit_callbacks):
    _choose(people.analyst_a, "immediate")
    hold(people.analyst_a, VALUE, "phish-kit-9.org")
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            look_up(people.analyst_b, VALUE, "phish-kit-9.org")
    assert len(smtp.messages) == 1


def test_the_next_round_mails_what_came_after_the_burst_window(
        smtp, people, django_capture_on_commit_callbacks, settings):
    _choose(people.analyst_a, "immediate")
    hold(people.analyst_a, VALUE)
    with django_capture_on_commit_callbacks(execute=True):
        look_up(people.analyst_b, VALUE)
        look_up(people.analyst_b, VALUE)  # inside the window: held back
    assert len(smtp.messages) == 1
    later = timezone.now() + timedelta(minutes=settings.EMAIL_BURST_MINUTES + 1)
    assert mail.send_due(now=later)["immediate"] == 0  # nothing came since the mail
    with django_capture_on_commit_callbacks(execute=True):
        look_up(people.analyst_b, VALUE)
    assert mail.send_due(now=later)["immediate"] == 1
    assert [to for to, _message in smtp.messages].count(["analyst_a@police.example"]) == 2


def test_colleagues_on_the_daily_digest_get_no_immediate_mail(
        smtp, people, django_capture_on_commit_callbacks):
    hold(people.analyst_a, VALUE)
    with django_capture_on_commit_callbacks(execute=True):
        look_up(people.analyst_b, VALUE)
    assert smtp.messages == []


def test_the_daily_digest_counts_unread_notices_and_goes_once_a_day(smtp, people):
    hold(people.analyst_a, VALUE, "phish-kit-9.org")
    look_up(people.analyst_b, VALUE, "phish-kit-9.org")
    assert mail.send_due()["daily"] == 2  # analyst_a and colleague_a, by default
    recipients = sorted(to[0] for to, _message in smtp.messages)
    assert recipients == ["analyst_a@police.example", "colleague_a@police.example"]
    assert "You have 2 unread notices" in smtp.messages[0][1]
    assert VALUE not in smtp.messages[0][1]
    assert mail.send_due()["daily"] == 0


def test_no_digest_for_those_who_chose_none(smtp, people):
    _choose(people.analyst_a, "none")
    hold(people.analyst_a, VALUE)
    look_up(people.analyst_b, VALUE)
    mail.send_due()
    assert [to for to, _message in smtp.messages] == [["colleague_a@police.example"]]


def test_a_digest_needs_something_new_since_the_last(smtp, people):
    hold(people.analyst_a, VALUE)
    look_up(people.analyst_b, VALUE)
    mail.send_due()
    tomorrow = timezone.now() + timedelta(days=1, minutes=1)
    assert mail.send_due(now=tomorrow)["daily"] == 0  # still unread, but nothing new


def test_a_mail_server_that_fails_never_breaks_the_lookup(
        people, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", \
        free_port(), 2
    _choose(people.analyst_a, "immediate")
    hold(people.analyst_a, VALUE)
    with django_capture_on_commit_callbacks(execute=True):
        answers = look_up(people.analyst_b, VALUE)
    assert answers[0].hits == 1
    settings_row = InboxSettings.objects.get(user=people.analyst_a)
    assert settings_row.last_mailed_at is not None  # tried once, not once per hit


def test_the_scheduler_round_sends_the_digests_that_are_due(smtp, people):
    from vaka.exchange.scheduler import run_due

    hold(people.analyst_a, VALUE)
    look_up(people.analyst_b, VALUE)
    assert run_due()["mail"] == {"immediate": 0, "daily": 2}
    assert "mail" not in run_due()  # nothing more to send this round
