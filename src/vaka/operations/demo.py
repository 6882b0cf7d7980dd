"""The demo region's operation, made through the same services coordinators use:
Operation Tavita, led by Fiji's transnational crime unit against the sextortion network
of the demo intelligence, with the desk and the Philippines' and Tonga's units, five
targets linked to what Fiji holds and two tasks. Idempotent: left alone when Fiji already
holds an operation of that code name."""

from datetime import timedelta

from django.utils import timezone

from vaka.directory.demo import DESK, FIJI_TCU, PHILIPPINES_UNIT, police_unit_name
from vaka.directory.models import Organisation, User
from vaka.intel.models import Observable
from vaka.operations import services, targets, tasks
from vaka.operations.models import Operation, Phase
from vaka.operations.services import OperationDetails

CODE_NAME = "Tavita"
TARGETS = """\
domain tavita-love.top
btc bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4
phone +61 491 570 156
account instagram:@tavita.love
person Tavita"""


def _organisation(name: str) -> Organisation:
    return Organisation.objects.get(name=name, origin__isnull=True)


def load() -> int:
    """Make the demo operation; 1 if it was made, 0 on a second run."""
    lead = User.objects.get(username="fj.admin")  # an organisation admin coordinates
    if Operation.objects.filter(owner=lead.organisation_id, code_name=CODE_NAME).exists():
        return 0
    fiji = _organisation(FIJI_TCU)
    others = [_organisation(name) for name in (DESK, PHILIPPINES_UNIT, police_unit_name("TO"))]
    today = timezone.localdate()
    operation = services.open_operation(user=lead, details=OperationDetails(
        code_name=CODE_NAME, lead=fiji.pk, participants=[o.pk for o in others],
        objective="Identify and arrest the people behind the 'Tavita' sextortion profile "
                  "that targets young men in Fiji, Tonga and the Philippines, and freeze "
                  "the wallets its victims pay into.",
        crime_types=["sextortion", "money-laundering"], countries=["FJ", "PH", "TO"],
        starts=today - timedelta(days=10), ends=today + timedelta(days=80)))
    services.set_phase(operation, user=lead, phase=Phase.PRIORITISE)
    wave = list(Observable.objects.filter(kind="phone", value="+61491570156", object__owner=fiji)
                .values_list("object_id", flat=True)[:1])
    items = targets.parse_paste(TARGETS)
    items[2].linked = wave
    targets.add_targets(operation, user=lead, targets=items)
    tasks.create_task(operation, user=lead, assigned_to=others[1].pk,
                      title="Ask the exchange for the KYC of the bitcoin wallet",
                      due=today + timedelta(days=14))
    tasks.create_task(operation, user=lead, assigned_to=others[0].pk,
                      title="Map the profile's accounts across platforms",
                      detail="Instagram, Facebook and the phone numbers in the wave.",
                      due=today + timedelta(days=7))
    return 1
