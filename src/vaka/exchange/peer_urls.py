"""Pages of the connected instances, under ``/exchange/``."""

from django.urls import path

from vaka.exchange import views_peers

urlpatterns = [
    path("peers/", views_peers.peer_list, name="peers"),
    path("peers/new/", views_peers.peer_create, name="peer_create"),
    path("peers/<int:pk>/", views_peers.peer_detail, name="peer"),
    path("peers/<int:pk>/edit/", views_peers.peer_edit, name="peer_edit"),
    path("peers/<int:pk>/sync/", views_peers.peer_sync, name="peer_sync"),
    path("peers/<int:pk>/jobs/<uuid:job>/", views_peers.peer_job, name="peer_job"),
]
