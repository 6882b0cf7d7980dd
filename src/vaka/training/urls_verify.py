"""The one public training page: a certificate's verification."""

urlpatterns: list = []
