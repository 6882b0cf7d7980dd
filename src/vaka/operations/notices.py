"""How the operations' own notices read: a participant added to an operation (OPERATION)
and a task assigned to an organisation (TASK). Registered with the inbox in
``OperationsConfig.ready``; the notice carries the operation's markings, so only its
audience in the told organisation reads it — and only organisations the operation reaches
are told (:func:`reached`), for every kind of the operations' notices."""

from collections.abc import Iterable
from typing import Any

from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from vaka.directory.models import Organisation
from vaka.inbox.models import Notice
from vaka.policy.visibility import reaches

KINDS = (Notice.Kind.OPERATION, Notice.Kind.TASK)


def reached(operation: Any, org_ids: Iterable[int]) -> list[int]:
    """The organisations among ``org_ids`` that ``operation``'s markings reach, in id
    order. A notice carries the operation's TLP and audience but not its distribution:
    told, a participant its distribution leaves out (TLP:GREEN to the owner organisation
    only, say) would read the code name of an operation it may not see."""
    return [org.pk for org in Organisation.objects.filter(pk__in=set(org_ids)).order_by("pk")
            if reaches(operation, org)]


def notice_text(notice: Notice, html: bool) -> str:
    """The notice in words, in the reader's language; with ``html`` every part escaped."""
    params = notice.params
    if notice.kind == Notice.Kind.TASK:
        sentence = (_("Your organisation has a task in operation %(reference)s %(code_name)s, "
                      "due %(due)s: %(title)s") if params.get("due") else
                    _("Your organisation has a task in operation %(reference)s "
                      "%(code_name)s: %(title)s"))
    else:
        sentence = _("Your organisation takes part in operation %(reference)s %(code_name)s.")
    parts = {name: str(params.get(name, "")) for name in
             ("reference", "code_name", "title", "due")}
    if not html:
        return sentence % parts
    return mark_safe(escape(sentence) % {  # noqa: S308 - every part is escaped
        "reference": format_html('<bdi dir="ltr">{}</bdi>', parts["reference"]),
        "code_name": format_html("<bdi>{}</bdi>", parts["code_name"]),
        "title": format_html("<bdi>{}</bdi>", parts["title"]),
        "due": format_html('<bdi dir="ltr">{}</bdi>', parts["due"])})
