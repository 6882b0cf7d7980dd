"""Visibility channel of the training REST API, for test_visibility_property.

Called as ``channel(user, visible, notes)`` like the others, over the training world of
``channels_training`` (``built``: per note a course with the note's markings, its outline
and a session; people enrolled, trainers, a programme's coordinator) and its reference
(``courses_seen``, ``people_seen``): a course, its outline and sessions reach exactly the
note's audience; a person the person, their organisation, their sessions' trainers and
their programmes' coordinators; an enrolment and its certificate only readers of both.
Every list's ids and count hold exactly those; every other route of a record — reads,
edits and actions, POSTs included — answers 404 and names nothing; a POST naming a hidden
session or person answers as for a made-up id; the statistics count only the visible
enrolments.
"""

import json

from django.utils import timezone
from rest_framework.test import APIClient

from tests.policy.channels_training import built, courses_seen, people_seen

MADE_UP = 2_000_000_000


def _listed(api: APIClient, path: str, ours: set[int], **query: str) -> set[int]:
    """The ids of ``ours`` a list holds; its count must be what it lists."""
    response = api.get(path, {"page_size": 1000, **query})
    assert response.status_code == 200, path
    ids = {row["id"] for row in response.data["results"]}
    assert response.data["count"] == len(ids), path
    return ids & ours


def _hidden(api: APIClient, path: str, pk: int, actions: tuple[str, ...] = (),
            *, writable: bool = True) -> None:
    base = f"{path}{pk}/"
    answer = api.get(base)
    assert answer.status_code == 404, base
    if writable:
        assert api.patch(base, {}, format="json").status_code == 404, base
        assert api.put(base, {}, format="json").status_code == 404, base
    for name in actions:
        response = api.post(f"{base}{name}/", {"reason": "x"}, format="json")
        assert response.status_code == 404, f"{base}{name}/"


def check_training_api(user, visible: set[int], notes: list) -> None:
    t = built(notes)
    api = APIClient()
    if user is None:
        for path in ("/api/training/courses/", "/api/training/sessions/",
                     "/api/training/participants/", "/api/training/enrolments/",
                     "/api/training/certificates/", "/api/training/statistics/"):
            assert api.get(path).status_code in (401, 403), path
        return
    api.force_authenticate(user)
    courses = courses_seen(visible, notes, t)
    people = people_seen(user, t)
    everyone = {p.pk for p in t.people + t.trainers}
    sessions = {s.pk: s for s in t.sessions}
    enrolments = {e.pk: e for e in t.enrolments}
    seen_enrolments = {pk for pk, e in enrolments.items()
                       if e.participant_id in people and e.session.course_id in courses}

    # courses/ and their outline/
    listing = api.get("/api/training/courses/", {"page_size": 1000, "q": "secret-course-"})
    assert listing.status_code == 200
    assert {row["id"] for row in listing.data["results"]} == courses
    assert listing.data["count"] == len(courses)
    for course in t.courses:
        if course.pk in courses:
            assert api.get(f"/api/training/courses/{course.pk}/").status_code == 200
            outline = api.get(f"/api/training/courses/{course.pk}/outline/")
            assert outline.status_code == 200 and len(outline.data) == 1
            # the channel's question is a short answer: its key goes to managers only
            question = outline.data[0]["quizzes"][0]["questions"][0]
            assert question["accepted"] in (None, ["x"])
        else:
            assert course.code not in json.dumps(listing.data)
            _hidden(api, "/api/training/courses/", course.pk)
            assert api.get(f"/api/training/courses/{course.pk}/outline/").status_code == 404

    # sessions/ (their trainers named only as far as the reader sees them as people)
    assert _listed(api, "/api/training/sessions/", set(sessions)) == {
        pk for pk, s in sessions.items() if s.course_id in courses}
    for pk, session in sessions.items():
        if session.course_id in courses:
            detail = api.get(f"/api/training/sessions/{pk}/")
            assert detail.status_code == 200
            assert {row["id"] for row in detail.data["trainers"]} <= people
        else:
            _hidden(api, "/api/training/sessions/", pk, ("cancel", "trainers"))

    # participants/
    assert _listed(api, "/api/training/participants/", everyone, q="secret") == people & everyone
    for pk in everyone:
        if pk in people:
            assert api.get(f"/api/training/participants/{pk}/").status_code == 200
        else:
            _hidden(api, "/api/training/participants/", pk)

    # enrolments/ and certificates/
    assert _listed(api, "/api/training/enrolments/", set(enrolments)) == seen_enrolments
    certificates = {e.certificate.pk: pk for pk, e in enrolments.items()}
    assert _listed(api, "/api/training/certificates/", set(certificates)) == {
        cert for cert, enrolment in certificates.items() if enrolment in seen_enrolments}
    for pk in enrolments:
        if pk in seen_enrolments:
            assert api.get(f"/api/training/enrolments/{pk}/").status_code == 200
        else:
            _hidden(api, "/api/training/enrolments/", pk, ("withdraw", "scores", "completion"),
                    writable=False)
    for cert, enrolment in certificates.items():
        if enrolment in seen_enrolments:
            assert api.get(f"/api/training/certificates/{cert}/").status_code == 200
        else:
            _hidden(api, "/api/training/certificates/", cert, ("revoke",), writable=False)

    # a POST naming a hidden session or person answers as for a made-up one
    for pk, session in sessions.items():
        person = t.people[t.sessions.index(session)].pk
        if session.course_id in courses and person in people:
            continue
        asked = {"session": pk, "participant": person}
        made_up = {"session": MADE_UP if session.course_id not in courses else pk,
                   "participant": MADE_UP if person not in people else person}
        hidden = api.post("/api/training/enrolments/", asked, format="json")
        unknown = api.post("/api/training/enrolments/", made_up, format="json")
        assert hidden.status_code == unknown.status_code != 201
        assert json.dumps(hidden.data) == json.dumps(unknown.data)
        assert session.reference not in json.dumps(hidden.data)

    # statistics/: only the enrolments the reader sees (each counts once its session began)
    figures = api.get("/api/training/statistics/", {"programme": "channel-programme"})
    assert figures.status_code == 200
    programmed = {pk for pk in seen_enrolments
                  if enrolments[pk].session.course.programme_id is not None
                  and enrolments[pk].session.starts <= timezone.localdate()}
    assert figures.data["enrolments"] == len(programmed)
    assert figures.data["people"] == len({enrolments[pk].participant_id for pk in programmed})


CHANNELS = [check_training_api]
