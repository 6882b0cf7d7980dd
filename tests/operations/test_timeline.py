"""The action log: local time and time zone across the date line, who may write, bad
input, and the timeline page."""

from datetime import UTC, datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY

from tests.factories import CountryFactory, confirmed_totp
from tests.operations.conftest import open_reef
from vaka.directory.roles import Role
from vaka.operations import figures, services, timeline
from vaka.operations.models import Action
from vaka.operations.timeline import ActionInput
from vaka.policy.audit import Action as Audited
from vaka.policy.models import AuditEntry


def _action(ops, when: datetime, zone: str, country: str = "WS", org=None,
            summary: str = "Search of the suspect's home.", kind: str = "search",
            target: int | None = None) -> ActionInput:
    return ActionInput(kind=kind, local_time=when, time_zone=zone, country=country,
                       organisation=(org or ops.samoa_unit).pk, summary=summary,
                       target=target)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    if user.role == Role.PLATFORM_ADMIN:  # past the second factor
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = confirmed_totp(user).persistent_id
        session.save()
    return client


def test_an_action_is_stored_in_utc_with_its_time_zone(ops) -> None:
    operation = open_reef(ops)
    action = timeline.record_action(operation, user=ops.samoa_analyst, data=_action(
        ops, datetime(2026, 6, 2, 9, 0), "Pacific/Apia"))
    action.refresh_from_db()
    assert action.at == datetime(2026, 6, 1, 20, 0, tzinfo=UTC)
    assert action.time_zone == "Pacific/Apia"
    assert action.recorded_by == ops.samoa_analyst


def test_the_timeline_runs_in_real_time_across_the_date_line(ops) -> None:
    """Tuesday morning in Apia (UTC+13) happened before Monday evening in Honolulu
    (UTC-10); Kiritimati (UTC+14) was earlier still, and Phnom Penh (UTC+7) first."""
    CountryFactory(code="US"), CountryFactory(code="KI"), CountryFactory(code="KH")
    operation = open_reef(ops)
    record = [
        ("Honolulu, Monday evening", datetime(2026, 6, 1, 18, 0), "Pacific/Honolulu", "US"),
        ("Apia, Tuesday morning", datetime(2026, 6, 2, 9, 0), "Pacific/Apia", "WS"),
        ("Kiritimati, Tuesday", datetime(2026, 6, 2, 8, 0), "Pacific/Kiritimati", "KI"),
        ("Phnom Penh, Monday night", datetime(2026, 6, 1, 23, 0), "Asia/Phnom_Penh", "KH"),
    ]
    for summary, when, zone, country in record:
        timeline.record_action(operation, user=ops.samoa_analyst, data=_action(
            ops, when, zone, country=country, summary=summary))
    entries = figures.timeline_for(ops.fiji_analyst, operation)
    assert [e.action.summary for e in entries] == [
        "Phnom Penh, Monday night", "Kiritimati, Tuesday", "Apia, Tuesday morning",
        "Honolulu, Monday evening"]
    shown = [(e.local.strftime("%a %H:%M"), e.offset) for e in entries]
    assert shown == [("Mon 23:00", "UTC+07:00"), ("Tue 08:00", "UTC+14:00"),
                     ("Tue 09:00", "UTC+13:00"), ("Mon 18:00", "UTC-10:00")]


def test_bad_input_names_every_field_and_stores_nothing(ops) -> None:
    operation = open_reef(ops)
    with pytest.raises(ValidationError) as caught:
        timeline.record_action(operation, user=ops.samoa_analyst, data=ActionInput(
            kind="search", local_time=datetime(2026, 6, 2, 9, 0),
            time_zone="Pacific/Atlantis", country="", organisation=ops.ph_unit.pk,
            summary="x"))
    errors = caught.value.message_dict
    assert "Pacific/Atlantis" in errors["time_zone"][0]
    assert "does not take part" in errors["organisation"][0]
    assert errors["country"] == ["Say in which country."]
    assert not Action.objects.exists()


