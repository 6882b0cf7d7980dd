"""Writes to the directory: users, organisations, communities, API tokens, recovery codes."""

from datetime import timedelta
from typing import Any, NoReturn

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _

from vaka.directory.models import (
    RECOVERY_CODE_COUNT,
    ApiToken,
    Community,
    Organisation,
    Programme,
    RecoveryCode,
    TOTPDevice,
    User,
    hash_recovery_code,
    hash_token,
)
from vaka.directory.roles import Capability, Role
from vaka.policy import audit, deferred

# What people may change about themselves; role, organisation and status need an admin.
SELF_SERVICE_FIELDS = frozenset({"first_name", "last_name", "email", "phone", "language"})
USER_FIELDS = ("username", "first_name", "last_name", "email", "phone", "role", "language",
               "is_active")
# Columns the audit log leaves out of a record's before/after.
_UNAUDITED = frozenset({"password", "last_login", "date_joined", "created", "key_hash"})


def _values(record: models.Model | None) -> dict[str, Any]:
    """A record's own columns (foreign keys as ids), as the audit log stores them."""
    if record is None:
        return {}
    values = {}
    for f in record._meta.concrete_fields:
        if f.primary_key or f.name in _UNAUDITED:
            continue
        value = f.value_from_object(record)
        values[f.name] = value if isinstance(value, str | int | float | bool | None) \
            else str(value)
    return values


def _changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """``{"before": …, "after": …}`` of the fields whose values differ."""
    names = sorted(k for k in after.keys() | before.keys() if before.get(k) != after.get(k))
    return {"before": {k: before.get(k) for k in names},
            "after": {k: after.get(k) for k in names}}


def _refuse_self_widening(actor: User, target: models.Model, field: str, message: str, *,
                          request: Any, detail: dict[str, Any]) -> NoReturn:
    """Refuse a directory change that would widen what ``actor`` sees, and audit the attempt.

    Roles never widen an admin's audience, and neither may an admin's own directory edits
    (DESIGN.md §2): another admin must make such a change, so that no one widens their
    own reach alone. The entry is written before the error is raised and outside the
    change's transaction, so the refusal stays on record while nothing else is stored.
    """
    audit.record(audit.Action.REFUSED, actor=actor, request=request,
                 target=target if target.pk else None,
                 detail={"refused": field, "reason": "would widen the actor's own audience",
                         "record": str(target), **detail})
    raise ValidationError({field: f"{message} {_('Another admin must make this change.')}"})


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


def update_user(user: User, *, actor: User, request: Any = None, **fields: Any) -> User:
    """Change a user; the audit entry holds each changed field before and after.

    People change their own details; admins change the users they manage, but not their
    own organisation or role: moving oneself would widen what one sees.
    """
    organisation = fields.pop("organisation", user.organisation)
    self_service = (actor.pk == user.pk and set(fields) <= SELF_SERVICE_FIELDS
                    and organisation == user.organisation)
    if not self_service and (
        not can_manage_user(actor, user.organisation, user.role)
        or not can_manage_user(actor, organisation, fields.get("role", user.role))
    ):
        raise PermissionDenied(_("You may not change this user."))
    if actor.pk == user.pk and organisation != user.organisation:
        _refuse_self_widening(
            actor, user, "organisation",
            _("You may not move yourself to another organisation: you would see what it "
              "sees."), request=request,
            detail={"before": {"organisation": user.organisation_id},
                    "after": {"organisation": organisation.pk if organisation else None}})
    if actor.pk == user.pk and fields.get("role", user.role) != user.role:
        _refuse_self_widening(
            actor, user, "role", _("You may not change your own role."), request=request,
            detail={"before": {"role": user.role}, "after": {"role": fields["role"]}})
    with transaction.atomic():
        return _update_user(user, actor=actor, request=request, organisation=organisation,
                            **fields)


def _update_user(user: User, *, actor: User, request: Any, organisation: Organisation | None,
                 **fields: Any) -> User:
    before = _values(user)
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
                 detail={"changed": changed, **_changes(before, _values(user))})
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


