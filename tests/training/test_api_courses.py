"""Courses and sessions through the REST API: written through the services, refused by
field, 404 outside the audience, lists in a bounded number of queries."""

import datetime as dt

import pytest

from tests.conftest import api_client_for as api
from vaka.policy.markings import TLP, Distribution
from vaka.training.models import Course, Module, Question, Quiz, Session


def test_a_trainer_creates_a_course_with_markings_and_the_catalogue_lists_it(world):
    client = api(world.trainer)
    response = client.post("/api/training/courses/", {
        "code": "HR-201", "title": "Human rights in policing", "topics": ["human_rights"],
        "languages": ["en", "sm"], "programme": "blue-pacific", "human_rights_gender": True,
        "gender_marker": 2, "distribution": "members", "tlp": "green"}, format="json")
    assert response.status_code == 201, response.data
    assert response.data["code"] == "hr-201"  # normalised by the service
    assert response.data["tlp"] == "green" and response.data["programme"] == "blue-pacific"
    course = Course.objects.get(code="hr-201")
    assert course.owner == world.centre and course.gender_marker == 2
    listing = api(world.fiji_officer).get("/api/training/courses/", {"topic": "human_rights"})
    assert [row["id"] for row in listing.data["results"]] == [course.pk]


def test_course_errors_are_keyed_by_field(world):
    response = api(world.trainer).post("/api/training/courses/", {
        "code": "cyber-101", "title": "", "languages": ["xx"], "min_attendance": 120},
        format="json")
    assert response.status_code == 400
    assert {"code", "title", "languages", "min_attendance"} <= set(response.data)
    assert "cyber-101" in str(response.data["code"])


def test_a_reader_may_not_create_or_change_a_course(world):
    client = api(world.fiji_officer)
    assert client.post("/api/training/courses/", {"code": "x", "title": "X"},
                       format="json").status_code == 403
    response = client.patch(f"/api/training/courses/{world.course.pk}/", {"title": "Mine"},
                            format="json")
    assert response.status_code == 403
    world.course.refresh_from_db()
    assert world.course.title == "Cybercrime investigation foundations"


def test_a_manager_patches_a_course_and_archives_it(world):
    response = api(world.trainer).patch(f"/api/training/courses/{world.course.pk}/", {
        "title": "Foundations", "archived": True}, format="json")
    assert response.status_code == 200, response.data
    assert response.data["title"] == "Foundations" and response.data["archived_at"]
    world.course.refresh_from_db()
    assert world.course.tlp == TLP.GREEN  # markings left out keep their values
    assert world.course.distribution == Distribution.MEMBERS


def test_a_red_course_is_404_for_everyone_outside_its_audience(world):
    world.course.tlp = TLP.RED
    world.course.save()
    for user in (world.fiji_officer, world.ph_admin):
        client = api(user)
        base = f"/api/training/courses/{world.course.pk}/"
        assert client.get(base).status_code == 404
        assert client.get(f"{base}outline/").status_code == 404
        assert client.patch(base, {"title": "x"}, format="json").status_code == 404
        assert client.get(f"/api/training/sessions/{world.session.pk}/").status_code == 404
        assert client.post(f"/api/training/sessions/{world.session.pk}/cancel/",
                           {}, format="json").status_code == 404
        assert client.get("/api/training/courses/").data["count"] == 0


def _quiz(world) -> Quiz:
    module = Module.objects.create(course=world.course, title="Evidence", position=1)
    module.lessons.create(title="Seizing a phone")
    quiz = Quiz.objects.create(module=module, title="Check")
    Question.objects.create(quiz=quiz, kind="single", text="Bag it?", choices=[
        {"text": "Yes", "correct": True}, {"text": "No", "correct": False}])
    Question.objects.create(quiz=quiz, kind="short", text="Faraday what?",
                            accepted=["bag"])
    return quiz


