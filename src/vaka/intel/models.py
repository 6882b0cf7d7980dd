"""Intelligence records: STIX 2.1 objects and their versions, the observable index,
submissions, hit notifications, and analyst notes."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from vaka.policy.models import Marked, Shareable
from vaka.policy.visibility import ShareableQuerySet


class Note(Shareable):
    """A free-text analyst note carrying the full set of markings."""

    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)

    class Meta:
        ordering = ["-created"]
        verbose_name = _("note")
        verbose_name_plural = _("notes")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("intel:note", args=[self.pk])


class Submission(Marked):
    """One ingestion — a file, a paste, an API call, a feed poll — and what came of it.

    A submission is marked like what it carried (the markings it was sent with): its file
    name, counts and rejected values reach only that audience within the organisation.
    """

    owner_path = "organisation_id"

    class Source(models.TextChoices):
        UPLOAD = "upload", _("Upload")
        PASTE = "paste", _("Paste")
        API = "api", _("API")
        CLI = "cli", _("Command line")
        TAXII = "taxii", _("TAXII")
        FEED = "feed", _("Feed")
        PEER = "peer", _("Connected instance")

    class Format(models.TextChoices):
        STIX = "stix", "STIX 2.1"
        MISP = "misp", "MISP JSON"
        CSV = "csv", "CSV"
        TEXT = "text", _("Free text")

    class Status(models.TextChoices):
        # Large inputs wait for a Celery worker when there is a broker (``intel.queued``).
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Being stored")
        STORED = "stored", _("Stored")
        PARTIAL = "partial", _("Stored in part")
        REJECTED = "rejected", _("Rejected, nothing stored")
        # The worker or the queue failed (not the input): nothing stored, send it again.
        FAILED = "failed", _("Failed, nothing stored")

    organisation = models.ForeignKey("directory.Organisation", on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("organisation"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                             blank=True, related_name="+", verbose_name=_("user"))
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    format = models.CharField(_("format"), max_length=10, choices=Format.choices)
    filename = models.CharField(_("file"), max_length=255, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    received = models.DateTimeField(_("received"), auto_now_add=True, db_index=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    new = models.PositiveIntegerField(_("new"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    rejected = models.PositiveIntegerField(_("rejected"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    # Problems beyond the first MAX_ERRORS are counted, not kept.
    more_errors = models.PositiveIntegerField(_("further errors"), default=0)
    # New versions stored with their object's stricter markings (a version never widens).
    kept_markings = models.PositiveIntegerField(_("kept stricter markings"), default=0)
    markings = models.JSONField(_("markings applied"), default=dict, blank=True)
    # What it was, in its sender's words: a file name, a feed's or peer's name, an API
    # token's name; a paste has none and is named by its length (``pasted_lines``).
    name = models.CharField(_("name"), max_length=255, blank=True)
    pasted_lines = models.PositiveIntegerField(null=True, blank=True)
    # The advisory as it came (``intel.originals``): a file in the default storage, not
    # the database, since uploads may be up to VAKA_MAX_UPLOAD_MB.
    original = models.FileField(_("original"), upload_to="submissions/%Y/%m/", blank=True,
                                max_length=200)
    original_type = models.CharField(_("content type"), max_length=100, blank=True)
    original_size = models.PositiveBigIntegerField(_("size"), default=0)
    # While queued or being stored: what the worker is to do (format, options, markings as
    # ids, where the bytes wait); cleared when it is done (``intel.queued``).
    job = models.JSONField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-received"]
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")

    def __str__(self) -> str:
        return f"{self.get_format_display()} {self.title}"

    @property
    def pending(self) -> bool:
        """Still waiting for a worker or being stored by one."""
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def title(self) -> str:
        """What it was: its name, "Paste of 12 lines", or its file name (older rows)."""
        if self.pasted_lines is not None:
            return ngettext("Paste of %(count)d line", "Paste of %(count)d lines",
                            self.pasted_lines) % {"count": self.pasted_lines}
        return self.name or self.filename or str(self.get_source_display())

    def get_absolute_url(self) -> str:
        return reverse("intel:submission", args=[self.pk])

    def summary(self) -> dict[str, object]:
        return {"submission": self.pk, "status": self.status, "new": self.new,
                "updated": self.updated, "unchanged": self.unchanged,
                "rejected": self.rejected, "kept_markings": self.kept_markings,
                "errors": self.errors, "more_errors": self.more_errors}


class StixObject(Shareable):
    """The current version of one STIX 2.1 object, as one agency holds it.

    The full JSON is kept as received; the columns are what queries need. Two agencies
    holding the same STIX id hold two records, each with its own markings — and so may
    one agency, when a colleague submits an object they may not see (a submission only
    ever adds versions to records its submitter may see). The markings are the current
    version's.
    """

    # Every index slows bulk ingestion, so only those queries use are kept: the owner is
    # covered by (owner, stix_id), the type by (type, stix_modified); creator, audience,
    # record creation time and the revoked flag are never searched on their own.
    owner = models.ForeignKey("directory.Organisation", on_delete=models.PROTECT,
                              related_name="+", db_index=False,
                              verbose_name=_("owner organisation"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+", db_index=False,
                                   verbose_name=_("created by"))
    audience = models.ForeignKey("policy.Audience", on_delete=models.PROTECT, null=True,
                                 blank=True, related_name="+", db_index=False,
                                 verbose_name=_("audience"))
    created = models.DateTimeField(_("created"), default=timezone.now)
    stix_id = models.CharField(_("STIX id"), max_length=120, db_index=True)
    type = models.CharField(_("type"), max_length=40)
    name = models.CharField(_("name"), max_length=300, blank=True)
    description = models.TextField(_("description"), blank=True)
    stix_created = models.DateTimeField(_("STIX created"), null=True, blank=True)
    stix_modified = models.DateTimeField(_("STIX modified"), null=True, blank=True,
                                         db_index=True)
    version_key = models.CharField(max_length=80)
    created_by_ref = models.CharField(_("created by"), max_length=120, blank=True)
    confidence = models.PositiveSmallIntegerField(_("confidence"), null=True, blank=True)
    labels = models.JSONField(_("labels"), default=list, blank=True)
    # "|label|label|": lets every database filter by label with a plain LIKE.
    label_text = models.TextField(blank=True, default="")
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    revoked = models.BooleanField(_("revoked"), default=False)
    data = models.JSONField(_("STIX JSON"))
    submission = models.ForeignKey(Submission, on_delete=models.SET_NULL, null=True,
                                   blank=True, related_name="+")

    class Meta:
        ordering = ["-stix_modified", "-pk"]
        verbose_name = _("STIX object")
        verbose_name_plural = _("STIX objects")
        indexes = [models.Index(fields=["owner", "stix_id"], name="intel_object_owner_stix"),
                   models.Index(fields=["type", "stix_modified"]),
                   # TAXII and sync page through objects in the order they were added.
                   models.Index(fields=["modified", "id"], name="intel_object_added"),
                   # The list's sortable columns (web.pagination.SORTABLE): a keyset page
                   # walks these instead of sorting every visible row (1 s at 1,000,000).
                   models.Index(fields=["name", "id"], name="intel_object_name"),
                   models.Index(fields=["type", "id"], name="intel_object_type"),
                   # The type filter sorted by name: SQLite otherwise reads every row of the
                   # type through (type, id) and sorts them (1 s a page at 1,000,000).
                   models.Index(fields=["type", "name", "id"], name="intel_object_type_name")]

    def __str__(self) -> str:
        return self.name or self.stix_id

    def get_absolute_url(self) -> str:
        return reverse("intel:object", args=[self.pk])


class StixObjectVersion(Marked):
    """Every version of an object received: a newer ``modified`` is a new version.

    Each version carries its own markings and is served only to its own audience; a new
    version never widens what earlier ones said (only the owner's re-mark does).
    The current version's JSON lives on the object (``data`` is null here), so a new
    object's JSON is written once; it is copied here when a newer version replaces it.
    """

    owner_path = "object__owner_id"
    audience = models.ForeignKey("policy.Audience", on_delete=models.PROTECT, null=True,
                                 blank=True, related_name="+", db_index=False,
                                 verbose_name=_("audience"))
    # Indexed through the (object, version_key) constraint.
    object = models.ForeignKey(StixObject, on_delete=models.CASCADE, related_name="versions",
                               db_index=False)
    version_key = models.CharField(max_length=80)
    stix_modified = models.DateTimeField(null=True, blank=True)
    data = models.JSONField(null=True, blank=True)
    submission = models.ForeignKey(Submission, on_delete=models.SET_NULL, null=True,
                                   blank=True, related_name="+", db_index=False)
    added = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-stix_modified", "-pk"]
        constraints = [models.UniqueConstraint(fields=["object", "version_key"],
                                               name="intel_version_object_key")]
        indexes = [models.Index(fields=["added", "id"], name="intel_version_added")]

    def __str__(self) -> str:
        return f"{self.object_id} {self.version_key}"

    @property
    def stix(self) -> dict:
        """This version's STIX JSON."""
        return self.data if self.data is not None else self.object.data


class Observable(models.Model):
    """One (kind, canonical value) an object carries: in a pattern, or as an observable."""

    object = models.ForeignKey(StixObject, on_delete=models.CASCADE, related_name="observables")
    kind = models.CharField(_("type"), max_length=8)
    value = models.TextField(_("value"))
    value_hash = models.BigIntegerField(db_index=True)
    # Names of the warninglists the value is on; such values never correlate.
    warninglists = models.TextField(blank=True, default="")

    class Meta:
        verbose_name = _("observable")
        verbose_name_plural = _("observables")

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


class HitNotification(models.Model):
    """Someone outside a record's audience checked or ingested one of its values."""

    class Channel(models.TextChoices):
        INGEST = "ingest", _("Ingested")
        LOOKUP = "lookup", _("Looked up")

    object = models.ForeignKey(StixObject, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8)
    value = models.TextField(_("value"))
    asked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                 null=True, related_name="+", verbose_name=_("asked by"),
                                 db_index=False)
    asked_by_organisation = models.ForeignKey(
        "directory.Organisation", on_delete=models.SET_NULL, null=True, related_name="+",
        verbose_name=_("organisation"), db_index=False)
    channel = models.CharField(_("how"), max_length=8, choices=Channel.choices)
    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("hit notification")
        verbose_name_plural = _("hit notifications")

    def __str__(self) -> str:
        return f"{self.kind}:{self.value} ← {self.asked_by_organisation}"