def save_organisation(
    org: Organisation, *, actor: User | None, request: Any = None
) -> Organisation:
    """Create or change an organisation (platform admins; ``actor`` None: the command line).

    ``org`` carries the wanted values; the audit entry holds each changed field before and
    after. An admin may not give their own organisation a new ``served_by``: TLP:AMBER
    shared with that organisation would then reach them.
    """
    _require_platform_admin(actor)
    stored = Organisation.objects.filter(pk=org.pk).first() if org.pk else None
    if (actor is not None and stored is not None and org.pk == actor.organisation_id
            and org.served_by_id not in (None, stored.served_by_id)):
        _refuse_self_widening(
            actor, stored, "served_by",
            _("%(org)s is your own organisation: if %(server)s served it, what is shared "
              "with %(server)s as TLP:AMBER would reach you.")
            % {"org": stored, "server": org.served_by}, request=request,
            detail={"before": {"served_by": stored.served_by_id},
                    "after": {"served_by": org.served_by_id}})
    with transaction.atomic():
        _save_named(org, actor=actor, request=request,
                    taken=_("An organisation named “%s” exists."),
                    detail=_changes(_values(stored), _values(org)))
    return org


def set_coordinators(programme: Programme, coordinators: list[User], *, actor: User | None,
                     request: Any = None) -> Programme:
    """Set a programme's coordinators (platform admins; ``actor`` None: the command line),
    audited with who was added and removed. Coordinators see the training records of the
    programme's sessions, so an admin may not name themself: another admin must."""
    _require_platform_admin(actor)
    before = sorted(programme.coordinators.values_list("pk", flat=True))
    after = sorted({user.pk for user in coordinators})
    if actor is not None and actor.pk in set(after) - set(before):
        _refuse_self_widening(
            actor, programme, "coordinators",
            _("You would see the training records of this programme's sessions."),
            request=request, detail={"before": {"coordinators": before},
                                     "after": {"coordinators": after}})
    if before == after:
        return programme
    with transaction.atomic():
        programme.coordinators.set(coordinators)
        audit.record(audit.Action.UPDATE, actor=actor, target=programme, request=request,
                     detail=_changes({"coordinators": before}, {"coordinators": after}))
    return programme


def save_community(
    community: Community, members: list[Organisation], *, actor: User | None,
    request: Any = None,
) -> Community:
    """Create or change a community and its members (platform admins; ``actor`` None: the
    command line); the audit entry holds what changed, members included, before and after.

    An admin may not add their own organisation to a community, new or not: they would see
    what is (or, by a community's name on a connected instance, will be) shared with it.
    """
    _require_platform_admin(actor)
    stored = Community.objects.filter(pk=community.pk).first() if community.pk else None
    before = _values(stored)
    if stored is not None:
        before["members"] = sorted(stored.members.values_list("pk", flat=True))
    after = {**_values(community), "members": sorted({o.pk for o in members})}
    joining = set(after["members"]) - set(before.get("members", []))
    if actor is not None and actor.organisation_id in joining:
        _refuse_self_widening(
            actor, stored or community, "members",
            _("%(org)s is your own organisation: as a member of this community you would see "
              "what is shared with it.") % {"org": actor.organisation}, request=request,
            detail={"before": {"members": before.get("members", [])},
                    "after": {"members": after["members"]}})
    with transaction.atomic():
        _save_named(community, actor=actor, request=request,
                    taken=_("A community named “%s” exists."),
                    detail=_changes(before, after),
                    after_save=lambda: community.members.set(members))
    return community


@transaction.atomic
def create_token(
    user: User, *, name: str, expires_in_days: int | None = None, actor: User | None = None,
    request: Any = None,
) -> tuple[ApiToken, str]:
    """Create an API token for ``user``; returns the token and its key, shown only once.

    Only for oneself (or from the command line, ``actor`` None): a key acts with its
    user's audience, so an admin holding someone else's would see what they see.
    """
    if actor is not None and actor != user:
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
    """The live token for ``key``, or None. Touches ``last_used`` at most once a minute
    (skipped while the database is busy: a read never fails for it)."""
    token = (ApiToken.objects.select_related("user", "user__organisation")
             .filter(key_hash=hash_token(key)).first())
    now = timezone.now()
    if token is None or not token.is_valid(now) or not token.user.is_active:
        return None
    if token.last_used is None or now - token.last_used > timedelta(minutes=1):
        deferred.touch(lambda: ApiToken.objects.filter(pk=token.pk).update(last_used=now))
    return token



