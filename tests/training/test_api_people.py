"""Participants, enrolments, certificates and the statistics through the REST API: written
through the services, the waiting list's message, personal data only where the policy
lets it be seen, 404 outside the audience, lists in a bounded number of queries."""

import datetime as dt
import io
from contextlib import redirect_stderr

import pytest
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator

from tests.conftest import api_client_for as api
from vaka.policy.markings import TLP
from vaka.training.models import Certificate, Enrolment, Participant


def test_an_org_admin_adds_a_person_of_their_organisation(world):
    response = api(world.fiji_admin).post("/api/training/participants/", {
        "given_name": "Ana", "family_name": "Rokodi", "organisation": world.fiji_unit.pk,
        "country": "FJ", "gender": "female", "email": "ana@police.example.fj"},
        format="json")
    assert response.status_code == 201, response.data
    assert Participant.objects.get(pk=response.data["id"]).created_by == world.fiji_admin


def test_participant_errors_are_keyed_by_field(world):
    response = api(world.fiji_admin).post("/api/training/participants/", {
        "given_name": "Ana", "family_name": "", "organisation": world.fiji_unit.pk,
        "country": "ZZ", "email": "not-an-address"}, format="json")
    assert response.status_code == 400
    assert "country" in response.data
    response = api(world.fiji_admin).post("/api/training/participants/", {
        "given_name": "Ana", "family_name": "", "organisation": world.fiji_unit.pk,
        "country": "FJ", "email": "not-an-address"}, format="json")
    assert response.status_code == 400
    assert {"family_name", "email"} <= set(response.data)


def test_people_are_listed_only_where_the_policy_lets_them_be_seen(world):
    rows = api(world.samoa_analyst).get("/api/training/participants/").data["results"]
    assert [row["id"] for row in rows] == [world.external.pk]
    coordinator = api(world.coordinator).get("/api/training/participants/",
                                             {"gender": "female"})
    assert [row["id"] for row in coordinator.data["results"]] == [world.officer.pk]
    refused = api(world.coordinator).get("/api/training/participants/", {"gender": "x"})
    assert refused.status_code == 400 and "gender" in refused.data


def test_a_person_outside_the_audience_is_404(world):
    client = api(world.ph_admin)
    base = f"/api/training/participants/{world.officer.pk}/"
    assert client.get(base).status_code == 404
    assert client.patch(base, {"rank": "x"}, format="json").status_code == 404
    assert "Vula" not in str(client.get("/api/training/participants/").data)


def test_a_trainer_edits_a_person(world):
    response = api(world.trainer).patch(f"/api/training/participants/{world.external.pk}/",
                                        {"rank": "Sergeant"}, format="json")
    assert response.status_code == 200, response.data
    world.external.refresh_from_db()
    assert world.external.rank == "Sergeant"


def test_enrolment_beyond_capacity_is_201_waitlisted_with_the_message(world):
    person = Participant.objects.create(given_name="Losa", family_name="Fa",
                                        organisation=world.fiji_unit,
                                        country=world.officer.country)
    response = api(world.fiji_admin).post("/api/training/enrolments/", {
        "session": world.session.pk, "participant": person.pk}, format="json")
    assert response.status_code == 201, response.data
    assert response.data["status"] == "waitlisted"
    assert "waiting list, number 1" in response.data["message"]


def test_withdraw_promotes_the_first_waiting(world):
    waiting = Enrolment.objects.create(
        participant=Participant.objects.create(
            given_name="Losa", family_name="Fa", organisation=world.fiji_unit,
            country=world.officer.country), session=world.session, status="waitlisted")
    response = api(world.fiji_officer).post(
        f"/api/training/enrolments/{world.enrolment.pk}/withdraw/", format="json")
    assert response.status_code == 200, response.data
    assert response.data["withdrawn"]["status"] == "withdrawn"
    assert response.data["promoted"] == waiting.pk


def test_self_enrolment_where_open(world):
    world.session.self_enrolment = True
    world.session.capacity = 5
    world.session.ends = dt.date(2099, 1, 1)
    world.session.save()
    response = api(world.samoa_analyst).post("/api/training/enrolments/", {
        "session": world.session.pk}, format="json")
    assert response.status_code == 201, response.data
    assert response.data["status"] == "enrolled" and response.data["source"] == "self"


def test_scores_and_completion_issue_the_certificate(world):
    world.course.pass_mark = None
    world.course.min_attendance = 0
    world.course.save()
    client = api(world.trainer)
    url = f"/api/training/enrolments/{world.enrolment.pk}/"
    response = client.post(f"{url}scores/", {"pre_score": "40", "post_score": 85},
                           format="json")
    assert response.status_code == 200, response.data
    assert response.data["pre_score"] == "40.00"
    refused = client.post(f"{url}scores/", {"post_score": 150}, format="json")
    assert refused.status_code == 400 and "post_score" in refused.data
    done = client.post(f"{url}completion/", {}, format="json")
    assert done.status_code == 200 and done.data["completion"] == "complete"
    assert done.data["certificate"] == Certificate.objects.get(enrolment=world.enrolment).pk


