from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrainingConfig(AppConfig):
    name = "vaka.training"
    label = "training"
    verbose_name = _("training")

    def ready(self) -> None:
        from vaka.directory import roles
        from vaka.inbox.presentation import register_texts
        from vaka.training import certificates, notices, requirements, trained

        roles.register_gate(requirements.gate)
        register_texts(notices.KINDS, notices.notice_text)
        register_texts(certificates.KINDS, certificates.notice_text)
        trained.connect()
