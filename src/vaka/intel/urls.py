from django.urls import path

from vaka.intel import (
    views,
    views_broker,
    views_corrections,
    views_exports,
    views_selection,
    views_store,
)

app_name = "intel"
urlpatterns = [
    path("notes/", views.note_list, name="notes"),
    path("notes/new/", views.note_create, name="note_create"),
    path("notes/<int:pk>/", views.note_detail, name="note"),
    path("notes/<int:pk>/edit/", views.note_edit, name="note_edit"),
    path("notes/<int:pk>/delete/", views.note_delete, name="note_delete"),
    path("objects/", views_store.object_list, name="objects"),
    path("objects/selected/", views_selection.object_selection, name="object_selection"),
    path("objects/<int:pk>/", views_store.object_detail, name="object"),
    path("objects/<int:pk>/remark/", views_corrections.object_remark, name="object_remark"),
    path("objects/<int:pk>/edit/", views_corrections.object_edit, name="object_edit"),
    path("objects/<int:pk>/revoke/", views_corrections.object_revoke, name="object_revoke"),
    path("submit/", views_store.submit, name="submit"),
    path("submissions/", views_store.submission_list, name="submissions"),
    path("submissions/<int:pk>/", views_store.submission_detail, name="submission"),
    path("submissions/<int:pk>/correct/", views_corrections.submission_correct,
         name="submission_correct"),
    path("lookup/", views_store.lookup, name="lookup"),
    path("inbox/", views_store.inbox, name="inbox"),
    path("broker/", views_broker.hit_list, name="broker"),
    path("warninglists/", views_store.exclusions, name="exclusions"),
    path("export-links/", views_exports.export_links, name="export_links"),
    path("export-links/<int:pk>/revoke/", views_exports.export_link_revoke,
         name="export_link_revoke"),
    path("export/<slug:key>/<str:filename>", views_exports.export_link_fetch,
         name="export_link_fetch"),
    path("export/<str:filename>", views_exports.export_link_fetch,
         name="export_link_fetch_header"),
    path("galaxies/<slug:galaxy>/", views_store.galaxy_options, name="galaxy_options"),
]
