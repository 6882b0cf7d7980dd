"""Secrets at rest: feed and peer credentials and TOTP secrets are encrypted in the database.

Values are encrypted with Fernet (AES-128-CBC and HMAC-SHA256, from ``cryptography``) under
``settings.ENCRYPTION_KEY`` (``VAKA_ENCRYPTION_KEY``). Without one, the key is derived from
``SECRET_KEY`` by HKDF-SHA256 with the fixed info label :data:`DERIVATION_LABEL`, so it is
never the same bytes as Django's signing key. Keys in ``ENCRYPTION_KEYS_PREVIOUS`` still
decrypt; ``vaka secrets rotate`` re-encrypts every stored value under the current key and
``vaka secrets check`` tells how many values each key decrypts.

A stored value is :data:`PREFIX` followed by the Fernet token. A value without the prefix is
a plain one written before encryption came in: it is read as it is, and the migrations and
``vaka secrets rotate`` encrypt it. A value that no configured key decrypts is never handed
out as if it were the secret: reading the attribute raises :class:`SecretUnreadable`, which
names the model, row and field.
"""

import base64
import binascii
import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.apps import apps
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.db import models, transaction
from django.db.models.functions import Cast
from django.db.models.query_utils import DeferredAttribute
from django.utils.translation import gettext as _

from vaka.policy import audit

PREFIX = "vaka-fernet:"
# HKDF's info: what the derived key is for. Changing it changes every derived key.
DERIVATION_LABEL = b"vaka.policy.crypto: encryption key for secrets at rest, v1"


# --- keys ----------------------------------------------------------------------------------

def derive_key(secret_key: str) -> bytes:
    """The Fernet key derived from Django's ``SECRET_KEY`` when no key is configured."""
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
               info=DERIVATION_LABEL).derive(secret_key.encode())
    return base64.urlsafe_b64encode(raw)


def new_key() -> str:
    """A fresh random key, for ``VAKA_ENCRYPTION_KEY``."""
    return Fernet.generate_key().decode()


def _checked(key: str, where: str) -> bytes:
    try:
        if len(base64.urlsafe_b64decode(key.encode())) == 32:
            return key.encode()
    except (binascii.Error, ValueError):
        pass
    raise ImproperlyConfigured(
        f"{where} is not an encryption key (32 bytes in URL-safe base64, 44 characters): "
        "make one with `vaka secrets new-key`.")


@functools.lru_cache(maxsize=8)
def _keyring(current: str, previous: tuple[str, ...], secret_key: str) -> tuple[bytes, ...]:
    first = (_checked(current.strip(), "VAKA_ENCRYPTION_KEY") if current.strip()
             else derive_key(secret_key))
    older = tuple(_checked(key, f"VAKA_ENCRYPTION_KEYS_PREVIOUS (item {number})")
                  for number, key in enumerate(previous, start=1))
    return (first, *(key for key in older if key != first))


def keys() -> tuple[bytes, ...]:
    """The current key, then the previous ones, from the settings (validated)."""
    return _keyring(settings.ENCRYPTION_KEY, tuple(settings.ENCRYPTION_KEYS_PREVIOUS),
                    settings.SECRET_KEY)


def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys()])


@checks.register(checks.Tags.security)
def check_keys(**kwargs: Any) -> list[checks.CheckMessage]:
    """Start-up check: a malformed key stops ``vaka serve``, ``migrate`` and ``check``."""
    try:
        keys()
    except ImproperlyConfigured as error:
        return [checks.Error(str(error), id="vaka.E010")]
    return []


# --- values --------------------------------------------------------------------------------

def is_encrypted(stored: str) -> bool:
    return stored.startswith(PREFIX)


def encrypt(plaintext: str) -> str:
    """The stored form of ``plaintext`` under the current key."""
    return PREFIX + _fernet().encrypt(plaintext.encode()).decode()


def decrypt(stored: str) -> str:
    """The plaintext of an encrypted value; a plain (legacy) value is returned as it is.

    Raises ``cryptography.fernet.InvalidToken`` when no configured key decrypts it.
    """
    if not is_encrypted(stored):
        return stored
    return _fernet().decrypt(stored[len(PREFIX):].encode()).decode()


