"""Training routes: participants, enrolments, attendance and test scores."""

from django.urls import path

from vaka.training import views_people as views

urlpatterns = [
    path("participants/", views.participant_list, name="participants"),
    path("participants/new", views.participant_create, name="participant_create"),
    path("participants/duplicates", views.duplicates, name="participant_duplicates"),
    path("participants/merge", views.merge, name="participant_merge"),
    path("participants/<int:pk>/", views.participant_detail, name="participant"),
    path("participants/<int:pk>/edit", views.participant_edit, name="participant_edit"),
    path("sessions/<int:pk>/enrol", views.session_enrol, name="session_enrol"),
    path("sessions/<int:pk>/self-enrol", views.session_self_enrol,
         name="session_self_enrol"),
    path("sessions/<int:pk>/attendance", views.session_attendance,
         name="session_attendance"),
    path("sessions/<int:pk>/scores", views.session_scores, name="session_scores"),
    path("enrolments/<int:pk>/withdraw", views.enrolment_withdraw,
         name="enrolment_withdraw"),
    path("enrolments/<int:pk>/completion", views.enrolment_completion,
         name="enrolment_completion"),
]
