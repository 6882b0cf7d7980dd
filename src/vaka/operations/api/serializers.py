"""Operations in the REST API: an operation with its markings, its targets (with each
target's deconfliction status for the reader), tasks, action log and results.

The markings are read and written with the one markings serializer
(``policy.api.serializers``); the rules are the services' (``operations.services``,
``targets``, ``tasks``, ``timeline``), which say what is wrong keyed by the same field
names. The serializers here check only what a JSON body can get wrong in shape.
"""

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from vaka.ids import MAX_ID, parse_id
from vaka.intel.crime_types import CrimeType
from vaka.operations import deconfliction
from vaka.operations import targets as target_services
from vaka.operations.figures import COUNTED, utc_offset
from vaka.operations.models import Action, Operation, Phase, Result, Target, Task
from vaka.operations.values import canonical_target
from vaka.policy.api.serializers import MarkingFieldsSerializer


class OperationSerializer(MarkingFieldsSerializer):
    """An operation as its participants see it, with its own markings."""

    id = serializers.IntegerField(read_only=True)
    reference = serializers.CharField(read_only=True)
    code_name = serializers.CharField(read_only=True)
    objective = serializers.CharField(read_only=True)
    crime_types = serializers.ListField(child=serializers.ChoiceField(
        choices=CrimeType.choices), read_only=True)
    lead = serializers.IntegerField(source="lead_id", read_only=True)
    lead_name = serializers.CharField(source="lead.name", read_only=True)
    owner = serializers.IntegerField(source="owner_id", read_only=True,
                                     help_text="The organisation that opened it.")
    owner_name = serializers.CharField(source="owner.name", read_only=True)
    participants = serializers.SerializerMethodField(
        help_text="Ids of the participating organisations.")
    countries = serializers.SerializerMethodField(help_text="ISO 3166-1 alpha-2 codes.")
    starts = serializers.DateField(read_only=True, allow_null=True)
    ends = serializers.DateField(read_only=True, allow_null=True)
    phase = serializers.ChoiceField(choices=Phase.choices, read_only=True)
    lessons = serializers.CharField(read_only=True)
    closed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    created = serializers.DateTimeField(read_only=True)
    modified = serializers.DateTimeField(read_only=True)

    def get_participants(self, operation: Operation) -> list[int]:
        return sorted(o.pk for o in operation.compartment.organisations.all())

    def get_countries(self, operation: Operation) -> list[str]:
        return sorted(c.code for c in operation.countries.all())


class OperationInputSerializer(MarkingFieldsSerializer):
    """An operation's details and markings. On PATCH, what is left out keeps its value.
    Participants and the phase change through their own actions."""

    code_name = serializers.CharField(max_length=1000, allow_blank=True,
                                      trim_whitespace=False)
    objective = serializers.CharField(allow_blank=True, trim_whitespace=False)
    lead = serializers.IntegerField(allow_null=True, required=False, min_value=1,
                                    max_value=MAX_ID,
                                    help_text="The lead organisation's id: a participant.")
    crime_types = serializers.ListField(child=serializers.CharField(max_length=100),
                                        required=False,
                                        help_text="Codes of the crime-type taxonomy.")
    countries = serializers.ListField(child=serializers.CharField(max_length=8),
                                      required=False, help_text="ISO 3166-1 alpha-2 codes.")
    starts = serializers.DateField(required=False, allow_null=True)
    ends = serializers.DateField(required=False, allow_null=True)
    lessons = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)


class OperationCreateSerializer(OperationInputSerializer):
    """A new operation: its details, markings, participants and starting phase."""

    participants = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), required=False, default=list,
        help_text="Organisation ids; your organisation and the lead always take part.")
    phase = serializers.ChoiceField(choices=Phase.choices, required=False,
                                    default=Phase.COLLECT)


class ParticipantsSerializer(serializers.Serializer):
    participants = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        help_text="Every participating organisation's id (the owner and the lead stay).")


class PhaseSerializer(serializers.Serializer):
    phase = serializers.ChoiceField(choices=Phase.choices)


class CloseSerializer(serializers.Serializer):
    lessons = serializers.CharField(required=False, allow_blank=True, allow_null=True,
                                    default=None, trim_whitespace=False,
                                    help_text="Lessons learned (left out: kept as they are).")


class AfterActionSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The product draft's id (`/api/products/<id>/`).")
    reference = serializers.CharField()
    url = serializers.CharField(help_text="The draft in the products API.")
    page = serializers.CharField(help_text="The draft's page.")
    exact_audience = serializers.BooleanField(
        help_text="Whether the draft reaches exactly the operation's readers; else only "
                  "your organisation until you widen it.")


