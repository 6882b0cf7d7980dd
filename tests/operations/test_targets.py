"""An operation's targets: canonical values, pasted lists all or nothing, links to
intelligence the coordinator may see, and deconfliction after commit."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.operations.conftest import open_reef
from tests.products.conftest import stored
from vaka.operations import targets
from vaka.operations.models import Target
from vaka.operations.targets import TargetInput, parse_paste


def _values(operation) -> set[tuple[str, str]]:
    return set(Target.objects.filter(operation=operation).values_list("kind", "value"))


def test_values_are_stored_canonical_and_as_written(ops) -> None:
    operation = open_reef(ops)
    added = targets.add_targets(operation, user=ops.coordinator, targets=[
        TargetInput("url", "hxxps://Evil[.]top/Login"),
        TargetInput("phone", "+679 777 1234"),
        TargetInput("account", "Telegram: @Scam_Boss"),
        TargetInput("person", "  Jane   DOE ")])
    assert len(added.targets) == 4
    assert _values(operation) == {("url", "https://evil.top/Login"),
                                  ("phone", "+6797771234"),
                                  ("account", "telegram:scam_boss"), ("person", "jane doe")}
    shown = set(Target.objects.values_list("shown", flat=True))
    assert "Telegram: @Scam_Boss" in shown and "+679 777 1234" in shown
    assert {t.organisation_id for t in added.targets} == {ops.desk.pk}


def test_a_value_written_twice_is_one_target(ops) -> None:
    operation = open_reef(ops)
    targets.add_targets(operation, user=ops.coordinator,
                        targets=[TargetInput("person", "Jane Doe")])
    added = targets.add_targets(operation, user=ops.coordinator, targets=parse_paste(
        "person JANE  doe\nperson Jane Doe\nperson John Roe"))
    assert [t.value for t in added.targets] == ["john roe"] and added.already == 2
    assert Target.objects.filter(operation=operation).count() == 2


def test_a_paste_is_type_then_value_or_one_chosen_type() -> None:
    items = parse_paste("domain evil-reef.top\n\n  person Jane Doe  \n")
    assert [(i.kind, i.text, i.line) for i in items] == [
        ("domain", "evil-reef.top", 1), ("person", "Jane Doe", 3)]
    items = parse_paste("Jane Doe\nJohn Roe", "person")
    assert [(i.kind, i.text) for i in items] == [("person", "Jane Doe"), ("person", "John Roe")]


def test_a_bad_line_is_named_and_nothing_of_the_paste_is_stored(ops) -> None:
    operation = open_reef(ops)
    paste = ("domain evil-reef.top\nphone 12\nwallet 1BoatSLRHtKNngkdXEeobR76b53LETtpyT\n"
             "person Jane Doe\naccount nohandle")
    with pytest.raises(ValidationError) as caught:
        targets.add_targets(operation, user=ops.coordinator, targets=parse_paste(paste))
    messages = caught.value.message_dict["targets"]
    assert messages[0].startswith("Line 2: ") and "E.164" in messages[0]
    assert messages[1].startswith("Line 3: “wallet” is not a target type (person, ")
    assert messages[2].startswith("Line 5: an account is written service:handle")
    assert messages[-1] == "Nothing was added: correct these and send the list again."
    assert not Target.objects.exists()


def test_many_bad_lines_are_counted_beyond_twenty(ops) -> None:
    operation = open_reef(ops)
    with pytest.raises(ValidationError) as caught:
        targets.add_targets(operation, user=ops.coordinator,
                            targets=parse_paste("\n".join(["ipv4 999.1.1.1"] * 25)))
    messages = caught.value.message_dict["targets"]
    assert len(messages) == 22 and "5 more bad lines" in messages[20]


def test_only_coordinators_of_participants_add_targets(ops) -> None:
    operation = open_reef(ops)
    for user in (ops.fiji_analyst, ops.ph_admin, ops.ph_coordinator):
        with pytest.raises(PermissionDenied):
            targets.add_targets(operation, user=user,
                                targets=[TargetInput("domain", "evil-reef.top")])
    assert not Target.objects.exists()


def test_links_reach_only_intelligence_the_coordinator_may_see(ops) -> None:
    operation = open_reef(ops)
    mine = stored(ops.coordinator, "reef-bank.top")
    hidden = stored(ops.ph_coordinator, "ph-only.top", distribution="organisation")
    with pytest.raises(ValidationError) as caught:
        targets.add_targets(operation, user=ops.coordinator, targets=[
            TargetInput("domain", "reef-bank.top", linked=[mine.pk, hidden.pk])])
    assert f"no object you may see has the id(s) {hidden.pk}" in \
        caught.value.message_dict["targets"][0]
    added = targets.add_targets(operation, user=ops.coordinator, targets=[
        TargetInput("domain", "reef-bank.top", linked=[mine.stix_id])])
    target = added.targets[0]
    assert list(target.linked.all()) == [mine]
    targets.link_target(operation, target.pk, user=ops.coordinator, linked=[])
    assert not target.linked.exists()
    with pytest.raises(ValidationError):
        targets.link_target(operation, target.pk, user=ops.coordinator, linked=[hidden.pk])


def test_removing_a_target(ops) -> None:
    operation = open_reef(ops)
    added = targets.add_targets(operation, user=ops.coordinator,
                                targets=[TargetInput("domain", "evil-reef.top")])
    with pytest.raises(PermissionDenied):
        targets.remove_target(operation, added.targets[0].pk, user=ops.samoa_analyst)
    targets.remove_target(operation, added.targets[0].pk, user=ops.fiji_coordinator)
    assert not Target.objects.exists()
    with pytest.raises(ValidationError, match="no target"):
        targets.remove_target(operation, added.targets[0].pk, user=ops.fiji_coordinator)


def test_deconfliction_runs_once_the_targets_are_committed(ops, monkeypatch,
                                                           django_capture_on_commit_callbacks
                                                           ) -> None:
    from vaka.operations import deconfliction

    seen = []
    monkeypatch.setattr(deconfliction, "on_targets_added",
                        lambda found, *, user: seen.append(([t.value for t in found], user)))
    operation = open_reef(ops)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        targets.add_targets(operation, user=ops.coordinator,
                            targets=[TargetInput("domain", "evil-reef.top")])
    assert not seen
    for callback in callbacks:
        callback()
    assert seen == [(["evil-reef.top"], ops.coordinator)]
