from rest_framework import serializers

from vaka.intel.models import Note
from vaka.policy.api.serializers import MarkingsSerializer


class OwnerFields(serializers.Serializer):
    """Who owns a record: ``owner`` (its id), ``owner_name``, ``owner_country``, and
    ``owner_peer``, the connected instance it was received from (null for this instance's
    own organisations). A peer's organisation is held here by a stand-in that may bear the
    name of a local one: the peer's name keeps the two apart."""

    OWNER_FIELDS = ["owner", "owner_name", "owner_country", "owner_peer"]

    owner_name = serializers.CharField(source="owner.name", read_only=True)
    owner_country = serializers.CharField(source="owner.country_id", read_only=True,
                                          allow_null=True)
    owner_peer = serializers.CharField(source="owner.origin.name", read_only=True,
                                       allow_null=True)


class NoteSerializer(MarkingsSerializer):
    class Meta:
        model = Note
        fields = ["id", "title", "body", *MarkingsSerializer.MARKING_FIELDS]
        read_only_fields = ["created", "modified"]
