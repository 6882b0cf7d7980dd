"""The catalogue's pages: the catalogue and its filters, a course and a session, their
forms; outsiders get 404 and never see a course listed or counted; readers cannot edit."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from vaka.policy.markings import TLP, Distribution
from vaka.policy.models import AuditEntry
from vaka.training.models import Course, Session


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def catalogue(world):
    """Besides the world's course: an archived one, an organisation-only one of the centre
    with an upcoming session, and an online gender course in Samoan."""
    w = world
    w.archived = Course.objects.create(
        owner=w.centre, created_by=w.trainer, code="old-101", title="Retired basics",
        distribution=Distribution.MEMBERS, tlp=TLP.GREEN,
        archived_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    w.internal = Course.objects.create(
        owner=w.centre, created_by=w.trainer, code="centre-only", title="Centre induction",
        distribution=Distribution.ORGANISATION, tlp=TLP.GREEN)
    w.internal_session = Session.objects.create(
        course=w.internal, reference="TRN-2099-0001", starts=dt.date(2099, 1, 5),
        ends=dt.date(2099, 1, 6))
    w.gender = Course.objects.create(
        owner=w.centre, created_by=w.trainer, code="gender-201",
        title="Gender equality in policing", topics=["gender_equality"],
        languages=["sm", "en"], delivery="online", human_rights_gender=True,
        distribution=Distribution.MEMBERS, tlp=TLP.GREEN)
    Session.objects.create(course=w.gender, reference="TRN-2099-0002",
                           starts=dt.date(2099, 2, 1), ends=dt.date(2099, 2, 2), online=True)
    return w


def titles(response) -> list[str]:
    return [course.title for course, _n, _topics in response.context["rows"]]


def test_the_catalogue_lists_visible_courses_not_archived_ones(catalogue):
    response = client_for(catalogue.fiji_officer).get("/training/")
    assert response.status_code == 200
    assert titles(response) == ["Cybercrime investigation foundations",
                                "Gender equality in policing"]
    archived = client_for(catalogue.fiji_officer).get("/training/?archived=true")
    assert titles(archived) == ["Retired basics"]


@pytest.mark.parametrize(("query", "expected"), [
    ("q=foundations", ["Cybercrime investigation foundations"]),
    ("topic=gender_equality", ["Gender equality in policing"]),
    ("topic=digital_evidence", ["Cybercrime investigation foundations"]),
    ("delivery=online", ["Gender equality in policing"]),
    ("language=sm", ["Gender equality in policing"]),
    ("programme=blue-pacific", ["Cybercrime investigation foundations"]),
    ("human_rights_gender=true", ["Gender equality in policing"]),
    ("level=advanced", []),
])
def test_the_catalogue_filters(catalogue, query, expected):
    response = client_for(catalogue.fiji_officer).get(f"/training/?{query}")
    assert (response.status_code, titles(response)) == (200, expected)


@pytest.mark.parametrize("query", ["topic=knitting", "language=xx",
                                   "human_rights_gender=maybe"])
def test_a_bad_filter_is_a_400_naming_it(catalogue, query):
    response = client_for(catalogue.fiji_officer).get(f"/training/?{query}")
    assert response.status_code == 400
    assert query.split("=")[1] in response.content.decode()


def test_the_catalogue_counts_upcoming_sessions(catalogue):
    response = client_for(catalogue.trainer).get("/training/")
    counts = {course.code: n for course, n, _topics in response.context["rows"]}
    assert counts == {"cyber-101": 0, "centre-only": 1, "gender-201": 1}


def test_an_outsider_never_sees_an_organisation_only_course_listed_or_counted(catalogue):
    w = catalogue
    client = client_for(w.fiji_officer)
    assert "Centre induction" not in client.get("/training/").content.decode()
    sessions = client.get("/training/sessions/?when=upcoming")
    assert [s.reference for s in sessions.context["page"]] == ["TRN-2099-0002"]
    assert "TRN-2099-0001" not in sessions.content.decode()
    assert client.get(w.internal.get_absolute_url()).status_code == 404
    assert client.get(w.internal_session.get_absolute_url()).status_code == 404
    assert client.get(reverse("training:course_edit", args=[w.internal.pk])).status_code \
        == 404
    # Asking for its sessions by course id reads as no such course, like a missing id.
    hidden = client.get(f"/training/sessions/?course={w.internal.pk}")
    missing = client.get("/training/sessions/?course=999999")
    assert hidden.status_code == missing.status_code == 400
    assert (hidden.context["form"].errors["course"][0].replace(str(w.internal.pk), "ID")
            == missing.context["form"].errors["course"][0].replace("999999", "ID"))


def test_a_platform_admin_elsewhere_gets_404_on_a_course_outside_its_markings(catalogue):
    client = client_for(catalogue.ph_analyst)
    assert client.get(catalogue.internal.get_absolute_url()).status_code == 404
    assert client.get(catalogue.internal_session.get_absolute_url()).status_code == 404


def test_the_course_page_shows_its_details_rules_and_sessions(world):
    response = client_for(world.fiji_officer).get(world.course.get_absolute_url())
    page = response.content.decode()
    assert response.status_code == 200
    assert "TLP:GREEN" in page
    assert "Digital evidence" in page and "Blue Pacific" in page
    assert "Score at least 60% in the post-test." in page
    assert "TRN-2026-001" in page
    assert reverse("training:course_edit", args=[world.course.pk]) not in page


def test_a_viewer_cannot_edit_a_course_or_a_session(world):
    client = client_for(world.fiji_officer)
    for name, pk in (("course_edit", world.course.pk), ("session_create", world.course.pk),
                     ("session_edit", world.session.pk),
                     ("session_trainers", world.session.pk)):
        assert client.get(reverse(f"training:{name}", args=[pk])).status_code == 403, name
    assert client.post(reverse("training:course_archive", args=[world.course.pk])
                       ).status_code == 403
    assert client.post(reverse("training:session_cancel", args=[world.session.pk])
                       ).status_code == 403
    assert client.get(reverse("training:course_create")).status_code == 403


def test_a_trainer_creates_a_course_through_the_form(world):
    client = client_for(world.trainer)
    assert client.get(reverse("training:course_create")).status_code == 200
    response = client.post(reverse("training:course_create"), {
        "code": "tlp-101", "title": "Handling codes and TLP", "topics": ["handling_codes"],
        "level": "introductory", "languages": ["en", "fr"], "delivery": "blended",
        "programme": "blue-pacific", "gender_marker": "0", "min_attendance": "80",
        "distribution": "members", "tlp": "green", "pap": "amber",
        "grading_scheme": "admiralty"})
    course = Course.objects.get(code="tlp-101")
    assert response.status_code == 302 and response["Location"] == course.get_absolute_url()
    assert (course.owner, course.topics, course.languages) == (
        world.centre, ["handling_codes"], ["en", "fr"])
    assert AuditEntry.objects.filter(target_type="training.course",
                                     target_id=str(course.pk), action="create").exists()


def test_a_taken_code_lands_on_its_field(world):
    response = client_for(world.trainer).post(reverse("training:course_create"), {
        "code": "cyber-101", "title": "Again", "level": "introductory",
        "delivery": "in_person", "gender_marker": "0", "min_attendance": "80",
        "distribution": "members", "tlp": "green", "pap": "amber",
        "grading_scheme": "admiralty"})
    assert response.status_code == 400
    assert response.context["form"].errors["code"] == [
        "Another course already has the code “cyber-101”."]


def test_a_trainer_plans_edits_and_cancels_a_session(world):
    client = client_for(world.trainer)
    url = reverse("training:session_create", args=[world.course.pk])
    bad = client.post(url, {"starts": "2027-05-10", "ends": "2027-05-01", "capacity": "20"})
    assert bad.status_code == 400
    assert "before it starts" in bad.context["form"].errors["ends"][0]
    response = client.post(url, {"starts": "2027-05-10", "ends": "2027-05-14",
                                 "place": "Nuku'alofa", "country": "WS", "capacity": "20"})
    session = Session.objects.get(reference="TRN-2027-0001")
    assert response["Location"] == session.get_absolute_url()
    page = client.get(session.get_absolute_url()).content.decode()
    assert "20 places, 20 left" in page
    client.post(reverse("training:session_edit", args=[session.pk]), {
        "starts": "2027-05-10", "ends": "2027-05-15", "capacity": "12", "country": "WS"})
    session.refresh_from_db()
    assert (session.ends, session.capacity) == (dt.date(2027, 5, 15), 12)
    client.post(reverse("training:session_cancel", args=[session.pk]), {"reason": "Cyclone"})
    session.refresh_from_db()
    assert session.cancelled_at is not None


def test_the_session_page_shows_seats_left_and_trainers(world):
    page = client_for(world.fiji_officer).get(world.session.get_absolute_url())
    text = page.content.decode()
    assert "2 places, 0 left" in text
    # The trainer is a person of another organisation: counted, not named, to a learner
    # outside the trainer's audience.
    assert "Sione" not in text and "1 trainer of another organisation" in text
    assert "Sione Tupou" in client_for(world.trainer).get(
        world.session.get_absolute_url()).content.decode()


def test_the_trainers_form_sets_trainers(world):
    client = client_for(world.trainer)
    url = reverse("training:session_trainers", args=[world.session.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"trainers": [world.trainer_person.pk, world.external.pk]})
    assert response.status_code == 302
    assert set(world.session.trainers.all()) == {world.trainer_person, world.external}


def test_the_session_list_filters_by_country_course_and_year(catalogue):
    client = client_for(catalogue.trainer)

    def refs(query: str) -> list[str]:
        response = client.get(f"/training/sessions/?{query}")
        assert response.status_code == 200, response.content
        return sorted(s.reference for s in response.context["page"])

    assert refs("country=FJ") == ["TRN-2026-001"]
    assert refs(f"course={catalogue.gender.pk}") == ["TRN-2099-0002"]
    assert refs("year=2099") == ["TRN-2099-0001", "TRN-2099-0002"]
    assert refs("when=upcoming")[-2:] == ["TRN-2099-0001", "TRN-2099-0002"]
    assert "TRN-2099-0001" not in refs("when=past")


def test_the_navigation_leads_to_training(world):
    page = client_for(world.fiji_officer).get("/training/").content.decode()
    assert 'href="/training/" aria-current="page">Training</a>' in page


def test_the_catalogue_and_session_list_read_a_bounded_number_of_queries(
        world, django_assert_max_num_queries):
    for n in range(30):
        course = Course.objects.create(
            owner=world.centre, created_by=world.trainer, code=f"course-{n}",
            title=f"Course {n}", distribution=Distribution.MEMBERS, tlp=TLP.GREEN,
            programme=world.programme)
        Session.objects.create(course=course, reference=f"TRN-2099-{n + 100:04d}",
                               starts=dt.date(2099, 1, 1), ends=dt.date(2099, 1, 2),
                               country=world.officer.country)
    client = client_for(world.fiji_officer)
    client.get("/training/")  # the session and caches warmed: 9 queries a page after
    with django_assert_max_num_queries(10):
        assert client.get("/training/").status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get("/training/sessions/").status_code == 200
