"""While another writer holds the database, reads answer (their side writes wait in the
spool or are skipped), a sign-in goes through, and a write that cannot wait any longer is
a 503 saying so; ten writers and readers at once meet no server error."""

import threading
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from tests.busy import database_on_file, write_lock_held
from tests.conftest import api_client_for
from tests.factories import PASSWORD, UserFactory, totp_code
from tests.main_pages import ADMIN, ANALYST, ASKER, HELD, MAIN_PAGES, populate
from vaka.directory.models import User
from vaka.intel.exports import create_export_link
from vaka.intel.models import HitNotification
from vaka.policy import audit, deferred
from vaka.policy.models import AuditEntry

# What an API client reads most (the TAXII poll, exports and the rest are alike).
API_READS = ["/api/objects/?type=indicator", "/api/notes/", "/api/submissions/",
             "/api/inbox/", "/api/notifications/", "/api/organisations/", "/api/tokens/",
             "/api/objects/export/?format=csv", "/api/blocklists/domain.txt", "/taxii2/"]


@pytest.fixture
def busy_ready(transactional_db, settings, tmp_path, monkeypatch):
    """Side writes wait 50 ms and spool into the test's own folder; a write waits at most
    a second for the lock; the database is a file other connections lock as Vaka's would."""
    settings.SIDE_WRITE_WAIT = 0.05
    settings.DEFERRED_WRITES_DIR = tmp_path / "deferred"
    monkeypatch.setattr(deferred, "RETRY_AFTER_BUSY", 0)
    with database_on_file(tmp_path, busy_timeout=1):
        yield


def signed_in(username: str, store=None) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    if username == ADMIN:
        client.post("/accounts/verify/", {"otp_token": totp_code(store.admin_device)})
    return client


def test_pages_lookups_and_export_links_answer_while_another_writer_holds_the_database(
        busy_ready):
    store = populate()
    clients = {who: signed_in(who, store) for who in {page.who for page in MAIN_PAGES} if who}
    clients[""] = Client()
    asker_api = api_client_for(User.objects.get(username=ASKER))
    _link, key = create_export_link(User.objects.get(username=ANALYST), name="edge",
                                    fmt="domain", filters={})
    hits_before = HitNotification.objects.count()
    entries_before = AuditEntry.objects.count()

    with write_lock_held():
        started = timezone.now()
        for page in MAIN_PAGES:
            if page.form and page.name != "lookup":
                continue  # the submit page's review step prepares a submission: a write
            client = clients[page.who]
            response = (client.post(store.path(page), dict(page.form), follow=True) if page.form
                        else client.get(store.path(page)))
            assert response.status_code == 200, (page.name, response.status_code)
        for path in API_READS:
            response = asker_api.get(path)
            assert response.status_code == 200, (path, response.status_code)
        answer = asker_api.post("/api/lookup/", {"values": [HELD]}, format="json")
        assert answer.status_code == 200
        assert answer.json()["summary"]["held_elsewhere"] == 1
        download = Client().get("/intel/export/domain.txt", HTTP_X_VAKA_KEY=key)
        assert download.status_code == 200
        assert b"".join(download.streaming_content)
        assert AuditEntry.objects.count() == entries_before  # nothing got through

    deferred.flush()
    entries = AuditEntry.objects.filter(seq__gt=entries_before, action__in=["lookup", "export"])
    # In the order they were made: the lookup page, two API exports, the API look-up, the
    # export link.
    assert [e.action for e in entries.order_by("seq")] == [
        "lookup", "export", "export", "lookup", "export"]
    assert [e.at for e in entries.order_by("seq")] == sorted(e.at for e in entries)
    assert all(e.at >= started for e in entries)
    hit = HitNotification.objects.order_by("-pk")[0]
    assert HitNotification.objects.count() == hits_before + 1
    assert (hit.value, hit.at >= started) == (HELD, True)
    assert audit.verify().ok


def test_sign_in_goes_through_while_another_writer_holds_the_database(busy_ready):
    UserFactory(username="arriving")
    with write_lock_held():
        response = Client().post("/accounts/login/", {"username": "arriving",
                                                      "password": PASSWORD})
        assert response.status_code == 302
        assert not AuditEntry.objects.filter(action=audit.Action.LOGIN).exists()
    deferred.flush()
    assert AuditEntry.objects.filter(action=audit.Action.LOGIN,
                                     actor__username="arriving").exists()


