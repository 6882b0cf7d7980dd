"""The participants' and enrolments' pages: lists and a person's page only for their
audience (404 otherwise, never listed), the session's enrolments and waiting list,
enrolling with the waiting list's message, the attendance sheet, scores and completion,
duplicates and merging."""

import datetime as dt

from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY

from tests.factories import confirmed_totp
from vaka.directory.models import User
from vaka.training.models import Attendance, Enrolment, Participant


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    if user.requires_two_factor:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = confirmed_totp(user).persistent_id
        session.save()
    return client


def text(response) -> str:
    return response.content.decode()


def test_the_list_shows_only_the_people_the_reader_sees(world):
    w = world
    page = text(client_for(w.fiji_admin).get(reverse("training:participants")))
    assert "Mere Vula" in page and "Tavita" not in page
    page = text(client_for(w.trainer).get(reverse("training:participants") + "?q=leota"))
    assert "Tavita Leota" in page and "Mere Vula" not in page
    page = text(client_for(w.ph_admin).get(reverse("training:participants")))
    assert "Vula" not in page and "Leota" not in page and "0 results" in page
    bad = client_for(w.trainer).get(reverse("training:participants") + "?gender=robot")
    assert bad.status_code == 400


def test_a_person_is_404_outside_their_audience(world):
    w = world
    url = reverse("training:participant", args=[w.officer.pk])
    page = client_for(w.trainer).get(url)
    assert page.status_code == 200 and "TRN-2026-001" in text(page)
    for outsider in (w.ph_admin, w.samoa_analyst):
        assert client_for(outsider).get(url).status_code == 404
        assert client_for(outsider).get(
            reverse("training:participant_edit", args=[w.officer.pk])).status_code == 404


def test_the_session_page_lists_the_enrolled_and_the_waiting_list(world):
    w = world
    waiting = Participant.objects.create(given_name="Ana", family_name="Waiting",
                                         organisation=w.centre, country=w.external.country)
    Enrolment.objects.create(participant=waiting, session=w.session, status="waitlisted")
    url = reverse("training:session", args=[w.session.pk])
    page = text(client_for(w.trainer).get(url))
    assert "Mere Vula" in page and "Tavita Leota" in page and "Ana Waiting" in page
    assert "Waiting list" in page
    page = text(client_for(w.fiji_admin).get(url))
    assert "Mere Vula" in page and "Tavita" not in page and "Ana Waiting" not in page


def test_enrolling_beyond_capacity_says_the_place_on_the_waiting_list(world):
    w = world
    person = Participant.objects.create(given_name="Ana", family_name="Late",
                                        organisation=w.centre, country=w.external.country)
    response = client_for(w.trainer).post(
        reverse("training:session_enrol", args=[w.session.pk]), {"participant": person.pk},
        follow=True)
    assert "is on the waiting list, number 1" in text(response)
    assert Enrolment.objects.get(participant=person).status == "waitlisted"


def test_an_org_admin_cannot_enrol_another_organisations_person(world):
    w = world
    response = client_for(w.fiji_admin).post(
        reverse("training:session_enrol", args=[w.session.pk]), {"participant": w.external.pk})
    assert response.status_code == 404
    assert Enrolment.objects.filter(participant=w.external).count() == 1


def test_the_attendance_sheet_records_a_day_and_refuses_other_days(world):
    w = world
    url = reverse("training:session_attendance", args=[w.session.pk])
    trainer = client_for(w.trainer)
    assert "Mere Vula" in text(trainer.get(url))
    response = trainer.post(url, {"day": "2026-11-03", "present": [w.enrolment.pk]})
    assert response.status_code == 302
    assert Attendance.objects.get(enrolment=w.enrolment).present
    response = trainer.post(url, {"day": "2026-11-09", "present": [w.enrolment.pk]})
    assert response.status_code == 400 and "is not a day of session" in text(response)
    assert client_for(w.fiji_officer).get(url).status_code == 403
    assert client_for(w.ph_admin).get(url).status_code in (403, 404)


def test_scores_are_checked_by_field_and_completion_set(world):
    w = world
    url = reverse("training:session_scores", args=[w.session.pk])
    trainer = client_for(w.trainer)
    e, x = w.enrolment.pk, w.external_enrolment.pk
    response = trainer.post(url, {f"{e}-pre_score": "120", f"{e}-post_score": "70",
                                  f"{x}-pre_score": "", f"{x}-post_score": ""})
    assert response.status_code == 400 and "from 0 to 100" in text(response)
    response = trainer.post(url, {f"{e}-pre_score": "40", f"{e}-post_score": "70",
                                  f"{x}-pre_score": "", f"{x}-post_score": ""})
    assert response.status_code == 302
    for day in range(5):
        Attendance.objects.create(enrolment=w.enrolment,
                                  day=w.session.starts + dt.timedelta(days=day))
    trainer.post(reverse("training:enrolment_completion", args=[e]), {"completion": ""})
    w.enrolment.refresh_from_db()
    assert w.enrolment.completion == "pass"


def test_duplicates_are_listed_and_merged(world):
    w = world
    duplicate = Participant.objects.create(given_name="mere", family_name="vula",
                                           organisation=w.fiji_unit,
                                           country=w.officer.country)
    admin = client_for(w.fiji_admin)
    page = text(admin.get(reverse("training:participant_duplicates")))
    assert "Same name and organisation" in page
    response = admin.post(reverse("training:participant_merge"),
                          {"keep": w.officer.pk, "duplicate": duplicate.pk})
    assert response.status_code == 302
    duplicate.refresh_from_db()
    assert duplicate.merged_into == w.officer
    listed = text(admin.get(reverse("training:participants")))
    assert duplicate.get_absolute_url() not in listed and w.officer.get_absolute_url() in listed


def test_creating_a_person_from_the_session_enrols_them(world):
    w = world
    response = client_for(w.trainer).post(
        reverse("training:participant_create") + f"?session={w.session.pk}",
        {"given_name": "Litia", "family_name": "Nai", "organisation": w.fiji_unit.pk,
         "country": w.officer.country.pk, "gender": "female", "session": w.session.pk})
    assert response.status_code == 302
    person = Participant.objects.get(given_name="Litia")
    assert Enrolment.objects.get(participant=person).session == w.session


def test_in_arabic_participants_are_the_people_trained_not_participating_bodies(world):
    # "Participants" alone is, in Arabic, the organisations taking part (operations).
    User.objects.filter(pk=world.trainer.pk).update(language="ar")
    world.trainer.refresh_from_db()
    client = client_for(world.trainer)
    session = text(client.get(reverse("training:session", args=[world.session.pk]),
                              HTTP_ACCEPT_LANGUAGE="ar"))
    assert '<h2 class="h5 mb-0">المتدربون</h2>' in session
    people = text(client.get(reverse("training:participants"), HTTP_ACCEPT_LANGUAGE="ar"))
    assert '<h1 class="h3 mb-0">المتدربون</h1>' in people
    assert "الجهات المشاركة" not in session + people


def test_a_programme_coordinator_finds_the_participants_in_the_training_menu(world):
    """A coordinator (no train or manage-users capability) sees the people of the
    programme's sessions, and the sub-navigation leads there; an analyst's does not."""
    w = world
    url = reverse("training:participants")
    menu = client_for(w.coordinator).get(reverse("training:sessions")).content.decode()
    assert f'href="{url}"' in menu
    assert "Vula" in text(client_for(w.coordinator).get(url))
    analyst = client_for(w.samoa_analyst).get(reverse("training:sessions")).content.decode()
    assert f'href="{url}"' not in analyst
