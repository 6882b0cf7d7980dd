"""The fields every shareable record carries, and the append-only audit log."""

import hashlib
import json
from datetime import UTC
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vaka.policy.markings import (
    DEFAULT_GRADING_SCHEME,
    GRADING_SCHEME_CHOICES,
    GRADING_SCHEMES,
    PAP,
    TLP,
    Distribution,
    Handling,
)
from vaka.policy.visibility import ShareableQuerySet


class Audience(models.Model):
    """The lists that complete a record's markings, shared by every record that uses them.

    Communities (distribution ``communities``), recipient organisations (TLP:AMBER and
    AMBER+STRICT) and named people (TLP:RED). Many records — a 100,000-indicator bundle —
    carry the same lists, so each distinct combination is stored once, found by ``key``.
    """

    key = models.CharField(max_length=64, unique=True, editable=False)
    communities = models.ManyToManyField("directory.Community", related_name="+", blank=True)
    organisations = models.ManyToManyField("directory.Organisation", related_name="+",
                                           blank=True)
    people = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+", blank=True)

    class Meta:
        verbose_name = _("audience")
        verbose_name_plural = _("audiences")

    def __str__(self) -> str:
        return f"audience {self.key[:8]}"

    @staticmethod
    def key_for(communities: list[int], organisations: list[int], people: list[int]) -> str:
        text = "c{}|o{}|p{}".format(*(",".join(map(str, sorted(set(ids))))
                                      for ids in (communities, organisations, people)))
        return hashlib.sha256(text.encode()).hexdigest()


class Compartment(models.Model):
    """A closed circle of organisations: an operation's participants, a secure message's
    sender and recipients. A record in one (``compartment_path``, see
    :mod:`vaka.policy.visibility`) reaches only users of these organisations, and within
    them only its markings' audience. Change the circle through ``policy.services``."""

    class Kind(models.TextChoices):
        OPERATION = "operation", _("Operation participants")
        MESSAGE = "message", _("Message parties")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    organisations = models.ManyToManyField("directory.Organisation", related_name="+",
                                           blank=True)

    class Meta:
        verbose_name = _("compartment")
        verbose_name_plural = _("compartments")

    def __str__(self) -> str:
        return f"{self.kind} compartment {self.pk}"


class Marked(models.Model):
    """Abstract: the markings that say who may see something and what they may do with it.

    Every shareable record carries them, and so does every version of a STIX object:
    a reader gets a version only if they are in that version's audience. Write them
    through ``policy.services`` so they are validated and the change is audited.
    """

    # The field (a path from the model) naming the owning organisation; the visibility
    # policy reads it, so models whose owner lives elsewhere (a version's object) say so.
    owner_path = "owner_id"

    distribution = models.CharField(
        _("distribution"), max_length=16, choices=Distribution.choices,
        default=Distribution.ORGANISATION,
    )
    tlp = models.CharField(_("TLP"), max_length=16, choices=TLP.choices, default=TLP.AMBER)
    audience = models.ForeignKey(
        "policy.Audience", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("audience"),
        help_text=_("The communities, recipient organisations and named people it goes to."),
    )
    pap = models.CharField(_("PAP"), max_length=8, choices=PAP.choices, default=PAP.AMBER)
    handling = models.JSONField(_("handling codes"), default=list, blank=True)
    handling_note = models.CharField(_("handling note"), max_length=500, blank=True)
    grading_scheme = models.CharField(
        _("grading scheme"), max_length=16, choices=GRADING_SCHEME_CHOICES,
        default=DEFAULT_GRADING_SCHEME,
    )
    grading_source = models.CharField(_("source evaluation"), max_length=2, blank=True)
    grading_information = models.CharField(
        _("information evaluation"), max_length=2, blank=True
    )
    grading_handling = models.CharField(_("grading handling code"), max_length=2, blank=True)

    objects = ShareableQuerySet.as_manager()

    class Meta:
        abstract = True

    # The audience's lists, read like fields (empty when the record has no audience).
    @property
    def communities(self) -> models.QuerySet:
        from vaka.directory.models import Community

        return (self.audience.communities.all() if self.audience_id
                else Community.objects.none())

    @property
    def recipient_organisations(self) -> models.QuerySet:
        from vaka.directory.models import Organisation

        return (self.audience.organisations.all() if self.audience_id
                else Organisation.objects.none())

    @property
    def recipients(self) -> models.QuerySet:
        from vaka.directory.models import User

        return self.audience.people.all() if self.audience_id else User.objects.none()

    @property
    def grading_code(self) -> str:
        """The grade as written on a report, e.g. ``B2`` or ``1BP``."""
        scheme = self.grading_scheme
        if scheme == "uk3x5x2":
            return f"{self.grading_source}{self.grading_information}{self.grading_handling}"
        if scheme == "europol4x4":
            code = f"{self.grading_source}{self.grading_information}"
            return f"{code} {self.grading_handling}".strip()
        return f"{self.grading_source}{self.grading_information}"

    @property
    def grading_labels(self) -> list[str]:
        scheme = GRADING_SCHEMES.get(self.grading_scheme)
        if scheme is None:
            return []
        pairs = [
            (scheme.source, self.grading_source),
            (scheme.information, self.grading_information),
            (scheme.handling, self.grading_handling),
        ]
        return [f"{code}: {table[code]}" for table, code in pairs if code in table]

    @property
    def handling_labels(self) -> list[str]:
        labels = dict(Handling.choices)
        return [str(labels.get(code, code)) for code in self.handling]


