"""Every row of every table, for comparing an instance with its restored copy."""

import hashlib
import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from django.apps import apps
from django.core.files.storage import default_storage
from django.db import models


def snapshot() -> dict[str, list[str]]:
    """Each model's rows (all concrete fields, many-to-many tables included) by primary key,
    as ``repr`` strings so two processes can compare them."""
    rows = {}
    for model in apps.get_models(include_auto_created=True):
        fields = [field.attname for field in model._meta.concrete_fields]
        rows[model._meta.label] = [repr(row) for row in
                                   model._base_manager.order_by("pk").values_list(*fields)]
    return rows


def stored_files() -> dict[str, str]:
    root = Path(default_storage.location)
    return {path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(root.rglob("*")) if path.is_file()}


def dump(path: str) -> None:
    """Run in the restored instance (``vaka shell -c``): write both to ``path`` as JSON."""
    Path(path).write_text(json.dumps({"rows": snapshot(), "files": stored_files()}))


def _value(field: models.Field, model: type[models.Model]) -> object:
    if field.is_relation:
        related = field.related_model
        return related._base_manager.first() or fill(related)
    if field.choices:
        return field.choices[0][0]
    if isinstance(field, models.BooleanField):
        return True
    if isinstance(field, models.IntegerField | models.FloatField):
        return 1
    if isinstance(field, models.DecimalField):
        return Decimal("1")
    if isinstance(field, models.DateTimeField):
        return datetime(2026, 12, 1, 4, 30, tzinfo=UTC)
    if isinstance(field, models.DateField):
        return datetime(2026, 12, 1).date()
    if isinstance(field, models.UUIDField):
        return uuid.uuid4()
    if isinstance(field, models.GenericIPAddressField):
        return "192.0.2.7"
    if isinstance(field, models.JSONField):
        return {"filled": model._meta.label}
    if isinstance(field, models.BinaryField):
        return b"\x00bytes"
    if isinstance(field, models.URLField):
        return "https://feeds.example.org/feed"
    if isinstance(field, models.EmailField):
        return "someone@example.org"
    return f"{model._meta.model_name}-row"[: field.max_length or 60]


def fill(model: type[models.Model]) -> models.Model:
    """One row of ``model`` with a value for every field that needs one: for the models
    no demo or factory fills, so that every table is in the round trip."""
    values = {}
    for field in model._meta.concrete_fields:
        if field.auto_created or field.null or field.has_default() or getattr(
                field, "auto_now", False) or getattr(field, "auto_now_add", False):
            continue
        values[field.name] = _value(field, model)
    return model._base_manager.create(**values)
