"""compose.yaml and the Dockerfile hold together: what ``docker compose config`` and
``docker build`` would refuse, and what would only fail once deployed (a command or a
variable Vaka does not have, a file the build cannot copy, static files in the volume)."""

import fnmatch
import re
import shutil
import subprocess

import pytest

from tests.deploy.files import (
    REPO,
    compose,
    dockerfile_stages,
    exec_form,
    unknown_variables,
    vaka_commands,
)

pytestmark = pytest.mark.one_database  # the shipped files and the tools that read them

APP_SERVICES = ("migrate", "web", "worker", "beat")
# Programs of the images compose.yaml runs besides Vaka's own.
IMAGE_PROGRAMS = {"postgres": {"pg_isready"}, "redis": {"redis-server", "redis-cli"}}


def _command(value: str | list[str]) -> list[str]:
    return value if isinstance(value, list) else exec_form(value)


def _healthcheck_programs(service: dict) -> list[str]:
    test = service.get("healthcheck", {}).get("test")
    if not test:
        return []
    if test[0] == "CMD":
        return [test[1]]
    return [line.split()[0] for line in test[1:]]  # CMD-SHELL: the command's first word


def test_compose_runs_postgresql_redis_web_worker_and_beat() -> None:
    services = compose()["services"]
    assert {"postgres", "redis", "web", "worker", "beat"} <= set(services)
    major = re.match(r"postgres:(\d+)", services["postgres"]["image"]).group(1)
    assert major in {"15", "16"}
    for name in APP_SERVICES:
        assert services[name]["build"] == "."
        assert services[name]["image"] == services["web"]["image"]


def test_every_vaka_command_in_compose_exists() -> None:
    commands = vaka_commands()
    for name in APP_SERVICES:
        command = _command(compose()["services"][name]["command"])
        assert command[0] == "vaka", name
        assert command[1] in commands, f"{name}: `vaka {command[1]}` does not exist"
    for name, programs in IMAGE_PROGRAMS.items():
        service = compose()["services"][name]
        used = {_command(service["command"])[0]} if "command" in service else set()
        assert used | set(_healthcheck_programs(service)) <= programs, name


def test_every_long_running_service_has_a_healthcheck() -> None:
    services = compose()["services"]
    image_checks = dockerfile_stages()[-1].arguments("HEALTHCHECK")
    for name in ("postgres", "redis", "worker", "beat"):
        assert services[name]["healthcheck"]["test"], name
    # web keeps the image's HEALTHCHECK (/health/live); the worker asks Celery, in the image.
    assert "healthcheck" not in services["web"] and "/health/live" in image_checks[0]
    assert _healthcheck_programs(services["worker"]) == ["celery"]
    assert services["migrate"]["healthcheck"] == {"disable": True}


