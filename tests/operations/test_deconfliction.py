"""Deconfliction: a target value another operation holds makes a clash the desk brokers;
the leads learn only that another operation holds it; the observable index answers
through hit/no-hit; a bulk check answers per line and stores nothing."""

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django_otp import DEVICE_ID_SESSION_KEY

from tests.conftest import api_client_for
from tests.factories import OrganisationFactory, UserFactory, confirmed_totp
from vaka.directory.roles import Role
from vaka.inbox.models import Notice
from vaka.inbox.presentation import describe
from vaka.intel import services as intel
from vaka.intel.models import HitNotification
from vaka.operations import deconfliction
from vaka.operations.models import Clash, Target
from vaka.operations.services import OperationDetails, open_operation
from vaka.operations.targets import TargetInput, add_targets
from vaka.policy.models import AuditEntry
from vaka.policy.services import Markings

VALUE = "c2.clash-example.net"


@pytest.fixture
def world(region, django_capture_on_commit_callbacks):
    """Unit A and Unit B each run an operation the other may not see; the desk brokers."""
    w = region
    w.coord_a = UserFactory(username="coord_a", organisation=w.unit_a, role=Role.COORDINATOR)
    w.coord_b = UserFactory(username="coord_b", organisation=w.unit_b, role=Role.COORDINATOR)
    w.desk = OrganisationFactory(name="Regional Desk", kind="desk",
                                 contact_email="desk@vaka.example")
    w.broker = UserFactory(username="broker", organisation=w.desk, role=Role.COORDINATOR)
    w.desk_analyst = UserFactory(username="desk_analyst", organisation=w.desk)
    w.admin_c = UserFactory(username="admin_c", role=Role.PLATFORM_ADMIN,
                            organisation=OrganisationFactory(name="Unit C"))
    w.op_a = open_operation(user=w.coord_a, details=OperationDetails(
        code_name="REEFWALKER", objective="Take down the phishing kit", lead=w.unit_a.pk))
    w.op_b = open_operation(user=w.coord_b, details=OperationDetails(
        code_name="TIDECALLER", objective="Arrest the money mules", lead=w.unit_b.pk))

    def add(user, operation, *values, kind="domain"):
        with django_capture_on_commit_callbacks(execute=True):
            return add_targets(operation, user=user,
                               targets=[TargetInput(kind, v) for v in values]).targets

    w.add = add
    return w


def _secrets_of(operation) -> list[str]:
    return [operation.code_name, operation.reference, f"/operations/{operation.pk}/"]


def _web(user) -> Client:
    client = Client()
    client.force_login(user)
    if user.role == Role.PLATFORM_ADMIN:  # past the second factor
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = confirmed_totp(user).persistent_id
        session.save()
    return client


# --- clashes ---------------------------------------------------------------------------

def test_a_value_added_second_finds_the_operation_holding_it(world):
    (mine,) = world.add(world.coord_a, world.op_a, VALUE)
    (theirs,) = world.add(world.coord_b, world.op_b, "C2.Clash-Example[.]net")
    clash = Clash.objects.get()
    assert {clash.target_id, clash.other_id} == {mine.pk, theirs.pk}
    entry = AuditEntry.objects.get(action="deconfliction_clash")
    assert entry.detail == {"clashes": [clash.pk], "not_notified": []}


def test_the_clash_is_found_whichever_operation_adds_first(world):
    world.add(world.coord_b, world.op_b, "one.clash-example.net")
    world.add(world.coord_a, world.op_a, "one.clash-example.net", "two.clash-example.net")
    world.add(world.coord_b, world.op_b, "two.clash-example.net")
    assert Clash.objects.count() == 2
    values = set(Clash.objects.values_list("target__value", flat=True))
    assert values == {"one.clash-example.net", "two.clash-example.net"}


def test_a_pair_is_recorded_once_when_checked_again(world):
    world.add(world.coord_a, world.op_a, VALUE)
    (theirs,) = world.add(world.coord_b, world.op_b, VALUE)
    assert deconfliction.check_added([theirs.pk], user=world.coord_b) == []
    assert Clash.objects.count() == 1


def test_a_value_written_differently_is_the_same_value(world):
    world.add(world.coord_a, world.op_a, "https://Evil.clash-example.net:443/login", kind="url")
    world.add(world.coord_b, world.op_b, "hxxps://evil.clash-example[.]net/login", kind="url")
    world.add(world.coord_b, world.op_b, "evil.clash-example.net")  # a domain is no URL
    assert Clash.objects.count() == 1


def test_both_leads_are_told_of_their_own_operation_never_the_other(world):
    world.add(world.coord_a, world.op_a, VALUE)
    world.add(world.coord_b, world.op_b, VALUE)
    for own, other in ((world.op_a, world.op_b), (world.op_b, world.op_a)):
        notice = Notice.objects.get(owner=own.lead, kind=Notice.Kind.CLASH)
        shown = describe([notice])[0]
        said = f"{notice.params} {notice.target_args} {shown.text} {shown.html}"
        assert VALUE in shown.text and own.reference in shown.text
        assert "desk will put you in touch" in shown.text
        for secret in _secrets_of(other):
            assert secret not in said
        assert str(other.pk) not in [str(arg) for arg in notice.target_args]


