"""Training routes: stats."""

urlpatterns: list = []
