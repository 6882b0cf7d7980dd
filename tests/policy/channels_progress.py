"""Visibility channel of a queued submission's status box, for test_visibility_property.

Called as ``channel(user, visible, notes)`` like the others. Every record's submission
(``secret-file-<i>-x.json``, marked like note ``i``) is followed through its progress
route, queued and then stored: the box (its name, counts, errors) reaches exactly the
submission's audience — "the user may see the record and belongs to its owner
organisation" — and everyone else gets 404, as for a submission that does not exist.
"""

from django.test import Client

from vaka.intel.models import Submission


def check_submission_progress(user, visible: set[int], notes: list) -> None:
    web = Client()
    if user is not None:
        web.force_login(user)
    for i, note in enumerate(notes):
        submission = Submission.objects.get(filename=f"secret-file-{i}-x.json")
        may = (user is not None and note.pk in visible
               and user.organisation_id == note.owner_id)
        for status in (Submission.Status.QUEUED, Submission.Status.STORED):
            Submission.objects.filter(pk=submission.pk).update(status=status)
            answer = web.get(f"/intel/submissions/{submission.pk}/progress/")
            if user is None:
                assert answer.status_code == 302  # to sign-in, whatever exists
            elif may:
                assert answer.status_code == 200
                assert str(Submission.Status(status).label) in answer.content.decode()
            else:
                assert answer.status_code == 404
                assert b"secret-file" not in answer.content
    if user is not None:
        gone = Submission.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        assert web.get(f"/intel/submissions/{gone + 1}/progress/").status_code == 404


CHANNELS: list = [check_submission_progress]
