"""Reading ``VAKA_*`` environment variables, strictly: the only way settings are read.

Healthchecks' manner: a value a variable does not take stops start-up with a message
naming the variable and the value, instead of quietly meaning something else (an unknown
``VAKA_HTTPS=ture`` was read as "off"). Every variable may also come from a file,
``VAKA_<NAME>_FILE``, for container and systemd secrets.
"""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def env(name: str, default: str = "") -> str:
    """``VAKA_<name>``, or the content of the file named by ``VAKA_<name>_FILE``.

    Any variable may come from a file (container and systemd secrets), so secrets never
    need to be in the environment; setting both is ambiguous and an error. An empty
    variable counts as unset, as compose files and unit files often leave them.
    """
    variable = f"VAKA_{name}"
    value = os.environ.get(variable, "")
    path = os.environ.get(f"{variable}_FILE", "")
    if value.strip() and path.strip():
        raise ImproperlyConfigured(f"{variable} and {variable}_FILE are both set: set only one.")
    if path.strip():
        try:
            content = Path(path).read_text(encoding="utf-8").rstrip("\r\n")
        except (OSError, UnicodeDecodeError) as error:
            reason = getattr(error, "strerror", None) or str(error)
            raise ImproperlyConfigured(
                f"{variable}_FILE={path} cannot be read: {reason}.") from None
        if not content.strip():
            raise ImproperlyConfigured(f"{variable}_FILE={path} is empty.")
        return content
    return value if value.strip() else default


def env_bool(name: str, default: bool = False) -> bool:
    """A yes/no variable: true/false, 1/0, yes/no or on/off (any case); anything else is
    an error, so a typo never turns a safety off."""
    raw = env(name)
    if not raw:
        return default
    word = raw.strip().lower()
    if word in _TRUE or word in _FALSE:
        return word in _TRUE
    raise ImproperlyConfigured(
        f"VAKA_{name}={raw!r} is not a yes/no value: use true or false "
        "(or 1/0, yes/no, on/off).")


def env_int(name: str, default: int, minimum: int = 0) -> int:
    """A whole number of at least ``minimum``."""
    raw = env(name)
    if not raw:
        return default
    try:
        number = int(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"VAKA_{name}={raw!r} is not a whole number.") from None
    if number < minimum:
        raise ImproperlyConfigured(f"VAKA_{name}={number} is below its minimum, {minimum}.")
    return number


def env_float(name: str, default: float, minimum: float = 0.0) -> float:
    """A decimal number of at least ``minimum``."""
    raw = env(name)
    if not raw:
        return default
    try:
        number = float(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"VAKA_{name}={raw!r} is not a number.") from None
    if not number >= minimum:  # also refuses nan
        raise ImproperlyConfigured(f"VAKA_{name}={raw.strip()} is below its minimum, {minimum}.")
    return number


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    """One of ``choices`` (any case)."""
    raw = env(name)
    if not raw:
        return default
    for choice in choices:
        if raw.strip().lower() == choice.lower():
            return choice
    raise ImproperlyConfigured(f"VAKA_{name}={raw!r} is not one of: {', '.join(choices)}.")


def env_url(name: str, default: str = "") -> str:
    """An http(s) address without a trailing slash, or ``""`` when unset."""
    raw = env(name, default).strip()
    if raw and not raw.lower().startswith(("https://", "http://")):
        raise ImproperlyConfigured(f"VAKA_{name}={raw!r} is not an http(s) address.")
    return raw.rstrip("/")


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]
