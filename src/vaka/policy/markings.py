"""The marking vocabularies: distribution, TLP 2.0, PAP, handling codes and grading schemes.

Codes follow DESIGN.md §2 and REFERENCE.md exactly; nothing here touches the database.
"""

from dataclasses import dataclass

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Distribution(models.TextChoices):
    ORGANISATION = "organisation", _("Owner organisation only")
    COMMUNITIES = "communities", _("Named communities")
    MEMBERS = "members", _("All members of this instance")
    FEDERATION = "federation", _("Members and connected instances")
    PUBLIC = "public", _("Public")


class TLP(models.TextChoices):
    CLEAR = "clear", "TLP:CLEAR"
    GREEN = "green", "TLP:GREEN"
    AMBER = "amber", "TLP:AMBER"
    AMBER_STRICT = "amber+strict", "TLP:AMBER+STRICT"
    RED = "red", "TLP:RED"


TLP_DESCRIPTIONS = {
    TLP.CLEAR: _("No limit on disclosure."),
    TLP.GREEN: _("Within the community, not through public channels."),
    TLP.AMBER: _("Recipient organisations and their clients, need-to-know."),
    TLP.AMBER_STRICT: _("Recipient organisations only, need-to-know."),
    TLP.RED: _("Named recipients only; no further disclosure."),
}

# STIX 2.1 marking-definition ids of the TLP 2.0 extension (REFERENCE.md §1.2).
TLP_STIX_IDS = {
    TLP.CLEAR: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    TLP.GREEN: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    TLP.AMBER: "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    TLP.AMBER_STRICT: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    TLP.RED: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}


# What crosses to connected instances (DESIGN.md §2): TLP:AMBER+STRICT and RED name
# organisations and people of this instance, and ``organisation``/``members`` stay here.
CROSSING_DISTRIBUTIONS = (Distribution.FEDERATION, Distribution.PUBLIC,
                          Distribution.COMMUNITIES)
CROSSING_TLPS = (TLP.CLEAR, TLP.GREEN, TLP.AMBER)


class PAP(models.TextChoices):
    CLEAR = "clear", "PAP:CLEAR"
    GREEN = "green", "PAP:GREEN"
    AMBER = "amber", "PAP:AMBER"
    RED = "red", "PAP:RED"


PAP_DESCRIPTIONS = {
    PAP.CLEAR: _("No restriction on use."),
    PAP.GREEN: _("Active actions allowed (block, ping, interact)."),
    PAP.AMBER: _("Passive cross-checks only."),
    PAP.RED: _("No detectable action: passive use of logs only."),
}


class Handling(models.TextChoices):
    """What recipients may do with the information without asking the owner."""

    NO_EVIDENCE = "no-evidence", _(
        "Not to be used as evidence or in judicial proceedings without the owner's consent"
    )
    NO_ONWARD = "no-onward", _("Not to be passed on without the owner's consent")
    NO_ACTION = "no-action", _("No operational action without the owner's consent")
    SANITISE = "sanitise", _("Sanitise (remove source identifiers) before any dissemination")
    POLICING_PURPOSE = "policing-purpose", _("For policing purposes only")


@dataclass(frozen=True)
class GradingScheme:
    code: str
    label: str | Promise
    source: dict[str, str]
    information: dict[str, str]
    handling: dict[str, str]


ADMIRALTY = GradingScheme(
    "admiralty",
    _("Admiralty (NATO) A–F / 1–6"),
    source={
        "A": _("Completely reliable"),
        "B": _("Usually reliable"),
        "C": _("Fairly reliable"),
        "D": _("Not usually reliable"),
        "E": _("Unreliable"),
        "F": _("Reliability cannot be judged"),
    },
    information={
        "1": _("Confirmed by other sources"),
        "2": _("Probably true"),
        "3": _("Possibly true"),
        "4": _("Doubtful"),
        "5": _("Improbable"),
        "6": _("Truth cannot be judged"),
    },
    handling={},
)
UK3X5X2 = GradingScheme(
    "uk3x5x2",
    _("UK 3x5x2"),
    source={"1": _("Reliable"), "2": _("Untested"), "3": _("Not reliable")},
    information={
        "A": _("Known directly to the source"),
        "B": _("Known indirectly to the source but corroborated"),
        "C": _("Known indirectly to the source"),
        "D": _("Not known"),
        "E": _("Suspected to be false"),
    },
    handling={
        "P": _("Lawful sharing permitted"),
        "C": _("Lawful sharing permitted with conditions"),
    },
)
EUROPOL4X4 = GradingScheme(
    "europol4x4",
    _("Europol 4x4"),
    source={
        "A": _("No doubt as to the source"),
        "B": _("Source in most instances reliable"),
        "C": _("Source in most instances unreliable"),
        "X": _("Reliability cannot be assessed"),
    },
    information={
        "1": _("Accuracy not in doubt"),
        "2": _("Known personally to the source, not to the official passing it on"),
        "3": _("Not known personally to the source, corroborated"),
        "4": _("Not known personally to the source, not corroborated"),
    },
    handling={
        "H0": _("Only for preventing and combating crime"),
        "H1": _("Not to be disclosed in judicial proceedings without permission"),
        "H2": _("Not to be disseminated without permission"),
        "H3": _("Other restrictions (see handling note)"),
    },
)
GRADING_SCHEMES = {s.code: s for s in (ADMIRALTY, UK3X5X2, EUROPOL4X4)}
GRADING_SCHEME_CHOICES = [(s.code, s.label) for s in GRADING_SCHEMES.values()]
DEFAULT_GRADING_SCHEME = ADMIRALTY.code

# Admiralty information credibility → STIX confidence (stix2.confidence.scales).
ADMIRALTY_CONFIDENCE = {"1": 90, "2": 70, "3": 50, "4": 30, "5": 10, "6": None}
