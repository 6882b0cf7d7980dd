from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.products.conftest import approved_alert, disseminated_alert
from vaka.backoff import retry_delay
from vaka.inbox.models import Notice
from vaka.inbox.selectors import notices_for
from vaka.products import dissemination, selectors
from vaka.products.dissemination import Choice
from vaka.products.models import Delivery, Recipient, Status


def test_dissemination_releases_the_product_to_its_audience_and_tells_recipients(
        desk, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        product = disseminated_alert(desk)
    assert product.status == Status.DISSEMINATED
    assert list(selectors.products_for(desk.fiji_analyst)) == [product]
    assert set(Recipient.objects.values_list("organisation__name", flat=True)) == {
        "Fiji Unit", "Samoa Unit"}
    assert notices_for(desk.fiji_analyst).filter(kind=Notice.Kind.PRODUCT).count() == 1
    # The mail says nothing of the product: no title, no reference.
    sent = {m.to[0]: m for m in mail.outbox}
    assert {"analyst@fiji.test", "admin@fiji.test", "analyst@samoa.test"} <= set(sent)
    body = sent["analyst@fiji.test"].body + sent["analyst@fiji.test"].subject
    assert "Smishing" not in body and product.reference not in body
    assert set(Delivery.objects.values_list("state", flat=True)) == {Delivery.State.SENT}


def test_dissemination_beyond_the_tlp_is_refused_naming_the_conflict(desk) -> None:
    product = approved_alert(desk, tlp="amber", recipient_organisations=[desk.fiji_unit])
    with pytest.raises(ValidationError) as error:
        dissemination.disseminate(product, user=desk.publisher,
                                  choice=Choice(countries=("FJ", "WS")))
    assert error.value.message_dict["organisations"] == [
        "TLP:AMBER: Samoa Unit is not one of its recipient organisations."]
    product.refresh_from_db()
    assert product.status == Status.APPROVED and not Recipient.objects.exists()
    assert not selectors.products_for(desk.fiji_analyst).exists()


def test_dissemination_beyond_the_distribution_is_refused(desk) -> None:
    product = approved_alert(desk, distribution="organisation", tlp="green")
    with pytest.raises(ValidationError, match="outside its distribution"):
        dissemination.disseminate(product, user=desk.publisher,
                                  choice=Choice(organisations=(desk.fiji_unit.pk,)))


def test_a_red_alert_reaches_only_its_named_people(desk) -> None:
    product = approved_alert(desk, distribution="members", tlp="red",
                             recipients=[desk.fiji_analyst, desk.publisher])
    dissemination.disseminate(product, user=desk.publisher,
                              choice=Choice(organisations=(desk.fiji_unit.pk,)))
    assert selectors.products_for(desk.fiji_analyst).exists()
    assert not selectors.products_for(desk.fiji_admin).exists()
    assert not notices_for(desk.fiji_admin).exists()
    assert set(Delivery.objects.filter(reason=Delivery.Reason.DISSEMINATED)
               .values_list("user__username", flat=True)) == {"fiji_analyst"}


def test_an_unapproved_revision_is_not_disseminated(desk) -> None:
    from tests.products.conftest import draft_alert

    product = draft_alert(desk)
    with pytest.raises(ValidationError, match="only an approved revision"):
        dissemination.disseminate(product, user=desk.publisher, choice=Choice(countries=("FJ",)))


def test_acknowledgements_fill_the_matrix(desk) -> None:
    product = disseminated_alert(desk)
    dissemination.acknowledge(product, user=desk.fiji_analyst, ack="actioned",
                              note="Domains blocked at the ISP.")
    matrix = {r.organisation.name: (r.ack, r.ack_note)
              for r in selectors.recipients_for(desk.writer, product)}
    assert matrix == {"Fiji Unit": ("actioned", "Domains blocked at the ISP."),
                      "Samoa Unit": ("pending", "")}
    # A recipient sees its own row only.
    assert [r.organisation.name for r in selectors.recipients_for(desk.samoa_analyst,
                                                                  product)] == ["Samoa Unit"]
    with pytest.raises(ValidationError, match="already reported it actioned"):
        dissemination.acknowledge(product, user=desk.fiji_analyst, ack="received")
    with pytest.raises(ValidationError, match="was not asked"):
        dissemination.acknowledge(product, user=desk.writer, ack="received")


def test_overdue_acknowledgements_are_chased_then_escalated_to_the_org_admin(desk) -> None:
    product = disseminated_alert(desk)
    dissemination.acknowledge(product, user=desk.samoa_analyst, ack="received")
    later = timezone.now() + timedelta(days=3)
    assert dissemination.chase_overdue(later) == {"reminded": 1, "escalated": 0}
    assert dissemination.chase_overdue(later) == {"reminded": 0, "escalated": 0}  # once a day
    assert notices_for(desk.fiji_analyst).filter(kind=Notice.Kind.ACK_REMINDER).exists()
    dissemination.chase_overdue(later + timedelta(days=1, minutes=1))
    assert dissemination.chase_overdue(later + timedelta(days=2, minutes=2)) == {
        "reminded": 0, "escalated": 1}
    escalations = Delivery.objects.filter(reason=Delivery.Reason.ESCALATION)
    assert set(escalations.values_list("user__username", flat=True)) == {"fiji_admin"}
    assert Recipient.objects.get(organisation=desk.fiji_unit).escalated_at is not None


def test_a_failed_mail_is_kept_retried_with_back_off_and_never_lost(desk, monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr(dissemination, "send_mail", refuse)
    product = disseminated_alert(desk)
    now = timezone.now()
    # The publisher's "review requested" and the three recipients' notices.
    assert dissemination.send_mail_due(now)["failed"] == 4
    failed = Delivery.objects.filter(product=product, state=Delivery.State.FAILED)
    assert failed.count() == 4
    assert "mail server down" in failed.first().last_error
    assert dissemination.send_mail_due(now)["failed"] == 0  # not due yet
    assert failed.first().next_attempt_at == now + retry_delay(1)
    monkeypatch.undo()
    assert dissemination.send_mail_due(now + timedelta(minutes=2))["sent"] == 4
    assert not Delivery.objects.exclude(state=Delivery.State.SENT).exists()


def test_mail_retries_wait_1_2_4_minutes_up_to_a_day() -> None:
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3)] == [60, 120, 240]
    assert retry_delay(dissemination.MAX_ATTEMPTS) == timedelta(days=1)


