"""PostgreSQL's client tools for backups: the right pg_dump or pg_restore, run with this
instance's connection settings."""

import os
import re
import shutil
import subprocess
from glob import glob

from django.db import connection


class ToolError(Exception):
    """A client tool missing, too old, or failing; the message says which, in one line."""


def pg_env() -> dict[str, str]:
    """Connection settings for pg_dump and pg_restore, through the environment so the
    password never shows in the process list."""
    params = connection.settings_dict
    env = dict(os.environ)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"),
                     ("PASSWORD", "PGPASSWORD"), ("NAME", "PGDATABASE")):
        if params.get(key):
            env[var] = str(params[key])
    if sslmode := (params.get("OPTIONS") or {}).get("sslmode"):
        env["PGSSLMODE"] = sslmode
    return env


def find_tool(name: str, needed: int) -> tuple[str, str]:
    """The first ``name`` (Debian's versioned directories, newest first, then PATH) whose
    major version is at least ``needed``: an older pg_dump refuses a newer server."""
    candidates = sorted(glob(f"/usr/lib/postgresql/*/bin/{name}"),
                        key=lambda p: [int(n) for n in re.findall(r"\d+", p)], reverse=True)
    if found := shutil.which(name):
        candidates.append(found)
    seen = []
    for candidate in candidates:
        try:
            output = subprocess.run([candidate, "--version"],  # noqa: S603 (found, not given)
                                    capture_output=True, text=True, timeout=30,
                                    check=True).stdout
        except (OSError, subprocess.SubprocessError):
            continue
        match = re.search(r"(\d+)(?:\.(\d+))?", output)
        if match and int(match[1]) >= needed:
            return candidate, match[0]
        seen.append(f"{candidate} ({match[0] if match else 'unknown version'})")
    if not seen:
        raise ToolError(f"{name} was not found on PATH or under /usr/lib/postgresql: install "
                          f"the PostgreSQL client tools, version {needed} or newer.")
    raise ToolError(f"{name} is older than PostgreSQL {needed}: found {', '.join(seen)}; "
                      f"install the client tools of version {needed} or newer.")


def run(command: list[str], tool: str) -> None:
    result = subprocess.run(command, env=pg_env(),  # noqa: S603 (our own arguments)
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        raise ToolError(f"{tool} failed: {lines[-1] if lines else f'exit {result.returncode}'}")
