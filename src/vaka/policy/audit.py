"""Append to and verify the hash-chained audit log."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from vaka.policy import deferred
from vaka.policy.models import AuditEntry

GENESIS = "0" * 64
# Any constant: PostgreSQL advisory lock key serialising appends to the chain.
_PG_LOCK_KEY = 0x5641_4B41


class Action:
    # The chain's first entry, written by `vaka migrate` (policy migration 0004): even a new
    # instance's log is never empty, so an empty one was emptied.
    LOG_START = "log_start"
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    VIEW = "view"
    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOGOUT = "logout"
    PASSWORD_CHANGE = "password_change"
    TWO_FACTOR_ENROL = "two_factor_enrol"
    TWO_FACTOR_FAILED = "two_factor_failed"
    TWO_FACTOR_RESET = "two_factor_reset"  # an admin cleared a user's device and codes
    RECOVERY_CODES_CREATE = "recovery_codes_create"
    RECOVERY_CODE_USED = "recovery_code_used"
    TOKEN_CREATE = "token_create"
    TOKEN_REVOKE = "token_revoke"
    REFUSED = "refused"  # a change refused for what it would have done, e.g. self-widening
    REMARK = "remark"  # the owner changed who may see a record, all its versions included
    REVOKE = "revoke"
    BROKER_VIEW = "broker_view"  # a desk broker read the list of hits and who holds them
    SECRETS_ROTATE = "secrets_rotate"  # stored secrets re-encrypted under the current key
    # A product's workflow (``vaka.products``); each step also has its row and comment.
    PRODUCT_SUBMIT = "product_submit"
    PRODUCT_RETURN = "product_return"
    PRODUCT_APPROVE = "product_approve"
    PRODUCT_REVISE = "product_revise"
    PRODUCT_DISSEMINATE = "product_disseminate"
    PRODUCT_CLOSE = "product_close"
    ACKNOWLEDGE = "acknowledge"
    # Operations (``vaka.operations``) and secure messaging (``vaka.messaging``).
    OPERATION_PHASE = "operation_phase"
    OPERATION_CLOSE = "operation_close"
    PARTICIPANTS_CHANGE = "participants_change"  # an operation's compartment changed
    DECONFLICTION_CLASH = "deconfliction_clash"  # two operations target the same value
    INTRODUCE = "introduce"  # a desk broker put two operations' leads in touch
    MESSAGE_SEND = "message_send"
    MESSAGE_FORWARD = "message_forward"  # a hub forwarded a message, markings kept
    MESSAGE_READ = "message_read"
    RFI_ANSWER = "rfi_answer"
    RFI_CLOSE = "rfi_close"
    RFI_ESCALATE = "rfi_escalate"
    # Training (``vaka.training``).
    ENROL = "enrol"  # enrolled, waiting-listed, moved off the waiting list
    WITHDRAW = "withdraw"
    ATTENDANCE = "attendance"
    TEST_SCORES = "test_scores"  # pre-test and post-test scores recorded
    COMPLETION = "completion"  # an enrolment's completion state set
    CERTIFICATE_ISSUE = "certificate_issue"
    CERTIFICATE_REVOKE = "certificate_revoke"
    PARTICIPANTS_MERGE = "participants_merge"  # duplicate people made one
    QUIZ_SUBMIT = "quiz_submit"
    QUIZ_REFUSED = "quiz_refused"  # answers after the deadline or from another device
    REQUIREMENT_SET = "requirement_set"  # a capability now needs a course's completion
    REQUIREMENT_LIFT = "requirement_lift"
    CAPABILITY_HELD = "capability_held"  # a capability refused: a required course missing
    TRAINING_IMPORT = "training_import"  # Moodle CSV or course bundle imported


ACTIONS = sorted(v for k, v in vars(Action).items() if k.isupper())
# What the audit page calls each action; the log itself stores the code.
ACTION_LABELS = {
    Action.LOG_START: _("Audit log started"),
    Action.CREATE: _("Created"),
    Action.UPDATE: _("Changed"),
    Action.DELETE: _("Deleted"),
    Action.VIEW: _("Viewed"),
    Action.LOGIN: _("Signed in"),
    Action.LOGIN_FAILED: _("Sign-in failed"),
    Action.LOGOUT: _("Signed out"),
    Action.PASSWORD_CHANGE: _("Password changed"),
    Action.TWO_FACTOR_ENROL: _("Two-factor sign-in set up"),
    Action.TWO_FACTOR_FAILED: _("Two-factor code refused"),
    Action.TWO_FACTOR_RESET: _("Two-factor sign-in reset by an admin"),
    Action.RECOVERY_CODES_CREATE: _("Recovery codes made"),
    Action.RECOVERY_CODE_USED: _("Recovery code used"),
    Action.TOKEN_CREATE: _("API token created"),
    Action.TOKEN_REVOKE: _("API token revoked"),
    Action.REFUSED: _("Change refused"),
    Action.REMARK: _("Markings changed"),
    Action.REVOKE: _("Revoked"),
    Action.BROKER_VIEW: _("Broker view read"),
    Action.SECRETS_ROTATE: _("Stored secrets re-encrypted"),
    Action.PRODUCT_SUBMIT: _("Product sent for review"),
    Action.PRODUCT_RETURN: _("Product returned to its writer"),
    Action.PRODUCT_APPROVE: _("Product approved"),
    Action.PRODUCT_REVISE: _("Product revision started"),
    Action.PRODUCT_DISSEMINATE: _("Product disseminated"),
    Action.PRODUCT_CLOSE: _("Product closed"),
    Action.ACKNOWLEDGE: _("Product acknowledged"),
    Action.OPERATION_PHASE: _("Operation phase changed"),
    Action.OPERATION_CLOSE: _("Operation closed"),
    Action.PARTICIPANTS_CHANGE: _("Operation participants changed"),
    Action.DECONFLICTION_CLASH: _("Deconfliction clash found"),
    Action.INTRODUCE: _("Operations put in touch by the desk"),
    Action.MESSAGE_SEND: _("Message sent"),
    Action.MESSAGE_FORWARD: _("Message forwarded"),
    Action.MESSAGE_READ: _("Message read"),
    Action.RFI_ANSWER: _("Request for information answered"),
    Action.RFI_CLOSE: _("Request for information closed"),
    Action.RFI_ESCALATE: _("Request for information overdue: escalated"),
    Action.ENROL: _("Enrolled in a session"),
    Action.WITHDRAW: _("Withdrawn from a session"),
    Action.ATTENDANCE: _("Attendance recorded"),
    Action.TEST_SCORES: _("Test scores recorded"),
    Action.COMPLETION: _("Completion recorded"),
    Action.CERTIFICATE_ISSUE: _("Certificate issued"),
    Action.CERTIFICATE_REVOKE: _("Certificate revoked"),
    Action.PARTICIPANTS_MERGE: _("Participants merged"),
    Action.QUIZ_SUBMIT: _("Quiz submitted"),
    Action.QUIZ_REFUSED: _("Quiz answers refused"),
    Action.REQUIREMENT_SET: _("Training required for a capability"),
    Action.REQUIREMENT_LIFT: _("Training requirement lifted"),
    Action.CAPABILITY_HELD: _("Capability held back: training required"),
    Action.TRAINING_IMPORT: _("Training records imported"),
}


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    proxies = settings.PROXY_COUNT
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
                 if a.strip()]
    # Only the addresses our own proxies appended are trustworthy: count from the right.
    if proxies and len(forwarded) >= proxies:
        return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR") or None


def _lock_chain() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_LOCK_KEY])
    # SQLite: Vaka opens every transaction IMMEDIATE, so writers are already serialised.


def record(
    action: str,
    *,
    actor: Any = None,
    target: models.Model | None = None,
    request: HttpRequest | None = None,
    detail: dict[str, Any] | None = None,
    actor_name: str = "",
) -> AuditEntry | None:
    """Append one entry to the audit log, chained to the previous one.

    Within a transaction (a change auditing itself) the entry is part of it. Outside one
    (a read, a sign-in) it is a side write: appended at once when the database is free,
    else spooled and appended later with its own time (:mod:`vaka.policy.deferred`);
    then None is returned."""
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    if actor is None and request is not None and request.user.is_authenticated:
        actor = request.user
    return deferred.keep("audit", {
        "actor_id": actor.pk if actor else None,
        "actor_name": actor.username if actor else actor_name[:150],
        "organisation_id": actor.organisation_id if actor else None,
        "action": action,
        "target_type": target._meta.label_lower if target is not None else "",
        "target_id": str(target.pk) if target is not None else "",
        "target_repr": str(target)[:200] if target is not None else "",
        "ip": client_ip(request),
        "detail": detail or {},
    })


def append_fields(fields: dict[str, Any], at: datetime, *, late: bool = False) -> AuditEntry:
    """Append the entry made of ``fields`` (as :func:`record` gathers them) that happened
    ``at``: the applier of ``audit`` side writes. ``late`` (from the spool): a user or
    organisation deleted while the entry waited is left out; its name stays."""
    fields = dict(fields)
    for name in ("actor", "organisation") if late else ():
        pk = fields[f"{name}_id"]
        related = AuditEntry._meta.get_field(name).related_model
        if pk is not None and not related._base_manager.filter(pk=pk).exists():
            fields[f"{name}_id"] = None
    with transaction.atomic():
        _lock_chain()
        last = AuditEntry.objects.order_by("-seq").values_list("seq", "hash").first()
        seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS)
        entry = AuditEntry(seq=seq, at=at, prev_hash=prev_hash, **fields)
        entry.hash = entry.compute_hash()
        entry.save(force_insert=True)
    return entry


@dataclass
class Verification:
    ok: bool
    checked: int
    last_hash: str
    broken_seq: int | None = None
    reason: str = ""

    def message(self) -> str:
        """One line for the operator: the first broken entry, or why the chain proves nothing."""
        if self.ok:
            return f"Audit chain intact: {self.checked} entries; last hash {self.last_hash}"
        if self.broken_seq is None:
            return f"Audit chain not proven: {self.reason} ({self.checked} entries are intact)."
        return (f"Audit chain broken at entry #{self.broken_seq}: {self.reason} "
                f"({self.checked} entries before it are intact).")


def verify(expect: str | None = None) -> Verification:
    """Walk the whole chain; report the first entry whose link or content is wrong.

    An intact chain proves nothing if its newest entries, or all of them, were removed:
    an empty log fails (a new instance's holds the entry ``vaka migrate`` wrote), and
    ``expect`` (a hash recorded earlier, e.g. with a backup) must be one of the chain's
    hashes, so removing the entries since then is detected."""
    prev_hash, expected_seq, checked, found = GENESIS, 1, 0, expect is None
    for entry in AuditEntry.objects.order_by("seq").iterator(chunk_size=2000):
        if entry.seq != expected_seq:
            return Verification(False, checked, prev_hash, expected_seq,
                                f"entry #{expected_seq} is missing")
        if entry.prev_hash != prev_hash:
            return Verification(False, checked, prev_hash, entry.seq,
                                "does not link to the entry before it")
        if entry.compute_hash() != entry.hash:
            return Verification(False, checked, prev_hash, entry.seq,
                                "content does not match its hash (altered)")
        prev_hash, expected_seq, checked = entry.hash, entry.seq + 1, checked + 1
        found = found or entry.hash == expect
    if not checked:
        return Verification(False, 0, GENESIS, None,
                            "the log is empty, and even a new instance's holds the entry "
                            "`vaka migrate` started it with (were its entries deleted?)")
    if not found:
        return Verification(False, checked, prev_hash, None,
                            f"the expected hash {expect} is not in the chain (entries after it "
                            "were deleted, or it is from another instance)")
    return Verification(True, checked, prev_hash)
