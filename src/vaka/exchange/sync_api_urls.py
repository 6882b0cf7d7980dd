"""The instance-to-instance sync API, under ``/sync/v1/``."""

from django.urls import path

from vaka.exchange import sync_api

urlpatterns = [
    path("objects/", sync_api.objects, name="sync_objects"),
]
