"""What an activity report is pre-filled with: the figures Vaka holds for its period.

The writer's own view of them (every count goes through the visibility policy), frozen
in the revision when it is written, so a report says what was known when it was issued.
Other apps add their figures (operations, training) with :func:`register`.
"""

from collections.abc import Callable
from datetime import date
from typing import Any

from django.utils.translation import gettext as _

from vaka.directory.models import Country
from vaka.intel.crime_types import label_of
from vaka.products.models import Kind, Recipient

Hook = Callable[[Any, date, date], dict[str, Any]]
HOOKS: list[Hook] = []


def register(hook: Hook) -> Hook:
    """Add ``hook(user, start, end) -> {name: figures}`` to every new activity report."""
    HOOKS.append(hook)
    return hook


def _alerts(user: Any, start: date, end: date) -> dict[str, int]:
    from vaka.products.selectors import products_for

    alerts = products_for(user).filter(owner_id=user.organisation_id, kind=Kind.ALERT,
                                       released_at__date__gte=start,
                                       released_at__date__lte=end)
    rows = Recipient.objects.filter(product__in=alerts.values("pk"))
    total = rows.count()
    acknowledged = rows.exclude(ack=Recipient.Ack.PENDING).count()
    return {"issued": alerts.count(), "recipients": total, "acknowledged": acknowledged,
            "actioned": rows.filter(ack=Recipient.Ack.ACTIONED).count(),
            "rate_percent": round(100 * acknowledged / total) if total else 0}


def snapshot(user: Any, start: date, end: date) -> dict[str, Any]:
    """The figures of ``start``–``end`` as ``user`` may see them."""
    from vaka.products.analytics import figures_for

    figures = figures_for(user, since=start, until=end)
    names = dict(Country.objects.values_list("code", "name"))
    data: dict[str, Any] = {
        "period": [start.isoformat(), end.isoformat()],
        "unit": _("objects"),
        "total": figures.total,
        "by_crime_type": {label_of(code): n for code, n in
                          sorted(figures.by_crime_type_code.items(), key=lambda i: -i[1])},
        "by_country": {names.get(code, code or _("No country")): n for code, n in
                       sorted(figures.by_country_code.items(), key=lambda i: -i[1])},
        "by_tlp": {f"TLP:{code.upper()}": n for code, n in figures.by_tlp_code.items()},
        "titles": {"by_crime_type": _("Intelligence by crime type"),
                   "by_country": _("Intelligence by country"),
                   "by_tlp": _("Intelligence by TLP")},
        "alerts": _alerts(user, start, end),
    }
    for hook in HOOKS:
        data.update(hook(user, start, end))
    return data
