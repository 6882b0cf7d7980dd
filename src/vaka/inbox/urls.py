from django.urls import path

from vaka.inbox import views

app_name = "inbox"
urlpatterns = [
    path("", views.notice_list, name="list"),
    path("<int:pk>/", views.notice_open, name="open"),
    path("read-all/", views.mark_all_read, name="mark_all_read"),
    path("settings/", views.inbox_settings, name="settings"),
]
