"""Training routes: the training an organisation requires before a capability."""

from django.urls import path

from vaka.training import views_requirements as views

urlpatterns = [
    path("requirements/", views.requirement_list, name="requirements"),
    path("requirements/<int:pk>/lift/", views.requirement_lift, name="requirement_lift"),
]
