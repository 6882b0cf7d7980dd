"""Joint operations: intelligence-led operations against cybercriminals and their
infrastructure, run by a lead organisation with participants in several countries.

An ``Operation`` is a shareable record in a **compartment** (:mod:`vaka.policy.visibility`):
it reaches only users of its participating organisations, and among them only its
markings' audience — a platform admin whose organisation is not a participant sees
nothing of it. Its targets, taskings, actions and results are parts of it
(``markings_path = "operation__"``): they are seen exactly where the operation is.

A target's value is canonicalised like an observable (``vaka.intel.parsing.observables``)
so that deconfliction (``operations.deconfliction``) finds the same value in another
operation, or in the observable index, however it was written.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from vaka.policy.models import Shareable
from vaka.policy.visibility import ShareableQuerySet


class Phase(models.TextChoices):
    """The intelligence-led operation's cycle."""

    COLLECT = "collect", _("Collect and analyse")
    PRIORITISE = "prioritise", _("Prioritise")
    ACT = "act", pgettext_lazy("operation phase", "Act")
    EVALUATE = "evaluate", _("Evaluate")


class Operation(Shareable):
    """One joint operation. ``owner`` is the organisation that opened it; ``lead`` the
    organisation leading it; the participants are its compartment's organisations (the
    owner and the lead always among them)."""

    compartment_path = "compartment_id"

    compartment = models.OneToOneField("policy.Compartment", on_delete=models.PROTECT,
                                       related_name="+")
    reference = models.CharField(_("reference"), max_length=40, unique=True)
    code_name = models.CharField(_("code name"), max_length=100)
    objective = models.TextField(_("objective"))
    crime_types = models.JSONField(_("crime types"), default=list, blank=True)
    lead = models.ForeignKey("directory.Organisation", on_delete=models.PROTECT,
                             related_name="+", verbose_name=_("lead organisation"))
    countries = models.ManyToManyField("directory.Country", related_name="+", blank=True,
                                       verbose_name=_("countries"))
    starts = models.DateField(_("starts"), null=True, blank=True)
    ends = models.DateField(_("ends"), null=True, blank=True)
    phase = models.CharField(_("phase"), max_length=16, choices=Phase.choices,
                             default=Phase.COLLECT)
    lessons = models.TextField(_("lessons learned"), blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        ordering = ["-created", "-pk"]
        verbose_name = _("operation")
        verbose_name_plural = _("operations")

    def __str__(self) -> str:
        return f"{self.reference} {self.code_name}"

    def get_absolute_url(self) -> str:
        return reverse("operations:operation", args=[self.pk])


class OperationPart(models.Model):
    """Abstract: a part of an operation, seen exactly where the operation is."""

    owner_path = "operation__owner_id"
    markings_path = "operation__"
    compartment_path = "operation__compartment_id"

    objects = ShareableQuerySet.as_manager()

    class Meta:
        abstract = True


class Target(OperationPart):
    """A person, organisation or piece of infrastructure an operation targets.

    ``value`` is canonical (for observable kinds, exactly the observable index's form);
    ``shown`` is what the participant wrote. ``value_hash`` is the index's hash of
    (kind, value): deconfliction looks targets and observables up by it."""

    class Kind(models.TextChoices):
        PERSON = "person", _("Person")
        ORGANISATION = "organisation", _("Organisation")
        DOMAIN = "domain", _("Domain")
        IPV4 = "ipv4", _("IPv4 address")
        IPV6 = "ipv6", _("IPv6 address")
        URL = "url", _("URL")
        EMAIL = "email", _("E-mail address")
        PHONE = "phone", _("Phone number")
        BTC = "btc", _("Bitcoin wallet")
        ETH = "eth", _("Ethereum wallet")
        ACCOUNT = "account", _("Online account")

    operation = models.ForeignKey(Operation, on_delete=models.CASCADE, related_name="targets")
    kind = models.CharField(_("type"), max_length=16, choices=Kind.choices)
    value = models.TextField(_("value"))
    shown = models.CharField(_("as written"), max_length=500)
    value_hash = models.BigIntegerField()
    note = models.TextField(_("note"), blank=True)
    linked = models.ManyToManyField("intel.StixObject", related_name="+", blank=True,
                                    verbose_name=_("linked intelligence"))
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                 null=True, blank=True, related_name="+")
    organisation = models.ForeignKey("directory.Organisation", on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("added by"))
    added = models.DateTimeField(_("added"), default=timezone.now)

    class Meta:
        ordering = ["kind", "value", "pk"]
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        constraints = [models.UniqueConstraint(fields=["operation", "kind", "value"],
                                               name="operations_one_target_per_value")]
        indexes = [models.Index(fields=["value_hash"], name="operations_target_hash")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.shown}"


