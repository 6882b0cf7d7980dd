from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "vaka.exchange"
    label = "exchange"
