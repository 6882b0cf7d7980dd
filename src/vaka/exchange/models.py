"""Sharing in and out: TAXII collections and statuses, feed subscriptions and their polls,
connected Vaka instances (peers) and their sync runs."""

import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vaka.policy.crypto import EncryptedTextField, HasSecrets
from vaka.policy.inputs import BY_NAME, HANDLING_NOTE_LENGTH
from vaka.policy.markings import GRADING_SCHEME_CHOICES, PAP, TLP, Distribution
from vaka.policy.services import Markings

# The markings a ``MarkingSettings`` keeps in its own columns; the relations (communities,
# recipient organisations, named recipients) are set once the row is saved.
MARKING_COLUMNS = ("distribution", "tlp", "pap", "handling", "handling_note", "grading_scheme",
                   "grading_source", "grading_information", "grading_handling")


class MarkingSettings(models.Model):
    """Abstract: the markings given to what comes in through a feed or is added to a TAXII
    collection — every input of ``policy.inputs``, with its defaults."""

    tlp = models.CharField(_("TLP"), max_length=16, choices=TLP.choices,
                           default=BY_NAME["tlp"].default)
    distribution = models.CharField(_("distribution"), max_length=16,
                                    choices=Distribution.choices,
                                    default=BY_NAME["distribution"].default)
    communities = models.ManyToManyField("directory.Community", blank=True, related_name="+",
                                         verbose_name=_("communities"))
    recipient_organisations = models.ManyToManyField(
        "directory.Organisation", blank=True, related_name="+",
        verbose_name=_("recipient organisations"))
    recipients = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+",
                                        verbose_name=_("named recipients"))
    pap = models.CharField(_("PAP"), max_length=8, choices=PAP.choices,
                           default=BY_NAME["pap"].default)
    handling = models.JSONField(_("handling codes"), default=list, blank=True)
    handling_note = models.CharField(_("handling note"), max_length=HANDLING_NOTE_LENGTH,
                                     blank=True)
    grading_scheme = models.CharField(_("grading scheme"), max_length=16,
                                      choices=GRADING_SCHEME_CHOICES,
                                      default=BY_NAME["grading_scheme"].default)
    grading_source = models.CharField(_("source evaluation"), max_length=2, blank=True)
    grading_information = models.CharField(_("information evaluation"), max_length=2,
                                           blank=True)
    grading_handling = models.CharField(_("grading handling code"), max_length=2, blank=True)

    class Meta:
        abstract = True

    def markings(self) -> Markings:
        """A fresh copy of the stored markings (not yet checked against the rules)."""
        return Markings(
            distribution=self.distribution, tlp=self.tlp, pap=self.pap,
            communities=list(self.communities.all()),
            recipient_organisations=list(self.recipient_organisations.all()),
            recipients=list(self.recipients.all()), handling=list(self.handling),
            handling_note=self.handling_note, grading_scheme=self.grading_scheme,
            grading_source=self.grading_source, grading_information=self.grading_information,
            grading_handling=self.grading_handling)

    def set_marking_columns(self, m: Markings) -> None:
        """Keep ``m`` in the columns; :meth:`set_marking_relations` once the row is saved."""
        for name in MARKING_COLUMNS:
            setattr(self, name, getattr(m, name))

    def set_marking_relations(self, m: Markings) -> None:
        """Keep ``m``'s communities and recipients (the row must be saved)."""
        self.communities.set(m.communities)
        self.recipient_organisations.set(m.recipient_organisations)
        self.recipients.set(m.recipients)


class Collection(MarkingSettings):
    """A TAXII 2.1 collection: a saved filter over the STIX store, defined by an admin.

    What a reader gets is always the filter's result *as that reader may see it*: two users
    reading the same collection may see different objects. Objects added through TAXII
    are owned by the adding user's organisation and get the collection's markings.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    alias = models.SlugField(_("alias"), max_length=100, unique=True, null=True, blank=True)
    # Query parameters of GET /api/objects/ (type, owner, country, tlp, label, search, …).
    filters = models.JSONField(_("filter"), default=dict, blank=True)
    readers = models.ManyToManyField(
        "directory.Community", blank=True, related_name="+", verbose_name=_("readers"),
        help_text=_("Communities whose members may use the collection; none: every user."))
    can_write = models.BooleanField(
        _("accepts objects"), default=False,
        help_text=_("Users who may contribute intelligence may add objects through TAXII."))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title"]
        verbose_name = _("TAXII collection")
        verbose_name_plural = _("TAXII collections")

    def __str__(self) -> str:
        return self.title


class TaxiiStatus(models.Model):
    """The status resource of one TAXII add-objects request."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        COMPLETE = "complete", _("Complete")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")
    submission = models.ForeignKey("intel.Submission", on_delete=models.SET_NULL, null=True,
                                   blank=True, related_name="+")
    request_timestamp = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    total_count = models.PositiveIntegerField(default=0)
    # Lists of {"id", "version", "message"?} as the TAXII status resource has them.
    successes = models.JSONField(default=list, blank=True)
    failures = models.JSONField(default=list, blank=True)
    pendings = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-request_timestamp"]

    def __str__(self) -> str:
        return str(self.id)