class WarninglistEntry(models.Model):
    """An admin's own exclusion: values that must never correlate (e.g. our own servers)."""

    kind = models.CharField(_("type"), max_length=8)
    value = models.CharField(_("value, network or domain"), max_length=300)
    note = models.CharField(_("why"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, related_name="+")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "value"]
        constraints = [models.UniqueConstraint(fields=["kind", "value"],
                                               name="intel_warninglist_kind_value")]
        verbose_name = _("warninglist entry")
        verbose_name_plural = _("warninglist entries")

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


class ExportLink(models.Model):
    """A saved export a firewall or DNS resolver fetches by URL, with no header or session.

    The export is always computed as ``user`` sees it at the time of the fetch. Only the
    SHA-256 of the key is stored; the key is shown once, when the link is made.
    """

    class Format(models.TextChoices):
        STIX = "stix", "STIX 2.1"
        MISP = "misp", "MISP JSON"
        CSV = "csv", "CSV"
        IP = "ip", _("IP address blocklist")
        DOMAIN = "domain", _("Domain blocklist")
        URL = "url", _("URL blocklist")
        HASH = "hash", _("File hash blocklist")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="export_links", verbose_name=_("user"))
    name = models.CharField(_("name"), max_length=100)
    format = models.CharField(_("format"), max_length=8, choices=Format.choices)
    # The filters of GET /api/objects/ (StixObjectFilter), e.g. {"country": "FJ"}.
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    hint = models.CharField(max_length=12, editable=False)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    last_used = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked = models.BooleanField(_("revoked"), default=False)

    class Meta:
        ordering = ["-created"]
        verbose_name = _("export link")
        verbose_name_plural = _("export links")

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"


