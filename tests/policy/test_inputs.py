"""The markings input is defined once (policy/inputs.py): every channel offers the same
fields with the same defaults, and what is set on any channel is what is stored."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client

from tests.factories import CommunityFactory, UserFactory
from tests.intel.store_data import bundle, indicator
from vaka.exchange.forms_collections import WriteMarkingsForm
from vaka.exchange.forms_feeds import FeedForm
from vaka.exchange.models import Feed
from vaka.intel.api.serializers import NoteSerializer
from vaka.intel.api.store import IngestSerializer
from vaka.intel.forms import NoteForm
from vaka.intel.forms_store import SubmitForm
from vaka.intel.management.commands.ingest import Command as IngestCommand
from vaka.intel.models import StixObject
from vaka.policy import inputs
from vaka.policy.services import Markings

EVERY_INPUT = set(inputs.NAMES)


def serializer_inputs(serializer) -> set[str]:
    """The Markings attributes a serializer writes (a nested grade counts by its sources)."""
    names = set()
    for field in serializer.fields.values():
        if not field.read_only:
            parts = field.fields.values() if field.source == "*" else [field]
            names |= {part.source for part in parts if not part.read_only}
    return names & EVERY_INPUT


def cli_inputs() -> dict[str, str]:
    """Markings attribute → option of ``vaka ingest``."""
    parser = IngestCommand().create_parser("vaka", "ingest")
    return {action.dest.removeprefix("marking_"): action.option_strings[0]
            for action in parser._actions if action.dest.startswith("marking_")}


def test_forms_serializers_and_command_line_offer_the_same_markings(region):
    user = region.analyst_a
    assert set(NoteForm(user=user).fields) >= EVERY_INPUT
    assert set(SubmitForm(user=user).fields) >= EVERY_INPUT
    assert set(FeedForm().fields) >= EVERY_INPUT
    assert set(WriteMarkingsForm().fields) >= EVERY_INPUT
    assert serializer_inputs(IngestSerializer()) == EVERY_INPUT
    assert serializer_inputs(NoteSerializer()) == EVERY_INPUT
    assert set(cli_inputs()) == EVERY_INPUT
    assert cli_inputs()["recipients"] == "--recipient"


def test_defaults_are_the_same_on_every_channel(region):
    defaults = Markings()
    form = SubmitForm(user=region.analyst_a)
    ingest = IngestSerializer()
    for spec in inputs.MARKING_INPUTS:
        expected = getattr(defaults, spec.name)
        if spec.kind == inputs.CHOICE:
            assert form.fields[spec.name].initial == expected, spec.name
            assert ingest.fields[spec.name].default == expected, spec.name
            assert Feed._meta.get_field(spec.name).default == expected, spec.name
    assert inputs.markings_from({}) == defaults


def test_badly_cased_or_unknown_values_are_named(region):
    with pytest.raises(ValidationError) as caught:
        inputs.markings_from({"tlp": "GREEN", "pap": "purple", "handling": ["shred"],
                              "recipients": ["nobody-here"]})
    assert set(caught.value.message_dict) == {"tlp", "pap", "handling", "recipients"}


def test_an_unknown_community_reads_like_one_the_owner_is_not_in(region):
    CommunityFactory(name="Elsewhere", members=[region.unit_b])
    errors = []
    for name in ("Elsewhere", "No such community"):
        with pytest.raises(ValidationError) as caught:
            inputs.parse_markings({"distribution": "communities", "communities": [name]},
                                  owner=region.unit_a, creator=region.analyst_a)
        errors.append(caught.value.message_dict["communities"][0].replace(name, "…"))
    assert errors[0] == errors[1]


def test_api_ingest_stores_pap_handling_and_grading(region, api_for):
    upload = SimpleUploadedFile("iocs.csv", b"value\nevil-portal-7.net\n")
    response = api_for(region.analyst_a).post("/api/submissions/", {
        "file": upload, "tlp": "green", "distribution": "members", "pap": "red",
        "handling": ["no-evidence", "sanitise"], "grading_scheme": "admiralty",
        "grading_source": "B", "grading_information": "2"}, format="multipart")
    assert response.status_code == 201, response.json()
    stored = StixObject.objects.get()
    assert (stored.pap, stored.handling) == ("red", ["no-evidence", "sanitise"])
    assert (stored.grading_source, stored.grading_information) == ("B", "2")


def test_api_ingest_refuses_an_unknown_pap_naming_it(region, api_for):
    response = api_for(region.analyst_a).post("/api/submissions/", {
        "content": "value\nevil-portal-7.net\n", "pap": "AMBER"}, format="json")
    assert response.status_code == 400
    assert "pap" in response.json()
    assert not StixObject.objects.exists()


def test_api_ingest_of_red_names_recipients(region, api_for):
    response = api_for(region.analyst_a).post("/api/submissions/", {
        "content": "value\nevil-portal-7.net\n", "tlp": "red",
        "recipients": ["colleague_a"]}, format="json")
    assert response.status_code == 201, response.json()
    assert set(StixObject.objects.get().recipients) == {region.analyst_a, region.colleague_a}


def test_web_submit_stores_pap_and_grading(region):
    client = Client()
    client.force_login(region.analyst_a)
    answer = client.post("/intel/submit/", {
        "content": "value\nevil-portal-7.net\n", "format": "csv", "tlp": "green",
        "distribution": "members", "pap": "clear", "grading_scheme": "admiralty",
        "grading_source": "admiralty:A"})
    assert answer.status_code == 302
    stored = StixObject.objects.get()
    assert (stored.pap, stored.grading_source) == ("clear", "A")


def test_web_submit_with_markings_that_break_a_rule_names_the_field(region):
    client = Client()
    client.force_login(region.analyst_a)
    answer = client.post("/intel/submit/", {
        "content": "value\nevil-portal-7.net\n", "format": "csv", "tlp": "green",
        "distribution": "communities"})
    assert answer.status_code == 200
    assert "communities" in answer.context["form"].errors
    assert not StixObject.objects.exists()


def test_cli_ingest_of_red_for_a_named_recipient(region, tmp_path, capsys):
    path = tmp_path / "red.json"
    path.write_bytes(bundle(indicator("red-drop-7.com")))
    call_command("ingest", str(path), "--org", "Unit A", "--tlp", "red",
                 "--recipient", "colleague_a", "--pap", "green", "--handling", "no-onward",
                 "--handling", "sanitise", "--source", "C", "--information", "3")
    assert json.loads(capsys.readouterr().out)["new"] == 1
    stored = StixObject.objects.get()
    assert (stored.tlp, stored.pap, stored.handling) == ("red", "green",
                                                         ["no-onward", "sanitise"])
    assert (stored.grading_source, stored.grading_information) == ("C", "3")
    assert set(stored.recipients) == {region.colleague_a}


def test_cli_ingest_names_the_option_that_is_wrong(region, tmp_path):
    path = tmp_path / "red.json"
    path.write_bytes(bundle(indicator("red-drop-7.com")))
    with pytest.raises(CommandError, match="--recipient"):
        call_command("ingest", str(path), "--org", "Unit A", "--tlp", "red")
    with pytest.raises(CommandError, match="--recipient"):
        call_command("ingest", str(path), "--org", "Unit A", "--tlp", "red",
                     "--recipient", "nobody")
    outsider = UserFactory(username="outsider", organisation=region.unit_b)
    with pytest.raises(CommandError, match="--recipient"):
        call_command("ingest", str(path), "--org", "Unit A", "--tlp", "red",
                     "--recipient", outsider.username)
    assert not StixObject.objects.exists()


def test_a_name_holding_a_nul_character_is_named_not_looked_up(region):
    from django.core.exceptions import ValidationError

    from vaka.policy.inputs import parse_markings

    with pytest.raises(ValidationError) as error:
        parse_markings({"tlp": "red", "recipients": ["ana\x00"]}, owner=region.unit_a,
                       creator=region.analyst_a)
    assert error.value.message_dict["recipients"] == [
        "“ana\\0” holds a NUL character; no name does."]


def test_the_api_refuses_a_name_holding_a_nul_character(region, api_for):
    api = api_for(region.analyst_a)
    answer = api.post("/api/notes/", {"title": "x", "tlp": "red",
                                       "recipients": ["ana\x00"]}, format="json")
    assert answer.status_code == 400
    assert answer.data["recipients"] == ["Object with username=ana\\0 does not exist."]
    answer = api.post("/api/notes/", {"title": "x", "distribution": "communities",
                                       "communities": ["a\x00"]}, format="json")
    assert answer.status_code == 400 and "communities" in answer.data
