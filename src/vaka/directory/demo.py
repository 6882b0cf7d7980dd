"""The demo region: the programmes' countries, their agencies, communities and users.

Loading is idempotent: anything that already exists (by its natural key) is left alone,
so a second run writes nothing, not even an audit entry.
"""

import secrets
from dataclasses import dataclass
from pathlib import Path

import pycountry
from django.conf import settings
from django.db import transaction

from vaka.directory import demo_intel, services
from vaka.directory.models import Community, Country, Organisation, Programme, User
from vaka.directory.roles import Role

ASPJOC = ["BN", "KH", "FJ", "ID", "KI", "LA", "MY", "MH", "NR", "PG", "PH", "WS", "SG", "SB",
          "TH", "TL", "TO", "VU", "VN"]
BLUE_PACIFIC = ["FJ", "KI", "MH", "FM", "NR", "PW", "PG", "WS", "SB", "TO", "VU"]
PROGRAMMES = {
    "aspjoc": ("ASPJOC", "Asia and South Pacific Joint Operations on Cybercrime", ASPJOC),
    "blue-pacific": ("Blue Pacific", "Strengthening Pacific police: training, shared policing "
                     "capabilities and regional cooperation through the PTCN", BLUE_PACIFIC),
}
# Pacific countries whose national police run a transnational crime unit (TCU).
TCU_COUNTRIES = set(BLUE_PACIFIC)

DESK = "Asia and South Pacific Cybercrime Operations Desk"
DESK_EMAIL = "desk@vaka.example"  # whom hit/no-hit answers send people to
PTCCC = "Pacific Transnational Crime Coordination Centre"
OTHERS: list[tuple[str, str, str, str | None]] = [
    # name, short name, kind, country
    (DESK, "ASP Desk", Organisation.Kind.DESK, "SG"),
    (PTCCC, "PTCCC", Organisation.Kind.COORDINATION_CENTRE, "WS"),
    ("Tonga National CERT", "CERT Tonga", Organisation.Kind.CERT, "TO"),
    ("Papua New Guinea CERT", "PNGCERT", Organisation.Kind.CERT, "PG"),
    ("Pacific Islands Chiefs of Police Secretariat", "PICP", Organisation.Kind.IGO, None),
    ("Kestrel Threat Research", "Kestrel", Organisation.Kind.PRIVATE_PARTNER, "SG"),
    ("Coral Sea Telecom Security Operations", "Coral Sea SOC",
     Organisation.Kind.PRIVATE_PARTNER, "FJ"),
]


@dataclass
class DemoUser:
    username: str
    first_name: str
    last_name: str
    organisation: str
    role: str


ADMIN_USERNAME = "admin"
FIJI_TCU = "Police Transnational Crime Unit — Fiji"
PHILIPPINES_UNIT = "Police Cybercrime Unit — Philippines"
USERS = [
    DemoUser(ADMIN_USERNAME, "Aroha", "Tane", DESK, Role.PLATFORM_ADMIN),
    DemoUser("desk.analyst", "Mei Ling", "Tan", DESK, Role.ANALYST),
    DemoUser("desk.publisher", "Rahul", "Menon", DESK, Role.PUBLISHER),
    DemoUser("desk.coordinator", "Siti", "Rahman", DESK, Role.COORDINATOR),
    DemoUser("desk.viewer", "Daniel", "Reyes", DESK, Role.VIEWER),
    DemoUser("ptccc.coordinator", "Losa", "Faleolo", PTCCC, Role.COORDINATOR),
    DemoUser("ptccc.trainer", "Sione", "Tupou", PTCCC, Role.TRAINER),
    DemoUser("fj.admin", "Litia", "Vakarau", FIJI_TCU,
             Role.ORG_ADMIN),
    DemoUser("fj.analyst", "Josefa", "Naivalu", FIJI_TCU,
             Role.ANALYST),
    DemoUser("fj.viewer", "Ana", "Tuilagi", FIJI_TCU,
             Role.VIEWER),
    DemoUser("ph.analyst", "Carlo", "Santos", PHILIPPINES_UNIT,
             Role.ANALYST),
    DemoUser("to.cert", "Viliami", "Fifita", "Tonga National CERT", Role.ANALYST),
    DemoUser("kestrel.analyst", "Priya", "Nair", "Kestrel Threat Research", Role.ANALYST),
]


def country_name(code: str) -> str:
    country = pycountry.countries.get(alpha_2=code)
    return getattr(country, "common_name", None) or country.name


