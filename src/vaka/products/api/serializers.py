"""Products in the REST API: the list, the reader's revision, the writer's input, the
workflow actions and the recipients' matrix.

The markings are read and written with the one markings serializer
(``policy.api.serializers``); the content rules are the services' (``products.services``),
so the API says what is wrong in the same words as the forms. The serializers here check
only the shapes a JSON body can get wrong (a section that should be text given a number).
"""

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from vaka.intel.crime_types import CrimeType
from vaka.policy.api.serializers import MarkingFieldsSerializer
from vaka.products import selectors
from vaka.products.kinds import COUNTRIES, SECTORS, sections_of
from vaka.products.models import Kind, Product, Recipient, Revision, Status
from vaka.products.services import LANGUAGE_CODES, Content

SECTION_SCHEMA = {
    "type": "object", "description": (
        "The kind's own sections (see `products.kinds`): Markdown or one line of text, or "
        "for targeted countries and sectors a list of codes."),
    "additionalProperties": {"oneOf": [{"type": "string"},
                                       {"type": "array", "items": {"type": "string"}}]}}


@extend_schema_field(SECTION_SCHEMA)
class SectionsField(serializers.DictField):
    """Sections by name: text, or a list of codes. Names and values are the services' to
    judge; this refuses only a value of the wrong shape, naming the section."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(child=serializers.JSONField(), **kwargs)

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        data = super().to_internal_value(data)
        errors: dict[str, list[str]] = {}
        for name, value in data.items():
            if isinstance(value, list):
                if not all(isinstance(v, str) for v in value):
                    errors[name] = [_("Give the codes as a list of strings.")]
            elif value is not None and not isinstance(value, str):
                errors[name] = [_("Give text, or a list of codes.")]
        if errors:
            raise serializers.ValidationError(errors)
        return data


class ProductSerializer(MarkingFieldsSerializer):
    """A product as lists show it: what its released revision says (its draft's, before
    the first release, to its owner organisation)."""

    id = serializers.IntegerField(read_only=True)
    reference = serializers.CharField(read_only=True)
    kind = serializers.ChoiceField(choices=Kind.choices, read_only=True)
    status = serializers.ChoiceField(choices=Status.choices, read_only=True)
    revision = serializers.SerializerMethodField(
        help_text="The revision a reader gets: the released one, or for the owner "
                  "organisation the newest.")
    title = serializers.CharField(read_only=True)
    summary = serializers.CharField(read_only=True)
    crime_types = serializers.ListField(child=serializers.ChoiceField(
        choices=CrimeType.choices), read_only=True)
    language = serializers.CharField(read_only=True)
    owner = serializers.IntegerField(source="owner_id", read_only=True)
    owner_name = serializers.CharField(source="owner.name", read_only=True)
    released_at = serializers.DateTimeField(read_only=True, allow_null=True)
    closed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    ack_deadline = serializers.DateTimeField(read_only=True, allow_null=True)

    def get_revision(self, product: Product) -> int | None:
        user = self.context["request"].user
        if selectors.is_owner_side(user, product):
            return product.revision
        return product.released_revision


class AnnexRowSerializer(serializers.Serializer):
    kind = serializers.CharField()
    value = serializers.CharField()
    object_name = serializers.CharField()
    tlp = serializers.CharField()


class RevisionSerializer(MarkingFieldsSerializer):
    """The revision of a product that the reader gets, with its own markings, the linked
    objects the reader may see and the indicators annex as the reader may read it."""

    id = serializers.IntegerField(source="product.pk", read_only=True)
    reference = serializers.CharField(source="product.reference", read_only=True)
    kind = serializers.ChoiceField(source="product.kind", choices=Kind.choices,
                                   read_only=True)
    status = serializers.ChoiceField(source="product.status", choices=Status.choices,
                                     read_only=True)
    owner = serializers.IntegerField(source="product.owner_id", read_only=True)
    owner_name = serializers.CharField(source="product.owner.name", read_only=True)
    released_at = serializers.DateTimeField(source="product.released_at", read_only=True,
                                            allow_null=True)
    closed_at = serializers.DateTimeField(source="product.closed_at", read_only=True,
                                          allow_null=True)
    ack_deadline = serializers.DateTimeField(source="product.ack_deadline", read_only=True,
                                             allow_null=True)
    period_start = serializers.DateField(source="product.period_start", read_only=True,
                                         allow_null=True)
    period_end = serializers.DateField(source="product.period_end", read_only=True,
                                       allow_null=True)
    revision = serializers.IntegerField(source="number", read_only=True)
    revision_status = serializers.ChoiceField(source="status", choices=Status.choices,
                                              read_only=True)
    revision_released_at = serializers.DateTimeField(source="released_at", read_only=True,
                                                     allow_null=True)
    approved_at = serializers.DateTimeField(read_only=True, allow_null=True)
    language = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True)
    summary = serializers.CharField(read_only=True)
    body = serializers.CharField(read_only=True)
    sections = serializers.SerializerMethodField()
    crime_types = serializers.ListField(child=serializers.ChoiceField(
        choices=CrimeType.choices), read_only=True)
    linked = serializers.SerializerMethodField(
        help_text="Ids of the linked intelligence objects you may see (`/api/objects/<id>/`).")
    annex = serializers.SerializerMethodField(
        help_text="The linked objects' values you may see, each once.")

    @extend_schema_field(SECTION_SCHEMA)
    def get_sections(self, revision: Revision) -> dict[str, Any]:
        stored = revision.sections or {}
        empty = {COUNTRIES: [], SECTORS: []}
        return {section.name: stored.get(section.name, empty.get(section.form, ""))
                for section in sections_of(revision.product.kind)}

    def get_linked(self, revision: Revision) -> list[int]:
        user = self.context["request"].user
        return list(selectors.linked_for(user, revision).values_list("pk", flat=True))

    @extend_schema_field(AnnexRowSerializer(many=True))
    def get_annex(self, revision: Revision) -> list[dict[str, str]]:
        user = self.context["request"].user
        return AnnexRowSerializer(selectors.annex_for(user, revision), many=True).data


class ProductInputSerializer(MarkingFieldsSerializer):
    """A draft's content and markings. On PATCH, what is left out keeps the draft's value."""

    kind = serializers.ChoiceField(choices=Kind.choices, required=False,
                                   help_text="Required when creating; fixed afterwards.")
    title = serializers.CharField(max_length=2000, allow_blank=True, trim_whitespace=False)
    summary = serializers.CharField(allow_blank=True, required=False, trim_whitespace=False)
    body = serializers.CharField(allow_blank=True, required=False, trim_whitespace=False)
    sections = SectionsField(required=False)
    crime_types = serializers.ListField(child=serializers.CharField(), required=False,
                                        help_text="Codes of the crime-type taxonomy.")
    language = serializers.ChoiceField(choices=LANGUAGE_CODES, required=False)
    linked = serializers.ListField(child=serializers.IntegerField(min_value=1),
                                   required=False,
                                   help_text="Ids of intelligence objects you may see.")
    ack_deadline = serializers.DateTimeField(required=False, allow_null=True)
    period_start = serializers.DateField(required=False, allow_null=True)
    period_end = serializers.DateField(required=False, allow_null=True)
    campaign = serializers.IntegerField(required=False, allow_null=True, min_value=1)

    def content(self, base: Content | None = None) -> Content:
        """The ``Content`` the services take: the given fields over ``base``."""
        data = self.validated_data
        base = base or Content(title="")
        given = {name: data[name] for name in Content.__dataclass_fields__ if name in data}
        values = {name: getattr(base, name) for name in Content.__dataclass_fields__}
        return Content(**{**values, **given})


class CommentSerializer(serializers.Serializer):
    comment = serializers.CharField(allow_blank=True, required=False, default="",
                                    max_length=4000, trim_whitespace=False)


class DisseminateSerializer(serializers.Serializer):
    countries = serializers.ListField(child=serializers.CharField(max_length=8),
                                      required=False, default=list,
                                      help_text="ISO 3166-1 alpha-2 codes: every active "
                                                "organisation of each country.")
    organisations = serializers.ListField(child=serializers.IntegerField(min_value=1),
                                          required=False, default=list)
    communities = serializers.ListField(child=serializers.IntegerField(min_value=1),
                                        required=False, default=list)
    deadline = serializers.DateTimeField(required=False, allow_null=True, default=None,
                                         help_text="Alerts: acknowledge by (default: the "
                                                   "product's).")
    comment = serializers.CharField(allow_blank=True, required=False, default="",
                                    max_length=4000)


class AcknowledgeSerializer(serializers.Serializer):
    ack = serializers.ChoiceField(choices=[Recipient.Ack.RECEIVED, Recipient.Ack.ACTIONED])
    note = serializers.CharField(allow_blank=True, required=False, default="",
                                 max_length=4000)


class RecipientSerializer(serializers.ModelSerializer):
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    country = serializers.CharField(source="organisation.country_id", read_only=True,
                                    allow_null=True)
    ack_by = serializers.SlugRelatedField(slug_field="username", read_only=True,
                                          allow_null=True, help_text="Who acknowledged.")
    overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = Recipient
        fields = ["organisation", "organisation_name", "country", "chosen_as", "revision",
                  "disseminated_at", "ack", "ack_note", "ack_by", "ack_at", "due_at",
                  "overdue", "reminders", "escalated_at"]
        read_only_fields = fields
