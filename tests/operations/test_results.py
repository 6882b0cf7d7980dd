"""Results as figures: checks, totals per currency, and their roll-ups into the analytics
dashboard and activity reports — only over the operations the viewer may see."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.factories import OrganisationFactory, UserFactory
from tests.operations.conftest import open_reef
from tests.operations.test_timeline import _client
from vaka.directory.roles import Role
from vaka.operations import figures, timeline
from vaka.operations.models import Result
from vaka.operations.services import OperationDetails, open_operation
from vaka.operations.timeline import ActionInput, ResultInput
from vaka.policy.audit import Action as Audited
from vaka.policy.models import AuditEntry
from vaka.products import services as products
from vaka.products.models import Kind


def _result(ops, kind: str, quantity, currency: str = "", country: str = "WS",
            org=None, on: date = date(2026, 6, 2), action: int | None = None) -> ResultInput:
    return ResultInput(kind=kind, quantity=quantity, currency=currency, country=country,
                       organisation=(org or ops.samoa_unit).pk, on=on, action=action)


def _record(operation, user, *results: ResultInput) -> None:
    for data in results:
        timeline.record_result(operation, user=user, data=data)


def test_funds_seized_carry_an_iso_4217_currency(ops) -> None:
    operation = open_reef(ops)
    result = timeline.record_result(operation, user=ops.samoa_analyst, data=_result(
        ops, "funds_seized", "12500.50", currency="wst"))
    assert (result.quantity, result.currency) == (Decimal("12500.50"), "WST")
    with pytest.raises(ValidationError) as caught:
        timeline.record_result(operation, user=ops.samoa_analyst, data=_result(
            ops, "funds_seized", "10", currency="ABC"))
    assert caught.value.message_dict["currency"] == [
        "“ABC” is not an ISO 4217 currency code."]
    for code in ("", "XXX"):
        with pytest.raises(ValidationError) as caught:
            timeline.record_result(operation, user=ops.samoa_analyst, data=_result(
                ops, "funds_seized", "10", currency=code))
        assert "currency" in caught.value.message_dict


@pytest.mark.parametrize(("kind", "quantity", "currency", "field", "words"), [
    ("arrests", "2.5", "", "quantity", "whole number"),
    ("arrests", "-1", "", "quantity", "zero or more"),
    ("arrests", "many", "", "quantity", "not a number"),
    ("arrests", "", "", "quantity", "Give the figure"),
    ("arrests", "3", "USD", "currency", "Only funds seized"),
    ("funds_seized", "1.005", "USD", "quantity", "two decimals"),
    ("riots", "3", "", "kind", "not a kind of result"),
])
def test_bad_figures_are_refused_on_their_field(ops, kind, quantity, currency, field,
                                                words) -> None:
    operation = open_reef(ops)
    with pytest.raises(ValidationError) as caught:
        timeline.record_result(operation, user=ops.samoa_analyst, data=_result(
            ops, kind, quantity, currency=currency))
    assert words in " ".join(caught.value.message_dict[field])
    assert not Result.objects.exists()


def test_a_result_is_for_a_participant_and_a_known_country(ops) -> None:
    operation = open_reef(ops)
    with pytest.raises(ValidationError) as caught:
        timeline.record_result(operation, user=ops.samoa_analyst, data=_result(
            ops, "arrests", "1", country="", org=ops.ph_unit))
    assert set(caught.value.message_dict) == {"country", "organisation"}


def test_a_result_may_be_tied_to_an_action_of_the_same_operation_only(ops) -> None:
    operation, other = open_reef(ops), open_reef(ops, code_name="Other")
    arrest = ActionInput(kind="arrest", local_time=datetime(2026, 6, 2, 9, 0),
                         time_zone="Pacific/Apia", country="WS",
                         organisation=ops.samoa_unit.pk, summary="Two arrested.")
    mine = timeline.record_action(operation, user=ops.samoa_analyst, data=arrest)
    theirs = timeline.record_action(other, user=ops.samoa_analyst, data=arrest)
    result = timeline.record_result(operation, user=ops.samoa_analyst, data=_result(
        ops, "arrests", "2", action=mine.pk))
    assert result.action == mine
    with pytest.raises(ValidationError) as caught:
        timeline.record_result(operation, user=ops.samoa_analyst, data=_result(
            ops, "arrests", "2", action=theirs.pk))
    assert "has no action" in caught.value.message_dict["action"][0]


def test_totals_add_funds_per_currency_never_across(ops) -> None:
    operation = open_reef(ops)
    _record(operation, ops.samoa_analyst,
            _result(ops, "arrests", 2), _result(ops, "arrests", 3, country="FJ",
                                                org=ops.fiji_unit),
            _result(ops, "funds_seized", "100.25", currency="USD"),
            _result(ops, "funds_seized", "50", currency="USD"),
            _result(ops, "funds_seized", "9000", currency="WST"))
    totals = figures.totals_for(ops.fiji_analyst, operation)
    assert totals.counts == {"arrests": 5}
    assert totals.funds == {"USD": Decimal("150.25"), "WST": Decimal("9000")}


def test_only_the_recorder_or_a_coordinator_changes_a_result(ops) -> None:
    operation = open_reef(ops)
    result = timeline.record_result(operation, user=ops.samoa_analyst,
                                    data=_result(ops, "arrests", 2))
    with pytest.raises(PermissionDenied):
        timeline.change_result(result, user=ops.fiji_analyst,
                               data=_result(ops, "arrests", 3))
    timeline.change_result(result, user=ops.fiji_coordinator, data=_result(ops, "arrests", 3))
    timeline.remove_result(result, user=ops.samoa_analyst)
    actions = list(AuditEntry.objects.filter(target_id=str(operation.pk),
                                             detail__result=result.pk)
                   .order_by("seq").values_list("action", flat=True))
    assert actions == [Audited.CREATE, Audited.UPDATE, Audited.DELETE]


# --- roll-ups: only what the viewer may see -----------------------------------------------

@pytest.fixture
def two_operations(ops):
    """Reef (desk, Fiji, Samoa) with 7 arrests and 5,000 WST; Coral (Philippines alone,
    opened by its coordinator) with 4 arrests and 900 USD."""
    reef = open_reef(ops)
    _record(reef, ops.samoa_analyst, _result(ops, "arrests", 7),
            _result(ops, "funds_seized", "5000", currency="WST"))
    coral = open_operation(user=ops.ph_coordinator, details=OperationDetails(
        code_name="Coral", objective="Take down the phishing kits.", lead=ops.ph_unit.pk,
        countries=["PH"]))
    _record(coral, ops.ph_coordinator,
            _result(ops, "arrests", 4, country="PH", org=ops.ph_unit),
            _result(ops, "funds_seized", "900", currency="USD", country="PH",
                    org=ops.ph_unit))
    return reef, coral


def test_the_roll_up_counts_only_operations_the_viewer_may_see(ops, two_operations) -> None:
    stranger = UserFactory(organisation=OrganisationFactory(name="Tonga Unit"),
                           role=Role.PLATFORM_ADMIN)
    outside = figures.rollup_for(stranger)
    assert (outside.operations, outside.totals.counts, outside.totals.funds) == (
        0, {}, {})
    assert outside.by_country == {}
    # A platform admin of the Philippines unit: Coral's figures, nothing of Reef's.
    ph = figures.rollup_for(ops.ph_admin)
    assert (ph.operations, ph.totals.counts) == (1, {"arrests": 4})
    assert ph.totals.funds == {"USD": Decimal("900")}
    samoa = figures.rollup_for(ops.samoa_analyst)
    assert (samoa.operations, samoa.totals.counts) == (1, {"arrests": 7})
    assert list(samoa.by_country) == ["Country WS"]


def test_the_roll_up_filters_by_month_country_and_tlp(ops, two_operations) -> None:
    assert figures.rollup_for(ops.samoa_analyst, since=date(2026, 7, 1)).totals.empty
    assert figures.rollup_for(ops.samoa_analyst, until=date(2026, 6, 1)).totals.counts == {
        "arrests": 7}
    assert figures.rollup_for(ops.samoa_analyst, country="FJ").totals.empty
    assert figures.rollup_for(ops.samoa_analyst, tlp="red").totals.empty


def test_the_dashboard_panel_and_its_csv_leave_out_other_operations(ops,
                                                                    two_operations) -> None:
    stranger = _client(UserFactory(organisation=OrganisationFactory(name="Tonga Unit")))
    page = stranger.get("/analytics/")
    text = page.content.decode()
    assert page.status_code == 200
    assert 'id="operation-results-count">0<' in text and "WST" not in text
    csv = stranger.get("/analytics/operation-results.csv").content.decode()
    assert csv.splitlines()[1:] == [f"{label},0" for label, _n in
                                    figures.Totals().rows()]
    outside = _client(ops.ph_admin)  # takes part in Coral only
    text = outside.get("/analytics/").content.decode()
    assert 'id="operation-results-count">1<' in text and "WST" not in text
    assert "WST" not in outside.get("/analytics/operation-funds.csv").content.decode()
    inside = _client(ops.samoa_analyst)
    text = inside.get("/analytics/").content.decode()
    assert 'id="operation-results-count">1<' in text and "WST" in text
    funds = inside.get("/analytics/operation-funds.csv").content.decode()
    assert "WST,5000" in funds and "USD" not in funds


def test_an_activity_report_holds_the_writers_view_of_results(ops, two_operations) -> None:
    def report(user):
        product = products.create_product(
            user=user, kind=Kind.REPORT, markings=products.Markings(),
            content=products.Content(title="June", period_start=date(2026, 6, 1),
                                     period_end=date(2026, 6, 30)))
        return product.revisions.get().figures["operation_results"]

    outside = report(ops.ph_admin)
    assert outside["operations"] == 1 and outside["counts"]["arrests"] == 4
    assert outside["funds"] == {"USD": "900.00"}
    inside = report(ops.samoa_analyst)
    assert inside["counts"]["arrests"] == 7 and inside["funds"] == {"WST": "5000.00"}


def test_the_results_page_shows_totals_and_refuses_a_bad_currency(ops) -> None:
    operation = open_reef(ops)
    _record(operation, ops.samoa_analyst, _result(ops, "arrests", 2),
            _result(ops, "funds_seized", "1234.5", currency="FJD"))
    client = _client(ops.samoa_analyst)
    text = client.get(f"/operations/{operation.pk}/results/").content.decode()
    assert "1,234.50 FJD" in text
    page = client.post(f"/operations/{operation.pk}/results/", {
        "kind": "funds_seized", "quantity": "10", "currency": "DOGE", "country": "WS",
        "organisation": str(ops.samoa_unit.pk)})
    assert page.status_code == 400
    assert "“DOGE” is not an ISO 4217 currency code." in page.content.decode()
    assert Result.objects.count() == 2


def test_a_product_page_shows_the_after_action_report(ops) -> None:
    from vaka.operations import after_action

    operation = open_reef(ops)
    _record(operation, ops.samoa_analyst, _result(ops, "arrests", 2))
    product, _exact = after_action.write_report(operation, user=ops.fiji_coordinator)
    page = _client(ops.fiji_coordinator).get(product.get_absolute_url())
    text = page.content.decode()
    assert page.status_code == 200
    assert "Dismantle the sextortion network." in text and "Arrests: 2" in text
    assert 'id="report-operation-results"' in text
