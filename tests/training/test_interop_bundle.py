"""A course as a zip bundle: exported without personal data, imported as a new course of
the importer's organisation equal to the original; malformed or malicious zips refused
with the entry and the reason, leaving nothing behind."""

import hashlib
import io
import json
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from vaka.policy.markings import TLP, Distribution
from vaka.policy.services import Markings
from vaka.training import bundle, lessons, quiz_authoring
from vaka.training.models import Course, Lesson, Module, Question

MARKINGS = Markings(distribution=Distribution.MEMBERS, tlp=TLP.GREEN)


@pytest.fixture
def content(world):
    w = world
    module = lessons.create_module(w.trainer, w.course, lessons.ModuleDetails("Evidence",
                                                                              "Phones."))
    lessons.create_lesson(w.trainer, module, lessons.LessonDetails(
        "Seizing a phone", "Keep it **on**.", ["https://video.example.org/seize.mp4"]),
        [SimpleUploadedFile("checklist.txt", b"1. Photograph it\n2. Bag it\n")])
    quiz = quiz_authoring.create_quiz(w.trainer, module, quiz_authoring.QuizDetails(
        "Check", "Five questions.", time_limit=10, pass_mark=80, max_attempts=2))
    quiz_authoring.add_question(w.trainer, quiz, quiz_authoring.QuestionDetails(
        "single", "First step?", [quiz_authoring.Choice("Photograph", True),
                                  quiz_authoring.Choice("Switch off")]))
    quiz_authoring.add_question(w.trainer, quiz, quiz_authoring.QuestionDetails(
        "short", "The bag's name?", accepted=["Faraday bag", "faraday"]))
    return w


def course_json(data: bytes) -> dict:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return json.loads(archive.read("course.json"))


def test_a_bundle_holds_the_course_and_no_personal_data(content):
    data = bundle.export_course(content.trainer, content.course)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        names = set(archive.namelist())
        for name, digest in manifest["files"].items():
            assert hashlib.sha256(archive.read(name)).hexdigest() == digest
    assert manifest["format"] == "vaka-course" and manifest["version"] == 1
    assert names == {"manifest.json", "course.json", *manifest["files"]}
    text = data.decode("latin-1")
    for personal in ("Vula", "Leota", "Tupou", "TRN-2026-001", "tavita@"):
        assert personal not in text


def test_a_bundle_imported_equals_the_course_exported(content):
    data = bundle.export_course(content.trainer, content.course)
    copy = bundle.import_bundle(content.trainer, data, MARKINGS, code="cyber-101-copy")
    assert copy.owner == content.trainer.organisation and copy.tlp == TLP.GREEN
    assert copy.sessions.count() == 0
    again = course_json(bundle.export_course(content.trainer, copy))
    original = course_json(data)
    again["course"]["code"] = original["course"]["code"]
    assert again == original
    lesson = Lesson.objects.get(module__course=copy)
    with default_storage.open(lesson.files.get().stored_as) as handle:
        assert handle.read() == b"1. Photograph it\n2. Bag it\n"


def test_the_bundles_page_exports_for_trainers_and_404s_for_others(content):
    client = Client()
    client.force_login(content.trainer)
    response = client.get(f"/training/bundles/export/?course={content.course.pk}")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    client.force_login(content.fiji_officer)  # sees the course, does not run it
    assert client.get(f"/training/bundles/export/?course={content.course.pk}"
                      ).status_code == 403
    Course.objects.filter(pk=content.course.pk).update(tlp=TLP.AMBER_STRICT)  # the centre's
    assert client.get(f"/training/bundles/export/?course={content.course.pk}"
                      ).status_code == 404
    assert client.get("/training/bundles/export/").status_code == 404


