"""The products' pages: ``/products/`` (signed in) and ``/analytics/``."""

from django.urls import path  # noqa: F401

app_name = "products"

urlpatterns: list = []
