"""Online lessons: who may write them, what they refuse, marking them read and counting
progress (training.lessons)."""

import io
import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from vaka.training import lessons
from vaka.training.lessons import LessonDetails, ModuleDetails
from vaka.training.models import Attempt, LessonFile, LessonProgress, Quiz


def png(colour: str = "red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), colour).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def files(settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": tmp_path / "files"}}}
    return tmp_path / "files"


@pytest.fixture
def module(world):
    return lessons.create_module(world.trainer, world.course,
                                 ModuleDetails("Seizing a phone", "First steps."))


def test_the_course_trainer_writes_modules_and_lessons_at_the_end(world, module):
    second = lessons.create_module(world.trainer, world.course, ModuleDetails("Imaging"))
    first_lesson = lessons.create_lesson(world.trainer, module, LessonDetails("Isolate it"))
    next_lesson = lessons.create_lesson(world.trainer, module, LessonDetails("Bag it"))
    assert (module.position, second.position) == (1, 2)
    assert (first_lesson.position, next_lesson.position) == (1, 2)


@pytest.mark.parametrize("who", ["fiji_admin", "fiji_officer", "coordinator", "ph_admin"])
def test_only_trainers_of_the_owner_organisation_write_lessons(world, module, who):
    user = getattr(world, who)
    with pytest.raises(PermissionDenied):
        lessons.create_module(user, world.course, ModuleDetails("Not mine"))
    with pytest.raises(PermissionDenied):
        lessons.create_lesson(user, module, LessonDetails("Not mine"))


def test_the_owner_organisation_admin_may_write_lessons(world, module):
    assert lessons.create_lesson(world.centre_admin, module, LessonDetails("Admin's")).pk


def test_a_lesson_without_a_title_is_refused_naming_the_field(world, module):
    with pytest.raises(ValidationError) as refused:
        lessons.create_lesson(world.trainer, module, LessonDetails("  "))
    assert "title" in refused.value.message_dict


@pytest.mark.parametrize("url", [
    "javascript:alert(1)//x.mp4", "ftp://videos.example.org/a.mp4",
    "https://videos.example.org/watch?v=abc", "//videos.example.org/a.mp4", "a.mp4"])
def test_a_bad_video_link_is_refused_by_its_line(world, module, url):
    with pytest.raises(ValidationError) as refused:
        lessons.create_lesson(world.trainer, module, LessonDetails(
            "Videos", videos=["https://videos.example.org/ok.mp4", "", url]))
    (message,) = refused.value.message_dict["videos"]
    assert message.startswith("Line 3")
    assert not module.lessons.exists()


def test_video_links_to_video_files_are_kept_in_order(world, module):
    lesson = lessons.create_lesson(world.trainer, module, LessonDetails(
        "Videos", videos=[" https://videos.example.org/seize.mp4 ", "", "/media/bag.webm"]))
    assert lesson.videos == ["https://videos.example.org/seize.mp4", "/media/bag.webm"]


def test_a_forbidden_file_refuses_the_whole_lesson(world, module, files):
    with pytest.raises(ValidationError) as refused:
        lessons.create_lesson(world.trainer, module, LessonDetails("Files"), [
            SimpleUploadedFile("diagram.png", png()),
            SimpleUploadedFile("tool.exe", b"MZ\x90\x00" + b"\x00" * 60)])
    assert "tool.exe" in refused.value.message_dict["files"][0]
    assert not module.lessons.exists() and not LessonFile.objects.exists()


def test_a_file_is_stored_with_its_size_hash_and_sniffed_type(world, module, files):
    data = png()
    lesson = lessons.create_lesson(world.trainer, module, LessonDetails("Files"), [
        SimpleUploadedFile("diagram.png", data, content_type="text/plain")])
    found = lesson.files.get()
    assert (found.name, found.content_type, found.size) == ("diagram.png", "image/png",
                                                             len(data))
    assert (files / found.stored_as).read_bytes() == data


def test_a_lesson_shows_its_own_images_only(world, module, files):
    lesson = lessons.create_lesson(
        world.trainer, module,
        LessonDetails("Images", body="![own](diagram.png)\n\n![foreign](/admin/logo.png)\n\n"
                                     "![remote](https://tracker.example.org/x.png)"),
        [SimpleUploadedFile("diagram.png", png())])
    html = lessons.lesson_html(lesson)
    own = lesson.files.get()
    assert f'src="{lessons.file_url(own)}"' in html
    assert "/admin/logo.png" not in html and "tracker.example.org" not in html
    assert html.count("<img") == 1
    assert "not one of this text's files: foreign" in html


