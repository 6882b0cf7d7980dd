"""REST API of the exports: the filtered object list as STIX, MISP or CSV, and blocklists."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import QueryDict, StreamingHttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.views import APIView

from vaka.intel import exports, selectors
from vaka.intel.api.store import StixObjectFilter
from vaka.intel.models import StixObject

TRUE, FALSE = ("1", "true", "yes"), ("0", "false", "no", "")


def filtered_objects(user: Any, params: QueryDict | dict[str, Any]
                     ) -> tuple[QuerySet[StixObject], dict[str, str]]:
    """The objects ``user`` may see, filtered as ``GET /api/objects/`` filters them, and the
    filters used; a bad filter value raises ValidationError naming the parameter."""
    if not isinstance(params, QueryDict):
        query = QueryDict(mutable=True)
        query.update({key: str(value) for key, value in params.items()})
        params = query
    include = params.get("include_revoked", "").lower() in TRUE
    filterset = StixObjectFilter(params, queryset=selectors.objects_for(
        user, include_revoked=include))
    if not filterset.is_valid():
        raise ValidationError({name: list(errors) for name, errors in filterset.errors.items()})
    used = {name: params[name] for name in filterset.filters if params.get(name, "") != ""}
    return filterset.qs, used


def streaming(result: exports.Export, *, inline: bool = False) -> StreamingHttpResponse:
    response = StreamingHttpResponse(result.chunks, content_type=result.content_type)
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{result.filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


class _FormatIsNotARenderer(DefaultContentNegotiation):
    """Here ``?format=`` names the export format, not a DRF renderer: errors are JSON."""

    def select_renderer(self, request: Request, renderers: list, format_suffix: str | None = None
                        ) -> tuple[Any, str]:
        return renderers[0], renderers[0].media_type


_FILTERS = [
    OpenApiParameter("type", str), OpenApiParameter("owner", int),
    OpenApiParameter("country", str), OpenApiParameter("tlp", str),
    OpenApiParameter("label", str), OpenApiParameter("modified_after", OpenApiTypes.DATETIME),
    OpenApiParameter("modified_before", OpenApiTypes.DATETIME),
    OpenApiParameter("has_correlations", bool), OpenApiParameter("search", str),
]


class ExportView(APIView):
    renderer_classes = [JSONRenderer]
    content_negotiation_class = _FormatIsNotARenderer


class ObjectExportView(ExportView):
    @extend_schema(
        operation_id="objects_export",
        parameters=[OpenApiParameter("format", str, enum=list(exports.FORMATS), required=True),
                    OpenApiParameter("include_revoked", bool), *_FILTERS],
        responses={(200, "application/stix+json"): OpenApiTypes.STR,
                   (200, "application/json"): OpenApiTypes.OBJECT,
                   (200, "text/csv"): OpenApiTypes.STR})
    def get(self, request: Request) -> StreamingHttpResponse:
        """The objects you may see that match the filters of `GET /api/objects/`, as a STIX
        2.1 bundle (`format=stix`), one MISP event (`misp`, at most 20,000 objects) or CSV
        (`csv`). Each object carries its own TLP marking."""
        fmt = request.query_params.get("format", "")
        if fmt not in exports.FORMATS:
            raise ValidationError({"format": _("Choose one of: %s.") % ", ".join(exports.FORMATS)})
        objects, filters = filtered_objects(request.user, request.query_params)
        return streaming(exports.export(objects, fmt, user=request.user, filters=filters,
                                        request=request))


def wants_header(params: QueryDict) -> bool:
    value = params.get("header", "").lower()
    if value not in TRUE + FALSE:
        raise ValidationError({"header": _("Use 1 or 0.")})
    return value in TRUE


class BlocklistView(ExportView):
    @extend_schema(
        operation_id="blocklist",
        parameters=[OpenApiParameter("kind", str, OpenApiParameter.PATH,
                                     enum=list(exports.BLOCKLISTS)),
                    OpenApiParameter("header", bool, description="Start with a # comment line."),
                    *_FILTERS],
        responses={(200, "text/plain"): OpenApiTypes.STR})
    def get(self, request: Request, kind: str) -> StreamingHttpResponse:
        """One value a line, sorted: IP addresses and networks (`ip`), domains, URLs or file
        hashes (MD5, SHA-1, SHA-256, SHA-512) of the indicators you may see that match the
        filters and may be blocked: not revoked or expired, PAP:CLEAR or PAP:GREEN, not
        TLP:RED, and on no warninglist."""
        if kind not in exports.BLOCKLISTS:
            raise ValidationError({"kind": _("Choose one of: %s.")
                                   % ", ".join(exports.BLOCKLISTS)})
        header = wants_header(request.query_params)
        objects, filters = filtered_objects(request.user, request.query_params)
        return streaming(exports.export(objects, kind, user=request.user, filters=filters,
                                        request=request, header=header), inline=True)
