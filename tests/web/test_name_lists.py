"""Long lists of organisations, communities or people fold into "7 organisations — show"
(a <details> element, no JavaScript); short ones are shown as they are."""

from django.test import Client

from tests.factories import CommunityFactory, OrganisationFactory, UserFactory, make_note
from vaka.exchange.models import Collection


def page(user, url: str) -> str:
    client = Client()
    client.force_login(user)
    answer = client.get(url)
    assert answer.status_code == 200
    return answer.content.decode()


def test_a_community_of_many_members_folds_them(region):
    members = [region.unit_a, *(OrganisationFactory(name=f"Member {i}") for i in range(6))]
    community = CommunityFactory(name="Wide", members=members)
    html = page(region.analyst_a, f"/communities/{community.pk}/")
    assert '<details class="name-list"><summary>7 organisations — show</summary>' in html
    assert "Member 5" in html


def test_a_community_of_few_members_shows_them_unfolded(region):
    html = page(region.analyst_a, f"/communities/{region.community.pk}/")
    assert "<details" not in html and "Unit A" in html and "CERT A" in html


def test_a_note_for_many_organisations_folds_its_recipients(region):
    others = [OrganisationFactory(name=f"Partner {i}") for i in range(6)]
    note = make_note(region.analyst_a, tlp="amber", distribution="members",
                     recipient_organisations=others, pap="amber")
    html = page(region.analyst_a, f"/intel/notes/{note.pk}/")
    assert "<summary>6 organisations — show</summary>" in html
    assert "Partner 5" in html


def test_a_red_note_for_many_people_folds_them(region):
    people = [UserFactory(username=f"person{i}", organisation=region.unit_a)
              for i in range(6)]
    note = make_note(region.analyst_a, tlp="red", distribution="organisation",
                     recipients=people, pap="amber")
    html = page(region.analyst_a, f"/intel/notes/{note.pk}/")
    assert "people — show</summary>" in html and "person5" in html


def test_a_collection_read_by_many_communities_folds_them(region):
    collection = Collection.objects.create(title="Wide", alias="wide")
    collection.readers.set([CommunityFactory(name=f"Group {i}", members=[region.unit_a])
                            for i in range(6)])
    html = page(region.analyst_a, "/exchange/collections/")
    assert "<summary>6 communities — show</summary>" in html
