"""turbopuffer's error shape, ``{"status": "error", "error": "…"}``, for every failure of the dialect."""
from __future__ import annotations

from aiohttp import web

from engine.errors import LoupeError

from ..http import json_response


def bad_request(message: str) -> LoupeError:
    return LoupeError("tpuf_bad_request", message, 400)


def not_found(message: str) -> LoupeError:
    return LoupeError("tpuf_not_found", message, 404)


def render(exc: LoupeError) -> web.Response:
    return json_response({"status": "error", "error": exc.message}, status=exc.status)


def unknown_route(path_known: bool) -> LoupeError:
    if path_known:
        return LoupeError("tpuf_method_not_allowed", "method not allowed", 405)
    return not_found("no such route")
