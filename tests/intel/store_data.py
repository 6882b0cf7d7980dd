"""STIX test data."""

import json
import uuid

T0 = "2026-01-10T08:00:00.000Z"
T1 = "2026-02-10T08:00:00.000Z"
TLP2_RED = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
TLP1_WHITE = "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"


def sid(kind: str, seed: str) -> str:
    return f"{kind}--{uuid.uuid5(uuid.NAMESPACE_URL, seed)}"


def indicator(value: str, path: str = "domain-name:value", *, modified: str = T0,
              seed: str | None = None, **extra) -> dict:
    return {"type": "indicator", "spec_version": "2.1", "id": sid("indicator", seed or value),
            "created": T0, "modified": modified, "name": value,
            "pattern": f"[{path} = '{value}']", "pattern_type": "stix", "valid_from": T0,
            **extra}


def bundle(*objects: dict) -> bytes:
    return json.dumps({"type": "bundle", "id": sid("bundle", str(len(objects))),
                       "objects": list(objects)}).encode()
