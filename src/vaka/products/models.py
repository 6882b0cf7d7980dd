"""Products: threat alerts, threat assessments, activity reports and awareness material.

A ``Product`` is a shareable record whose content lives in numbered ``Revision`` rows, as
an intelligence object's lives in its versions: each revision carries its own markings
and reaches only its own audience. A revision is written as a draft, reviewed, approved
by a publisher who did not write it, and then disseminated; an approved revision never
changes again — a correction is a new revision that goes through review in turn.

Before its first dissemination a product reaches nobody outside its owner organisation
(``released_at`` is the policy's release condition, :mod:`vaka.policy.visibility`), and
the product row holds only what its released revision says, so a draft's title never
shows in another agency's list.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from vaka.policy.models import Marked, Shareable


class Kind(models.TextChoices):
    ALERT = "alert", _("Threat alert")
    ASSESSMENT = "assessment", _("Threat assessment")
    REPORT = "report", _("Activity report")
    AWARENESS = "awareness", _("Awareness material")


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    APPROVED = "approved", _("Approved")
    DISSEMINATED = "disseminated", _("Disseminated")
    CLOSED = "closed", _("Closed")


class Campaign(Shareable):
    """An awareness campaign: materials (awareness products) for an audience, in some
    languages, through some channels, between two dates."""

    class Channel(models.TextChoices):
        SOCIAL_MEDIA = "social_media", _("Social media")
        RADIO = "radio", _("Radio")
        TELEVISION = "television", _("Television")
        POSTERS = "posters", _("Posters and leaflets")
        SCHOOLS = "schools", _("Schools")
        COMMUNITY = "community", _("Community meetings")
        PRESS = "press", _("Press")

    name = models.CharField(_("name"), max_length=200)
    audience_text = models.CharField(_("audience"), max_length=300, blank=True,
                                     help_text=_("Who the campaign speaks to."))
    languages = models.JSONField(_("languages"), default=list, blank=True)
    channels = models.JSONField(_("channels"), default=list, blank=True)
    starts = models.DateField(_("starts"), null=True, blank=True)
    ends = models.DateField(_("ends"), null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        verbose_name = _("awareness campaign")
        verbose_name_plural = _("awareness campaigns")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("campaigns:campaign", args=[self.pk])


class Product(Shareable):
    """One product; its markings are those of its released revision (before release, of
    its current draft)."""

    released_path = "released_at"

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    reference = models.CharField(_("reference"), max_length=40, unique=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.DRAFT)
    # The newest revision (owner organisation only) and the one readers get.
    revision = models.PositiveIntegerField(_("revision"), default=1)
    released_revision = models.PositiveIntegerField(null=True, blank=True)
    released_at = models.DateTimeField(_("first disseminated"), null=True, blank=True,
                                       db_index=True)
    # What lists show: the released revision's (the draft's before the first release).
    title = models.CharField(_("title"), max_length=300)
    summary = models.TextField(_("summary"), blank=True)
    crime_types = models.JSONField(_("crime types"), default=list, blank=True)
    language = models.CharField(_("language"), max_length=8, default="en")
    ack_deadline = models.DateTimeField(_("acknowledge by"), null=True, blank=True)
    period_start = models.DateField(_("period from"), null=True, blank=True)
    period_end = models.DateField(_("period to"), null=True, blank=True)
    campaign = models.ForeignKey(Campaign, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="materials", verbose_name=_("campaign"))
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        ordering = ["-modified", "-pk"]
        verbose_name = _("product")
        verbose_name_plural = _("products")
        indexes = [models.Index(fields=["kind", "-modified"], name="products_kind_recent")]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("products:product", args=[self.pk])

    @property
    def is_alert(self) -> bool:
        return self.kind == Kind.ALERT


class Revision(Marked):
    """One revision of a product's content, with its own markings and review status."""

    owner_path = "product__owner_id"
    released_path = "released_at"

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField(_("revision"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.DRAFT)
    language = models.CharField(_("language"), max_length=8, default="en")
    title = models.CharField(_("title"), max_length=300)
    summary = models.TextField(_("summary"), blank=True)
    body = models.TextField(_("body"), blank=True)
    # The kind's own fields (``products.kinds``), each Markdown or a list of codes.
    sections = models.JSONField(_("sections"), default=dict, blank=True)
    crime_types = models.JSONField(_("crime types"), default=list, blank=True)
    # The figures an activity report was pre-filled with, as they were when written.
    figures = models.JSONField(_("figures"), default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    # Everyone who changed it: none of them may approve it.
    authors = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+", blank=True)
    created = models.DateTimeField(_("created"), default=timezone.now)
    modified = models.DateTimeField(_("modified"), default=timezone.now)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+",
                                    verbose_name=_("approved by"))
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    released_at = models.DateTimeField(_("disseminated"), null=True, blank=True)
    linked = models.ManyToManyField("intel.StixObject", related_name="+", blank=True,
                                    verbose_name=_("linked intelligence"))

    class Meta:
        ordering = ["product", "-number"]
        verbose_name = _("product revision")
        verbose_name_plural = _("product revisions")
        constraints = [models.UniqueConstraint(fields=["product", "number"],
                                               name="products_one_number_per_revision")]

    def __str__(self) -> str:
        return f"{self.product.reference} r{self.number}"

    @property
    def owner_id(self) -> int:
        return self.product.owner_id

    @property
    def owner(self) -> object:
        return self.product.owner

    @property
    def frozen(self) -> bool:
        """Approved or later: never changed again."""
        return self.status not in (Status.DRAFT, Status.IN_REVIEW)


class Translation(models.Model):
    """A revision in another interface language, reviewed on its own. It reaches the
    revision's audience and no one else."""

    class Review(models.TextChoices):
        DRAFT = "draft", _("Draft")
        IN_REVIEW = "in_review", _("In review")
        APPROVED = "approved", _("Approved")

    revision = models.ForeignKey(Revision, on_delete=models.CASCADE,
                                 related_name="translations")
    language = models.CharField(_("language"), max_length=8)
    title = models.CharField(_("title"), max_length=300)
    summary = models.TextField(_("summary"), blank=True)
    body = models.TextField(_("body"), blank=True)
    sections = models.JSONField(_("sections"), default=dict, blank=True)
    status = models.CharField(_("review"), max_length=16, choices=Review.choices,
                              default=Review.DRAFT)
    translated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                      null=True, blank=True, related_name="+")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+")
    modified = models.DateTimeField(_("modified"), default=timezone.now)

    class Meta:
        verbose_name = _("translation")
        verbose_name_plural = _("translations")
        constraints = [models.UniqueConstraint(fields=["revision", "language"],
                                               name="products_one_translation_per_language")]

    def __str__(self) -> str:
        return f"{self.revision} [{self.language}]"


