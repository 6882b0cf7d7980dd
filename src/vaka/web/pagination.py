"""Keyset (cursor) paging: the one paging definition of every list, page and API alike.

A page is fetched with ``WHERE (sort key, pk) after (the last row's) ORDER BY ... LIMIT n``:
as cheap on page 10,000 as on page 1 (an offset makes the database walk every row before
it). The cursor is the signed sort key and pk of the row the page starts after (or before,
going back), so it cannot be forged to reach rows by another route, and a cursor made for
another sort order is refused rather than misread.

Counting every visible row cost seconds on a large store, so the count is exact up to
``VAKA_LIST_COUNT_CAP`` (1,000 by default) and "1,000+" beyond; ``count=exact`` asks for
the exact figure.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest, QueryDict
from django.utils.translation import gettext as _

PAGE_SIZE = 25
PAGE_SIZES = (25, 50, 100, 200)  # the page sizes the HTML lists offer
_SALT = "vaka.web.pagination.cursor"
# Parameters of the list that paging itself sets; everything else (filters, search) is kept.
PAGING_PARAMETERS = ("cursor", "page", "count")

# The columns each HTML list may be sorted by: the name in the address, then the field.
# The API's sortable fields are its views' ``ordering_fields``.
SORTABLE: dict[str, dict[str, str]] = {
    # Each has an index (intel migration 0009): sorting 1,000,000 rows by an unindexed column
    # took a second a page.
    "intel.stixobject": {"modified": "stix_modified", "name": "name", "type": "type"},
    "intel.note": {"created": "created", "modified": "modified", "title": "title"},
    "intel.submission": {"received": "received", "name": "name", "status": "status"},
    "inbox.inboxitem": {},
    "directory.organisation": {"name": "name"},
    "directory.country": {"name": "name", "code": "code"},
    "directory.community": {"name": "name", "created": "created"},
    "directory.user": {"username": "username", "last_login": "last_login"},
}


class PageError(ValidationError):
    """A cursor, page size, sort or count request that cannot be honoured, keyed by the
    parameter at fault."""


def count_cap() -> int:
    return int(getattr(settings, "LIST_COUNT_CAP", 1_000))


# --- Ordering and cursors -----------------------------------------------------------------

def ordering_of(queryset: QuerySet) -> list[str]:
    """The queryset's ordering as field names ('-' for descending), ending with the pk so
    that rows with equal sort keys still have one stable order."""
    names = list(queryset.query.order_by or queryset.model._meta.ordering or [])
    ordering: list[str] = []
    for name in names:
        if not isinstance(name, str) or name.lstrip("-") == "?":
            raise TypeError(f"keyset paging needs field names to order by, not {name!r}")
        descending, path = name.startswith("-"), name.lstrip("-")
        path = _concrete_path(queryset.model, path)
        ordering.append(("-" if descending else "") + path)
        if path == "pk":
            break  # the pk is unique: whatever follows it never decides anything
    else:
        last_descending = bool(ordering) and ordering[-1].startswith("-")
        ordering.append("-pk" if last_descending else "pk")
    return ordering


def _concrete_path(model: type[Model], path: str) -> str:
    """``owner`` orders by the related model's ordering in Django; a cursor needs the
    column itself, so relations are ordered by their id."""
    if path in ("pk", model._meta.pk.name):
        return "pk"
    parts = path.split("__")
    current = model
    for index, part in enumerate(parts):
        model_field = current._meta.get_field(part)
        if model_field.is_relation:
            if index == len(parts) - 1:
                parts[index] = model_field.attname
                break
            current = model_field.related_model
    return "__".join(parts)


def _field(model: type[Model], path: str) -> Any:
    if path == "pk":
        return model._meta.pk
    parts = path.split("__")
    current = model
    for part in parts[:-1]:
        current = current._meta.get_field(part).related_model
    try:
        return current._meta.get_field(parts[-1])
    except FieldDoesNotExist:  # an attname such as owner_id
        for candidate in current._meta.concrete_fields:
            if candidate.attname == parts[-1]:
                return candidate
        raise


def _value(row: Model, path: str) -> Any:
    if path == "pk":
        return row.pk
    value: Any = row
    for part in path.split("__"):
        value = getattr(value, part, None)
        if value is None:
            return None
    return value


def encode_cursor(ordering: Sequence[str], values: Sequence[Any], backwards: bool) -> str:
    """An opaque, signed cursor: the sort key of a row, the order it was made for, and
    whether the page runs before the row (previous) or after it (next)."""
    payload = {"o": list(ordering), "v": list(values), "b": backwards}
    return signing.dumps(payload, salt=_SALT, compress=True, serializer=_CursorSerializer)


class _CursorSerializer:
    def dumps(self, obj: Any) -> bytes:
        return DjangoJSONEncoder(separators=(",", ":")).encode(obj).encode("latin-1")

    def loads(self, data: bytes) -> Any:
        return signing.JSONSerializer().loads(data)


def decode_cursor(token: str, model: type[Model], ordering: Sequence[str]
                  ) -> tuple[list[Any], bool]:
    """The sort key and direction in ``token``; a ``PageError`` naming the cursor when it
    was altered, or made for another list order."""
    invalid = PageError({"cursor": _(
        "The page link (cursor) is not valid: it was changed or cut short. "
        "Start again from the first page.")})
    try:
        payload = signing.loads(token, salt=_SALT, serializer=_CursorSerializer)
    except (signing.BadSignature, ValueError, TypeError, UnicodeError):
        raise invalid from None
    if not isinstance(payload, dict) or not isinstance(payload.get("v"), list) \
            or len(payload["v"]) != len(ordering):
        raise invalid
    if payload.get("o") != list(ordering):
        raise PageError({"cursor": _(
            "The page link (cursor) was made for another sort order. "
            "Start again from the first page.")})
    values = []
    for path, raw in zip(ordering, payload["v"], strict=True):
        try:
            values.append(None if raw is None else _field(model, path.lstrip("-")).to_python(raw))
        except (ValidationError, FieldDoesNotExist, TypeError, ValueError):
            raise invalid from None
    return values, bool(payload.get("b"))


def _after(ordering: Sequence[str], values: Sequence[Any], nulls_largest: bool) -> Q:
    """Rows strictly after ``values`` in ``ordering``:
    ``(a > va) OR (a = va AND b > vb) OR ...``, with NULL sorted as the database sorts it
    (largest on PostgreSQL, smallest on SQLite) so that the database's own indexes serve
    the order."""
    condition = Q(pk__in=[])
    equal = Q()
    for name, value in zip(ordering, values, strict=True):
        path, descending = name.lstrip("-"), name.startswith("-")
        if value is None:
            # After NULL: the non-NULL values, when NULL comes first in this direction.
            strict = Q(**{f"{path}__isnull": False}) if nulls_largest == descending \
                else Q(pk__in=[])
            same = Q(**{f"{path}__isnull": True})
        else:
            strict = Q(**{f"{path}__{'lt' if descending else 'gt'}": value})
            if nulls_largest != descending:  # NULLs come after every value here
                strict |= Q(**{f"{path}__isnull": True})
            same = Q(**{path: value})
        condition |= equal & strict
        equal &= same
    first, first_value = ordering[0].lstrip("-"), values[0]
    if first_value is not None and len(ordering) > 1:
        # A range on the leading column lets the index seek straight to the page.
        bound = Q(**{f"{first}__{'lte' if ordering[0].startswith('-') else 'gte'}":
                     first_value})
        if nulls_largest != ordering[0].startswith("-"):
            bound |= Q(**{f"{first}__isnull": True})
        condition = bound & condition
    return condition


def _flip(ordering: Sequence[str]) -> list[str]:
    return [name[1:] if name.startswith("-") else "-" + name for name in ordering]


@dataclass
class Window:
    """One page of rows and the cursors either side of it."""

    rows: list[Any]
    next_cursor: str | None
    previous_cursor: str | None
    ordering: list[str] = field(default_factory=list)


def window(queryset: QuerySet, size: int, cursor: str | None = None) -> Window:
    """The page of ``queryset`` (in its own ordering) that ``cursor`` points at, or the
    first page."""
    ordering = ordering_of(queryset)
    backwards = False
    if cursor:
        values, backwards = decode_cursor(cursor, queryset.model, ordering)
    order = _flip(ordering) if backwards else ordering
    selected = queryset.order_by(*order)
    if cursor:
        nulls_largest = connections[queryset.db].vendor == "postgresql"
        selected = selected.filter(_after(order, values, nulls_largest))
    rows = list(selected[:size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
    has_next = more if not backwards else True
    has_previous = bool(cursor) and (more if backwards else True)

    def key(row: Any) -> list[Any]:
        return [_value(row, name.lstrip("-")) for name in ordering]

    return Window(
        rows=rows,
        next_cursor=encode_cursor(ordering, key(rows[-1]), False)
        if rows and has_next else None,
        previous_cursor=encode_cursor(ordering, key(rows[0]), True)
        if rows and has_previous else None,
        ordering=ordering)


def capped_count(queryset: QuerySet, exact: bool = False, page: Window | None = None
                 ) -> tuple[int, bool]:
    """How many rows ``queryset`` has, and whether that is exact: counting stops after
    the cap (a count of every visible row was most of a large list's time). ``page``, the
    window just fetched, answers without a query when it is the whole list."""
    if page is not None and page.rows and page.next_cursor is None \
            and page.previous_cursor is None:
        # Rows with no page before or after: the page holds every row, so no second query
        # (for a search it would read the full-text matches again). An empty page may be
        # one past the end, so it is counted.
        found = len(page.rows)
        return (found, True) if exact or found <= count_cap() else (count_cap(), False)
    rows = queryset.order_by().values("pk")
    if exact:
        return rows.count(), True
    cap = count_cap()
    if _surely_more_than(queryset, cap):
        return cap, False
    found = rows[:cap + 1].count()
    return (found, True) if found <= cap else (cap, False)


def _surely_more_than(queryset: QuerySet, cap: int) -> bool:
    """Whether a condition of ``queryset`` knows, cheaper than counting, that it has more
    than ``cap`` rows: a condition may offer ``more_than(queryset, cap)`` (a common word's
    full-text matches do, from the full-text index). False means "count them"."""
    pending = [queryset.query.where]
    while pending:
        node = pending.pop()
        more_than = getattr(node, "more_than", None)
        if more_than is not None:
            return more_than(queryset, cap)
        pending.extend(getattr(node, "children", ()))  # AND / OR groups
        if hasattr(node, "lhs"):  # a lookup, e.g. a condition compared with True
            pending.append(node.lhs)
    return False


def wants_exact_count(value: str | None) -> bool:
    if value in (None, "", "capped"):
        return False
    if value == "exact":
        return True
    raise PageError({"count": _("“%(value)s” is not a way to count: use count=exact.")
                     % {"value": value}})


def ordering_param(value: str, sortable: dict[str, str]) -> list[str]:
    """The fields that ``ordering=name,-other`` sorts by; a name not offered is an
    error naming it and the names that are."""
    fields = []
    for name in [part.strip() for part in value.split(",") if part.strip()]:
        key = name.lstrip("-")
        if key not in sortable:
            raise PageError({"ordering": _(
                "This list cannot be sorted by “%(name)s”. Sort by one of: %(known)s.")
                % {"name": key, "known": ", ".join(sortable) or "—"}})
        fields.append(("-" if name.startswith("-") else "") + sortable[key])
    return fields


# --- HTML lists ----------------------------------------------------------------------------

@dataclass
class ListPage:
    """What a list template needs: the rows, links to the next and previous pages, a
    count that stays cheap, the sort and the page size. ``error`` is a message when the
    address asked for something this list cannot do (the page is then empty)."""

    rows: list[Any]
    query: QueryDict
    next_cursor: str | None = None
    previous_cursor: str | None = None
    count: int = 0
    count_exact: bool = True
    ordering: str = ""
    size: int = PAGE_SIZE
    sortable: dict[str, str] = field(default_factory=dict)
    error: str = ""
    keyset: bool = True  # tells the template this is not a Django Page

    def __iter__(self) -> Iterator[Any]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __bool__(self) -> bool:
        return bool(self.rows)

    @property
    def object_list(self) -> list[Any]:
        return self.rows

    @property
    def paginator(self) -> "ListPage":  # code written for Django's Page reads the count here
        return self

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None

    @property
    def has_previous(self) -> bool:
        return self.previous_cursor is not None

    def _with(self, **changes: str | None) -> str:
        params = self.query.copy()
        for name in PAGING_PARAMETERS:
            params.pop(name, None)
        for name, value in changes.items():
            params.pop(name, None)
            if value:
                params[name] = value
        return params.urlencode()

    @property
    def first_query(self) -> str:
        # After an error, the first page without whatever may have caused it.
        return self._with(ordering=None, page_size=None) if self.error else self._with()

    @property
    def next_query(self) -> str:
        return self._with(cursor=self.next_cursor)

    @property
    def previous_query(self) -> str:
        return self._with(cursor=self.previous_cursor)

    @property
    def exact_count_query(self) -> str:
        return self._with(count="exact", cursor=self.query.get("cursor"))

    def size_query(self, size: int) -> str:
        return self._with(page_size=str(size))

    @property
    def sizes(self) -> list[tuple[int, str]]:
        return [(size, self.size_query(size)) for size in PAGE_SIZES]

    def sort_state(self, key: str) -> tuple[str, str]:
        """The ``aria-sort`` of column ``key`` and the address that sorts by it (the other
        way when it is the current sort)."""
        current = self.ordering.split(",")[0] if self.ordering else ""
        if current == key:
            return "ascending", self._with(ordering="-" + key)
        if current == "-" + key:
            return "descending", self._with(ordering=key)
        return "none", self._with(ordering=key)


def _page_size(request: HttpRequest, default: int) -> int:
    raw = request.GET.get("page_size", "")
    if raw == "":
        return default
    # isascii: "³" is a digit to isdigit(), not to int().
    if not (raw.isascii() and raw.isdigit()) or int(raw) not in (*PAGE_SIZES, default):
        raise PageError({"page_size": _(
            "“%(value)s” is not a page size this list offers: use one of %(sizes)s.")
            % {"value": raw, "sizes": ", ".join(str(size) for size in PAGE_SIZES)}})
    return int(raw)


def paginate(request: HttpRequest, items: Any, per_page: int = PAGE_SIZE,
             sortable: dict[str, str] | None = None) -> ListPage:
    """The page of ``items`` (a queryset) that the request's ``cursor`` points at, sorted
    by its ``ordering`` if that is one of ``sortable`` (by default the list's columns in
    ``SORTABLE``), ``page_size`` rows long, with a capped count. A bad cursor, sort, size
    or count request gives an empty page whose ``error`` says what was wrong."""
    if not isinstance(items, QuerySet):  # a list already in memory: one page of it all
        rows = list(items)
        return ListPage(rows=rows[:per_page], query=request.GET, count=len(rows),
                        size=per_page)
    if sortable is None:
        sortable = SORTABLE.get(items.model._meta.label_lower, {})
    ordering = request.GET.get("ordering", "")
    page = ListPage(rows=[], query=request.GET, ordering=ordering, sortable=sortable,
                    size=per_page)
    try:
        page.size = _page_size(request, per_page)
        if ordering:
            items = items.order_by(*ordering_param(ordering, sortable))
        exact = wants_exact_count(request.GET.get("count"))
        found = window(items, page.size, request.GET.get("cursor") or None)
    except PageError as error:
        page.error = " ".join(message for messages in error.message_dict.values()
                              for message in messages)
        return page
    page.rows, page.next_cursor, page.previous_cursor = (
        found.rows, found.next_cursor, found.previous_cursor)
    page.count, page.count_exact = capped_count(items, exact, found)
    return page


def query_without_page(request: HttpRequest) -> str:
    """The list's address parameters without the paging ones (saved searches, exports)."""
    params = request.GET.copy()
    for name in PAGING_PARAMETERS:
        params.pop(name, None)
    return params.urlencode()
