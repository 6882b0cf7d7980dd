"""REST API: what free text holds, before anything is stored (the API's review step).

``POST /api/submissions/`` with free text stores only the values the extractor is certain
of. This endpoint shows everything it found, the uncertain values flagged with a reason, so
that a client can let an analyst choose and then submit the chosen values as CSV.
"""

from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import parsers, serializers, status
from rest_framework.decorators import api_view, parser_classes
from rest_framework.request import Request
from rest_framework.response import Response

from vaka.intel.parsing.errors import InputError
from vaka.intel.parsing.extract import extract, read_text
from vaka.intel.uncertain import explanation
from vaka.web.drf import JSONParser


class ExtractionSerializer(serializers.Serializer):
    file = serializers.FileField(required=False, help_text="A .txt, .md, .html or .pdf file.")
    content = serializers.CharField(required=False, trim_whitespace=False,
                                    help_text="Pasted text, instead of a file.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("file") and not attrs.get("content"):
            raise serializers.ValidationError({"file": _("Send a file or content.")})
        upload = attrs.get("file")
        if upload and upload.size > settings.MAX_UPLOAD_MB * 1024 * 1024:
            raise serializers.ValidationError({"file": _(
                "%(name)s is larger than %(limit)d MB.")
                % {"name": upload.name, "limit": settings.MAX_UPLOAD_MB}})
        return attrs


@extend_schema(request=ExtractionSerializer, responses=OpenApiTypes.OBJECT)  # shape: docstring
@api_view(["POST"])
@parser_classes([parsers.MultiPartParser, parsers.FormParser, JSONParser])
def extract_text(request: Request) -> Response:
    """The indicators in a file or pasted text, in order of appearance; nothing is stored.

    Each result has `kind`, `value`, `certain` and, when `certain` is false, a `reason`
    code with its `explanation`: `version`, `oid` or `section` (the words around a dotted
    quad say it is not an address), `line-break-part` (the value touches a line break and
    may be only part of one), `joined-across-line-break` (the value only exists if two
    lines are joined). Submitting the same text as free text stores only the certain
    values; to store uncertain ones an analyst has chosen, submit them as CSV. `problems`
    lists what was left out of a long file. A file that cannot be read is a 400 saying why.
    """
    form = ExtractionSerializer(data=request.data)
    form.is_valid(raise_exception=True)
    upload = form.validated_data.get("file")
    data = upload.read() if upload else form.validated_data["content"].encode()
    try:
        read = read_text(data, upload.name if upload else "pasted.txt")
    except InputError as error:
        return Response({"file" if upload else "content": [p.message for p in error.problems]},
                        status=status.HTTP_400_BAD_REQUEST)
    found = extract(read.text, uncertain=True)
    return Response({
        "count": len(found),
        "uncertain": sum(not i.certain for i in found),
        "problems": [str(p) for p in read.problems],
        "results": [{"kind": i.kind, "value": i.value, "certain": i.certain,
                     **({"reason": i.reason, "explanation": explanation(i.reason)}
                        if not i.certain else {})} for i in found],
    })
