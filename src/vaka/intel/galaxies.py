"""ATT&CK techniques and threat actors from the MISP galaxies, as pickable tags.

Tags are written as MISP galaxy tags (``misp-galaxy:threat-actor="APT1"``), so they mean
the same thing when exported to or received from MISP.
"""

import functools
import json
from importlib.resources import files

GALAXIES = {
    "mitre-attack-pattern": "ATT&CK technique",
    "threat-actor": "Threat actor",
}


@functools.cache
def galaxy_tags() -> tuple[tuple[str, str], ...]:
    """(tag, label) for every cluster of the galaxies above, from the shipped data."""
    clusters = files("pymispgalaxies") / "data" / "misp-galaxy" / "clusters"
    tags = []
    for galaxy, kind in GALAXIES.items():
        data = json.loads((clusters / f"{galaxy}.json").read_text(encoding="utf-8"))
        for cluster in data.get("values", []):
            value = cluster["value"]
            tags.append((f'misp-galaxy:{galaxy}="{value}"', f"{kind}: {value}"))
    return tuple(sorted(tags, key=lambda tag: tag[1].lower()))


@functools.cache
def cluster_values(galaxy: str) -> tuple[str, ...]:
    """The names in one galaxy, e.g. 'Phishing - T1566' or 'APT1'."""
    prefix = f'misp-galaxy:{galaxy}="'
    return tuple(sorted(tag[len(prefix):-1] for tag, _label in galaxy_tags()
                        if tag.startswith(prefix)))


def tag_for(galaxy: str, value: str) -> str:
    """The MISP galaxy tag for a picked name; ValueError if the galaxy has no such name."""
    if galaxy not in GALAXIES or value not in cluster_values(galaxy):
        raise ValueError(f"“{value}” is not a known {GALAXIES.get(galaxy, galaxy)}")
    return f'misp-galaxy:{galaxy}="{value}"'


def tag_label(tag: str) -> str:
    """How a tag reads to a person: 'ATT&CK technique: Phishing - T1566'."""
    for galaxy, kind in GALAXIES.items():
        prefix = f'misp-galaxy:{galaxy}="'
        if tag.startswith(prefix) and tag.endswith('"'):
            return f"{kind}: {tag[len(prefix):-1]}"
    return tag
