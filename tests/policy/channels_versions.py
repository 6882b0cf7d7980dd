"""Channels of versions, submissions, the audit log and admins' directory edits, for
test_visibility_property.

These need more than the notes' audience: each is called as
``channel(user, expected, world_objects)`` where ``expected`` holds, from the reference,
the pks of the versions and submissions the user may see and of the notes they may see
(an ``Expected``). Every STIX object has two versions: an older one with markings of its
own (drawn independently) and the current one, marked like the object.
"""

import contextlib
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from rest_framework.test import APIClient

from tests.factories import confirmed_totp, totp_code
from vaka.directory.models import Community, Organisation, User
from vaka.directory.roles import Role
from vaka.directory.services import create_token, save_community, save_organisation
from vaka.exchange.models import Collection
from vaka.intel.models import Note, StixObject, StixObjectVersion, Submission
from vaka.intel.selectors import versions_for

TAXII = "application/taxii+json;version=2.1"


@dataclass
class Expected:
    notes: set[int] = field(default_factory=set)
    versions: set[int] = field(default_factory=set)
    submissions: set[int] = field(default_factory=set)


def _clients(user: User) -> tuple[APIClient, Client]:
    api, web = APIClient(), Client()
    api.force_authenticate(user)
    web.force_login(user)
    return api, web


def check_versions(user: User | None, expected: Expected) -> None:
    """TAXII ``match[version]=all``, ``/versions/`` and the object pages serve exactly the
    versions in the reader's audience — each version by its own markings."""
    versions = list(StixObjectVersion.objects.select_related("object").order_by("pk"))
    readable = set(versions_for(user, StixObject.objects.visible_to(user)).values_list(
        "pk", flat=True))
    assert readable == expected.versions
    if user is None:
        return  # TAXII and the pages need a sign-in
    collection = Collection.objects.get_or_create(title="Everything", alias="everything")[0]
    base = f"/taxii2/api/collections/{collection.id}/"
    headers = {"HTTP_ACCEPT": TAXII,
               "HTTP_AUTHORIZATION": f"Token {create_token(user, name='versions')[1]}"}
    web = Client()
    listed = web.get(base + "objects/", {"match[version]": "all", "limit": 1000},
                     **headers).json()
    # The products' channels leave disseminated alerts, served as reports beside the
    # objects (channels_products_api checks those).
    served = {(o["id"], o["name"]) for o in listed.get("objects", []) if o["type"] != "report"}
    wanted = {(v.stix["id"], v.stix["name"]) for v in versions if v.pk in expected.versions}
    assert served == wanted
    _api, page_client = _clients(user)
    for obj in {v.object for v in versions if v.pk in expected.versions}:
        page = page_client.get(f"/intel/objects/{obj.pk}/")
        if page.status_code == 404:
            continue  # the object itself is outside the audience: nothing served at all
        shown = {v.pk for v in page.context["versions"]}
        assert shown == {v.pk for v in versions if v.object_id == obj.pk} & expected.versions
        answer = web.get(f"{base}objects/{obj.stix_id}/versions/", **headers).json()
        assert len(answer.get("versions", [])) == len(shown)
    for version in versions:
        if version.pk not in expected.versions:
            hidden = version.stix["name"]
            assert hidden not in str(listed)


def check_submissions(user: User | None, expected: Expected) -> None:
    """A submission (file name, counts, errors) reaches only its audience, in the API list
    and detail and the pages."""
    submissions = list(Submission.objects.order_by("pk"))
    if user is None:
        assert APIClient().get("/api/submissions/").status_code in (401, 403)
        return
    api, web = _clients(user)
    listing = api.get("/api/submissions/", {"page_size": 100}).data
    assert listing["count"] == len(expected.submissions)
    assert {row["id"] for row in listing["results"]} == expected.submissions
    page = web.get("/intel/submissions/").content.decode()
    for submission in submissions:
        if submission.pk in expected.submissions:
            continue
        assert api.get(f"/api/submissions/{submission.pk}/").status_code == 404
        assert web.get(f"/intel/submissions/{submission.pk}/").status_code == 404
        assert submission.filename not in page


def check_admin(user: User | None, expected: Expected) -> None:
    """Made a platform admin, the user sees no more than before: the audit log names only
    the records they may see, and editing the directory cannot widen their own audience."""
    if user is None or user.organisation_id is None:
        return
    role = user.role
    user.role = Role.PLATFORM_ADMIN
    user.save()
    try:
        api, web = _clients(user)
        # Platform admins must have a second factor: verify the session as django-otp would.
        web.post("/accounts/verify/", {"otp_token": totp_code(confirmed_totp(user))})
        page = web.get("/audit/", {"action": "create"})
        assert page.status_code == 200
        audit = page.content.decode()
        for note in Note.objects.all():
            assert (note.title in audit) == (note.pk in expected.notes), note.title
        listing = api.get("/api/notes/", {"page_size": 100}).data
        assert {row["id"] for row in listing["results"]} == expected.notes
        own = user.organisation
        for other in Organisation.objects.exclude(pk=own.pk):
            own.served_by = other
            with contextlib.suppress(PermissionDenied, ValidationError):
                save_organisation(own, actor=user)
            own.refresh_from_db()
        for community in Community.objects.all():
            members = [*community.members.all(), own]
            with contextlib.suppress(PermissionDenied, ValidationError):
                save_community(community, members, actor=user)
        user.refresh_from_db()
        listing = api.get("/api/notes/", {"page_size": 100}).data
        assert {row["id"] for row in listing["results"]} == expected.notes
    finally:
        user.role = role
        user.save()


CHANNELS: list = [check_versions, check_submissions, check_admin]
