from typing import Any

from rest_framework import serializers

from vaka.directory.models import ApiToken, Community, Country, Organisation, User


class CountrySerializer(serializers.ModelSerializer):
    programmes = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = Country
        fields = ["code", "alpha3", "name", "programmes"]


class OrganisationSerializer(serializers.ModelSerializer):
    country = serializers.PrimaryKeyRelatedField(queryset=Country.objects.all(), allow_null=True,
                                                 required=False)

    class Meta:
        model = Organisation
        fields = ["id", "name", "short_name", "kind", "country", "served_by", "contact_email",
                  "description", "is_active", "created"]
        read_only_fields = ["created"]


class UserSerializer(serializers.ModelSerializer):
    # allow_null: a user without an organisation (a platform admin may have none) answers
    # null, where DRF would otherwise leave the field out.
    organisation_name = serializers.CharField(source="organisation.name", read_only=True,
                                              allow_null=True)
    password = serializers.CharField(write_only=True, required=False, allow_blank=True,
                                     style={"input_type": "password"})

    class Meta:
        model = User
        fields = ["id", "username", "first_name", "last_name", "email", "phone", "organisation",
                  "organisation_name", "role", "language", "is_active", "last_login", "password"]
        read_only_fields = ["last_login"]
        extra_kwargs = {"username": {"validators": []}}


class CommunitySerializer(serializers.ModelSerializer):
    members = serializers.PrimaryKeyRelatedField(
        many=True, queryset=Organisation.objects.all(), required=False)

    class Meta:
        model = Community
        fields = ["id", "name", "description", "members", "created"]
        read_only_fields = ["created"]
        extra_kwargs = {"name": {"validators": []}}


class TokenSerializer(serializers.ModelSerializer):
    expires_in_days = serializers.IntegerField(write_only=True, required=False, min_value=1,
                                               max_value=3650, allow_null=True)
    key = serializers.SerializerMethodField(
        help_text="The token itself: returned once, when the token is created.")
    is_valid = serializers.BooleanField(read_only=True)

    class Meta:
        model = ApiToken
        fields = ["id", "name", "hint", "created", "expires", "last_used", "revoked",
                  "is_valid", "expires_in_days", "key"]
        read_only_fields = ["hint", "created", "expires", "last_used", "revoked"]

    def get_key(self, token: Any) -> str | None:
        return self.context.get("new_key")
