"""A look-up answers at a glance: counts beside the per-value results, hits first, only
what was found on request, and the results as CSV."""

import csv
import io

from django.test import Client

from tests.conftest import api_client_for
from vaka.intel import services
from vaka.policy.services import Markings

VALUES = ["not a value", "quiet-host-7.net", "seen-by-us.top", "held-by-them.top",
          "8.8.8.8"]


def holdings(region) -> None:
    """Unit A holds one value all members see; Unit B holds one only it may see."""
    services.ingest_bytes(b"value\nseen-by-us.top\n", organisation=region.unit_a,
                          user=region.analyst_a, source="api", fmt="csv",
                          markings=Markings(tlp="green", distribution="members"))
    services.ingest_bytes(b"value\nheld-by-them.top\n", organisation=region.unit_b,
                          user=region.analyst_b, source="api", fmt="csv",
                          markings=Markings(tlp="amber", distribution="organisation"))


def test_api_lookup_answers_with_a_summary_of_counts(region):
    holdings(region)
    answer = api_client_for(region.cert_user).post("/api/lookup/", {"values": VALUES},
                                                   format="json")
    assert answer.status_code == 200
    assert answer.json()["summary"] == {"values": 5, "matched": 1, "held_elsewhere": 1,
                                        "warninglisted": 1, "unknown": 1, "invalid": 1}


def test_lookup_page_shows_the_summary_line_and_hits_first(region):
    holdings(region)
    web = Client()
    web.force_login(region.cert_user)
    page = web.post("/intel/lookup/", {"values": "\n".join(VALUES)}, follow=True)
    text = page.content.decode()
    assert "5 values:" in text and "1 in records you may see" in text
    assert "1 held by another agency" in text and "1 invalid" in text
    order = [a.value for a in page.context["answers"]]
    assert order[:2] == ["seen-by-us.top", "held-by-them.top"]


def test_only_found_values_are_shown_on_request(region):
    holdings(region)
    web = Client()
    web.force_login(region.cert_user)
    page = web.post("/intel/lookup/", {"values": "\n".join(VALUES), "only_found": "on"},
                    follow=True)
    assert [a.value for a in page.context["answers"]] == ["seen-by-us.top",
                                                          "held-by-them.top"]
    assert "5 values:" in page.content.decode()  # the counts are of every value


def test_lookup_results_download_as_csv(region):
    holdings(region)
    web = Client()
    web.force_login(region.cert_user)
    response = web.post("/intel/lookup/", {"values": "\n".join(VALUES), "csv": "1"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    by_value = {row["value"]: row for row in rows}
    assert by_value["held-by-them.top"]["held_elsewhere"] == "yes"
    assert by_value["held-by-them.top"]["records_you_see"] == ""  # nothing of B's record
    assert "seen-by-us.top" in by_value["seen-by-us.top"]["records_you_see"]
    assert by_value["not a value"]["error"]
