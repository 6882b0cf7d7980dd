"""The lesson pages: a module, a lesson and its files, the module's PDF, the course
outline and the trainers' forms; 404 for everything outside the course's audience."""

import gzip
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import Context, RequestContext, Template
from django.test import Client, RequestFactory
from pypdf import PdfReader

from tests.training.test_lessons_services import png
from vaka.policy.markings import Distribution
from vaka.training import lessons
from vaka.training.lessons import LessonDetails, ModuleDetails
from vaka.training.models import Course, Lesson, LessonProgress


@pytest.fixture
def files(settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": tmp_path / "files"}}}


@pytest.fixture
def content(world, files):
    module = lessons.create_module(world.trainer, world.course, ModuleDetails("Seizure"))
    titles = ["Isolate the phone", "Photograph the scene", "Bag and label"]
    made = [lessons.create_lesson(
        world.trainer, module, LessonDetails(
            title, body=f"## {title}\n\nWords.\n\n![scene](scene.png)",
            videos=["https://videos.example.org/film.mp4", "/media/local.webm"]),
        [SimpleUploadedFile("scene.png", png(colour)),
         SimpleUploadedFile("checklist.pdf", b"%PDF-1.4\n%%EOF\n")])
        for title, colour in zip(titles, ("red", "green", "blue"), strict=True)]
    return module, made, titles


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_learner_reads_a_lesson_with_its_image_videos_and_files(world, content):
    _module, made, _titles = content
    response = client_of(world.fiji_officer).get(f"/training/lessons/{made[1].pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    image = made[1].files.get(name="scene.png")
    assert f'<img src="/training/lesson-files/{image.pk}"' in page
    assert "checklist.pdf" in page
    assert page.count("<video") == 1 and 'src="/media/local.webm"' in page
    assert ">film.mp4</a>" in page
    assert f"/training/lessons/{made[0].pk}/" in page  # previous
    assert f"/training/lessons/{made[2].pk}/" in page  # next
    assert "Mark as read" in page


def test_mark_as_read_from_the_page(world, content):
    _module, made, _titles = content
    client = client_of(world.fiji_officer)
    response = client.post(f"/training/lessons/{made[0].pk}/read")
    assert response.status_code == 302
    client.post(f"/training/lessons/{made[0].pk}/read")
    assert LessonProgress.objects.filter(lesson=made[0]).count() == 1
    assert "You have read this lesson." in client.get(
        f"/training/lessons/{made[0].pk}/").content.decode()


def test_an_image_is_shown_inline_and_an_attachment_downloaded(world, content):
    _module, made, _titles = content
    client = client_of(world.fiji_officer)
    image = client.get(f"/training/lesson-files/{made[0].files.get(name='scene.png').pk}")
    attachment = client.get(
        f"/training/lesson-files/{made[0].files.get(name='checklist.pdf').pk}")
    assert image["Content-Type"] == "image/png"
    assert image["Content-Disposition"].startswith("inline")
    assert attachment["Content-Disposition"].startswith("attachment")
    assert attachment["X-Content-Type-Options"] == "nosniff"


def test_the_module_pdf_holds_every_lesson_in_order(world, content):
    module, _made, titles = content
    response = client_of(world.fiji_officer).get(f"/training/modules/{module.pk}/pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    # After the contents: each lesson's numbered heading, in order.
    places = [text.index(f"{n}. {title}") for n, title in enumerate(titles, start=1)]
    assert places == sorted(places)
    assert "https://videos.example.org/film.mp4" in text and "checklist.pdf" in text
    images = {image.data for page in reader.pages for image in page.images}
    assert len(images) == len(titles)  # each lesson's own image, embedded


def hidden_course(world) -> None:
    Course.objects.filter(pk=world.course.pk).update(distribution=Distribution.ORGANISATION)


@pytest.mark.parametrize("who", ["ph_analyst", "samoa_analyst", "fiji_officer"])
def test_outsiders_get_404_on_every_lesson_route(world, content, who):
    module, made, _titles = content
    hidden_course(world)
    client = client_of(getattr(world, who))
    lesson, found = made[0], made[0].files.first()
    for url in (f"/training/modules/{module.pk}/", f"/training/modules/{module.pk}/pdf",
                f"/training/modules/{module.pk}/edit",
                f"/training/lessons/{lesson.pk}/", f"/training/lessons/{lesson.pk}/edit",
                f"/training/lesson-files/{found.pk}",
                f"/training/courses/{world.course.pk}/modules/new"):
        assert client.get(url).status_code == 404, url
    for url in (f"/training/lessons/{lesson.pk}/read", f"/training/lessons/{lesson.pk}/delete",
                f"/training/lesson-files/{found.pk}/remove",
                f"/training/modules/{module.pk}/delete"):
        assert client.post(url).status_code == 404, url
    assert Lesson.objects.filter(pk=lesson.pk).exists()
    assert client_of(world.trainer).get(f"/training/lessons/{lesson.pk}/").status_code == 200


def test_a_learner_who_sees_the_course_cannot_open_the_forms(world, content):
    module, made, _titles = content
    client = client_of(world.fiji_officer)
    assert client.get(f"/training/lessons/{made[0].pk}/edit").status_code == 403
    assert client.post(f"/training/modules/{module.pk}/lessons/new",
                       {"title": "Mine"}).status_code == 403


def test_the_trainer_writes_a_lesson_through_the_form(world, files):
    module = lessons.create_module(world.trainer, world.course, ModuleDetails("Seizure"))
    client = client_of(world.trainer)
    refused = client.post(f"/training/modules/{module.pk}/lessons/new", {
        "title": "Films", "videos": "https://videos.example.org/page.html"})
    assert refused.status_code == 200 and "Line 1" in refused.content.decode()
    made = client.post(f"/training/modules/{module.pk}/lessons/new", {
        "title": "Films", "body": "Watch.", "videos": "https://videos.example.org/a.mp4",
        "files": [SimpleUploadedFile("notes.txt", b"Plain notes.\n")]})
    lesson = module.lessons.get()
    assert made.status_code == 302 and made["Location"] == f"/training/lessons/{lesson.pk}/"
    assert list(lesson.files.values_list("name", flat=True)) == ["notes.txt"]


def test_the_course_outline_lists_modules_in_order_with_progress(world, content):
    _module, made, titles = content
    second = lessons.create_module(world.trainer, world.course, ModuleDetails("Imaging"))
    lessons.mark_read(world.fiji_officer, made[0])
    request = RequestFactory().get("/")
    template = Template('{% include "training/learning/_course_outline.html" %}')

    request.user = world.fiji_officer
    page = template.render(RequestContext(request, {"course": world.course}))
    assert page.index("Seizure") < page.index("Imaging")
    assert [page.index(t) for t in titles] == sorted(page.index(t) for t in titles)
    assert "Your progress: 33%" in page and "Add a lesson" not in page
    assert f"/training/modules/{second.pk}/pdf" in page

    request.user = world.trainer
    page = template.render(Context({"course": world.course, "request": request}))
    assert "Add a lesson" in page and "Add a module" in page


def test_a_lesson_page_stays_well_under_150_kb(world, content):
    """The page's HTML, compressed, with a long lesson: the static files it loads are
    those of every page, weighed by tests/e2e/test_main_pages.py."""
    module, _made, _titles = content
    long = "\n\n".join(f"## Step {n}\n\n" + "Keep the phone isolated and charged. " * 20
                       for n in range(60))
    lesson = lessons.create_lesson(world.trainer, module, LessonDetails("Long", body=long))
    page = client_of(world.fiji_officer).get(f"/training/lessons/{lesson.pk}/").content
    assert len(gzip.compress(page, compresslevel=6)) < 40 * 1024


@pytest.mark.parametrize(("languages", "marked"), [
    (["fr", "en"], ' lang="fr"'), ([], "")])
def test_the_lesson_text_is_marked_with_the_course_language(world, content, languages,
                                                             marked):
    # The trainer's words are content in the course's (first) language, not interface text.
    Course.objects.filter(pk=world.course.pk).update(languages=languages)
    _module, made, titles = content
    page = client_of(world.fiji_officer).get(f"/training/lessons/{made[0].pk}/")
    body = page.content.decode()
    assert f'<div class="lesson-text" dir="auto"{marked}>' in body
    assert f'<h1 class="h3" dir="auto"{marked}>{titles[0]}</h1>' in body
