"""Awareness campaigns, for signed-in members: ``/campaigns/``."""

from django.urls import path

from vaka.products import views_campaigns as views

app_name = "campaigns"

urlpatterns = [
    path("", views.campaign_list, name="list"),
    path("new/", views.campaign_create, name="create"),
    path("<int:pk>/", views.campaign_detail, name="campaign"),
    path("<int:pk>/edit/", views.campaign_edit, name="edit"),
    path("<int:pk>/reach/", views.campaign_reach, name="reach"),
]
