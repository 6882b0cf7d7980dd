"""The operation pages as a coordinator, a participant and an outsider use them."""

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY

from tests.factories import confirmed_totp
from tests.operations.conftest import open_reef
from vaka.operations import tasks
from vaka.operations.models import Operation, Target, Task


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    if user.requires_two_factor:  # past the second factor
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = confirmed_totp(user).persistent_id
        session.save()
    return client


def test_a_coordinator_opens_an_operation_through_the_form(ops) -> None:
    response = _client(ops.fiji_coordinator).post("/operations/new/", {
        "code_name": "Coral Net", "objective": "Take down the phishing kit's hosting.",
        "lead": ops.fiji_unit.pk, "participants": [ops.samoa_unit.pk],
        "countries": ["FJ", "WS"], "crime_types": ["phishing"], "phase": "collect",
        "distribution": "members", "tlp": "amber", "pap": "amber",
        "grading_scheme": "admiralty"})
    operation = Operation.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/operations/{operation.pk}/"
    page = _client(ops.samoa_analyst).get(response["Location"]).content.decode()
    assert "Coral Net" in page and "Take down the phishing kit" in page
    assert "Samoa Unit" in page and "Country WS" in page and "Phishing" in page


def test_form_errors_land_on_their_fields(ops) -> None:
    response = _client(ops.coordinator).post("/operations/new/", {
        "code_name": "X", "objective": "Y", "lead": ops.fiji_unit.pk,
        "distribution": "organisation", "tlp": "amber", "phase": "collect", "pap": "amber",
        "grading_scheme": "admiralty"})
    assert response.status_code == 400
    assert "Fiji Unit is outside the chosen distribution." in \
        response.context["form"].errors["recipient_organisations"]
    assert not Operation.objects.exists()


def test_analysts_may_not_open_or_change_one(ops) -> None:
    operation = open_reef(ops)
    analyst = _client(ops.fiji_analyst)
    assert analyst.get("/operations/new/").status_code == 403
    assert analyst.get(f"/operations/{operation.pk}/edit/").status_code == 403
    assert analyst.post(f"/operations/{operation.pk}/phase/", {"phase": "act"}).status_code \
        == 403
    page = analyst.get(f"/operations/{operation.pk}/").content.decode()
    assert "Reef Shark" in page and f"/operations/{operation.pk}/edit/" not in page


def test_an_admin_outside_the_compartment_finds_nothing(ops) -> None:
    operation = open_reef(ops)
    admin = _client(ops.ph_admin)
    for path in ("", "edit/", "targets/", "tasks/", "participants/", "targets/add/"):
        assert admin.get(f"/operations/{operation.pk}/{path}").status_code == 404, path
    assert admin.post(f"/operations/{operation.pk}/close/").status_code == 404
    listing = admin.get("/operations/")
    assert listing.status_code == 200
    body = listing.content.decode()
    assert "Reef Shark" not in body and operation.reference not in body
    assert "0 results" in body
    Operation.objects.get(pk=operation.pk, closed_at__isnull=True)


def test_the_list_filters_and_refuses_a_bad_value(ops) -> None:
    open_reef(ops)
    open_reef(ops, code_name="Blue Wave", crime_types=["ransomware"], countries=["FJ"])
    client = _client(ops.samoa_analyst)
    body = client.get("/operations/?crime_type=ransomware").content.decode()
    assert "Blue Wave" in body and "Reef Shark" not in body
    body = client.get("/operations/?country=WS&q=reef").content.decode()
    assert "Reef Shark" in body and "Blue Wave" not in body
    response = client.get("/operations/?phase=won")
    assert response.status_code == 400
    assert "“won” is not one of: collect, prioritise, act, evaluate." in \
        response.content.decode()


def test_the_list_reads_a_bounded_number_of_queries(ops, django_assert_max_num_queries
                                                    ) -> None:
    for n in range(12):
        open_reef(ops, code_name=f"Operation {n}")
    client = _client(ops.samoa_analyst)
    client.get("/operations/")  # session and caches warm
    with django_assert_max_num_queries(12):
        response = client.get("/operations/")
    assert response.content.decode().count("Operation 1") >= 3


