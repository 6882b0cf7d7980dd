import pycountry
import pytest
from django.core.management import call_command

from vaka.directory import demo
from vaka.directory.models import Community, Country, Organisation, User
from vaka.directory.roles import Role
from vaka.policy.models import AuditEntry


def counts():
    return [m.objects.count() for m in (Country, Organisation, Community, User, AuditEntry)]


def intel_counts():
    from vaka.exchange.models import Collection
    from vaka.inbox.models import Notice
    from vaka.intel.models import HitNotification, Note, Observable, StixObject, Submission

    return {m.__name__: m.objects.count() for m in (
        StixObject, Observable, Submission, HitNotification, Notice, Note, Collection,
        AuditEntry)}


def test_loading_twice_changes_nothing(db, capsys):
    call_command("demo")
    before = counts()
    call_command("demo")
    assert counts() == before
    out = capsys.readouterr().out
    assert "nothing new" not in out.splitlines()[0]
    assert ("0 countries, 0 organisations, 0 communities, 0 users, 0 submissions, 0 lookups, "
            "0 notes, 0 collections, 0 products, 0 operations, 0 messages, "
            "0 training sessions created") in out
    assert f"password '{demo.demo_password()}'" in out


@pytest.mark.usefixtures("demo_loaded")
class TestTheLoadedDemo:
    """What one load of the demo holds (each test's own changes are rolled back)."""

    def test_demo_region_has_both_programmes_countries_and_their_agencies(self, db):
        codes = set(Country.objects.values_list("code", flat=True))
        assert codes == set(demo.ASPJOC) | set(demo.BLUE_PACIFIC)
        for country in Country.objects.all():  # pycountry's common name where it has one
            iso = pycountry.countries.get(alpha_2=country.code)
            assert country.name == getattr(iso, "common_name", iso.name)
            assert country.alpha3 == iso.alpha_3
        assert set(Country.objects.get(code="PW").programmes.values_list("code", flat=True)) == {
            "blue-pacific"}
        assert set(Country.objects.get(code="FJ").programmes.values_list("code", flat=True)) == {
            "aspjoc", "blue-pacific"}
        for country in Country.objects.all():
            kinds = set(country.organisations.values_list("kind", flat=True))
            assert {"ncb", "police_unit"} <= kinds, country
        for kind in ("desk", "coordination_centre", "cert", "igo", "private_partner"):
            assert Organisation.objects.filter(kind=kind).exists(), kind
        assert Organisation.objects.get(kind="coordination_centre").country_id == "WS"
        assert set(Community.objects.values_list("name", flat=True)) == {
            "ASPJOC members", "Pacific Transnational Crime Network", "Private partners"}
        assert set(User.objects.values_list("role", flat=True)) == set(Role.values)

    def test_police_units_are_served_by_their_ncb(self, db):
        unit = Organisation.objects.get(kind="police_unit", country_id="TO")
        assert unit.served_by == Organisation.objects.get(kind="ncb", country_id="TO")

    def test_demo_users_can_sign_in(self, db, client):
        response = client.post("/accounts/login/", {"username": "fj.analyst",
                                                    "password": demo.demo_password()})
        assert response["Location"] == "/"

    # --- the demo intelligence -----------------------------------------------------------

    def test_loading_the_demo_intelligence_twice_changes_nothing(self, db):
        before = intel_counts()
        created = demo.load()
        assert intel_counts() == before
        assert not any(created.values())

    def test_demo_intelligence_correlates_hits_and_notifies(self, db):
        from vaka.exchange.models import Collection
        from vaka.inbox.models import Notice
        from vaka.intel.models import HitNotification, Submission
        from vaka.intel.selectors import objects_for, with_correlations

        assert set(Submission.objects.values_list("status", flat=True)) == {"stored"}
        desk_analyst = User.objects.get(username="desk.analyst")
        assert with_correlations(objects_for(desk_analyst)).count() >= 5
        askers = set(HitNotification.objects.values_list("asked_by_organisation__name", flat=True))
        assert {demo.FIJI_TCU, demo.PHILIPPINES_UNIT, "Tonga National CERT"} <= askers
        assert set(HitNotification.objects.values_list("channel", flat=True)) == {
            "ingest", "lookup"}
        holders = set(Notice.objects.filter(kind="hit").values_list("owner__name", flat=True))
        assert {demo.FIJI_TCU, demo.PHILIPPINES_UNIT, "Kestrel Threat Research"} <= holders
        assert Collection.objects.get(alias="ransomware").filters == {"label": "ransomware"}

    def test_demo_value_held_by_two_agencies_at_different_tlps(self, db):
        from vaka.intel.models import Observable

        tlps = set(Observable.objects.filter(kind="phone", value="+61491570156").values_list(
            "object__owner__name", "object__tlp"))
        assert tlps == {(demo.FIJI_TCU, "amber"), ("Tonga National CERT", "green")}

    def test_demo_ransomware_collection_serves_the_desks_indicators_over_taxii(self, db):
        from vaka.exchange import taxii
        from vaka.intel.filtersets import filtered_objects

        fiji = User.objects.get(username="fj.analyst")
        collection = taxii.collection_for(fiji, "ransomware")
        assert taxii.collection_resource(collection, fiji)["can_read"]
        shared, _used = filtered_objects(fiji, collection.filters)
        assert shared.count() == 4  # the desk's TLP:GREEN re-share, not the partner's report

    def test_the_demo_has_an_acknowledged_alert_an_assessment_in_review_and_public_material(
            self, db):
        from vaka.products.models import Kind, Product, Recipient
        from vaka.products.selectors import public_materials

        alert = Product.objects.get(kind=Kind.ALERT)
        assert alert.status == "disseminated"
        assert Recipient.objects.filter(product=alert, ack="actioned").count() == 1
        assert Product.objects.get(kind=Kind.ASSESSMENT).revisions.get().status == "in_review"
        assert [p.kind for p in public_materials()] == [Kind.AWARENESS]
