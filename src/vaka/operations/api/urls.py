"""The app's REST API, registered on the one router of ``vaka.urls``."""

from rest_framework.routers import DefaultRouter

from vaka.operations.api.deconfliction import BrokerClashViewSet
from vaka.operations.api.parts import ActionViewSet, ResultViewSet, TargetViewSet, TaskViewSet
from vaka.operations.api.views import OperationViewSet

NESTED = r"operations/(?P<operation_pk>[0-9]+)"


def register(router: DefaultRouter) -> None:
    """Add this app's viewsets to ``router``."""
    router.register("broker/clashes", BrokerClashViewSet, basename="broker-clash")
    router.register("operations", OperationViewSet, basename="operation")
    router.register(f"{NESTED}/targets", TargetViewSet, basename="operation-target")
    router.register(f"{NESTED}/tasks", TaskViewSet, basename="operation-task")
    router.register(f"{NESTED}/actions", ActionViewSet, basename="operation-action")
    router.register(f"{NESTED}/results", ResultViewSet, basename="operation-result")