class Withdrawal(models.Model):
    """A record connected instances may hold was narrowed or deleted by its owner: at
    their next sync they are sent its current markings, or told to drop their copy."""

    class Reason(models.TextChoices):
        REMARKED = "remarked", _("Re-marked")
        DELETED = "deleted", _("Deleted")

    owner = models.ForeignKey("directory.Organisation", on_delete=models.CASCADE,
                              related_name="+", verbose_name=_("owner organisation"))
    stix_id = models.CharField(_("STIX id"), max_length=120)
    reason = models.CharField(_("reason"), max_length=10, choices=Reason.choices)
    # The markings the record had before: only instances they reached hear of it.
    distribution = models.CharField(_("distribution"), max_length=16)
    tlp = models.CharField(_("TLP"), max_length=16)
    audience = models.ForeignKey("policy.Audience", on_delete=models.PROTECT, null=True,
                                 blank=True, related_name="+")
    at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["at", "id"], name="intel_withdrawal_at")]
        verbose_name = _("withdrawal")
        verbose_name_plural = _("withdrawals")

    def __str__(self) -> str:
        return f"{self.stix_id} ({self.reason})"


# --- Analytics figures (``vaka.products.figures``) ---------------------------------------

class FigureClass(models.Model):
    """Current objects sharing an owner and markings, hence one audience: whoever may see
    one of them may see them all. The analytics figures are counted per class, so the one
    policy filter (``visible_to``) over this small table selects exactly what a viewer's
    figures may count. Rebuilt with the figures on each refresh."""

    owner = models.ForeignKey("directory.Organisation", on_delete=models.CASCADE,
                              related_name="+", db_index=False)
    distribution = models.CharField(max_length=16)
    tlp = models.CharField(max_length=16)
    audience = models.ForeignKey("policy.Audience", on_delete=models.CASCADE, null=True,
                                 blank=True, related_name="+", db_index=False)

    objects = ShareableQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.owner_id} {self.distribution} {self.tlp} {self.audience_id}"


