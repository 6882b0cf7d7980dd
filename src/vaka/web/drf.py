"""Classes named in the REST framework's settings (parser, pagination).

Kept apart from ``web.api``: DRF imports these while ``rest_framework.views`` is still
loading, so this module must import nothing that imports it back.
"""

from typing import Any

from django.db.models import QuerySet
from rest_framework import exceptions, parsers
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from vaka.intel.parsing.jsonlimits import TooDeep, check_depth


class Pagination(BasePagination):
    """Keyset (cursor) paging for every API list, the paging of the HTML lists
    (``vaka.web.pagination``): ``next``/``previous`` carry a signed ``cursor``, ``page_size``
    sets the page length (up to 1,000), and ``count`` is exact up to the cap, then a string
    such as ``"1000+"`` (``VAKA_LIST_COUNT_CAP``); ``count=exact`` asks for the exact figure.
    A bad cursor, page size or count request is a 400 naming the parameter."""

    page_size_query_param = "page_size"
    max_page_size = 1000

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None
                          ) -> list[Any] | None:
        from vaka.web import pagination

        self.request = request
        size = self._size(request, view)
        try:
            exact = pagination.wants_exact_count(request.query_params.get("count"))
            if not isinstance(queryset, QuerySet):  # a list built in memory: one page of it
                rows = list(queryset)
                self.window = pagination.Window(rows[:size], None, None)
                self.count: int | str = len(rows)
                return self.window.rows
            self.window = pagination.window(
                queryset, size, request.query_params.get("cursor") or None)
            found, is_exact = pagination.capped_count(queryset, exact, self.window)
        except pagination.PageError as error:
            raise exceptions.ValidationError(error.message_dict) from None
        self.count = found if is_exact else f"{found}+"
        return self.window.rows

    def _size(self, request: Request, view: Any) -> int:
        from django.conf import settings

        default = getattr(view, "page_size", None) or settings.REST_FRAMEWORK["PAGE_SIZE"]
        raw = request.query_params.get(self.page_size_query_param, "")
        if raw == "":
            return default
        # isascii: "³" is a digit to isdigit(), not to int().
        if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= self.max_page_size:
            raise exceptions.ValidationError({self.page_size_query_param: [
                f"“{raw}” is not a page size: use a whole number from 1 to "
                f"{self.max_page_size}."]})
        return int(raw)

    def _link(self, cursor: str | None) -> str | None:
        if cursor is None:
            return None
        url = remove_query_param(self.request.build_absolute_uri(), "page")
        return replace_query_param(url, "cursor", cursor)

    def get_paginated_response(self, data: Any) -> Response:
        return Response({"count": self.count, "next": self._link(self.window.next_cursor),
                         "previous": self._link(self.window.previous_cursor),
                         "results": data})

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object", "required": ["count", "results"],
            "properties": {
                "count": {"oneOf": [{"type": "integer"}, {"type": "string"}],
                          "description": "Exact up to the cap; beyond it a string such as "
                          "\"1000+\" (ask count=exact for the exact figure)."},
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema}}

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {"name": "cursor", "required": False, "in": "query",
             "description": "The page: the cursor from a previous answer's next or previous.",
             "schema": {"type": "string"}},
            {"name": self.page_size_query_param, "required": False, "in": "query",
             "description": f"Rows per page, 1 to {self.max_page_size}.",
             "schema": {"type": "integer"}},
            {"name": "count", "required": False, "in": "query",
             "description": "exact: count every row (slower on large lists).",
             "schema": {"type": "string", "enum": ["exact"]}},
        ]


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing JSON nested too deeply with a 400 instead of a 500."""

    def parse(self, stream: Any, media_type: str | None = None,
              parser_context: dict[str, Any] | None = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
            check_depth(data)
        except (RecursionError, TooDeep):
            raise exceptions.ParseError(f"JSON parse error - {TooDeep()}") from None
        return data
