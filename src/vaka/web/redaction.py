"""Keep secrets out of logs: API tokens, peer tokens and export link keys.

Export links carry their key in the URL for devices that cannot send a header, so every
log line that may hold a URL (Django's request and server logs, gunicorn's access log)
goes through :func:`redact`. Vaka's secrets all start with a known prefix, which finds them
wherever they appear; ``key=`` and ``token=`` query parameters are redacted too, and
gunicorn's access line drops the query string altogether.
"""

import logging
import re
import traceback
from typing import Any

from django.conf import settings
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
    """Gunicorn's logger in Vaka's log format, with secrets and query strings kept out.

    The access line names the path without its query string (``?[redacted]`` says there
    was one): query strings carry export link keys and tokens, and searched values —
    intelligence that no log may hold. The referrer is cut the same way, and the request
    id comes from the response's ``X-Request-ID``.
    """

    def setup(self, cfg: Any) -> None:
        from vaka.web.logs import RequestIdFilter, formatter_for

        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                if getattr(handler, "_gunicorn", False):
                    handler.setFormatter(formatter_for(settings.LOG_FORMAT))
                    handler.addFilter(RequestIdFilter())
                    handler.addFilter(RedactSecrets())

    def access(self, resp: Any, req: Any, environ: dict, request_time: Any) -> None:
        from vaka.web.logs import HEADER, NO_REQUEST

        if not self.access_log_enabled:
            return
        atoms = self.atoms(resp, req, environ, request_time)
        line = '{h} "{m} {path} {H}" {s} {b} {L}s "{referrer}" "{a}"'.format(
            path=without_query(environ.get("RAW_URI") or environ.get("PATH_INFO", "")),
            referrer=without_query(environ.get("HTTP_REFERER", "-")), **{
                name: atoms.get(name) or "-" for name in ("h", "m", "H", "s", "b", "L", "a")})
        request_id = atoms.get(f"{{{HEADER.lower()}}}o") or NO_REQUEST
        try:
            self.access_log.info("%s", line, extra={"request_id": request_id})
        except Exception:
            self.error(traceback.format_exc())

    def atoms(self, resp: Any, req: Any, environ: dict, request_time: Any) -> dict:
        atoms = super().atoms(resp, req, environ, request_time)
        for name, value in atoms.items():
            if name in _SECRET_ATOMS:
                atoms[name] = REDACTED
            elif isinstance(value, str):
                atoms[name] = redact(value)
        return atoms


def without_query(url: str) -> str:
    """``url`` with its query string (and fragment) replaced by ``?[redacted]``."""
    base, separator, _query = url.partition("?")
    base = base.partition("#")[0]
    return redact(f"{base}?{REDACTED}" if separator else base)
