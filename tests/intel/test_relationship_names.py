"""An object page names the ends of its relationships where the reader may see them, and
shows only the STIX id of an end outside the reader's audience — never its name."""

import json
import re

from django.test import Client

from tests.intel.store_data import T0, indicator, sid
from vaka.intel import services
from vaka.intel.models import StixObject
from vaka.policy.services import Markings

GREEN = {"tlp": "green", "distribution": "members", "pap": "clear"}


def malware(name: str) -> dict:
    return {"type": "malware", "spec_version": "2.1", "id": sid("malware", name),
            "created": T0, "modified": T0, "name": name, "is_family": True}


def relationship(source: str, target: str) -> dict:
    return {"type": "relationship", "spec_version": "2.1",
            "id": sid("relationship", source + target), "created": T0, "modified": T0,
            "relationship_type": "indicates", "source_ref": source, "target_ref": target}


def store(user, *objects: dict, **markings) -> None:
    content = json.dumps({"type": "bundle", "id": sid("bundle", str(objects)),
                          "objects": list(objects)}).encode()
    services.ingest_bytes(content, organisation=user.organisation, user=user,
                          markings=Markings(**{**GREEN, **markings}), source="api")


def page_of(user, stix_id: str) -> str:
    client = Client()
    client.force_login(user)
    obj = StixObject.objects.filter(stix_id=stix_id).first()
    return client.get(f"/intel/objects/{obj.pk}/").content.decode()


def shown_as_id(stix_id: str, page: str) -> bool:
    """The id alone, left to right whatever the page's direction."""
    return re.search(rf'<bdi dir="ltr"><code[^>]*>{re.escape(stix_id)}</code></bdi>',
                     page) is not None


def test_a_relationship_names_an_end_the_reader_may_see(region):
    sign = indicator("drop-zone.example")
    family = malware("Kraken Loader")
    store(region.analyst_a, sign, family, relationship(sign["id"], family["id"]))
    page = page_of(region.analyst_b, sign["id"])
    assert "Kraken Loader" in page and re.search(r"<code[^>]*>malware</code>", page)
    assert not shown_as_id(family["id"], page)


def test_a_relationship_shows_only_the_id_of_an_end_outside_the_readers_audience(region):
    family = malware("Secret Family")
    store(region.analyst_b, family, tlp="amber", distribution="organisation")
    sign = indicator("drop-zone.example")
    store(region.analyst_a, sign, relationship(sign["id"], family["id"]))
    page = page_of(region.analyst_a, sign["id"])
    assert "Secret Family" not in page
    assert shown_as_id(family["id"], page)


def test_the_owner_of_the_hidden_end_sees_its_name(region):
    family = malware("Secret Family")
    store(region.analyst_b, family, tlp="amber", distribution="organisation")
    sign = indicator("drop-zone.example")
    store(region.analyst_a, sign, relationship(sign["id"], family["id"]))
    assert "Secret Family" in page_of(region.analyst_b, family["id"])
    assert "drop-zone.example" in page_of(region.analyst_b, family["id"])


def test_a_relationships_own_page_names_its_ends_the_reader_may_see(region):
    family = malware("Secret Family")
    store(region.analyst_b, family, tlp="amber", distribution="organisation")
    sign = indicator("drop-zone.example")
    link = relationship(sign["id"], family["id"])
    store(region.analyst_a, sign, link)
    page = page_of(region.analyst_a, link["id"])
    assert "drop-zone.example" in page and "<strong>indicates</strong>" in page
    assert "Secret Family" not in page and shown_as_id(family["id"], page)


def test_a_relationship_row_in_the_list_names_the_ends_the_reader_may_see(region):
    family = malware("Secret Family")
    store(region.analyst_b, family, tlp="amber", distribution="organisation")
    sign = indicator("drop-zone.example")
    store(region.analyst_a, sign, relationship(sign["id"], family["id"]))
    client = Client()
    client.force_login(region.analyst_a)
    listing = client.get("/intel/objects/?type=relationship").content.decode()
    assert "<bdi>drop-zone.example</bdi> indicates <bdi dir=\"ltr\">malware--" in listing
    assert "Secret Family" not in listing
