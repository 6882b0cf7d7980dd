"""The targets table's deconfliction column: ``{% deconfliction_for targets as found %}``
once before the table (a few queries for all its rows), then
``{% deconfliction_status found target %}`` in each row."""

from collections.abc import Iterable
from typing import Any

from django import template

from vaka.intel.services import desk_contact
from vaka.operations import deconfliction
from vaka.operations.models import Target
from vaka.policy.brokering import is_broker

register = template.Library()


@register.simple_tag(takes_context=True)
def deconfliction_for(context: template.Context, targets: Iterable[Target]) -> dict[str, Any]:
    """Every row's deconfliction status for the viewing user, and whom to contact."""
    request = context.get("request")
    user = request.user if request is not None else None
    return {"findings": deconfliction.statuses(user, targets), "desk": desk_contact()}


@register.inclusion_tag("operations/_deconfliction_status.html")
def deconfliction_status(found: dict[str, Any], target: Target) -> dict[str, Any]:
    """One row's cell: other operations, the desk's hit/no-hit, matching intelligence."""
    return {"finding": found["findings"].get(target.pk, deconfliction.Finding()),
            "desk": found["desk"]}


@register.simple_tag(takes_context=True)
def desk_broker(context: template.Context) -> bool:
    """Whether the viewer is a desk broker (``policy.brokering``): the clash list's link."""
    request = context.get("request")
    return is_broker(request.user if request is not None else None)
