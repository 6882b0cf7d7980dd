"""Log lines a desk can search: UTC time, level, logger and request id on every line.

``VAKA_LOG_FORMAT=text`` (the default) writes ``TIME LEVEL LOGGER [REQUEST-ID] MESSAGE``;
``json`` writes one JSON object a line for a log collector. The request id comes from the
``X-Request-ID`` header a proxy or load balancer sends, when it is a short safe token, or
is made here; it goes back on the response, into gunicorn's access line and, through a
context variable, into every record logged while the request is answered.

Both formats pass the whole line (message and traceback) through
:func:`vaka.web.redaction.redact`, so a secret in an exception's text is redacted too.
"""

import json
import logging
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime

from django.core.signals import request_finished, request_started
from django.http import HttpRequest, HttpResponse

from vaka.web.redaction import redact

HEADER = "X-Request-ID"
NO_REQUEST = "-"
# What a proxy may hand us as a request id: nginx's $request_id (32 hex digits), a UUID,
# or a load balancer's trace token. Anything else (long, spaces, quotes, control
# characters that would forge log lines) is replaced by an id of our own.
_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")

request_id: ContextVar[str] = ContextVar("vaka_request_id", default=NO_REQUEST)


def accepted_request_id(offered: str | None) -> str:
    """``offered`` when it is a short safe token, otherwise a new random id."""
    if offered and _SAFE_ID.fullmatch(offered):
        return offered
    return uuid.uuid4().hex


def _request_started(sender: object, environ: dict | None = None,
                     scope: dict | None = None, **kwargs: object) -> None:
    # Set when the request starts and cleared when its response is closed, not in the
    # middleware: Django logs a 4xx or 5xx answer after the middleware has returned.
    if environ is not None:
        offered = environ.get("HTTP_X_REQUEST_ID")
    else:
        headers = dict((scope or {}).get("headers", []))
        offered = headers.get(HEADER.lower().encode(), b"").decode("latin-1")
    request_id.set(accepted_request_id(offered))


def _request_finished(sender: object, **kwargs: object) -> None:
    request_id.set(NO_REQUEST)


request_started.connect(_request_started, dispatch_uid="vaka.web.logs.request_started")
request_finished.connect(_request_finished, dispatch_uid="vaka.web.logs.request_finished")


class RequestIdMiddleware:
    """Give the request its id and put it on the response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        current = request_id.get()
        token = None
        if current == NO_REQUEST:  # a caller that sends no request_started signal
            current = accepted_request_id(request.headers.get(HEADER))
            token = request_id.set(current)
        request.request_id = current
        try:
            response = self.get_response(request)
        finally:
            if token is not None:
                request_id.reset(token)
        response[HEADER] = current
        return response


class RequestIdFilter(logging.Filter):
    """Put the current request id on each record (``-`` outside a request), unless the
    caller gave one (gunicorn's access line, logged after the request is done)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = request_id.get()
        return True


def _utc_time(record: logging.LogRecord) -> str:
    moment = datetime.fromtimestamp(record.created, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _exception_text(formatter: logging.Formatter, record: logging.LogRecord) -> str:
    parts = []
    if record.exc_info:
        parts.append(formatter.formatException(record.exc_info))
    elif record.exc_text:
        parts.append(record.exc_text)
    if record.stack_info:
        parts.append(formatter.formatStack(record.stack_info))
    return "\n".join(parts)


class TextFormatter(logging.Formatter):
    """``2026-12-01T04:07:34.123Z INFO vaka.intel [3f2a…] message``.

    A message or traceback of several lines keeps them, each further line indented: no
    line of the log starts with anything but a time, so a value with a line break in it
    cannot pass for a record of its own.
    """

    def format(self, record: logging.LogRecord) -> str:
        text = record.getMessage()
        if exception := _exception_text(self, record):
            text = f"{text}\n{exception}"
        line = (f"{_utc_time(record)} {record.levelname} {record.name} "
                f"[{getattr(record, 'request_id', NO_REQUEST)}] {text}")
        return redact(line.replace("\n", "\n    "))


class JsonFormatter(logging.Formatter):
    """One JSON object a line: timestamp, level, logger, message, request_id, and
    exception when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "timestamp": _utc_time(record),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
            "request_id": getattr(record, "request_id", NO_REQUEST),
        }
        if exception := _exception_text(self, record):
            entry["exception"] = redact(exception)
        return json.dumps(entry, ensure_ascii=False)


def formatter_for(kind: str) -> logging.Formatter:
    """The formatter for ``VAKA_LOG_FORMAT`` (``text`` or ``json``)."""
    return JsonFormatter() if kind == "json" else TextFormatter()
