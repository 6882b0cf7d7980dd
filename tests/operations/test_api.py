"""Operations through the REST API: each endpoint's status code and body, errors that
name their fields (a target list's by place and field), 403 for what a participant may
see but not do, 404 and no count for everyone outside the operation — a platform admin
included."""

import json

import pytest
from rest_framework.test import APIClient

from tests.operations.conftest import open_reef
from vaka.operations import targets, tasks
from vaka.operations.models import Action, Operation, Result, Target, Task
from vaka.operations.targets import TargetInput
from vaka.products.models import Product


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def reef_with_targets(ops) -> Operation:
    operation = open_reef(ops)
    targets.add_targets(operation, user=ops.coordinator, targets=[
        TargetInput("domain", "Sextortion-Pay.top"), TargetInput("person", "Jane Doe")])
    return operation


def test_a_coordinator_opens_an_operation(ops) -> None:
    response = api(ops.fiji_coordinator).post("/api/operations/", {
        "code_name": "Coral Net", "objective": "Take down the phishing kit's hosting.",
        "lead": ops.fiji_unit.pk, "participants": [ops.samoa_unit.pk],
        "countries": ["fj", "WS"], "crime_types": ["phishing"]}, format="json")
    assert response.status_code == 201, response.data
    body = response.data
    assert body["reference"].startswith("OP-") and body["phase"] == "collect"
    assert body["participants"] == sorted([ops.fiji_unit.pk, ops.samoa_unit.pk])
    assert body["countries"] == ["FJ", "WS"] and body["lead_name"] == "Fiji Unit"
    # No markings given: TLP:AMBER to the participants.
    assert body["tlp"] == "amber"
    assert set(body["recipient_organisations"]) == {ops.fiji_unit.pk, ops.samoa_unit.pk}


def test_bad_details_are_a_400_naming_each_field(ops) -> None:
    response = api(ops.coordinator).post("/api/operations/", {
        "code_name": " ", "objective": "", "lead": 99999, "countries": ["XX"],
        "crime_types": ["piracy"], "starts": "2026-05-02", "ends": "2026-05-01"},
        format="json")
    assert response.status_code == 400
    assert {"code_name", "objective", "lead", "countries", "crime_types", "ends"} <= set(
        response.data)
    assert "XX" in response.data["countries"][0]
    assert not Operation.objects.exists()


def test_an_analyst_may_not_open_one(ops) -> None:
    response = api(ops.fiji_analyst).post("/api/operations/", {
        "code_name": "X", "objective": "Y", "lead": ops.fiji_unit.pk}, format="json")
    assert response.status_code == 403


def test_the_list_takes_the_page_filters_and_refuses_a_bad_value(ops) -> None:
    open_reef(ops)
    open_reef(ops, code_name="Blue Wave", crime_types=["ransomware"], countries=["FJ"])
    client = api(ops.samoa_analyst)
    listing = client.get("/api/operations/", {"crime_type": "ransomware"}).data
    assert [row["code_name"] for row in listing["results"]] == ["Blue Wave"]
    listing = client.get("/api/operations/", {"country": "WS", "q": "reef"}).data
    assert [row["code_name"] for row in listing["results"]] == ["Reef Shark"]
    response = client.get("/api/operations/", {"phase": "won"})
    assert response.status_code == 400 and "phase" in response.data


def test_the_list_query_count_does_not_grow_with_operations(
        ops, django_assert_max_num_queries) -> None:
    for n in range(6):
        open_reef(ops, code_name=f"Reef {n}")
    client = api(ops.samoa_analyst)
    with django_assert_max_num_queries(12):
        response = client.get("/api/operations/")
    assert response.status_code == 200 and response.data["count"] == 6


def test_patch_changes_details_and_keeps_the_rest(ops) -> None:
    operation = open_reef(ops)
    response = api(ops.fiji_coordinator).patch(f"/api/operations/{operation.pk}/",
                                               {"objective": "Arrest the organisers."},
                                               format="json")
    assert response.status_code == 200, response.data
    assert response.data["objective"] == "Arrest the organisers."
    assert response.data["code_name"] == "Reef Shark"
    assert response.data["countries"] == ["FJ", "WS"]
    assert response.data["crime_types"] == ["sextortion"]


