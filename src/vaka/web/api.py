"""API error bodies: always JSON with ``detail`` and, for invalid input, per-field errors."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.extensions import OpenApiSerializerExtension
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def as_drf_error(exc: DjangoValidationError) -> serializers.ValidationError:
    if hasattr(exc, "error_dict"):
        return serializers.ValidationError(exc.message_dict)
    return serializers.ValidationError({"detail": exc.messages})


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        exc = as_drf_error(exc)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(
            " ".join(filter(None, [str(exc), _training_first(context)])) or None)
    return drf_exception_handler(exc, context)


def _training_first(context: dict[str, Any]) -> str:
    """What training the caller must complete first, when a capability their role grants
    was held back in this request (``vaka.training.requirements``); else empty."""
    from django.utils.translation import gettext as _

    from vaka.training.requirements import refused

    request = context.get("request")
    courses = {course.pk: course.title for held in refused(getattr(request, "user", None))
               .values() for course in held}
    return " ".join(_("Complete “%(course)s” first.") % {"course": title}
                    for title in courses.values())


class ErrorSerializer(serializers.Serializer):
    """An error body, as ``exception_handler`` answers it, for the OpenAPI schema only (its
    shape is ``ErrorSchema``'s)."""


class ErrorSchema(OpenApiSerializerExtension):
    """An object of messages: its names are the request's fields, so no serializer field
    can state them."""

    target_class = ErrorSerializer

    def map_serializer(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        messages = {"type": "array", "items": {"type": "string"}}
        return {"type": "object", "description": (
            "What was wrong: `detail` for the request as a whole, else each invalid field "
            "with its messages (an object of them by position for a list field)."),
            "additionalProperties": {"oneOf": [{"type": "string"}, messages,
                                               {"type": "object"}]}}
