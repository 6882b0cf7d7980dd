"""The TAXII collection pages: admins define saved filters; users see what they may use."""

from tests.factories import UserFactory, confirmed_totp, totp_code
from vaka.exchange.models import Collection
from vaka.policy.models import AuditEntry


def signed_in_admin(region, client):
    admin = UserFactory(role="platform_admin", organisation=region.unit_b)
    client.force_login(admin)
    client.post("/accounts/verify/", {"otp_token": totp_code(confirmed_totp(admin))})
    return admin


def test_admin_defines_a_collection_as_a_saved_filter(region, client):
    signed_in_admin(region, client)
    answer = client.post("/exchange/collections/new/", {
        "title": "Green indicators for members", "alias": "green-indicators",
        "type": "indicator", "tlp": "green", "country": "", "label": "", "search": "",
        "readers": [region.community.pk], "can_write": "on", "write_tlp": "green",
        "write_distribution": "members"})
    assert answer.status_code == 302
    saved = Collection.objects.get()
    assert saved.filters == {"type": "indicator", "tlp": "green"}
    assert list(saved.readers.all()) == [region.community]
    assert AuditEntry.objects.filter(action="create", target_id=str(saved.pk)).exists()
    edit = client.get(f"/exchange/collections/{saved.pk}/edit/")
    assert edit.context["form"].initial["tlp"] == "green"


def test_a_bad_filter_or_distribution_is_named(region, client):
    signed_in_admin(region, client)
    answer = client.post("/exchange/collections/new/", {
        "title": "Broken", "tlp": "purple", "write_tlp": "green",
        "write_distribution": "communities"})
    errors = answer.context["form"].errors
    assert "tlp" in errors and "write_distribution" in errors
    assert not Collection.objects.exists()


def test_users_see_only_the_collections_they_may_use(region, client):
    open_to_all = Collection.objects.create(title="Open")
    partners = Collection.objects.create(title="Partners only")
    partners.readers.add(region.community)  # unit A and the CERT
    client.force_login(region.analyst_b)
    page = client.get("/exchange/collections/").content.decode()
    assert open_to_all.title in page and partners.title not in page
    assert str(partners.id) not in page
    assert client.get("/exchange/collections/new/").status_code == 403
    assert client.post(f"/exchange/collections/{open_to_all.pk}/delete/").status_code == 403
    client.force_login(region.analyst_a)
    assert partners.title in client.get("/exchange/collections/").content.decode()