def test_a_participant_who_may_not_coordinate_gets_403(ops) -> None:
    operation = open_reef(ops)
    client = api(ops.samoa_analyst)
    url = f"/api/operations/{operation.pk}/"
    assert client.get(url).status_code == 200
    assert client.patch(url, {"objective": "x"}, format="json").status_code == 403
    assert client.post(f"{url}phase/", {"phase": "act"}, format="json").status_code == 403
    assert client.post(f"{url}close/", {}, format="json").status_code == 403


def test_participants_phase_and_close(ops) -> None:
    operation = open_reef(ops)
    client = api(ops.coordinator)
    url = f"/api/operations/{operation.pk}/"
    response = client.post(f"{url}participants/", {"participants": [
        ops.desk.pk, ops.fiji_unit.pk, ops.samoa_unit.pk, ops.ph_unit.pk]}, format="json")
    assert response.status_code == 200, response.data
    assert ops.ph_unit.pk in response.data["participants"]
    refused = client.post(f"{url}participants/", {"participants": [ops.desk.pk]},
                          format="json")
    assert refused.status_code == 400 and "participants" in refused.data
    phased = client.post(f"{url}phase/", {"phase": "act"}, format="json")
    assert phased.status_code == 200 and phased.data["phase"] == "act"
    wrong = client.post(f"{url}phase/", {"phase": "won"}, format="json")
    assert wrong.status_code == 400 and "phase" in wrong.data
    closed = client.post(f"{url}close/", {"lessons": "Start earlier."}, format="json")
    assert closed.status_code == 200 and closed.data["closed_at"]
    assert closed.data["lessons"] == "Start earlier."
    again = client.post(f"{url}phase/", {"phase": "evaluate"}, format="json")
    assert again.status_code == 400 and "closed" in again.data["detail"][0]


def test_the_after_action_report_is_a_product_draft(ops) -> None:
    operation = open_reef(ops)
    response = api(ops.coordinator).post(f"/api/operations/{operation.pk}/after-action/")
    assert response.status_code == 201, response.data
    product = Product.objects.get(pk=response.data["id"])
    assert product.tlp == operation.tlp and product.status == "draft"
    assert response.data["url"].endswith(f"/api/products/{product.pk}/")
    assert response.data["page"].endswith(f"/products/{product.pk}/")