MARKING_FIELDS = ("distribution", "tlp", "audience", "pap", "handling", "handling_note",
                  "grading_scheme", "grading_source", "grading_information",
                  "grading_handling")


class Shareable(Marked):
    """Abstract base of every record that has an audience.

    Subclasses get the owner, distribution, TLP, recipients, PAP, handling and grading
    fields, and ``objects.visible_to(user)``. Write them through ``policy.services`` so
    the markings are validated and the change is audited.
    """

    owner = models.ForeignKey(
        "directory.Organisation", on_delete=models.PROTECT, related_name="+",
        verbose_name=_("owner organisation"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("created by"),
    )
    created = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    modified = models.DateTimeField(_("modified"), default=timezone.now)

    class Meta:
        abstract = True


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        raise PermissionError("The audit log is append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("The audit log is append-only.")


class AuditEntry(models.Model):
    """One line of the hash-chained audit log. Never updated, never deleted.

    ``hash`` is the SHA-256 of the previous entry's hash and this entry's content, so
    changing, removing or reordering any entry breaks every hash after it.
    """

    seq = models.BigIntegerField(unique=True, editable=False)
    at = models.DateTimeField(_("when"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("user"),
    )
    actor_name = models.CharField(_("user name"), max_length=150, blank=True)
    organisation = models.ForeignKey(
        "directory.Organisation", on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("organisation"),
    )
    action = models.CharField(_("action"), max_length=40, db_index=True)
    target_type = models.CharField(_("record type"), max_length=60, blank=True)
    target_id = models.CharField(_("record id"), max_length=64, blank=True)
    target_repr = models.CharField(_("record"), max_length=200, blank=True)
    ip = models.GenericIPAddressField(_("address"), null=True, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-seq"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.actor_name} {self.target_repr}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError("The audit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("The audit log is append-only.")

    def content(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at.astimezone(UTC).isoformat(timespec="microseconds"),
            "actor_id": self.actor_id,
            "actor_name": self.actor_name,
            "organisation_id": self.organisation_id,
            "action": self.action,
            "target_type": self.target_type,
            "target_id": self.target_id,
            "target_repr": self.target_repr,
            "ip": self.ip,
            "detail": self.detail,
        }

    def compute_hash(self) -> str:
        body = json.dumps(self.content(), sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256((self.prev_hash + body).encode()).hexdigest()


class AppliedDeferredWrite(models.Model):
    """A spooled side write already applied (:mod:`vaka.policy.deferred`), marked in the same
    transaction as the write itself, so a flush stopped after committing never applies it
    twice. Marks go once the spool is empty."""

    id = models.UUIDField(primary_key=True)

    def __str__(self) -> str:
        return str(self.id)
