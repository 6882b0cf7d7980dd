"""The analytics dashboard: figures over what the viewer may see, filters, the refresh, the
page and its CSVs."""

import csv
import io
from datetime import date, timedelta

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from tests.factories import CountryFactory, OrganisationFactory, UserFactory
from tests.intel.store_data import bundle, indicator, sid
from vaka.intel import corrections, services
from vaka.intel.models import (
    FigureClass,
    FigureRefresh,
    ObjectFigure,
    StixObject,
    ValueFigure,
)
from vaka.policy.services import Markings
from vaka.products import analytics, figures

SHARED = "shared-c2-kq.xyz"
SAMOA_ONLY = "samoa-secret-c2-kq.xyz"
RANSOMWARE = 'vaka:crime-type="ransomware"'
APT1 = 'misp-galaxy:threat-actor="APT1"'
PHISHING = 'misp-galaxy:mitre-attack-pattern="Phishing - T1566"'


def _ingest(user, *objects: dict, **markings) -> None:
    submission = services.ingest_bytes(
        bundle(*objects), organisation=user.organisation, user=user,
        markings=Markings(**markings), source="api", fmt="stix")
    assert submission.status == "stored", submission.errors


def _named(kind: str, name: str) -> dict:
    return {"type": kind, "spec_version": "2.1", "id": sid(kind, name),
            "created": "2026-01-10T08:00:00.000Z", "modified": "2026-01-10T08:00:00.000Z",
            "name": name}


@pytest.fixture
def world(db):
    fiji, samoa = CountryFactory(code="FJ", name="Fiji"), CountryFactory(code="WS",
                                                                          name="Samoa")

    class World:
        fiji_unit = OrganisationFactory(name="Fiji Unit", country=fiji)
        samoa_unit = OrganisationFactory(name="Samoa Unit", country=samoa)
        desk = OrganisationFactory(name="Desk", kind="desk")
        fiji_analyst = UserFactory(username="fiji", organisation=fiji_unit)
        samoa_analyst = UserFactory(username="samoa", organisation=samoa_unit)
        samoa_colleague = UserFactory(username="samoa2", organisation=samoa_unit)
        desk_analyst = UserFactory(username="desk", organisation=desk)

    w = World
    members = {"distribution": "members", "tlp": "green"}
    _ingest(w.fiji_analyst,
            indicator(SHARED, labels=[RANSOMWARE, APT1, PHISHING]),
            indicator("fiji-one.example.net", labels=["phishing", APT1]),
            _named("attack-pattern", "Phishing"), _named("threat-actor", "APT1"), **members)
    _ingest(w.samoa_analyst, indicator(SHARED, labels=[RANSOMWARE]), **members)
    # Samoa's own, TLP:RED to nobody else: two records of one value, never Fiji's to see.
    _ingest(w.samoa_analyst, indicator(SAMOA_ONLY, labels=[RANSOMWARE, APT1]),
            indicator(SAMOA_ONLY, path="domain-name:value", seed="again",
                      labels=[RANSOMWARE]),
            distribution="organisation", tlp="red", recipients=[w.samoa_colleague])
    figures.refresh()
    return w


def test_figures_count_what_the_viewer_may_see(world):
    seen = analytics.figures_for(world.fiji_analyst)
    assert seen.total == 5
    assert seen.by_country_code == {"FJ": 4, "WS": 1}
    assert seen.by_crime_type_code == {"ransomware": 2, "phishing": 1}
    assert seen.by_tlp_code == {"green": 5}
    samoa = analytics.figures_for(world.samoa_analyst)
    assert samoa.total == 7
    assert samoa.by_crime_type_code == {"ransomware": 4, "phishing": 1}
    assert samoa.by_tlp_code == {"green": 5, "red": 2}


