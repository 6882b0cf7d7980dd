"""URL patterns (filled in by the module they route to)."""

urlpatterns: list = []