class Task(OperationPart):
    """A tasking to a participating organisation, with a due date and a status."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    operation = models.ForeignKey(Operation, on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(_("task"), max_length=300)
    detail = models.TextField(_("detail"), blank=True)
    assigned_to = models.ForeignKey("directory.Organisation", on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("assigned to"))
    due = models.DateField(_("due"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.OPEN)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    created = models.DateTimeField(_("created"), default=timezone.now)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)

    class Meta:
        ordering = ["due", "pk"]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")

    def __str__(self) -> str:
        return self.title


class Action(OperationPart):
    """One entry of the operation's timeline: what was done, where, when, by whom.

    ``at`` is stored in UTC; ``time_zone`` (IANA, e.g. ``Pacific/Apia``) is where it
    happened, so the timeline shows local time across the date line."""

    class Kind(models.TextChoices):
        SEARCH = "search", _("Search")
        ARREST = "arrest", _("Arrest")
        TAKEDOWN_REQUEST = "takedown_request", _("Takedown request")
        SEIZURE = "seizure", _("Seizure")
        VICTIMS_NOTIFIED = "victims_notified", _("Victims notified")
        EVIDENCE_PRESERVED = "evidence_preserved", _("Evidence preserved")
        OTHER = "other", _("Other")

    operation = models.ForeignKey(Operation, on_delete=models.CASCADE, related_name="actions")
    kind = models.CharField(_("action"), max_length=24, choices=Kind.choices)
    at = models.DateTimeField(_("when"))
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")
    country = models.ForeignKey("directory.Country", on_delete=models.PROTECT,
                                related_name="+", verbose_name=_("country"))
    organisation = models.ForeignKey("directory.Organisation", on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("by"))
    summary = models.TextField(_("what happened"))
    target = models.ForeignKey(Target, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="actions", verbose_name=_("target"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+")
    recorded = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("action")
        verbose_name_plural = _("actions")

    def __str__(self) -> str:
        return f"{self.kind} {self.at:%Y-%m-%d}"


class Result(OperationPart):
    """A result as a figure: arrests, takedowns, accounts frozen, funds seized (with their
    currency), victims identified and notified. They roll up into the dashboard and the
    activity reports."""

    class Kind(models.TextChoices):
        ARRESTS = "arrests", _("Arrests")
        TAKEDOWNS = "takedowns", _("Takedowns")
        ACCOUNTS_FROZEN = "accounts_frozen", _("Accounts frozen")
        FUNDS_SEIZED = "funds_seized", _("Funds seized")
        VICTIMS_IDENTIFIED = "victims_identified", _("Victims identified")
        VICTIMS_NOTIFIED = "victims_notified", _("Victims notified")

    operation = models.ForeignKey(Operation, on_delete=models.CASCADE, related_name="results")
    kind = models.CharField(_("result"), max_length=24, choices=Kind.choices)
    quantity = models.DecimalField(_("figure"), max_digits=18, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, blank=True,
                                help_text=_("ISO 4217 code, for funds seized."))
    country = models.ForeignKey("directory.Country", on_delete=models.PROTECT,
                                related_name="+", verbose_name=_("country"))
    organisation = models.ForeignKey("directory.Organisation", on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("by"))
    on = models.DateField(_("date"), default=timezone.localdate)
    note = models.CharField(_("note"), max_length=300, blank=True)
    action = models.ForeignKey(Action, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="results")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["on", "pk"]
        verbose_name = _("result")
        verbose_name_plural = _("results")

    def __str__(self) -> str:
        return f"{self.kind} {self.quantity} {self.currency}".strip()


class Clash(models.Model):
    """Two operations target the same value. Seen whole by the desk's brokers only
    (``policy.brokering``); each side's lead is told that another operation holds the
    value and that the desk will put them in touch — never which operation."""

    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="clashes")
    other = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="+")
    found_at = models.DateTimeField(_("found"), default=timezone.now, db_index=True)
    introduced_at = models.DateTimeField(_("introduced"), null=True, blank=True)
    introduced_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                      null=True, blank=True, related_name="+")
    introduction_note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["-found_at", "-pk"]
        verbose_name = _("deconfliction clash")
        verbose_name_plural = _("deconfliction clashes")
        constraints = [models.UniqueConstraint(fields=["target", "other"],
                                               name="operations_one_clash_per_pair")]

    def __str__(self) -> str:
        return f"{self.target_id} ↔ {self.other_id}"
