"""What the inbox notices of requests for information say, in the reader's language.

Registered for ``RFI``, ``RFI_ANSWERED`` and ``RFI_OVERDUE`` by ``MessagingConfig.ready``.
A notice carries the message's markings, so the subject it names reaches only the
message's audience; the organisations it names are the message's parties.
"""

from typing import Any

from django.utils import dateformat, timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from vaka.inbox.models import Notice

KINDS = (Notice.Kind.RFI, Notice.Kind.RFI_ANSWERED, Notice.Kind.RFI_OVERDUE)


def _deadline(params: dict[str, Any]) -> str:
    moment = parse_datetime(params.get("deadline") or "")
    if moment is None:
        return ""
    return dateformat.format(timezone.localtime(moment), "Y-m-d H:i T")


def _sentence(notice: Notice) -> str:
    params = notice.params
    if notice.kind == Notice.Kind.RFI:
        return _("%(sender)s asks your organisation for information by %(deadline)s: "
                 "%(subject)s")
    if notice.kind == Notice.Kind.RFI_ANSWERED:
        if params.get("late"):
            return _("%(organisation)s answered your request for information after its "
                     "deadline: %(subject)s")
        return _("%(organisation)s answered your request for information: %(subject)s")
    if params.get("side") == "sender":
        return _("Your request for information passed its deadline (%(deadline)s) without "
                 "an answer from %(missing)s; your organisation's admins are told: %(subject)s")
    return _("Your organisation has not answered the request for information from "
             "%(sender)s by its deadline (%(deadline)s); your organisation's admins are "
             "told: %(subject)s")


def notice_text(notice: Notice, html: bool) -> str:
    """The notice's sentence; with ``html``, every part escaped and isolated."""
    params = notice.params
    parts = {"sender": params.get("sender", ""),
             "organisation": params.get("organisation", ""),
             "missing": ", ".join(params.get("missing") or []),
             "subject": params.get("subject", ""), "deadline": _deadline(params)}
    sentence = _sentence(notice)
    if not html:
        return sentence % parts
    shown = {name: format_html("<bdi>{}</bdi>", value) for name, value in parts.items()}
    shown["deadline"] = format_html('<bdi dir="ltr">{}</bdi>', parts["deadline"])
    return mark_safe(escape(sentence) % shown)  # noqa: S308 - every part is escaped