def test_a_pasted_list_with_a_bad_line_names_it_and_stores_nothing(ops) -> None:
    operation = open_reef(ops)
    client = _client(ops.coordinator)
    response = client.post(f"/operations/{operation.pk}/targets/add/", {
        "targets": "domain reef-bank.top\nipv4 300.1.1.1\nperson Jane Doe"})
    assert response.status_code == 400
    assert "Line 2: " in response.content.decode()
    assert not Target.objects.exists()
    response = client.post(f"/operations/{operation.pk}/targets/add/", {
        "targets": "domain reef-bank.top\nperson Jane Doe", "note": "From the chats"})
    assert response.status_code == 302
    page = _client(ops.samoa_viewer).get(f"/operations/{operation.pk}/targets/")
    body = page.content.decode()
    assert "reef-bank.top" in body and "Jane Doe" in body and "From the chats" in body
    assert "Desk" in body and "desk_coordinator" in body


def test_tasks_are_assigned_and_moved_on_their_tab(ops) -> None:
    operation = open_reef(ops)
    response = _client(ops.coordinator).post(f"/operations/{operation.pk}/tasks/", {
        "title": "Preserve the chat logs", "assigned_to": ops.samoa_unit.pk,
        "due": "2026-12-24"})
    assert response.status_code == 302
    task = Task.objects.get()
    samoa = _client(ops.samoa_analyst)
    body = samoa.get(f"/operations/{operation.pk}/tasks/").content.decode()
    assert "Preserve the chat logs" in body and "2026-12-24" in body
    assert samoa.post(f"/operations/{operation.pk}/tasks/{task.pk}/status/",
                      {"status": "done"}).status_code == 302
    task.refresh_from_db()
    assert task.status == "done"
    list_page = samoa.get("/operations/").content.decode()
    assert "Tasks for your organisation" not in list_page
    tasks.create_task(operation, user=ops.coordinator, title="Search the flat",
                      assigned_to=ops.samoa_unit.pk)
    assert "Search the flat" in samoa.get("/operations/").content.decode()


def test_participants_page_adds_an_organisation(ops) -> None:
    operation = open_reef(ops)
    client = _client(ops.coordinator)
    response = client.post(f"/operations/{operation.pk}/participants/", {"participants": [
        ops.desk.pk, ops.fiji_unit.pk, ops.samoa_unit.pk, ops.ph_unit.pk]})
    assert response.status_code == 302
    assert _client(ops.ph_admin).get(f"/operations/{operation.pk}/").status_code == 200
    response = client.post(f"/operations/{operation.pk}/participants/", {"participants": [
        ops.desk.pk, ops.samoa_unit.pk]})
    assert response.status_code == 400
    assert "Fiji Unit leads the operation" in response.content.decode()


def test_a_coordinator_edits_and_links_through_the_pages(ops) -> None:
    from tests.products.conftest import stored
    from vaka.operations import targets

    operation = open_reef(ops)
    client = _client(ops.fiji_coordinator)
    form = client.get(f"/operations/{operation.pk}/edit/")
    assert form.status_code == 200 and "Reef Shark" in form.content.decode()
    response = client.post(f"/operations/{operation.pk}/edit/", {
        "code_name": "Reef Shark II", "objective": "Wider.", "lead": ops.fiji_unit.pk,
        "countries": ["FJ"], "distribution": "members", "tlp": "amber", "pap": "amber",
        "grading_scheme": "admiralty"})
    assert response.status_code == 302
    operation.refresh_from_db()
    assert operation.code_name == "Reef Shark II"
    assert set(operation.recipient_organisations.values_list("name", flat=True)) == {
        "Desk", "Fiji Unit", "Samoa Unit"}
    target = targets.add_targets(operation, user=ops.coordinator, targets=[
        targets.TargetInput("domain", "reef-bank.top")]).targets[0]
    obj = stored(ops.fiji_coordinator, "reef-bank.top")
    link = f"/operations/{operation.pk}/targets/{target.pk}/link/"
    assert client.get(link).status_code == 200
    assert client.post(link, {"linked": obj.stix_id}).status_code == 302
    body = _client(ops.samoa_analyst).get(f"/operations/{operation.pk}/targets/")
    assert obj.get_absolute_url() in body.content.decode()
    response = client.post(link, {"linked": "999999"})
    assert response.status_code == 400
    assert "No object you may see has the id(s) 999999." in response.content.decode()
