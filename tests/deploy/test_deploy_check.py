"""Production settings pass Django's deployment checks, and the containers' sequence of
commands (collect static files at build, migrate, serve) works without containers."""

import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from drf_spectacular.generators import SchemaGenerator

from tests.deploy.files import (
    VAKA,
    compose,
    dockerfile_stages,
    exec_form,
    production_environment,
)
from tests.ports import free_port


def run(command: list[str], environment: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(command, env=environment, capture_output=True, text=True,
                          timeout=600, check=False)


def deploy_check(environment: dict[str, str]) -> subprocess.CompletedProcess:
    return run([str(VAKA), "check", "--deploy", "--fail-level", "WARNING"], environment)


def test_deploy_check_has_nothing_to_say_with_production_settings(tmp_path: Path) -> None:
    done = deploy_check(production_environment(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout, done.stdout + done.stderr
    assert "WARNING" not in done.stdout + done.stderr


def test_deploy_check_still_warns_about_what_production_must_set(tmp_path: Path) -> None:
    environment = production_environment(tmp_path, VAKA_HTTPS="0", VAKA_DEBUG="1")
    done = deploy_check(environment)
    assert done.returncode != 0
    assert "security.W018" in done.stderr  # DEBUG on
    assert "security.W012" in done.stderr  # session cookie not secure


def test_schema_documents_the_token_header_and_the_session_cookie() -> None:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    schemes = schema["components"]["securitySchemes"]
    assert schemes["tokenAuth"]["type"] == "apiKey"
    assert schemes["tokenAuth"]["in"] == "header"
    assert schemes["tokenAuth"]["name"] == "Authorization"
    assert '"Token"' in schemes["tokenAuth"]["description"]
    assert schemes["cookieAuth"] == {"type": "apiKey", "in": "cookie", "name": "sessionid"}
    lookup = schema["paths"]["/api/lookup/"]["post"]
    assert {"tokenAuth": []} in lookup["security"]


def _compose_command(service: str) -> list[str]:
    command = compose()["services"][service]["command"]
    return command if isinstance(command, list) else exec_form(command)


def _with_option(command: list[str], option: str, value: str) -> list[str]:
    at = command.index(option)
    return [*command[:at + 1], value, *command[at + 2:]]


def _build_collectstatic() -> list[str]:
    """The ``vaka collectstatic …`` the image build runs."""
    for arguments in dockerfile_stages()[-1].arguments("RUN"):
        if match := re.search(r"\bvaka collectstatic[^&;]*", arguments):
            return match.group(0).split()
    raise AssertionError("the Dockerfile's last stage does not run `vaka collectstatic`")


def _get(url: str, **headers: str) -> urllib.request.addinfourl:
    return urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10)


def _wait_until_live(url: str, server: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"vaka serve exited with {server.returncode}")
        try:
            if _get(url).status == 200:
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
    raise AssertionError(f"{url} did not answer within {seconds} s")


@pytest.mark.one_database  # its own SQLite instance, whatever the pass
def test_container_sequence_runs_without_containers(tmp_path: Path) -> None:
    """What `docker build` and `docker compose up` run, in the same order, on SQLite."""
    static = tmp_path / "image-static"
    environment = production_environment(
        tmp_path / "data", VAKA_STATIC_ROOT=str(static), VAKA_SCHEDULER="0",
        VAKA_HEALTH_MIN_FREE_MB="1",
        # Hashed names as in the image, without compressing every file with gzip and
        # brotli, which takes a minute of CPU and changes nothing the test looks at.
        VAKA_STATIC_STORAGE="django.contrib.staticfiles.storage.ManifestStaticFilesStorage")
    environment.pop("VAKA_DATABASE_URL", None)
    vaka = str(VAKA)

    # docker build: static files into the image, with a throwaway data directory.
    collect = _build_collectstatic()
    done = run([vaka, *collect[1:]], {**environment, "VAKA_DATA_DIR": str(tmp_path / "build")})
    assert done.returncode == 0, done.stderr
    assert (static / "staticfiles.json").is_file()

    # The migrate service, then the deployment check on the migrated database.
    done = run([vaka, *_compose_command("migrate")[1:]], environment)
    assert done.returncode == 0, done.stderr
    done = deploy_check(environment)
    assert done.returncode == 0, done.stdout + done.stderr

    # The web service on a free loopback port, probed by the image's HEALTHCHECK.
    port = str(free_port())
    serve = _with_option(_with_option(_compose_command("web"), "--host", "127.0.0.1"),
                         "--port", port)
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        server = subprocess.Popen([vaka, *serve[1:], "--workers", "1"], env=environment,
                                  stdout=output, stderr=subprocess.STDOUT,
                                  start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_until_live(f"{base}/health/live", server)
        healthcheck = exec_form(dockerfile_stages()[-1].arguments("HEALTHCHECK")[0]
                                .partition(" CMD ")[2])
        healthcheck = [part.replace("127.0.0.1:8000", f"127.0.0.1:{port}")
                       for part in healthcheck]
        assert healthcheck[0] == "python"
        done = run([sys.executable, *healthcheck[1:]], environment)
        assert done.returncode == 0, done.stderr
        try:
            _get(f"{base}/health/ready")
        except urllib.error.HTTPError as error:
            pytest.fail(f"/health/ready: {error.code} {error.read()!r}; "
                        f"log: {log.read_text()[-3000:]}")

        # Through the proxy's headers: a hashed static file, cached for a year.
        proxied = {"Host": "vaka.example.org", "X-Forwarded-Proto": "https"}
        login = _get(f"{base}/accounts/login/", **proxied).read().decode()
        stylesheet = re.search(r'href="(/static/[^"]+\.css)"', login).group(1)
        answer = _get(f"{base}{stylesheet}", **proxied)
        assert answer.status == 200
        assert "max-age=31536000" in answer.headers["Cache-Control"]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
