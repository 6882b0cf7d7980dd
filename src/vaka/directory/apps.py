from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "vaka.directory"
    label = "directory"

    def ready(self) -> None:
        from vaka.directory import signals  # noqa: F401
        from vaka.directory.api import schema  # noqa: F401  (OpenAPI auth extensions)
