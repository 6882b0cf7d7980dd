"""REST API of the STIX store: objects, submissions (ingest), lookup, hit notifications."""

from dataclasses import asdict
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import (
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, parsers, serializers, status, viewsets
from rest_framework.decorators import action, api_view, throttle_classes
from rest_framework.request import Request
from rest_framework.response import Response

from vaka.directory.models import Organisation
from vaka.directory.roles import Capability
from vaka.intel import queued, selectors, services
from vaka.intel.api.corrections import CorrectionsMixin
from vaka.intel.api.serializers import OwnerFields
from vaka.intel.blank import EMPTY_CONTENT, empty_file, is_blank_upload
from vaka.intel.filtersets import StixObjectFilter, wants_revoked
from vaka.intel.models import HitNotification, StixObject, Submission
from vaka.intel.originals import Original
from vaka.intel.parsing.observables import KINDS
from vaka.policy.api.serializers import MarkingInputSerializer
from vaka.web.api import ErrorSerializer
from vaka.web.drf import JSONParser
from vaka.web.filters import StrictFilterSet
from vaka.web.throttling import LookupThrottle, SubmissionsThrottle


class StixObjectSerializer(OwnerFields, serializers.ModelSerializer):
    class Meta:
        model = StixObject
        fields = ["id", "stix_id", "type", "name", "description", *OwnerFields.OWNER_FIELDS,
                  "tlp", "distribution", "pap", "labels", "confidence",
                  "stix_created", "stix_modified", "valid_from", "valid_until", "revoked",
                  "grading_scheme", "grading_source", "grading_information"]


class StixObjectDetailSerializer(StixObjectSerializer):
    stix = serializers.JSONField(source="data", read_only=True)
    observables = serializers.SerializerMethodField()

    class Meta(StixObjectSerializer.Meta):
        fields = [*StixObjectSerializer.Meta.fields, "observables", "stix"]

    def get_observables(self, obj: StixObject) -> list[dict[str, str]]:
        return [{"type": o.kind, "value": o.value, "warninglists": o.warninglists}
                for o in obj.observables.all()]


class HolderSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    country = serializers.CharField(allow_null=True, help_text="ISO 3166-1 code.")
    email = serializers.CharField(allow_blank=True)


class DeskContactSerializer(serializers.Serializer):
    organisation = serializers.CharField(allow_blank=True, help_text="The regional desk.")
    email = serializers.CharField(allow_blank=True)


class HitSerializer(serializers.Serializer):
    """Another agency holds something on the value: ``contact`` the desk. A desk broker
    is told instead each ``holder`` (one hit per holding agency)."""

    holder = HolderSerializer(required=False)
    contact = DeskContactSerializer(required=False)


class CorrelationSerializer(serializers.Serializer):
    type = serializers.CharField()
    value = serializers.CharField()
    warninglists = serializers.CharField(allow_blank=True)
    matches = StixObjectSerializer(many=True)
    hits = HitSerializer(many=True)


# DELETE revokes, and answers with the revoked object (a 204 is drf-spectacular's guess).
@extend_schema_view(destroy=extend_schema(responses={200: StixObjectSerializer}))
class StixObjectViewSet(CorrectionsMixin, viewsets.ReadOnlyModelViewSet):
    """STIX objects you may see. Outside your audience an object answers 404. Your
    organisation's contributors correct them: PATCH edits and re-marks, DELETE revokes."""

    filterset_class = StixObjectFilter
    ordering_fields = ["stix_modified", "name", "type"]
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> QuerySet[StixObject]:
        return selectors.objects_for(self.request.user, include_revoked=wants_revoked(
            self.request.query_params))

    def get_serializer_class(self) -> type[serializers.Serializer]:
        return StixObjectDetailSerializer if self.action == "retrieve" else StixObjectSerializer

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        obj = selectors.object_for(request.user, int(kwargs["pk"]), request=request)
        return Response(StixObjectDetailSerializer(obj).data)

    @extend_schema(responses=CorrelationSerializer(many=True))
    # Not paged nor filtered: one entry per value of the object. kwargs: the router's
    # format suffix (…/correlations.json).
    @action(detail=True, pagination_class=None, filter_backends=[])
    def correlations(self, request: Request, pk: str, **kwargs: Any) -> Response:
        """Per value: the objects you may see that share it; `held_elsewhere` means an
        agency you cannot see holds it too (contact the desk)."""
        obj = selectors.object_for(request.user, int(pk))
        contact = services.desk_contact()
        return Response([{
            "type": c.kind, "value": c.value, "warninglists": c.warninglists,
            "matches": StixObjectSerializer(c.matches, many=True).data,
            "hits": hit_answer(c.held_elsewhere, c.holders, contact),
        } for c in selectors.correlations_of(obj, request.user)])


class SubmissionSerializer(serializers.ModelSerializer):
    user = serializers.SlugRelatedField(slug_field="username", read_only=True)
    title = serializers.CharField(read_only=True, help_text="What it was, in words.")
    original_url = serializers.SerializerMethodField(
        help_text="Where its audience downloads the original; null when none was kept.")

    def get_original_url(self, submission: Submission) -> str | None:
        if not submission.original:
            return None
        return reverse("intel:submission_original", args=[submission.pk])

    class Meta:
        model = Submission
        fields = ["id", "received", "user", "source", "format", "name", "title", "filename",
                  "sha256", "original_type", "original_size", "original_url", "status",
                  "new", "updated", "unchanged", "rejected", "kept_markings", "errors",
                  "more_errors", "markings"]


class IngestSerializer(MarkingInputSerializer):  # type: ignore[misc,valid-type]
    """What to ingest, and its markings (``policy.inputs``)."""

    file = serializers.FileField(required=False)
    content = serializers.CharField(required=False, trim_whitespace=False,
                                    help_text="Pasted content, instead of a file.")
    format = serializers.ChoiceField(choices=services.FORMATS, required=False,
                                     help_text="Guessed from the content when omitted.")
    partial = serializers.BooleanField(default=False)
    labels = serializers.ListField(
        child=serializers.CharField(max_length=300), required=False, default=list,
        help_text="Labels for every object, e.g. MISP galaxy tags such as "
                  'misp-galaxy:mitre-attack-pattern="Phishing - T1566".')

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("file") and not attrs.get("content"):
            raise serializers.ValidationError({"file": _("Send a file or content.")})
        upload = attrs.get("file")
        limit = settings.MAX_UPLOAD_MB * 1024 * 1024
        if upload is not None and upload.size > limit:
            raise serializers.ValidationError({"file": _(
                "%(name)s is %(size)d MB; uploads are limited to %(limit)d MB (use the "
                "command line for larger files).") % {"name": upload.name,
                                                      "size": upload.size // 2**20,
                                                      "limit": settings.MAX_UPLOAD_MB}})
        if upload is not None and is_blank_upload(upload):
            raise serializers.ValidationError({"file": empty_file(upload.name)})
        if upload is None and not attrs["content"].strip():
            raise serializers.ValidationError({"content": EMPTY_CONTENT})
        return attrs


# A refused submission answers with the submission (rejected or failed) when one was made.
SUBMISSION_OR_ERROR = PolymorphicProxySerializer(
    component_name="SubmissionOrError", serializers=[SubmissionSerializer, ErrorSerializer],
    resource_type_field_name=None)


class SubmissionViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Your organisation's submissions. POST ingests a file or pasted content.

    With a background queue, an input over `VAKA_BACKGROUND_INGEST_MB` answers 202 with the
    submission `queued`: GET it until its status is `stored`, `partial`, `rejected` or
    `failed` (a worker or the queue failed; nothing stored). 503: the queue is unreachable.

    Free text (``format`` `text`, or guessed) stores only the values the extractor is certain
    of: a version number or OID in context, a value cut by a line break, is left out. POST
    the text to `/api/extract/` to see those, flagged with their reason, and submit the
    ones an analyst chooses as CSV."""

    serializer_class = SubmissionSerializer
    parser_classes = [parsers.MultiPartParser, parsers.FormParser, JSONParser]
    throttle_classes = [SubmissionsThrottle]
    filterset_fields = ["status", "format", "source"]
    ordering_fields = ["received"]

    def get_queryset(self) -> QuerySet[Submission]:
        return selectors.submissions_for(self.request.user)

    @extend_schema(request=IngestSerializer, responses={
        201: SubmissionSerializer,
        202: OpenApiResponse(SubmissionSerializer, description="Queued for a worker."),
        400: OpenApiResponse(SUBMISSION_OR_ERROR, description=(
            "Nothing stored: the submission, `rejected`, with its `errors`; or the request "
            "itself was wrong (no file or content, too large, a bad field).")),
        503: OpenApiResponse(SUBMISSION_OR_ERROR, description=(
            "The submission, `failed` (the queue is unreachable; nothing stored); or the "
            "database did not answer."))})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not request.user.can(Capability.CONTRIBUTE):
            raise PermissionDenied(_("Your role may not submit intelligence."))
        form = IngestSerializer(data=request.data, context={"request": request})
        form.is_valid(raise_exception=True)
        data = form.validated_data
        upload = data.get("file")
        content = upload.read() if upload else data["content"].encode()
        # Named by the token that sent it (or the signed-in user): what the API call was.
        sender = getattr(request.auth, "name", "") or request.user.username
        given = {"organisation": request.user.organisation, "user": request.user,
                 "markings": form.markings(), "source": Submission.Source.API,
                 "fmt": data.get("format"), "filename": upload.name if upload else "",
                 "partial": data["partial"], "labels": data["labels"], "name": sender,
                 "original": Original(content, upload.name if upload else "")}
        if queued.in_background(len(content)):
            # 202: a worker stores it; GET the submission until its status is final.
            submission = queued.queue_ingest(content, **given)
        else:
            submission = services.ingest_bytes(content, **given, request=request)
        code = {Submission.Status.REJECTED: status.HTTP_400_BAD_REQUEST,
                Submission.Status.QUEUED: status.HTTP_202_ACCEPTED,
                Submission.Status.FAILED: status.HTTP_503_SERVICE_UNAVAILABLE,
                }.get(submission.status, status.HTTP_201_CREATED)
        return Response(SubmissionSerializer(submission).data, status=code)


class LookupSerializer(serializers.Serializer):
    values = serializers.ListField(child=serializers.CharField(allow_blank=True),
                                   max_length=services.MAX_LOOKUP)


class LookupSummarySerializer(serializers.Serializer):
    """How many values were asked, and how many were found each way."""

    values = serializers.IntegerField()
    matched = serializers.IntegerField()
    held_elsewhere = serializers.IntegerField()
    warninglisted = serializers.IntegerField()
    unknown = serializers.IntegerField()
    invalid = serializers.IntegerField()


class LookupResultSerializer(serializers.Serializer):
    value = serializers.CharField(allow_blank=True, help_text="As asked.")
    type = serializers.CharField(allow_null=True)
    canonical = serializers.CharField(allow_null=True)
    warninglists = serializers.CharField(allow_blank=True)
    error = serializers.CharField(allow_blank=True)
    matches = StixObjectSerializer(many=True)
    hits = HitSerializer(many=True)


class LookupAnswerSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    summary = LookupSummarySerializer()
    results = LookupResultSerializer(many=True)


@extend_schema(request=LookupSerializer, responses=LookupAnswerSerializer)
@api_view(["POST"])
@throttle_classes([LookupThrottle])
def lookup(request: Request) -> Response:
    """Check up to 10,000 values (any kind, defanged or not) against everything stored.

    Per value: `matches` you may see, and `hits` — another agency holds something on it
    that you may not see; contact the desk (whose owners are told who asked). A desk
    broker is told instead which agencies hold it: `hits` lists each `holder`. `summary`
    counts the values: `matched` (by records you see), `held_elsewhere`, `warninglisted`,
    `unknown` (valid, held by nobody) and `invalid`.

    Not paged: every answer comes in this one response, in the order asked (10,000 values
    answer in a few seconds). Send the values again only for a new question: each call
    tells the owners of hits again.
    """
    form = LookupSerializer(data=request.data)
    form.is_valid(raise_exception=True)
    answers = services.lookup(form.validated_data["values"], user=request.user,
                              request=request)
    contact = services.desk_contact()
    # One serializer for all the matched records: one per value cost four fifths of the
    # answer's time for 10,000 values, as DRF builds a serializer's fields afresh each time.
    matched = {o.pk: o for a in answers for o in a.matches}
    serialised = dict(zip(matched, StixObjectSerializer(list(matched.values()), many=True).data,
                          strict=True))
    return Response({"count": len(answers),
                     "summary": asdict(services.LookupSummary.of(answers)), "results": [{
        "value": a.value, "type": a.type, "canonical": a.canonical,
        "warninglists": a.warninglists, "error": a.error,
        "matches": [serialised[m.pk] for m in a.matches],
        "hits": hit_answer(bool(a.hits), a.holders, contact),
    } for a in answers]})


def hit_answer(held: bool, holders: list[Organisation], contact: dict[str, str]
               ) -> list[dict[str, Any]]:
    """Hit/no-hit, shaped as ``HitSerializer`` documents it (built directly: a look-up
    answers 10,000 values): whom to contact — the desk; a desk broker is told the holding
    agencies."""
    if not held:
        return []
    if holders:
        return [{"holder": {"id": org.pk, "name": org.name, "country": org.country_id,
                            "email": org.contact_email}} for org in holders]
    return [{"contact": contact}]


class HitNotificationSerializer(serializers.ModelSerializer):
    object_name = serializers.CharField(source="object.name", read_only=True)
    asked_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    asked_by_organisation_name = serializers.CharField(source="asked_by_organisation.name",
                                                       read_only=True, default="")

    class Meta:
        model = HitNotification
        fields = ["id", "at", "channel", "kind", "value", "object", "object_name", "asked_by",
                  "asked_by_organisation", "asked_by_organisation_name"]


class HitNotificationFilter(StrictFilterSet):
    kind = filters.ChoiceFilter(choices=[(kind, kind) for kind in KINDS])

    class Meta:
        model = HitNotification
        fields = ["channel", "kind"]


class HitNotificationViewSet(viewsets.ReadOnlyModelViewSet):
    """Your inbox: values of records you may see that others checked or ingested."""

    serializer_class = HitNotificationSerializer
    filterset_class = HitNotificationFilter

    def get_queryset(self) -> QuerySet[HitNotification]:
        return selectors.notifications_for(self.request.user)