def test_an_unknown_country_and_a_missing_time_are_refused(ops) -> None:
    operation = open_reef(ops)
    with pytest.raises(ValidationError) as caught:
        timeline.record_action(operation, user=ops.samoa_analyst, data=_action(
            ops, None, "Pacific/Apia", country="ZZ", summary=" "))
    errors = caught.value.message_dict
    assert "ZZ" in errors["country"][0]
    assert "local time" in errors["local_time"][0]
    assert errors["summary"] == ["This is required."]


def test_a_time_the_clocks_skipped_or_showed_twice_is_refused(ops) -> None:
    CountryFactory(code="NZ")
    operation = open_reef(ops)
    for when, words in ((datetime(2026, 9, 27, 2, 30), "did not exist"),
                        (datetime(2026, 4, 5, 2, 30), "happened twice")):
        with pytest.raises(ValidationError) as caught:
            timeline.record_action(operation, user=ops.samoa_analyst, data=_action(
                ops, when, "Pacific/Auckland", country="NZ"))
        assert words in caught.value.message_dict["local_time"][0]


def test_a_target_of_another_operation_is_refused(ops) -> None:
    from vaka.operations import targets

    other = open_reef(ops, code_name="Other")
    added = targets.add_targets(other, user=ops.coordinator, targets=[
        targets.TargetInput(kind="domain", text="bad-shop.com")])
    operation = open_reef(ops)
    with pytest.raises(ValidationError) as caught:
        timeline.record_action(operation, user=ops.samoa_analyst, data=_action(
            ops, datetime(2026, 6, 2, 9, 0), "Pacific/Apia", target=added.targets[0].pk))
    assert "has no target" in caught.value.message_dict["target"][0]


@pytest.mark.parametrize("who", ["samoa_viewer", "ph_coordinator", "ph_admin"])
def test_viewers_and_outsiders_may_not_record(ops, who) -> None:
    operation = open_reef(ops)
    with pytest.raises(PermissionDenied):
        timeline.record_action(operation, user=getattr(ops, who), data=_action(
            ops, datetime(2026, 6, 2, 9, 0), "Pacific/Apia"))


def test_the_recorder_or_a_coordinator_changes_an_entry_and_it_is_audited(ops) -> None:
    operation = open_reef(ops)
    action = timeline.record_action(operation, user=ops.samoa_analyst, data=_action(
        ops, datetime(2026, 6, 2, 9, 0), "Pacific/Apia"))
    changed = _action(ops, datetime(2026, 6, 2, 10, 0), "Pacific/Apia", kind="arrest")
    with pytest.raises(PermissionDenied):
        timeline.change_action(action, user=ops.fiji_analyst, data=changed)
    timeline.change_action(action, user=ops.samoa_analyst, data=changed)
    action.refresh_from_db()
    assert (action.kind, action.at) == ("arrest", datetime(2026, 6, 1, 21, 0, tzinfo=UTC))
    timeline.remove_action(action, user=ops.fiji_coordinator)
    assert not Action.objects.exists()
    entries = AuditEntry.objects.filter(target_type="operations.operation",
                                        target_id=str(operation.pk))
    assert entries.filter(action=Audited.UPDATE, detail__action=action.pk).exists()
    removed = entries.get(action=Audited.DELETE)
    assert removed.actor == ops.fiji_coordinator and removed.detail["kind"] == "arrest"


def test_a_closed_operation_takes_no_more_actions(ops) -> None:
    operation = open_reef(ops)
    services.close_operation(operation, user=ops.coordinator)
    with pytest.raises(ValidationError, match="closed"):
        timeline.record_action(operation, user=ops.samoa_analyst, data=_action(
            ops, datetime(2026, 6, 2, 9, 0), "Pacific/Apia"))


# --- pages ----------------------------------------------------------------------------------

