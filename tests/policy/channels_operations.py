"""Visibility channel of the operations' pages, for test_visibility_property.

Called as ``channel(user, visible, notes)`` like the others. The operations are those of
``channels_compartments`` (one per note, with the note's markings, in a compartment of
its own: ``built``), dressed here: every other one led by another organisation of its
compartment and of the ransomware crime type, a task assigned to one of its
organisations, takedowns and funds seized (in USD) of ``2**i`` so that every total says
which operations it counts, a target linked to every STIX object, and one target value
they all hold (``SHARED``). The operations' own services then tell the organisations
concerned (participants, the assigned organisation, the leads of each clash, and the
leads a desk broker introduces).

The reference: the random world's user sees an operation and its parts exactly when they
may see its note and their organisation is in its compartment (``expected_indexes``).
Everything else is 404 on every page of it (GET and POST, parts of a visible operation
asked through a hidden one and the reverse), and no code name, reference, task or figure
of it shows in the list (nor its count, filtered or not), the dashboard, the analytics
results and their CSV, the activity report's figures or the inbox. Deconfliction answers
hit/no-hit: a page names the other operations holding a value that the user sees, and
says only "held by another operation" for the others — the targets tab, a coordinator's
bulk check and the clash notices alike. The desk's clash view is 404 for the random user
(never a desk broker), and shows a desk broker both sides.
"""

import csv
import io
import re
from datetime import date

from django.test import Client

from tests.policy.channels_compartments import built, expected_indexes
from vaka.directory.models import Organisation, User
from vaka.directory.roles import Role
from vaka.inbox.models import Notice
from vaka.inbox.selectors import notices_for
from vaka.intel.models import StixObject
from vaka.operations import deconfliction, desk, services, tasks
from vaka.operations.models import Action, Clash, Result, Target, Task
from vaka.operations.values import canonical_target
from vaka.products import reports

SHARED = "shared-operation-value-7.net"
HELD_ELSEWHERE = "Held by another operation: the desk will put you in touch."
COUNT = re.compile(r"(\d+) results?<")
KINDS = (Notice.Kind.OPERATION, Notice.Kind.TASK, Notice.Kind.CLASH,
         Notice.Kind.INTRODUCTION)


def _dress(notes: list, operations: list, circles: list[set[int]]) -> dict:
    """The world's operations dressed (module docstring); what the reference needs."""
    objects = list(StixObject.objects.all())
    leads, assigned, shared = [], [], []
    for i, (note, operation, circle) in enumerate(zip(notes, operations, circles,
                                                      strict=True)):
        others = sorted(circle - {note.owner_id})
        operation.lead_id = others[-1] if i % 2 and others else note.owner_id
        operation.crime_types = ["ransomware"] if i % 2 == 0 else ["phishing"]
        operation.save(update_fields=["lead", "crime_types"])
        leads.append(operation.lead_id)
        task = Task.objects.get(operation=operation)
        task.assigned_to_id = sorted(circle)[i % len(circle)]
        task.save(update_fields=["assigned_to"])
        assigned.append(task.assigned_to_id)
        action = Action.objects.get(operation=operation)
        for kind, currency in (("takedowns", ""), ("funds_seized", "USD")):
            Result.objects.create(operation=operation, kind=kind, quantity=2 ** i,
                                  currency=currency, country=action.country,
                                  organisation=note.owner, action=action)
        Target.objects.get(operation=operation).linked.set(objects)
        value, hashed = canonical_target("domain", SHARED)
        shared.append(Target.objects.create(
            operation=operation, kind="domain", value=value, shown=SHARED, value_hash=hashed,
            organisation=note.owner).pk)
        # The services' notices: participants, the assigned organisation.
        services._tell_participants(operation, circle, by=note.created_by)
        tasks.tell_assigned(task)
    # Clashes: each operation holds SHARED; a user outside every compartment adds them.
    adder = User.objects.create(username="ops-adder", role=Role.COORDINATOR,
                                organisation=Organisation.objects.create(
                                    name="ops-adder-unit", kind="police_unit"))
    deconfliction.check_added(shared, user=adder)
    broker = User.objects.create(username="ops-broker", role=Role.COORDINATOR,
                                 organisation=Organisation.objects.create(
                                     name="ops-desk", kind="desk"))
    for clash in Clash.objects.filter(target_id__in=shared):
        desk.introduce(clash, user=broker)
    return {"leads": leads, "assigned": assigned, "broker": broker}


