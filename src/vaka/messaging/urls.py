from django.urls import path

from vaka.messaging import views, views_eml, views_rfis

app_name = "messaging"

urlpatterns = [
    path("", views.message_list, name="list"),
    path("new/", views.compose, name="compose"),
    path("<int:pk>/", views.message_detail, name="message"),
    path("<int:pk>/reply/", views.reply, name="reply"),
    path("<int:pk>/forward/", views.forward, name="forward"),
    path("<int:pk>/attachments/<int:attachment>/", views.attachment, name="attachment"),
    # RFC 5322 e-mail files: a message out, a mail in as a new message.
    path("<int:pk>/eml/", views_eml.message_eml, name="eml"),
    path("import/", views_eml.message_import, name="import"),
    # Requests for information: ``<pk>`` is the RFI's message.
    path("rfis/", views_rfis.rfi_list, name="rfis"),
    path("rfis/new/", views_rfis.rfi_create, name="rfi_create"),
    path("rfis/figures.csv", views_rfis.rfi_figures_csv, name="rfi_figures_csv"),
    path("<int:pk>/rfi/answer/", views_rfis.rfi_answer, name="rfi_answer"),
    path("<int:pk>/rfi/close/", views_rfis.rfi_close, name="rfi_close"),
]
