"""System checks on how Vaka is set up (``vaka check``, and before ``serve``/``migrate``)."""

from typing import Any

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security)
def data_dir_is_private(**kwargs: Any) -> list[checks.CheckMessage]:
    """``VAKA_DATA_DIR`` holds the database, the secret key and stored files: Vaka creates
    it 0700 but leaves the mode of one that already exists (its owner may have opened it
    to a backup group on purpose), and says so here when group or others may enter it."""
    mode = settings.DATA_DIR.stat().st_mode & 0o777
    if not mode & 0o077:
        return []
    return [checks.Warning(
        f"VAKA_DATA_DIR can be read by other users (mode {mode:04o}).",
        hint=f"chmod 700 {settings.DATA_DIR} (the files in it are created 0600).",
        id="vaka.W001")]


@checks.register(checks.Tags.compatibility, deploy=True)
def pdf_libraries_load(**kwargs: Any) -> list[checks.CheckMessage]:
    """PDFs need Pango and HarfBuzz from the system (WeasyPrint loads them when the first PDF
    is made, so a missing library would first show as a failed download). Only with
    ``--deploy``: loading them takes a moment at every command otherwise."""
    try:
        import weasyprint  # noqa: F401
    except OSError as error:
        return [checks.Warning(
            f"PDFs cannot be made: WeasyPrint could not load a system library ({error}).",
            hint="apt-get install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 "
                 "fonts-dejavu-core fonts-noto-core (scripts/install-system-deps).",
            id="vaka.W002")]
    return []
