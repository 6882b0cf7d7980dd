from vaka.intel.models import Note
from vaka.policy.api.serializers import MarkingsSerializer


class NoteSerializer(MarkingsSerializer):
    class Meta:
        model = Note
        fields = ["id", "title", "body", *MarkingsSerializer.MARKING_FIELDS]
        read_only_fields = ["created", "modified"]
