"""The app's REST API, registered on the one router of ``vaka.urls``."""

from rest_framework.routers import DefaultRouter

from vaka.messaging.api.views import MessageViewSet
from vaka.messaging.api.views_rfis import RfiViewSet


def register(router: DefaultRouter) -> None:
    """Add this app's viewsets to ``router``."""
    router.register("messages", MessageViewSet, basename="message")
    router.register("rfis", RfiViewSet, basename="rfi")
