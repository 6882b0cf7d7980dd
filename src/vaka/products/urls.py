"""The products' pages, under ``/products/`` (signed in)."""

from django.urls import path

from vaka.products import views

app_name = "products"

urlpatterns = [
    path("", views.product_list, name="list"),
    path("new/<str:kind>/", views.product_create, name="product_create"),
    path("<int:pk>/", views.product_detail, name="product"),
    path("<int:pk>/edit/", views.product_edit, name="product_edit"),
    path("<int:pk>/pdf/", views.product_pdf, name="product_pdf"),
    path("<int:pk>/step/<str:step>/", views.product_step, name="product_step"),
    path("<int:pk>/revise/", views.product_revise, name="product_revise"),
    path("<int:pk>/disseminate/", views.product_disseminate, name="product_disseminate"),
    path("<int:pk>/acknowledge/", views.product_acknowledge, name="product_acknowledge"),
    path("<int:pk>/retry-mail/", views.product_retry_mail, name="product_retry_mail"),
    path("<int:pk>/translations/<str:language>/", views.translation_edit,
         name="translation_edit"),
    path("<int:pk>/translations/<str:language>/review/", views.translation_review,
         name="translation_review"),
    path("<int:pk>/attachments/", views.attachment_add, name="attachment_add"),
    path("<int:pk>/attachments/<int:attachment>/", views.attachment_download,
         name="attachment"),
    path("<int:pk>/attachments/<int:attachment>/remove/", views.attachment_remove,
         name="attachment_remove"),
]
