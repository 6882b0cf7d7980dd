from tests.factories import make_note
from vaka.intel.models import Note
from vaka.policy.models import AuditEntry


def test_red_note_is_404_for_same_org_user_not_named(region, api_for, client):
    note = make_note(region.analyst_a, title="Informant details", tlp="red",
                     recipients=[region.viewer_a])
    for user, status in ((region.analyst_a, 200), (region.viewer_a, 200),
                         (region.colleague_a, 404), (region.analyst_b, 404)):
        assert api_for(user).get(f"/api/notes/{note.pk}/").status_code == status, user
        client.force_login(user)
        assert client.get(f"/intel/notes/{note.pk}/").status_code == status, user


def test_api_creates_a_note_with_markings(region, api_for):
    response = api_for(region.analyst_a).post("/api/notes/", {
        "title": "BEC wave", "body": "Invoices from look-alike domains.",
        "distribution": "communities", "communities": ["Unit A and CERT"], "tlp": "amber",
        "pap": "green", "handling": ["no-evidence"],
        "grading": {"scheme": "admiralty", "source": "B", "information": "2"},
    }, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["owner_name"] == "Unit A"
    assert body["created_by"] == "analyst_a"
    assert body["recipient_organisations"] == [region.cert.pk]  # resolved from the community
    assert body["grading"]["code"] == "B2"
    assert api_for(region.cert_user).get(f"/api/notes/{body['id']}/").status_code == 200
    assert api_for(region.analyst_b).get(f"/api/notes/{body['id']}/").status_code == 404


def test_api_rejects_bad_markings_per_field_and_stores_nothing(region, api_for):
    response = api_for(region.analyst_a).post("/api/notes/", {
        "title": "x", "distribution": "public", "tlp": "amber", "communities": ["Nope"],
        "grading": {"scheme": "europol4x4", "source": "F"}}, format="json")
    assert response.status_code == 400
    assert "communities" in response.json()
    response = api_for(region.analyst_a).post("/api/notes/", {
        "title": "x", "distribution": "public", "tlp": "amber",
        "grading": {"scheme": "europol4x4", "source": "F"}}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"tlp", "grading_source"}
    assert Note.objects.count() == 0


def test_viewers_cannot_create_notes(region, api_for):
    response = api_for(region.viewer_a).post("/api/notes/", {"title": "x"}, format="json")
    assert response.status_code == 403
    assert Note.objects.count() == 0


def test_api_list_filters_and_searches_within_what_is_visible(region, api_for):
    make_note(region.analyst_a, title="Ransomware in hospitals", tlp="green",
              distribution="members")
    make_note(region.analyst_a, title="Ransomware internal", tlp="amber")
    outsider = api_for(region.analyst_b)
    body = outsider.get("/api/notes/", {"search": "ransomware"}).json()
    assert [n["title"] for n in body["results"]] == ["Ransomware in hospitals"]
    assert outsider.get("/api/notes/", {"tlp": "amber"}).json()["count"] == 0
    assert api_for(region.colleague_a).get("/api/notes/", {"tlp": "amber"}).json()["count"] == 1


def test_only_owner_contributors_edit_and_delete(region, api_for):
    note = make_note(region.analyst_a, title="Shared", tlp="green", distribution="members")
    assert api_for(region.analyst_b).patch(f"/api/notes/{note.pk}/", {"title": "hijacked"},
                                           format="json").status_code == 403
    assert api_for(region.viewer_a).delete(f"/api/notes/{note.pk}/").status_code == 403
    colleague = api_for(region.colleague_a)
    response = colleague.patch(f"/api/notes/{note.pk}/", {"title": "Shared v2"}, format="json")
    assert response.status_code == 200
    assert response.json()["tlp"] == "green"  # partial update keeps the markings
    assert AuditEntry.objects.filter(action="update", target_id=str(note.pk)).get().detail[
        "changed"] == ["title"]
    assert colleague.delete(f"/api/notes/{note.pk}/").status_code == 204
    assert not Note.objects.exists()
    assert AuditEntry.objects.filter(action="delete", target_id=str(note.pk)).exists()


def test_note_form_creates_a_red_note_for_a_named_recipient(region, client):
    client.force_login(region.analyst_a)
    assert client.get("/intel/notes/new/").status_code == 200
    response = client.post("/intel/notes/new/", {
        "title": "Source identity", "body": "…", "tlp": "red", "distribution": "organisation",
        "recipients": [region.viewer_a.pk], "pap": "red", "grading_scheme": "admiralty",
        "grading_source": "admiralty:A", "grading_information": "admiralty:1"})
    note = Note.objects.get()
    assert response["Location"] == f"/intel/notes/{note.pk}/"
    assert set(note.recipients.all()) == {region.analyst_a, region.viewer_a}
    assert note.grading_code == "A1"
    page = client.get(response["Location"]).content.decode()
    assert "TLP:RED" in page and "Source identity" in page


def test_note_form_shows_field_errors_and_stores_nothing(region, client):
    client.force_login(region.analyst_a)
    response = client.post("/intel/notes/new/", {
        "title": "", "tlp": "red", "distribution": "organisation", "pap": "amber",
        "grading_scheme": "uk3x5x2", "grading_source": "admiralty:A"})
    form = response.context["form"]
    assert "title" in form.errors
    response = client.post("/intel/notes/new/", {
        "title": "T", "tlp": "red", "distribution": "organisation", "pap": "amber",
        "grading_scheme": "uk3x5x2", "grading_source": "admiralty:A"})
    errors = response.context["form"].errors
    assert errors["recipients"] == ["TLP:RED needs at least one named recipient."]
    assert errors["grading_source"] == ["This code belongs to another grading scheme."]
    assert Note.objects.count() == 0


def test_note_form_errors_come_in_the_users_language(region, client):
    region.analyst_a.language = "fr"
    region.analyst_a.save()
    client.force_login(region.analyst_a)
    response = client.post("/intel/notes/new/", {
        "title": "T", "tlp": "green", "distribution": "public", "pap": "amber",
        "grading_scheme": "admiralty"})
    assert response.context["form"].errors["tlp"] == [
        "La diffusion publique exige TLP:CLEAR."]