def test_the_outline_gives_the_answer_key_to_managers_only(world):
    _quiz(world)
    url = f"/api/training/courses/{world.course.pk}/outline/"
    learner = api(world.fiji_officer).get(url)
    assert learner.status_code == 200
    [module] = learner.data
    assert module["lessons"][0]["title"] == "Seizing a phone"
    single, short = module["quizzes"][0]["questions"]
    assert single["choices"] == [{"text": "Yes"}, {"text": "No"}]
    assert short["accepted"] is None
    assert "bag" not in str(learner.data) and "correct" not in str(learner.data)
    manager = api(world.trainer).get(url).data[0]["quizzes"][0]["questions"]
    assert manager[0]["choices"][0] == {"text": "Yes", "correct": True}
    assert manager[1]["accepted"] == ["bag"]


def test_a_session_is_created_with_trainers_and_numbered(world):
    response = api(world.trainer).post("/api/training/sessions/", {
        "course": world.course.pk, "starts": "2027-02-01", "ends": "2027-02-03",
        "country": "ws", "place": "Apia", "capacity": 10,
        "trainers": [world.trainer_person.pk]}, format="json")
    assert response.status_code == 201, response.data
    assert response.data["reference"].startswith("TRN-2027-")
    assert response.data["country"] == "WS"
    assert [t["id"] for t in response.data["trainers"]] == [world.trainer_person.pk]


def test_a_session_refused_with_its_trainers_leaves_nothing(world):
    response = api(world.trainer).post("/api/training/sessions/", {
        "course": world.course.pk, "starts": "2027-02-01", "ends": "2027-02-03",
        "trainers": [99999]}, format="json")
    assert response.status_code == 400 and "trainers" in response.data
    assert not Session.objects.filter(starts=dt.date(2027, 2, 1)).exists()


def test_session_errors_are_keyed_by_field(world):
    response = api(world.trainer).post("/api/training/sessions/", {
        "course": world.course.pk, "starts": "2027-02-03", "ends": "2027-02-01",
        "country": "ZZ"}, format="json")
    assert response.status_code == 400
    assert {"ends", "country"} <= set(response.data)


def test_a_session_of_a_course_you_cannot_see_reads_as_unknown(world):
    world.course.tlp = TLP.RED
    world.course.save()
    response = api(world.ph_admin).post("/api/training/sessions/", {
        "course": world.course.pk, "starts": "2027-02-01", "ends": "2027-02-03"},
        format="json")
    unknown = api(world.ph_admin).post("/api/training/sessions/", {
        "course": 999999, "starts": "2027-02-01", "ends": "2027-02-03"}, format="json")
    assert response.status_code == unknown.status_code == 400
    assert str(response.data).replace(str(world.course.pk), "N") == str(
        unknown.data).replace("999999", "N")


def test_a_session_hides_trainers_the_reader_may_not_see_as_people(world):
    data = api(world.samoa_analyst).get(f"/api/training/sessions/{world.session.pk}/").data
    assert data["trainers"] == [] and data["hidden_trainers"] == 1
    assert data["seats_taken"] == 2


def test_the_session_list_takes_the_pages_filters(world):
    client = api(world.fiji_officer)
    assert client.get("/api/training/sessions/", {"country": "FJ"}).data["count"] == 1
    assert client.get("/api/training/sessions/", {"country": "WS"}).data["count"] == 0
    refused = client.get("/api/training/sessions/", {"when": "someday"})
    assert refused.status_code == 400 and "when" in refused.data


def test_cancel_through_the_api(world):
    response = api(world.trainer).post(f"/api/training/sessions/{world.session.pk}/cancel/",
                                       {"reason": "Cyclone"}, format="json")
    assert response.status_code == 200 and response.data["cancelled_at"]


@pytest.mark.parametrize("path", ["courses", "sessions"])
def test_the_lists_read_a_bounded_number_of_queries(world, path,
                                                    django_assert_max_num_queries):
    for n in range(12):
        course = Course.objects.create(
            owner=world.centre, created_by=world.trainer, code=f"c-{n}", title=f"C {n}",
            distribution=Distribution.MEMBERS, tlp=TLP.GREEN)
        session = Session.objects.create(course=course, reference=f"TRN-2026-9{n:03d}",
                                         starts=dt.date(2026, 12, 1),
                                         ends=dt.date(2026, 12, 2))
        session.trainers.add(world.trainer_person)
    client = api(world.fiji_officer)
    with django_assert_max_num_queries(12):
        response = client.get(f"/api/training/{path}/")
    assert response.status_code == 200 and response.data["count"] == 13
