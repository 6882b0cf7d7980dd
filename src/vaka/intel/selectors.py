"""Reads of intelligence records, always through the visibility policy."""

import re
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, connections
from django.db.models import (
    BooleanField,
    Exists,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Value,
)
from django.db.models.expressions import RawSQL
from django.http import Http404

from vaka.directory.models import Organisation
from vaka.intel.models import (
    HitNotification,
    Note,
    Observable,
    StixObject,
    StixObjectVersion,
    Submission,
)
from vaka.intel.parsing.observables import canonical, guess_kind, refang, value_hash
from vaka.policy.brokering import is_broker
from vaka.policy.services import record_view
from vaka.policy.visibility import visible_to


def notes_for(user: Any, *, search: str = "") -> QuerySet[Note]:
    notes = visible_to(user, Note.objects.all()).select_related("owner", "owner__country")
    if search:
        notes = notes.filter(Q(title__icontains=search) | Q(body__icontains=search))
    return notes


def note_for(user: Any, pk: int, *, request: Any = None) -> Note:
    """The note, or 404 — whether it does not exist or the user may not see it."""
    note = notes_for(user).filter(pk=pk).first()
    if note is None:
        raise Http404
    record_view(note, user=user, request=request)
    return note


# --- The STIX store --------------------------------------------------------------------

def objects_for(user: Any, *, include_revoked: bool = False) -> QuerySet[StixObject]:
    objects = visible_to(user, StixObject.objects.all()).select_related(
        "owner", "owner__country", "owner__origin")
    return objects if include_revoked else objects.filter(revoked=False)


def object_for(user: Any, pk: int, *, request: Any = None) -> StixObject:
    """The object, or 404 whether it does not exist or the user may not see it."""
    obj = objects_for(user, include_revoked=True).filter(pk=pk).first()
    if obj is None:
        raise Http404
    record_view(obj, user=user, request=request)
    return obj


def versions_for(user: Any, objects: QuerySet[StixObject] | None = None
                 ) -> QuerySet[StixObjectVersion]:
    """The object versions ``user`` may read: each in its own audience (a version's
    markings are its own, whatever its object's current markings say), of ``objects`` (the
    owner's records, however marked now) when given."""
    versions = StixObjectVersion.objects.all()
    if objects is not None:
        versions = versions.filter(object__in=objects.values("pk"))
    return visible_to(user, versions)


def with_correlations(objects: QuerySet[StixObject]) -> QuerySet[StixObject]:
    """Only objects sharing a (non-warninglisted) value with another object."""
    other = Observable.objects.filter(
        value_hash=OuterRef("value_hash"), kind=OuterRef("kind"), value=OuterRef("value"),
        warninglists="").exclude(object_id=OuterRef("object_id"))
    shared = Observable.objects.filter(object_id=OuterRef("pk"), warninglists="").filter(
        Exists(other))
    return objects.filter(Exists(shared))


@dataclass
class Correlation:
    kind: str
    value: str
    warninglists: str
    matches: list[StixObject] = field(default_factory=list)
    held_elsewhere: bool = False  # hit/no-hit: someone the user may not see holds it
    # For a desk broker only (policy.brokering): the agencies holding it, by name.
    holders: list[Any] = field(default_factory=list)


def correlations_of(obj: StixObject, user: Any) -> list[Correlation]:
    """Per value of ``obj``: the other objects the user may see that carry it, and whether
    records outside the user's audience do (shown only as 'contact the desk')."""
    result, broker = [], is_broker(user)
    for observable in obj.observables.order_by("kind", "value"):
        correlation = Correlation(observable.kind, observable.value, observable.warninglists)
        if not observable.warninglists:
            others = StixObject.objects.filter(
                observables__value_hash=observable.value_hash,
                observables__kind=observable.kind,
                observables__value=observable.value, revoked=False).exclude(
                pk=obj.pk).distinct()
            seen = visible_to(user, others)
            correlation.matches = list(seen.select_related("owner", "owner__country")[:50])
            correlation.held_elsewhere = others.count() > seen.count()
            if correlation.held_elsewhere and broker:
                correlation.holders = list(Organisation.objects.filter(
                    pk__in=others.exclude(pk__in=seen.values("pk")).values("owner_id"))
                    .order_by("name"))
        result.append(correlation)
    return result


