"""The app's REST API, registered on the one router of ``vaka.urls``."""

from rest_framework.routers import DefaultRouter

from vaka.operations.api.deconfliction import BrokerClashViewSet


def register(router: DefaultRouter) -> None:
    """Add this app's viewsets to ``router``."""
    router.register("broker/clashes", BrokerClashViewSet, basename="broker-clash")
