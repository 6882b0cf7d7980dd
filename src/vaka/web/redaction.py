"""Keep secrets out of logs: API tokens, peer tokens and export link keys.

Export links carry their key in the URL for devices that cannot send a header, so every
log line that may hold a URL (Django's request and server logs, gunicorn's access log)
goes through :func:`redact`. Vaka's secrets all start with a known prefix, which finds them
wherever they appear; ``key=`` and ``token=`` query parameters are redacted too.
"""

import logging
import re
from typing import Any

from gunicorn.glogging import Logger

REDACTED = "[redacted]"
_PREFIXED = re.compile(r"\b(vakapeer_|vakx_|vaka_)[A-Za-z0-9_-]+")
_PARAMETER = re.compile(r"(?i)([?&;](?:key|token|api_key)=)[^&;\s\"']*")
# Request headers and their WSGI environ names that hold credentials: dropped whole.
_SECRET_ATOMS = {f"{{{name}}}i" for name in ("authorization", "x-vaka-key", "cookie")} | {
    f"{{{name}}}e" for name in ("http_authorization", "http_x_vaka_key", "http_cookie")}


def redact(text: str) -> str:
    """``text`` with every Vaka secret and ``key=``/``token=`` value replaced."""
    if "vak" not in text and "=" not in text:
        return text
    text = _PREFIXED.sub(lambda match: match.group(1) + REDACTED, text)
    return _PARAMETER.sub(lambda match: match.group(1) + REDACTED, text)


class RedactSecrets(logging.Filter):
    """A logging filter that redacts the formatted message of every record it passes."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class GunicornLogger(Logger):
    """Gunicorn's logger with the access log's URL, referrer and headers redacted."""

    def atoms(self, resp: Any, req: Any, environ: dict, request_time: Any) -> dict:
        atoms = super().atoms(resp, req, environ, request_time)
        for name, value in atoms.items():
            if name in _SECRET_ATOMS:
                atoms[name] = REDACTED
            elif isinstance(value, str):
                atoms[name] = redact(value)
        return atoms
