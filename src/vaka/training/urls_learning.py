"""Training routes: learning."""

from django.urls import path

from vaka.training import views_learning, views_quizzes

urlpatterns: list = [
    path("courses/<int:pk>/modules/new", views_learning.module_create, name="module_create"),
    path("modules/<int:pk>/", views_learning.module, name="module"),
    path("modules/<int:pk>/edit", views_learning.module_edit, name="module_edit"),
    path("modules/<int:pk>/delete", views_learning.module_delete, name="module_delete"),
    path("modules/<int:pk>/move", views_learning.module_move, name="module_move"),
    path("modules/<int:pk>/pdf", views_learning.module_pdf, name="module_pdf"),
    path("modules/<int:pk>/lessons/new", views_learning.lesson_create, name="lesson_create"),
    path("lessons/<int:pk>/", views_learning.lesson, name="lesson"),
    path("lessons/<int:pk>/read", views_learning.lesson_read, name="lesson_read"),
    path("lessons/<int:pk>/edit", views_learning.lesson_edit, name="lesson_edit"),
    path("lessons/<int:pk>/delete", views_learning.lesson_delete, name="lesson_delete"),
    path("lessons/<int:pk>/move", views_learning.lesson_move, name="lesson_move"),
    path("lesson-files/<int:pk>", views_learning.lesson_file, name="lesson_file"),
    path("lesson-files/<int:pk>/remove", views_learning.lesson_file_remove,
         name="lesson_file_remove"),
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
