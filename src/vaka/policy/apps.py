from django.apps import AppConfig


class PolicyConfig(AppConfig):
    name = "vaka.policy"
    label = "policy"

    def ready(self) -> None:
        from django.core.signals import request_finished

        from vaka.policy import deferred

        # Side writes spooled while the database was busy are written after an answer has
        # gone out (the next request's, whichever it is), not while someone waits.
        request_finished.connect(deferred.flush_after_request, dispatch_uid="vaka.deferred")
