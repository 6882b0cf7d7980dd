from django.urls import path

from vaka.intel import views

app_name = "intel"
urlpatterns = [
    path("notes/", views.note_list, name="notes"),
    path("notes/new/", views.note_create, name="note_create"),
    path("notes/<int:pk>/", views.note_detail, name="note"),
    path("notes/<int:pk>/edit/", views.note_edit, name="note_edit"),
    path("notes/<int:pk>/delete/", views.note_delete, name="note_delete"),
]
