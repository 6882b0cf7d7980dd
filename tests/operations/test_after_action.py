"""The after-action report: a product draft from the operation, with its markings
narrowed to its readers, and the lessons learned."""

from datetime import date, datetime

import pytest
from django.core.exceptions import PermissionDenied

from tests.operations.conftest import open_reef
from tests.operations.test_timeline import _client
from vaka.operations import after_action, timeline
from vaka.operations.services import OperationDetails, open_operation
from vaka.operations.timeline import ActionInput, ResultInput
from vaka.policy.audit import Action as Audited
from vaka.policy.markings import TLP, Distribution
from vaka.policy.models import AuditEntry
from vaka.policy.services import Markings
from vaka.policy.visibility import can_see
from vaka.products import services as products
from vaka.products.models import Kind, Product, Status


def _fill(operation, ops) -> None:
    for summary, when, zone in (("Servers seized in Honolulu.", datetime(2026, 6, 1, 18, 0),
                                 "Pacific/Honolulu"),
                                ("Leader arrested in Apia.", datetime(2026, 6, 2, 9, 0),
                                 "Pacific/Apia")):
        timeline.record_action(operation, user=ops.samoa_analyst, data=ActionInput(
            kind="arrest", local_time=when, time_zone=zone, country="WS",
            organisation=ops.samoa_unit.pk, summary=summary))
    for kind, quantity, currency in (("arrests", 3, ""), ("funds_seized", "2500", "WST")):
        timeline.record_result(operation, user=ops.samoa_analyst, data=ResultInput(
            kind=kind, quantity=quantity, currency=currency, country="WS",
            organisation=ops.samoa_unit.pk, on=date(2026, 6, 2)))


def test_the_draft_holds_objective_participants_timeline_results_and_lessons(ops) -> None:
    operation = open_reef(ops, starts=date(2026, 5, 1), ends=date(2026, 6, 30))
    _fill(operation, ops)
    after_action.set_lessons(operation, user=ops.fiji_coordinator,
                             lessons="Agree the takedown hour across the date line.")
    product, _exact = after_action.write_report(operation, user=ops.fiji_coordinator)
    revision = product.revisions.get()
    assert (product.kind, product.status, product.owner) == (
        Kind.REPORT, Status.DRAFT, ops.fiji_unit)
    assert (product.period_start, product.period_end) == (date(2026, 5, 1), date(2026, 6, 30))
    assert operation.reference in product.title
    body = revision.body
    for text in ("Dismantle the sextortion network.", "Fiji Unit (lead)", "Samoa Unit",
                 "Arrests: 3", "2,500.00 WST", "Agree the takedown hour",
                 f"/operations/{operation.pk}/"):
        assert text in body, text
    # Real-time order: Apia's Tuesday morning before Honolulu's Monday evening.
    assert body.index("Leader arrested in Apia.") < body.index("Servers seized in Honolulu.")
    assert "UTC+13:00" in body and "UTC-10:00" in body
    assert revision.crime_types == ["sextortion"]
    logged = AuditEntry.objects.get(target_id=str(operation.pk), action=Audited.CREATE,
                                    detail__after_action_report=product.reference)
    assert logged.actor == ops.fiji_coordinator


def test_an_amber_operation_gives_an_amber_draft_to_its_participants(ops) -> None:
    operation = open_reef(ops)  # TLP:AMBER to its participants
    product, exact = after_action.write_report(operation, user=ops.fiji_coordinator)
    assert exact and product.tlp == TLP.AMBER
    revision = product.revisions.get()
    assert set(revision.recipient_organisations.values_list("name", flat=True)) == {
        "Desk", "Samoa Unit"}
    assert product.pap == operation.pap


def test_a_red_operation_gives_a_red_draft_to_the_same_named_people(ops) -> None:
    operation = open_operation(user=ops.coordinator, details=OperationDetails(
        code_name="Night Heron", objective="Seize the ransomware servers.",
        lead=ops.fiji_unit.pk, participants=[ops.samoa_unit.pk]),
        markings=Markings(distribution=Distribution.MEMBERS, tlp=TLP.RED,
                          recipients=[ops.fiji_coordinator, ops.samoa_analyst]))
    product, exact = after_action.write_report(operation, user=ops.fiji_coordinator)
    revision = product.revisions.get()
    assert exact and product.tlp == TLP.RED
    assert set(revision.recipients.all()) == {ops.coordinator, ops.fiji_coordinator,
                                              ops.samoa_analyst}
    # Once released, exactly the same people read it: nobody else at Samoa, nobody outside.
    for record in (product, revision):
        record.released_at = product.modified
        record.save(update_fields=["released_at"])
    for person in (ops.samoa_analyst, ops.fiji_coordinator):
        assert can_see(person, product) and can_see(person, revision)
    for person in (ops.samoa_viewer, ops.fiji_analyst, ops.ph_admin):
        assert not can_see(person, revision)


def test_a_green_operation_keeps_its_tlp_and_stays_in_the_writers_organisation(ops) -> None:
    operation = open_reef(ops)
    operation.tlp = TLP.GREEN
    operation.save(update_fields=["tlp"])
    product, exact = after_action.write_report(operation, user=ops.fiji_coordinator)
    assert not exact
    assert (product.tlp, product.distribution) == (TLP.GREEN, Distribution.ORGANISATION)


def test_only_a_coordinator_of_a_participant_writes_it(ops) -> None:
    operation = open_reef(ops)
    for who in (ops.samoa_analyst, ops.ph_coordinator):
        with pytest.raises(PermissionDenied):
            after_action.write_report(operation, user=who)
        with pytest.raises(PermissionDenied):
            after_action.set_lessons(operation, user=who, lessons="x")


def test_the_draft_goes_through_the_products_workflow(ops) -> None:
    operation = open_reef(ops)
    product, _exact = after_action.write_report(operation, user=ops.fiji_coordinator)
    revision = products.submit_for_review(product, user=ops.fiji_coordinator)
    assert revision.status == Status.IN_REVIEW


def test_the_button_drafts_it_and_opens_it(ops) -> None:
    operation = open_reef(ops)
    client = _client(ops.fiji_coordinator)
    page = client.get(f"/operations/{operation.pk}/results/")
    assert "Draft the after-action report" in page.content.decode()
    answer = client.post(f"/operations/{operation.pk}/after-action/")
    product = Product.objects.get()
    assert answer.status_code == 302 and answer["Location"] == product.get_absolute_url()
    assert "Draft the after-action report" not in _client(ops.samoa_analyst).get(
        f"/operations/{operation.pk}/results/").content.decode()
    assert _client(ops.ph_coordinator).post(
        f"/operations/{operation.pk}/after-action/").status_code == 404


def test_lessons_are_saved_from_the_results_tab(ops) -> None:
    operation = open_reef(ops)
    answer = _client(ops.fiji_coordinator).post(f"/operations/{operation.pk}/lessons/",
                                                {"lessons": "Brief the registrars early."})
    assert answer.status_code == 302
    operation.refresh_from_db()
    assert operation.lessons == "Brief the registrars early."
    assert AuditEntry.objects.filter(target_id=str(operation.pk), action=Audited.UPDATE,
                                     detail__changed=["lessons"]).exists()
