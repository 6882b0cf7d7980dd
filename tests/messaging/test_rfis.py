"""Requests for information: sending, answering, closing, the overdue sweep and its
escalation, and their notices."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from tests.factories import UserFactory
from tests.messaging.conftest import amber
from vaka.directory.roles import Role
from vaka.inbox.models import Notice
from vaka.inbox.presentation import describe
from vaka.inbox.selectors import notices_for
from vaka.messaging import rfis
from vaka.messaging.models import Message, MessageRecipient, RequestForInformation
from vaka.policy.audit import Action
from vaka.policy.models import AuditEntry

Status = RequestForInformation.Status


def ask(world, *, to=None, deadline=None, user=None, markings=None, **fields):
    """An RFI from the Fiji unit to the centre and Tonga, due in two days."""
    return rfis.send_rfi(
        user=user or world.fiji, recipients=to or [world.centre, world.tonga_unit],
        subject=fields.pop("subject", "Who holds wallet bc1q…?"),
        body=fields.pop("body", "Tell us who registered the wallet."),
        details=rfis.RfiDetails(
            deadline=deadline or timezone.now() + timedelta(days=2),
            case_reference=fields.pop("case_reference", "FJ-2026-0042"),
            reason=fields.pop("reason", "Romance scam, 14 victims.")),
        markings=markings or amber(), **fields)


def notices(org, kind):
    return list(Notice.objects.filter(owner=org, kind=kind))


# --- Sending ------------------------------------------------------------------------------

def test_rfi_is_a_message_with_its_row_and_one_rfi_notice_per_recipient(
        world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        rfi = ask(world)
    assert rfi.status == Status.OPEN
    assert rfi.message.body == "Tell us who registered the wallet."
    assert (rfi.case_reference, rfi.reason) == ("FJ-2026-0042", "Romance scam, 14 victims.")
    for org in (world.centre, world.tonga_unit):
        assert len(notices(org, Notice.Kind.RFI)) == 1
        assert notices(org, Notice.Kind.MESSAGE) == []  # one notice for one RFI
    (shown,) = describe(list(notices_for(world.tonga)))
    assert shown.text.startswith("Fiji Unit asks your organisation for information by ")
    assert shown.text.endswith(": Who holds wallet bc1q…?")
    assert AuditEntry.objects.filter(action=Action.CREATE, target_id=str(rfi.pk),
                                     target_type="messaging.requestforinformation").exists()


def test_deadline_in_the_past_is_refused_and_nothing_is_kept(world):
    with pytest.raises(ValidationError) as caught:
        ask(world, deadline=timezone.now() - timedelta(minutes=1))
    (reason,) = caught.value.message_dict["deadline"]
    assert "already passed" in reason and "future" in reason
    assert not Message.objects.exists() and not RequestForInformation.objects.exists()


def test_deadline_and_message_problems_are_told_together(world):
    with pytest.raises(ValidationError) as caught:
        ask(world, deadline=timezone.now() - timedelta(days=1), subject="")
    assert set(caught.value.message_dict) >= {"deadline", "subject"}


def test_missing_deadline_is_refused(world):
    with pytest.raises(ValidationError) as caught:
        rfis.send_rfi(user=world.fiji, recipients=[world.centre], subject="s", body="b",
                      details=rfis.RfiDetails(deadline=None), markings=amber())
    assert "deadline" in caught.value.message_dict


def test_only_the_parties_see_the_rfi(world):
    rfi = ask(world, to=[world.centre])
    assert RequestForInformation.objects.visible_to(world.hub).filter(pk=rfi.pk).exists()
    assert not RequestForInformation.objects.visible_to(world.tonga).exists()
    assert not RequestForInformation.objects.visible_to(world.admin).exists()


# --- Answering ----------------------------------------------------------------------------

def test_answer_is_a_reply_to_the_sender_marked_as_the_organisations_answer(
        world, django_capture_on_commit_callbacks):
    rfi = ask(world)
    with django_capture_on_commit_callbacks(execute=True):
        row = rfis.answer_rfi(rfi, user=world.hub, body="Registered by J. Doe.")
    assert row.organisation_id == world.centre.pk and row.answered_at is not None
    reply = row.answer
    assert (reply.reply_to_id, reply.thread_id) == (rfi.message_id, rfi.message_id)
    assert list(reply.recipients_rows.values_list("organisation_id", flat=True)) == [
        world.fiji_unit.pk]
    assert not Message.objects.visible_to(world.tonga).filter(pk=reply.pk).exists()
    rfi.refresh_from_db()
    assert rfi.status == Status.OPEN  # Tonga has not answered yet
    assert len(notices(world.fiji_unit, Notice.Kind.RFI_ANSWERED)) == 1
    assert notices(world.fiji_unit, Notice.Kind.MESSAGE) == []
    (shown,) = describe(list(notices_for(world.fiji)))
    assert shown.text == ("Pacific Centre answered your request for information: "
                          "Who holds wallet bc1q…?")
    assert AuditEntry.objects.filter(action=Action.RFI_ANSWER, target_id=str(rfi.pk)).exists()


def test_last_answer_makes_it_answered(world):
    rfi = ask(world)
    rfis.answer_rfi(rfi, user=world.hub, body="Ours.")
    rfis.answer_rfi(rfi, user=world.tonga, body="Nothing here.")
    rfi.refresh_from_db()
    assert rfi.status == Status.ANSWERED


def test_second_answer_of_one_organisation_is_refused(world):
    rfi = ask(world)
    rfis.answer_rfi(rfi, user=world.hub, body="Ours.")
    with pytest.raises(ValidationError, match="already answered"):
        rfis.answer_rfi(rfi, user=world.hub, body="Again.")
    assert Message.objects.count() == 2


def test_answer_after_closing_is_refused_with_the_reason(world):
    rfi = ask(world)
    rfis.close_rfi(rfi, user=world.fiji)
    with pytest.raises(ValidationError) as caught:
        rfis.answer_rfi(rfi, user=world.hub, body="Late news.")
    assert "closed" in caught.value.messages[0]
    assert MessageRecipient.objects.filter(answered_at__isnull=False).count() == 0
    assert Message.objects.count() == 1


def test_organisation_not_asked_may_not_answer(world):
    rfi = ask(world, to=[world.centre])
    with pytest.raises(ValidationError, match="not asked"):
        rfis.answer_rfi(rfi, user=world.tonga, body="Me too.")
    with pytest.raises(ValidationError, match="not asked"):
        rfis.answer_rfi(rfi, user=world.fiji, body="Answering myself.")


def test_viewer_may_not_answer(world):
    rfi = ask(world, to=[world.centre])
    with pytest.raises(PermissionDenied):
        rfis.answer_rfi(rfi, user=world.hub_viewer, body="I only read.")


def test_empty_answer_is_refused(world):
    rfi = ask(world, to=[world.centre])
    with pytest.raises(ValidationError) as caught:
        rfis.answer_rfi(rfi, user=world.hub, body="  ")
    assert "body" in caught.value.message_dict


def test_late_answer_counts_and_says_it_was_late(world, django_capture_on_commit_callbacks):
    rfi = ask(world, to=[world.centre])
    RequestForInformation.objects.filter(pk=rfi.pk).update(
        deadline=timezone.now() - timedelta(hours=1))
    rfis.mark_overdue()
    rfi.refresh_from_db()
    assert rfi.status == Status.OVERDUE
    with django_capture_on_commit_callbacks(execute=True):
        rfis.answer_rfi(rfi, user=world.hub, body="Sorry, late.")
    rfi.refresh_from_db()
    assert rfi.status == Status.ANSWERED
    (shown,) = describe(notices(world.fiji_unit, Notice.Kind.RFI_ANSWERED))
    assert "after its deadline" in shown.text


# --- Closing ------------------------------------------------------------------------------

def test_sender_closes_with_answers_missing(world):
    rfi = ask(world)
    rfis.close_rfi(rfi, user=world.fiji, comment="Solved otherwise.")
    rfi.refresh_from_db()
    assert rfi.status == Status.CLOSED and rfi.closed_at is not None
    entry = AuditEntry.objects.get(action=Action.RFI_CLOSE, target_id=str(rfi.pk))
    assert entry.detail["unanswered"] == sorted([world.centre.pk, world.tonga_unit.pk])
    with pytest.raises(ValidationError, match="already closed"):
        rfis.close_rfi(rfi, user=world.fiji)


def test_only_the_sender_closes(world):
    rfi = ask(world)
    with pytest.raises(PermissionDenied):
        rfis.close_rfi(rfi, user=world.hub)
    with pytest.raises(PermissionDenied):
        rfis.close_rfi(rfi, user=world.fiji_viewer)


# --- The overdue sweep --------------------------------------------------------------------

def test_sweep_marks_overdue_and_escalates_once_to_both_sides(
        world, django_capture_on_commit_callbacks):
    rfi = ask(world)
    rfis.answer_rfi(rfi, user=world.hub, body="Ours.")
    before = rfi.deadline - timedelta(minutes=1)
    assert rfis.mark_overdue(before) == {"overdue": 0, "escalated": 0}
    after = rfi.deadline + timedelta(minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert rfis.mark_overdue(after) == {"overdue": 1, "escalated": 1}
        assert rfis.mark_overdue(after + timedelta(days=1)) == {"overdue": 0, "escalated": 0}
    rfi.refresh_from_db()
    assert rfi.status == Status.OVERDUE and rfi.escalated_at == after
    late = MessageRecipient.objects.get(message=rfi.message, organisation=world.tonga_unit)
    answered = MessageRecipient.objects.get(message=rfi.message, organisation=world.centre)
    assert late.escalated_at == after and answered.escalated_at is None
    assert len(notices(world.fiji_unit, Notice.Kind.RFI_OVERDUE)) == 1
    assert len(notices(world.tonga_unit, Notice.Kind.RFI_OVERDUE)) == 1
    assert notices(world.centre, Notice.Kind.RFI_OVERDUE) == []  # it answered in time
    (sender_side,) = describe(notices(world.fiji_unit, Notice.Kind.RFI_OVERDUE))
    assert "without an answer from Tonga Unit" in sender_side.text
    assert "admins" in sender_side.text
    (late_side,) = describe(notices(world.tonga_unit, Notice.Kind.RFI_OVERDUE))
    assert "from Fiji Unit by its deadline" in late_side.text
    entry = AuditEntry.objects.get(action=Action.RFI_ESCALATE)
    assert entry.target_id == str(rfi.pk) and entry.actor_name == "scheduler"
    assert sorted(entry.detail["organisations"]) == sorted([world.fiji_unit.pk,
                                                            world.tonga_unit.pk])


def test_overdue_notice_reaches_the_admins_in_the_messages_audience(world):
    fiji_admin = UserFactory(username="fiji_admin", organisation=world.fiji_unit,
                             role=Role.ORG_ADMIN)
    rfi = ask(world, to=[world.centre])
    rfis.mark_overdue(rfi.deadline + timedelta(seconds=1))
    assert [n.kind for n in notices_for(fiji_admin)] == [Notice.Kind.RFI_OVERDUE]


def test_overdue_notice_is_for_the_admins_alone_when_one_may_read_it(world):
    fiji_admin = UserFactory(username="fiji_admin", organisation=world.fiji_unit,
                             role=Role.ORG_ADMIN)
    rfi = ask(world, to=[world.centre])
    rfis.mark_overdue(rfi.deadline + timedelta(seconds=1))
    assert [n.kind for n in notices_for(fiji_admin)] == [Notice.Kind.RFI_OVERDUE]
    # The sender's colleagues and the hub's analysts get the RFI, not the escalation.
    assert Notice.Kind.RFI_OVERDUE not in {n.kind for n in notices_for(world.fiji)}
    # The late side has no admin: its notice goes to the message's readers there.
    assert Notice.Kind.RFI_OVERDUE in {n.kind for n in notices_for(world.hub)}


def test_two_schedulers_never_both_escalate(world):
    """The claim is an update that only one round wins: the second round, reading the RFI
    as still open, finds it taken."""
    rfi = ask(world, to=[world.centre])
    after = rfi.deadline + timedelta(minutes=1)
    stale = list(RequestForInformation.objects.filter(pk=rfi.pk))
    assert rfis.mark_overdue(after) == {"overdue": 1, "escalated": 1}
    # A second scheduler that read the RFI before the first claimed it.
    claimed = RequestForInformation.objects.filter(
        pk=stale[0].pk, status=Status.OPEN, escalated_at__isnull=True).update(
        status=Status.OVERDUE, escalated_at=after)
    assert claimed == 0
    assert rfis.mark_overdue(after) == {"overdue": 0, "escalated": 0}
    assert AuditEntry.objects.filter(action=Action.RFI_ESCALATE).count() == 1


def test_sweep_leaves_answered_and_closed_rfis_alone(world):
    answered = ask(world, to=[world.centre])
    rfis.answer_rfi(answered, user=world.hub, body="Done.")
    closed = ask(world, to=[world.centre])
    rfis.close_rfi(closed, user=world.fiji)
    later = timezone.now() + timedelta(days=5)
    assert rfis.mark_overdue(later) == {"overdue": 0, "escalated": 0}


def test_scheduler_round_runs_the_sweep(world, monkeypatch):
    from vaka.exchange import scheduler

    rfi = ask(world, to=[world.centre])
    RequestForInformation.objects.filter(pk=rfi.pk).update(
        deadline=timezone.now() - timedelta(minutes=5))
    summary = scheduler.run_due()
    assert summary["rfis"] == {"overdue": 1, "escalated": 1}
