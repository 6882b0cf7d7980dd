"""The deployment files, read the way their tools read them, for the tests beside this.

Docker may not run where the tests do, so the tests check what ``docker compose config``,
``docker build``, ``systemd-analyze verify`` and ``nginx -t`` would, from these readings,
and run the tools themselves where they are installed.
"""

import os
import re
import secrets
import shlex
import sys
from configparser import ConfigParser
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
NGINX_SITE = DEPLOY / "nginx" / "vaka.conf"
VAKA = Path(sys.executable).with_name("vaka")
VARIABLE = re.compile(r"\bVAKA_[A-Z0-9_]*[A-Z0-9]")
# How settings read a variable: env("NAME"), env_int("NAME", …) and the like (vaka.config).
_READ = re.compile(r"\benv(?:_[a-z]+)?\(\s*[\"']([A-Z0-9_]+)[\"']")


def settings_variables() -> set[str]:
    """Every ``VAKA_*`` variable Vaka reads (each may also come from ``VAKA_*_FILE``)."""
    names = set()
    for path in (REPO / "src" / "vaka").rglob("*.py"):
        names.update(f"VAKA_{name}" for name in _READ.findall(path.read_text()))
    return names


def unknown_variables(text: str) -> set[str]:
    """The ``VAKA_*`` names in ``text`` that Vaka does not read."""
    known = settings_variables()
    return {name for name in VARIABLE.findall(text)
            if name.removesuffix("_FILE") not in known}


def vaka_commands() -> set[str]:
    """The ``vaka`` subcommands (Django's and Vaka's management commands)."""
    from django.core.management import get_commands

    return set(get_commands())


def compose() -> dict[str, Any]:
    return yaml.safe_load((REPO / "compose.yaml").read_text())


@dataclass
class Stage:
    """One ``FROM`` of the Dockerfile and its instructions, as (keyword, arguments)."""

    image: str
    name: str
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def arguments(self, keyword: str) -> list[str]:
        return [arguments for word, arguments in self.instructions if word == keyword]


def dockerfile_stages() -> list[Stage]:
    """The Dockerfile's stages, continuation lines joined and comments left out."""
    stages: list[Stage] = []
    logical = ""
    for line in (REPO / "Dockerfile").read_text().splitlines():
        if line.lstrip().startswith("#") or not line.strip():
            continue
        logical += line.rstrip().removesuffix("\\") + " "
        if line.rstrip().endswith("\\"):
            continue
        keyword, _, arguments = logical.strip().partition(" ")
        logical = ""
        keyword, arguments = keyword.upper(), " ".join(arguments.split())
        if keyword == "FROM":
            image, _, name = arguments.partition(" AS ")
            stages.append(Stage(image=image, name=name or str(len(stages))))
        else:
            stages[-1].instructions.append((keyword, arguments))
    return stages


def exec_form(arguments: str) -> list[str]:
    """A ``CMD ["a", "b"]`` (JSON) or shell-form argument list."""
    if arguments.startswith("["):
        return yaml.safe_load(arguments)
    return shlex.split(arguments)


def unit(path: Path) -> ConfigParser:
    """A systemd unit: repeated keys keep their last value, as for most of systemd's keys."""
    parser = ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    parser.optionxform = str  # keys are case-sensitive
    parser.read_string(path.read_text())
    return parser


def nginx_directives(name: str) -> list[str]:
    """The arguments of every ``name …;`` directive in the nginx site."""
    text = re.sub(r"#[^\n]*", "", NGINX_SITE.read_text())
    return [" ".join(match.split()) for match in
            re.findall(rf"(?:^|[;{{}}\s]){re.escape(name)}\s+([^;{{}}]*);", text)]


def production_environment(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a production instance: the test run's ``VAKA_*`` left out, but
    its database (the PostgreSQL run sets ``VAKA_DATABASE_URL``)."""
    # Nor the browser tests' DJANGO_ALLOW_ASYNC_UNSAFE, which the deploy check refuses.
    environment = {name: value for name, value in os.environ.items()
                   if not name.startswith("VAKA_") and name != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    if url := os.environ.get("VAKA_DATABASE_URL"):
        environment["VAKA_DATABASE_URL"] = url
    environment.update({
        "VAKA_DATA_DIR": str(data_dir),
        "VAKA_HTTPS": "1",
        "VAKA_SECRET_KEY": secrets.token_urlsafe(64),
        "VAKA_ALLOWED_HOSTS": "vaka.example.org",
        "VAKA_PROXY_COUNT": "1",
        **extra,
    })
    return environment