def test_a_reader_may_not_score(world):
    response = api(world.fiji_admin).post(
        f"/api/training/enrolments/{world.enrolment.pk}/scores/", {"post_score": 90},
        format="json")
    assert response.status_code == 403


def test_enrolments_outside_the_audience_are_404_on_every_route(world):
    client = api(world.ph_admin)
    url = f"/api/training/enrolments/{world.enrolment.pk}/"
    assert client.get(url).status_code == 404
    for name in ("withdraw", "scores", "completion"):
        assert client.post(f"{url}{name}/", {}, format="json").status_code == 404, name
    assert client.get("/api/training/enrolments/").data["count"] == 0
    world.enrolment.refresh_from_db()
    assert world.enrolment.status == "enrolled"


def test_an_enrolment_in_a_hidden_session_reads_as_an_unknown_one(world):
    world.course.tlp = TLP.RED
    world.course.save()
    client = api(world.fiji_admin)
    hidden = client.post("/api/training/enrolments/", {
        "session": world.session.pk, "participant": world.officer.pk}, format="json")
    unknown = client.post("/api/training/enrolments/", {
        "session": 999999, "participant": world.officer.pk}, format="json")
    assert hidden.status_code == unknown.status_code == 400
    assert hidden.data == unknown.data


def test_certificates_revoked_with_a_reason_kept_for_managers(world):
    world.enrolment.completion = "complete"
    world.enrolment.save()
    cert = Certificate.objects.create(enrolment=world.enrolment, name="Mere Vula",
                                      course_title="Cyber", completed_on="2026-11-06")
    refused = api(world.trainer).post(f"/api/training/certificates/{cert.pk}/revoke/",
                                      {"reason": ""}, format="json")
    assert refused.status_code == 400 and "reason" in refused.data
    response = api(world.trainer).post(f"/api/training/certificates/{cert.pk}/revoke/",
                                       {"reason": "Issued in error"}, format="json")
    assert response.status_code == 200, response.data
    assert response.data["revoked_reason"] == "Issued in error"
    officer = api(world.fiji_officer).get(f"/api/training/certificates/{cert.pk}/")
    assert officer.data["revoked_at"] and officer.data["revoked_reason"] == ""
    outsider = api(world.ph_admin)
    assert outsider.get(f"/api/training/certificates/{cert.pk}/").status_code == 404
    assert outsider.post(f"/api/training/certificates/{cert.pk}/revoke/",
                         {"reason": "x"}, format="json").status_code == 404


def test_statistics_count_only_what_the_reader_sees(world):
    world.course.pass_mark = None
    world.course.save()
    fiji = api(world.fiji_admin).get("/api/training/statistics/").data
    assert fiji["enrolments"] == 1 and fiji["by_gender"] == {"female": 1}
    coordinator = api(world.coordinator).get("/api/training/statistics/",
                                             {"programme": "blue-pacific"}).data
    assert coordinator["people"] == 2
    assert api(world.ph_admin).get("/api/training/statistics/").data["people"] == 0
    refused = api(world.coordinator).get("/api/training/statistics/", {"since": "May"})
    assert refused.status_code == 400 and "since" in refused.data


@pytest.mark.parametrize("path", ["participants", "enrolments", "certificates"])
def test_the_lists_read_a_bounded_number_of_queries(world, path,
                                                    django_assert_max_num_queries):
    for n in range(12):
        person = Participant.objects.create(
            given_name=f"P{n}", family_name="Fa", organisation=world.fiji_unit,
            country=world.officer.country)
        enrolment = Enrolment.objects.create(participant=person, session=world.session,
                                             completion="complete")
        Certificate.objects.create(enrolment=enrolment, name="x", course_title="x",
                                   completed_on="2026-11-06")
    client = api(world.coordinator)
    with django_assert_max_num_queries(12):
        response = client.get(f"/api/training/{path}/")
    assert response.status_code == 200 and response.data["count"] >= 12


def test_the_training_schema_generates_without_warnings(db):
    GENERATOR_STATS.reset()
    with redirect_stderr(io.StringIO()):
        schema = SchemaGenerator().get_schema(request=None, public=True)
    training = {path for path in schema["paths"] if path.startswith("/api/training/")}
    assert len(training) >= 12
    problems = [*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache]
    assert not [p for p in problems if "training" in p.lower()], problems
