"""A Moodle CSV export imported into a session: every bad line named by line and field,
nothing stored by the preview, the valid lines stored all together when the user keeps
them, people matched by e-mail only among those the importer sees."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from vaka.directory.models import Country
from vaka.policy.models import AuditEntry
from vaka.training import moodle
from vaka.training.models import Completion, Enrolment, Participant

CSV = """username,firstname,lastname,email,course,timecompleted,grade
jnaidu,Jone,Naidu,jone.naidu@police.example.fj,cyber-101,2026-11-06,75
atora,Asena,Tora,asena@police.example.fj,cyber-101,,
tleota,Tavita,Leota,TAVITA@police.example.ws,cyber-101,1793750400,55
bad1,Sala,Ratu,not-an-email,cyber-101,2026-11-06,80
bad2,,Koroi,koroi@police.example.fj,cyber-101,,
bad3,Litia,Vuki,litia@police.example.fj,no-such-course,,
bad4,Mika,Tui,mika@police.example.fj,cyber-101,31/31/2026,
"""


@pytest.fixture
def w(world):
    world.session.capacity = 20
    world.session.save()
    return world


def counts():
    """People, enrolments and the audit entries of writes (a sign-in is audited too)."""
    return (Participant.objects.count(), Enrolment.objects.count(),
            AuditEntry.objects.filter(action__in=["create", "enrol", "completion",
                                                  "test_scores", "training_import"]).count())


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_every_bad_line_is_named_by_line_and_field(w):
    result = moodle.preview(w.trainer, w.session, w.fiji_unit, CSV)
    assert [(p.line, p.field) for p in result.problems] == [
        (5, "email"), (6, "firstname"), (7, "course"), (8, "completed")]
    assert "not-an-email" in result.problems[0].message
    assert "no-such-course" in result.problems[2].message
    assert [row.line for row in result.valid] == [2, 3, 4]


def test_a_missing_name_column_is_reported_on_the_header():
    rows, problems, _ = moodle.read("username,email\nx,x@example.org\n")
    assert rows == [] and problems[0].line == 1 and problems[0].field == "header"


def test_moodle_dates_grades_and_semicolons_are_read():
    rows, problems, _ = moodle.read(
        "\ufeffFirst name;Surname;Email address;Course complete;Course total\n"
        "Ana;Lee;ana@example.org;Friday, 6 November 2026, 4:05 PM;81,5 %\n")
    assert problems == []
    assert rows[0].completed == dt.date(2026, 11, 6) and rows[0].grade == Decimal("81.5")


def test_the_preview_stores_nothing(w):
    before = counts()
    moodle.preview(w.trainer, w.session, w.fiji_unit, CSV)
    response = client_for(w.trainer).post("/training/import/moodle/", {
        "session": w.session.pk, "organisation": w.fiji_unit.pk, "content": CSV})
    assert response.status_code == 200
    assert b"Import the 3 valid lines" in response.content
    assert b"not-an-email" in response.content
    assert counts() == before


def test_keeping_the_valid_lines_stores_exactly_them(w):
    before_people = set(Participant.objects.values_list("pk", flat=True))
    response = client_for(w.trainer).post("/training/import/moodle/", {
        "session": w.session.pk, "organisation": w.fiji_unit.pk, "content": CSV,
        "confirm": "1"})
    assert response.status_code == 302
    new = Participant.objects.exclude(pk__in=before_people)
    assert sorted(p.email for p in new) == ["asena@police.example.fj",
                                            "jone.naidu@police.example.fj"]
    assert all(p.organisation == w.fiji_unit for p in new)
    jone = Enrolment.objects.get(participant__email="jone.naidu@police.example.fj")
    assert (jone.source, jone.completion, jone.post_score) == ("moodle", Completion.PASS,
                                                               Decimal(75))
    assert jone.completed_at.date() == dt.date(2026, 11, 6)
    asena = Enrolment.objects.get(participant__email="asena@police.example.fj")
    assert (asena.source, asena.completion) == ("moodle", Completion.INCOMPLETE)
    # Tavita was known (by e-mail, any case) and already enrolled: his completion only.
    tavita = Enrolment.objects.get(pk=w.external_enrolment.pk)
    assert tavita.completion == Completion.FAIL  # 55 < the pass mark, 60
    assert tavita.completed_at.date() == dt.date(2026, 11, 4)
    entry = AuditEntry.objects.filter(action="training_import").get()
    assert entry.detail["imported"] == 3 and entry.detail["left_out"] == 4
    # The new people's enrolments are written, and audited, as the import's.
    enrolled = AuditEntry.objects.filter(action="enrol", detail__participant__in=[
        jone.participant_id, asena.participant_id])
    assert [e.detail["source"] for e in enrolled] == ["moodle", "moodle"]


def test_a_hidden_persons_email_makes_a_new_record_and_reveals_nothing(w):
    hidden = Participant.objects.create(
        given_name="Jone", family_name="Naidu", email="jone.naidu@police.example.fj",
        organisation=w.ph_unit, country=Country.objects.get(code="PH"))
    result = moodle.preview(w.trainer, w.session, w.fiji_unit, CSV)
    assert result.valid[0].person is None  # shown as a new person
    moodle.import_rows(w.trainer, w.session, w.fiji_unit, CSV)
    made = Participant.objects.filter(email="jone.naidu@police.example.fj").exclude(
        pk=hidden.pk).get()
    assert made.organisation == w.fiji_unit
    assert not Enrolment.objects.filter(participant=hidden).exists()


def test_a_refusal_on_one_line_stores_nothing(w):
    w.session.cancelled_at = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
    w.session.save()
    before = counts()
    with pytest.raises(Exception, match="Line 2"):
        moodle.import_rows(w.trainer, w.session, w.fiji_unit, CSV)
    assert counts() == before


def test_only_the_course_trainers_or_the_peoples_admin_import(w):
    with pytest.raises(PermissionDenied):
        moodle.preview(w.ph_analyst, w.session, w.ph_unit, CSV)
    assert client_for(w.ph_analyst).post("/training/import/moodle/", {
        "session": w.session.pk, "organisation": w.ph_unit.pk,
        "content": CSV}).status_code == 400  # the session is not one they may choose


def test_the_page_reads_an_uploaded_file_and_carries_it_to_the_confirmation(w):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(w.trainer)
    assert client.get("/training/import/moodle/").status_code == 200
    response = client.post("/training/import/moodle/", {
        "session": w.session.pk, "organisation": w.fiji_unit.pk,
        "file": SimpleUploadedFile("export.csv", CSV.encode("utf-8-sig"))})
    assert response.status_code == 200
    assert response.context["content"] == CSV
    assert [p.line for p in response.context["preview"].problems] == [5, 6, 7, 8]