def test_a_lead_is_not_told_how_many_operations_hold_its_value(world):
    world.add(world.coord_a, world.op_a, VALUE)
    world.add(world.coord_b, world.op_b, VALUE)
    op_c = open_operation(user=world.coord_b, details=OperationDetails(
        code_name="STORMCREST", objective="A third", lead=world.unit_b.pk))
    world.add(world.coord_b, op_c, VALUE)
    assert Clash.objects.count() == 3
    notices = Notice.objects.filter(owner=world.unit_a, kind=Notice.Kind.CLASH)
    assert [n.count for n in notices] == [1]


def test_operations_the_adding_user_sees_both_are_shown_not_notified(world):
    both = open_operation(user=world.coord_a, details=OperationDetails(
        code_name="LAGOON", objective="Shared", lead=world.unit_a.pk,
        participants=[world.unit_b.pk]))
    (mine,) = world.add(world.coord_a, world.op_a, VALUE)
    world.add(world.coord_a, both, VALUE)
    clash = Clash.objects.get()  # recorded for the desk
    assert AuditEntry.objects.get(action="deconfliction_clash").detail["not_notified"] == [
        clash.pk]
    assert not Notice.objects.filter(kind=Notice.Kind.CLASH).exists()
    found = deconfliction.statuses(world.coord_a, [mine])[mine.pk]
    assert found.operations == [both] and not found.held_elsewhere


def test_the_targets_table_says_another_operation_holds_it_without_naming_it(world):
    (mine,) = world.add(world.coord_a, world.op_a, VALUE)
    world.add(world.coord_b, world.op_b, VALUE)
    request = RequestFactory().get("/")
    request.user = world.coord_a
    html = Template(
        "{% load deconfliction %}{% deconfliction_for targets as found %}"
        "{% for t in targets %}{% deconfliction_status found t %}{% endfor %}").render(
        Context({"request": request, "targets": Target.objects.filter(pk=mine.pk)}))
    assert "Held by another operation: the desk will put you in touch." in html
    for secret in _secrets_of(world.op_b):
        assert secret not in html


# --- the observable index --------------------------------------------------------------

def _ingest(user, value, **markings):
    intel.ingest_bytes(f"value\n{value}\n".encode(), organisation=user.organisation, user=user,
                       source="api", fmt="csv", markings=Markings(**markings))


def test_a_record_the_user_may_not_see_is_a_hit_told_to_its_owner(world):
    _ingest(world.analyst_b, VALUE, tlp="amber", distribution="organisation")
    (mine,) = world.add(world.coord_a, world.op_a, VALUE)
    hit = HitNotification.objects.get()
    assert (hit.value, hit.asked_by_organisation_id, hit.channel) == (
        VALUE, world.unit_a.pk, HitNotification.Channel.LOOKUP)
    assert Notice.objects.filter(owner=world.unit_b, kind=Notice.Kind.HIT).exists()
    found = deconfliction.statuses(world.coord_a, [mine])[mine.pk]
    assert found.intel_held and found.intel == []


def test_a_record_the_user_sees_is_a_match_not_a_hit(world):
    _ingest(world.analyst_b, VALUE, tlp="green", distribution="members")
    (mine,) = world.add(world.coord_a, world.op_a, VALUE)
    assert not HitNotification.objects.exists()
    found = deconfliction.statuses(world.coord_a, [mine])[mine.pk]
    assert [o.owner_id for o in found.intel] == [world.unit_b.pk] and not found.intel_held


def test_a_people_target_never_goes_to_the_observable_index(world):
    world.add(world.coord_a, world.op_a, "Jane Doe", kind="person")
    assert not HitNotification.objects.exists()


# --- the bulk check --------------------------------------------------------------------

def test_bulk_check_answers_each_line_and_stores_nothing(world):
    world.add(world.coord_b, world.op_b, VALUE)
    world.add(world.coord_a, world.op_a, "mine.clash-example.net")
    _ingest(world.analyst_b, "intel.clash-example.net", tlp="amber", distribution="organisation")
    before = Target.objects.count()
    lines = deconfliction.check_values(world.coord_a, [
        ("domain", "C2.clash-example[.]net"), ("domain", "mine.clash-example.net"),
        ("domain", "intel.clash-example.net"), ("domain", "quiet.clash-example.net"),
        ("ipv4", "not an address"), ("spaceship", "x")])
    assert [line.line for line in lines] == [1, 2, 3, 4, 5, 6]
    assert lines[0].finding.held_elsewhere and lines[0].finding.operations == []
    assert lines[1].finding.operations == [world.op_a]
    assert lines[2].finding.intel_held and not lines[2].finding.held_elsewhere
    assert not lines[3].finding.found and not lines[3].error
    assert lines[4].error and lines[5].error
    assert Target.objects.count() == before
    entry = AuditEntry.objects.filter(action="deconfliction_clash").latest("pk")
    assert entry.detail["channel"] == "check"
    assert entry.detail["targets"] == list(
        Target.objects.filter(operation=world.op_b).values_list("pk", flat=True))
    assert HitNotification.objects.filter(value="intel.clash-example.net").exists()


