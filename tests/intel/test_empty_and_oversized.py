"""An empty input is refused as empty, not stored as a submission of nothing; a body over
the upload limit is answered with the limit, not a bare "Bad Request (400)"."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client

from tests.conftest import api_client_for
from vaka.intel.models import Submission

pytestmark = pytest.mark.django_db
BLANK = b"\xef\xbb\xbf \n\t\r\n   \n"
MARKINGS = {"tlp": "green", "distribution": "organisation", "pap": "green"}


@pytest.mark.parametrize("data", [b"", BLANK], ids=["no bytes", "only whitespace"])
def test_the_submit_page_says_an_uploaded_file_is_empty(region, data):
    client = Client()
    client.force_login(region.analyst_a)
    answer = client.post("/intel/submit/", {"file": SimpleUploadedFile("iocs.txt", data),
                                            **MARKINGS})
    assert answer.status_code == 200
    errors = " ".join(answer.context["form"].errors["file"])
    assert "iocs.txt: the file is empty" in errors if data else "file is empty" in errors
    assert not Submission.objects.exists()


def test_the_api_says_a_file_or_content_is_empty(region):
    api = api_client_for(region.analyst_a)
    answer = api.post("/api/submissions/", {"file": SimpleUploadedFile("iocs.csv", BLANK),
                                            **MARKINGS}, format="multipart")
    assert answer.status_code == 400
    assert answer.json()["file"] == [
        "iocs.csv: the file is empty (or holds only spaces and line breaks)."]
    answer = api.post("/api/submissions/", {"content": " \n\n ", **MARKINGS}, format="json")
    assert answer.status_code == 400
    assert "empty" in answer.json()["content"][0]
    assert not Submission.objects.exists()


def test_a_non_blank_upload_is_still_read_whole_after_the_check(region):
    api = api_client_for(region.analyst_a)
    answer = api.post("/api/submissions/", {
        "file": SimpleUploadedFile("iocs.csv", b"value\nevil-portal-7.net\n"),
        **MARKINGS}, format="multipart")
    assert answer.status_code == 201, answer.json()
    assert answer.json()["new"] == 1


def test_vaka_ingest_refuses_an_empty_file_before_storing_any(region, tmp_path):
    good, empty = tmp_path / "good.csv", tmp_path / "empty.json"
    good.write_bytes(b"value\nevil-portal-7.net\n")
    empty.write_bytes(BLANK)
    with pytest.raises(CommandError, match=r"empty\.json: the file is empty"):
        call_command("ingest", str(good), str(empty), "--org", "Unit A", "--tlp", "green")
    assert not Submission.objects.exists()


def test_an_oversized_paste_gets_a_page_naming_the_limit(region, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000  # as VAKA_MAX_UPLOAD_MB sets it, smaller
    client = Client()
    client.force_login(region.analyst_a)
    answer = client.post("/intel/submit/", {"content": "evil-portal-7.net " * 100,
                                            **MARKINGS})
    assert answer.status_code == 413
    page = answer.content.decode()
    assert f"{settings.MAX_UPLOAD_MB} MB (VAKA_MAX_UPLOAD_MB)" in page
    assert "Bad Request" not in page


def test_an_oversized_api_body_gets_json_naming_the_limit(region, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    api = api_client_for(region.analyst_a)
    answer = api.post("/api/submissions/", {"content": "evil-portal-7.net " * 100,
                                            **MARKINGS}, format="json")
    assert answer.status_code == 413
    assert f"{settings.MAX_UPLOAD_MB} MB (VAKA_MAX_UPLOAD_MB)" in answer.json()["detail"]


def test_other_bad_requests_keep_djangos_answer(region):
    client = Client()
    answer = client.get("/", HTTP_HOST="bad host name")  # DisallowedHost: a 400
    assert answer.status_code == 400
