"""A data directory of its own for each pytest-xdist worker (loaded with ``-p``).

Settings read ``VAKA_DATA_DIR`` when Django starts, which pytest-django does before any
conftest is imported; so this plugin, imported while pytest reads its options, moves each
worker into a subdirectory first. Workers then never share the ingest turn's lock file,
stored files, caches or spools."""

import os
from pathlib import Path

_worker = os.environ.get("PYTEST_XDIST_WORKER")
if _worker and os.environ.get("VAKA_DATA_DIR"):
    _own = Path(os.environ["VAKA_DATA_DIR"]) / _worker
    _own.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.environ["VAKA_DATA_DIR"] = str(_own)
