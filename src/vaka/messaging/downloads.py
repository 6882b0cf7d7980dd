"""The files a reader takes away from a message — an attachment, the message as a
``.eml`` file — answered alike by the pages and the API: downloads, typed as stored,
never sniffed again by the browser, sandboxed and not cached."""

from typing import Any

from django.http import FileResponse, Http404, HttpResponse

from vaka.intel.originals import safe_name
from vaka.messaging import eml
from vaka.messaging.models import Message, MessageAttachment
from vaka.uploads import INLINE_TYPES, guarded


def attachment_response(found: MessageAttachment, *, inline: bool = False) -> HttpResponse:
    """``found`` as a download (``Content-Disposition: attachment``), typed as sniffed
    when stored; an image or a PDF shown in the browser when ``inline``. 404 when its file
    is gone from storage, as for any missing one."""
    try:
        handle = found.file.open("rb")
    except OSError:
        raise Http404 from None
    inline = inline and found.content_type in INLINE_TYPES
    return guarded(FileResponse(handle, as_attachment=not inline,
                                 filename=safe_name(found.name),
                                 content_type=found.content_type))


def eml_response(message: Message, *, user: Any, request: Any = None) -> HttpResponse:
    """``message`` (which ``user`` may see) as a ``.eml`` download (``eml.export_eml``)."""
    try:
        data = eml.export_eml(message, user=user, request=request)
    except OSError:  # an attachment's file is gone from storage
        raise Http404 from None
    response = HttpResponse(data, content_type="message/rfc822")
    response["Content-Disposition"] = f'attachment; filename="{eml.filename_of(message)}"'
    return guarded(response)
