"""TAXII 2.1: discovery at /taxii2/, one API root at /taxii2/api/."""

from django.urls import path

from vaka.exchange import taxii_views as views

app_name = "taxii"
_collection = "api/collections/<str:key>/"
urlpatterns = [
    path("", views.discovery, name="discovery"),
    path("api/", views.api_root, name="root"),
    path("api/status/<uuid:status_id>/", views.status, name="status"),
    path("api/collections/", views.collections, name="collections"),
    path(_collection, views.collection, name="collection"),
    path(_collection + "manifest/", views.manifest, name="manifest"),
    path(_collection + "objects/", views.objects, name="objects"),
    path(_collection + "objects/<str:object_id>/", views.object_detail, name="object"),
    path(_collection + "objects/<str:object_id>/versions/", views.versions, name="versions"),
]
