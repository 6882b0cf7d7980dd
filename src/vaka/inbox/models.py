"""Notices: what is waiting for a user — a hit on their records, a submission with problems.

A notice is a shareable record (``policy.Marked``) owned by the organisation it is for,
distribution ``organisation``, carrying the TLP and audience of what it is about: a hit on
a TLP:RED record reaches only that record's named people. Repeats of the same thing (one
value looked up five times by one agency) are one notice with a count, found by its
``group_key``. The text is rendered when read, in the reader's language, from ``params``.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vaka.policy.markings import Distribution
from vaka.policy.models import Marked


class Notice(Marked):
    class Kind(models.TextChoices):
        HIT = "hit", _("Hit on your record")
        SUBMISSION_PROBLEM = "submission_problem", _("Submission with problems")
        PRODUCT = "product", _("Product received")
        PRODUCT_REVIEW = "product_review", _("Product to review")
        ACK_REMINDER = "ack_reminder", _("Acknowledgement overdue")
        ACK_ESCALATED = "ack_escalated", _("Acknowledgement overdue: escalated")
        OPERATION = "operation", _("Operation")
        TASK = "task", _("Task assigned")
        CLASH = "clash", _("Deconfliction: another operation holds a value")
        INTRODUCTION = "introduction", _("The desk put you in touch")
        MESSAGE = "message", _("Message received")
        RFI = "rfi", _("Request for information received")
        RFI_ANSWERED = "rfi_answered", _("Request for information answered")
        RFI_OVERDUE = "rfi_overdue", _("Request for information overdue")
        ENROLMENT = "enrolment", _("Training: enrolment")
        CERTIFICATE = "certificate", _("Training: certificate issued")

    # No index of its own: the group-key constraint and the recent index both start with it.
    owner = models.ForeignKey(
        "directory.Organisation", on_delete=models.CASCADE, related_name="+",
        verbose_name=_("recipient organisation"), db_index=False,
    )
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    group_key = models.CharField(max_length=200)
    count = models.PositiveIntegerField(_("count"), default=1)
    first_at = models.DateTimeField(_("first"), default=timezone.now)
    last_at = models.DateTimeField(_("last"), default=timezone.now)
    # Where opening the notice leads: a URL name and its arguments.
    target_name = models.CharField(max_length=100, blank=True)
    target_args = models.JSONField(default=list, blank=True)
    params = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-last_at", "-pk"]
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        constraints = [models.UniqueConstraint(fields=["owner", "kind", "group_key"],
                                               name="inbox_notice_one_per_group")]
        indexes = [models.Index(fields=["owner", "-last_at"], name="inbox_notice_recent")]

    def __str__(self) -> str:
        return f"{self.kind} {self.group_key} ×{self.count}"

    def save(self, *args: object, **kwargs: object) -> None:
        # A notice is for its organisation only, whatever it is about.
        self.distribution = Distribution.ORGANISATION
        super().save(*args, **kwargs)


class NoticeRead(models.Model):
    """When a user last read a notice; a repeat after that makes it unread again."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")
    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="reads")
    read_at = models.DateTimeField(_("read"), default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "notice"],
                                               name="inbox_read_once_per_user")]

    def __str__(self) -> str:
        return f"{self.user_id} read {self.notice_id} at {self.read_at}"


class InboxSettings(models.Model):
    """One user's choices for their inbox, and the times the mailer and dashboard keep."""

    class Email(models.TextChoices):
        IMMEDIATE = "immediate", _("At once (at most one e-mail in a while)")
        DAILY = "daily", _("A daily digest")
        NONE = "none", _("No e-mail")

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="inbox_settings")
    email = models.CharField(_("e-mail"), max_length=16, choices=Email.choices,
                             default=Email.DAILY)
    last_digest_at = models.DateTimeField(null=True, blank=True)
    last_mailed_at = models.DateTimeField(null=True, blank=True)
    dashboard_seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("inbox settings")
        verbose_name_plural = _("inbox settings")

    def __str__(self) -> str:
        return f"inbox settings of {self.user_id}"