def test_app_services_start_after_the_database_the_broker_and_the_migrations() -> None:
    services = compose()["services"]
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("web", "worker", "beat"):
        depends = services[name]["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy"
        assert depends["redis"]["condition"] == "service_healthy"
        assert depends["migrate"]["condition"] == "service_completed_successfully"


def test_compose_secrets_volumes_and_broker_are_declared_and_used() -> None:
    document = compose()
    services = document["services"]
    for name, service in services.items():
        for secret in service.get("secrets", []):
            assert secret in document["secrets"], f"{name}: secret {secret} is not declared"
        for volume in service.get("volumes", []):
            assert volume.split(":")[0] in document["volumes"], f"{name}: {volume}"
        for other in service.get("depends_on", {}):
            assert other in services, f"{name} depends on a missing service {other}"
    for name in APP_SERVICES:
        environment = services[name]["environment"]
        for variable in ("VAKA_SECRET_KEY_FILE", "VAKA_DATABASE_URL_FILE"):
            secret = environment[variable].removeprefix("/run/secrets/")
            assert secret in services[name]["secrets"], f"{name}: {variable}"
        assert environment["VAKA_BROKER_URL"].startswith("redis://redis:")
        assert services[name]["volumes"] == ["vaka-data:/var/lib/vaka"]
    assert services["postgres"]["environment"]["POSTGRES_PASSWORD_FILE"].endswith(
        services["postgres"]["secrets"][0])


def test_deployment_files_set_only_variables_vaka_reads() -> None:
    paths = [REPO / "compose.yaml", REPO / "Dockerfile",
             *sorted((REPO / "deploy").rglob("*.service")),
             *sorted((REPO / "deploy").rglob("*.conf"))]
    for path in paths:
        assert not unknown_variables(path.read_text()), path.name


def test_compose_interpolates_only_vaka_settings() -> None:
    text = (REPO / "compose.yaml").read_text()
    for name in re.findall(r"(?<!\$)\$\{([A-Za-z0-9_]+)", text):
        assert name.startswith("VAKA_") and not unknown_variables(name), name


def _ignored(path: str) -> bool:
    patterns = [line.strip() for line in (REPO / ".dockerignore").read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    return any(fnmatch.fnmatch(path, pattern) or path.startswith(pattern + "/")
               for pattern in patterns)


def test_dockerfile_copies_only_files_that_exist_and_are_sent_to_the_build() -> None:
    stages = dockerfile_stages()
    names = [stage.name for stage in stages]
    for index, stage in enumerate(stages):
        for arguments in stage.arguments("COPY"):
            words = arguments.split()
            options = [w for w in words if w.startswith("--")]
            sources = [w for w in words if not w.startswith("--")][:-1]
            if origin := next((o for o in options if o.startswith("--from=")), None):
                assert origin.removeprefix("--from=") in names[:index], arguments
                continue
            for source in sources:
                assert (REPO / source).exists(), f"COPY {source}: no such file"
                assert not _ignored(source), f"COPY {source}: left out by .dockerignore"


def test_assets_stage_builds_the_vendored_files_as_the_makefile_does() -> None:
    assets = dockerfile_stages()[0]
    assert "make assets" in assets.arguments("RUN")
    makefile = (REPO / "Makefile").read_text()
    assert re.search(r"^assets:", makefile, re.MULTILINE)
    vendor = re.search(r"^VENDOR := (\S+)", makefile, re.MULTILINE).group(1)
    copied = [a for stage in dockerfile_stages()[1:] for a in stage.arguments("COPY")
              if a.startswith(f"--from={assets.name} ")]
    assert copied == [f"--from={assets.name} /build/{vendor} ./{vendor}"]
    # Every file the Makefile copies comes from a package the lock file pins.
    lock = (REPO / "package-lock.json").read_text()
    for package in re.findall(r"node_modules/([a-z.@/-]+?)/dist/", makefile):
        assert f'"node_modules/{package}"' in lock, package


def test_image_runs_vaka_as_a_user_without_node_and_with_its_own_static_files() -> None:
    final = dockerfile_stages()[-1]
    assert final.image == "python:3.11-slim-bookworm"
    environment = " ".join(final.arguments("ENV"))
    data_dir = re.search(r"VAKA_DATA_DIR=(\S+)", environment).group(1)
    static_root = re.search(r"VAKA_STATIC_ROOT=(\S+)", environment).group(1)
    assert not static_root.startswith(data_dir + "/")  # a new image brings its own
    assert exec_form(final.arguments("VOLUME")[0]) == [data_dir]
    user = final.arguments("USER")
    assert user and user[-1] not in {"root", "0"}
    assert exec_form(final.arguments("CMD")[0]) == [
        "vaka", "serve", "--host", "0.0.0.0", "--port", "8000"]
    runs = " ".join(final.arguments("RUN"))
    assert "vaka collectstatic" in runs
    assert not re.search(r"\b(npm|node|make)\b", runs)
    assert all(not a.startswith("--from=assets") for a in final.arguments("COPY"))


def test_image_installs_the_libraries_and_fonts_pdfs_need() -> None:
    # The packages scripts/install-system-deps gives a checkout for WeasyPrint, and the
    # Arabic font; the image must carry the same.
    script = (REPO / "scripts" / "install-system-deps").read_text()
    needed = re.search(r"for pkg in ([^;]+); do", script).group(1).split()
    assert "libpango-1.0-0" in needed
    runs = " ".join(dockerfile_stages()[-1].arguments("RUN"))
    for package in [*needed, "fonts-noto-core"]:
        assert re.search(rf"(?<![\w.-]){re.escape(package)}(?![\w.-])", runs), package


@pytest.mark.skipif(not shutil.which("docker"), reason="docker is not installed")
def test_docker_compose_config_accepts_the_file() -> None:
    if subprocess.run(["docker", "compose", "version"], capture_output=True,
                      check=False).returncode != 0:
        pytest.skip("the docker compose plugin is not installed")
    done = subprocess.run(["docker", "compose", "--file", "compose.yaml", "config", "--quiet"],
                          capture_output=True, text=True, check=False, cwd=REPO)
    assert done.returncode == 0, done.stderr