def test_actors_and_techniques_count_tags_and_objects_once_each(world):
    charts = analytics.figures_for(world.fiji_analyst).charts
    actors = dict(zip(charts["threat-actors"].labels, charts["threat-actors"].series[0].values,
                      strict=True))
    # two tagged indicators and the threat-actor object itself
    assert actors == {"APT1": 3}
    techniques = dict(zip(charts["techniques"].labels, charts["techniques"].series[0].values,
                          strict=True))
    # the tag, and the attack-pattern object "Phishing" matched to the galaxy's name
    assert techniques == {"Phishing - T1566": 2}


def test_filters_narrow_every_figure(world):
    user = world.fiji_analyst
    assert analytics.figures_for(user, crime_type="ransomware").by_country_code == {
        "FJ": 1, "WS": 1}
    assert analytics.figures_for(user, country="WS").total == 1
    assert analytics.figures_for(user, tlp="red").total == 0
    assert analytics.figures_for(user, type="attack-pattern").total == 1
    this_month = timezone.now().date()
    assert analytics.figures_for(user, since=this_month, until=this_month).total == 5
    last_year = date(this_month.year - 1, 1, 1)
    assert analytics.figures_for(user, until=last_year).total == 0


def test_correlated_values_and_cross_border_links_count_visible_holders_only(world):
    fiji = analytics.figures_for(world.fiji_analyst)
    assert [(c.value, c.agencies, c.countries, c.objects) for c in fiji.correlated] == [
        (SHARED, 2, 2, 2)]
    assert fiji.charts["cross-border"].labels == ("Fiji – Samoa",)
    assert fiji.charts["cross-border"].series[0].values == (1,)
    samoa = analytics.figures_for(world.samoa_analyst)
    assert [(c.value, c.objects) for c in samoa.correlated] == [(SHARED, 2), (SAMOA_ONLY, 2)]
    assert samoa.charts["cross-border"].series[0].values == (1,)  # SAMOA_ONLY: one country


def test_a_value_remarked_out_of_sight_is_not_named_before_the_next_refresh(world):
    pair = "samoa-pair-kq.xyz"
    _ingest(world.samoa_analyst, indicator(pair), indicator(pair, seed="twice"),
            distribution="members", tlp="green")
    figures.refresh()
    assert pair in {c.value for c in analytics.figures_for(world.fiji_analyst).correlated}
    for obj in StixObject.objects.filter(owner=world.samoa_unit, name=pair):
        corrections.remark(obj, user=world.samoa_analyst, markings=Markings(
            distribution="organisation", tlp="red", recipients=[world.samoa_colleague]))
    assert pair not in {c.value for c in analytics.figures_for(world.fiji_analyst).correlated}
    figures.refresh()
    assert analytics.figures_for(world.fiji_analyst).total == 5


def test_refresh_is_idempotent(world):
    def rows() -> tuple[set, set, int]:
        classes = {c.pk: (c.owner_id, c.distribution, c.tlp, c.audience_id)
                   for c in FigureClass.objects.all()}
        return ({(classes[f.figure_class_id], f.month, f.type, f.crime_type, f.dimension,
                  f.key, f.count) for f in ObjectFigure.objects.all()},
                {(classes[v.figure_class_id], v.month, v.type, v.crime_type, v.value_hash,
                  v.count) for v in ValueFigure.objects.all()},
                ObjectFigure.objects.count())
    before = rows()
    state = figures.refresh()
    assert rows() == before
    assert state.counted == 7
    assert figures.as_of() == state.finished


def test_refresh_runs_when_due(world):
    with override_settings(ANALYTICS_REFRESH_MINUTES=15):
        assert figures.refresh_if_due() is None
        # A small store's figures follow its ingests at the next round.
        _ingest(world.fiji_analyst, indicator("later-kq.xyz"), distribution="members",
                tlp="green")
        assert figures.refresh_if_due() is not None
        assert figures.refresh_if_due() is None
        FigureRefresh.objects.update(seconds=figures.QUICK_SECONDS)  # a large store's
        _ingest(world.fiji_analyst, indicator("later-again-kq.xyz"), distribution="members",
                tlp="green")
        assert figures.refresh_if_due() is None
        later = timezone.now() + timedelta(minutes=16)
        assert figures.refresh_if_due(later) is not None
    with override_settings(ANALYTICS_REFRESH_MINUTES=0):
        assert figures.refresh_if_due(timezone.now() + timedelta(days=1)) is None


