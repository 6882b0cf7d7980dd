from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "vaka.web"
    label = "web"

    def ready(self) -> None:
        from vaka.web import checks  # noqa: F401  (registers the system checks)
