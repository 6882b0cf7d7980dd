"""The exchange pages: TAXII collections, feeds, connected instances."""

from vaka.exchange import collection_urls, feed_urls, peer_urls

app_name = "exchange"
urlpatterns = [*collection_urls.urlpatterns, *feed_urls.urlpatterns, *peer_urls.urlpatterns]
