"""Training routes: learning."""

from django.urls import path

from vaka.training import views_quizzes

urlpatterns: list = [
    path("modules/<int:pk>/quizzes/new", views_quizzes.quiz_create, name="quiz_create"),
    path("quizzes/<int:pk>/", views_quizzes.quiz, name="quiz"),
    path("quizzes/<int:pk>/edit", views_quizzes.quiz_edit, name="quiz_edit"),
    path("quizzes/<int:pk>/delete", views_quizzes.quiz_delete, name="quiz_delete"),
    path("quizzes/<int:pk>/start", views_quizzes.quiz_start, name="quiz_start"),
    path("quizzes/<int:pk>/questions/new", views_quizzes.question_create,
         name="question_create"),
    path("questions/<int:pk>/edit", views_quizzes.question_edit, name="question_edit"),
    path("questions/<int:pk>/delete", views_quizzes.question_delete, name="question_delete"),
    path("attempts/worker.js", views_quizzes.quiz_worker, name="quiz_worker"),
    path("attempts/<uuid:pk>/", views_quizzes.attempt, name="attempt"),
    path("attempts/<uuid:pk>/submit", views_quizzes.attempt_submit, name="attempt_submit"),
    path("attempts/<uuid:pk>/result", views_quizzes.attempt_result, name="attempt_result"),
    path("attempts/<uuid:pk>/abandon", views_quizzes.attempt_abandon,
         name="attempt_abandon"),
]
