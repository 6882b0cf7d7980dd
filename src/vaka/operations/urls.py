"""The operations' pages, under ``/operations/`` (signed in)."""

from django.urls import path

from vaka.operations import views, views_deconfliction

app_name = "operations"

urlpatterns = [
    path("", views.operation_list, name="list"),
    path("new/", views.operation_create, name="create"),
    path("deconfliction/", views_deconfliction.clashes, name="clashes"),
    path("deconfliction/check/", views_deconfliction.check, name="deconfliction_check"),
    path("<int:pk>/", views.operation_detail, name="operation"),
    path("<int:pk>/edit/", views.operation_edit, name="edit"),
    path("<int:pk>/participants/", views.operation_participants, name="participants"),
    path("<int:pk>/phase/", views.operation_phase, name="phase"),
    path("<int:pk>/close/", views.operation_close, name="close"),
    path("<int:pk>/targets/", views.operation_targets, name="targets"),
    path("<int:pk>/targets/add/", views.targets_add, name="targets_add"),
    path("<int:pk>/targets/<int:target>/link/", views.target_link, name="target_link"),
    path("<int:pk>/targets/<int:target>/remove/", views.target_remove, name="target_remove"),
    path("<int:pk>/tasks/", views.operation_tasks, name="tasks"),
    path("<int:pk>/tasks/<int:task>/status/", views.task_status, name="task_status"),
]
