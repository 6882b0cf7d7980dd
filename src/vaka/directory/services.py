"""Writes to the directory: users, organisations, communities, API tokens."""

from datetime import timedelta
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vaka.directory.models import ApiToken, Community, Organisation, User, hash_token
from vaka.directory.roles import Capability, Role
from vaka.policy import audit

# What people may change about themselves; role, organisation and status need an admin.
SELF_SERVICE_FIELDS = frozenset({"first_name", "last_name", "email", "phone", "language"})
USER_FIELDS = ("username", "first_name", "last_name", "email", "phone", "role", "language",
               "is_active")


def can_manage_user(actor: User, organisation: Organisation | None, role: str = "") -> bool:
    """Platform admins manage everyone; org admins the users of their own organisation."""
    if actor.can(Capability.MANAGE_PLATFORM):
        return True
    return (
        actor.can(Capability.MANAGE_ORG_USERS)
        and organisation is not None
        and organisation.pk == actor.organisation_id
        and role != Role.PLATFORM_ADMIN
    )


@transaction.atomic
def create_user(
    *, actor: User | None, organisation: Organisation | None, password: str | None = None,
    request: Any = None, **fields: Any,
) -> User:
    """Create a user. ``actor`` None means the command line or the demo loader."""
    if actor is not None and not can_manage_user(actor, organisation, fields.get("role", "")):
        raise PermissionDenied(_("You may not create users in that organisation."))
    username = fields.get("username", "")
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": _("The username “%s” is taken.") % username})
    user = User(organisation=organisation, **{k: v for k, v in fields.items() if k in USER_FIELDS})
    if password:
        validate_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    audit.record(audit.Action.CREATE, actor=actor, target=user, request=request,
                 detail={"role": user.role, "organisation": organisation.pk if organisation
                         else None}, actor_name="cli")
    return user


@transaction.atomic
def update_user(user: User, *, actor: User, request: Any = None, **fields: Any) -> User:
    organisation = fields.pop("organisation", user.organisation)
    self_service = (actor.pk == user.pk and set(fields) <= SELF_SERVICE_FIELDS
                    and organisation == user.organisation)
    if not self_service and (
        not can_manage_user(actor, user.organisation, user.role)
        or not can_manage_user(actor, organisation, fields.get("role", user.role))
    ):
        raise PermissionDenied(_("You may not change this user."))
    if "username" in fields and User.objects.filter(
        username__iexact=fields["username"]).exclude(pk=user.pk).exists():
        raise ValidationError({"username": _("The username “%s” is taken.") % fields["username"]})
    changed = sorted(k for k, v in fields.items() if k in USER_FIELDS and getattr(user, k) != v)
    for name in changed:
        setattr(user, name, fields[name])
    if organisation != user.organisation:
        user.organisation = organisation
        changed.append("organisation")
    user.full_clean(exclude=["password"])
    user.save()
    audit.record(audit.Action.UPDATE, actor=actor, target=user, request=request,
                 detail={"changed": changed})
    return user


@transaction.atomic
def change_password(user: User, new_password: str, *, request: Any = None) -> None:
    validate_password(new_password, user)
    user.set_password(new_password)
    user.save(update_fields=["password"])
    audit.record(audit.Action.PASSWORD_CHANGE, actor=user, target=user, request=request)


def _require_platform_admin(actor: User | None) -> None:
    if actor is not None and not actor.can(Capability.MANAGE_PLATFORM):
        raise PermissionDenied(_("Only platform admins may do this."))


def _save_named(record: Organisation | Community, *, actor: User | None, request: Any,
                taken: str, detail: dict[str, Any] | None = None,
                after_save: Any = None) -> None:
    """Save a platform-managed record whose name is unique (case-insensitively), audited."""
    _require_platform_admin(actor)
    creating = record._state.adding
    model = type(record)
    same = model.objects.filter(name__iexact=record.name).exclude(pk=record.pk)
    if model is Organisation:  # stand-ins for other instances' organisations do not count
        same = same.filter(origin__isnull=True)
    if same.exists():
        raise ValidationError({"name": taken % record.name})
    record.full_clean()
    record.save()
    if after_save is not None:
        after_save()
    audit.record(audit.Action.CREATE if creating else audit.Action.UPDATE, actor=actor,
                 target=record, request=request, actor_name="cli", detail=detail)


@transaction.atomic
def save_organisation(
    org: Organisation, *, actor: User | None, request: Any = None
) -> Organisation:
    _save_named(org, actor=actor, request=request,
                taken=_("An organisation named “%s” exists."))
    return org


@transaction.atomic
def save_community(
    community: Community, members: list[Organisation], *, actor: User | None,
    request: Any = None,
) -> Community:
    _save_named(community, actor=actor, request=request,
                taken=_("A community named “%s” exists."),
                detail={"members": sorted(o.pk for o in members)},
                after_save=lambda: community.members.set(members))
    return community


@transaction.atomic
def create_token(
    user: User, *, name: str, expires_in_days: int | None = None, actor: User | None = None,
    request: Any = None,
) -> tuple[ApiToken, str]:
    """Create an API token for ``user``; returns the token and its key, shown only once."""
    if actor is not None and actor != user and not actor.can(Capability.MANAGE_PLATFORM):
        raise PermissionDenied(_("You may only create tokens for yourself."))
    if not user.is_active:
        raise ValidationError(_("%s is not an active user.") % user.username)
    if expires_in_days is not None and expires_in_days < 1:
        raise ValidationError({"expires": _("A token must last at least one day.")})
    key = ApiToken.generate_key()
    token = ApiToken(user=user, name=name.strip() or _("API token"),
                     key_hash=hash_token(key), hint=key[:12])
    if expires_in_days:
        token.expires = timezone.now() + timedelta(days=expires_in_days)
    token.full_clean(exclude=["key_hash", "hint"])
    token.save()
    audit.record(audit.Action.TOKEN_CREATE, actor=actor or user, target=token, request=request,
                 detail={"user": user.pk, "expires": token.expires.isoformat()
                         if token.expires else None})
    return token, key


@transaction.atomic
def revoke_token(token: ApiToken, *, actor: User, request: Any = None) -> None:
    if token.user_id != actor.pk and not actor.can(Capability.MANAGE_PLATFORM):
        raise PermissionDenied(_("You may only revoke your own tokens."))
    if token.revoked is None:
        token.revoked = timezone.now()
        token.save(update_fields=["revoked"])
        audit.record(audit.Action.TOKEN_REVOKE, actor=actor, target=token, request=request)


def authenticate_token(key: str) -> ApiToken | None:
    """The live token for ``key``, or None. Touches ``last_used`` at most once a minute."""
    token = (ApiToken.objects.select_related("user", "user__organisation")
             .filter(key_hash=hash_token(key)).first())
    now = timezone.now()
    if token is None or not token.is_valid(now) or not token.user.is_active:
        return None
    if token.last_used is None or now - token.last_used > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used=now)
    return token