def test_the_stix_bundle_and_its_download_page(ops) -> None:
    operation = reef_with_targets(ops)
    response = api(ops.samoa_analyst).get(f"/api/operations/{operation.pk}/stix/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/stix+json;version=2.1"
    assert "attachment" in response["Content-Disposition"]
    bundle = json.loads(b"".join(response.streaming_content))
    types = {o["type"] for o in bundle["objects"]}
    assert {"grouping", "note", "domain-name"} <= types
    assert "Jane Doe" not in json.dumps(bundle)  # target people are not exported
    from django.test import Client

    web = Client()
    web.force_login(ops.samoa_analyst)
    page = web.get(f"/operations/{operation.pk}/stix/")
    assert page.status_code == 200 and b"grouping" in b"".join(page.streaming_content)
    assert f"/operations/{operation.pk}/stix/" in web.get(
        f"/operations/{operation.pk}/").content.decode()


# --- targets -----------------------------------------------------------------------------

def test_targets_are_listed_with_their_deconfliction_status(ops) -> None:
    operation = reef_with_targets(ops)
    other = open_reef(ops, code_name="Blue Wave", participants=[])
    targets.add_targets(other, user=ops.coordinator,
                        targets=[TargetInput("domain", "sextortion-pay.top")])
    rows = api(ops.samoa_analyst).get(f"/api/operations/{operation.pk}/targets/").data
    by_value = {row["value"]: row for row in rows["results"]}
    domain = by_value["sextortion-pay.top"]["deconfliction"]
    # Samoa's analyst may not see Blue Wave: only that another operation holds it.
    assert domain["held_elsewhere"] is True and domain["operations"] == []
    seen = api(ops.coordinator).get(f"/api/operations/{operation.pk}/targets/").data
    domain = {r["value"]: r for r in seen["results"]}["sextortion-pay.top"]
    assert [o["code_name"] for o in domain["deconfliction"]["operations"]] == ["Blue Wave"]


def test_adding_targets_names_each_bad_item_by_place_and_field(ops) -> None:
    operation = open_reef(ops)
    url = f"/api/operations/{operation.pk}/targets/"
    response = api(ops.coordinator).post(url, {"targets": [
        {"kind": "domain", "text": "good.top"}, {"kind": "planet", "text": "Mars"},
        {"kind": "ipv4", "text": "300.1.1.1"}, {"kind": "domain"}]}, format="json")
    assert response.status_code == 400
    assert set(response.data) == {"targets[1].kind", "targets[2].text", "targets[3].text"}
    assert not Target.objects.exists()
    added = api(ops.coordinator).post(url, {"targets": [
        {"kind": "domain", "text": "Good.Top"}, {"kind": "domain", "text": "good.top"},
        {"kind": "person", "text": "Jane  Doe", "note": "the organiser"}]}, format="json")
    assert added.status_code == 201, added.data
    assert {row["value"] for row in added.data["added"]} == {"good.top", "jane doe"}
    assert added.data["already"] == 1


def test_link_and_remove_a_target(ops) -> None:
    operation = reef_with_targets(ops)
    target = Target.objects.get(kind="domain")
    url = f"/api/operations/{operation.pk}/targets/{target.pk}/"
    client = api(ops.coordinator)
    missing = client.post(f"{url}link/", {"linked": ["99999"]}, format="json")
    assert missing.status_code == 400 and "linked" in missing.data
    too_large = client.post(f"{url}link/", {"linked": ["9" * 30]}, format="json")
    assert too_large.status_code == 400 and "linked" in too_large.data
    assert client.post(f"{url}link/", {"linked": []}, format="json").status_code == 200
    assert api(ops.samoa_analyst).delete(url).status_code == 403
    assert client.delete(url).status_code == 204
    assert client.get(url).status_code == 404
    assert not Target.objects.filter(pk=target.pk).exists()


def test_the_bulk_check_is_for_coordinators(ops) -> None:
    reef_with_targets(ops)
    body = {"values": [{"kind": "domain", "text": "SEXTORTION-PAY.top"},
                       {"kind": "ipv4", "text": "nope"}]}
    assert api(ops.samoa_analyst).post("/api/operations/deconfliction/check/", body,
                                       format="json").status_code == 403
    response = api(ops.ph_coordinator).post("/api/operations/deconfliction/check/", body,
                                            format="json")
    assert response.status_code == 200
    first, second = response.data
    assert first["found"] and first["finding"]["held_elsewhere"]
    assert first["finding"]["operations"] == [] and first["value"] == "sextortion-pay.top"
    assert second["error"] and not second["found"]


# --- tasks, the action log and results ----------------------------------------------------

def test_tasks_are_assigned_and_moved(ops) -> None:
    operation = open_reef(ops)
    url = f"/api/operations/{operation.pk}/tasks/"
    wrong = api(ops.coordinator).post(url, {"title": "Freeze", "assigned_to": ops.ph_unit.pk},
                                      format="json")
    assert wrong.status_code == 400 and "assigned_to" in wrong.data
    made = api(ops.coordinator).post(url, {"title": "Preserve the logs",
                                           "assigned_to": ops.samoa_unit.pk,
                                           "due": "2026-06-01"}, format="json")
    assert made.status_code == 201, made.data
    task_url = f"{url}{made.data['id']}/status/"
    assert api(ops.fiji_analyst).post(task_url, {"status": "done"},
                                      format="json").status_code == 403
    moved = api(ops.samoa_analyst).post(task_url, {"status": "done"}, format="json")
    assert moved.status_code == 200 and moved.data["status"] == "done"
    assert moved.data["completed_at"]
    assert api(ops.samoa_analyst).get(url).data["results"][0]["title"] == "Preserve the logs"


def test_actions_across_the_date_line(ops) -> None:
    operation = open_reef(ops)
    url = f"/api/operations/{operation.pk}/actions/"
    client = api(ops.samoa_analyst)
    made = client.post(url, {"kind": "arrest", "local_time": "2026-03-02T06:30",
                             "time_zone": "Pacific/Apia", "country": "WS",
                             "organisation": ops.samoa_unit.pk, "summary": "Two arrests."},
                       format="json")
    assert made.status_code == 201, made.data
    assert made.data["at"].startswith("2026-03-01T17:30") and made.data["offset"] == \
        "UTC+13:00"
    bad = client.post(url, {"kind": "arrest", "local_time": "2026-03-02T06:30+13:00",
                            "time_zone": "Mars/Base", "country": "XX",
                            "organisation": ops.ph_unit.pk, "summary": ""}, format="json")
    assert bad.status_code == 400 and "local_time" in bad.data
    bad = client.post(url, {"kind": "arrest", "local_time": "2026-03-02T06:30",
                            "time_zone": "Mars/Base", "country": "XX",
                            "organisation": ops.ph_unit.pk, "summary": ""}, format="json")
    assert bad.status_code == 400
    assert {"time_zone", "country", "organisation", "summary"} <= set(bad.data)
    entry = f"{url}{made.data['id']}/"
    edited = client.patch(entry, {"summary": "Three arrests."}, format="json")
    assert edited.status_code == 200 and edited.data["summary"] == "Three arrests."
    assert edited.data["at"] == made.data["at"]
    assert api(ops.fiji_analyst).delete(entry).status_code == 403
    assert client.delete(entry).status_code == 204
    assert not Action.objects.exists()


def test_results_and_their_totals(ops) -> None:
    operation = open_reef(ops)
    url = f"/api/operations/{operation.pk}/results/"
    client = api(ops.fiji_analyst)
    for body in ({"kind": "arrests", "quantity": "3", "country": "FJ"},
                 {"kind": "funds_seized", "quantity": "1200.50", "currency": "fjd",
                  "country": "FJ"},
                 {"kind": "funds_seized", "quantity": "99.5", "currency": "WST",
                  "country": "WS"}):
        made = client.post(url, {**body, "organisation": ops.fiji_unit.pk}, format="json")
        assert made.status_code == 201, made.data
    bad = client.post(url, {"kind": "funds_seized", "quantity": "1", "country": "FJ",
                            "organisation": ops.fiji_unit.pk}, format="json")
    assert bad.status_code == 400 and "currency" in bad.data
    totals = client.get(f"{url}totals/").data
    assert totals["counts"]["arrests"] == 3
    assert totals["funds"] == {"FJD": "1200.50", "WST": "99.50"}
    first = Result.objects.get(kind="arrests")
    changed = client.patch(f"{url}{first.pk}/", {"quantity": "4"}, format="json")
    assert changed.status_code == 200 and changed.data["quantity"] == "4.00"
    assert client.delete(f"{url}{first.pk}/").status_code == 204


# --- outside the compartment -------------------------------------------------------------

@pytest.mark.parametrize("who", ["ph_admin", "ph_coordinator"])
def test_outside_the_compartment_every_endpoint_is_404_and_counts_nothing(ops, who) -> None:
    operation = reef_with_targets(ops)
    task = tasks.create_task(operation, user=ops.coordinator, title="t",
                             assigned_to=ops.samoa_unit.pk)
    client = api(getattr(ops, who))
    listing = client.get("/api/operations/")
    assert listing.status_code == 200 and listing.data["count"] == 0
    base = f"/api/operations/{operation.pk}/"
    target = Target.objects.filter(operation=operation).first()
    for path in ("", "stix/", "targets/", f"targets/{target.pk}/", "tasks/",
                 f"tasks/{task.pk}/", "actions/", "results/", "results/totals/"):
        assert client.get(f"{base}{path}").status_code == 404, path
    assert client.patch(base, {"objective": "x"}, format="json").status_code == 404
    for path, body in (("participants/", {"participants": [ops.ph_unit.pk]}),
                       ("phase/", {"phase": "act"}), ("close/", {}), ("after-action/", {}),
                       ("targets/", {"targets": [{"kind": "domain", "text": "x.top"}]}),
                       (f"targets/{target.pk}/link/", {"linked": []}),
                       ("tasks/", {"title": "t", "assigned_to": ops.ph_unit.pk}),
                       (f"tasks/{task.pk}/status/", {"status": "done"}),
                       ("actions/", {}), ("results/", {})):
        assert client.post(f"{base}{path}", body, format="json").status_code == 404, path
    assert client.delete(f"{base}targets/{target.pk}/").status_code == 404
    operation.refresh_from_db()
    assert operation.phase == "collect" and operation.closed_at is None
    assert Task.objects.get(pk=task.pk).status == "open"
    assert not Product.objects.exists()