def _csv(web: Client, chart: str, params: dict | None = None) -> dict[str, float]:
    answer = web.get(f"/analytics/{chart}.csv", params or {})
    assert answer.status_code == 200, answer.content[:300]
    rows = list(csv.reader(io.StringIO(answer.content.decode())))
    return {row[0]: float(row[1]) for row in rows[1:] if float(row[1])}


def _count(page: str) -> int:
    found = COUNT.search(page)
    return int(found.group(1)) if found else 0


def check_operations(user, visible: set[int], notes: list) -> None:
    operations, _messages, circles = built(notes)
    web = Client()
    if user is None:
        for path in ("/operations/", f"/operations/{operations[0].pk}/",
                     "/operations/deconfliction/"):
            assert web.get(path).status_code == 302  # to sign in
        return
    world = _dress(notes, operations, circles)
    shown = sorted(expected_indexes(user, visible, notes, circles))
    hidden = [i for i in range(len(notes)) if i not in shown]
    secrets = {i: (f"secret-operation-{i}-x", operations[i].reference,
                   f"secret-task-{i}-x", f"secret-action-{i}-x", f"secret-objective-{i}-x",
                   f"secret-target-{i}-x.net")
               for i in range(len(notes))}
    web.force_login(user)
    org = user.organisation_id

    def hides_the_hidden(text: str, where: str) -> None:
        for i in hidden:
            for secret in secrets[i]:
                assert secret not in text, (where, secret)

    # The list, its count and filters, the user's tasks on it, and the dashboard.
    listing = web.get("/operations/").content.decode()
    hides_the_hidden(listing, "list")
    assert _count(listing) == len(shown)
    for i in shown:
        assert secrets[i][0] in listing
        if world["assigned"][i] == org:
            assert secrets[i][2] in listing  # "Tasks for your organisation"
    ransomware = web.get("/operations/", {"crime_type": "ransomware"}).content.decode()
    assert _count(ransomware) == len([i for i in shown if i % 2 == 0])
    searched = web.get("/operations/", {"q": "secret-objective"}).content.decode()
    assert _count(searched) == len(shown)
    hides_the_hidden(searched, "search")
    hides_the_hidden(web.get("/").content.decode(), "dashboard")

    # Every page of every operation: 404 outside, served whole inside.
    parts = {i: (Target.objects.get(operation=operations[i], value__startswith="secret-"),
                 Task.objects.get(operation=operations[i]),
                 Action.objects.get(operation=operations[i]),
                 Result.objects.filter(operation=operations[i]).first())
             for i in range(len(notes))}

    def pages(pk: int, target: int, task: int, action: int, result: int
              ) -> tuple[list[str], list[str]]:
        """(GET and POST, POST only) addresses of one operation's pages."""
        base = f"/operations/{pk}/"
        return ([base, f"{base}edit/", f"{base}participants/", f"{base}targets/",
                 f"{base}targets/add/", f"{base}targets/{target}/link/", f"{base}tasks/",
                 f"{base}timeline/", f"{base}timeline/{action}/edit/", f"{base}results/",
                 f"{base}results/{result}/edit/"],
                [f"{base}phase/", f"{base}close/", f"{base}targets/{target}/remove/",
                 f"{base}tasks/{task}/status/", f"{base}timeline/{action}/remove/",
                 f"{base}results/{result}/remove/", f"{base}lessons/", f"{base}after-action/"])

    for n, i in enumerate(hidden):
        target, task, action, result = parts[i]
        both, post_only = pages(operations[i].pk, target.pk, task.pk, action.pk, result.pk)
        # Every page of the first hidden operation (they share operation_for), the
        # overview and a write of the others.
        for path in both if n == 0 else both[:1]:
            assert web.get(path).status_code == 404, path
        for path in both + post_only if n == 0 else post_only[:1]:
            assert web.post(path).status_code == 404, path
        for j in shown[:1] if n == 0 else []:  # hidden parts asked through a visible one
            both, post_only = pages(operations[j].pk, target.pk, task.pk, action.pk,
                                    result.pk)
            for path in both[5:6] + both[8:9] + both[10:]:
                assert web.get(path).status_code in (403, 404), path
            for path in post_only[2:6]:
                assert web.post(path).status_code in (302, 403, 404), path
        assert Target.objects.filter(pk=target.pk).exists()
        assert Task.objects.filter(pk=task.pk, status=task.status).exists()
        assert Action.objects.filter(pk=action.pk).exists()
        assert Result.objects.filter(pk=result.pk).exists()
    seen_objects = {obj.pk for obj, note in zip(StixObject.objects.order_by("pk"), notes,
                                                strict=True) if note.pk in visible}
    for n, i in enumerate(shown):
        # Every tab of the first visible operation; the targets tab of the others (where
        # deconfliction names operations).
        base = f"/operations/{operations[i].pk}/"
        read = {tab: web.get(base + tab) for tab in (
            ("", "targets/", "tasks/", "timeline/", "results/") if n == 0 else ("targets/",))}
        assert all(r.status_code == 200 for r in read.values()), {
            tab: r.status_code for tab, r in read.items()}
        text = {tab: r.content.decode() for tab, r in read.items()}
        if n == 0:
            assert secrets[i][0] in text[""] and secrets[i][4] in text[""]
            assert secrets[i][2] in text["tasks/"] and secrets[i][3] in text["timeline/"]
            assert f"{2 ** i}" in text["results/"]
        targets = text["targets/"]
        assert f"secret-target-{i}-x.net" in targets
        for k, obj in enumerate(StixObject.objects.order_by("pk")):
            assert (f"secret-object-{k}-x" in targets) == (obj.pk in seen_objects)
        # Deconfliction: the others seen are named, the rest is hit/no-hit.
        for j in range(len(notes)):
            if j != i:
                assert (secrets[j][0] in targets) == (j in shown), (i, j)
        assert (HELD_ELSEWHERE in targets) == bool(hidden), i
        for tab, page in text.items():
            hides_the_hidden(page, base + tab)

    # A coordinator's bulk check (roles never widen what is seen).
    User.objects.filter(pk=user.pk).update(role=Role.COORDINATOR)
    try:
        checked = web.post("/operations/deconfliction/check/",
                           {"kind": "domain", "values": SHARED})
    finally:
        User.objects.filter(pk=user.pk).update(role=user.role)
    assert checked.status_code == 200
    checked = checked.content.decode()
    for i in range(len(notes)):
        assert (secrets[i][0] in checked) == (i in shown), i
    assert (HELD_ELSEWHERE in checked) == bool(hidden)
    hides_the_hidden(checked, "check")

    # The desk's clash view: 404 for the user, both sides for a desk broker.
    clash = Clash.objects.first()
    assert web.get("/operations/deconfliction/").status_code == 404
    assert web.post("/operations/deconfliction/",
                    {"clash": clash.pk if clash else 1}).status_code == 404
    broker = Client()
    broker.force_login(world["broker"])
    both_sides = broker.get("/operations/deconfliction/").content.decode()
    assert all(secrets[i][1] in both_sides for i in range(len(notes)) if len(notes) > 1)

    # Results on the analytics dashboard, their CSV, and an activity report's figures.
    analytics = web.get("/analytics/").content.decode()
    assert f'id="operation-results-count">{len(shown)}<' in analytics
    takedowns = sum(2 ** i for i in shown)
    totals = _csv(web, "operation-results")
    assert totals == {k: v for k, v in {"Arrests": float(sum(1 + i for i in shown)),
                                        "Takedowns": float(takedowns)}.items() if v}
    assert _csv(web, "operation-funds") == ({"USD": float(takedowns)} if shown else {})
    even = sum(2 ** i for i in shown if i % 2 == 0)
    assert _csv(web, "operation-results", {"crime_type": "ransomware"}).get(
        "Takedowns", 0.0) == even
    figures: dict = {}  # what the activity report's hooks add to its figures
    for hook in reports.HOOKS:
        figures.update(hook(user, date(2000, 1, 1), date(2100, 12, 31)))
    results = figures["operation_results"]
    assert results["operations"] == len(shown)
    assert results["counts"]["takedowns"] == takedowns
    assert results["funds"] == ({"USD": f"{takedowns}.00"} if shown else {})

    # The inbox: the notices of the operations the user sees, to their organisation.
    expected = set()
    for i in shown:
        if org in circles[i] - {notes[i].owner_id}:
            expected.add((Notice.Kind.OPERATION, operations[i].pk))
        if world["assigned"][i] == org:
            expected.add((Notice.Kind.TASK, operations[i].pk))
        if world["leads"][i] == org and len(notes) > 1:
            expected |= {(Notice.Kind.CLASH, operations[i].pk),
                         (Notice.Kind.INTRODUCTION, operations[i].pk)}
    told = {(n.kind, n.target_args[0]) for n in notices_for(user).filter(kind__in=KINDS)}
    assert told == expected
    inbox = web.get("/inbox/", {"page_size": 200}).content.decode()
    hides_the_hidden(inbox, "inbox")


CHANNELS = [check_operations]
