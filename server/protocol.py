"""One HTTP connection: what the HTTP layer itself answers, and how long it waits for a client.

aiohttp answers the requests it cannot parse (a request line or header over its limits, a bad
request line, control characters in the path) before any route runs, as ``text/plain``, and logs
each with a traceback.  Loupe's connections answer them with Meilisearch's error object instead
(code ``bad_request``, the closest code upstream has; the status says what went wrong), logged as
one INFO line:

=================================================  ======  =============================
request                                            status  why
=================================================  ======  =============================
request line (URL) over `MAX_LINE_SIZE` bytes       414     URI Too Long
a header line over `MAX_FIELD_SIZE`, too many       431     Request Header Fields Too Large
anything else unparsable (``%0D%0A``, bad method)   400     Bad Request
=================================================  ======  =============================

Timeouts (`timeouts()`; both can be changed with the environment variables named there):

* `IDLE_TIMEOUT` s: a connection with no request in progress is closed — idle keep-alive
  connections, and connections that sent only part of a request head (aiohttp's keep-alive
  timer runs from the moment a connection opens until its first complete head);
* `BODY_TIMEOUT` s without a byte while a body is read: the request fails with 408 (see
  `http.read_body`).
"""
from __future__ import annotations

import logging
import os
from typing import Any

from aiohttp import http_exceptions, web
from aiohttp.web_protocol import RequestHandler

from engine.errors import LoupeError

from .http import BODY_TIMEOUT, CORS_HEADERS, error_response

log = logging.getLogger("loupe.http")

MAX_LINE_SIZE = 8190   # aiohttp's default, like most servers' 8 KiB request line
MAX_FIELD_SIZE = 8190
MAX_HEADERS = 128
IDLE_TIMEOUT = 75.0    # nginx's keepalive_timeout; shorter than most clients' pool idle time


def timeouts() -> tuple[float, float]:
    """(idle, body) timeouts in seconds: ``LOUPE_HTTP_IDLE_TIMEOUT``, ``LOUPE_HTTP_BODY_TIMEOUT``."""
    return (_env_seconds("LOUPE_HTTP_IDLE_TIMEOUT", IDLE_TIMEOUT),
            _env_seconds("LOUPE_HTTP_BODY_TIMEOUT", BODY_TIMEOUT))


def _env_seconds(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, default))
    except ValueError:
        return default
    return value if value > 0 else default


def handler_options() -> dict[str, Any]:
    """Keyword arguments of `LoupeRequestHandler` (aiohttp's `RequestHandler` options)."""
    idle, _body = timeouts()
    return {"keepalive_timeout": idle, "max_line_size": MAX_LINE_SIZE, "max_field_size": MAX_FIELD_SIZE,
            "max_headers": MAX_HEADERS, "access_log": None}


def parse_error(exc: BaseException | None, status: int) -> LoupeError:
    """The Meilisearch error for a request the HTTP layer could not read."""
    if isinstance(exc, http_exceptions.LineTooLong):
        line = exc.args[0] if exc.args else b""
        if isinstance(line, (bytes, bytearray, str)) and line[:1] in (b"/", "/"):  # the request target
            return LoupeError("bad_request", f"The request URL is longer than the limit of {MAX_LINE_SIZE} bytes.",
                              status=414)
        return LoupeError("bad_request", f"A request header is longer than the limit of {MAX_FIELD_SIZE} bytes.",
                          status=431)
    if isinstance(exc, http_exceptions.BadHttpMessage) and "too many headers" in str(exc).lower():
        return LoupeError("bad_request", f"The request has more than {MAX_HEADERS} headers.", status=431)
    if status >= 500:
        return LoupeError("internal", "An internal error has occurred.")
    reason = getattr(exc, "message", None) or str(exc or "malformed request")
    return LoupeError("bad_request", f"The request could not be parsed: {reason.rstrip('.')}.",
                      status=status if 400 <= status < 500 else 400)


class LoupeRequestHandler(RequestHandler):
    """aiohttp's connection handler, answering its own errors as Meilisearch error objects."""

    def handle_error(self, request: Any, status: int = 500, exc: BaseException | None = None,
                     message: str | None = None) -> web.StreamResponse:
        error = parse_error(exc, status)
        if error.status >= 500:
            log.error("error handling request from %s: %r", request.remote, exc)
        else:
            log.info("unreadable request from %s: %s (%d)", request.remote, error.message, error.status)
        if request.writer.output_size > 0:  # a response has started: the connection is broken
            raise ConnectionError("Response is sent already, cannot send another response")
        response = error_response(error)
        response.headers.update(CORS_HEADERS)
        response.force_close()
        return response
