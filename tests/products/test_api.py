"""Products through the REST API: each action's status code and body, errors that name
their fields, 403 for what a reader may see but not do, 404 for what they may not see."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import UserFactory
from tests.products.conftest import (
    ALERT_SECTIONS,
    approved_alert,
    disseminated_alert,
    draft_alert,
    stored,
)
from vaka.policy.services import Markings
from vaka.products import services
from vaka.products.models import Recipient, Status
from vaka.products.services import Content


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def alert_body(**extra) -> dict:
    return {"kind": "alert", "title": "Smishing wave", "sections": dict(ALERT_SECTIONS),
            "crime_types": ["phishing"], "distribution": "members", "tlp": "green",
            "ack_deadline": (timezone.now() + timedelta(days=2)).isoformat(), **extra}


def test_a_writer_creates_a_draft_and_gets_its_revision(desk) -> None:
    response = api(desk.writer).post("/api/products/", alert_body(), format="json")
    assert response.status_code == 201, response.data
    body = response.data
    assert body["reference"].startswith("ALERT-") and body["revision"] == 1
    assert body["status"] == "draft" and body["revision_status"] == "draft"
    assert body["sections"]["threat"] == ALERT_SECTIONS["threat"]
    assert body["sections"]["targeted_countries"] == []
    assert body["tlp"] == "green" and body["distribution"] == "members"
    assert body["crime_types"] == ["phishing"] and body["linked"] == []


def test_bad_content_is_a_400_naming_each_field(desk) -> None:
    response = api(desk.writer).post("/api/products/", alert_body(
        title=" ", sections={"threat": "", "vector": "a\nb", "nope": "x",
                             "targeted_countries": ["XX"]},
        crime_types=["piracy"], tlp="red"), format="json")
    assert response.status_code == 400
    assert {"title", "threat", "recommended_actions", "vector", "nope",
            "targeted_countries", "crime_types"} <= set(response.data)
    assert "XX" in response.data["targeted_countries"][0]
    # TLP:RED without named recipients: the markings' own rule, in the same answer.
    assert "recipients" in response.data or "tlp" in response.data


def test_a_section_of_the_wrong_shape_and_a_missing_kind_are_named(desk) -> None:
    client = api(desk.writer)
    response = client.post("/api/products/", alert_body(sections={"threat": 3}),
                           format="json")
    assert response.status_code == 400 and "threat" in response.data["sections"]
    body = alert_body()
    del body["kind"]
    response = client.post("/api/products/", body, format="json")
    assert response.status_code == 400 and "alert" in response.data["kind"][0]


def test_a_viewer_may_not_write(desk) -> None:
    desk.writer.role = "viewer"
    desk.writer.save()
    assert api(desk.writer).post("/api/products/", alert_body(),
                                 format="json").status_code == 403


def test_patch_changes_the_draft_and_keeps_the_rest(desk) -> None:
    product = draft_alert(desk)
    indicator = stored(desk.writer)
    response = api(desk.writer).patch(f"/api/products/{product.pk}/",
                                      {"title": "Smishing, second wave",
                                       "linked": [indicator.pk]}, format="json")
    assert response.status_code == 200, response.data
    assert response.data["title"] == "Smishing, second wave"
    assert response.data["sections"]["threat"] == ALERT_SECTIONS["threat"]
    assert response.data["linked"] == [indicator.pk]
    assert response.data["annex"][0]["value"] == "secure-login-bank.top"


def test_the_workflow_through_the_api(desk) -> None:
    product = draft_alert(desk)
    writer, publisher = api(desk.writer), api(desk.publisher)
    url = f"/api/products/{product.pk}"
    assert writer.post(f"{url}/submit/", {"comment": "ready"},
                       format="json").data["revision_status"] == "in_review"
    returned = publisher.post(f"{url}/return/", {"comment": " "}, format="json")
    assert returned.status_code == 400 and "comment" in returned.data
    assert writer.post(f"{url}/approve/", format="json").status_code == 403
    approved = publisher.post(f"{url}/approve/", {"comment": "fine"}, format="json")
    assert approved.status_code == 200 and approved.data["revision_status"] == "approved"
    # Approved revisions never change.
    changed = writer.patch(f"{url}/", {"title": "x"}, format="json")
    assert changed.status_code == 400 and "new revision" in changed.data["detail"][0]
    sent = publisher.post(f"{url}/disseminate/", {"countries": ["FJ"], "comment": "go"},
                          format="json")
    assert sent.status_code == 200, sent.data
    assert [row["organisation_name"] for row in sent.data] == ["Fiji Unit"]
    assert sent.data[0]["ack"] == "pending" and sent.data[0]["due_at"]
    matrix = publisher.get(f"{url}/recipients/").data
    assert [row["organisation"] for row in matrix] == [desk.fiji_unit.pk]
    revised = writer.post(f"{url}/new-revision/", format="json")
    assert revised.status_code == 201 and revised.data["revision"] == 2
    # The recipient still reads revision 1.
    assert api(desk.fiji_analyst).get(f"{url}/").data["revision"] == 1


def test_disseminating_outside_the_audience_names_the_organisation(desk) -> None:
    product = approved_alert(desk, distribution="organisation")
    response = api(desk.publisher).post(f"/api/products/{product.pk}/disseminate/",
                                        {"countries": ["FJ"]}, format="json")
    assert response.status_code == 400
    assert "Fiji Unit" in response.data["organisations"][0]
    unknown = api(desk.publisher).post(f"/api/products/{product.pk}/disseminate/",
                                       {"countries": ["ZZ"]}, format="json")
    assert unknown.status_code == 400 and "ZZ" in unknown.data["countries"][0]


def test_a_recipient_acknowledges_and_sees_only_its_own_row(desk) -> None:
    product = disseminated_alert(desk)
    url = f"/api/products/{product.pk}"
    fiji = api(desk.fiji_analyst)
    bad = fiji.post(f"{url}/acknowledge/", {"ack": "maybe"}, format="json")
    assert bad.status_code == 400 and "ack" in bad.data
    done = fiji.post(f"{url}/acknowledge/", {"ack": "actioned", "note": "Blocked."},
                     format="json")
    assert done.status_code == 200
    assert (done.data["ack"], done.data["ack_note"], done.data["ack_by"]) == (
        "actioned", "Blocked.", "fiji_analyst")
    assert [row["organisation"] for row in fiji.get(f"{url}/recipients/").data] == [
        desk.fiji_unit.pk]
    assert {row["organisation"] for row in api(desk.publisher).get(
        f"{url}/recipients/").data} == {desk.fiji_unit.pk, desk.samoa_unit.pk}
    assert Recipient.objects.get(organisation=desk.fiji_unit).ack == "actioned"
    # A recipient may read the alert but not close it.
    assert fiji.post(f"{url}/close/", format="json").status_code == 403
    closed = api(desk.publisher).post(f"{url}/close/", {"comment": "over"}, format="json")
    assert closed.status_code == 200 and closed.data["status"] == Status.CLOSED


def test_a_draft_is_404_outside_its_owner_organisation(desk) -> None:
    product = draft_alert(desk)
    fiji = api(desk.fiji_analyst)
    listed = fiji.get("/api/products/").data
    assert listed["count"] == 0 and listed["results"] == []
    for path in ("", "recipients/", "stix/"):
        assert fiji.get(f"/api/products/{product.pk}/{path}").status_code == 404
    for path in ("submit/", "approve/", "disseminate/", "acknowledge/", "close/"):
        assert fiji.post(f"/api/products/{product.pk}/{path}", {"ack": "received"},
                         format="json").status_code == 404
    assert fiji.patch(f"/api/products/{product.pk}/", {"title": "x"},
                      format="json").status_code == 404


def test_the_list_filters_by_kind_status_and_crime_type(desk) -> None:
    disseminated_alert(desk)
    client = api(desk.fiji_analyst)
    assert client.get("/api/products/", {"kind": "alert"}).data["count"] == 1
    assert client.get("/api/products/", {"kind": "assessment"}).data["count"] == 0
    assert client.get("/api/products/", {"status": "disseminated"}).data["count"] == 1
    assert client.get("/api/products/", {"crime_type": "phishing"}).data["count"] == 1
    assert client.get("/api/products/", {"crime_type": "ransomware"}).data["count"] == 0
    wrong = client.get("/api/products/", {"crime_type": "piracy"})
    assert wrong.status_code == 400 and "piracy" in wrong.data["crime_type"][0]
    row = client.get("/api/products/").data["results"][0]
    assert row["revision"] == 1 and row["tlp"] == "green" and row["title"] == "Smishing wave"


def test_the_list_shows_a_recipient_the_released_revision_number(desk) -> None:
    product = disseminated_alert(desk)
    api(desk.writer).post(f"/api/products/{product.pk}/new-revision/", format="json")
    assert api(desk.fiji_analyst).get("/api/products/").data["results"][0]["revision"] == 1
    assert api(desk.writer).get("/api/products/").data["results"][0]["revision"] == 2


@pytest.mark.parametrize("path", ["/api/products/", "/api/products/1/stix/"])
def test_the_api_needs_sign_in(db, path) -> None:
    assert APIClient().get(path).status_code in (401, 403)


def test_a_colleague_outside_the_drafts_audience_may_not_change_it(desk) -> None:
    product = disseminated_alert(desk)
    services.new_revision(product, user=desk.writer)
    product.refresh_from_db()
    services.update_draft(product, user=desk.writer, content=Content(
        title="Named people only", sections=dict(ALERT_SECTIONS),
        ack_deadline=product.ack_deadline),
        markings=Markings(distribution="members", tlp="red", recipients=[desk.publisher]))
    colleague = UserFactory(username="colleague", organisation=desk.org)
    client = api(colleague)
    assert client.get(f"/api/products/{product.pk}/").data["revision"] == 1
    assert client.patch(f"/api/products/{product.pk}/", {"title": "x"},
                        format="json").status_code == 403
    assert services.current_revision(product).title == "Named people only"


def test_the_list_reads_a_page_in_a_fixed_number_of_queries(desk,
                                                            django_assert_max_num_queries):
    for _ in range(3):
        disseminated_alert(desk)
    client = api(desk.fiji_analyst)
    with django_assert_max_num_queries(2):
        assert client.get("/api/products/").data["count"] == 3
    for _ in range(3):
        disseminated_alert(desk)
    with django_assert_max_num_queries(2):
        assert client.get("/api/products/").data["count"] == 6