class Attachment(models.Model):
    """A file attached to one revision; a new revision carries its files over."""

    revision = models.ForeignKey(Revision, on_delete=models.CASCADE,
                                 related_name="attachments")
    file = models.FileField(upload_to="products/%Y/%m/", max_length=200)
    name = models.CharField(_("name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                 null=True, blank=True, related_name="+")
    added = models.DateTimeField(_("added"), default=timezone.now)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.name


class Transition(models.Model):
    """One step of the workflow, with the comment that came with it."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="transitions")
    revision = models.PositiveIntegerField(_("revision"))
    from_status = models.CharField(max_length=16, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=Status.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                           blank=True, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.product_id} r{self.revision}: {self.from_status} → {self.to_status}"


class Recipient(models.Model):
    """An organisation a product was disseminated to, and (alerts) its acknowledgement.

    Seen by the product's owner organisation (the matrix) and by the recipient itself."""

    class Ack(models.TextChoices):
        PENDING = "pending", _("Not yet acknowledged")
        RECEIVED = "received", pgettext_lazy("acknowledgement", "Received")
        ACTIONED = "actioned", pgettext_lazy("acknowledgement", "Actioned")

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="recipients_rows")
    organisation = models.ForeignKey("directory.Organisation", on_delete=models.CASCADE,
                                     related_name="+")
    # How it was chosen: "country:FJ", "community:3" or "organisation".
    chosen_as = models.CharField(max_length=40, blank=True)
    revision = models.PositiveIntegerField(_("revision"))
    disseminated_at = models.DateTimeField(default=timezone.now)
    disseminated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                        null=True, blank=True, related_name="+")
    ack = models.CharField(_("acknowledgement"), max_length=16, choices=Ack.choices,
                           default=Ack.PENDING)
    ack_note = models.TextField(_("note"), blank=True)
    ack_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                               blank=True, related_name="+")
    ack_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    reminders = models.PositiveSmallIntegerField(default=0)
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)

    class Meta:
        ordering = ["organisation__name"]
        constraints = [models.UniqueConstraint(fields=["product", "organisation"],
                                               name="products_one_row_per_recipient")]
        indexes = [models.Index(fields=["ack", "due_at"], name="products_ack_due")]

    def __str__(self) -> str:
        return f"{self.product_id} → {self.organisation_id} ({self.ack})"

    @property
    def overdue(self) -> bool:
        return (self.ack == self.Ack.PENDING and self.due_at is not None
                and self.due_at < timezone.now())


class Delivery(models.Model):
    """The e-mail notice of one product to one person: retried with back-off until sent,
    and shown on the product. It says only that something is waiting, with a link."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed, will retry")
        GAVE_UP = "gave_up", _("Given up")

    class Reason(models.TextChoices):
        DISSEMINATED = "disseminated", _("Product received")
        REMINDER = "reminder", _("Acknowledgement reminder")
        ESCALATION = "escalation", _("Acknowledgement overdue")
        REVIEW = "review", _("Review requested")

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="deliveries")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")
    reason = models.CharField(max_length=16, choices=Reason.choices)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.CharField(max_length=300, blank=True)
    created = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "pk"]
        indexes = [models.Index(fields=["state", "next_attempt_at"],
                                name="products_delivery_due")]

    def __str__(self) -> str:
        return f"{self.product_id} → {self.user_id}: {self.state}"


class Reach(models.Model):
    """How many people a campaign reached in one country through one channel, as a
    member recorded it."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="reach")
    organisation = models.ForeignKey("directory.Organisation", on_delete=models.CASCADE,
                                     related_name="+")
    country = models.ForeignKey("directory.Country", on_delete=models.PROTECT,
                                related_name="+")
    channel = models.CharField(_("channel"), max_length=16, choices=Campaign.Channel.choices)
    people = models.PositiveIntegerField(_("people reached"))
    on = models.DateField(_("date"), default=timezone.localdate)
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-on", "pk"]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.country_id} {self.channel}: {self.people}"