class Feed(HasSecrets, MarkingSettings):
    """A subscription of this instance to an external TAXII 2.1 collection or MISP feed."""

    class Kind(models.TextChoices):
        TAXII = "taxii", _("TAXII 2.1 collection")
        MISP = "misp", _("MISP feed")

    name = models.CharField(_("name"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    url = models.URLField(
        _("URL"), max_length=500,
        help_text=_("TAXII: the collection's URL (…/collections/<id>/). MISP: the feed's base "
                    "URL, where manifest.json is."))
    username = models.CharField(_("user name"), max_length=200, blank=True)
    # Encrypted at rest (vaka.policy.crypto); max_length is the form's, not the column's.
    password = EncryptedTextField(_("password"), max_length=500, blank=True)
    token = EncryptedTextField(_("token or API key"), max_length=500, blank=True)
    verify_tls = models.BooleanField(_("verify TLS certificates"), default=True)
    organisation = models.ForeignKey(
        "directory.Organisation", on_delete=models.PROTECT, related_name="+",
        verbose_name=_("owner of what it brings in"))
    interval_minutes = models.PositiveIntegerField(_("poll every (minutes)"), default=60)
    enabled = models.BooleanField(_("enabled"), default=True)
    # Where the next poll resumes: TAXII {"added_after": …}; MISP {"events": {uuid: ts}}.
    state = models.JSONField(default=dict, blank=True)
    next_poll_at = models.DateTimeField(_("next poll"), default=timezone.now, db_index=True)
    failures = models.PositiveIntegerField(_("failures in a row"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    last_success = models.DateTimeField(_("last successful poll"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("feed")
        verbose_name_plural = _("feeds")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("exchange:feed", args=[self.pk])


class RunStatus(models.TextChoices):
    """How a feed poll or a sync run stands: running until it is recorded as done."""

    RUNNING = "running", _("Running")
    OK = "ok", _("Succeeded")
    FAILED = "failed", _("Failed")


class FeedPoll(models.Model):
    """One poll of a feed and what came of it. Recorded as running when it starts, and
    ``alive`` moves on with each page or event, so a poll whose process died shows."""

    Status = RunStatus

    feed = models.ForeignKey(Feed, on_delete=models.CASCADE, related_name="polls")
    started = models.DateTimeField(_("started"), default=timezone.now)
    alive = models.DateTimeField(_("last sign of life"), default=timezone.now)
    finished = models.DateTimeField(_("finished"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices)
    new = models.PositiveIntegerField(_("new"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    rejected = models.PositiveIntegerField(_("rejected"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    message = models.TextField(_("message"), blank=True)
    submissions = models.ManyToManyField("intel.Submission", blank=True, related_name="+")

    class Meta:
        ordering = ["-started", "-pk"]
        verbose_name = _("feed poll")
        verbose_name_plural = _("feed polls")

    def __str__(self) -> str:
        return f"{self.feed} {self.started:%Y-%m-%d %H:%M}"


class Peer(HasSecrets, models.Model):
    """Another Vaka instance this one syncs with (by agreement, both sides configure it)."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    url = models.URLField(_("URL"), max_length=500, help_text=_("The other instance's address."))
    # The token this instance presents to the peer (the peer's admin gave it).
    outgoing_token = EncryptedTextField(_("token for the peer"), max_length=200, blank=True)
    # The hash of the token the peer presents here (shown once, when created).
    incoming_token_hash = models.CharField(max_length=64, unique=True)
    push = models.BooleanField(_("push to it"), default=True)
    pull = models.BooleanField(_("pull from it"), default=True)
    communities = models.ManyToManyField(
        "directory.Community", blank=True, related_name="peers",
        verbose_name=_("communities spanning both instances"),
        help_text=_("By agreement: records shared with these communities cross too."))
    enabled = models.BooleanField(_("enabled"), default=True)
    interval_minutes = models.PositiveIntegerField(_("sync every (minutes)"), default=15)
    state = models.JSONField(default=dict, blank=True)  # cursors: {"pull": …, "push": …}
    next_sync_at = models.DateTimeField(_("next sync"), default=timezone.now)
    failures = models.PositiveIntegerField(_("failures in a row"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    last_success = models.DateTimeField(_("last successful sync"), null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("connected instance")
        verbose_name_plural = _("connected instances")

    def __str__(self) -> str:
        return self.name


class SyncRun(models.Model):
    """One sync with a peer: what was pulled and pushed. Recorded as running when it
    starts, ``alive`` moving on with each page, as a feed poll."""

    Status = RunStatus

    peer = models.ForeignKey(Peer, on_delete=models.CASCADE, related_name="runs")
    started = models.DateTimeField(default=timezone.now)
    alive = models.DateTimeField(default=timezone.now)
    finished = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices)
    pulled = models.PositiveIntegerField(default=0)
    pushed = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["-started", "-pk"]

    def __str__(self) -> str:
        return f"{self.peer} {self.started:%Y-%m-%d %H:%M}"
