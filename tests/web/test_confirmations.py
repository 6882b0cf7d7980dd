"""Every destructive button asks first: its form carries data-confirm (static/vaka/confirm.js)."""

import re

import pytest

from tests.factories import UserFactory, confirmed_totp, make_note, totp_code
from vaka.directory.roles import Role
from vaka.directory.services import create_token
from vaka.intel import services
from vaka.intel.exports import create_export_link

CONFIRMED_FORM = re.compile(rb'<form[^>]*data-confirm="[^"]+\?[^"]*"')


@pytest.fixture
def admin_client(region, client):
    admin = UserFactory(role=Role.PLATFORM_ADMIN, organisation=region.unit_a)
    client.force_login(admin)
    client.post("/accounts/verify/", {"otp_token": totp_code(confirmed_totp(admin))})
    client.admin = admin
    return client


def test_base_page_loads_the_confirmation_script(region, client):
    client.force_login(region.analyst_a)
    assert b"/static/vaka/confirm.js" in client.get("/").content


def test_note_delete_asks_first(region, client):
    note = make_note(region.analyst_a)
    client.force_login(region.analyst_a)
    assert CONFIRMED_FORM.search(client.get(f"/intel/notes/{note.pk}/").content)


def test_token_revoke_asks_first(admin_client):
    create_token(admin_client.admin, name="firewall")
    assert CONFIRMED_FORM.search(admin_client.get("/accounts/tokens/").content)


def test_export_link_revoke_asks_first(admin_client):
    create_export_link(admin_client.admin, name="resolver", fmt="domain", filters={})
    assert CONFIRMED_FORM.search(admin_client.get("/intel/export-links/").content)


def test_warninglist_entry_removal_asks_first(admin_client):
    services.add_exclusion(user=admin_client.admin, kind="domain", value="police.gov.fj")
    assert CONFIRMED_FORM.search(admin_client.get("/intel/warninglists/").content)
