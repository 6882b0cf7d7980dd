"""A notice in words, in the reader's language, from its structured params."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils import dateformat, timezone
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from vaka.inbox.models import Notice


@dataclass
class Shown:
    notice: Notice
    text: str  # plain text (the API)
    html: SafeString  # for pages: names isolated, values left to right in Arabic too
    first: SafeString  # for pages: "first <time>" of a repeated notice, or ""


# What another app's notices say: ``text(notice, html)`` gives the plain text, or with
# ``html`` the page's HTML with every part escaped. Apps register theirs when ready.
_TEXTS: dict[str, Callable[[Notice, bool], str]] = {}


def register_texts(kinds: Iterable[str], text: Callable[[Notice, bool], str]) -> None:
    """Say how notices of ``kinds`` read (from the owning app's ``AppConfig.ready``)."""
    for kind in kinds:
        _TEXTS[kind] = text


def _hit_text(params: dict[str, Any], organisations: dict[int, str], count: int, *,
              html: bool = False) -> str:
    who = organisations.get(params.get("organisation") or 0) or _("An agency")
    value = params.get("value", "")
    if params.get("channel") == "ingest":
        sentence = ngettext("%(who)s submitted %(value)s, which your record holds.",
                            "%(who)s submitted %(value)s, which your record holds (%(count)d "
                            "times).", count)
    else:
        sentence = ngettext("%(who)s looked up %(value)s, which your record holds.",
                            "%(who)s looked up %(value)s, which your record holds (%(count)d "
                            "times).", count)
    if not html:
        return sentence % {"who": who, "value": value, "count": count}
    return mark_safe(escape(sentence) % {  # noqa: S308 - every part is escaped
        "who": format_html("<bdi>{}</bdi>", who),
        "value": format_html('<bdi dir="ltr">{}</bdi>', value), "count": count})


def _submission_text(params: dict[str, Any]) -> str:
    if params.get("status") == "rejected":
        return _("A submission was rejected: nothing of it was stored.")
    rejected = int(params.get("rejected") or 0)
    return ngettext("A submission was stored in part: %(n)d item was refused.",
                    "A submission was stored in part: %(n)d items were refused.",
                    rejected) % {"n": rejected}


def _product_text(notice: Notice, *, html: bool = False) -> str:
    """What a product notice says: its kind, reference and title, which its audience may
    read (the notice carries the product's markings)."""
    from vaka.products.models import Kind

    params = notice.params
    sentences = {
        Notice.Kind.PRODUCT: _("%(kind)s %(reference)s was sent to your organisation: "
                               "%(title)s"),
        Notice.Kind.PRODUCT_REVIEW: _("%(kind)s %(reference)s waits for a review: %(title)s"),
        Notice.Kind.ACK_REMINDER: _("%(kind)s %(reference)s waits for your organisation's "
                                    "acknowledgement: %(title)s"),
        Notice.Kind.ACK_ESCALATED: _("Your organisation has not acknowledged %(kind)s "
                                     "%(reference)s in time: %(title)s"),
    }
    kind = dict(Kind.choices).get(params.get("kind"), "")
    parts = {"kind": kind, "reference": params.get("reference", ""),
             "title": params.get("title", "")}
    if not html:
        return sentences[notice.kind] % parts
    return mark_safe(escape(sentences[notice.kind]) % {  # noqa: S308 - every part is escaped
        "kind": escape(kind), "reference": format_html('<bdi dir="ltr">{}</bdi>',
                                                       parts["reference"]),
        "title": format_html("<bdi>{}</bdi>", parts["title"])})


PRODUCT_KINDS = frozenset({Notice.Kind.PRODUCT, Notice.Kind.PRODUCT_REVIEW,
                           Notice.Kind.ACK_REMINDER, Notice.Kind.ACK_ESCALATED})


def _first_html(notice: Notice) -> SafeString:
    """When a repeated notice was first seen; the time isolated left to right, so that an
    Arabic page does not show its time before its date."""
    if notice.count < 2:
        return SafeString("")
    when = dateformat.format(timezone.localtime(notice.first_at), "Y-m-d H:i")
    return mark_safe(escape(_("first %(first)s")) % {  # noqa: S308 - every part is escaped
        "first": format_html('<bdi dir="ltr">{}</bdi>', when)})


def describe(notices: list[Notice]) -> list[Shown]:
    """The notices with their text; one query for the organisations they name."""
    from vaka.directory.models import Organisation

    ids = {n.params.get("organisation") for n in notices if n.kind == Notice.Kind.HIT}
    ids.discard(None)
    names = dict(Organisation.objects.filter(pk__in=ids).values_list("pk", "name")) if ids \
        else {}
    shown = []
    for notice in notices:
        if notice.kind == Notice.Kind.HIT:
            text = _hit_text(notice.params, names, notice.count)
            html = _hit_text(notice.params, names, notice.count, html=True)
        elif notice.kind in PRODUCT_KINDS:
            text = _product_text(notice)
            html = _product_text(notice, html=True)
        elif notice.kind in _TEXTS:
            text = _TEXTS[notice.kind](notice, False)
            html = mark_safe(_TEXTS[notice.kind](notice, True))  # noqa: S308 - escaped there
        elif notice.kind == Notice.Kind.SUBMISSION_PROBLEM:
            text = _submission_text(notice.params)
            html = escape(text)
        else:
            text = str(notice.get_kind_display())
            html = escape(text)
        shown.append(Shown(notice, text, html, _first_html(notice)))
    return shown


def target_url(notice: Notice) -> str:
    """Where opening the notice leads; the inbox when the target no longer resolves."""
    try:
        return reverse(notice.target_name, args=notice.target_args) if notice.target_name \
            else reverse("inbox:list")
    except NoReverseMatch:
        return reverse("inbox:list")
