"""Submissions keep their source: a kind and a name saying what each was, the original file
or text for the submission's audience, and a review step flagging what is already known."""

import io

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from pypdf import PdfWriter

from tests.intel.store_data import bundle, indicator
from vaka.directory.services import create_token
from vaka.intel import services
from vaka.intel.models import HitNotification, Submission
from vaka.intel.originals import PENDING, Original
from vaka.policy.models import AuditEntry
from vaka.policy.services import Markings

MARKS = {"tlp": "amber", "distribution": "organisation", "pap": "amber"}
ADVISORY = (b"Advisory 7: the loader calls home to ours-known.net and "
            b"held-elsewhere.net.\nBlock both.\n")


@pytest.fixture(autouse=True)
def _own_files(settings, tmp_path):
    """Each test its own storage, so what one leaves behind is not another's finding."""
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": tmp_path}}}


def _ingest_csv(user, values, **markings):
    data = ("value\n" + "\n".join(values) + "\n").encode()
    return services.ingest_bytes(data, organisation=user.organisation, user=user,
                                 markings=Markings(**markings), source="upload", fmt="csv",
                                 filename="values.csv", original=Original(data, "values.csv"))


def _upload(client, user, name, data, **extra):
    client.force_login(user)
    return client.post("/intel/submit/", {
        "file": SimpleUploadedFile(name, data), **MARKS, **extra})


def _pdf(*, password: str = "") -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    if password:
        writer.encrypt(password)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# --- kind and name ---------------------------------------------------------------------

def test_an_upload_is_named_by_its_file_name_and_keeps_the_file(region, client):
    data = bundle(indicator("drop-zone.net"))
    answer = _upload(client, region.analyst_a, "apt-report.json", data, format="stix")
    submission = Submission.objects.get()
    assert answer.url == submission.get_absolute_url()
    assert (submission.source, submission.title) == ("upload", "apt-report.json")
    assert submission.original.read() == data
    assert submission.original_type == "application/json"
    assert submission.sha256 == Original(data).sha256


def test_a_paste_is_named_by_its_number_of_lines(region, client):
    client.force_login(region.analyst_a)
    client.post("/intel/submit/", {"content": "value\none.example.net\ntwo.example.net",
                                   "format": "csv", **MARKS})
    submission = Submission.objects.get()
    assert (submission.source, submission.title) == ("paste", "Paste of 3 lines")
    assert submission.original.read() == b"value\none.example.net\ntwo.example.net"


def test_a_pasted_texts_original_has_the_line_breaks_of_the_paste_not_the_browsers(
        region, client):
    client.force_login(region.analyst_a)
    # A browser sends a textarea's line breaks as CRLF; the textarea held LF.
    client.post("/intel/submit/", {"content": "value\r\none.example.net\r\n",
                                   "format": "csv", **MARKS})
    submission = Submission.objects.get()
    assert submission.original.read() == b"value\none.example.net"
    assert submission.sha256 == Original(b"value\none.example.net").sha256


def test_an_api_submission_is_named_by_the_token_that_sent_it(region, api_for):
    _token, key = create_token(region.analyst_a, name="firewall sync")
    api = api_for(region.analyst_a)
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    answer = api.post("/api/submissions/", {"content": "value\napi-sent.net\n",
                                            "format": "csv", **MARKS}, format="json")
    assert answer.status_code == 201, answer.json()
    assert (answer.json()["source"], answer.json()["title"]) == ("api", "firewall sync")
    assert answer.json()["original_url"] == f"/intel/submissions/{answer.json()['id']}/original"


def test_a_command_line_csv_is_named_by_its_file_and_kept(region, tmp_path):
    path = tmp_path / "night-shift.csv"
    path.write_bytes(b"value\ncli-sent.net\n")
    call_command("ingest", str(path), "--org", "Unit A", "--tlp", "green",
                 "--distribution", "members")
    submission = Submission.objects.get()
    assert (submission.source, submission.title) == ("cli", "night-shift.csv")
    assert submission.original.read() == b"value\ncli-sent.net\n"


def test_the_list_and_the_detail_page_say_what_each_submission_was(region, client):
    _upload(client, region.analyst_a, "apt-report.json", bundle(indicator("drop-zone.net")),
            format="stix")
    submission = Submission.objects.get()
    listing = client.get("/intel/submissions/").content.decode()
    assert "apt-report.json" in listing and "Upload" in listing
    detail = client.get(submission.get_absolute_url()).content.decode()
    assert "apt-report.json" in detail and submission.sha256 in detail
    assert f"/intel/submissions/{submission.pk}/original" in detail


# --- the original: downloaded by the audience only ------------------------------------------

