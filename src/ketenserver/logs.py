"""Structured logging for serving processes, with a request id and masking of personal data.

:func:`configure_logging` gives the root logger one handler that writes one JSON object per line
(``log_format = "json"``, the default) or one plain line (``"text"``). Each line carries ``time``,
``level``, ``logger``, ``process``, ``message``, the ``request_id`` when it was written while the
pipeline handled a request, and every ``extra={...}`` field of the call. The request id is the one
stored with the journal entry: ``ketenserver journal --request-id <id>`` shows that exchange.

The code never logs message bodies, key material or personal data. As defence in depth both
formatters pass everything they write through :func:`mask`: Dutch BSNs (nine digits passing the
11-check), Belgian national register numbers (eleven digits, ``YY.MM.DD-XXX.CC`` with or without
separators, passing the mod-97 check), PEM blocks, XML and long base64 runs are replaced by a
placeholder. Masking cannot recognise a name; it catches names only inside XML.

The standard library is enough here: the formatter is small, and every library's loggers (cheroot,
spyne, SQLAlchemy, alembic) reach it unchanged, which a structured-logging library would also need
the stdlib handler for.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import unicodedata
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TextIO

from ketenserver import identifiers

LOG_FORMATS = ("json", "text")

_REQUEST_ID: ContextVar[str | None] = ContextVar("ketenserver_request_id", default=None)


def new_request_id() -> str:
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    """The id of the request this thread is handling, if any."""
    return _REQUEST_ID.get()


@contextmanager
def request_scope(request_id: str) -> Iterator[str]:
    """Every log line written inside the block (in this thread) carries *request_id*."""
    token = _REQUEST_ID.set(request_id)
    try:
        yield request_id
    finally:
        _REQUEST_ID.reset(token)


# --- masking -------------------------------------------------------------------------------

_PEM = re.compile(r"-----BEGIN [A-Z0-9 ]+-----[\s\S]*?(?:-----END [A-Z0-9 ]+-----|\Z)")
_XML = re.compile(r"<(?!(?:module|lambda|genexpr|listcomp|dictcomp|setcomp|string|stdin|frozen)[\s>])"
                  r"(?:\?xml|!\[CDATA\[|[A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?(?=[\s/>]))[\s\S]*>")
"""From the first start tag to the last ``>``: an element is a body, or part of one. Python's own
``<module>``, ``<lambda>``, ... in tracebacks are not elements."""
_BASE64 = re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{60,}={0,2}"
                     r"(?:\s+[A-Za-z0-9+/]{60,}={0,2})*(?:\s+[A-Za-z0-9+/]{1,59}={1,2})?")
"""Runs of 60 or more base64 characters, with the lines wrapped after them (as xmlsec wraps)."""
_NATIONAL_NUMBER = re.compile(r"(?<!\d)(\d{2})\.?(\d{2})\.?(\d{2})[-.]?(\d{3})\.?(\d{2})(?!\d)")
_NINE_DIGITS = re.compile(r"(?<!\d)\d{9}(?!\d)")


def is_bsn(digits: str) -> bool:
    """The 11-check (elfproef) of a Dutch citizen service number of nine digits
    (:func:`ketenserver.identifiers.bsn`)."""
    # _NINE_DIGITS's \d finds the digits of any script; a BSN written in them is still personal
    # data, so they are read as ASCII digits before the check (which takes ASCII only).
    if not digits.isdecimal():
        return False
    try:
        identifiers.bsn("".join(str(unicodedata.decimal(d)) for d in digits))
    except identifiers.InvalidBsn:
        return False
    return True


def is_national_number(digits: str) -> bool:
    """The mod-97 check of a Belgian national register number of eleven digits (born before or from 2000)."""
    if len(digits) != 11 or not digits.isdigit():
        return False
    base, check = int(digits[:9]), int(digits[9:])
    return check in (97 - base % 97, 97 - (2_000_000_000 + base) % 97)


def _national_number(match: re.Match[str]) -> str:
    return "[national-number]" if is_national_number("".join(match.groups())) else match.group()


def _bsn(match: re.Match[str]) -> str:
    return "[bsn]" if is_bsn(match.group()) else match.group()


def mask(text: str) -> str:
    """*text* with key material, bodies and citizen numbers replaced by placeholders."""
    text = _PEM.sub("[pem]", text)
    text = _XML.sub(lambda m: f"[xml {len(m.group())} chars]", text)
    text = _BASE64.sub(lambda m: f"[base64 {len(m.group())} chars]", text)
    text = _NATIONAL_NUMBER.sub(_national_number, text)
    return _NINE_DIGITS.sub(_bsn, text)


# --- formatting ----------------------------------------------------------------------------

_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message", "asctime", "request_id", "taskName"}


def _masked(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    return mask(value if isinstance(value, str) else str(value))


def _request_id(record: logging.LogRecord) -> str | None:
    request_id = getattr(record, "request_id", None)
    return str(request_id) if request_id else current_request_id()


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    """The fields a call passed with ``extra={...}``, masked."""
    return {key: _masked(value) for key, value in vars(record).items()
            if key not in _RECORD_ATTRIBUTES and not key.startswith("_")}


class RequestIdFilter(logging.Filter):
    """Stamps each record with the current request id when it is emitted (in the request's thread)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = current_request_id()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line; every string in it is masked."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "process": record.process,
            "message": mask(record.getMessage()),
        }
        request_id = _request_id(record)
        if request_id:
            entry["request_id"] = request_id
        entry.update(_extras(record))
        if record.exc_info:
            entry["exception"] = mask(self.formatException(record.exc_info))
        if record.stack_info:
            entry["stack"] = mask(self.formatStack(record.stack_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """``time process LEVEL logger [request id] message key=value ...``, masked."""

    def format(self, record: logging.LogRecord) -> str:
        parts = [self.formatTime(record), str(record.process), record.levelname, record.name]
        request_id = _request_id(record)
        if request_id:
            parts.append(f"[{request_id}]")
        parts.append(record.getMessage())
        parts += [f"{key}={value}" for key, value in _extras(record).items()]
        text = " ".join(parts)
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        if record.stack_info:
            text += "\n" + self.formatStack(record.stack_info)
        return mask(text)


def make_handler(log_format: str = "json", stream: TextIO | None = None) -> logging.Handler:
    """A stream handler (stderr by default) with the request-id filter and the masking formatter."""
    if log_format not in LOG_FORMATS:
        raise ValueError(f"log_format must be one of {', '.join(LOG_FORMATS)}, not {log_format!r}")
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    handler.addFilter(RequestIdFilter())
    return handler


def configure_logging(log_format: str = "json", level: str | int = "INFO", *, stream: TextIO | None = None
                      ) -> logging.Handler:
    """Replace the root logger's handlers with one :func:`make_handler` (a serving process calls this)."""
    handler = make_handler(log_format, stream)
    logging.basicConfig(level=level, handlers=[handler], force=True)
    # spyne logs every fault a service raises at ERROR with a traceback; those are refusals the
    # journal already records (with code and field), not errors of the server.
    logging.getLogger("spyne.application.client").setLevel(logging.CRITICAL)
    return handler
