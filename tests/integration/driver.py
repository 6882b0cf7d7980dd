"""Steps of the Celery/Redis integration test, each run as its own process against the
test's data directory (the environment says which, and where the broker is): the web side
of Vaka as a browser would drive it, through Django's test client. Each step prints one
JSON object for the test to read.

    python -m tests.integration.driver setup FEED_URL
    python -m tests.integration.driver submit SIZE
    python -m tests.integration.driver page SUBMISSION_ID
    python -m tests.integration.driver poll FEED_ID
    python -m tests.integration.driver job FEED_ID JOB_ID
"""

import json
import os
import sys
import time
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vaka.settings")


def _client(username: str) -> Any:
    from django.test import Client

    from vaka.directory.models import User

    user = User.objects.get(username=username)
    client = Client()
    client.force_login(user)
    if user.requires_two_factor:
        # An admin's session carries their verified device, as django_otp's login leaves
        # it. Not by posting a code: two steps within one 30 s window would give the same
        # code twice, and a code is accepted once.
        from django_otp import DEVICE_ID_SESSION_KEY, devices_for_user

        device = next(devices_for_user(user, confirmed=True))
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def setup(feed_url: str) -> dict[str, Any]:
    """An analyst who wants mail at once, a platform admin, and a MISP feed to poll."""
    from tests.factories import OrganisationFactory, UserFactory, confirmed_totp
    from vaka.exchange.models import Feed
    from vaka.inbox.models import InboxSettings

    unit = OrganisationFactory(name="Unit A")
    analyst = UserFactory(username="analyst", organisation=unit, email="analyst@unit-a.test")
    InboxSettings.objects.update_or_create(
        user=analyst, defaults={"email": InboxSettings.Email.IMMEDIATE})
    admin = UserFactory(username="admin", organisation=unit, role="platform_admin")
    confirmed_totp(admin)
    feed = Feed.objects.create(name="Partner MISP", kind=Feed.Kind.MISP, url=feed_url,
                               organisation=unit, tlp="green", distribution="members",
                               enabled=False)
    return {"feed": feed.pk}


def submit(size: int) -> dict[str, Any]:
    """Upload a CSV of about ``size`` bytes with one bad line, keeping the valid ones."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from vaka.intel.models import Submission

    lines, total = ["value"], 6
    while total < size:
        lines.append(f"host-{len(lines)}.queued-upload.net")
        total += len(lines[-1]) + 1
    lines.append("not a value at all")
    started = time.monotonic()
    answer = _client("analyst").post("/intel/submit/", {
        "file": SimpleUploadedFile("large.csv", "\n".join(lines).encode()), "format": "csv",
        "tlp": "amber", "distribution": "organisation", "pap": "amber", "partial": "on"})
    seconds = time.monotonic() - started
    submission = Submission.objects.order_by("-pk").first()
    return {"code": answer.status_code, "location": answer.get("Location", ""),
            "seconds": seconds, "submission": submission.pk, "status": submission.status,
            "values": len(lines) - 2}


def page(submission_id: int) -> dict[str, Any]:
    client = _client("analyst")
    full = client.get(f"/intel/submissions/{submission_id}/")
    box = client.get(f"/intel/submissions/{submission_id}/progress/")
    return {"code": full.status_code, "page": full.content.decode(),
            "box": box.content.decode()}


def poll(feed_id: int) -> dict[str, Any]:
    client = _client("admin")
    started = time.monotonic()
    answer = client.post(f"/exchange/feeds/{feed_id}/poll/")
    seconds = time.monotonic() - started
    shown = client.get(answer["Location"])
    return {"code": answer.status_code, "location": answer["Location"], "seconds": seconds,
            "page": shown.content.decode()}


def job(feed_id: int, job_id: str) -> dict[str, Any]:
    answer = _client("admin").get(f"/exchange/feeds/{feed_id}/jobs/{job_id}/",
                                  HTTP_HX_REQUEST="true")
    return {"code": answer.status_code, "box": answer.content.decode(),
            "refresh": answer.get("HX-Refresh", "")}


STEPS = {"setup": setup, "submit": submit, "page": page, "poll": poll, "job": job}

if __name__ == "__main__":
    import django

    django.setup()
    step, *args = sys.argv[1:]
    parsed = [int(a) if a.isdigit() else a for a in args]
    print(json.dumps(STEPS[step](*parsed)))
