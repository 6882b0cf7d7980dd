"""Training routes: learning."""

urlpatterns: list = []
