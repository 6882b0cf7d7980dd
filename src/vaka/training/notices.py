"""How the training notices read: a person moved from a session's waiting list into it
(ENROLMENT). Registered with the inbox in ``TrainingConfig.ready``; the notice carries the
course's markings and goes only to the person's organisation, which sees the person."""

from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from vaka.inbox.models import Notice

KINDS = (Notice.Kind.ENROLMENT,)


def notice_text(notice: Notice, html: bool) -> str:
    """The notice in words, in the reader's language; with ``html`` every part escaped."""
    sentence = _("%(name)s moved from the waiting list into session %(reference)s "
                 "%(course)s, starting %(starts)s.")
    parts = {key: str(notice.params.get(key, ""))
             for key in ("name", "reference", "course", "starts")}
    if not html:
        return sentence % parts
    return mark_safe(escape(sentence) % {  # noqa: S308 - every part is escaped
        "name": format_html("<bdi>{}</bdi>", parts["name"]),
        "reference": format_html('<bdi dir="ltr">{}</bdi>', parts["reference"]),
        "course": format_html("<bdi>{}</bdi>", parts["course"]),
        "starts": format_html('<bdi dir="ltr">{}</bdi>', parts["starts"])})
