"""How organisations answer requests for information: counted only over the RFIs the
viewer may see."""

import csv
import io
from datetime import timedelta

from django.utils import timezone

from tests.factories import UserFactory
from tests.messaging.conftest import amber
from tests.messaging.test_rfis import ask
from vaka.messaging import rfi_figures, rfis
from vaka.messaging.models import Message, MessageRecipient, RequestForInformation
from vaka.web.charts import render_svg


def _answered_after(rfi, org, hours: float) -> None:
    """Move the organisation's answer to ``hours`` after the RFI was sent."""
    MessageRecipient.objects.filter(message=rfi.message, organisation=org).update(
        answered_at=rfi.message.sent_at + timedelta(hours=hours))


def _by_name(figures):
    return {o.name: o for o in figures.organisations}


def test_received_and_sent_figures_with_median(world):
    deadline = timezone.now() + timedelta(days=1)
    first = ask(world, deadline=deadline)  # to the centre and Tonga
    rfis.answer_rfi(first, user=world.hub, body="Ours.")
    _answered_after(first, world.centre, 2)  # in time
    rfis.answer_rfi(first, user=world.tonga, body="Ours too.")
    _answered_after(first, world.tonga_unit, 40)  # after the deadline: late
    second = ask(world, to=[world.centre], deadline=deadline)
    rfis.answer_rfi(second, user=world.hub, body="Again.")
    _answered_after(second, world.centre, 5)
    third = ask(world, to=[world.centre], deadline=deadline)  # still open
    fourth = ask(world, to=[world.centre], deadline=deadline)
    rfis.close_rfi(fourth, user=world.fiji)  # closed unanswered
    assert third.status == "open"

    figures = _by_name(rfi_figures.figures_for(world.fiji))
    centre = figures["Pacific Centre"].received
    assert (centre.rfis, centre.in_time, centre.late, centre.open,
            centre.closed_unanswered) == (4, 2, 0, 1, 1)
    assert centre.median_hours == 3.5
    tonga = figures["Tonga Unit"].received
    assert (tonga.rfis, tonga.in_time, tonga.late, tonga.median_hours) == (1, 0, 1, 40.0)
    sent = figures["Fiji Unit"].sent
    # Four RFIs asking for five answers: two in time, one late, one open, one closed.
    assert (sent.rfis, sent.in_time, sent.late, sent.open, sent.closed_unanswered) == (
        4, 2, 1, 1, 1)
    assert sent.median_hours == 5.0  # of 2, 5 and 40 hours
    assert figures["Fiji Unit"].received.rfis == 0


def test_open_past_deadline_is_counted_overdue(world):
    rfi = ask(world, to=[world.centre])
    later = rfi.deadline + timedelta(hours=1)
    received = _by_name(rfi_figures.figures_for(world.fiji, now=later))[
        "Pacific Centre"].received
    assert (received.open, received.overdue, received.median_hours) == (1, 1, None)


def test_outsider_gets_no_figure_from_an_rfi_outside_its_compartment(world):
    rfi = ask(world, to=[world.centre])
    rfis.answer_rfi(rfi, user=world.hub, body="Ours.")
    # Tonga is not a party: no organisation, no count, nothing.
    assert rfi_figures.figures_for(world.tonga).organisations == []
    # Not even a platform administrator outside it.
    assert rfi_figures.figures_for(world.admin).organisations == []
    assert rfi_figures.to_csv(rfi_figures.figures_for(world.tonga), "received").count(
        "\n") == 1  # the header alone


def test_a_recipient_counts_only_its_own_answers_to_rfis_it_is_party_to(world):
    ask(world, to=[world.centre])  # Tonga outside
    shared = ask(world)  # Tonga a recipient
    rfis.answer_rfi(shared, user=world.tonga, body="Ours.")
    rfis.answer_rfi(shared, user=world.hub, body="Ours.")
    figures = _by_name(rfi_figures.figures_for(world.tonga))
    # Its own answer, as the sender's RFI: not how the centre, another recipient, answered.
    assert (figures["Fiji Unit"].sent.rfis, figures["Fiji Unit"].sent.in_time) == (1, 1)
    assert figures["Tonga Unit"].received.in_time == 1
    assert "Pacific Centre" not in figures
    sender = _by_name(rfi_figures.figures_for(world.fiji))
    assert sender["Fiji Unit"].sent.in_time == 2 and sender["Pacific Centre"].received.rfis


def test_red_rfi_counts_only_for_its_named_people(world):
    colleague = UserFactory(username="hub_colleague", organisation=world.centre)
    ask(world, to=[world.centre], markings=amber(tlp="red", recipients=[world.hub]))
    assert _by_name(rfi_figures.figures_for(world.hub))["Pacific Centre"].received.rfis == 1
    assert rfi_figures.figures_for(colleague).organisations == []


def test_period_counts_rfis_sent_in_its_months(world):
    rfi = ask(world, to=[world.centre])
    Message.objects.filter(pk=rfi.message_id).update(
        sent_at=timezone.make_aware(timezone.datetime(2026, 3, 31, 23, 0)))
    march = timezone.datetime(2026, 3, 1).date()
    april = timezone.datetime(2026, 4, 1).date()
    assert rfi_figures.figures_for(world.fiji, since=march, until=march).organisations
    assert not rfi_figures.figures_for(world.fiji, since=april).organisations
    assert not rfi_figures.figures_for(world.fiji, until=timezone.datetime(
        2026, 2, 1).date()).organisations


def test_chart_and_csv(world):
    rfi = ask(world, to=[world.centre])
    rfis.answer_rfi(rfi, user=world.hub, body="Ours.")
    _answered_after(rfi, world.centre, 1.25)
    figures = rfi_figures.figures_for(world.fiji)
    chart = rfi_figures.chart(figures, "received")
    assert chart.labels == ("Pacific Centre",)
    assert [s.values for s in chart.series] == [(1,), (0,), (0,), (0,)]
    assert "Pacific Centre" in render_svg(chart)
    rows = list(csv.reader(io.StringIO(rfi_figures.to_csv(figures, "sent"))))
    assert rows[0] == ["organisation", "Requests", "Answered in time", "Answered late",
                       "Still open", "Closed unanswered", "Overdue",
                       "Median answer time (hours)"]
    assert rows[1] == ["Fiji Unit", "1", "1", "0", "0", "0", "0", "1.2"]


def test_an_rfi_counts_once_per_recipient_not_per_row_seen(world):
    ask(world)
    assert RequestForInformation.objects.count() == 1
    figures = _by_name(rfi_figures.figures_for(world.fiji))
    assert figures["Fiji Unit"].sent.rfis == 1
    assert figures["Fiji Unit"].sent.open == 2
