"""Training routes: interop."""

urlpatterns: list = []
