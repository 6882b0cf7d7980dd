"""REST API of the exports: the filtered object list as STIX, MISP or CSV, and blocklists."""

from typing import Any

from django.core.exceptions import ValidationError
from django.http import QueryDict, StreamingHttpResponse
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.views import APIView

from vaka.intel import exports
from vaka.intel.filtersets import StixObjectFilter, filtered_objects
from vaka.web.throttling import ExportsThrottle

TRUE, FALSE = ("1", "true", "yes"), ("0", "false", "no", "")


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


def _parameter(name: str, spec: Any) -> OpenApiParameter:
    kind: Any = str
    if isinstance(spec, filters.IsoDateTimeFilter):
        kind = OpenApiTypes.DATETIME
    elif isinstance(spec, filters.DateFilter):
        kind = OpenApiTypes.DATE
    elif isinstance(spec, filters.BooleanFilter):
        kind = bool
    elif isinstance(spec, filters.ModelChoiceFilter):
        kind = int
    choices = spec.extra.get("choices")
    return OpenApiParameter(name, kind, enum=[c for c, _label in choices] if choices else None,
                            description=str(spec.extra.get("help_text") or ""))


# The object list's own filters (``intel.filtersets``), described for the schema.
_FILTERS = [_parameter(name, spec) for name, spec in StixObjectFilter.base_filters.items()
            if name != "include_revoked"]


class ExportView(APIView):
    renderer_classes = [JSONRenderer]
    content_negotiation_class = _FormatIsNotARenderer
    throttle_classes = [ExportsThrottle]


class ObjectExportView(ExportView):
    @extend_schema(
        operation_id="objects_export",
        parameters=[OpenApiParameter("format", str, enum=list(exports.FORMATS), required=True),
                    OpenApiParameter("include_revoked", bool),
                    OpenApiParameter("products", bool, description=(
                        "STIX only: add the report of every disseminated threat alert "
                        "and assessment you may read (the object filters do not apply).")),
                    *_FILTERS],
        responses={(200, "application/stix+json"): OpenApiTypes.OBJECT,
                   (200, "application/json"): OpenApiTypes.OBJECT,
                   (200, "text/csv"): OpenApiTypes.STR})
    def get(self, request: Request) -> StreamingHttpResponse:
        """The objects you may see that match the filters of `GET /api/objects/`, as a STIX
        2.1 bundle (`format=stix`), one MISP event (`misp`, at most 20,000 objects) or CSV
        (`csv`). Each object carries its own TLP marking. `products=1` adds to a STIX bundle
        the reports of the disseminated threat alerts and assessments you may read."""
        fmt = request.query_params.get("format", "")
        if fmt not in exports.FORMATS:
            raise ValidationError({"format": _("Choose one of: %s.") % ", ".join(exports.FORMATS)})
        with_products = wants_flag(request.query_params, "products")
        if with_products and fmt != "stix":
            raise ValidationError({"products": _("Products are exported in STIX only.")})
        objects, filters = filtered_objects(request.user, request.query_params)
        reports = product_reports(request.user) if with_products else None
        return streaming(exports.export(objects, fmt, user=request.user, filters=filters,
                                        request=request, reports=reports))


def product_reports(user: Any) -> list[dict[str, Any]]:
    """The report of each disseminated alert and assessment ``user`` may read, as of the
    newest revision in their audience."""
    from vaka.products import stix

    revisions = list(stix.newest(stix.released_revisions(user))
                     .select_related("product__owner").order_by("product_id"))
    return stix.reports(user, revisions)



def wants_flag(params: QueryDict, name: str) -> bool:
    value = params.get(name, "").lower()
    if value not in TRUE + FALSE:
        raise ValidationError({name: _("Use 1 or 0.")})
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
        header = wants_flag(request.query_params, "header")
        objects, filters = filtered_objects(request.user, request.query_params)
        return streaming(exports.export(objects, kind, user=request.user, filters=filters,
                                        request=request, header=header), inline=True)
