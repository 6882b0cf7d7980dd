"""Who brokers hit/no-hit: the regional desk's people holding ``Capability.BROKER``.

Everyone else learns of a record outside their audience only that another agency holds
something, and to contact the desk (DESIGN.md §2). A broker is told which agency holds it —
the organisation, never the record — so the desk can put the two agencies in touch. This
is the one definition of who that is; ``directory.roles`` documents the capability.
"""

from typing import Any

from vaka.directory.models import Organisation
from vaka.directory.roles import Capability


def is_broker(user: Any) -> bool:
    """An active user holding the broker capability, of an active local desk organisation.

    A stand-in for a connected instance's desk (``origin`` set) brokers nothing here."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if not user.can(Capability.BROKER) or user.organisation_id is None:
        return False
    org = user.organisation
    return (org.kind == Organisation.Kind.DESK and org.is_active
            and org.origin_id is None)
