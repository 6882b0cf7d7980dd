"""Feed subscriptions: a TAXII 2.1 collection polled from OASIS medallion and a MISP feed
served from a directory, both on loopback; failures, back-off, the scheduler, the pages,
the command and the task."""

import io
import json
import uuid
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from taxii2client.v21 import Collection

from tests.exchange.conftest import MEDALLION_PASSWORD, MEDALLION_USER
from tests.factories import UserFactory, confirmed_totp, totp_code
from tests.intel.store_data import T1, bundle, indicator
from tests.ports import free_port
from vaka.directory.services import create_token
from vaka.exchange import feeds, tasks
from vaka.exchange.models import Collection as VakaCollection
from vaka.exchange.models import Feed, FeedPoll
from vaka.intel import services
from vaka.intel.models import StixObject, Submission
from vaka.policy.models import AuditEntry
from vaka.policy.services import Markings

pytestmark = pytest.mark.usefixtures("loopback_allowed")


def taxii_feed(region, server, **extra) -> Feed:
    fields = {"name": "Partner TAXII", "kind": Feed.Kind.TAXII, "url": server.url,
              "username": MEDALLION_USER, "password": MEDALLION_PASSWORD,
              "organisation": region.unit_a, "tlp": "green", "distribution": "members",
              **extra}
    return Feed.objects.create(**fields)


def misp_feed_of(region, server, **extra) -> Feed:
    fields = {"name": "Partner MISP", "kind": Feed.Kind.MISP, "url": server.url,
              "organisation": region.unit_a, "tlp": "green", "distribution": "members",
              **extra}
    return Feed.objects.create(**fields)


def misp_event(seed: str, timestamp: int, domains: list[str]) -> dict:
    """A MISP event as PyMISP's feed generator writes it: {"Event": …}, no distribution."""
    event_uuid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"event/{seed}"))
    return {"Event": {
        "uuid": event_uuid, "info": f"Phishing kit {seed}", "date": "2026-01-10",
        "threat_level_id": "2", "analysis": "1", "published": True,
        "timestamp": str(timestamp), "publish_timestamp": str(timestamp),
        "Orgc": {"name": "Partner CERT", "uuid": "5f6e7d8c-1111-4c3f-9a3e-0a1b2c3d4e5f"},
        "Tag": [{"name": "tlp:green", "colour": "#33FF00", "local": False,
                 "relationship_type": ""}],
        "Attribute": [{
            "uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"attribute/{domain}")),
            "type": "domain", "category": "Network activity", "to_ids": True,
            "value": domain, "timestamp": str(timestamp), "comment": ""}
            for domain in domains]}}


def stored() -> tuple[int, int]:
    return StixObject.objects.count(), Submission.objects.count()


def refreshed(feed: Feed) -> Feed:
    feed.refresh_from_db()
    return feed


@pytest.fixture
def spy_get_objects(monkeypatch):
    """The query parameters of each TAXII objects request."""
    calls: list[dict] = []
    original = Collection.get_objects

    def get_objects(self, *args, **kwargs):
        calls.append(kwargs)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Collection, "get_objects", get_objects)
    return calls


# --- TAXII 2.1 ---------------------------------------------------------------------------------

def test_a_taxii_collection_is_stored_then_only_what_was_added_since(
        region, medallion, spy_get_objects):
    server = medallion()
    server.add(*[indicator(f"c2-{i}.kit-portal.net") for i in range(3)])
    feed = taxii_feed(region, server)

    first = feeds.poll(feed)
    assert first.status == "ok", first.message
    assert (first.new, first.updated, first.rejected) == (3, 0, 0)
    held = StixObject.objects.filter(type="indicator")
    assert held.count() == 3
    assert set(held.values_list("owner", "tlp", "distribution")) == {
        (region.unit_a.pk, "green", "members")}
    assert spy_get_objects[0].get("added_after") is None
    cursor = refreshed(feed).state["added_after"]
    assert cursor and feed.failures == 0 and feed.last_success is not None

    server.add(indicator("c2-3.kit-portal.net"), indicator("c2-4.kit-portal.net"))
    second = feeds.poll(feed)
    assert second.status == "ok", second.message
    assert (second.new, second.updated, second.unchanged) == (2, 0, 0)
    assert spy_get_objects[-1]["added_after"] == cursor
    assert held.count() == 5
    assert refreshed(feed).state["added_after"] > cursor
    assert Submission.objects.filter(source="feed").count() == 2
    page = Submission.objects.filter(source="feed").first()
    assert page.title == feed.name and page.original.read().startswith(b"{")


