"""Objects as Vaka shares them: TAXII, exports, sync all serve the stored STIX through here.

The stored JSON is kept exactly as received; what goes out carries the record's own TLP
(Vaka's field, which a file's marking could only make stricter on the way in) as the TLP
2.0 marking, replacing any TLP 1.0 or 2.0 marking the JSON had. Other markings stay.
"""

from typing import Any

from vaka.intel.parsing.stix_markings import TLP2_MARKING_IDS, marking_tlp


def shared_stix(data: dict[str, Any], tlp: str) -> dict[str, Any]:
    """``data`` (a stored object's STIX) with ``tlp`` as its TLP marking; ``data`` itself
    when it already says so (never modified in place)."""
    if data.get("type") == "marking-definition":
        return data
    refs = data.get("object_marking_refs") or []
    wanted = [TLP2_MARKING_IDS[tlp], *(r for r in refs if marking_tlp(r) is None)]
    if refs == wanted:
        return data
    return {**data, "object_marking_refs": wanted}
