import pycountry
from django.core.management import call_command

from vaka.directory import demo
from vaka.directory.models import Community, Country, Organisation, User
from vaka.directory.roles import Role
from vaka.policy.models import AuditEntry


def counts():
    return [m.objects.count() for m in (Country, Organisation, Community, User, AuditEntry)]


def test_demo_region_has_both_programmes_countries_and_their_agencies(db):
    demo.load()
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


def test_police_units_are_served_by_their_ncb(db):
    demo.load()
    unit = Organisation.objects.get(kind="police_unit", country_id="TO")
    assert unit.served_by == Organisation.objects.get(kind="ncb", country_id="TO")


def test_loading_twice_changes_nothing(db, capsys):
    call_command("demo")
    before = counts()
    call_command("demo")
    assert counts() == before
    out = capsys.readouterr().out
    assert "nothing new" not in out.splitlines()[0]
    assert "0 countries, 0 organisations, 0 communities, 0 users created" in out
    assert f"password '{demo.demo_password()}'" in out


def test_demo_users_can_sign_in(db, client):
    demo.load()
    response = client.post("/accounts/login/", {"username": "fj.analyst",
                                                "password": demo.demo_password()})
    assert response["Location"] == "/"
