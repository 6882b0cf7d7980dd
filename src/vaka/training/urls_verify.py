"""The one public training page: a certificate's verification."""

from django.urls import path

from vaka.training import views_certificates

urlpatterns = [
    path("<str:code>/", views_certificates.verify, name="verify"),
]
