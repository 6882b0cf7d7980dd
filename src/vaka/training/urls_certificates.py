"""Training routes: certificates."""

urlpatterns: list = []
