from django.urls import path

from vaka.messaging import views

app_name = "messaging"

urlpatterns = [
    path("", views.message_list, name="list"),
    path("new/", views.compose, name="compose"),
    path("<int:pk>/", views.message_detail, name="message"),
    path("<int:pk>/reply/", views.reply, name="reply"),
    path("<int:pk>/forward/", views.forward, name="forward"),
    path("<int:pk>/attachments/<int:attachment>/", views.attachment, name="attachment"),
]
