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
    try:
        execute_from_command_line(sys.argv)
    except Exception as error:
        # A full disk or a database that does not answer is one line, whatever the command
        # (--traceback shows where); anything else keeps its traceback.
        from vaka import faults

        fault = faults.explain(error)
        if fault is None or "--traceback" in sys.argv:
            raise
        sys.exit(f"vaka: {fault[1]}")


if __name__ == "__main__":
    main()
