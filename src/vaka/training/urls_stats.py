"""Training routes: statistics (``/training/statistics/``), each chart's data as CSV, and
the donor report as PDF and XLSX, all with the same filters."""

from django.urls import path

from vaka.training import views_stats

urlpatterns = [
    path("statistics/", views_stats.statistics_page, name="statistics"),
    path("statistics/donor-report.pdf", views_stats.donor_report_pdf,
         name="donor_report_pdf"),
    path("statistics/donor-report.xlsx", views_stats.donor_report_xlsx,
         name="donor_report_xlsx"),
    path("statistics/<slug:chart>.csv", views_stats.chart_csv, name="statistics_csv"),
]
