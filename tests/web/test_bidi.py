"""Right to left without mangling: on Arabic pages values, codes and times are set left to
right, and free text takes its own direction."""

import re

from tests.factories import UserFactory, make_note
from vaka.intel.models import StixObject
from vaka.intel.services import ingest_bytes
from vaka.policy.services import Markings

URL = "https://login-portal-update.net/verify?id=7/"


def arabic_page(client, user, path: str) -> str:
    user.language = "ar"
    user.save(update_fields=["language"])
    client.force_login(user)
    html = client.get(path).content.decode()
    assert '<html lang="ar" dir="rtl">' in html
    return html


def stored_url(user) -> StixObject:
    ingest_bytes(f"value\n{URL}\n".encode(), organisation=user.organisation, user=user,
                 markings=Markings(tlp="green", distribution="members"), source="api",
                 filename="a.csv")
    return StixObject.objects.get(name=URL)


def test_indicator_value_is_left_to_right_on_an_arabic_object_page(db, client):
    user = UserFactory()
    obj = stored_url(user)
    html = arabic_page(client, user, f"/intel/objects/{obj.pk}/")
    assert re.search(rf'<code dir="ltr"[^>]*>{re.escape(URL)}</code>', html)
    assert re.search(rf'<code[^>]*dir="ltr"[^>]*>{re.escape(obj.stix_id)}</code>', html)


def test_object_name_is_isolated_in_an_arabic_list(db, client):
    user = UserFactory()
    stored_url(user)
    html = arabic_page(client, user, "/intel/objects/")
    assert f"<bdi>{URL}</bdi>" in html


def test_times_are_left_to_right_on_an_arabic_submission_list(db, client):
    user = UserFactory()
    stored_url(user)
    html = arabic_page(client, user, "/intel/submissions/")
    assert re.search(r'<bdi dir="ltr">\d{4}-\d\d-\d\d \d\d:\d\d</bdi>', html)


def test_note_text_takes_its_own_direction(db, client):
    user = UserFactory()
    note = make_note(user, "تحذير: حملة تصيد")
    html = arabic_page(client, user, f"/intel/notes/{note.pk}/")
    assert '<h1 class="h3 mb-0" dir="auto">تحذير: حملة تصيد</h1>' in html
    assert '<div class="note-body" dir="auto">' in html