def test_an_image_of_another_lesson_is_not_shown(world, module, files):
    other = lessons.create_lesson(world.trainer, module, LessonDetails("Other"),
                                  [SimpleUploadedFile("secret.png", png())])
    address = lessons.file_url(other.files.get())
    lesson = lessons.create_lesson(world.trainer, module, LessonDetails(
        "Borrowing", body=f"![borrowed]({address})"))
    assert "<img" not in lessons.lesson_html(lesson)


def test_reordering_takes_every_item_once(world, module):
    a, b, c = (lessons.create_lesson(world.trainer, module, LessonDetails(t)).pk
               for t in "abc")
    lessons.reorder_lessons(world.trainer, module, [c, a, b])
    assert list(module.lessons.values_list("pk", flat=True)) == [c, a, b]
    with pytest.raises(ValidationError):
        lessons.reorder_lessons(world.trainer, module, [c, a])
    with pytest.raises(ValidationError):
        lessons.reorder_lessons(world.trainer, module, [c, a, a])


def test_deleting_a_lesson_removes_its_files(world, module, files):
    lesson = lessons.create_lesson(world.trainer, module, LessonDetails("Files"),
                                   [SimpleUploadedFile("diagram.png", png())])
    stored = files / lesson.files.get().stored_as
    with pytest.raises(PermissionDenied):
        lessons.delete_lesson(world.fiji_officer, lesson)
    from django.test import TestCase
    with TestCase.captureOnCommitCallbacks(execute=True):
        lessons.delete_lesson(world.trainer, lesson)
    assert not stored.exists() and not LessonFile.objects.exists()


def test_a_module_with_attempted_quizzes_is_not_deleted(world, module):
    quiz = Quiz.objects.create(module=module, title="Check")
    Attempt.objects.create(participant=world.officer, quiz=quiz, number=1, device="x")
    with pytest.raises(ValidationError):
        lessons.delete_module(world.trainer, module)
    assert module.pk and type(module).objects.filter(pk=module.pk).exists()


def test_mark_read_is_idempotent(world, module):
    lesson = lessons.create_lesson(world.trainer, module, LessonDetails("Read me"))
    first = lessons.mark_read(world.fiji_officer, lesson)
    again = lessons.mark_read(world.fiji_officer, lesson)
    assert first.pk == again.pk and first.participant == world.officer
    assert LessonProgress.objects.count() == 1


def test_mark_read_refuses_a_lesson_the_user_cannot_see(world, module):
    lesson = lessons.create_lesson(world.trainer, module, LessonDetails("Hidden"))
    type(world.course).objects.filter(pk=world.course.pk).update(distribution="organisation")
    with pytest.raises(PermissionDenied):
        lessons.mark_read(world.fiji_officer, lesson)


def test_progress_counts_lessons_read_and_quizzes_passed_per_module(world, module):
    other = lessons.create_module(world.trainer, world.course, ModuleDetails("Imaging"))
    read, unread = (lessons.create_lesson(world.trainer, module, LessonDetails(t))
                    for t in ("one", "two"))
    lessons.create_lesson(world.trainer, other, LessonDetails("three"))
    passed = Quiz.objects.create(module=module, title="Passed")
    failed = Quiz.objects.create(module=module, title="Failed")
    for number, state in enumerate((False, True), start=1):  # passed at the second try
        Attempt.objects.create(id=uuid.uuid4(), participant=world.officer, quiz=passed,
                               number=number, device="x", passed=state)
    Attempt.objects.create(participant=world.officer, quiz=failed, number=1, device="x",
                           passed=False)
    Attempt.objects.create(participant=world.external, quiz=failed, number=1, device="x",
                           passed=True)
    lessons.mark_read(world.fiji_officer, read)
    lessons.mark_read(world.fiji_officer, read)

    found = lessons.progress(world.officer, world.course)

    first, second = found.modules
    assert (first.lessons_read, first.lessons, first.quizzes_passed, first.quizzes) == (
        1, 2, 1, 2)
    assert first.percent == 50
    assert (second.lessons_read, second.lessons, second.percent) == (0, 1, 0)
    assert found.percent == 40  # 2 of 5
    assert unread.pk not in found.read and read.pk in found.read


def test_progress_of_nobody_is_zero(world, module):
    lessons.create_lesson(world.trainer, module, LessonDetails("one"))
    assert lessons.progress(None, world.course).percent == 0
