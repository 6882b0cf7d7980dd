from django.urls import path

from vaka.web import views_searches

app_name = "web"
urlpatterns = [
    path("", views_searches.search_list, name="saved_searches"),
    path("<int:pk>/", views_searches.search_run, name="saved_search"),
    path("<int:pk>/rename/", views_searches.search_rename, name="saved_search_rename"),
    path("<int:pk>/delete/", views_searches.search_delete, name="saved_search_delete"),
]
