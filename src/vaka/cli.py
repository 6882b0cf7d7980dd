"""The ``vaka`` command: Django's management commands plus Vaka's own."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vaka.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        settings.INSTALLED_APPS  # noqa: B018  (loads the settings: a bad VAKA_* stops here)
    except ImproperlyConfigured as error:
        sys.exit(f"vaka: {error}")
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