def test_the_timeline_page_shows_local_times_in_real_order(ops) -> None:
    CountryFactory(code="US")
    operation = open_reef(ops)
    for summary, when, zone, country in (
            ("Honolulu search", datetime(2026, 6, 1, 18, 0), "Pacific/Honolulu", "US"),
            ("Apia arrest", datetime(2026, 6, 2, 9, 0), "Pacific/Apia", "WS")):
        timeline.record_action(operation, user=ops.samoa_analyst, data=_action(
            ops, when, zone, country=country, summary=summary))
    page = _client(ops.fiji_analyst).get(f"/operations/{operation.pk}/timeline/")
    text = page.content.decode()
    assert page.status_code == 200
    assert text.index("Apia arrest") < text.index("Honolulu search")
    assert "UTC+13:00" in text and "UTC-10:00" in text
    assert "Tue 2 Jun 2026 09:00" in text and "Mon 1 Jun 2026 18:00" in text


def test_a_post_with_bad_input_is_400_with_the_field_errors(ops) -> None:
    operation = open_reef(ops)
    page = _client(ops.samoa_analyst).post(f"/operations/{operation.pk}/timeline/", {
        "kind": "arrest", "local_time": "2026-06-02T09:00", "time_zone": "Mars/Olympus",
        "country": "", "organisation": str(ops.ph_unit.pk), "summary": "Arrest."})
    text = page.content.decode()
    assert page.status_code == 400
    assert "Mars/Olympus" in text and "does not take part" in text
    assert "Say in which country." in text
    assert not Action.objects.exists()


def test_a_post_records_the_action(ops) -> None:
    operation = open_reef(ops)
    page = _client(ops.samoa_analyst).post(f"/operations/{operation.pk}/timeline/", {
        "kind": "arrest", "local_time": "2026-06-02T09:00", "time_zone": "Pacific/Apia",
        "country": "WS", "organisation": str(ops.samoa_unit.pk), "summary": "Arrest."})
    assert page.status_code == 302
    assert Action.objects.get().at == datetime(2026, 6, 1, 20, 0, tzinfo=UTC)


def test_outsiders_get_404_and_a_viewer_may_not_post(ops) -> None:
    operation = open_reef(ops)
    for who in (ops.ph_admin, ops.ph_coordinator):
        assert _client(who).get(f"/operations/{operation.pk}/timeline/").status_code == 404
    viewer = _client(ops.samoa_viewer)
    assert viewer.get(f"/operations/{operation.pk}/timeline/").status_code == 200
    assert viewer.post(f"/operations/{operation.pk}/timeline/", {
        "kind": "arrest", "local_time": "2026-06-02T09:00", "time_zone": "Pacific/Apia",
        "country": "WS", "organisation": str(ops.samoa_unit.pk),
        "summary": "Arrest."}).status_code == 403


def test_the_edit_form_shows_the_action_in_its_own_local_time(ops) -> None:
    operation = open_reef(ops)
    action = timeline.record_action(operation, user=ops.samoa_analyst, data=_action(
        ops, datetime(2026, 6, 2, 9, 0), "Pacific/Apia"))
    client = _client(ops.samoa_analyst)
    url = f"/operations/{operation.pk}/timeline/{action.pk}/edit/"
    text = client.get(url).content.decode()
    assert 'value="2026-06-02T09:00"' in text and 'value="Pacific/Apia"' in text
    assert _client(ops.fiji_analyst).get(url).status_code == 403
    answer = client.post(url, {
        "kind": "search", "local_time": "2026-06-01T18:00", "time_zone": "Pacific/Honolulu",
        "country": "WS", "organisation": str(ops.samoa_unit.pk), "summary": "Moved."})
    assert answer.status_code == 302
    action.refresh_from_db()
    assert (action.at, action.time_zone) == (datetime(2026, 6, 2, 4, 0, tzinfo=UTC),
                                             "Pacific/Honolulu")