def key_number(stored: str) -> int | None:
    """Which key decrypts ``stored``: 0 the current one, 1… the previous ones in order;
    None if none does (plain values count as the current key's: nothing to decrypt)."""
    if not is_encrypted(stored):
        return 0
    token = stored[len(PREFIX):].encode()
    for number, key in enumerate(keys()):
        try:
            Fernet(key).decrypt(token)
        except InvalidToken:
            continue
        return number
    return None


class SecretUnreadable(Exception):
    """A stored secret that no configured key decrypts (the encryption key changed)."""

    def __init__(self, model: str, row: Any, field_name: str) -> None:
        self.model, self.row, self.field_name = model, row, field_name
        super().__init__(_(
            "The stored %(field)s of %(model)s #%(row)s cannot be decrypted: the encryption "
            "key changed (see `vaka secrets check`). Restore the previous key in "
            "VAKA_ENCRYPTION_KEYS_PREVIOUS, or enter the secret again.")
            % {"field": field_name, "model": model, "row": row})

    # Templates that test such a value see it as missing instead of failing the page.
    silent_variable_failure = True


@dataclass(frozen=True)
class Stored:
    """A value exactly as it is stored: written back unchanged, never taken for the secret.

    What an undecryptable value loads as, so saving its row keeps it, and what
    :func:`rotate` writes through ``update()``."""

    text: str

    def __repr__(self) -> str:
        return "<undecryptable secret>"


# --- the model field -----------------------------------------------------------------------

class _SecretAttribute(DeferredAttribute):
    """Reading an undecryptable value raises :class:`SecretUnreadable` naming the row.

    A data descriptor (it has ``__set__``), so Python asks it even when the value is in
    the instance's ``__dict__``, where Django keeps loaded values."""

    def __get__(self, instance: Any, cls: Any = None) -> Any:
        value = super().__get__(instance, cls)
        if instance is not None and isinstance(value, Stored):
            raise SecretUnreadable(instance._meta.label, instance.pk, self.field.name)
        return value

    def __set__(self, instance: Any, value: Any) -> None:
        instance.__dict__[self.field.attname] = value


class EncryptedTextField(models.TextField):
    """Text encrypted on save and decrypted on load; forms and code see the plaintext.

    The empty string stays empty (that a feed has no password is no secret, and forms test
    it). Lookups by value do not work (each encryption differs): nothing filters on secrets.
    Dumps (``dumpdata``) carry the encrypted form, never the plaintext.
    """

    descriptor_class = _SecretAttribute

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        if not value:
            return value
        try:
            return decrypt(value)
        except InvalidToken:
            return Stored(value)

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str) and is_encrypted(value):  # from a dump: see value_to_string
            return self.from_db_value(value, None, None)
        return value if isinstance(value, Stored) else super().to_python(value)

    def get_prep_value(self, value: Any) -> Any:
        if isinstance(value, Stored):
            return value.text
        value = super().get_prep_value(value)
        return encrypt(value) if value else value

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        return model_instance.__dict__.get(self.attname)

    def value_from_object(self, obj: models.Model) -> Any:
        value = obj.__dict__.get(self.attname)
        return "" if isinstance(value, Stored) else value

    def value_to_string(self, obj: models.Model) -> str:
        value = obj.__dict__.get(self.attname)
        if isinstance(value, Stored):
            return value.text
        return encrypt(value) if value else (value or "")


def unreadable(instance: models.Model, name: str) -> bool:
    """Whether ``instance``'s secret ``name`` is stored but no key decrypts it."""
    return isinstance(instance.__dict__.get(name), Stored)


def kept(instance: models.Model, name: str) -> Any:
    """``instance``'s secret ``name`` as loaded, to save back unchanged (a form's "leave
    empty to keep it"): the plaintext, or the :class:`Stored` value no key decrypts."""
    return instance.__dict__.get(name, "")


def is_set(instance: models.Model, name: str) -> bool:
    """Whether ``instance`` holds a secret ``name``, readable or not (never raises)."""
    return bool(instance.__dict__.get(name))


class HasSecrets:
    """Mixin for models with encrypted fields: which of them no key decrypts (for pages,
    which must say so rather than fail or show the secret as missing)."""

    @property
    def unreadable_secrets(self) -> list[str]:
        instance: Any = self  # a model instance: the mixin is for models only
        return [f.name for f in instance._meta.local_fields
                if isinstance(f, EncryptedTextField) and unreadable(instance, f.attname)]


# --- every stored secret: check and rotate ---------------------------------------------------

