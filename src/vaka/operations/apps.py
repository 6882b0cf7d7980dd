from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OperationsConfig(AppConfig):
    name = "vaka.operations"
    label = "operations"
    verbose_name = _("operations")

    def ready(self) -> None:
        from vaka.inbox.presentation import register_texts
        from vaka.operations import desk, notices

        register_texts(desk.KINDS, desk.notice_text)
        register_texts(notices.KINDS, notices.notice_text)

        from vaka.operations.figures import report_figures
        from vaka.products import reports

        reports.register(report_figures)
