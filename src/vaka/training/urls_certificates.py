"""Training routes: certificates."""

from django.urls import path

from vaka.training import views_certificates as views

urlpatterns = [
    path("certificates/<int:pk>/", views.certificate, name="certificate"),
    path("certificates/<int:pk>/pdf/", views.certificate_pdf, name="certificate_pdf"),
    path("certificates/<int:pk>/revoke/", views.certificate_revoke, name="certificate_revoke"),
]
