""""Poll now" and "sync now" with a broker: the request queues the run and answers at once,
the page follows the job to its outcome, and a broker that is down is said, not hidden.
Without a broker they run in the request as before (test_feeds, test_sync).

The broker is stood in for here (the queue and its result store); the real Redis and
Celery worker are in ``tests/integration``."""

from types import SimpleNamespace
from unittest import mock

import pytest
from kombu.exceptions import OperationalError

from tests.exchange.test_feeds import signed_in_admin
from vaka.exchange import jobs, tasks
from vaka.exchange.models import Feed, FeedPoll, Peer

JOB = "5d3c1a8e-3f0a-4b7e-9a57-2b1f5f3f9c11"


@pytest.fixture
def broker(settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"


@pytest.fixture
def feed(region):
    return Feed.objects.create(name="Partner TAXII", kind="taxii", organisation=region.unit_a,
                               url="https://taxii.partner.example/api/collections/abc/")


def _result(state: str, result: object = None):
    return mock.patch("celery.result.AsyncResult",
                      return_value=SimpleNamespace(state=state, result=result))


def test_poll_now_queues_the_poll_and_the_page_follows_it(region, client, broker, feed):
    signed_in_admin(region, client)
    with mock.patch.object(tasks.poll_feed, "delay",
                           return_value=SimpleNamespace(id=JOB)) as delay:
        answer = client.post(f"/exchange/feeds/{feed.pk}/poll/")
    assert delay.call_args.args[0] == feed.pk
    assert answer.url == f"/exchange/feeds/{feed.pk}/?job={JOB}"
    assert not FeedPoll.objects.exists()  # nothing polled in the request
    with _result("PENDING"):
        page = client.get(answer.url).content.decode()
    assert "Queued." in page
    assert f'hx-get="/exchange/feeds/{feed.pk}/jobs/{JOB}/"' in page
    with _result("STARTED"):
        box = client.get(f"/exchange/feeds/{feed.pk}/jobs/{JOB}/").content.decode()
    assert "Running." in box and 'hx-trigger="every 2s"' in box
    done = {"feed": feed.pk, "poll": 1, "status": "ok", "new": 4, "updated": 1,
            "rejected": 0, "message": ""}
    with _result("SUCCESS", done):
        answer = client.get(f"/exchange/feeds/{feed.pk}/jobs/{JOB}/", HTTP_HX_REQUEST="true")
    box = answer.content.decode()
    assert "Polled." in box and "4 new, 1 updated, 0 rejected." in box
    assert "hx-trigger" not in box and answer["HX-Refresh"] == "true"


def test_a_failed_queued_poll_says_why(region, client, broker, feed):
    signed_in_admin(region, client)
    failed = {"feed": feed.pk, "poll": 1, "status": "failed", "new": 0, "updated": 0,
              "rejected": 0, "message": "HTTP 401 from the feed: check the credentials."}
    with _result("SUCCESS", failed):
        box = client.get(f"/exchange/feeds/{feed.pk}/jobs/{JOB}/").content.decode()
    assert "The poll failed." in box and "check the credentials" in box


def test_another_feeds_job_shows_nothing_of_its_outcome(region, client, broker, feed):
    signed_in_admin(region, client)
    other = {"feed": feed.pk + 1, "poll": 1, "status": "ok", "new": 9, "updated": 0,
             "rejected": 0, "message": ""}
    with _result("SUCCESS", other):
        box = client.get(f"/exchange/feeds/{feed.pk}/jobs/{JOB}/").content.decode()
    assert "9 new" not in box and "Queued." in box


def test_poll_now_with_the_broker_down_says_so_and_queues_nothing(region, client, broker,
                                                                  feed):
    signed_in_admin(region, client)
    with mock.patch.object(tasks.poll_feed, "delay",
                           side_effect=OperationalError("Connection refused")):
        answer = client.post(f"/exchange/feeds/{feed.pk}/poll/", follow=True)
    page = answer.content.decode()
    assert "Background queue unreachable" in page and "queued-job" not in page
    assert not FeedPoll.objects.exists()


def test_sync_now_queues_the_sync_and_the_page_follows_it(region, client, broker):
    signed_in_admin(region, client)
    peer = Peer.objects.create(name="Hub", url="https://hub.example/",
                               incoming_token_hash="0" * 64)
    with mock.patch.object(tasks.sync_peer, "delay",
                           return_value=SimpleNamespace(id=JOB)) as delay:
        answer = client.post(f"/exchange/peers/{peer.pk}/sync/")
    assert delay.call_args.args == (peer.pk,)
    assert answer.url == f"/exchange/peers/{peer.pk}/?job={JOB}"
    done = {"peer": peer.pk, "run": 1, "status": "ok", "pulled": 3, "pushed": 2,
            "rejected": 0, "message": ""}
    with _result("SUCCESS", done):
        page = client.get(answer.url).content.decode()
    assert "Synced." in page and "3 received, 2 sent, 0 refused." in page


def test_without_a_broker_a_job_address_is_only_the_feeds_page(region, client, feed):
    signed_in_admin(region, client)
    assert jobs.parse_id(JOB) is None
    answer = client.get(f"/exchange/feeds/{feed.pk}/jobs/{JOB}/")
    assert answer.url == f"/exchange/feeds/{feed.pk}/"
    assert "queued-job" not in client.get(f"/exchange/feeds/{feed.pk}/?job={JOB}").content.decode()
