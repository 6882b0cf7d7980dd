"""Markings in the REST API: every shareable record's serializer extends this one."""

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from vaka.directory.models import Community, Organisation, User
from vaka.policy.markings import (
    DEFAULT_GRADING_SCHEME,
    GRADING_SCHEME_CHOICES,
    PAP,
    TLP,
    Distribution,
    Handling,
)
from vaka.policy.services import Markings


class GradingSerializer(serializers.Serializer):
    scheme = serializers.ChoiceField(choices=GRADING_SCHEME_CHOICES, default=DEFAULT_GRADING_SCHEME)
    source = serializers.CharField(max_length=2, allow_blank=True, default="")
    information = serializers.CharField(max_length=2, allow_blank=True, default="")
    handling = serializers.CharField(max_length=2, allow_blank=True, default="")
    code = serializers.CharField(read_only=True)


class MarkingsSerializer(serializers.ModelSerializer):
    """owner/created_by are read-only; the markings are validated by ``policy.services``."""

    MARKING_FIELDS = ["owner", "owner_name", "created_by", "distribution", "communities", "tlp",
                      "recipient_organisations", "recipients", "pap", "handling",
                      "handling_note", "grading", "created", "modified"]

    owner = serializers.PrimaryKeyRelatedField(read_only=True)
    owner_name = serializers.CharField(source="owner.name", read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    distribution = serializers.ChoiceField(choices=Distribution.choices,
                                           default=Distribution.ORGANISATION)
    tlp = serializers.ChoiceField(choices=TLP.choices, default=TLP.AMBER)
    pap = serializers.ChoiceField(choices=PAP.choices, default=PAP.AMBER)
    communities = serializers.SlugRelatedField(
        slug_field="name", many=True, required=False, queryset=Community.objects.all(),
        help_text=_("Community names (distribution `communities`)."))
    recipient_organisations = serializers.PrimaryKeyRelatedField(
        many=True, required=False, queryset=Organisation.objects.filter(is_active=True),
        help_text=_("Organisation ids (TLP:AMBER, TLP:AMBER+STRICT)."))
    recipients = serializers.SlugRelatedField(
        slug_field="username", many=True, required=False,
        queryset=User.objects.filter(is_active=True),
        help_text=_("Usernames of the named recipients (TLP:RED)."))
    handling = serializers.ListField(child=serializers.ChoiceField(choices=Handling.choices),
                                     required=False, default=list)
    grading = serializers.SerializerMethodField()
    grading_input = GradingSerializer(write_only=True, required=False, source="grading")

    def get_grading(self, record: Any) -> dict[str, str]:
        return {"scheme": record.grading_scheme, "source": record.grading_source,
                "information": record.grading_information, "handling": record.grading_handling,
                "code": record.grading_code}

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict) and "grading" in data:
            data = {**data, "grading_input": data["grading"]}
        return super().to_internal_value(data)

    def markings(self, base: Markings | None = None) -> Markings:
        """Markings from the validated data, on top of ``base`` for a partial update."""
        data = self.validated_data
        m = base or Markings()
        for name in ("distribution", "tlp", "pap", "handling", "handling_note"):
            if name in data:
                setattr(m, name, data[name])
        for name in ("communities", "recipient_organisations", "recipients"):
            if name in data:
                setattr(m, name, list(data[name]))
        if grading := data.get("grading"):
            m.grading_scheme = grading.get("scheme", DEFAULT_GRADING_SCHEME)
            m.grading_source = grading.get("source", "")
            m.grading_information = grading.get("information", "")
            m.grading_handling = grading.get("handling", "")
        return m
