"""Writing an operation's action log and its results.

An action happened at a local time somewhere in a region that spans the date line (Apia
is UTC+13, Kiritimati UTC+14, Honolulu UTC−10, Phnom Penh UTC+7). The recorder gives the
wall-clock time and the place's IANA time zone; the action is stored in UTC, so the
timeline runs in the order things really happened, and each entry is shown again in its
own local time with its offset (``operations.figures.timeline_for``).

A result is a figure (arrests, takedowns, accounts frozen, funds seized, victims
identified or notified) for a country and the participating organisation that achieved
it; funds seized carry an ISO 4217 currency and are never added across currencies.

Who writes: users of a participating organisation who may contribute or coordinate and
who can see the operation. An entry is changed or removed by whoever recorded it or by a
coordinator. Every write is checked, written in one transaction and audited on the
operation; errors are one ``ValidationError`` keyed by the form's field names.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

import pycountry
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vaka.directory.models import Country, User
from vaka.directory.roles import Capability
from vaka.operations.models import Action, Operation, Result, Target
from vaka.operations.services import _check_open as check_open
from vaka.operations.services import can_coordinate, participant_ids
from vaka.policy import audit
from vaka.policy.visibility import can_see

# Codes ISO 4217 lists that are no money: "no currency" and "for testing".
NOT_MONEY = frozenset({"XXX", "XTS"})
MAX_SUMMARY = 10_000


@cache
def time_zones() -> frozenset[str]:
    """Every IANA time zone name this system knows."""
    return frozenset(available_timezones())


@dataclass
class ActionInput:
    """What a recorder gives for an action (the same for the form and any other caller)."""

    kind: str
    local_time: datetime | None  # wall-clock time where it happened, without a zone
    time_zone: str
    country: str  # ISO 3166-1 alpha-2
    organisation: int | None  # a participating organisation's id
    summary: str
    target: int | None = None  # a target of the same operation


@dataclass
class ResultInput:
    """What a recorder gives for a result."""

    kind: str
    quantity: Decimal | str | None
    country: str
    organisation: int | None
    currency: str = ""
    on: date | None = None
    note: str = ""
    action: int | None = None  # an action of the same operation


# --- who may write -----------------------------------------------------------------------

def may_record(user: Any, operation: Operation) -> bool:
    """Users of a participating organisation who contribute or coordinate and see it."""
    return bool(getattr(user, "is_authenticated", False) and user.organisation_id
                and (user.can(Capability.CONTRIBUTE) or user.can(Capability.COORDINATE))
                and user.organisation_id in participant_ids(operation)
                and can_see(user, operation))


def may_change(user: Any, entry: Action | Result) -> bool:
    """Whoever recorded an entry, or a coordinator of the operation, changes it."""
    operation = entry.operation
    if entry.recorded_by_id is not None and entry.recorded_by_id == getattr(user, "pk", None):
        return may_record(user, operation)
    return can_coordinate(user, operation)


def check_may_record(user: Any, operation: Operation) -> None:
    if not may_record(user, operation):
        raise PermissionDenied(_("Only contributors and coordinators of a participating "
                                 "organisation record actions and results."))
    check_open(operation)


def check_may_change(user: Any, entry: Action | Result) -> None:
    if not may_change(user, entry):
        raise PermissionDenied(_("Only whoever recorded this entry, or a coordinator of the "
                                 "operation, may change it."))
    check_open(entry.operation)


# --- checking what is given ---------------------------------------------------------------

class _Errors(dict[str, list[str]]):
    def fail(self, name: str, message: str) -> None:
        self.setdefault(name, []).append(message)

    def raise_any(self) -> None:
        if self:
            raise ValidationError(dict(self))


def to_utc(local_time: datetime, zone_name: str) -> datetime:
    """``local_time`` (naive, the wall clock in ``zone_name``) as an aware UTC datetime.

    Raises ValueError, with the reason, for a time the clocks skipped (it never happened
    there) or one they showed twice (it is ambiguous)."""
    zone = ZoneInfo(zone_name)
    naive = local_time.replace(tzinfo=None)
    first, second = naive.replace(tzinfo=zone, fold=0), naive.replace(tzinfo=zone, fold=1)
    if first.utcoffset() != second.utcoffset():
        back = first.astimezone(ZoneInfo("UTC")).astimezone(zone).replace(tzinfo=None)
        if back != naive:
            raise ValueError(_("%(time)s did not exist in %(zone)s: the clocks went forward "
                               "over it.") % {"time": f"{naive:%Y-%m-%d %H:%M}",
                                              "zone": zone_name})
        raise ValueError(_("%(time)s happened twice in %(zone)s (the clocks went back); give "
                           "the time in UTC instead.")
                         % {"time": f"{naive:%Y-%m-%d %H:%M}", "zone": zone_name})
    return first.astimezone(ZoneInfo("UTC"))


def _country(code: str, errors: _Errors) -> Country | None:
    code = (code or "").strip().upper()
    if not code:
        errors.fail("country", _("Say in which country."))
        return None
    country = Country.objects.filter(code=code).first() if "\x00" not in code else None
    if country is None:
        errors.fail("country", _("“%s” is not the ISO code of a country in the directory.")
                    % code)
    return country


def _participant(operation: Operation, org_id: int | None, errors: _Errors) -> int | None:
    if org_id is None:
        errors.fail("organisation", _("Say which participating organisation did it."))
        return None
    if org_id not in participant_ids(operation):
        # The same words whether or not the organisation exists.
        errors.fail("organisation", _("Organisation %(id)s does not take part in operation "
                                      "%(reference)s.")
                    % {"id": org_id, "reference": operation.reference})
        return None
    return org_id


def _text(name: str, text: str, errors: _Errors, *, required: bool, limit: int) -> str:
    text = (text or "").strip()
    if "\x00" in text:
        errors.fail(name, _("The text holds a NUL character."))
    elif required and not text:
        errors.fail(name, _("This is required."))
    elif len(text) > limit:
        errors.fail(name, _("%(n)d characters long; at most %(limit)d fit.")
                    % {"n": len(text), "limit": limit})
    return text


def _clean_action(operation: Operation, data: ActionInput) -> dict[str, Any]:
    errors = _Errors()
    if data.kind not in Action.Kind.values:
        errors.fail("kind", _("“%(kind)s” is not a kind of action (%(known)s).")
                    % {"kind": data.kind, "known": ", ".join(Action.Kind.values)})
    zone = (data.time_zone or "").strip()
    at = None
    if zone not in time_zones():
        errors.fail("time_zone", _("“%s” is not an IANA time zone (e.g. Pacific/Apia, "
                                   "Pacific/Honolulu, Asia/Phnom_Penh).") % zone)
    if data.local_time is None:
        errors.fail("local_time", _("Say when it happened, in local time."))
    elif zone in time_zones():
        try:
            at = to_utc(data.local_time, zone)
        except ValueError as error:
            errors.fail("local_time", str(error))
    country = _country(data.country, errors)
    org_id = _participant(operation, data.organisation, errors)
    target = None
    if data.target is not None:
        target = Target.objects.filter(operation=operation, pk=data.target).first()
        if target is None:
            errors.fail("target", _("Operation %(reference)s has no target %(id)s.")
                        % {"reference": operation.reference, "id": data.target})
    summary = _text("summary", data.summary, errors, required=True, limit=MAX_SUMMARY)
    errors.raise_any()
    return {"kind": data.kind, "at": at, "time_zone": zone, "country": country,
            "organisation_id": org_id, "target": target, "summary": summary}


def _clean_result(operation: Operation, data: ResultInput) -> dict[str, Any]:
    errors = _Errors()
    if data.kind not in Result.Kind.values:
        errors.fail("kind", _("“%(kind)s” is not a kind of result (%(known)s).")
                    % {"kind": data.kind, "known": ", ".join(Result.Kind.values)})
    funds = data.kind == Result.Kind.FUNDS_SEIZED
    quantity = None
    try:
        quantity = Decimal(str(data.quantity).strip()) if data.quantity not in (None, "") \
            else None
    except InvalidOperation:
        errors.fail("quantity", _("“%s” is not a number.") % data.quantity)
    else:
        if quantity is None:
            errors.fail("quantity", _("Give the figure."))
        elif not quantity.is_finite() or quantity < 0:
            errors.fail("quantity", _("A figure is zero or more."))
        elif quantity >= Decimal(10) ** 16:
            errors.fail("quantity", _("The figure is too large."))
        elif not funds and quantity != quantity.to_integral_value():
            errors.fail("quantity", _("This figure is a count: a whole number."))
        elif funds and quantity != quantity.quantize(Decimal("0.01")):
            errors.fail("quantity", _("An amount has at most two decimals."))
    currency = (data.currency or "").strip().upper()
    if funds:
        if not currency:
            errors.fail("currency", _("Funds seized need their currency (ISO 4217, e.g. "
                                      "WST, FJD, USD)."))
        elif currency in NOT_MONEY or pycountry.currencies.get(alpha_3=currency) is None:
            errors.fail("currency", _("“%s” is not an ISO 4217 currency code.") % currency)
    elif currency:
        errors.fail("currency", _("Only funds seized have a currency."))
    country = _country(data.country, errors)
    org_id = _participant(operation, data.organisation, errors)
    action = None
    if data.action is not None:
        action = Action.objects.filter(operation=operation, pk=data.action).first()
        if action is None:
            errors.fail("action", _("Operation %(reference)s has no action %(id)s.")
                        % {"reference": operation.reference, "id": data.action})
    note = _text("note", data.note, errors, required=False, limit=300)
    errors.raise_any()
    return {"kind": data.kind, "quantity": quantity, "currency": currency,
            "country": country, "organisation_id": org_id, "action": action, "note": note,
            "on": data.on or timezone.localdate()}


def _locked(operation: Operation) -> Operation:
    return Operation.objects.select_for_update().get(pk=operation.pk)


# --- actions -----------------------------------------------------------------------------

@transaction.atomic
def record_action(operation: Operation, *, user: User, data: ActionInput,
                  request: Any = None) -> Action:
    """Add an action to ``operation``'s log, stored in UTC with the place's time zone."""
    operation = _locked(operation)
    check_may_record(user, operation)
    fields = _clean_action(operation, data)
    action = Action.objects.create(operation=operation, recorded_by=user, **fields)
    audit.record(audit.Action.CREATE, actor=user, target=operation, request=request,
                 detail={"action": action.pk, "kind": action.kind,
                         "at": action.at.isoformat(), "time_zone": action.time_zone})
    return action


@transaction.atomic
def change_action(action: Action, *, user: User, data: ActionInput,
                  request: Any = None) -> Action:
    """Change an action of the log (its recorder or a coordinator)."""
    _locked(action.operation)
    action = Action.objects.select_related("operation").get(pk=action.pk)
    check_may_change(user, action)
    fields = _clean_action(action.operation, data)
    changed = sorted(name.removesuffix("_id") for name, value in fields.items()
                     if getattr(action, name) != value)
    for name, value in fields.items():
        setattr(action, name, value)
    action.save()
    audit.record(audit.Action.UPDATE, actor=user, target=action.operation, request=request,
                 detail={"action": action.pk, "changed": changed})
    return action


@transaction.atomic
def remove_action(action: Action, *, user: User, request: Any = None) -> None:
    """Remove an action from the log; results tied to it stay, untied."""
    _locked(action.operation)
    action = Action.objects.select_related("operation").get(pk=action.pk)
    check_may_change(user, action)
    audit.record(audit.Action.DELETE, actor=user, target=action.operation, request=request,
                 detail={"action": action.pk, "kind": action.kind,
                         "at": action.at.isoformat(), "summary": action.summary[:500]})
    action.delete()


# --- results -----------------------------------------------------------------------------

def _result_detail(result: Result) -> dict[str, Any]:
    return {"result": result.pk, "kind": result.kind, "quantity": str(result.quantity),
            "currency": result.currency, "country": result.country_id,
            "organisation": result.organisation_id}


@transaction.atomic
def record_result(operation: Operation, *, user: User, data: ResultInput,
                  request: Any = None) -> Result:
    """Add a result (a figure for a country and a participating organisation)."""
    operation = _locked(operation)
    check_may_record(user, operation)
    fields = _clean_result(operation, data)
    result = Result.objects.create(operation=operation, recorded_by=user, **fields)
    audit.record(audit.Action.CREATE, actor=user, target=operation, request=request,
                 detail=_result_detail(result))
    return result


@transaction.atomic
def change_result(result: Result, *, user: User, data: ResultInput,
                  request: Any = None) -> Result:
    """Change a result (its recorder or a coordinator)."""
    _locked(result.operation)
    result = Result.objects.select_related("operation").get(pk=result.pk)
    check_may_change(user, result)
    fields = _clean_result(result.operation, data)
    before = _result_detail(result)
    for name, value in fields.items():
        setattr(result, name, value)
    result.save()
    audit.record(audit.Action.UPDATE, actor=user, target=result.operation, request=request,
                 detail={**_result_detail(result), "before": before})
    return result


@transaction.atomic
def remove_result(result: Result, *, user: User, request: Any = None) -> None:
    """Remove a result."""
    _locked(result.operation)
    result = Result.objects.select_related("operation").get(pk=result.pk)
    check_may_change(user, result)
    audit.record(audit.Action.DELETE, actor=user, target=result.operation, request=request,
                 detail=_result_detail(result))
    result.delete()