def related_objects(obj: StixObject, user: Any) -> tuple[list[StixObject], list[StixObject]]:
    """Relationships touching ``obj`` and the objects a report/grouping refers to, that the
    user may see (references to unseen objects are simply not shown); each relationship's
    ends are named where the user may see them."""
    refs = [r for r in obj.data.get("object_refs", []) if isinstance(r, str)]
    referred = list(objects_for(user).filter(stix_id__in=refs[:1000]).order_by("type", "name"))
    relationships = list(objects_for(user).filter(type="relationship").filter(
        Q(data__source_ref=obj.stix_id) | Q(data__target_ref=obj.stix_id))[:200])
    _name_ends([obj, *relationships] if obj.type == "relationship" else relationships, user)
    return referred, relationships


def name_relationship_rows(objects: list[StixObject], user: Any) -> None:
    """Name the ends of the relationships among ``objects`` (a page of a list), as their own
    page does: a relationship's row says what it links, not its own STIX id."""
    _name_ends([obj for obj in objects if obj.type == "relationship"], user)


def _name_ends(relationships: list[StixObject], user: Any) -> None:
    """Give each relationship its ``source`` and ``target``: the object the user may see
    under that STIX id, or None — then a page shows the id only, never a hidden name."""
    if not relationships:
        return
    refs = {str(r.data.get(end, "")) for r in relationships for end in ("source_ref",
                                                                        "target_ref")}
    named = {o.stix_id: o for o in objects_for(user, include_revoked=True).filter(
        stix_id__in=refs).only("pk", "stix_id", "type", "name", "owner")}
    for r in relationships:
        r.source = named.get(str(r.data.get("source_ref", "")))
        r.target = named.get(str(r.data.get("target_ref", "")))


def submissions_for(user: Any) -> QuerySet[Submission]:
    """An organisation's own submissions that the user is in the audience of: a TLP:RED
    submission (its file name, counts, rejected values) reaches its named people only."""
    if not user.is_authenticated or user.organisation_id is None:
        return Submission.objects.none()
    return visible_to(user, Submission.objects.filter(
        organisation_id=user.organisation_id)).select_related("user")



def notifications_for(user: Any) -> QuerySet[HitNotification]:
    """Hits on the records of the user's own organisation that they may see (a hit on a
    TLP:RED record reaches its named recipients only). Never a partner's record: that
    would tell a third agency who looked up what."""
    return HitNotification.objects.filter(
        object__owner=getattr(user, "organisation_id", None),
        object__in=objects_for(user, include_revoked=True).values("pk")).select_related(
        "object", "asked_by", "asked_by_organisation", "asked_by_organisation__country")


_WORD = re.compile(r"[^\W_]+")  # letters and digits: how both databases split text


class _TextMatches(Func):
    """(PostgreSQL) The object's name and description hold the words of a tsquery: the
    expression of the GIN index ``intel_object_search``, so that index serves it."""

    output_field = BooleanField()
    conditional = True
    # A GIN index hands over all of a word's matches at once, as a bitmap: a common word's
    # 100,000s before the first can be counted (45 ms at 1,000,000 objects). To tell
    # whether there are more than a list's cap, a sample of them is enough.
    SAMPLE_PER_CAP = 5

    def more_than(self, queryset: QuerySet, cap: int) -> bool:
        """Whether ``queryset`` surely has more than ``cap`` rows: it does when more than
        ``cap`` of a sample of the word's matches (``gin_fuzzy_search_limit``: a subset,
        never an addition) are in it. Otherwise it is counted as usual."""
        rows = queryset.order_by().values("pk")[:cap + 1]
        with connections[queryset.db].cursor() as cursor:
            cursor.execute("SELECT set_config('gin_fuzzy_search_limit', %s, false)",
                           [str(max(5_000, self.SAMPLE_PER_CAP * (cap + 1)))])
            try:
                return rows.count() > cap
            finally:
                cursor.execute("SELECT set_config('gin_fuzzy_search_limit', '0', false)")

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list]:
        (name, name_params), (description, description_params), (query, query_params) = (
            compiler.compile(expression) for expression in self.get_source_expressions())
        return (f"to_tsvector('simple', regexp_replace({name} || ' ' || {description}, "
                f"'[^[:alnum:]]+', ' ', 'g')) @@ to_tsquery('simple', {query})",
                [*name_params, *description_params, *query_params])


_MANY_MATCHES = 2_000
# (SQLite) The row ids of an FTS5 match: the one form every full-text condition uses.
_MATCHED_ROWIDS = "SELECT rowid FROM intel_object_search WHERE intel_object_search MATCH %s"


