"""Shared set-up for the inbox tests: records held by Unit A, values others check."""

from tests.intel.store_data import bundle, indicator
from vaka.intel import services
from vaka.policy.services import Markings

VALUE = "evil-portal-7.net"


def hold(user, *values: str, **markings):
    """``user``'s organisation stores indicators for ``values`` (default TLP:AMBER, own
    organisation only)."""
    def path(value: str) -> str:
        return "ipv4-addr:value" if value[0].isdigit() else "domain-name:value"

    return services.ingest_bytes(
        bundle(*[indicator(v, path(v), seed=f"{user}{v}") for v in values]),
        organisation=user.organisation, user=user, markings=Markings(**markings),
        source="api")


def look_up(user, *values: str):
    return services.lookup(list(values), user=user)
