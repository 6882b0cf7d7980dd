"""Visibility channel of submissions' originals, for test_visibility_property.

Called as ``channel(user, visible, notes)`` like the others. Every record's submission
(``secret-file-<i>-x.json``, marked like note ``i``) is given an original of its own; the
download reaches exactly the submission's audience: the reference is "the user may see
the record and belongs to its owner organisation". Everyone else gets 404 — the same
answer as for a submission that does not exist — and never the file's bytes.
"""

from django.test import Client

from vaka.intel import originals
from vaka.intel.models import Submission


def _secret(i: int) -> bytes:
    return f"secret-original-{i}-x: the advisory as it was sent".encode()


def check_originals(user, visible: set[int], notes: list) -> None:
    web = Client()
    if user is not None:
        web.force_login(user)
    for i, note in enumerate(notes):
        submission = Submission.objects.get(filename=f"secret-file-{i}-x.json")
        if not submission.original:
            originals.keep(submission, originals.Original(_secret(i), submission.filename))
            submission.save()
        answer = web.get(f"/intel/submissions/{submission.pk}/original")
        may = (user is not None and note.pk in visible
               and user.organisation_id == note.owner_id)
        if user is None:
            assert answer.status_code == 302  # to sign-in, whatever exists
        elif may:
            assert answer.status_code == 200
            assert b"".join(answer.streaming_content) == _secret(i)
        else:
            assert answer.status_code == 404
            assert _secret(i) not in answer.content
    if user is not None:
        gone = Submission.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        assert web.get(f"/intel/submissions/{gone + 1}/original").status_code == 404


CHANNELS: list = [check_originals]
