"""Large submissions go to a background worker when there is a broker: the request answers
at once with the submission queued, its page follows it (htmx) until it is stored, and a
queue that cannot be reached fails it visibly. Without a broker, nothing changes.

The worker itself is stood in for by calling the task's body (``queued.run``); the real
Redis and Celery worker are in ``tests/integration``."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from kombu.exceptions import OperationalError

from tests.intel.store_data import bundle, indicator
from vaka.exchange import tasks as exchange_tasks
from vaka.intel import queued, tasks
from vaka.intel.models import StixObject, Submission
from vaka.intel.originals import Original
from vaka.policy.services import Markings

MARKS = {"tlp": "amber", "distribution": "organisation", "pap": "amber"}


@pytest.fixture(autouse=True)
def _own_files(settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": tmp_path}}}


@pytest.fixture
def broker(settings):
    """A broker is configured and everything is large; the queue is a list of ids."""
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    settings.BACKGROUND_INGEST_MB = 0
    sent: list[int] = []
    with mock.patch.object(tasks.ingest_submission, "delay", side_effect=sent.append):
        yield sent


@pytest.fixture
def broker_down(settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    settings.BACKGROUND_INGEST_MB = 0
    error = OperationalError("Error 111 connecting to 127.0.0.1:1. Connection refused.")
    with mock.patch.object(tasks.ingest_submission, "delay", side_effect=error):
        yield


def _upload(client, user, data, name="big.json"):
    client.force_login(user)
    return client.post("/intel/submit/", {"file": SimpleUploadedFile(name, data),
                                          "format": "stix", **MARKS})


def _queued_files() -> list[str]:
    try:
        return default_storage.listdir(queued.QUEUED)[1]
    except OSError:
        return []


def test_without_a_broker_even_a_large_upload_is_stored_in_the_request(region, client,
                                                                       settings):
    settings.BACKGROUND_INGEST_MB = 0
    assert not queued.in_background(10**9)
    _upload(client, region.analyst_a, bundle(indicator("in-process.example")))
    assert Submission.objects.get().status == Submission.Status.STORED


def test_a_small_upload_is_stored_in_the_request_even_with_a_broker(region, client,
                                                                    settings, broker):
    settings.BACKGROUND_INGEST_MB = 1
    _upload(client, region.analyst_a, bundle(indicator("small.example")))
    assert Submission.objects.get().status == Submission.Status.STORED
    assert broker == []


def test_a_large_upload_answers_at_once_with_a_page_that_follows_it(region, client, broker):
    data = bundle(indicator("queued.example"), indicator("second.example"))
    answer = _upload(client, region.analyst_a, data)
    submission = Submission.objects.get()
    assert answer.url == submission.get_absolute_url()
    assert broker == [submission.pk]
    assert (submission.status, StixObject.objects.count()) == ("queued", 0)
    assert submission.tlp == "amber" and submission.title == "big.json"
    page = client.get(answer.url).content.decode()
    assert "Queued." in page
    assert f'hx-get="/intel/submissions/{submission.pk}/progress/"' in page
    assert 'hx-trigger="every 2s"' in page

    queued.run(submission.pk)  # the worker

    box = client.get(f"/intel/submissions/{submission.pk}/progress/", HTTP_HX_REQUEST="true")
    text = box.content.decode()
    assert "Stored." in text and "2 new, 0 updated, 0 unchanged, 0 rejected." in text
    assert "hx-trigger" not in text  # done: the polling stops
    assert box["HX-Refresh"] == "true"  # and the page reloads with its objects
    submission.refresh_from_db()
    assert (submission.status, submission.new, submission.job) == ("stored", 2, None)
    assert submission.original.read() == data
    assert StixObject.objects.filter(submission=submission).count() == 2
    assert _queued_files() == []  # the waiting bytes are gone


def test_a_running_submission_says_a_worker_is_storing_it(region, client, broker):
    _upload(client, region.analyst_a, bundle(indicator("running.example")))
    submission = Submission.objects.get()
    Submission.objects.filter(pk=submission.pk).update(status=Submission.Status.RUNNING)
    box = client.get(f"/intel/submissions/{submission.pk}/progress/").content.decode()
    assert "Being stored." in box and 'hx-trigger="every 2s"' in box


def test_a_second_delivery_of_the_task_stores_nothing_twice(region, client, broker):
    _upload(client, region.analyst_a, bundle(indicator("twice.example")))
    submission = Submission.objects.get()
    assert queued.run(submission.pk).status == "stored"
    assert queued.run(submission.pk) is None
    assert Submission.objects.count() == 1
    assert StixObject.objects.count() == 1


def test_a_queued_input_that_is_wrong_ends_rejected_with_its_problems(region, client,
                                                                      broker):
    _upload(client, region.analyst_a, b'{"type": "bundle", "objects": [{"type": "x"}]}')
    submission = Submission.objects.get()
    queued.run(submission.pk)
    submission.refresh_from_db()
    assert submission.status == "rejected" and submission.errors
    page = client.get(submission.get_absolute_url()).content.decode()
    assert "Rejected, nothing stored." in page and "What was wrong" in page
    assert not submission.original and _queued_files() == []


def test_a_worker_that_fails_marks_the_submission_failed_with_why(region, client, broker):
    _upload(client, region.analyst_a, bundle(indicator("broken.example")))
    submission = Submission.objects.get()
    with mock.patch("vaka.intel.services.ingest_bytes", side_effect=OSError("disk full")):
        queued.run(submission.pk)
    submission.refresh_from_db()
    assert submission.status == "failed"
    assert "OSError: disk full" in submission.errors[0]["message"]
    box = client.get(f"/intel/submissions/{submission.pk}/progress/").content.decode()
    assert "Failed, nothing stored." in box and "disk full" in box
    assert "hx-trigger" not in box
    assert StixObject.objects.count() == 0 and _queued_files() == []


def test_an_unreachable_queue_fails_the_submission_at_once_and_says_so(region, client,
                                                                       broker_down):
    answer = _upload(client, region.analyst_a, bundle(indicator("lost.example")))
    submission = Submission.objects.get()
    assert submission.status == "failed"
    page = client.get(answer.url).content.decode()
    assert "Background queue unreachable" in page and "hx-trigger" not in page
    assert _queued_files() == []


def test_the_api_answers_202_queued_then_the_submission_reads_stored(region, api_for, broker):
    api = api_for(region.analyst_a)
    answer = api.post("/api/submissions/", {
        "file": SimpleUploadedFile("feed.json", bundle(indicator("api.example"))),
        "format": "stix", **MARKS}, format="multipart")
    assert answer.status_code == 202, answer.content
    assert answer.json()["status"] == "queued"
    queued.run(answer.json()["id"])
    later = api.get(f"/api/submissions/{answer.json()['id']}/").json()
    assert (later["status"], later["new"]) == ("stored", 1)


def test_the_api_answers_503_when_the_queue_is_unreachable(region, api_for, broker_down):
    answer = api_for(region.analyst_a).post("/api/submissions/", {
        "content": "value\nlost.example.net\n", "format": "csv", **MARKS})
    assert answer.status_code == 503
    assert answer.json()["status"] == "failed"
    assert "Background queue unreachable" in answer.json()["errors"][0]["message"]


def test_markings_that_break_a_rule_are_refused_before_anything_is_queued(region, client,
                                                                          broker):
    client.force_login(region.analyst_a)
    answer = client.post("/intel/submit/", {
        "file": SimpleUploadedFile("x.json", bundle(indicator("public.example"))),
        "format": "stix", "tlp": "amber", "distribution": "public", "pap": "amber"})
    assert answer.status_code == 200 and "requires TLP:CLEAR" in answer.content.decode()
    assert Submission.objects.count() == 0 and broker == [] and _queued_files() == []


def test_the_worker_applies_the_markings_and_labels_it_was_sent_with(region, broker):
    data = b"value\ncommunity.example.net\n"
    submission = queued.queue_ingest(
        data, organisation=region.unit_a, user=region.analyst_a, source="paste", fmt="csv",
        markings=Markings(tlp="green", distribution="communities",
                          communities=[region.community]),
        labels=["phishing"], original=Original(b"the pasted advisory"))
    assert submission.title == "Paste of 1 line"
    queued.run(submission.pk)
    obj = StixObject.objects.get(submission=submission)
    assert (obj.tlp, obj.distribution, obj.labels) == ("green", "communities", ["phishing"])
    assert list(obj.communities.all()) == [region.community]
    submission.refresh_from_db()
    assert submission.original.read() == b"the pasted advisory"


def test_a_queued_submission_is_not_shown_outside_its_audience(region, client, broker):
    _upload(client, region.analyst_a, bundle(indicator("private.example")))
    submission = Submission.objects.get()
    client.force_login(region.analyst_b)
    assert client.get(f"/intel/submissions/{submission.pk}/progress/").status_code == 404


def test_a_submission_a_dead_worker_left_is_failed_by_the_scheduler_round(region, client,
                                                                          broker):
    _upload(client, region.analyst_a, bundle(indicator("killed.example")))
    submission = Submission.objects.get()
    with mock.patch("vaka.intel.services.ingest_bytes", side_effect=KeyboardInterrupt), \
            pytest.raises(KeyboardInterrupt):  # the worker dies mid-store
        queued.run(submission.pk)
    assert Submission.objects.get().status == "running"
    exchange_tasks.run_due()  # soon after: a slow worker is not a dead one
    assert Submission.objects.get().status == "running"
    later = timezone.now() + queued.STALLED_AFTER + timedelta(minutes=1)
    assert queued.fail_stalled(later) == 1
    submission.refresh_from_db()
    assert submission.status == "failed" and "send it again" in submission.errors[0]["message"]
    assert StixObject.objects.count() == 0 and _queued_files() == []
