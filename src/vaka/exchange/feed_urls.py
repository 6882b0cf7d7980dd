"""URL patterns of the feed subscription pages, under ``/exchange/``."""

from django.urls import path

from vaka.exchange import views_feeds as views

urlpatterns = [
    path("feeds/", views.feed_list, name="feeds"),
    path("feeds/new/", views.feed_edit, name="feed_create"),
    path("feeds/<int:pk>/", views.feed_detail, name="feed"),
    path("feeds/<int:pk>/edit/", views.feed_edit, name="feed_edit"),
    path("feeds/<int:pk>/poll/", views.feed_poll, name="feed_poll"),
    path("feeds/<int:pk>/jobs/<uuid:job>/", views.feed_job, name="feed_job"),
]
