"""Visibility channel of the analytics dashboard, for test_visibility_property.

Called as ``channel(user, visible, notes)`` like the others. The STIX objects mirror the
notes' markings (same order); each is given crime types (a machine tag or a plain alias), a
threat actor tag, and its owner a country, then the figures are refreshed. Every figure of
the page (``/analytics/``) and of each chart's CSV (``/analytics/<chart>.csv``) must equal
what the reference audience implies: the visible objects counted by country, crime type,
threat actor and TLP, filtered too. Most-correlated values and cross-border links count
visible holders only: the value all objects share appears when two visible objects hold
it, a value held only by records outside the audience never appears, nor one held by a
single visible record and hidden ones. An anonymous visitor is sent to sign in.
"""

import csv
import io
from collections import Counter

from django.test import Client

from vaka.directory.models import Country, Organisation
from vaka.intel import crime_types
from vaka.intel.models import Observable, StixObject
from vaka.intel.parsing.observables import value_hash
from vaka.products import figures

SHARED = "shared-value-7.net"  # carried by every object (test_visibility_property.SHARED)
HIDDEN_PAIR = "hidden-pair-7.net"  # carried by every object outside the audience
HALF_SEEN = "half-seen-7.net"  # one visible object and one hidden one
COUNTRIES = [("FJ", "FJI", "Fiji"), ("WS", "WSM", "Samoa"), ("TO", "TON", "Tonga")]
CRIMES = [["vaka:crime-type=\"ransomware\""], ["phishing"],
          ["vaka:crime-type=\"bec\"", "vaka:crime-type=\"ransomware\""], []]
ACTORS = ["APT1", "Lazarus Group"]


def _csv(web: Client, chart: str, params: dict | None = None) -> dict[str, list[str]]:
    answer = web.get(f"/analytics/{chart}.csv", params or {})
    assert answer.status_code == 200, answer.content[:300]
    rows = list(csv.reader(io.StringIO(answer.content.decode())))
    return {row[0]: row[1:] for row in rows[1:]}


def _counts(rows: dict[str, list[str]]) -> dict[str, int]:
    return {label: int(values[0]) for label, values in rows.items()}


def _dress(objects: list[StixObject]) -> dict[int, str]:
    """Labels, countries and extra values; the country name of each organisation."""
    names = {}
    for i, org in enumerate(Organisation.objects.filter(
            pk__in={obj.owner_id for obj in objects}).order_by("pk")):
        code, alpha3, name = COUNTRIES[i % len(COUNTRIES)]
        country, _made = Country.objects.get_or_create(
            code=code, defaults={"alpha3": alpha3, "name": name})
        org.country = country
        org.save(update_fields=["country"])
        names[org.pk] = country.name
    for i, obj in enumerate(objects):
        labels = [*CRIMES[i % len(CRIMES)], f'misp-galaxy:threat-actor="{ACTORS[i % 2]}"']
        StixObject.objects.filter(pk=obj.pk).update(
            labels=labels, label_text="|" + "|".join(labels) + "|")
    return names


def _undress(objects: list[StixObject]) -> None:
    StixObject.objects.filter(pk__in=[o.pk for o in objects]).update(labels=[], label_text="")
    Organisation.objects.filter(pk__in={o.owner_id for o in objects}).update(country=None)
    Observable.objects.filter(value__in=[HIDDEN_PAIR, HALF_SEEN]).delete()


def _add_value(obj: StixObject, value: str) -> None:
    Observable.objects.create(object=obj, kind="domain", value=value,
                              value_hash=value_hash("domain", value))


def check_analytics(user, visible: set[int], notes: list) -> None:
    if user is None:
        for path in ("/analytics/", "/analytics/countries.csv", "/analytics/correlated.csv"):
            answer = Client().get(path)
            assert answer.status_code == 302 and "/accounts/login/" in answer["Location"]
        return
    objects = list(StixObject.objects.order_by("pk"))
    names = _dress(objects)
    seen = [i for i, note in enumerate(notes) if note.pk in visible]
    hidden = [i for i, note in enumerate(notes) if note.pk not in visible]
    for i in hidden:
        _add_value(objects[i], HIDDEN_PAIR)
    if seen and hidden:
        _add_value(objects[seen[0]], HALF_SEEN)
        _add_value(objects[hidden[0]], HALF_SEEN)
    try:
        figures.refresh()
        _check(user, objects, names, seen)
    finally:
        _undress(objects)


def _check(user, objects: list[StixObject], names: dict[int, str], seen: list[int]) -> None:
    web = Client()
    web.force_login(user)
    page = web.get("/analytics/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'id="analytics-total">{len(seen)}<' in html
    assert HIDDEN_PAIR not in html and HALF_SEEN not in html
    countries = Counter(names[objects[i].owner_id] for i in seen)
    crimes = Counter(crime_types.label_of(code) for i in seen
                     for code in crime_types.codes_in(CRIMES[i % len(CRIMES)]))
    actors = Counter(ACTORS[i % 2] for i in seen)
    tlps = Counter(objects[i].tlp for i in seen)
    assert _counts(_csv(web, "countries")) == countries
    assert _counts(_csv(web, "crime-types")) == crimes
    assert _counts(_csv(web, "threat-actors")) == actors
    assert sum(_counts(_csv(web, "tlp")).values()) == len(seen)
    assert sum(int(n) for row in _csv(web, "months").values() for n in row) == len(seen)
    for tlp, n in tlps.items():
        assert _counts(_csv(web, "types", {"tlp": tlp})) == {"Indicator": n}
    ransomware = sum(1 for i in seen if "ransomware" in crime_types.codes_in(
        CRIMES[i % len(CRIMES)]))
    assert sum(_counts(_csv(web, "types", {"crime_type": "ransomware"})).values()) == \
        ransomware
    for code, _alpha3, name in COUNTRIES:
        if name in countries:
            assert _counts(_csv(web, "countries", {"country": code})) == {
                name: countries[name]}
    # Correlated values: only what two visible objects hold; never a hidden-only value.
    correlated = _csv(web, "correlated")
    assert not any(HIDDEN_PAIR in label or HALF_SEEN in label for label in correlated)
    if len(seen) > 1:
        owners = {objects[i].owner_id for i in seen}
        held_in = {names[o] for o in owners}
        assert correlated == {f"domain: {SHARED}": [str(len(owners)), str(len(held_in)),
                                                    str(len(seen))]}
        ordered = sorted(held_in)
        assert _counts(_csv(web, "cross-border")) == {
            f"{a} – {b}": 1 for n, a in enumerate(ordered) for b in ordered[n + 1:]}
    else:
        assert correlated == {}
        assert _counts(_csv(web, "cross-border")) == {}


CHANNELS: list = [check_analytics]