class ObjectFigure(models.Model):
    """How many current (not revoked) objects of one class, added in one month, of one
    type, carry ``key`` of ``dimension`` (``all``: every object, key empty). ``crime_type``
    empty counts every object; a code counts only those of that crime type, so the figures
    can be filtered by crime type."""

    figure_class = models.ForeignKey(FigureClass, on_delete=models.CASCADE, related_name="+",
                                     db_index=False)
    month = models.DateField()
    type = models.CharField(max_length=40)
    crime_type = models.CharField(max_length=40, blank=True)
    dimension = models.CharField(max_length=16)
    key = models.CharField(max_length=300, blank=True)
    count = models.PositiveIntegerField()

    class Meta:
        # Covering: a page reads the rows of its dimension and visible classes from the
        # index alone.
        indexes = [models.Index(fields=["crime_type", "dimension", "figure_class", "month",
                                        "type", "key", "count"], name="intel_figure_lookup")]

    def __str__(self) -> str:
        return f"{self.dimension}:{self.key} {self.month:%Y-%m} {self.count}"


class ValueFigure(models.Model):
    """How many (``count``) current objects of one class, month, type (and crime type, as
    above) carry the value ``value_hash`` (``Observable.value_hash``) — only for values that
    more than one object carries, outside every warninglist. No value is stored here: pages
    name a value only after finding it on an object the viewer may see."""

    figure_class = models.ForeignKey(FigureClass, on_delete=models.CASCADE, related_name="+",
                                     db_index=False)
    month = models.DateField()
    type = models.CharField(max_length=40)
    crime_type = models.CharField(max_length=40, blank=True)
    value_hash = models.BigIntegerField()
    count = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["crime_type", "figure_class", "month", "type",
                                        "value_hash", "count"],
                                name="intel_valuefigure_lookup")]

    def __str__(self) -> str:
        return f"{self.value_hash} {self.month:%Y-%m} {self.count}"


class FigureRefresh(models.Model):
    """The one row saying when the figures were last computed, and how long it took."""

    finished = models.DateTimeField(null=True, blank=True)
    seconds = models.FloatField(default=0)
    counted = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"figures as of {self.finished}"