def encrypted_fields() -> Iterator[tuple[type[models.Model], EncryptedTextField]]:
    """Every (model, field) that keeps secrets, across the installed apps."""
    for model in apps.get_models():
        for model_field in model._meta.local_fields:
            if isinstance(model_field, EncryptedTextField):
                yield model, model_field


def _raw_values(model: type[models.Model], name: str) -> Iterator[tuple[Any, str]]:
    """(pk, value as stored) of the non-empty values: the cast skips the decryption."""
    rows = (model._base_manager.exclude(**{name: ""}).exclude(**{f"{name}__isnull": True})
            .annotate(_stored=Cast(name, output_field=models.TextField()))
            .values_list("pk", "_stored").order_by("pk"))
    yield from rows.iterator(chunk_size=500)


def encrypt_plain(model: type[models.Model], *names: str) -> int:
    """For data migrations (historical models too): encrypt the plain values of the fields
    ``names`` under the current key; returns how many were encrypted."""
    done = 0
    for name in names:
        for pk, stored in list(_raw_values(model, name)):
            if not is_encrypted(stored):
                model._base_manager.filter(pk=pk).update(**{name: Stored(encrypt(stored))})
                done += 1
    return done


def decrypt_to_plain(model: type[models.Model], *names: str) -> int:
    """The reverse of :func:`encrypt_plain`, for going back to a release without encryption.
    A value no key decrypts stops it, naming the row (it cannot be written back as plain)."""
    done = 0
    for name in names:
        for pk, stored in list(_raw_values(model, name)):
            if is_encrypted(stored):
                try:
                    plain = decrypt(stored)
                except InvalidToken:
                    raise SecretUnreadable(model._meta.label, pk, name) from None
                model._base_manager.filter(pk=pk).update(**{name: Stored(plain)})
                done += 1
    return done


@dataclass
class FieldReport:
    """What a check or rotation found in one field: values by the key that decrypts them."""

    label: str  # "exchange.Feed.password"
    by_key: dict[int, int] = field(default_factory=dict)  # key number -> values
    plain: int = 0  # not yet encrypted
    unreadable: list[Any] = field(default_factory=list)  # pks no key decrypts
    rewritten: int = 0  # by rotate: the plain ones and those under a previous key, now
    # under the current one

    @property
    def total(self) -> int:
        return sum(self.by_key.values()) + self.plain + len(self.unreadable)


def check() -> list[FieldReport]:
    """How many stored values each key decrypts, field by field (reads only)."""
    reports = []
    for model, model_field in encrypted_fields():
        report = FieldReport(f"{model._meta.label}.{model_field.name}")
        for pk, stored in list(_raw_values(model, model_field.attname)):
            if not is_encrypted(stored):
                report.plain += 1
            elif (number := key_number(stored)) is None:
                report.unreadable.append(pk)
            else:
                report.by_key[number] = report.by_key.get(number, 0) + 1
        reports.append(report)
    return reports


def rotate(*, actor_name: str = "vaka secrets rotate") -> list[FieldReport]:
    """Re-encrypt under the current key every stored secret that is plain or under a
    previous key, and record it in the audit log. Values no key decrypts are left as they
    are and reported. Each field is rewritten in one transaction."""


    reports = []
    for model, model_field in encrypted_fields():
        report = FieldReport(f"{model._meta.label}.{model_field.name}")
        name = model_field.attname
        with transaction.atomic():
            for pk, stored in list(_raw_values(model, name)):
                if not is_encrypted(stored):
                    report.plain += 1
                elif (number := key_number(stored)) is None:
                    report.unreadable.append(pk)
                    continue
                else:
                    report.by_key[number] = report.by_key.get(number, 0) + 1
                    if number == 0:
                        continue
                fresh = encrypt(decrypt(stored))
                # Only if unchanged since read: an admin's new secret meanwhile is kept.
                report.rewritten += model._base_manager.filter(
                    pk=pk, **{name: Stored(stored)}).update(**{name: Stored(fresh)})
        reports.append(report)
    audit.record(audit.Action.SECRETS_ROTATE, actor_name=actor_name, detail={
        "rewritten": {r.label: r.rewritten for r in reports if r.rewritten},
        "unreadable": {r.label: r.unreadable[:100] for r in reports if r.unreadable},
        "keys": len(keys())})
    return reports