class _ManyTextMatches(Func):
    """(SQLite) The object is one of a common word's full-text matches.

    In a page (an ordered query) it is ``+id IN (matches)``: ``+id`` is not an index
    SQLite can drive the query from, so it walks the list's sort index and stops after a
    page. A capped count asks :meth:`more_than` first, which counts the matches joined to
    the objects, which streams from the full-text index instead of first copying its
    100,000s of row ids into a list (24 ms against 6 ms at 1,000,000 objects); in that
    join every row is a match, so the expression is simply true there. An exact count
    keeps ``id IN (matches)``, driven from the list."""

    output_field = BooleanField()
    conditional = True
    _JOINED = "vaka_text_joined"

    def __init__(self, match: str, whole_words: str) -> None:
        super().__init__(F("pk"))
        self.match = match
        self.whole_words = whole_words

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list]:
        if getattr(compiler.query, self._JOINED, False):
            return "1", []
        pk, params = compiler.compile(self.get_source_expressions()[0])
        query = compiler.query
        if query.order_by or (query.default_ordering and query.get_meta().ordering):
            pk = f"+{pk}"  # a page: walk the sort index, never drive from the matches
        return f"{pk} IN ({_MATCHED_ROWIDS})", [*params, self.match]

    def more_than(self, queryset: QuerySet, cap: int) -> bool:
        """Whether more than ``cap`` of ``queryset``'s rows are full-text matches (so the
        queryset has more than ``cap`` rows), counted from the full-text index: first the
        rows holding the words whole, a subset of the prefix matches that streams from the
        index (a prefix is merged from every word it begins first), then, when those are
        too few, the prefix matches."""
        for match in (self.whole_words, self.match):
            joined = queryset.order_by().values("pk").extra(
                tables=["intel_object_search"],
                where=["intel_object_search.rowid = intel_stixobject.id",
                       "intel_object_search MATCH %s"], params=[match])
            setattr(joined.query, self._JOINED, True)
            if joined[:cap + 1].count() > cap:
                return True
        return False


def _matches_many(match: str, whole_words: str) -> bool:
    """(SQLite) Whether the full-text ``match`` finds more rows than it pays to sort: it
    does when the words held whole (a subset, read without a prefix merge) already do."""
    with connection.cursor() as cursor:
        for form in (whole_words, match):
            cursor.execute(f"SELECT count(*) FROM ({_MATCHED_ROWIDS} LIMIT %s)",  # noqa: S608
                           [form, _MANY_MATCHES + 1])
            if cursor.fetchone()[0] > _MANY_MATCHES:
                return True
        return False


def search_objects(objects: QuerySet[StixObject], text: str) -> QuerySet[StixObject]:
    """Objects whose name or description holds every word of ``text`` (as prefixes), that
    carry ``text`` as an indicator value (defanged or not), or whose STIX id it is.

    Full-text: SQLite FTS5, PostgreSQL tsvector with a GIN index.
    """
    text = text.strip()
    if not text:
        return objects
    condition = Q(stix_id=text)
    refanged = refang(text)
    kind = guess_kind(refanged)
    if kind is not None:
        try:
            value = canonical(kind, refanged)
        except ValueError:
            value = None
        if value is not None:
            condition |= Q(pk__in=Observable.objects.filter(
                value_hash=value_hash(kind, value), kind=kind, value=value).values("object_id"))
    words = _WORD.findall(text)[:12]
    if words and connection.vendor == "sqlite":
        match = " ".join(f'"{word}"*' for word in words)
        whole_words = " ".join(f'"{word}"' for word in words)
        found = RawSQL(_MATCHED_ROWIDS, [match])  # noqa: S611 - a constant; match is a parameter
        if _matches_many(match, whole_words):
            # A common word matches 100,000s of rows: SQLite would fetch and sort all of
            # them for one page (2 s at 1,000,000 objects).
            condition = Q(_ManyTextMatches(match, whole_words)) | condition
        else:
            condition |= Q(pk__in=found)
    elif words and connection.vendor == "postgresql":
        # On the row itself, not "id IN (every match)": the planner can then walk the
        # list's sort index for a page and use the GIN index to count (a common word's
        # 100,000s of matches were fetched and sorted for every page: 1.4 s at 1,000,000).
        condition |= Q(_TextMatches(F("name"), F("description"),
                                    Value(" & ".join(f"{word}:*" for word in words))))
    elif words:
        for word in words:
            condition |= Q(name__icontains=word) | Q(description__icontains=word)
    return objects.filter(condition)
