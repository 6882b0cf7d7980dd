"""The TAXII collection pages: admins define saved filters and the markings of what is
added; users see what they may use."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.factories import UserFactory, confirmed_totp, totp_code
from vaka.exchange.forms_collections import WriteMarkingsForm
from vaka.exchange.models import Collection
from vaka.intel.forms_store import SubmitForm
from vaka.policy import inputs
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
        "readers": [region.community.pk], "can_write": "on", "write-tlp": "green",
        "write-distribution": "members"})
    assert answer.status_code == 302
    saved = Collection.objects.get()
    assert saved.filters == {"type": "indicator", "tlp": "green"}
    assert list(saved.readers.all()) == [region.community]
    assert AuditEntry.objects.filter(action="create", target_id=str(saved.pk)).exists()
    edit = client.get(f"/exchange/collections/{saved.pk}/edit/")
    assert edit.context["form"].initial["tlp"] == "green"


def test_the_collection_form_offers_every_marking_with_the_same_defaults(region, client):
    form = WriteMarkingsForm()
    assert set(form.fields) == set(inputs.NAMES)
    submit = SubmitForm(user=region.analyst_a)
    for name in inputs.NAMES:
        assert form.fields[name].initial == submit.fields[name].initial, name
    signed_in_admin(region, client)
    page = client.get("/exchange/collections/new/").content.decode()
    for name in inputs.NAMES:
        assert f'name="write-{name}"' in page, name


def test_the_collection_keeps_every_marking_of_added_objects(region, client):
    signed_in_admin(region, client)
    answer = client.post("/exchange/collections/new/", {
        "title": "Partner pushes", "can_write": "on", "readers": [region.community.pk],
        "write-tlp": "amber", "write-distribution": "communities",
        "write-communities": [region.community.pk], "write-pap": "green",
        "write-handling": ["no-evidence", "sanitise"], "write-handling_note": "Ask first",
        "write-grading_scheme": "admiralty", "write-grading_source": "admiralty:B",
        "write-grading_information": "admiralty:2",
        "write-recipient_organisations": [region.cert.pk]})
    assert answer.status_code == 302, answer.context["marking_form"].errors
    saved = Collection.objects.get()
    m = saved.markings()
    assert (m.tlp, m.distribution, m.pap, m.handling, m.handling_note) == (
        "amber", "communities", "green", ["no-evidence", "sanitise"], "Ask first")
    assert (m.grading_source, m.grading_information) == ("B", "2")
    assert (m.communities, m.recipient_organisations) == ([region.community], [region.cert])
    edit = client.get(f"/exchange/collections/{saved.pk}/edit/")
    assert edit.context["marking_form"].initial["pap"] == "green"
    assert edit.context["marking_form"].initial["grading_source"] == "admiralty:B"


def test_a_bad_filter_or_marking_value_is_an_error_on_its_field(region, client):
    signed_in_admin(region, client)
    answer = client.post("/exchange/collections/new/", {
        "title": "Broken", "tlp": "purple", "write-tlp": "green", "write-pap": "purple",
        "write-handling": ["shred"]})
    assert "tlp" in answer.context["form"].errors
    assert set(answer.context["marking_form"].errors) == {"pap", "handling"}
    assert 'name="write-pap"' in answer.content.decode()
    assert not Collection.objects.exists()


def test_markings_must_hold_for_every_organisation_that_may_add_objects(region, client):
    signed_in_admin(region, client)
    data = {"title": "Community pushes", "can_write": "on", "write-tlp": "green",
            "write-distribution": "communities", "write-communities": [region.community.pk]}
    answer = client.post("/exchange/collections/new/", data)  # read (and written) by all
    assert answer.context["marking_form"].errors["communities"] == [
        "Unit B is not a member of Unit A and CERT."]
    assert not Collection.objects.exists()
    answer = client.post("/exchange/collections/new/", {
        **data, "readers": [region.community.pk]})  # only its members may add objects
    assert answer.status_code == 302
    assert Collection.objects.get().markings().communities == [region.community]


def test_red_needs_a_named_recipient_on_the_collection_too(region, client):
    signed_in_admin(region, client)
    answer = client.post("/exchange/collections/new/", {
        "title": "Red pushes", "can_write": "on", "write-tlp": "red",
        "write-distribution": "members"})
    assert "recipients" in answer.context["marking_form"].errors
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


@pytest.mark.django_db(transaction=True)
def test_collections_keep_the_tlp_and_distribution_they_gave_before_the_migration():
    before = [("exchange", "0002_feed_markings")]
    after = [("exchange", "0003_collection_write_markings")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps.get_model("exchange", "Collection")
    old.objects.create(title="Pushes", can_write=True, write_tlp="green",
                       write_distribution="members")
    executor = MigrationExecutor(connection)
    executor.migrate(after)
    new = executor.loader.project_state(after).apps.get_model("exchange", "Collection")
    kept = new.objects.get()
    assert (kept.tlp, kept.distribution, kept.pap) == ("green", "members", "amber")
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
