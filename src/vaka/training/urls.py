"""The training pages: each area keeps its routes in its own module."""

from vaka.training import (
    urls_certificates,
    urls_courses,
    urls_interop,
    urls_learning,
    urls_people,
    urls_requirements,
    urls_stats,
)

app_name = "training"

urlpatterns = [
    *urls_courses.urlpatterns,
    *urls_people.urlpatterns,
    *urls_learning.urlpatterns,
    *urls_certificates.urlpatterns,
    *urls_requirements.urlpatterns,
    *urls_stats.urlpatterns,
    *urls_interop.urlpatterns,
]
