"""The app's REST API, registered on the one router of ``vaka.urls``."""

from rest_framework.routers import DefaultRouter


def register(router: DefaultRouter) -> None:
    """Add this app's viewsets to ``router``."""
