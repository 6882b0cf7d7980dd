"""Naming a community the user's organisation is not in reads exactly like naming one that
does not exist, on every markings input: nothing tells which communities exist."""

from tests.factories import CommunityFactory, OrganisationFactory
from vaka.directory.models import Community
from vaka.intel.models import Note, Submission

NAME = "Joint task force Kestrel"


def _not_in_community(region) -> Community:
    return CommunityFactory(name=NAME, members=[region.unit_b, OrganisationFactory()])


def _note(api, community):
    return api.post("/api/notes/", {"title": "x", "distribution": "communities",
                                    "tlp": "amber", "communities": [community]}, format="json")


def test_api_answers_alike_for_a_missing_community_and_one_you_are_not_in(region, api_for):
    api = api_for(region.analyst_a)
    missing = _note(api, NAME)
    _not_in_community(region)
    not_in = _note(api, NAME)
    assert missing.status_code == not_in.status_code == 400
    assert missing.json() == not_in.json()
    assert missing.json() == {"communities": [f"Unit A is not a member of {NAME}."]}
    assert not Note.objects.exists()


def test_submission_answers_alike_for_a_missing_community_and_one_you_are_not_in(region,
                                                                                 api_for):
    api = api_for(region.analyst_a)

    def submit():
        return api.post("/api/submissions/", {
            "content": "evil.example", "format": "text", "distribution": "communities",
            "communities": [NAME]}, format="json")

    missing = submit()
    _not_in_community(region)
    not_in = submit()
    assert missing.status_code == not_in.status_code == 400
    assert missing.json() == not_in.json()
    assert NAME in str(missing.json())
    assert not Submission.objects.filter(status="stored").exists()


def test_note_form_answers_alike_for_a_missing_community_and_one_you_are_not_in(region,
                                                                                client):
    client.force_login(region.analyst_a)
    pk = (Community.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 10

    def post():
        return client.post("/intel/notes/new/", {
            "title": "x", "body": "y", "distribution": "communities", "tlp": "amber",
            "pap": "amber", "communities": [str(pk)]})

    missing = post()
    CommunityFactory(pk=pk, name=NAME, members=[region.unit_b])
    not_in = post()
    assert missing.status_code == not_in.status_code == 200
    assert missing.context["form"].errors == not_in.context["form"].errors
    assert "communities" in missing.context["form"].errors
    assert NAME not in not_in.content.decode()
    assert not Note.objects.exists()
