from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "vaka.web"
    label = "web"