def test_closing_an_alert_stops_the_chase(desk) -> None:
    product = disseminated_alert(desk)
    dissemination.close(product, user=desk.publisher, comment="Campaign over")
    assert dissemination.chase_overdue(timezone.now() + timedelta(days=5)) == {
        "reminded": 0, "escalated": 0}
    with pytest.raises(ValidationError, match="closed"):
        dissemination.acknowledge(product, user=desk.fiji_analyst, ack="received")


def test_an_activity_report_is_prefilled_with_the_period_s_alerts_and_figures(desk) -> None:
    from vaka.policy.services import Markings
    from vaka.products import services
    from vaka.products.services import Content

    product = disseminated_alert(desk)
    dissemination.acknowledge(product, user=desk.fiji_analyst, ack="received")
    today = timezone.localdate()
    report = services.create_product(
        user=desk.writer, kind="report",
        content=Content(title="Desk activity", period_start=today - timedelta(days=30),
                        period_end=today),
        markings=Markings(distribution="members", tlp="green"))
    figures = report.revisions.get().figures
    assert figures["alerts"] == {"issued": 1, "recipients": 2, "acknowledged": 1,
                                 "actioned": 0, "rate_percent": 50}
    assert figures["period"] == [(today - timedelta(days=30)).isoformat(), today.isoformat()]


def test_a_report_needs_its_period_in_order(desk) -> None:
    from vaka.policy.services import Markings
    from vaka.products import services
    from vaka.products.services import Content

    today = timezone.localdate()
    with pytest.raises(ValidationError) as error:
        services.create_product(
            user=desk.writer, kind="report",
            content=Content(title="Desk activity", period_start=today,
                            period_end=today - timedelta(days=1)),
            markings=Markings(distribution="members", tlp="green"))
    assert error.value.message_dict == {"period_end": ["The period ends before it starts."]}


def test_an_organisation_with_nobody_signed_up_yet_still_receives(desk) -> None:
    from tests.factories import OrganisationFactory

    empty = OrganisationFactory(name="New Unit")
    product = approved_alert(desk)
    rows = dissemination.disseminate(product, user=desk.publisher,
                                     choice=Choice(organisations=(empty.pk,)))
    assert [row.organisation for row in rows] == [empty]
    assert Notice.objects.filter(owner=empty, kind=Notice.Kind.PRODUCT).exists()


def test_the_inbox_says_which_product_arrived(desk) -> None:
    from django.test import Client

    product = disseminated_alert(desk)
    client = Client()
    client.force_login(desk.fiji_analyst)
    page = client.get("/inbox/").content.decode()
    assert "Threat alert" in page and product.reference in page and "Smishing wave" in page
    assert "was sent to your organisation" in page
