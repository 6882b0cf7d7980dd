"""The RFI panel of a thread page: ``{% rfi_panel message %}`` (from the include
``messaging/_rfi.html``), empty when the thread is no request for information."""

from typing import Any

from django import template
from django.http import QueryDict
from django.utils import translation
from django.utils.safestring import mark_safe

from vaka.directory.roles import Capability
from vaka.messaging import rfi_figures, rfis, selectors_rfis
from vaka.messaging.forms_rfis import AnswerForm, CloseForm
from vaka.messaging.models import Message
from vaka.web.charts import render_svg

register = template.Library()


@register.inclusion_tag("messaging/_rfi_panel.html", takes_context=True)
def rfi_panel(context: dict[str, Any], message: Message) -> dict[str, Any]:
    """The thread's RFI as ``context['user']`` may see it: status, deadline, why it is
    asked, the answers they may see, and the answer and close forms they may use."""
    user = context["user"]
    rfi = selectors_rfis.rfis_for(user).filter(message_id=message.thread_id_or_own).first()
    if rfi is None:
        return {"rfi": None}
    row = rfis.asked_row(user, rfi)
    can_answer = (row is not None and row.answered_at is None
                  and rfi.status != rfis.Status.CLOSED and user.can(Capability.CONTRIBUTE))
    can_close = (rfi.status != rfis.Status.CLOSED and rfis.is_sender_side(user, rfi)
                 and user.can(Capability.CONTRIBUTE))
    return {"rfi": rfi, "answers": list(selectors_rfis.answers_for(user, rfi)),
            "sender_side": rfis.is_sender_side(user, rfi), "own": row,
            "answer_form": AnswerForm() if can_answer else None,
            "close_form": CloseForm() if can_close else None}


@register.inclusion_tag("messaging/_rfi_status.html")
def rfi_status(status: str) -> dict[str, Any]:
    """A status badge: its label (``RequestForInformation.Status``) and colour."""
    badge = {"open": "text-bg-primary", "answered": "text-bg-success",
             "overdue": "text-bg-danger"}.get(status, "text-bg-secondary")
    return {"label": rfis.Status(status).label, "badge": badge}


@register.inclusion_tag("messaging/_rfi_figures_panel.html", takes_context=True)
def rfi_figures_panel(context: dict[str, Any], form: Any) -> dict[str, Any]:
    """The analytics dashboard's RFI panel (``messaging/_rfi_figures.html``): per
    organisation, the RFIs received and sent that ``context['user']`` may see, over the
    dashboard's period; nothing while its filter is wrong."""
    if form.is_bound and not form.is_valid():
        return {"figures": None}
    filters = form.filters()
    figures = rfi_figures.figures_for(context["user"], since=filters.get("since"),
                                      until=filters.get("until"))
    rtl = translation.get_language_bidi()
    sides = [(side, [(name, s) for name, s in figures.side(side)],
              # render_svg escapes every text it draws.
              mark_safe(render_svg(rfi_figures.chart(figures, side), rtl=rtl,  # noqa: S308
                                   chart_id=f"chart-rfis-{side}")))
             for side in rfi_figures.SIDES]
    period = QueryDict(mutable=True)
    for name in ("since", "until"):
        if form.is_bound and form.data.get(name):
            period[name] = form.data[name]
    return {"figures": figures, "sides": sides, "period": period.urlencode()}