def _web(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_page_draws_every_chart_with_its_csv_link(world, django_assert_max_num_queries):
    web = _web(world.desk_analyst)
    # The intelligence figures, then one query each for the operations' results and the
    # requests for information: 17 on PostgreSQL, one fewer on SQLite.
    with django_assert_max_num_queries(17):
        page = web.get("/analytics/", {"crime_type": "ransomware"})
    assert page.status_code == 200
    html = page.content.decode()
    # Every chart of the intelligence figures (other apps' panels draw their own after).
    assert all(f'<svg xmlns="http://www.w3.org/2000/svg" id="chart-{name}"' in html
               for name in analytics.CHARTS)
    for name in analytics.CHARTS:
        assert f'href="/analytics/{name}.csv?crime_type=ransomware"' in html
    assert 'id="analytics-total">2<' in html
    assert SAMOA_ONLY not in html


def test_csv_is_the_charts_data(world):
    answer = _web(world.fiji_analyst).get("/analytics/countries.csv")
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("text/csv")
    assert list(csv.reader(io.StringIO(answer.content.decode()))) == [
        ["label", "Objects"], ["Fiji", "4"], ["Samoa", "1"]]


def test_a_bad_filter_is_refused_naming_it(world):
    web = _web(world.fiji_analyst)
    page = web.get("/analytics/", {"tlp": "GREEN", "since": "2026-13"})
    assert page.status_code == 400
    assert "<code>tlp</code>" in page.content.decode()
    assert "<code>since</code>" in page.content.decode()
    answer = web.get("/analytics/tlp.csv", {"country": "XX"})
    assert answer.status_code == 400
    assert answer.content.decode().startswith("country:")
    assert web.get("/analytics/nothing.csv").status_code == 404
    backwards = web.get("/analytics/", {"since": "2026-05", "until": "2026-01"})
    assert backwards.status_code == 400


def test_anonymous_visitors_are_sent_to_sign_in(db):
    for path in ("/analytics/", "/analytics/countries.csv"):
        answer = Client().get(path)
        assert answer.status_code == 302
        assert answer["Location"].startswith("/accounts/login/")


def test_warming_after_a_refresh_spares_recent_users_the_shared_value_sums(world,
                                                                           monkeypatch):
    from django.core.cache import caches

    caches["default"].clear()
    for user in (world.fiji_analyst, world.samoa_colleague):
        user.last_login = timezone.now()
        user.save(update_fields=["last_login"])
    assert figures.warm_recent() == 2  # two audiences: Fiji's, and Samoa's with its RED

    def summed(*args, **kwargs):
        raise AssertionError("computed again")

    monkeypatch.setattr(analytics, "_shared_values", summed)
    # The desk was not signed in lately, but may see what Fiji's unit may see: the same.
    assert [c.value for c in analytics.figures_for(world.desk_analyst).correlated] == [SHARED]
    assert len(analytics.figures_for(world.samoa_analyst).correlated) == 2
    with pytest.raises(AssertionError):
        analytics.figures_for(world.desk_analyst, tlp="green")  # filtered: not warmed


def test_arabic_page_draws_its_charts_right_to_left(world):
    from django.conf import settings

    web = _web(world.fiji_analyst)
    web.cookies[settings.LANGUAGE_COOKIE_NAME] = "ar"
    html = web.get("/analytics/").content.decode()
    assert html.count('direction="rtl"') == html.count("<svg") >= len(analytics.CHARTS)


def test_refresh_command_counts_every_current_object(world):
    from django.core.management import call_command

    out = io.StringIO()
    call_command("refresh_figures", stdout=out)
    assert out.getvalue().startswith("Counted 7 objects")
