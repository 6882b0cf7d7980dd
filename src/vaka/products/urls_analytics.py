"""The analytics dashboard: ``/analytics/`` and ``/analytics/<chart>.csv``."""

from django.urls import path

from vaka.products import views_analytics as views

app_name = "analytics"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("<slug:chart>.csv", views.chart_csv, name="chart_csv"),
]