def test_taxii_pages_are_each_one_submission(region, medallion):
    server = medallion(max_page_size=2)
    server.add(*[indicator(f"mule-{i}.bank-portal.net") for i in range(5)])
    feed = taxii_feed(region, server)
    done = feeds.poll(feed)
    assert done.status == "ok", done.message
    assert done.new == 5
    assert done.submissions.count() == 3
    assert "3 pages read, from the beginning" in done.message


def test_an_updated_object_is_fetched_again_as_a_new_version(region, medallion):
    server = medallion()
    server.add(indicator("drop.kit-portal.net"))
    feed = taxii_feed(region, server)
    feeds.poll(feed)
    server.add(indicator("drop.kit-portal.net", modified=T1, description="now a drop zone"))
    again = feeds.poll(feed)
    assert (again.new, again.updated) == (0, 1)
    assert StixObject.objects.get().description == "now a drop zone"


def test_an_interrupted_poll_keeps_its_pages_and_resumes_without_losing_any(
        region, medallion, monkeypatch):
    server = medallion(max_page_size=2)
    server.add(*[indicator(f"relay-{i}.kit-portal.net") for i in range(5)])
    feed = taxii_feed(region, server)
    real_ingest, calls = feeds.ingest_bytes, []

    def failing_on_second_page(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise OSError("disk full")
        return real_ingest(*args, **kwargs)

    monkeypatch.setattr(feeds, "ingest_bytes", failing_on_second_page)
    broken = feeds.poll(feed)
    assert broken.status == "failed"
    assert "disk full" in broken.message
    assert StixObject.objects.count() == 2  # the first page, stored whole
    assert refreshed(feed).state["added_after"]
    monkeypatch.setattr(feeds, "ingest_bytes", real_ingest)
    resumed = feeds.poll(feed)
    assert resumed.status == "ok", resumed.message
    # All five were added at one instant: the resumed poll reads the first page's
    # again rather than skip the ones added with them.
    assert resumed.new == 3
    assert StixObject.objects.count() == 5


def test_a_bad_taxii_object_is_listed_and_the_others_kept(region, medallion):
    server = medallion()
    bad = indicator("broken.kit-portal.net")
    bad["pattern"] = "[domain-name:value = 'unterminated]"
    server.add(indicator("fine.kit-portal.net"), bad)
    feed = taxii_feed(region, server)
    done = feeds.poll(feed)
    assert done.status == "ok"
    assert (done.new, done.rejected) == (1, 1)
    [error] = done.errors
    assert error["page"] == 1 and "index" in error and error["message"]


def test_wrong_taxii_credentials_are_a_failed_poll_that_says_so(region, medallion):
    server = medallion()
    server.add(indicator("hidden.kit-portal.net"))
    feed = taxii_feed(region, server, password="wrong")
    done = feeds.poll(feed)
    assert done.status == "failed"
    assert done.message.startswith(f"HTTP 401 from {server.url}: check the credentials")
    assert stored() == (0, 0)
    assert refreshed(feed).failures == 1 and "HTTP 401" in feed.last_error


def test_a_token_is_sent_as_a_bearer_token(region, medallion, monkeypatch):
    sent = []
    original = feeds._Bearer.__call__

    def spy(self, request):
        sent.append(original(self, request).headers["Authorization"])
        return request

    monkeypatch.setattr(feeds._Bearer, "__call__", spy)
    server = medallion()
    feed = taxii_feed(region, server, username="", password="", token="abc123")
    done = feeds.poll(feed)
    assert done.status == "failed"  # medallion knows only Basic authentication
    assert sent and set(sent) == {"Bearer abc123"}
    feed.token = "Token vaka-key"
    feeds.poll(feed)
    assert sent[-1] == "Token vaka-key"


@pytest.mark.django_db(transaction=True)
def test_another_vaka_instance_is_polled_with_its_api_token(region, live_server):
    """Vaka's own TAXII server as the source: the token names its scheme (``Token …``)."""
    def publish(*objects):
        return services.ingest_bytes(bundle(*objects), organisation=region.unit_a,
                                     user=region.analyst_a, source="api",
                                     markings=Markings(tlp="green", distribution="members"))

    publish(*[indicator(f"shared-{i}.kit-portal.net") for i in range(3)])
    theirs = VakaCollection.objects.create(title="Unit A", filters={"owner": region.unit_a.pk})
    key = create_token(region.analyst_b, name="feed")[1]
    feed = Feed.objects.create(
        name="Regional hub", kind="taxii", token=f"Token {key}", organisation=region.unit_b,
        url=f"{live_server.url}/taxii2/api/collections/{theirs.id}/", tlp="amber",
        distribution="organisation")
    first = feeds.poll(feed)
    assert first.status == "ok", first.message
    assert first.new == 3
    assert StixObject.objects.filter(owner=region.unit_b).count() == 3
    publish(indicator("shared-3.kit-portal.net"))
    second = feeds.poll(feed)
    assert (second.status, second.new, second.unchanged) == ("ok", 1, 0)


# --- MISP feeds --------------------------------------------------------------------------------

def test_a_misp_feed_is_stored_then_only_changed_events_fetched(region, misp_feed):
    server = misp_feed()
    phishing = misp_event("phishing", 1767000000, ["login-bank-portal.net"])
    mules = misp_event("mules", 1767000100, ["mule-recruit.net", "mule-jobs.net"])
    server.publish(phishing)
    server.publish(mules)
    feed = misp_feed_of(region, server)

    first = feeds.poll(feed)
    assert first.status == "ok", first.message
    assert first.new > 0 and first.rejected == 0
    assert first.submissions.count() == 2
    assert sorted(server.requested) == sorted([
        "/feed/manifest.json", f"/feed/{phishing['Event']['uuid']}.json",
        f"/feed/{mules['Event']['uuid']}.json"])
    names = set(StixObject.objects.filter(type="indicator").values_list("name", flat=True))
    assert any("mule-jobs.net" in name for name in names)
    assert set(StixObject.objects.values_list("owner", flat=True)) == {region.unit_a.pk}
    assert refreshed(feed).state["events"] == {phishing["Event"]["uuid"]: 1767000000,
                                               mules["Event"]["uuid"]: 1767000100}

    server.requested.clear()
    server.publish(misp_event("mules", 1767000500, ["mule-recruit.net", "mule-jobs.net",
                                                    "mule-payroll.net"]))
    second = feeds.poll(feed)
    assert second.status == "ok", second.message
    assert server.requested == ["/feed/manifest.json", f"/feed/{mules['Event']['uuid']}.json"]
    assert second.submissions.count() == 1
    assert second.new >= 1
    assert "1 of 2 events new or changed" in second.message
    assert refreshed(feed).state["events"][mules["Event"]["uuid"]] == 1767000500

    server.requested.clear()
    third = feeds.poll(feed)
    assert (third.status, third.new, third.submissions.count()) == ("ok", 0, 0)
    assert server.requested == ["/feed/manifest.json"]


def test_a_misp_api_key_is_sent_as_the_authorization_header(region, misp_feed):
    server = misp_feed(key="misp-key-42")
    server.publish(misp_event("keyed", 1767000000, ["keyed-portal.net"]))
    feed = misp_feed_of(region, server, token="misp-key-42")
    assert feeds.poll(feed).status == "ok"
    assert StixObject.objects.exists()


# --- failures ----------------------------------------------------------------------------------

def assert_backs_off(feed: Feed, times: int) -> None:
    feed.refresh_from_db()
    assert feed.failures == times
    expected = timedelta(minutes=feed.interval_minutes) * 2 ** times
    assert abs(feed.next_poll_at - (timezone.now() + expected)) < timedelta(seconds=30)


def test_an_unreachable_feed_fails_backs_off_and_stores_nothing(region):
    port = free_port()  # nobody listens there
    feed = Feed.objects.create(name="Gone", kind="misp", url=f"http://127.0.0.1:{port}/feed/",
                               organisation=region.unit_a, interval_minutes=30)
    done = feeds.poll(feed)
    assert done.status == "failed"
    assert done.message.splitlines()[0] == f"127.0.0.1:{port} refused the connection."
    assert done.finished is not None
    assert_backs_off(feed, 1)
    feeds.poll(feed)
    assert_backs_off(feed, 2)
    assert feed.last_error.endswith("refused the connection.")
    assert stored() == (0, 0)


def test_a_taxii_server_answering_deeply_nested_json_is_a_failed_poll_that_says_so(
        region, deep_json_server):
    server = deep_json_server("application/taxii+json;version=2.1")
    url = f"{server.url}api1/collections/{uuid.uuid4()}/"
    feed = Feed.objects.create(name="Hostile", kind="taxii", url=url,
                               organisation=region.unit_a)
    done = feeds.poll(feed)
    assert done.status == "failed"
    assert done.message.splitlines()[0] == (
        f"{url} answered JSON nested more than 100 levels deep.")
    assert_backs_off(feed, 1)
    assert stored() == (0, 0)


def test_a_misp_manifest_nested_too_deeply_is_a_failed_poll_that_says_so(region, misp_feed):
    server = misp_feed()
    server.write("manifest.json", b"[" * 100_000 + b"]" * 100_000)
    done = feeds.poll(misp_feed_of(region, server))
    assert done.status == "failed"
    assert done.message.splitlines()[0] == (
        f"{server.url}manifest.json answered JSON nested more than 100 levels deep.")


def test_back_off_stops_at_a_day(region):
    feed = Feed.objects.create(name="Gone", kind="misp", url=f"http://127.0.0.1:{free_port()}/",
                               organisation=region.unit_a, interval_minutes=600, failures=5)
    feeds.poll(feed)
    assert abs(refreshed(feed).next_poll_at - (timezone.now() + timedelta(hours=24))) < \
        timedelta(seconds=30)


def test_http_401_is_a_failed_poll_that_names_the_credentials(region, misp_feed):
    server = misp_feed(key="the-right-key")
    server.publish(misp_event("locked", 1767000000, ["locked-portal.net"]))
    feed = misp_feed_of(region, server, token="a-wrong-key")
    done = feeds.poll(feed)
    assert done.status == "failed"
    assert done.message.splitlines()[0] == (
        f"HTTP 401 from {server.url}manifest.json: check the credentials.")
    assert_backs_off(feed, 1)
    assert stored() == (0, 0)


@pytest.mark.parametrize(("manifest", "reason"), [
    (b"<html>Not a feed</html>", "manifest.json is not JSON"),
    (b"[1, 2, 3]", "manifest.json is not a MISP feed manifest"),
])
def test_a_malformed_manifest_is_a_failed_poll(region, misp_feed, manifest, reason):
    server = misp_feed()
    server.write("manifest.json", manifest)
    feed = misp_feed_of(region, server)
    done = feeds.poll(feed)
    assert done.status == "failed"
    assert reason in done.message
    assert_backs_off(feed, 1)
    assert stored() == (0, 0)


def test_a_non_json_event_fails_the_poll_and_is_fetched_again_next_time(region, misp_feed):
    server = misp_feed()
    broken = misp_event("broken", 1767000000, ["broken-portal.net"])
    server.publish(broken)
    event_uuid = broken["Event"]["uuid"]
    server.write(f"{event_uuid}.json", b"{\"Event\": {truncated")
    feed = misp_feed_of(region, server)
    done = feeds.poll(feed)
    assert done.status == "failed"
    assert done.message.startswith("1 of 1 event could not be read; the first: ")
    assert f"{event_uuid}.json is not JSON" in done.message
    assert done.errors[0]["event"] == event_uuid
    assert stored() == (0, 0)
    assert refreshed(feed).state.get("events", {}) == {}
    assert_backs_off(feed, 1)

    server.publish(broken)  # repaired
    repaired = feeds.poll(feed)
    assert repaired.status == "ok", repaired.message
    assert refreshed(feed).failures == 0 and feed.last_error == ""
    assert feed.state["events"] == {event_uuid: 1767000000}


def test_one_bad_event_does_not_hold_back_the_others(region, misp_feed):
    server = misp_feed()
    good, missing = (misp_event("good", 1767000000, ["good-portal.net"]),
                     misp_event("missing", 1767000000, ["missing-portal.net"]))
    server.publish(good)
    server.publish(missing)
    (server.directory / "feed" / f"{missing['Event']['uuid']}.json").unlink()
    feed = misp_feed_of(region, server)
    done = feeds.poll(feed)
    assert done.status == "failed"
    assert "HTTP 404" in done.message and "1 of 2 events could not be read" in done.message
    assert done.new > 0
    assert list(refreshed(feed).state["events"]) == [good["Event"]["uuid"]]


def test_due_feeds_are_each_polled_on_their_own(region, misp_feed, monkeypatch):
    server = misp_feed()
    server.publish(misp_event("due", 1767000000, ["due-portal.net"]))
    working = misp_feed_of(region, server, name="Working")
    Feed.objects.create(name="Unreachable", kind="misp", organisation=region.unit_a,
                        url=f"http://127.0.0.1:{free_port()}/")
    Feed.objects.create(name="Buggy", kind="misp", organisation=region.unit_a, url=server.url)
    later = Feed.objects.create(name="Later", kind="misp", organisation=region.unit_a,
                                url=server.url,
                                next_poll_at=timezone.now() + timedelta(hours=1))
    Feed.objects.create(name="Disabled", kind="misp", organisation=region.unit_a,
                        url=server.url, enabled=False)
    real = feeds._poll_misp

    def buggy(feed, run):
        if feed.name == "Buggy":
            raise KeyError("a bug")
        return real(feed, run)

    monkeypatch.setattr(feeds, "_poll_misp", buggy)
    done = {poll.feed.name: poll for poll in feeds.poll_due()}
    assert set(done) == {"Working", "Unreachable", "Buggy"}
    assert done["Working"].status == "ok" and done["Working"].new > 0
    assert done["Unreachable"].status == "failed"
    assert done["Buggy"].status == "failed"
    assert done["Buggy"].message.startswith("Unexpected error (KeyError)")
    assert refreshed(working).next_poll_at > timezone.now() + timedelta(minutes=50)
    assert not later.polls.exists()
    assert feeds.poll_due() == []  # all rescheduled: nothing is polled twice


def test_a_feed_claimed_by_another_scheduler_is_left_to_it(region, misp_feed, monkeypatch):
    server = misp_feed()
    feed = misp_feed_of(region, server)
    real_update = type(Feed.objects.all()).update

    def claimed_first(queryset, **kwargs):
        if "next_poll_at" in kwargs and not hasattr(claimed_first, "done"):
            claimed_first.done = True  # the other scheduler's claim lands just before ours
            real_update(Feed.objects.filter(pk=feed.pk),
                        next_poll_at=timezone.now() + timedelta(hours=1))
        return real_update(queryset, **kwargs)

    monkeypatch.setattr(type(Feed.objects.all()), "update", claimed_first)
    assert feeds.poll_due() == []
    assert not feed.polls.exists()


def test_every_poll_is_audited(region, misp_feed):
    server = misp_feed()
    feed = misp_feed_of(region, server)
    server.write("manifest.json", b"{}")
    done = feeds.poll(feed)
    entry = AuditEntry.objects.get(action="feed_poll")
    assert entry.target_id == str(feed.pk)
    assert entry.detail["poll"] == done.pk and entry.detail["status"] == "ok"


# --- command and task --------------------------------------------------------------------------

def test_the_command_polls_named_feeds_and_prints_one_json_line_each(region, misp_feed):
    server = misp_feed()
    server.publish(misp_event("cli", 1767000000, ["cli-portal.net"]))
    misp_feed_of(region, server, name="Partner MISP",
                 next_poll_at=timezone.now() + timedelta(hours=1))
    out = io.StringIO()
    call_command("feeds", "poll", "Partner MISP", stdout=out)
    [line] = out.getvalue().splitlines()
    summary = json.loads(line)
    assert summary["feed"] == "Partner MISP" and summary["status"] == "ok"
    assert summary["new"] > 0
    listing = io.StringIO()
    call_command("feeds", "list", stdout=listing)
    assert "Partner MISP" in listing.getvalue() and "NEXT POLL" in listing.getvalue()


def test_the_command_exits_1_when_a_poll_failed(region):
    Feed.objects.create(name="Gone", kind="misp", organisation=region.unit_a,
                        url=f"http://127.0.0.1:{free_port()}/")
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("feeds", "poll", stdout=out)
    assert exit_.value.code == 1
    assert json.loads(out.getvalue())["status"] == "failed"


def test_the_task_polls_the_due_feeds(region, misp_feed):
    server = misp_feed()
    server.write("manifest.json", b"{}")
    misp_feed_of(region, server)
    [result] = tasks.poll_due_feeds.delay().get()
    assert result["feed"] == "Partner MISP" and result["status"] == "ok"


# --- pages -------------------------------------------------------------------------------------

def signed_in_admin(region, client):
    admin = UserFactory(role="platform_admin", organisation=region.unit_b)
    client.force_login(admin)
    client.post("/accounts/verify/", {"otp_token": totp_code(confirmed_totp(admin))})
    return admin


def form_data(region, **extra) -> dict:
    return {"name": "Partner TAXII", "kind": "taxii",
            "url": "https://taxii.partner.example/api/collections/abc/",
            "username": "vaka", "password": "s3cret-password", "token": "",
            "verify_tls": "on", "organisation": region.unit_a.pk, "tlp": "green",
            "distribution": "members", "interval_minutes": 60, "enabled": "on", **extra}


def test_admin_subscribes_and_the_password_is_never_shown_back(region, client):
    admin = signed_in_admin(region, client)
    answer = client.post("/exchange/feeds/new/", form_data(region))
    feed = Feed.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/exchange/feeds/{feed.pk}/"
    assert (feed.password, feed.created_by) == ("s3cret-password", admin)
    assert AuditEntry.objects.filter(action="create", target_id=str(feed.pk)).exists()
    for url in ("/exchange/feeds/", f"/exchange/feeds/{feed.pk}/",
                f"/exchange/feeds/{feed.pk}/edit/"):
        page = client.get(url)
        assert page.status_code == 200
        assert "s3cret-password" not in page.content.decode()
    # Left empty on edit, the password is kept; a new URL starts the feed over.
    feed.state = {"added_after": "2026-01-10T08:00:00.000000Z"}
    feed.save()
    client.post(f"/exchange/feeds/{feed.pk}/edit/", form_data(
        region, password="", url="https://taxii.partner.example/api/collections/def/"))
    feed.refresh_from_db()
    assert feed.password == "s3cret-password" and feed.state == {}
    client.post(f"/exchange/feeds/{feed.pk}/edit/", form_data(
        region, password="", forget_credentials="on"))
    assert refreshed(feed).password == ""


def test_the_form_refuses_red_foreign_communities_and_a_password_without_user(region, client):
    signed_in_admin(region, client)
    red = client.post("/exchange/feeds/new/", form_data(region, tlp="red",
                                                       distribution="organisation"))
    assert red.context["form"].errors["recipients"] == [
        "TLP:RED needs at least one named recipient."]
    outside = client.post("/exchange/feeds/new/", form_data(
        region, organisation=region.unit_b.pk, distribution="communities",
        communities=[region.community.pk]))
    assert "communities" in outside.context["form"].errors
    anonymous = client.post("/exchange/feeds/new/", form_data(region, username=""))
    assert "username" in anonymous.context["form"].errors
    assert not Feed.objects.exists()


def test_a_feed_marks_what_it_brings_in_with_pap_handling_grading_and_red_recipients(
        region, client, misp_feed):
    signed_in_admin(region, client)
    answer = client.post("/exchange/feeds/new/", form_data(
        region, kind="misp", url="https://misp.partner.example/feed/", username="",
        password="", tlp="red", distribution="organisation", recipients=[region.colleague_a.pk],
        pap="green", handling=["no-onward"], handling_note="Ask the desk",
        grading_scheme="admiralty", grading_source="admiralty:B",
        grading_information="admiralty:2"))
    assert answer.status_code == 302, answer.context["form"].errors
    feed = Feed.objects.get()
    assert (feed.pap, feed.handling, feed.grading_source) == ("green", ["no-onward"], "B")
    edit = client.get(f"/exchange/feeds/{feed.pk}/edit/").context["form"]
    assert (edit.initial["pap"], edit.initial["grading_source"]) == ("green", "admiralty:B")
    assert edit.initial["recipients"] == [region.colleague_a]
    server = misp_feed()
    server.publish(misp_event("marked", 1767000000, ["marked-portal.net"]))
    Feed.objects.filter(pk=feed.pk).update(url=server.url)
    assert feeds.poll(refreshed(feed)).status == "ok"
    stored = StixObject.objects.get(type="indicator")
    assert (stored.tlp, stored.pap, stored.handling, stored.handling_note) == (
        "red", "green", ["no-onward"], "Ask the desk")
    assert (stored.grading_source, stored.grading_information) == ("B", "2")
    assert set(stored.recipients) == {region.colleague_a}


def test_admin_sees_each_poll_with_its_counts_and_errors(region, client, misp_feed):
    signed_in_admin(region, client)
    server = misp_feed()
    server.publish(misp_event("page", 1767000000, ["page-portal.net"]))
    server.write("manifest.json", json.dumps({
        **server.manifest, "not-a-uuid": {"timestamp": "1"}}).encode())
    feed = misp_feed_of(region, server)
    answer = client.post(f"/exchange/feeds/{feed.pk}/poll/")
    assert answer.status_code == 302
    done = feed.polls.get()
    assert done.status == "failed" and done.new > 0
    entry = AuditEntry.objects.get(action="feed_poll")
    assert entry.actor.role == "platform_admin"
    page = client.get(f"/exchange/feeds/{feed.pk}/").content.decode()
    assert "Poll now" in page
    assert "manifest entry “not-a-uuid” has no event UUID and timestamp" in page
    listing = client.get("/exchange/feeds/").content.decode()
    assert "Partner MISP" in listing and "1 of 2 events could not be read" in listing


def test_only_platform_admins_reach_the_feed_pages(region, client):
    feed = Feed.objects.create(name="Partner", kind="misp", url="https://feed.example/",
                               organisation=region.unit_a, password="hidden")
    client.force_login(region.analyst_a)
    for url in ("/exchange/feeds/", "/exchange/feeds/new/", f"/exchange/feeds/{feed.pk}/",
                f"/exchange/feeds/{feed.pk}/edit/"):
        assert client.get(url).status_code == 403, url
    assert client.post(f"/exchange/feeds/{feed.pk}/poll/").status_code == 403
    assert not FeedPoll.objects.exists()
