"""Training routes: interop (xAPI statements, the Moodle import, course bundles)."""

from django.urls import path

from vaka.training import views_interop

urlpatterns = [
    path("xapi/statements.json", views_interop.xapi_statements, name="xapi_statements"),
    path("import/moodle/", views_interop.moodle_import, name="moodle_import"),
    path("bundles/", views_interop.bundles, name="bundles"),
    path("bundles/export/", views_interop.bundle_export, name="bundle_export"),
]
