"""STIX marking-definitions for the Traffic Light Protocol (TLP 1.0 and TLP 2.0).

Vaka's TLP codes are the TLP 2.0 levels: ``clear``, ``green``, ``amber``, ``amber+strict``
and ``red``. TLP 1.0 markings, which the ``stix2`` library has built in, map onto them
(WHITE becomes ``clear``). Pure: no Django imports.
"""

from .errors import InputError, Problem

TLP_LEVELS = ("clear", "green", "amber", "amber+strict", "red")

TLP2_EXTENSION_ID = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
TLP2_CREATED = "2022-10-01T00:00:00.000Z"
TLP1_CREATED = "2017-01-20T00:00:00.000Z"

# The TLP 2.0 marking-definitions published with the OASIS TLP 2.0 extension definition.
TLP2_MARKING_IDS: dict[str, str] = {
    "clear": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "green": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "amber": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "amber+strict": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "red": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}

# The TLP 1.0 marking-definitions of the STIX 2.x specification (``stix2.TLP_*``),
# keyed by their own colour names.
TLP1_MARKING_IDS: dict[str, str] = {
    "white": "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
    "green": "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
    "amber": "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
    "red": "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
}

_TLP1_TO_VAKA = {"white": "clear", "green": "green", "amber": "amber", "red": "red"}

_TLP_BY_MARKING_ID: dict[str, str] = {
    **{marking_id: level for level, marking_id in TLP2_MARKING_IDS.items()},
    **{marking_id: _TLP1_TO_VAKA[colour] for colour, marking_id in TLP1_MARKING_IDS.items()},
}


def marking_tlp(marking_id: str) -> str | None:
    """Vaka's TLP code for a TLP 1.0 or 2.0 marking-definition id, or None for any other id."""
    if not isinstance(marking_id, str):
        return None
    return _TLP_BY_MARKING_ID.get(marking_id.lower())


def _level(tlp: str) -> str:
    """Normalise ``"TLP:AMBER+STRICT"``, ``" Green "``, ``"white"`` … to a TLP 2.0 level."""
    if not isinstance(tlp, str):
        raise InputError(Problem(f"not a TLP level: {tlp!r}", field="tlp"))
    level = tlp.strip().lower().removeprefix("tlp:")
    level = "clear" if level == "white" else level
    if level not in TLP2_MARKING_IDS:
        raise InputError(
            Problem(f"unknown TLP level {tlp!r}; use one of {', '.join(TLP_LEVELS)}", field="tlp")
        )
    return level


def tlp_marking_id(tlp: str) -> str:
    """The TLP 2.0 marking-definition id for a TLP level; raise InputError for an unknown one.

    Accepts Vaka's codes in any case, with or without a ``TLP:`` prefix; ``white`` is taken
    as ``clear``.
    """
    return TLP2_MARKING_IDS[_level(tlp)]


def tlp_marking_definition(tlp: str) -> dict:
    """The full TLP 2.0 marking-definition object for a TLP level (a fresh dict each call)."""
    level = _level(tlp)
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": TLP2_MARKING_IDS[level],
        "created": TLP2_CREATED,
        "name": f"TLP:{level.upper()}",
        "extensions": {
            TLP2_EXTENSION_ID: {"extension_type": "property-extension", "tlp_2_0": level},
        },
    }