# --- Two-factor recovery codes ------------------------------------------------------------
# Lower-case letters and digits without look-alikes (0/o, 1/i/l): 31 symbols; twelve of them
# carry about 59 random bits, shown in groups of four.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_CODE_LENGTH = 12


def normalise_recovery_code(typed: str) -> str:
    """The code as stored: case, spaces and dashes do not matter when typing it."""
    return "".join(c for c in typed.lower() if c not in " -\t")


def looks_like_recovery_code(typed: str) -> bool:
    """Whether what was typed has a recovery code's shape (an app code is six digits)."""
    code = normalise_recovery_code(typed)
    return len(code) == RECOVERY_CODE_LENGTH and not code.isdigit()


def has_totp(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


@transaction.atomic
def create_recovery_codes(user: User, *, request: Any = None) -> list[str]:
    """Give ``user`` a fresh set of recovery codes and return them; earlier codes stop working.

    The codes are returned once, for the user to save; only their keyed hashes are stored.
    Only for an account with two-factor sign-in on (the caller checks that the session has
    verified it): without an app there is nothing for the codes to stand in for.
    """
    if not has_totp(user):
        raise ValidationError({"otp_token": _("Turn on two-factor sign-in first: recovery "
                                              "codes stand in for the authenticator app.")})
    replaced = RecoveryCode.objects.filter(user=user).delete()[0]
    codes = [get_random_string(RECOVERY_CODE_LENGTH, RECOVERY_ALPHABET)
             for _i in range(RECOVERY_CODE_COUNT)]
    RecoveryCode.objects.bulk_create(
        RecoveryCode(user=user, code_hash=hash_recovery_code(user.pk, code)) for code in codes)
    audit.record(audit.Action.RECOVERY_CODES_CREATE, actor=user, target=user, request=request,
                 detail={"count": len(codes), "replaced": replaced})
    return ["-".join(code[i:i + 4] for i in range(0, len(code), 4)) for code in codes]


def recovery_codes_left(user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used__isnull=True).count()


@transaction.atomic
def use_recovery_code(user: User, typed: str, *, request: Any = None) -> int | None:
    """Spend one of ``user``'s recovery codes; returns how many are left, or None if ``typed``
    is none of their unused codes (the caller counts that as a wrong code and throttles).

    Each code works once: it is marked used in the same transaction that checks it, so two
    sign-ins racing with one code cannot both pass.
    """
    code_hash = hash_recovery_code(user.pk, normalise_recovery_code(typed))
    spent = RecoveryCode.objects.filter(user=user, code_hash=code_hash,
                                        used__isnull=True).update(used=timezone.now())
    if not spent:
        return None
    left = recovery_codes_left(user)
    audit.record(audit.Action.RECOVERY_CODE_USED, actor=user, target=user, request=request,
                 detail={"left": left})
    return left


@transaction.atomic
def reset_two_factor(user: User, *, actor: User, request: Any = None) -> None:
    """Turn ``user``'s two-factor sign-in off: their app and recovery codes stop working.

    For someone who lost their phone; an admin who manages the user does it, never the user
    themselves (their own second factor is what proves it is them). A role that requires
    two-factor sign-in must enrol again at the next sign-in; sessions verified with the old
    app lose that verification.
    """
    if actor.pk == user.pk:
        raise PermissionDenied(_("Another admin must reset your two-factor sign-in."))
    if not can_manage_user(actor, user.organisation, user.role):
        raise PermissionDenied(_("You may not change this user."))
    devices = TOTPDevice.objects.filter(user=user).delete()[0]
    codes = RecoveryCode.objects.filter(user=user).delete()[0]
    audit.record(audit.Action.TWO_FACTOR_RESET, actor=actor, target=user, request=request,
                 detail={"devices": devices, "recovery_codes": codes})
