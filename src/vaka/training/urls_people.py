"""Training routes: participants, enrolments, attendance and test scores."""

urlpatterns: list = []
