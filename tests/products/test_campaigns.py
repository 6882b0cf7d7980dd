"""Awareness campaigns: the services, their errors by field, the audit, and the members'
pages (list, detail with materials and reach, the forms)."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from tests.factories import UserFactory
from vaka.directory.roles import Role
from vaka.policy.models import AuditEntry
from vaka.policy.services import Markings
from vaka.products import campaigns, selectors
from vaka.products.campaigns import CampaignDetails
from vaka.products.models import Campaign, Reach


def make_campaign(user, name: str = "Scam-free school holidays", **markings) -> Campaign:
    markings = {"distribution": "members", "tlp": "green", **markings}
    return campaigns.create_campaign(
        user=user, details=CampaignDetails(
            name=name, audience_text="Parents and students", languages=["fr", "en"],
            channels=["schools", "radio"], starts=date(2026, 11, 1), ends=date(2026, 12, 20)),
        markings=Markings(**markings))


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_campaign_is_created_with_its_languages_and_channels_in_order(desk) -> None:
    campaign = make_campaign(desk.writer)
    assert campaign.owner == desk.org
    assert campaign.languages == ["en", "fr"]  # the instance's order
    assert campaign.channels == ["radio", "schools"]
    entry = AuditEntry.objects.filter(target_type="products.campaign").latest("pk")
    assert (entry.action, entry.target_id) == ("create", str(campaign.pk))


def test_bad_campaign_details_are_refused_each_by_its_field(desk) -> None:
    with pytest.raises(ValidationError) as error:
        campaigns.create_campaign(
            user=desk.writer, details=CampaignDetails(
                name="  ", languages=["en", "tlh"], channels=["radio", "carrier_pigeon"],
                starts=date(2026, 12, 1), ends=date(2026, 11, 1)),
            markings=Markings(distribution="public", tlp="green"))
    errors = error.value.message_dict
    assert set(errors) == {"name", "languages", "channels", "ends", "tlp"}
    assert "tlh" in errors["languages"][0]
    assert "carrier_pigeon" in errors["channels"][0]
    assert errors["ends"] == ["The campaign ends (2026-11-01) before it starts (2026-12-01)."]
    assert not Campaign.objects.exists()


def test_a_viewer_may_not_create_a_campaign(desk) -> None:
    viewer = UserFactory(organisation=desk.org, role=Role.VIEWER)
    with pytest.raises(PermissionDenied):
        make_campaign(viewer)


def test_only_the_owner_organisation_changes_a_campaign(desk) -> None:
    campaign = make_campaign(desk.writer)
    details = CampaignDetails(name="Renamed", channels=["posters"])
    with pytest.raises(PermissionDenied):
        campaigns.update_campaign(campaign, user=desk.fiji_analyst, details=details,
                                  markings=Markings(distribution="members", tlp="green"))
    campaigns.update_campaign(campaign, user=desk.writer, details=details,
                              markings=Markings(distribution="members", tlp="green"))
    campaign.refresh_from_db()
    assert (campaign.name, campaign.channels, campaign.languages) == ("Renamed", ["posters"], [])
    entry = AuditEntry.objects.filter(target_type="products.campaign").latest("pk")
    assert entry.action == "update"
    assert {"name", "channels", "languages"} <= set(entry.detail["changed"])


def test_a_member_records_reach_and_it_is_audited(desk) -> None:
    campaign = make_campaign(desk.writer)
    reach = campaigns.record_reach(campaign, user=desk.fiji_analyst, country="fj",
                                   channel="radio", people="1200", note="National radio")
    assert (reach.organisation, reach.country_id, reach.people) == (desk.fiji_unit, "FJ", 1200)
    campaigns.record_reach(campaign, user=desk.samoa_analyst, country="WS", channel="radio",
                           people=300)
    campaigns.record_reach(campaign, user=desk.fiji_analyst, country="FJ", channel="radio",
                           people=800)
    totals = [(r["country_id"], r["channel"], r["people"])
              for r in selectors.reach_for(desk.writer, campaign)]
    assert totals == [("FJ", "radio", 2000), ("WS", "radio", 300)]
    entry = AuditEntry.objects.filter(target_type="products.campaign").latest("pk")
    assert entry.action == "create" and entry.detail["people"] == 800
    assert entry.actor_name == "fiji_analyst"


@pytest.mark.parametrize(("field", "values", "message"), [
    ("people", {"people": "0"}, "whole number from 1"),
    ("people", {"people": "-5"}, "whole number from 1"),
    ("people", {"people": "12.5"}, "whole number from 1"),
    ("people", {"people": "³"}, "whole number from 1"),
    ("people", {"people": True}, "whole number from 1"),
    ("country", {"country": "XX"}, "“XX” is not a country of the directory"),
    ("channel", {"channel": "telepathy"}, "Unknown channel “telepathy”"),
    ("on", {"on": date(2999, 1, 1)}, "in the future"),
    ("note", {"note": "x" * 301}, "at most 300"),
])
def test_bad_reach_is_refused_naming_the_field(desk, field, values, message) -> None:
    campaign = make_campaign(desk.writer)
    given = {"country": "FJ", "channel": "radio", "people": 10, **values}
    with pytest.raises(ValidationError) as error:
        campaigns.record_reach(campaign, user=desk.fiji_analyst, **given)
    assert list(error.value.message_dict) == [field]
    assert message in error.value.message_dict[field][0]
    assert not Reach.objects.exists()


def test_reach_for_a_campaign_outside_the_audience_is_refused_and_not_shown(desk) -> None:
    campaign = make_campaign(desk.writer, distribution="organisation", tlp="amber")
    with pytest.raises(ValidationError) as error:
        campaigns.record_reach(campaign, user=desk.fiji_analyst, country="FJ",
                               channel="radio", people=5)
    assert error.value.message_dict == {
        "campaign": [f"No campaign you may see has the id {campaign.pk}."]}
    campaigns.record_reach(campaign, user=desk.writer, country="FJ", channel="radio",
                           people=5)
    assert not selectors.reach_for(desk.fiji_analyst, campaign).exists()
    assert selectors.reach_for(desk.writer, campaign).count() == 1


# --- pages ----------------------------------------------------------------------------

def test_the_list_shows_the_campaigns_a_member_may_see(desk) -> None:
    shared = make_campaign(desk.writer, name="Shared campaign")
    make_campaign(desk.writer, name="Desk only campaign", distribution="organisation",
                  tlp="amber")
    page = _client(desk.fiji_analyst).get("/campaigns/").content.decode()
    assert "Shared campaign" in page and "Desk only campaign" not in page
    assert f"/campaigns/{shared.pk}/" in page


def test_a_campaign_outside_the_audience_is_404_on_every_page(desk) -> None:
    hidden = make_campaign(desk.writer, distribution="organisation", tlp="amber")
    client = _client(desk.fiji_analyst)
    assert client.get(f"/campaigns/{hidden.pk}/").status_code == 404
    assert client.get(f"/campaigns/{hidden.pk}/edit/").status_code == 404
    assert client.post(f"/campaigns/{hidden.pk}/reach/", {
        "country": "FJ", "channel": "radio", "people": "5"}).status_code == 404
    assert not Reach.objects.exists()


def test_anonymous_visitors_are_sent_to_sign_in(desk) -> None:
    campaign = make_campaign(desk.writer)
    for url in ("/campaigns/", "/campaigns/new/", f"/campaigns/{campaign.pk}/"):
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith(
            "/accounts/login/")


def test_the_reach_form_records_and_shows_totals(desk) -> None:
    campaign = make_campaign(desk.writer)
    client = _client(desk.fiji_analyst)
    response = client.post(f"/campaigns/{campaign.pk}/reach/", {
        "country": "FJ", "channel": "schools", "people": "450", "note": "Suva schools"})
    assert response.status_code == 302
    page = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert "Country FJ" in page and "450" in page and "Schools" in page


def test_the_reach_form_shows_what_was_wrong_next_to_the_field(desk) -> None:
    campaign = make_campaign(desk.writer)
    response = _client(desk.fiji_analyst).post(f"/campaigns/{campaign.pk}/reach/", {
        "country": "FJ", "channel": "radio", "people": "0"})
    assert response.status_code == 400
    assert response.context["reach_form"].errors["people"]
    assert not Reach.objects.exists()


def test_the_campaign_form_creates_and_edits_through_the_service(desk) -> None:
    client = _client(desk.writer)
    response = client.post("/campaigns/new/", {
        "name": "Romance scam week", "audience_text": "Older people",
        "languages": ["en", "ar"], "channels": ["radio", "social_media"],
        "starts": "2026-12-01", "ends": "2026-12-07", "distribution": "members",
        "tlp": "green", "pap": "clear", "grading_scheme": "admiralty"})
    assert response.status_code == 302, response.context["form"].errors
    campaign = Campaign.objects.get(name="Romance scam week")
    assert campaign.languages == ["en", "ar"] and campaign.channels == ["social_media", "radio"]
    response = client.post(f"/campaigns/{campaign.pk}/edit/", {
        "name": "Romance scam week", "starts": "2026-12-07", "ends": "2026-12-01",
        "distribution": "members", "tlp": "green", "pap": "clear",
        "grading_scheme": "admiralty"})
    assert response.status_code == 200
    assert response.context["form"].errors["ends"] == [
        "The campaign ends (2026-12-01) before it starts (2026-12-07)."]
    assert _client(desk.fiji_analyst).get(
        f"/campaigns/{campaign.pk}/edit/").status_code == 403


def test_the_detail_lists_only_the_materials_the_reader_may_see(desk) -> None:
    from tests.products.test_awareness import public_material

    campaign = make_campaign(desk.writer)
    shown = public_material(desk, title="Spot a fake parcel text", campaign=campaign.pk)
    public_material(desk, title="Desk draft leaflet", campaign=campaign.pk, release=False)
    page = _client(desk.fiji_analyst).get(f"/campaigns/{campaign.pk}/").content.decode()
    assert "Spot a fake parcel text" in page and "Desk draft leaflet" not in page
    assert f"/awareness/{shown.pk}/" in page
