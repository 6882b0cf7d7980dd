"""URL patterns of the TAXII collection pages."""

from django.urls import path

from vaka.exchange import views_collections as views

urlpatterns = [
    path("collections/", views.collection_list, name="collections"),
    path("collections/new/", views.collection_edit, name="collection_create"),
    path("collections/<uuid:pk>/edit/", views.collection_edit, name="collection_edit"),
    path("collections/<uuid:pk>/delete/", views.collection_delete, name="collection_delete"),
]