def test_bulk_check_is_for_coordinators_only(world):
    with pytest.raises(PermissionDenied):
        deconfliction.check_values(world.analyst_a, [("domain", VALUE)])
    assert _web(world.analyst_a).get("/operations/deconfliction/check/").status_code == 403


def test_bulk_check_page_answers_per_line_without_naming_the_other_operation(world):
    world.add(world.coord_b, world.op_b, VALUE)
    response = _web(world.coord_a).post("/operations/deconfliction/check/", {
        "kind": "", "values": f"domain {VALUE}\n\nbogus line\n"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Held by another operation: the desk will put you in touch." in body
    assert "unknown target type" in body
    for secret in _secrets_of(world.op_b):
        assert secret not in body


# --- the desk's broker view ------------------------------------------------------------

@pytest.fixture
def clash(world):
    world.add(world.coord_a, world.op_a, VALUE)
    world.add(world.coord_b, world.op_b, VALUE)
    return Clash.objects.get()


@pytest.mark.parametrize("who", ["coord_a", "desk_analyst", "admin_c", "analyst_b"])
def test_broker_view_is_404_for_anyone_but_a_broker(world, clash, who):
    user = getattr(world, who)
    assert _web(user).get("/operations/deconfliction/").status_code == 404
    assert _web(user).post("/operations/deconfliction/",
                           {"clash": clash.pk}).status_code == 404
    api = api_client_for(user)
    assert api.get("/api/broker/clashes/").status_code == 404
    assert api.post(f"/api/broker/clashes/{clash.pk}/introduce/").status_code == 404
    assert not AuditEntry.objects.filter(action="broker_view").exists()


def test_broker_view_shows_both_sides_and_is_audited(world, clash):
    body = _web(world.broker).get("/operations/deconfliction/").content.decode()
    for operation in (world.op_a, world.op_b):
        assert operation.reference in body and operation.code_name in body
        assert operation.lead.name in body
    assert VALUE in body
    entry = AuditEntry.objects.get(action="broker_view")
    assert entry.detail == {"channel": "page", "shown": 1}


def test_broker_api_lists_the_clash_and_is_audited(world, clash):
    response = api_client_for(world.broker).get("/api/broker/clashes/")
    assert response.status_code == 200
    (row,) = response.json()["results"]
    sides = {row["operation"]["code_name"], row["other_operation"]["code_name"]}
    assert sides == {"REEFWALKER", "TIDECALLER"} and row["value"] == VALUE
    assert AuditEntry.objects.get(action="broker_view").detail["channel"] == "api"


def test_introduce_records_audits_and_tells_each_lead_the_other_organisation(world, clash):
    response = _web(world.broker).post("/operations/deconfliction/",
                                       {"clash": clash.pk, "note": "Called both"})
    assert response.status_code == 302
    clash.refresh_from_db()
    assert clash.introduced_by == world.broker and clash.introduction_note == "Called both"
    assert AuditEntry.objects.filter(action="introduce", target_id=str(clash.pk)).exists()
    for own, other in ((world.op_a, world.op_b), (world.op_b, world.op_a)):
        notice = Notice.objects.get(owner=own.lead, kind=Notice.Kind.INTRODUCTION)
        text = describe([notice])[0].text
        assert other.lead.name in text and "Regional Desk" in text and own.code_name in text
        for secret in _secrets_of(other):
            assert secret not in f"{notice.params} {text}"
        assert "Called both" not in text


def test_introduce_twice_is_refused_through_the_api(world, clash):
    api = api_client_for(world.broker)
    first = api.post(f"/api/broker/clashes/{clash.pk}/introduce/", {"note": "ok"},
                     format="json")
    assert first.status_code == 200 and first.json()["introduced_by"] == "broker"
    again = api.post(f"/api/broker/clashes/{clash.pk}/introduce/", {}, format="json")
    assert again.status_code == 400
    assert Notice.objects.filter(kind=Notice.Kind.INTRODUCTION).count() == 2


def test_the_targets_page_shows_the_column_in_queries_that_do_not_grow_with_rows(world):
    world.add(world.coord_b, world.op_b, VALUE, "b.clash-example.net")
    world.add(world.coord_a, world.op_a, VALUE)
    client = _web(world.coord_a)
    url = f"/operations/{world.op_a.pk}/targets/"
    body = client.get(url).content.decode()
    assert "Held by another operation: the desk will put you in touch." in body
    for secret in _secrets_of(world.op_b):
        assert secret not in body
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    world.add(world.coord_a, world.op_a, "b.clash-example.net", "c.clash-example.net",
              "d.clash-example.net")
    with CaptureQueriesContext(connection) as four:
        client.get(url)
    assert len(four) == len(one)