def test_the_original_is_a_download_for_the_submissions_audience(region, client):
    submission = _ingest_csv(region.analyst_a, ["drop-zone.net"])
    client.force_login(region.colleague_a)
    answer = client.get(f"/intel/submissions/{submission.pk}/original")
    assert answer.status_code == 200
    assert b"".join(answer.streaming_content) == b"value\ndrop-zone.net\n"
    assert answer["Content-Disposition"].startswith("attachment;")
    assert 'filename="values.csv"' in answer["Content-Disposition"]
    assert answer["X-Content-Type-Options"] == "nosniff"


def test_a_red_submissions_original_is_404_for_a_same_org_user_outside_its_audience(
        region, client):
    submission = _ingest_csv(region.analyst_a, ["drop-zone.net"], tlp="red",
                             distribution="organisation", recipients=[region.viewer_a])
    client.force_login(region.colleague_a)
    assert client.get(f"/intel/submissions/{submission.pk}/original").status_code == 404
    client.force_login(region.analyst_a)
    assert client.get(f"/intel/submissions/{submission.pk}/original").status_code == 200


def test_the_original_is_404_for_another_organisation(region, client):
    submission = _ingest_csv(region.analyst_a, ["drop-zone.net"], distribution="members",
                             tlp="green")
    client.force_login(region.analyst_b)
    assert client.get(f"/intel/submissions/{submission.pk}/original").status_code == 404
    assert client.get(f"/intel/submissions/{submission.pk + 1000}/original").status_code == 404


def test_a_restricted_originals_download_is_audited_as_a_read(region, client):
    submission = _ingest_csv(region.analyst_a, ["drop-zone.net"], tlp="amber+strict")
    client.force_login(region.colleague_a)
    client.get(f"/intel/submissions/{submission.pk}/original")
    assert AuditEntry.objects.filter(action="view", target_id=str(submission.pk),
                                     actor=region.colleague_a).exists()


def test_a_rejected_submission_keeps_nothing_of_what_was_sent(region):
    data = b'{"type": "bundle", "objects": [{"type": "indicator"}]}'
    submission = services.ingest_bytes(
        data, organisation=region.unit_a, user=region.analyst_a, markings=Markings(),
        source="upload", fmt="stix", filename="broken.json",
        original=Original(data, "broken.json"))
    assert submission.status == "rejected" and not submission.original


def test_erasing_a_submission_removes_its_original(region, client,
                                                   django_capture_on_commit_callbacks):
    submission = _ingest_csv(region.analyst_a, ["drop-zone.net"])
    path = submission.original.name
    assert default_storage.exists(path)
    client.force_login(region.analyst_a)
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(f"/intel/submissions/{submission.pk}/erase/")
    assert answer.status_code == 302
    assert not Submission.objects.filter(pk=submission.pk).exists()
    assert not default_storage.exists(path)
    assert client.get(f"/intel/submissions/{submission.pk}/original").status_code == 404


def test_a_viewer_may_not_erase_a_submission(region, client):
    submission = _ingest_csv(region.analyst_a, ["drop-zone.net"])
    client.force_login(region.viewer_a)
    assert client.post(f"/intel/submissions/{submission.pk}/erase/").status_code == 403
    assert Submission.objects.filter(pk=submission.pk).exists()


# --- the free-text review ----------------------------------------------------------------------

def _review(client, user, text=ADVISORY, name="advisory-7.txt"):
    return _upload(client, user, name, text, format="text")


def _flag_cell(page: str, value: str) -> str:
    """The "Already known" cell of the row of ``value`` on the review page."""
    row = page[page.index(f"&#9;{value}"):].split("</tr>")[0]
    return row.rsplit('<td class="small">', 1)[-1]


def test_a_reviewed_advisory_is_kept_as_the_original_of_what_was_stored(region, client):
    page = _review(client, region.analyst_a)
    assert page.status_code == 200
    client.post("/intel/submit/", {
        "reviewed": "1", "content": "reviewed", **MARKS, "reviewed_name": "advisory-7.txt",
        "original": page.context["original"],
        "indicator": ["domain\tours-known.net"]})
    submission = Submission.objects.get()
    assert (submission.source, submission.title, submission.new) == (
        "upload", "advisory-7.txt", 1)
    assert submission.original.read() == ADVISORY
    assert not default_storage.listdir(PENDING)[1]  # the stash was emptied


def test_a_reviewed_paste_is_a_paste_whose_original_downloads_as_text(region, client):
    client.force_login(region.analyst_a)
    page = client.post("/intel/submit/", {"content": ADVISORY.decode(), "format": "", **MARKS})
    client.post("/intel/submit/", {
        "reviewed": "1", "content": "reviewed", **MARKS, "reviewed_name": "",
        "original": page.context["original"], "indicator": ["domain\tours-known.net"]})
    submission = Submission.objects.get()
    assert (submission.source, submission.title) == ("paste", "Paste of 2 lines")
    answer = client.get(f"/intel/submissions/{submission.pk}/original")
    assert f'filename="submission-{submission.pk}.txt"' in answer["Content-Disposition"]
    assert b"".join(answer.streaming_content) == ADVISORY.strip()


