from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrainingConfig(AppConfig):
    name = "vaka.training"
    label = "training"
    verbose_name = _("training")

    def ready(self) -> None:
        from vaka.directory import roles
        from vaka.training import requirements

        roles.register_gate(requirements.gate)