# --- targets -----------------------------------------------------------------------------

class LinkedField(serializers.CharField):
    """An intelligence object by its id (digits) or its STIX id."""

    def to_internal_value(self, data: Any) -> str:
        text = super().to_internal_value(data).strip()
        if text.isdigit() and parse_id(text) is None:
            raise serializers.ValidationError(_("“%s” is not an object id.") % text[:40])
        return text


class OperationRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    code_name = serializers.CharField()


class DeconflictionSerializer(serializers.Serializer):
    """What is known of a value, as the reader may be told it."""

    operations = OperationRefSerializer(
        many=True, help_text="Other operations you see that hold the value.")
    held_elsewhere = serializers.BooleanField(
        help_text="Operations you may not see hold it: the desk will put you in touch.")
    intel = serializers.SerializerMethodField(
        help_text="Ids of the intelligence objects you see carrying the value.")
    intel_held = serializers.BooleanField(
        help_text="Another agency's record carries it (hit/no-hit: the desk brokers).")
    warninglists = serializers.CharField()

    def get_intel(self, finding: deconfliction.Finding) -> list[int]:
        return [obj.pk for obj in finding.intel]


class TargetSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=Target.Kind.choices, read_only=True)
    linked = serializers.SerializerMethodField(
        help_text="Ids of the linked intelligence objects you may see.")
    added_by = serializers.SlugRelatedField(slug_field="username", read_only=True,
                                            allow_null=True)
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    deconfliction = serializers.SerializerMethodField()

    class Meta:
        model = Target
        fields = ["id", "kind", "value", "shown", "note", "linked", "added_by",
                  "organisation", "organisation_name", "added", "deconfliction"]
        read_only_fields = fields

    def get_linked(self, target: Target) -> list[int]:
        return [obj.pk for obj in getattr(target, "linked_visible", [])]

    @extend_schema_field(DeconflictionSerializer)
    def get_deconfliction(self, target: Target) -> dict[str, Any]:
        finding = self.context.get("statuses", {}).get(target.pk, deconfliction.Finding())
        return DeconflictionSerializer(finding).data


class TargetInputSerializer(serializers.Serializer):
    """One target: its type and its value as written; the value must canonicalise."""

    kind = serializers.ChoiceField(choices=Target.Kind.choices)
    text = serializers.CharField(max_length=500, help_text="The value as written.")
    note = serializers.CharField(max_length=target_services.NOTE_LENGTH, required=False,
                                 allow_blank=True, default="")
    linked = serializers.ListField(
        child=LinkedField(max_length=200), required=False, default=list,
        max_length=target_services.MAX_LINKED,
        help_text="Intelligence objects you may see: ids or STIX ids.")

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        try:
            canonical_target(data["kind"], data["text"])
        except ValueError as error:
            raise serializers.ValidationError({"text": [str(error)]}) from None
        return data


class TargetsInputSerializer(serializers.Serializer):
    targets = serializers.ListField(child=TargetInputSerializer(), allow_empty=False,
                                    max_length=target_services.MAX_TARGETS)


class TargetsAddedSerializer(serializers.Serializer):
    added = TargetSerializer(many=True)
    already = serializers.IntegerField(help_text="Values the operation already held.")


class LinkSerializer(serializers.Serializer):
    linked = serializers.ListField(
        child=LinkedField(max_length=200), max_length=target_services.MAX_LINKED,
        help_text="Intelligence objects you may see, ids or STIX ids (links to objects "
                  "you may not see are kept).")


class CheckValueSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Target.Kind.choices)
    text = serializers.CharField(max_length=500)


class CheckSerializer(serializers.Serializer):
    values = serializers.ListField(child=CheckValueSerializer(), allow_empty=False,
                                   max_length=deconfliction.MAX_CHECK)


class CheckLineSerializer(serializers.Serializer):
    line = serializers.IntegerField(help_text="The value's place in the list, from 1.")
    kind = serializers.CharField()
    text = serializers.CharField()
    value = serializers.CharField(help_text="The canonical value.")
    error = serializers.CharField(help_text="Why the text is not a value of its type.")
    found = serializers.BooleanField(source="finding.found")
    finding = DeconflictionSerializer()


# --- tasks -------------------------------------------------------------------------------

class TaskSerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=Task.Status.choices, read_only=True)
    assigned_to_name = serializers.CharField(source="assigned_to.name", read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True,
                                              allow_null=True)

    class Meta:
        model = Task
        fields = ["id", "title", "detail", "assigned_to", "assigned_to_name", "due",
                  "status", "created_by", "created", "completed_at"]
        read_only_fields = fields


class TaskInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=1000, allow_blank=True, trim_whitespace=False)
    detail = serializers.CharField(required=False, allow_blank=True, default="",
                                   trim_whitespace=False)
    assigned_to = serializers.IntegerField(min_value=1, max_value=MAX_ID,
                                           help_text="A participating organisation's id.")
    due = serializers.DateField(required=False, allow_null=True, default=None)


class TaskStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Task.Status.choices)


# --- the action log and results ---------------------------------------------------------

class LocalTimeField(serializers.DateTimeField):
    """A wall-clock time without an offset: the time zone says where it was."""

    def to_internal_value(self, value: Any) -> datetime:
        parsed = parse_datetime(value) if isinstance(value, str) and "\x00" not in value \
            else None
        if parsed is None:
            self.fail("invalid", format="YYYY-MM-DDThh:mm[:ss]")
        if parsed.tzinfo is not None:
            raise serializers.ValidationError(_("Give the local time without an offset; "
                                                "time_zone says where it was."))
        return parsed


class ActionSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=Action.Kind.choices, read_only=True)
    at = serializers.DateTimeField(read_only=True, help_text="When, in UTC.")
    local_time = serializers.SerializerMethodField(
        help_text="When, in the local time of where it happened, with its offset.")
    offset = serializers.SerializerMethodField(help_text="e.g. UTC+13:00")
    country = serializers.CharField(source="country_id", read_only=True)
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    recorded_by = serializers.SlugRelatedField(slug_field="username", read_only=True,
                                               allow_null=True)

    class Meta:
        model = Action
        fields = ["id", "kind", "at", "local_time", "offset", "time_zone", "country",
                  "organisation", "organisation_name", "summary", "target", "recorded_by",
                  "recorded"]
        read_only_fields = fields

    @staticmethod
    def _local(action: Action) -> datetime:
        return action.at.astimezone(ZoneInfo(action.time_zone))

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_local_time(self, action: Action) -> str:
        return self._local(action).isoformat()

    def get_offset(self, action: Action) -> str:
        return utc_offset(self._local(action))


class ActionInputSerializer(serializers.Serializer):
    """An action as recorded. On PATCH, what is left out keeps its value."""

    kind = serializers.ChoiceField(choices=Action.Kind.choices)
    local_time = LocalTimeField(help_text="Wall-clock time where it happened, without an "
                                          "offset (e.g. 2026-03-02T06:30).")
    time_zone = serializers.CharField(max_length=64, help_text="IANA, e.g. Pacific/Apia.")
    country = serializers.CharField(max_length=8, help_text="ISO 3166-1 alpha-2.")
    organisation = serializers.IntegerField(min_value=1, max_value=MAX_ID,
                                            help_text="A participating organisation's id.")
    summary = serializers.CharField(allow_blank=True, trim_whitespace=False)
    target = serializers.IntegerField(required=False, allow_null=True, default=None,
                                      min_value=1, max_value=MAX_ID,
                                      help_text="A target of the same operation.")


class ResultSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=Result.Kind.choices, read_only=True)
    country = serializers.CharField(source="country_id", read_only=True)
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    recorded_by = serializers.SlugRelatedField(slug_field="username", read_only=True,
                                               allow_null=True)

    class Meta:
        model = Result
        fields = ["id", "kind", "quantity", "currency", "country", "organisation",
                  "organisation_name", "on", "note", "action", "recorded_by"]
        read_only_fields = fields


class ResultInputSerializer(serializers.Serializer):
    """A result as recorded. On PATCH, what is left out keeps its value."""

    kind = serializers.ChoiceField(choices=Result.Kind.choices)
    quantity = serializers.DecimalField(max_digits=18, decimal_places=2,
                                        help_text="A count, or an amount for funds seized.")
    currency = serializers.CharField(max_length=3, required=False, allow_blank=True,
                                     default="", help_text="ISO 4217, funds seized only.")
    country = serializers.CharField(max_length=8, help_text="ISO 3166-1 alpha-2.")
    organisation = serializers.IntegerField(min_value=1, max_value=MAX_ID,
                                            help_text="A participating organisation's id.")
    on = serializers.DateField(required=False, allow_null=True, default=None)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True,
                                 default="")
    action = serializers.IntegerField(required=False, allow_null=True, default=None,
                                      min_value=1, max_value=MAX_ID,
                                      help_text="An action of the same operation.")


class TotalsSerializer(serializers.Serializer):
    counts = serializers.DictField(child=serializers.IntegerField(),
                                   help_text="Per kind of result: " + ", ".join(COUNTED))
    funds = serializers.DictField(child=serializers.CharField(),
                                  help_text="Funds seized per ISO 4217 currency, as decimal "
                                            "text; never added across currencies.")