def zip_of(entries: dict[str, bytes], *, manifest: dict | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        files = {name: hashlib.sha256(body).hexdigest() for name, body in entries.items()}
        for name, body in entries.items():
            archive.writestr(name, body)
        archive.writestr("manifest.json", json.dumps(manifest or {
            "format": "vaka-course", "version": 1, "files": files}))
    return buffer.getvalue()


COURSE = json.dumps({"course": {"code": "evil-101", "title": "Evil"}, "modules": []}).encode()


def refused(world, data: bytes) -> str:
    before = (Course.objects.count(), Module.objects.count(), Question.objects.count())
    with pytest.raises(ValidationError) as caught:
        bundle.import_bundle(world.trainer, data, MARKINGS)
    assert (Course.objects.count(), Module.objects.count(), Question.objects.count()) == before
    return " ".join(caught.value.message_dict["file"])


def test_a_plain_bundle_is_accepted(world):
    assert bundle.import_bundle(world.trainer, zip_of({"course.json": COURSE}),
                                MARKINGS).code == "evil-101"


def test_malicious_and_broken_zips_are_refused_with_a_reason(world, settings):
    assert "not a zip file" in refused(world, b"PK\x03\x04 nothing")
    assert "../../etc/passwd" in refused(world, zip_of({"course.json": COURSE,
                                                        "../../etc/passwd": b"x"}))
    assert "outside the bundle" in refused(world, zip_of({"course.json": COURSE,
                                                          "/abs/file": b"x"}))
    many = {"course.json": COURSE, **{f"files/{n}": b"" for n in range(bundle.MAX_ENTRIES)}}
    assert "entries" in refused(world, zip_of(many))
    settings.MAX_UPLOAD_MB = 1  # unpacked at most 4 MB: 5 MB of zeros packs to 5 KB
    assert "more than 4 MB" in refused(world, zip_of({"course.json": COURSE,
                                                      "files/zeros": bytes(5 * 2**20)}))
    settings.MAX_UPLOAD_MB = 100
    tampered = zip_of({"course.json": COURSE}, manifest={
        "format": "vaka-course", "version": 1, "files": {"course.json": "0" * 64}})
    assert "course.json: its SHA-256" in refused(world, tampered)
    unlisted = zip_of({"course.json": COURSE}, manifest={
        "format": "vaka-course", "version": 1,
        "files": {"course.json": hashlib.sha256(COURSE).hexdigest()}})
    assert bundle.read_zip(unlisted)  # listed and right: fine
    assert "version" in refused(world, zip_of({"course.json": COURSE}, manifest={
        "format": "vaka-course", "version": 99, "files": {}}))


def test_bad_content_names_the_entry_and_the_field(world):
    def with_course(content: dict) -> bytes:
        return zip_of({"course.json": json.dumps(content).encode()})

    assert "course.json: course: unknown field(s) owner" in refused(world, with_course(
        {"course": {"code": "x-1", "title": "X", "owner": 1}, "modules": []}))
    message = refused(world, with_course({"course": {"code": "x-1", "title": "X"},
                                          "modules": [{"title": "M", "quizzes": [
                                              {"title": "Q", "questions": [
                                                  {"kind": "single", "text": "?"}]}]}]}))
    assert "modules[0].quizzes[0].questions[0]" in message and "choices" in message
    assert "code" in refused(world, with_course({"course": {"code": "cyber-101",
                                                            "title": "Taken"}}))
    assert "not valid JSON" in refused(world, zip_of({"course.json": b"{"}))


def test_the_bundles_page_imports_with_the_markings_chosen(world):
    client = Client()
    client.force_login(world.trainer)
    assert client.get("/training/bundles/").status_code == 200
    upload = SimpleUploadedFile("evil.zip", zip_of({"course.json": COURSE}))
    response = client.post("/training/bundles/", {
        "file": upload, "code": "", "distribution": "organisation", "tlp": "amber",
        "pap": "amber", "grading_scheme": "admiralty"})
    assert response.status_code == 302
    course = Course.objects.get(code="evil-101")
    assert (course.owner, course.distribution, course.tlp) == (
        world.centre, "organisation", "amber")
    again = client.post("/training/bundles/", {
        "file": SimpleUploadedFile("evil.zip", zip_of({"course.json": COURSE})),
        "distribution": "organisation", "tlp": "amber", "pap": "amber",
        "grading_scheme": "admiralty"})
    assert again.status_code == 400 and b"code" in again.content
    assert Course.objects.filter(title="Evil").count() == 1


def test_a_reader_cannot_import_a_bundle(world):
    client = Client()
    client.force_login(world.fiji_officer)
    response = client.post("/training/bundles/", {
        "file": SimpleUploadedFile("evil.zip", zip_of({"course.json": COURSE})),
        "distribution": "organisation", "tlp": "amber", "pap": "amber",
        "grading_scheme": "admiralty"})
    assert response.status_code == 400 and not Course.objects.filter(code="evil-101")


def test_the_command_exports_and_imports_a_bundle(content, tmp_path):
    from django.core.management import CommandError, call_command

    path = tmp_path / "cyber.zip"
    call_command("course_bundle", "export", "cyber-101", str(path), "--user", "centre_trainer")
    call_command("course_bundle", "import", str(path), "--user", "centre_trainer",
                 "--code", "cyber-201", "--tlp", "green", "--distribution", "members")
    copy = Course.objects.get(code="cyber-201")
    assert copy.tlp == TLP.GREEN and copy.modules.count() == 1
    with pytest.raises(CommandError, match="Only a trainer"):
        call_command("course_bundle", "export", "cyber-101", str(path), "--user", "ph_analyst")
    with pytest.raises(CommandError, match="code"):
        call_command("course_bundle", "import", str(path), "--user", "centre_trainer")
