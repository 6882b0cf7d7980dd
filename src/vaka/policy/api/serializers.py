"""Markings in the REST API: every shareable record's serializer extends this one."""

from typing import Any

from rest_framework import serializers

from vaka.directory.models import Community, Organisation, User
from vaka.policy.inputs import (
    BY_NAME,
    CHOICE,
    CODES,
    COMMUNITIES,
    GRADE,
    HANDLING_NOTE_LENGTH,
    MARKING_INPUTS,
    NAMES,
    ORGANISATIONS,
    PEOPLE,
    MarkingInput,
    markings_from,
)
from vaka.policy.services import Markings, not_a_member

GRADING_PARTS = {"grading_scheme": "scheme", "grading_source": "source",
                 "grading_information": "information", "grading_handling": "handling"}


class NameField(serializers.SlugRelatedField):
    """A record by its name. A name holding a NUL character is refused before the
    look-up: no name holds one, and PostgreSQL refuses to compare text with it."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str) and "\x00" in data:
            self.fail("does_not_exist", slug_name=self.slug_field,
                      value=data.replace("\x00", "\\0"))
        return super().to_internal_value(data)


class CommunityNameField(NameField):
    """A community by name. An unknown name is refused in the words of a community the
    owner is not in (``not_a_member``), so the answers do not tell which names exist."""

    def to_internal_value(self, data: Any) -> Community:
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError:
            user = getattr(self.context.get("request"), "user", None)
            owner = getattr(user, "organisation", None)
            raise serializers.ValidationError(not_a_member(owner, str(data).strip())) from None


class AudienceListField(serializers.ManyRelatedField):
    """One of the audience's lists. A list already read (prefetched with the records of a
    page) is served as it is: DRF's ``.all()`` on it would read it again, once a record."""

    def get_attribute(self, instance: Any) -> Any:
        rows = getattr(instance, self.source_attrs[0], None) if len(self.source_attrs) == 1 \
            else None
        if getattr(rows, "_result_cache", None) is not None:
            return list(rows)
        return super().get_attribute(instance)


def serializer_field(spec: MarkingInput, *, source: str | None = None) -> serializers.Field:
    """The API field of one markings input (``policy.inputs``)."""
    common: dict[str, Any] = {"help_text": spec.help or None}
    if source:
        common["source"] = source
    if spec.kind == CHOICE:
        return serializers.ChoiceField(choices=spec.values, default=spec.default, **common)
    if spec.kind == CODES:
        return serializers.ListField(child=serializers.ChoiceField(choices=spec.values),
                                     default=list, **common)
    if spec.kind == GRADE:
        return serializers.CharField(max_length=2, allow_blank=True, default="", **common)
    if spec.kind == COMMUNITIES:
        return AudienceListField(child_relation=CommunityNameField(
            slug_field="name", queryset=Community.objects.all()), required=False, **common)
    if spec.kind == ORGANISATIONS:
        return AudienceListField(child_relation=serializers.PrimaryKeyRelatedField(
            queryset=Organisation.objects.filter(is_active=True)), required=False, **common)
    if spec.kind == PEOPLE:
        return AudienceListField(child_relation=NameField(
            slug_field="username", queryset=User.objects.filter(is_active=True)),
            required=False, **common)
    return serializers.CharField(max_length=HANDLING_NOTE_LENGTH, allow_blank=True,
                                 default="", **common)


GradingSerializer = type("GradingSerializer", (serializers.Serializer,), {
    "__doc__": "The grade as one object; its fields map onto the ``grading_*`` columns.",
    **{part: serializer_field(BY_NAME[name], source=name)
       for name, part in GRADING_PARTS.items()},
    "code": serializers.CharField(read_only=True, source="grading_code"),
})


def _fields(names: tuple[str, ...]) -> dict[str, serializers.Field]:
    return {spec.name: serializer_field(spec) for spec in MARKING_INPUTS if spec.name in names}


class _MarkingMethods:
    validated_data: dict[str, Any]

    def markings(self, base: Markings | None = None) -> Markings:
        """Markings from the validated data, on top of ``base`` for a partial update."""
        data = self.validated_data
        return markings_from({name: data[name] for name in NAMES if name in data}, base)


# Flat: every input at the top level (multipart uploads cannot nest objects).
MarkingInputSerializer = type("MarkingInputSerializer", (_MarkingMethods, serializers.Serializer),
                              _fields(NAMES))
_NESTED = _fields(tuple(n for n in NAMES if n not in GRADING_PARTS))
_NESTED["grading"] = GradingSerializer(source="*", required=False)
MarkingFieldsSerializer = type("MarkingFieldsSerializer",
                               (_MarkingMethods, serializers.Serializer), _NESTED)


class MarkingsSerializer(MarkingFieldsSerializer, serializers.ModelSerializer):  # type: ignore[misc,valid-type]
    """owner/created_by are read-only; the markings are validated by ``policy.services``."""

    MARKING_FIELDS = ["owner", "owner_name", "created_by", "distribution", "communities", "tlp",
                      "recipient_organisations", "recipients", "pap", "handling",
                      "handling_note", "grading", "created", "modified"]

    owner = serializers.PrimaryKeyRelatedField(read_only=True)
    owner_name = serializers.CharField(source="owner.name", read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
