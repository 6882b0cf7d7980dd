"""Countries, organisations, users, communities and API tokens."""

import hashlib
import secrets
import uuid
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, ThrottlingMixin, TimestampMixin
from django_otp.plugins.otp_totp import models as otp_totp

from vaka.directory.roles import CAPABILITIES, GATES, TWO_FACTOR_REQUIRED, Capability, Role
from vaka.policy.crypto import EncryptedTextField


class Programme(models.Model):
    """A regional programme countries take part in (ASPJOC, Blue Pacific)."""

    code = models.SlugField(_("code"), primary_key=True, max_length=40)
    name = models.CharField(_("name"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True)
    coordinators = models.ManyToManyField(
        "directory.User", related_name="programmes_coordinated", blank=True,
        verbose_name=_("coordinators"),
        help_text=_("They see the training records of the programme's sessions."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")

    def __str__(self) -> str:
        return self.name


class Country(models.Model):
    """A country, keyed by its ISO 3166-1 alpha-2 code."""

    code = models.CharField(_("ISO code"), primary_key=True, max_length=2)
    alpha3 = models.CharField(_("ISO alpha-3"), max_length=3, unique=True)
    name = models.CharField(_("name"), max_length=200, unique=True)
    programmes = models.ManyToManyField(
        Programme, related_name="countries", blank=True, verbose_name=_("programmes")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("country")
        verbose_name_plural = _("countries")

    def __str__(self) -> str:
        return self.name


class Organisation(models.Model):
    class Kind(models.TextChoices):
        DESK = "desk", _("Regional operations desk")
        NCB = "ncb", _("National central bureau")
        POLICE_UNIT = "police_unit", _("Police unit")
        COORDINATION_CENTRE = "coordination_centre", _("Coordination centre")
        CERT = "cert", _("CERT")
        IGO = "igo", _("Intergovernmental organisation")
        PRIVATE_PARTNER = "private_partner", _("Private-sector partner")

    name = models.CharField(_("name"), max_length=200)
    short_name = models.CharField(_("short name"), max_length=40, blank=True)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    country = models.ForeignKey(
        Country, on_delete=models.PROTECT, null=True, blank=True,
        related_name="organisations", verbose_name=_("country"),
    )
    # TLP:AMBER reaches a recipient organisation "and its clients": the organisations a
    # recipient serves (an NCB's national units) name it here.
    served_by = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="clients", verbose_name=_("served by"),
        help_text=_("TLP:AMBER shared with that organisation also reaches this one."),
    )
    contact_email = models.EmailField(_("contact email"), blank=True)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # Set on the local stand-in of an organisation of a connected instance: the owner of
    # what that instance shares here. Its records are read-only here and never re-shared.
    origin = models.ForeignKey(
        "exchange.Peer", on_delete=models.PROTECT, null=True, blank=True,
        related_name="organisations", verbose_name=_("connected instance"),
        help_text=_("Empty for this instance's own organisations."),
    )
    # Stable across instances and renames: the STIX ids Vaka makes from bare values (CSV
    # rows, free text) are derived from it, so two agencies never share one.
    uid = models.UUIDField(_("identifier"), default=uuid.uuid4, unique=True, editable=False)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        # Names are unique among this instance's organisations, and per connected instance
        # among the stand-ins: a peer may well have an organisation named like one of ours.
        constraints = [
            models.UniqueConstraint(fields=["name"], condition=models.Q(origin__isnull=True),
                                    name="directory_organisation_local_name"),
            models.UniqueConstraint(fields=["name", "origin"],
                                    condition=models.Q(origin__isnull=False),
                                    name="directory_organisation_remote_name"),
        ]

    def __str__(self) -> str:
        if self.origin_id:  # a stand-in: say where it is from
            return f"{self.name} ({self.origin.name})"
        return self.name


class VakaUserManager(UserManager):
    def create_superuser(self, username: str, email: str | None = None,
                         password: str | None = None, **extra: object) -> "User":
        """`vaka createsuperuser` makes a platform admin (Vaka's rights come from roles)."""
        extra.setdefault("role", Role.PLATFORM_ADMIN)
        return super().create_superuser(username, email, password, **extra)


class User(AbstractUser):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="users",
        null=True, blank=True, verbose_name=_("organisation"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.VIEWER)
    language = models.CharField(
        _("interface language"), max_length=8, blank=True, choices=settings.LANGUAGES,
        help_text=_("Empty: follow the browser."),
    )
    phone = models.CharField(_("phone"), max_length=32, blank=True)

    objects = VakaUserManager()

    class Meta:
        ordering = ["username"]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def can(self, capability: Capability) -> bool:
        """Whether the user's role grants ``capability`` and every gate allows it (an
        organisation may require a course's completion first: ``training.requirements``)."""
        if not (self.is_active and capability in CAPABILITIES.get(self.role, frozenset())):
            return False
        return all(gate(self, capability) for gate in GATES)

    @property
    def requires_two_factor(self) -> bool:
        return self.role in TWO_FACTOR_REQUIRED


class Community(models.Model):
    """A named set of organisations that share together (MISP's sharing group)."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True)
    members = models.ManyToManyField(
        Organisation, related_name="communities", blank=True, verbose_name=_("members")
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("community")
        verbose_name_plural = _("communities")

    def __str__(self) -> str:
        return self.name


TOKEN_PREFIX = "vaka_"


def hash_token(key: str) -> str:
    # Tokens carry 256 bits of randomness, so a fast digest is as strong as a slow one here.
    return hashlib.sha256(key.encode()).hexdigest()


class ApiToken(models.Model):
    """A REST API credential. Only the SHA-256 of the key is stored; the key is shown once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    hint = models.CharField(max_length=12, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    expires = models.DateTimeField(_("expires"), null=True, blank=True)
    last_used = models.DateTimeField(null=True, blank=True, editable=False)
    revoked = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"

    @staticmethod
    def generate_key() -> str:
        return TOKEN_PREFIX + secrets.token_urlsafe(32)

    def is_valid(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.revoked is None and (self.expires is None or self.expires > now)


RECOVERY_CODE_COUNT = 10


def hash_recovery_code(user_pk: int, code: str) -> str:
    """A keyed hash of a (normalised) recovery code, bound to its user.

    Django's password hashers would cost a slow hash per stored code at every try; the
    codes carry 60 random bits, and without the secret key a stolen table tells nothing.
    """
    return salted_hmac("vaka.directory.recovery-code", f"{user_pk}:{code}",
                       algorithm="sha256").hexdigest()


class RecoveryCode(models.Model):
    """A one-time code that stands in for the authenticator app; only its keyed hash is kept."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recovery_codes"
    )
    code_hash = models.CharField(max_length=64, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    used = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["created", "pk"]
        verbose_name = _("recovery code")
        verbose_name_plural = _("recovery codes")
        constraints = [models.UniqueConstraint(fields=["user", "code_hash"],
                                               name="recovery_code_unique_per_user")]

    def __str__(self) -> str:
        return f"{self.user} ({_('used') if self.used else _('unused')})"


class TOTPDevice(TimestampMixin, ThrottlingMixin, Device):
    """A user's authenticator app (TOTP, RFC 6238), its secret encrypted at rest.

    django-otp's own ``otp_totp.TOTPDevice`` keeps the secret as hex in plain text, in an
    80-character column the ciphertext does not fit (on PostgreSQL). This model has the same
    columns but an encrypted key, and borrows that model's methods one by one, so checking
    a code (time steps, drift, the replay guard, throttling) stays django-otp's own.
    Migration 0006 moved the devices of the other table here.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="totp_devices", verbose_name=_("user"))
    key = EncryptedTextField(max_length=80, validators=[otp_totp.key_validator],
                             default=otp_totp.default_key)
    step = models.PositiveSmallIntegerField(default=30)
    t0 = models.BigIntegerField(default=0)
    digits = models.PositiveSmallIntegerField(choices=[(6, 6), (8, 8)], default=6)
    tolerance = models.PositiveSmallIntegerField(default=1)
    drift = models.SmallIntegerField(default=0)
    last_t = models.BigIntegerField(default=-1)

    bin_key = otp_totp.TOTPDevice.bin_key
    verify_token = otp_totp.TOTPDevice.verify_token
    get_throttle_factor = otp_totp.TOTPDevice.get_throttle_factor
    config_url = otp_totp.TOTPDevice.config_url
    _read_str_from_settings = otp_totp.TOTPDevice._read_str_from_settings

    class Meta(Device.Meta):
        verbose_name = _("authenticator app")
        verbose_name_plural = _("authenticator apps")
