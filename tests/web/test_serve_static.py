"""`vaka serve` collects static files when they are missing or stale, so the manifest
storage never answers 500 for a page."""

import os
import time

import pytest
from django.conf import settings as django_settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.test import Client

from vaka.web.staticfiles import collect_if_stale, collection_is_stale

MANIFEST = "whitenoise.storage.CompressedManifestStaticFilesStorage"


@pytest.fixture
def manifest_storage(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": MANIFEST}}
    return settings


def test_serve_collects_vakas_own_static_files_and_pages_render(db, manifest_storage):
    # Vaka's own files only, hashed but not compressed: compressing Bootstrap and the API
    # documentation bundles takes most of a minute; the manifest is the same.
    manifest_storage.STORAGES = {**manifest_storage.STORAGES, "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"}}
    manifest_storage.STATICFILES_FINDERS = [
        "django.contrib.staticfiles.finders.FileSystemFinder"]
    announced: list[str] = []
    assert collection_is_stale()
    assert collect_if_stale(announced.append)
    assert announced == ["Collecting static files (about a minute, after an install or "
                         "upgrade)…"]
    css = staticfiles_storage.url("vaka/vaka.css")
    assert css.startswith("/static/vaka/vaka.") and css != "/static/vaka/vaka.css"
    assert (manifest_storage.STATIC_ROOT / css.removeprefix("/static/")).exists()
    response = Client().get("/accounts/login/")
    assert response.status_code == 200
    assert css in response.content.decode()
    assert not collect_if_stale(announced.append)  # nothing new: no minute lost
    assert len(announced) == 1


def test_a_new_or_changed_source_file_makes_the_collection_stale(manifest_storage, tmp_path):
    source = tmp_path / "source"
    (source / "site").mkdir(parents=True)
    (source / "site" / "logo.svg").write_text("<svg/>")
    (source / "site" / "site.css").write_text('body { background: url("logo.svg"); }')
    manifest_storage.STATICFILES_FINDERS = [
        "django.contrib.staticfiles.finders.FileSystemFinder"]
    manifest_storage.STATICFILES_DIRS = [source]
    assert collect_if_stale(lambda message: None)
    hashed = staticfiles_storage.stored_name("site/site.css")
    assert "logo." in (manifest_storage.STATIC_ROOT / hashed).read_text()
    assert not collection_is_stale()

    earlier = time.time() - 60  # the collected copy predates an edit of its source
    os.utime(manifest_storage.STATIC_ROOT / "site" / "site.css", (earlier, earlier))
    assert collection_is_stale()
    assert collect_if_stale(lambda message: None)
    assert not collection_is_stale()

    (source / "site" / "new.js").write_text("")
    assert collection_is_stale()


def test_a_missing_manifest_is_stale_even_when_the_files_were_copied(manifest_storage):
    manifest_storage.STATICFILES_FINDERS = [
        "django.contrib.staticfiles.finders.FileSystemFinder"]
    root = manifest_storage.STATIC_ROOT
    for directory in django_settings.STATICFILES_DIRS:
        for path in directory.rglob("*"):
            if path.is_file():
                target = root / path.relative_to(directory)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(path.read_bytes())
    assert collection_is_stale()


@pytest.mark.parametrize(("error", "advice"), [
    (OSError(28, "No space left on device"), "Free some space on it, then start again."),
    (PermissionError(13, "Permission denied"), "Run `vaka collectstatic` as the user that"),
])
def test_serve_that_cannot_collect_says_why_and_what_to_do(monkeypatch, error, advice):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    from vaka.web import staticfiles

    def cannot(write):
        raise error

    monkeypatch.setattr(staticfiles, "collect_if_stale", cannot)
    with pytest.raises(CommandError) as refused:
        call_command("serve")
    assert f"{error.strerror}. {advice}" in str(refused.value)