def test_anothers_review_token_does_not_hand_over_their_advisory(region, client):
    page = _review(client, region.analyst_a)
    client.force_login(region.colleague_a)
    client.post("/intel/submit/", {
        "reviewed": "1", "content": "reviewed", **MARKS, "reviewed_name": "x.txt",
        "original": page.context["original"], "indicator": ["domain\tours-known.net"]})
    assert not Submission.objects.get().original


def test_the_review_links_a_value_the_user_holds(region, client):
    _ingest_csv(region.colleague_a, ["ours-known.net"])
    page = _review(client, region.analyst_a).content.decode()
    row = _flag_cell(page, "ours-known.net")
    assert "You hold this:" in row and "/intel/objects/" in row


def test_the_review_says_only_that_another_agency_holds_a_hidden_value(region, client):
    _ingest_csv(region.analyst_b, ["held-elsewhere.net"])
    _ingest_csv(region.cert_user, ["held-elsewhere.net"])
    page = _review(client, region.analyst_a).content.decode()
    row = _flag_cell(page, "held-elsewhere.net")
    assert "Another agency holds this" in row
    assert "/intel/objects/" not in row and "Unit B" not in row and "CERT" not in row
    assert not any(c.isdigit() for c in row)  # not even how many


def test_checking_values_at_review_tells_the_owner_as_a_look_up_does(region, client):
    _ingest_csv(region.analyst_b, ["held-elsewhere.net"])
    _review(client, region.analyst_a)
    note = HitNotification.objects.get()
    assert (note.value, note.channel, note.asked_by) == (
        "held-elsewhere.net", "lookup", region.analyst_a)


def test_an_uncertain_value_at_review_tells_no_owner(region, client):
    # `7.0.14.1` after "prior to" is a version number that happens to be a stored address.
    _ingest_csv(region.analyst_b, ["7.0.14.1"])
    _review(client, region.analyst_a, b"Versions prior to 7.0.14.1 are affected.\n", "v.txt")
    assert not HitNotification.objects.exists()


def test_an_uncertain_value_at_review_shows_no_flag_until_ticked(region, client):
    _ingest_csv(region.analyst_b, ["7.0.14.1"])
    _ingest_csv(region.analyst_a, ["7.0.14.1"])
    page = _review(client, region.analyst_a, b"Versions prior to 7.0.14.1 are affected.\n",
                   "v.txt").content.decode()
    row = _flag_cell(page, "7.0.14.1")
    assert "Uncertain" in page.split("&#9;7.0.14.1")[1].split("</tr>")[0]
    assert "You hold this" not in row and "holds this" not in row and "—" in row


def test_a_certain_value_at_review_is_still_checked_beside_an_uncertain_one(region, client):
    _ingest_csv(region.analyst_b, ["7.0.14.1", "held-elsewhere.net"])
    _review(client, region.analyst_a,
            b"Versions prior to 7.0.14.1 call home to held-elsewhere.net.\n", "v.txt")
    assert list(HitNotification.objects.values_list("value", flat=True)) == [
        "held-elsewhere.net"]


def test_the_review_names_the_warninglist_holding_a_value(region, client):
    page = _review(client, region.analyst_a, b"They resolved it through 8.8.8.8 at night.",
                   "dns.txt").content.decode()
    row = _flag_cell(page, "8.8.8.8")
    assert "On a warninglist: List of known IPv4 public DNS resolvers" in row


# --- an upload the extractor cannot read ---------------------------------------------------------

@pytest.mark.parametrize(("name", "data", "why"), [
    ("empty.txt", b"  \n", "empty.txt: the file is empty"),
    ("photo.txt", b"\x89PNG\r\n\x1a\n" + bytes(100), "photo.txt: the file is a PNG image"),
    ("binary.txt", b"abc\x00\x01\x02" * 50, "binary.txt: the file is binary, not text"),
    ("latin.txt", "é".encode("latin-1") * 300, "latin.txt: the file is not UTF-8 text"),
    ("locked.pdf", _pdf(password="s3cret"), "locked.pdf: the PDF is protected by a password"),
    ("scan.pdf", _pdf(), "scan.pdf: no text could be read from the file"),
    ("fake.pdf", b"%PDF-1.7 and then nothing a reader can use",
     "fake.pdf: not a PDF file: cannot read it"),
])
def test_an_unreadable_upload_says_which_file_and_why_and_stores_nothing(
        region, client, name, data, why):
    answer = _upload(client, region.analyst_a, name, data, format="text")
    assert answer.status_code == 200
    assert any(error.startswith(why) for error in answer.context["form"].errors["file"])
    assert not Submission.objects.exists()
    assert not default_storage.exists(PENDING) or not default_storage.listdir(PENDING)[1]
