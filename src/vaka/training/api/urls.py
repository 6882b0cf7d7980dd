"""The app's REST API, registered on the one router of ``vaka.urls`` under
``/api/training/``."""

from rest_framework.routers import DefaultRouter

from vaka.training.api.views_courses import CourseViewSet, SessionViewSet
from vaka.training.api.views_people import (
    CertificateViewSet,
    EnrolmentViewSet,
    ParticipantViewSet,
    StatisticsViewSet,
)


def register(router: DefaultRouter) -> None:
    """Add this app's viewsets to ``router``."""
    router.register("training/courses", CourseViewSet, basename="training-course")
    router.register("training/sessions", SessionViewSet, basename="training-session")
    router.register("training/participants", ParticipantViewSet,
                    basename="training-participant")
    router.register("training/enrolments", EnrolmentViewSet, basename="training-enrolment")
    router.register("training/certificates", CertificateViewSet,
                    basename="training-certificate")
    router.register("training/statistics", StatisticsViewSet, basename="training-statistics")
