"""Writing awareness campaigns and the reach figures members record for them.

A campaign is a shareable record (its markings decide who sees it, its materials and its
reach); it groups awareness products for an audience, in some languages, through some
channels, between two dates. Any member organisation that can see a campaign may record
how many people it reached in a country through a channel. Every write validates what it
is given (one ``ValidationError`` keyed by field), writes in one transaction and appends
its audit entry.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vaka.directory.models import Country, User
from vaka.directory.roles import Capability
from vaka.policy import audit
from vaka.policy.services import (
    Markings,
    clean_markings,
    create_shareable,
    update_shareable,
)
from vaka.policy.visibility import can_edit, can_see
from vaka.products.models import Campaign, Reach
from vaka.products.services import LANGUAGE_CODES

NAME_LENGTH = Campaign._meta.get_field("name").max_length
AUDIENCE_LENGTH = Campaign._meta.get_field("audience_text").max_length
NOTE_LENGTH = Reach._meta.get_field("note").max_length
# More people than live in the region's largest country is a typing slip, not a figure.
MAX_PEOPLE = 300_000_000


@dataclass
class CampaignDetails:
    """What a writer gives for a campaign (the same for the form, the API and the CLI)."""

    name: str
    audience_text: str = ""
    languages: list[str] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)
    starts: date | None = None
    ends: date | None = None


FIELDS = ("name", "audience_text", "languages", "channels", "starts", "ends")


def _clean(details: CampaignDetails) -> dict[str, list[str]]:
    """What is wrong with ``details``, keyed by field; normalises them in place."""
    errors: dict[str, list[str]] = {}

    def fail(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    details.name = details.name.strip()
    details.audience_text = details.audience_text.strip()
    if not details.name:
        fail("name", _("A campaign needs a name."))
    elif len(details.name) > NAME_LENGTH:
        fail("name", _("The name is %(n)d characters long; at most %(max)d fit.")
             % {"n": len(details.name), "max": NAME_LENGTH})
    if len(details.audience_text) > AUDIENCE_LENGTH:
        fail("audience_text", _("The audience is %(n)d characters long; at most %(max)d fit.")
             % {"n": len(details.audience_text), "max": AUDIENCE_LENGTH})
    unknown = [code for code in details.languages if code not in LANGUAGE_CODES]
    if unknown:
        fail("languages", _("“%(codes)s” is not a language of this instance (%(known)s).")
             % {"codes": ", ".join(map(str, unknown)), "known": ", ".join(LANGUAGE_CODES)})
    details.languages = [code for code in LANGUAGE_CODES if code in details.languages]
    unknown = [code for code in details.channels if code not in Campaign.Channel.values]
    if unknown:
        fail("channels", _("Unknown channel(s): %(codes)s (known: %(known)s).")
             % {"codes": ", ".join(map(str, unknown)),
                "known": ", ".join(Campaign.Channel.values)})
    details.channels = [code for code in Campaign.Channel.values if code in details.channels]
    if details.starts and details.ends and details.ends < details.starts:
        fail("ends", _("The campaign ends (%(ends)s) before it starts (%(starts)s).")
             % {"ends": details.ends.isoformat(), "starts": details.starts.isoformat()})
    return errors


def _fill(campaign: Campaign, details: CampaignDetails) -> list[str]:
    """Copy ``details`` onto ``campaign``; the names of the fields that changed."""
    changed = [name for name in FIELDS if getattr(campaign, name) != getattr(details, name)]
    for name in FIELDS:
        setattr(campaign, name, getattr(details, name))
    return changed


def _validate(details: CampaignDetails, markings_check: Callable[[], object]) -> None:
    """One ``ValidationError`` with what is wrong with the details and the markings."""
    errors = _clean(details)
    try:
        markings_check()
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def create_campaign(*, user: User, details: CampaignDetails, markings: Markings,
                    request: Any = None) -> Campaign:
    """A new campaign owned by the user's organisation (contributors only)."""
    if user.organisation_id is None:
        raise ValidationError(_("Your account belongs to no organisation."))
    if not user.can(Capability.CONTRIBUTE):
        raise PermissionDenied(_("Your role may not create campaigns."))
    _validate(details, lambda: clean_markings(user.organisation, user, markings))
    campaign = Campaign()
    _fill(campaign, details)
    return create_shareable(campaign, user=user, markings=markings, request=request)


@transaction.atomic
def update_campaign(campaign: Campaign, *, user: User, details: CampaignDetails,
                    markings: Markings, request: Any = None) -> Campaign:
    """Change a campaign: contributors of its owner organisation who can see it."""
    if not can_edit(user, campaign):
        raise PermissionDenied(_("You may not change this campaign."))
    _validate(details, lambda: clean_markings(campaign.owner, campaign.created_by or user,
                                              markings))
    changed = _fill(campaign, details)
    return update_shareable(campaign, user=user, markings=markings, changed=changed,
                            request=request)


def _people(value: Any) -> int | None:
    """``value`` as a count of people, or None when it is not a positive whole number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    else:
        text = str(value).strip()
        # isascii: "³" is a digit to isdigit(), not to int().
        if not (text.isascii() and text.isdigit()):
            return None
        number = int(text)
    return number if 0 < number <= MAX_PEOPLE else None


@transaction.atomic
def record_reach(campaign: Campaign, *, user: User, country: str, channel: str,
                 people: Any, on: date | None = None, note: str = "",
                 request: Any = None) -> Reach:
    """Record that ``user``'s organisation reached ``people`` people in ``country``
    through ``channel`` for ``campaign``, which the user must be able to see."""
    if user.organisation_id is None:
        raise ValidationError(_("Your account belongs to no organisation."))
    if not user.can(Capability.CONTRIBUTE):
        raise PermissionDenied(_("Your role may not record reach."))
    if not can_see(user, campaign):
        # The same words whether the campaign does not exist or is outside the audience.
        raise ValidationError({"campaign": [_("No campaign you may see has the id %s.")
                                            % campaign.pk]})
    errors: dict[str, list[str]] = {}
    code = str(country or "").strip().upper()
    found = Country.objects.filter(code=code).first() if code else None
    if found is None:
        errors["country"] = [_("“%s” is not a country of the directory (give its ISO "
                               "3166-1 alpha-2 code, e.g. FJ).") % (country or "")]
    if channel not in Campaign.Channel.values:
        errors["channel"] = [_("Unknown channel “%(code)s” (known: %(known)s).")
                             % {"code": channel, "known": ", ".join(Campaign.Channel.values)}]
    count = _people(people)
    if count is None:
        errors["people"] = [_("People reached is a whole number from 1 to %(max)s; "
                              "“%(value)s” is not.") % {"max": f"{MAX_PEOPLE:,}",
                                                       "value": people}]
    note = (note or "").strip()
    if len(note) > NOTE_LENGTH:
        errors["note"] = [_("The note is %(n)d characters long; at most %(max)d fit.")
                          % {"n": len(note), "max": NOTE_LENGTH}]
    on = on or timezone.localdate()
    if on > timezone.localdate():
        errors["on"] = [_("The date %s is in the future.") % on.isoformat()]
    if errors:
        raise ValidationError(errors)
    reach = Reach.objects.create(campaign=campaign, organisation_id=user.organisation_id,
                                 country=found, channel=channel, people=count, on=on,
                                 note=note, recorded_by=user)
    audit.record(audit.Action.CREATE, actor=user, target=campaign, request=request,
                 detail={"reach": reach.pk, "country": found.code, "channel": channel,
                         "people": count, "on": on.isoformat()})
    return reach

