"""Training routes: the course catalogue and sessions."""

from django.urls import path

from vaka.training import views_courses as views

urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("courses/new", views.course_create, name="course_create"),
    path("courses/<int:pk>/", views.course_detail, name="course"),
    path("courses/<int:pk>/edit", views.course_edit, name="course_edit"),
    path("courses/<int:pk>/archive", views.course_archive, name="course_archive"),
    path("courses/<int:pk>/sessions/new", views.session_create, name="session_create"),
    path("sessions/", views.session_list, name="sessions"),
    path("sessions/<int:pk>/", views.session_detail, name="session"),
    path("sessions/<int:pk>/edit", views.session_edit, name="session_edit"),
    path("sessions/<int:pk>/cancel", views.session_cancel, name="session_cancel"),
    path("sessions/<int:pk>/trainers", views.session_trainers, name="session_trainers"),
]
