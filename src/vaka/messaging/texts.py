"""What the inbox notice of a secure message says, in the reader's language.

Registered for ``MESSAGE`` by ``MessagingConfig.ready``. The notice names the sending
organisation (a party of the message) and the subject — no more of the content; it carries
the message's markings, so it reaches only the message's audience at the recipient. The
e-mail the inbox sends about it names nothing at all.
"""

from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from vaka.inbox.models import Notice
from vaka.messaging.models import Priority

KINDS = (Notice.Kind.MESSAGE,)


def _sentence(notice: Notice) -> str:
    params = notice.params
    if params.get("forwarded"):
        return _("%(sender)s forwarded a message to your organisation: %(subject)s")
    if params.get("priority") == Priority.URGENT:
        return _("%(sender)s sent your organisation an urgent message: %(subject)s")
    if params.get("priority") == Priority.PRIORITY:
        return _("%(sender)s sent your organisation a priority message: %(subject)s")
    return _("%(sender)s sent your organisation a message: %(subject)s")


def notice_text(notice: Notice, html: bool) -> str:
    """The notice's sentence; with ``html``, every part escaped and isolated."""
    parts = {"sender": notice.params.get("sender", ""),
             "subject": notice.params.get("subject", "")}
    sentence = _sentence(notice)
    if not html:
        return sentence % parts
    return mark_safe(escape(sentence) % {  # noqa: S308 - every part is escaped
        name: format_html("<bdi>{}</bdi>", value) for name, value in parts.items()})
