"""Markings in the REST API: every shareable record's serializer extends this one."""

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
    """The grade as one object; its fields map onto the record's ``grading_*`` columns."""

    scheme = serializers.ChoiceField(choices=GRADING_SCHEME_CHOICES, source="grading_scheme",
                                     default=DEFAULT_GRADING_SCHEME)
    source = serializers.CharField(max_length=2, allow_blank=True, default="",
                                   source="grading_source")
    information = serializers.CharField(max_length=2, allow_blank=True, default="",
                                        source="grading_information")
    handling = serializers.CharField(max_length=2, allow_blank=True, default="",
                                     source="grading_handling")
    code = serializers.CharField(read_only=True, source="grading_code")


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
    grading = GradingSerializer(source="*", required=False)

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
        for name in ("grading_scheme", "grading_source", "grading_information",
                     "grading_handling"):
            if name in data:
                setattr(m, name, data[name])
        return m
