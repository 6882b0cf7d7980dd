"""Classes named in the REST framework's settings (parser, pagination).

Kept apart from ``web.api``: DRF imports these while ``rest_framework.views`` is still
loading, so this module must import nothing that imports it back.
"""

from typing import Any

from rest_framework import exceptions, parsers
from rest_framework.pagination import PageNumberPagination

from vaka.intel.parsing.jsonlimits import TooDeep, check_depth


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 1000


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
