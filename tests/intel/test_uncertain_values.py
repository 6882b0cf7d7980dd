"""Uncertain values found in free text are offered for review and never stored unasked:
on the review page (unticked, with the reason), through the API and by every ingest path."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from vaka.intel import services
from vaka.intel.models import Observable
from vaka.policy.services import Markings

ADVISORY = ("Affected: versions prior to 7.0.14.1. The C2 server is 198.51.100.7 and the note "
            "names akira-\nsupport[@]onionmail[.]org as the contact.")
MARKINGS = {"tlp": "amber", "distribution": "organisation", "pap": "amber"}


def _review(client, user, text=ADVISORY):
    client.force_login(user)
    return client.post("/intel/submit/", {"content": text, "format": "text", **MARKINGS})


def _stored() -> set[tuple[str, str]]:
    return set(Observable.objects.values_list("kind", "value"))


def test_review_page_lists_uncertain_values_unticked_with_their_reason(region, client):
    page = _review(client, region.analyst_a).content.decode()
    version = page.index('value="ipv4&#9;7.0.14.1"')
    assert "checked" not in page[version : page.index(">", version)]
    assert "version or build number" in page[version:]
    joined = page.index('value="email&#9;akira-support@onionmail.org"')
    assert "checked" not in page[joined : page.index(">", joined)]
    assert "two lines of the text are joined" in page[joined:]


def test_review_page_ticks_certain_values(region, client):
    page = _review(client, region.analyst_a).content.decode()
    address = page.index('value="ipv4&#9;198.51.100.7"')
    assert "checked" in page[address : page.index(">", address)]


def test_review_page_never_offers_the_fragment_after_a_line_break_as_certain(region, client):
    found = _review(client, region.analyst_a).context["found"]
    fragment = [i for i in found if i.value == "support@onionmail.org"]
    assert fragment and not fragment[0].certain


def test_storing_the_ticked_values_leaves_the_unticked_uncertain_ones_out(region, client):
    _review(client, region.analyst_a)
    client.post("/intel/submit/", {"reviewed": "1", "content": "reviewed", **MARKINGS,
                                   "indicator": ["ipv4\t198.51.100.7"]})
    assert _stored() == {("ipv4", "198.51.100.7")}


def test_an_uncertain_value_the_analyst_ticks_is_stored(region, client):
    _review(client, region.analyst_a)
    client.post("/intel/submit/", {"reviewed": "1", "content": "reviewed", **MARKINGS,
                                   "indicator": ["email\takira-support@onionmail.org"]})
    assert _stored() == {("email", "akira-support@onionmail.org")}


def test_free_text_ingest_stores_only_certain_values(region):
    services.ingest_bytes(ADVISORY.encode(), organisation=region.unit_a, user=region.analyst_a,
                          markings=Markings(**MARKINGS), source="api", fmt="text")
    assert _stored() == {("ipv4", "198.51.100.7")}


def test_api_submission_of_free_text_stores_only_certain_values(region, api_for):
    answer = api_for(region.analyst_a).post("/api/submissions/", {
        "content": ADVISORY, "format": "text", **MARKINGS}, format="json")
    assert answer.status_code == 201, answer.json()
    assert _stored() == {("ipv4", "198.51.100.7")}


def test_api_extract_flags_uncertain_values_with_reason_and_explanation(region, api_for):
    answer = api_for(region.analyst_a).post("/api/extract/", {"content": ADVISORY},
                                            format="json")
    assert answer.status_code == 200
    results = {r["value"]: r for r in answer.json()["results"]}
    assert results["198.51.100.7"] == {"kind": "ipv4", "value": "198.51.100.7",
                                       "certain": True}
    assert results["7.0.14.1"]["certain"] is False
    assert results["7.0.14.1"]["reason"] == "version"
    assert "version" in results["7.0.14.1"]["explanation"]
    assert results["akira-support@onionmail.org"]["reason"] == "joined-across-line-break"


def test_api_extract_stores_nothing(region, api_for):
    api_for(region.analyst_a).post("/api/extract/", {"content": ADVISORY}, format="json")
    assert _stored() == set()


def test_api_extract_says_why_a_file_cannot_be_read(region, api_for):
    upload = SimpleUploadedFile("advisory.pdf", b"<html>not a pdf</html>")
    answer = api_for(region.analyst_a).post("/api/extract/", {"file": upload},
                                            format="multipart")
    assert answer.status_code == 400
    assert "not a PDF file" in answer.json()["file"][0]


def test_api_extract_needs_sign_in(db, client):
    assert client.post("/api/extract/", {"content": ADVISORY}).status_code in (401, 403)


def test_cli_extract_prints_uncertain_values_only_when_asked(tmp_path, capsys):
    advisory = tmp_path / "advisory.txt"
    advisory.write_text(ADVISORY)
    call_command("extract", str(advisory))
    assert "7.0.14.1" not in capsys.readouterr().out
    call_command("extract", str(advisory), "--uncertain")
    lines = capsys.readouterr().out.splitlines()
    assert '{"type": "ipv4", "value": "7.0.14.1", "certain": false, "reason": "version"}' in lines
