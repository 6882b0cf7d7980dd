"""Health probes for load balancers, supervisors and container orchestrators.

``/health/live`` answers 200 while the process can answer at all (no database touched):
a supervisor restarts the process when it stops. ``/health/ready`` answers 200 when this
process can serve requests, 503 otherwise: the database answers, every migration is
applied, the Celery broker is reachable (when ``VAKA_BROKER_URL`` is set), and
``VAKA_DATA_DIR`` is writable with at least ``VAKA_HEALTH_MIN_FREE_MB`` free.

Both are public, so they say nothing but each check's name and ``ok`` or ``failing``: no
version, path, host name or error text. Why a check fails goes to the log, for operators.

:class:`HealthCheckMiddleware` answers both before any other middleware but the request
id, because probes come over plain HTTP from an address with whatever ``Host`` header
the prober chooses (a container's IP): the HTTPS redirect and the ``ALLOWED_HOSTS``
check would turn every probe into a 301 or a 400, and sessions, sign-in and the second
factor have nothing to do with them. The URL conf routes the same views, so they are
reachable, named and declared like every other route.
"""

import logging
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)

OK, FAILING = "ok", "failing"
# Long enough for a broker on another host, short enough for a probe's own timeout.
BROKER_TIMEOUT_SECONDS = 2.0


def database_answers() -> None:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")


def migrations_applied() -> None:
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        raise RuntimeError("migrations are not applied: run `vaka migrate`")


def broker_reachable() -> None:
    from kombu import Connection

    timeouts = {"socket_timeout": BROKER_TIMEOUT_SECONDS,
                "socket_connect_timeout": BROKER_TIMEOUT_SECONDS}
    with Connection(settings.CELERY_BROKER_URL, connect_timeout=BROKER_TIMEOUT_SECONDS,
                    transport_options=timeouts) as connection:
        connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0,
                                     timeout=BROKER_TIMEOUT_SECONDS)


def _folders_written() -> list[Path]:
    """The data directory, and a SQLite database's folder when it is somewhere else."""
    folders = [Path(settings.DATA_DIR)]
    database = connections[DEFAULT_DB_ALIAS].settings_dict
    if database["ENGINE"] == "vaka.sqlite" and not str(database["NAME"]).startswith("file:"):
        folders.append(Path(database["NAME"]).parent)
    return folders


def disk_space() -> None:
    """Each disk Vaka writes to has VAKA_HEALTH_MIN_FREE_MB free: on a full one, reads go on
    but every write is refused (vaka.faults)."""
    for folder in _folders_written():
        free_mb = shutil.disk_usage(folder).free // 2**20
        if free_mb < settings.HEALTH_MIN_FREE_MB:
            raise RuntimeError(f"{folder}: {free_mb} MB free, below VAKA_HEALTH_MIN_FREE_MB "
                               f"({settings.HEALTH_MIN_FREE_MB})")


def data_dir_writable() -> None:
    # An unnamed file where the system allows it: nothing is left behind if we die here.
    with tempfile.TemporaryFile(dir=settings.DATA_DIR) as probe:
        probe.write(b"ok")
        probe.flush()


def readiness() -> dict[str, str]:
    """Each readiness check's name and ``ok`` or ``failing``."""
    checks: dict[str, Callable[[], None]] = {"database": database_answers,
                                             "migrations": migrations_applied}
    if settings.CELERY_BROKER_URL:
        checks["broker"] = broker_reachable
    checks |= {"disk_space": disk_space, "data_dir_writable": data_dir_writable}
    results = {}
    for name, check in checks.items():
        if name == "migrations" and results["database"] == FAILING:
            results[name] = FAILING  # cannot be told without the database
            continue
        try:
            check()
        except Exception as error:  # every failure, whatever it is, makes the probe fail
            logger.warning("Health check %s failing: %s: %s", name,
                           type(error).__name__, error)
            results[name] = FAILING
        else:
            results[name] = OK
    return results


def _answer(checks: dict[str, str]) -> JsonResponse:
    healthy = all(result == OK for result in checks.values())
    response = JsonResponse({"status": OK if healthy else FAILING, "checks": checks},
                            status=200 if healthy else 503)
    response["Cache-Control"] = "no-store"
    return response


@require_safe
def live(request: HttpRequest) -> JsonResponse:
    """The process is up and answering."""
    return _answer({"process": OK})


@require_safe
def ready(request: HttpRequest) -> JsonResponse:
    """This process can serve: 200, or 503 naming the failing checks."""
    return _answer(readiness())


urlpatterns = [
    path("health/live", live, name="health_live"),
    path("health/ready", ready, name="health_ready"),
]
_PROBES = {"/health/live": live, "/health/ready": ready}


class HealthCheckMiddleware:
    """Answer GET and HEAD probes before host checks, redirects and sessions."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        view = _PROBES.get(request.path_info)
        if view is not None and request.method in ("GET", "HEAD"):
            return view(request)
        return self.get_response(request)
