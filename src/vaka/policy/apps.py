from django.apps import AppConfig


class PolicyConfig(AppConfig):
    name = "vaka.policy"
    label = "policy"
