from django.apps import AppConfig


class IntelConfig(AppConfig):
    name = "vaka.intel"
    label = "intel"
