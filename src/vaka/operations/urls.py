"""The operations' pages, under ``/operations/`` (signed in)."""

from django.urls import path

from vaka.operations import views, views_deconfliction, views_timeline

app_name = "operations"

urlpatterns = [
    path("", views.operation_list, name="list"),
    path("new/", views.operation_create, name="create"),
    path("deconfliction/", views_deconfliction.clashes, name="clashes"),
    path("deconfliction/check/", views_deconfliction.check, name="deconfliction_check"),
    path("<int:pk>/", views.operation_detail, name="operation"),
    path("<int:pk>/edit/", views.operation_edit, name="edit"),
    path("<int:pk>/stix/", views.operation_stix, name="stix"),
    path("<int:pk>/participants/", views.operation_participants, name="participants"),
    path("<int:pk>/phase/", views.operation_phase, name="phase"),
    path("<int:pk>/close/", views.operation_close, name="close"),
    path("<int:pk>/targets/", views.operation_targets, name="targets"),
    path("<int:pk>/targets/add/", views.targets_add, name="targets_add"),
    path("<int:pk>/targets/<int:target>/link/", views.target_link, name="target_link"),
    path("<int:pk>/targets/<int:target>/remove/", views.target_remove, name="target_remove"),
    path("<int:pk>/tasks/", views.operation_tasks, name="tasks"),
    path("<int:pk>/tasks/<int:task>/status/", views.task_status, name="task_status"),
    path("<int:pk>/timeline/", views_timeline.operation_timeline, name="timeline"),
    path("<int:pk>/timeline/<int:action>/edit/", views_timeline.entry_edit,
         {"kind": views_timeline.ACTION}, name="action_edit"),
    path("<int:pk>/timeline/<int:action>/remove/", views_timeline.entry_remove,
         {"kind": views_timeline.ACTION}, name="action_remove"),
    path("<int:pk>/results/", views_timeline.operation_results, name="results"),
    path("<int:pk>/results/<int:result>/edit/", views_timeline.entry_edit,
         {"kind": views_timeline.RESULT}, name="result_edit"),
    path("<int:pk>/results/<int:result>/remove/", views_timeline.entry_remove,
         {"kind": views_timeline.RESULT}, name="result_remove"),
    path("<int:pk>/lessons/", views_timeline.operation_lessons, name="lessons"),
    path("<int:pk>/after-action/", views_timeline.operation_after_action, name="after_action"),
]
