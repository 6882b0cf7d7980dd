"""User roles and what each may do.

Each user holds one role (as in MISP); a role grants a set of capabilities. Capabilities
decide what a user may *do*; what a user may *see* is decided by the visibility policy
alone, whatever the role.
"""

from enum import StrEnum

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


_ANALYST = {Capability.VIEW, Capability.CONTRIBUTE}
CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.VIEWER: frozenset({Capability.VIEW}),
    Role.ANALYST: frozenset(_ANALYST),
    Role.PUBLISHER: frozenset(_ANALYST | {Capability.PUBLISH}),
    Role.COORDINATOR: frozenset(_ANALYST | {Capability.COORDINATE}),
    Role.TRAINER: frozenset({Capability.VIEW, Capability.TRAIN}),
    Role.ORG_ADMIN: frozenset(
        _ANALYST
        | {Capability.PUBLISH, Capability.COORDINATE, Capability.TRAIN,
           Capability.MANAGE_ORG_USERS}
    ),
    Role.PLATFORM_ADMIN: frozenset(Capability),
}

# Roles that must sign in with a second factor.
TWO_FACTOR_REQUIRED = frozenset({Role.ORG_ADMIN, Role.PLATFORM_ADMIN})
