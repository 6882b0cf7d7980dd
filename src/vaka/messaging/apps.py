from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    name = "vaka.messaging"
    label = "messaging"
    verbose_name = _("messaging")

    def ready(self) -> None:
        from vaka.inbox.presentation import register_texts
        from vaka.messaging import rfi_texts, texts

        register_texts(rfi_texts.KINDS, rfi_texts.notice_text)
        register_texts(texts.KINDS, texts.notice_text)