def test_a_write_that_cannot_wait_longer_is_a_503_saying_so(busy_ready):
    if connection.vendor != "sqlite":
        pytest.skip("the busy timeout is SQLite's")
    api = api_client_for(UserFactory())
    web = Client()
    web.force_login(UserFactory())
    with write_lock_held():
        answer = api.post("/api/submissions/", {"content": "91.92.240.13", "format": "text"},
                          format="json")
        page = web.post("/intel/notes/new/", {
            "title": "Mule accounts", "tlp": "green", "distribution": "organisation",
            "pap": "green"})
    assert (answer.status_code, answer["Retry-After"]) == (503, "5")
    assert "busy" in answer.json()["detail"]
    assert (page.status_code, page["Retry-After"]) == (503, "5")
    assert "Try again in a moment" in page.content.decode()


def test_ten_writers_and_readers_at_once_meet_no_server_error(transactional_db, settings,
                                                               tmp_path):
    settings.DEFERRED_WRITES_DIR = tmp_path / "deferred"
    with database_on_file(tmp_path, busy_timeout=20):
        writers = [api_client_for(UserFactory()) for _ in range(10)]
        readers = [api_client_for(UserFactory()) for _ in range(4)]
        answers: list[tuple[str, int, bytes]] = []
        done = threading.Event()

        def write(client: APIClient) -> None:
            try:
                for _ in range(3):
                    values = [f"w{uuid.uuid4().hex[:12]}.example.net" for _ in range(5)]
                    answer = client.post("/api/submissions/", {
                        "content": "\n".join(values), "format": "text"}, format="json")
                    answers.append(("submit", answer.status_code, answer.content))
                    note = client.post("/api/notes/", {"title": values[0], "tlp": "green"},
                                       format="json")
                    answers.append(("note", note.status_code, note.content))
            finally:
                connection.close()

        def read(client: APIClient) -> None:
            try:
                while not done.is_set():
                    lookup = client.post("/api/lookup/", {"values": ["w.example.net"]},
                                         format="json")
                    answers.append(("lookup", lookup.status_code, lookup.content))
                    listed = client.get("/api/objects/?type=indicator")
                    answers.append(("list", listed.status_code, listed.content))
            finally:
                connection.close()

        reading = [threading.Thread(target=read, args=(c,)) for c in readers]
        writing = [threading.Thread(target=write, args=(c,)) for c in writers]
        for thread in reading + writing:
            thread.start()
        for thread in writing:
            thread.join(300)
        done.set()
        for thread in reading:
            thread.join(60)

    failed = [(what, status, body[:200]) for what, status, body in answers
              if status >= 500 or b"database is locked" in body]
    assert not failed
    assert sum(what == "submit" for what, _s, _b in answers) == 30
    assert {status for what, status, _b in answers if what == "submit"} <= {201, 202}
    assert {status for what, status, _b in answers if what != "submit"} <= {200, 201}
    assert any(what == "lookup" for what, _s, _b in answers)


def test_a_submission_waits_for_its_ingest_turn_no_longer_than_for_the_database(
        busy_ready, monkeypatch, settings):
    # A long `vaka ingest` (another process) holds the ingest turn: a submission through the
    # API or the web waits as long as a write may wait for SQLite, then is told to come back.
    if connection.vendor != "sqlite":
        pytest.skip("ingests take turns on SQLite only")
    import subprocess
    import sys

    from vaka.intel import ingest_turn
    from vaka.intel.models import Submission

    monkeypatch.setattr(ingest_turn, "request_wait", lambda: 0.3)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, os, sys, time; "
         "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT); fcntl.lockf(fd, fcntl.LOCK_EX); "
         "print('held', flush=True); time.sleep(60)",
         str(settings.DATA_DIR / ingest_turn.LOCK_NAME)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        user = UserFactory()
        answer = api_client_for(user).post(
            "/api/submissions/", {"content": "91.92.240.13", "format": "text"}, format="json")
    finally:
        holder.kill()
        holder.wait()
    assert (answer.status_code, answer["Retry-After"]) == (503, "5")
    assert "busy" in answer.json()["detail"]
    assert not Submission.objects.filter(user=user).exists()
    again = api_client_for(user).post(
        "/api/submissions/", {"content": "91.92.240.13", "format": "text"}, format="json")
    assert again.status_code == 201, again.content