def police_unit_name(code: str) -> str:
    kind = "Transnational Crime Unit" if code in TCU_COUNTRIES else "Cybercrime Unit"
    return f"Police {kind} — {country_name(code)}"


def credentials_path() -> Path:
    return Path(settings.DATA_DIR) / "demo-credentials"


def demo_password() -> str:
    """The demo users' password: generated once, kept in the data directory."""
    path = credentials_path()
    if not path.exists():
        path.write_text(secrets.token_urlsafe(12) + "\n")
        path.chmod(0o600)
    return path.read_text().strip()


@transaction.atomic
def load() -> dict[str, int]:
    """Load the demo region and its intelligence (``demo_intel``); returns how many records
    of each kind were created."""
    created = {"countries": 0, "organisations": 0, "communities": 0, "users": 0}
    programmes = {}
    for code, (name, description, _members) in PROGRAMMES.items():
        programmes[code], _ = Programme.objects.get_or_create(
            code=code, defaults={"name": name, "description": description})

    for code in sorted(set(ASPJOC) | set(BLUE_PACIFIC)):
        iso = pycountry.countries.get(alpha_2=code)
        country, new = Country.objects.get_or_create(
            code=code, defaults={"alpha3": iso.alpha_3, "name": country_name(code)})
        created["countries"] += new
        if new:
            country.programmes.set([programmes[p] for p, (_n, _d, members) in PROGRAMMES.items()
                                    if code in members])

    def organisation(name: str, short: str, kind: str, country: str | None,
                     served_by: Organisation | None = None) -> Organisation:
        org = Organisation.objects.filter(name=name, origin__isnull=True).first()
        if org is None:
            email = DESK_EMAIL if kind == Organisation.Kind.DESK else ""
            org = services.save_organisation(
                Organisation(name=name, short_name=short, kind=kind, country_id=country,
                             served_by=served_by, contact_email=email), actor=None)
            created["organisations"] += 1
        return org

    ncbs, units = {}, {}
    for country in Country.objects.all():
        ncbs[country.code] = organisation(
            f"NCB {country.name}", f"NCB {country.alpha3}", Organisation.Kind.NCB, country.code)
        units[country.code] = organisation(
            police_unit_name(country.code), f"{country.alpha3} POL", Organisation.Kind.POLICE_UNIT,
            country.code, served_by=ncbs[country.code])
    others = {name: organisation(name, short, kind, country)
              for name, short, kind, country in OTHERS}

    aspjoc = [ncbs[c] for c in ASPJOC] + [units[c] for c in ASPJOC] + [others[DESK]]
    ptcn = ([units[c] for c in BLUE_PACIFIC] + [ncbs[c] for c in BLUE_PACIFIC]
            + [others[PTCCC], others[DESK]])
    partners = [others[DESK], others["Kestrel Threat Research"],
                others["Coral Sea Telecom Security Operations"], others["Tonga National CERT"],
                others["Papua New Guinea CERT"]]
    for name, description, members in (
        ("ASPJOC members", "Law-enforcement members of the ASPJOC programme.", aspjoc),
        ("Pacific Transnational Crime Network", "The PTCN's national transnational crime "
         "units, NCBs and the coordination centre in Apia.", ptcn),
        ("Private partners", "CERTs and private-sector partners sharing with the desk.", partners),
    ):
        if not Community.objects.filter(name=name).exists():
            services.save_community(Community(name=name, description=description), members,
                                    actor=None)
            created["communities"] += 1

    password = demo_password()
    for person in USERS:
        if User.objects.filter(username=person.username).exists():
            continue
        services.create_user(
            actor=None, organisation=Organisation.objects.get(
                name=person.organisation, origin__isnull=True),
            password=password, username=person.username, first_name=person.first_name,
            last_name=person.last_name, role=person.role,
            email=f"{person.username}@vaka.example")
        created["users"] += 1
    created.update(demo_intel.load(DESK, ADMIN_USERNAME))
    from vaka.products import demo as demo_products  # products build on the directory

    created["products"] = demo_products.load()
    from vaka.operations import demo as demo_operations

    created["operations"] = demo_operations.load()
    from vaka.messaging import demo as demo_messages  # messages between the agencies

    created["messages"] = demo_messages.load()
    from vaka.training import demo as demo_training  # courses, sessions, people trained

    created["training sessions"] = demo_training.load()
    return created
