from vaka.directory import demo
from vaka.directory.models import User
from vaka.operations import demo as demo_operations
from vaka.operations import selectors
from vaka.operations.models import Operation


def test_the_demo_operation_is_led_by_fiji_with_the_desk_and_two_units(db):
    demo.load()
    operation = Operation.objects.get(code_name=demo_operations.CODE_NAME)
    assert operation.lead.name == demo.FIJI_TCU
    assert set(operation.compartment.organisations.values_list("name", flat=True)) == {
        demo.FIJI_TCU, demo.DESK, demo.PHILIPPINES_UNIT, demo.police_unit_name("TO")}
    assert set(operation.targets.values_list("kind", flat=True)) == {
        "domain", "btc", "phone", "account", "person"}
    assert operation.targets.get(kind="phone").linked.exists()
    assert operation.tasks.count() == 2
    fiji = User.objects.get(username="fj.analyst")
    assert list(selectors.operations_for(fiji)) == [operation]
    assert not selectors.operations_for(User.objects.get(username="kestrel.analyst")).exists()
    assert demo_operations.load() == 0
