"""Visibility channel of the operations' API and STIX export, for test_visibility_property.

Called as ``channel(user, visible, notes)`` like the others. The operations are those of
``channels_compartments`` (one per note, with the note's markings, in a compartment of
its own, with a target, a task, an action and a result; other channels may add parts):
``built``. The reference: the user gets an operation — listed, read, exported as STIX
through the API and the page's download — and its targets, tasks, actions, results and
totals exactly when they may see its note AND their organisation is in its compartment
(``expected_indexes``); a platform admin gets no more. Everyone else gets 404 on every
route of it — reads, edits and the actions (participants, phase, close, after-action),
its parts and their actions — and it counts in no list. A visible target's
deconfliction status names only operations the user may see.
"""

import json

from django.test import Client
from rest_framework.test import APIClient

from tests.policy.channels_compartments import built, expected_indexes
from vaka.operations import stix
from vaka.operations.models import Action, Operation, Result, Target, Task


def _parts(operation: Operation) -> dict[str, set[int]]:
    return {name: set(model.objects.filter(operation=operation).values_list("pk", flat=True))
            for name, model in (("targets", Target), ("tasks", Task), ("actions", Action),
                                ("results", Result))}


def _ids(client: APIClient, url: str) -> set[int]:
    response = client.get(url, {"page_size": 1000})
    assert response.status_code == 200, url
    return {row["id"] for row in response.data["results"]}


def check_operations_api(user, visible: set[int], notes: list) -> None:
    operations, _messages, circles = built(notes)
    shown = {operations[i].pk for i in expected_indexes(user, visible, notes, circles)}
    api = APIClient()
    if user is None:
        assert api.get("/api/operations/").status_code in (401, 403)
        assert api.get(f"/api/operations/{operations[0].pk}/").status_code in (401, 403)
        return
    api.force_authenticate(user)
    web = Client()
    web.force_login(user)
    listing = api.get("/api/operations/", {"page_size": 1000, "q": "secret-operation-"})
    assert listing.status_code == 200
    assert listing.data["count"] == len(shown)
    assert {row["id"] for row in listing.data["results"]} == shown
    for operation in operations:
        base = f"/api/operations/{operation.pk}/"
        parts = _parts(operation)
        if operation.pk not in shown:
            assert operation.code_name not in json.dumps(listing.data)
            for path in ("", "stix/", "targets/", "tasks/", "actions/", "results/",
                         "results/totals/"):
                assert api.get(f"{base}{path}").status_code == 404, path
            assert web.get(f"/operations/{operation.pk}/stix/").status_code == 404
            assert api.patch(base, {"objective": "x"}, format="json").status_code == 404
            for name in ("participants", "phase", "close", "after-action"):
                assert api.post(f"{base}{name}/", {"phase": "act", "participants": [
                    user.organisation_id or 1]}, format="json").status_code == 404, name
            for name, ids in parts.items():
                assert api.post(f"{base}{name}/", {}, format="json").status_code == 404
                for pk in ids:
                    assert api.get(f"{base}{name}/{pk}/").status_code == 404, name
                    if name != "tasks":  # a task is not removed: 405 for anyone
                        assert api.delete(f"{base}{name}/{pk}/").status_code == 404, name
                    if name in ("actions", "results"):  # entries are edited
                        assert api.patch(f"{base}{name}/{pk}/", {},
                                         format="json").status_code == 404, name
            for pk in parts["targets"]:
                assert api.post(f"{base}targets/{pk}/link/", {"linked": []},
                                format="json").status_code == 404
            for pk in parts["tasks"]:
                assert api.post(f"{base}tasks/{pk}/status/", {"status": "done"},
                                format="json").status_code == 404
            continue
        detail = api.get(base)
        assert detail.status_code == 200 and detail.data["code_name"] == operation.code_name
        for name, ids in parts.items():
            assert _ids(api, f"{base}{name}/") == ids, name
        for row in api.get(f"{base}targets/", {"page_size": 1000}).data["results"]:
            named = {o["id"] for o in row["deconfliction"]["operations"]}
            assert named <= shown | set(Operation.objects.exclude(
                pk__in=[o.pk for o in operations]).values_list("pk", flat=True))
            assert named.isdisjoint({o.pk for o in operations} - shown)
        assert api.get(f"{base}results/totals/").status_code == 200
        exported = api.get(f"{base}stix/")
        assert exported.status_code == 200
        bundle = json.loads(b"".join(exported.streaming_content))
        assert stix.grouping_id(operation) in {o["id"] for o in bundle["objects"]}
        download = web.get(f"/operations/{operation.pk}/stix/")
        assert download.status_code == 200
        assert stix.grouping_id(operation).encode() in b"".join(download.streaming_content)


CHANNELS = [check_operations_api]
