"""Public awareness material, without sign-in: ``/awareness/``."""

from django.urls import path

from vaka.products import views_public as views

app_name = "awareness"

urlpatterns = [
    path("", views.material_list, name="list"),
    path("feed.atom", views.feed, name="feed"),
    path("<int:pk>/", views.material_detail, name="material"),
    path("<int:pk>/leaflet.pdf", views.material_leaflet, name="leaflet"),
]
