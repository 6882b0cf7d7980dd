"""User roles and what each may do.

Each user holds one role (as in MISP); a role grants a set of capabilities. Capabilities
decide what a user may *do*; what a user may *see* is decided by the visibility policy
alone, whatever the role.

Brokering (``Capability.BROKER``): the regional desk brokers hit/no-hit. When a value
someone checks or ingests is held by an agency they may not see, they are told only that
"another agency holds something: contact the desk". A desk user with the broker capability
is told *which* agency holds it (its name, never the record's content) and has a broker
view of every hit: the value, the holding agency, the agency and person who asked, when
and how. The capability is effective only for active users of an active, local
organisation of kind ``desk`` (``vaka.policy.brokering.is_broker``); it is held by the
coordinator, organisation admin and platform admin roles — the people who run the desk's
operations — not by its analysts or viewers. Every view of the broker list is audited.

Brokers deconflict operations the same way (``vaka.operations.desk``): when two operations
target the same value, each lead is told only that another operation holds it and that the
desk will put them in touch. A broker sees both sides — each operation's reference, code
name and lead organisation, and the value — and introduces the two leads, who are then
told each other's organisation (never the other operation). Every view of the clash list
and every introduction is audited.
"""

from collections.abc import Callable
from enum import StrEnum
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    VIEWER = "viewer", _("Viewer")
    ANALYST = "analyst", _("Analyst")
    PUBLISHER = "publisher", _("Publisher")
    COORDINATOR = "coordinator", _("Coordinator")
    TRAINER = "trainer", _("Trainer")
    ORG_ADMIN = "org_admin", _("Organisation admin")
    PLATFORM_ADMIN = "platform_admin", _("Platform admin")


class Capability(StrEnum):
    VIEW = "view"
    CONTRIBUTE = "contribute"  # create and edit intelligence and notes
    PUBLISH = "publish"  # approve products for dissemination
    COORDINATE = "coordinate"  # run joint operations
    TRAIN = "train"  # run courses and sessions
    MANAGE_ORG_USERS = "manage_org_users"  # users of one's own organisation
    MANAGE_PLATFORM = "manage_platform"  # organisations, communities, audit log
    BROKER = "broker"  # the desk names who holds a hit (see the module docstring)


# What each capability lets a user do, in the users' words (the profile page, the training
# requirements' choices).
CAPABILITY_LABELS: dict[Capability, Any] = {
    Capability.VIEW: _("See what is shared with you"),
    Capability.CONTRIBUTE: _("Submit intelligence and write notes"),
    Capability.PUBLISH: _("Approve products"),
    Capability.COORDINATE: _("Run joint operations"),
    Capability.TRAIN: _("Run courses and sessions"),
    Capability.MANAGE_ORG_USERS: _("Manage your organisation's users"),
    Capability.MANAGE_PLATFORM: _("Manage the platform"),
    Capability.BROKER: _("Broker hits for the desk"),
}

_ANALYST = {Capability.VIEW, Capability.CONTRIBUTE}
CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.VIEWER: frozenset({Capability.VIEW}),
    Role.ANALYST: frozenset(_ANALYST),
    Role.PUBLISHER: frozenset(_ANALYST | {Capability.PUBLISH}),
    Role.COORDINATOR: frozenset(_ANALYST | {Capability.COORDINATE, Capability.BROKER}),
    Role.TRAINER: frozenset({Capability.VIEW, Capability.TRAIN}),
    Role.ORG_ADMIN: frozenset(
        _ANALYST
        | {Capability.PUBLISH, Capability.COORDINATE, Capability.TRAIN,
           Capability.MANAGE_ORG_USERS, Capability.BROKER}
    ),
    Role.PLATFORM_ADMIN: frozenset(Capability),
}

# Gates: further conditions on a capability a role grants (``training.requirements``: an
# organisation may require a course's completion first). Each is ``gate(user, capability)
# -> bool``; a user has a capability only when the role grants it and every gate allows it.
GATES: list = []


def register_gate(gate: "Callable[[Any, Capability], bool]") -> None:
    """Add a gate (from an app's ``ready``); registering the same one twice is a no-op."""
    if gate not in GATES:
        GATES.append(gate)


# Roles that must sign in with a second factor.
TWO_FACTOR_REQUIRED = frozenset({Role.ORG_ADMIN, Role.PLATFORM_ADMIN})
