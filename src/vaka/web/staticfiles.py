"""Static files collected before ``vaka serve`` answers.

The manifest storage (hashed names, far-future caching) answers 500 for a page that
names a static file missing from its manifest, which is what a fresh install or an
upgrade without ``vaka collectstatic`` gave. Collecting takes about a minute on two cores
(every file is hashed and compressed again, even unchanged ones), so ``serve`` collects
only when something is missing or newer than what was collected.
"""

from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage
from django.core.management import call_command

# collectstatic's own default ignore patterns.
_IGNORED = ["CVS", ".*", "*~"]


def _source_files() -> dict[str, Path]:
    """Every file collectstatic would gather, by its name under STATIC_ROOT (the first
    finder to list a name wins, as in collectstatic)."""
    sources: dict[str, Path] = {}
    for finder in finders.get_finders():
        for name, storage in finder.list(_IGNORED):
            prefix = getattr(storage, "prefix", None)
            collected = f"{prefix}/{name}" if prefix else name
            sources.setdefault(collected.replace("\\", "/"), Path(storage.path(name)))
    return sources


def collection_is_stale() -> bool:
    """Whether a source file is missing from STATIC_ROOT (or its manifest), or newer."""
    root = Path(settings.STATIC_ROOT)
    manifest: dict[str, str] | None = None
    if isinstance(staticfiles_storage, ManifestFilesMixin):
        try:
            manifest = staticfiles_storage.load_manifest()[0]
        except ValueError:  # an unreadable manifest is rebuilt
            return True
        if not manifest:
            return True
    for name, source in _source_files().items():
        if manifest is not None and name not in manifest:
            return True
        target = root / name
        if not target.exists() or source.stat().st_mtime > target.stat().st_mtime:
            return True
    return False


def collect_if_stale(announce: Callable[[str], object]) -> bool:
    """Run ``collectstatic`` when the collection is stale, saying so first (it is slow);
    whether it ran."""
    if not collection_is_stale():
        return False
    announce("Collecting static files (about a minute, after an install or upgrade)…")
    call_command("collectstatic", interactive=False, verbosity=0)
    return True
