"""Training routes: courses."""

urlpatterns: list = []
