"""Qdrant's envelopes: ``{"result", "status": "ok", "time"}`` and, for failures,
``{"status": {"error": "…"}, "time"}`` with the HTTP status of the failure.

The dialect raises `LoupeError` like the rest of Loupe (auth and engine failures arrive that
way too); `render` shows it Qdrant's way.  ``time`` is the handling time in seconds, measured from
the moment the dispatcher handed the request over (``request["qdrant_started"]``).
"""
from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from engine.errors import LoupeError

from ..http import json_response


def bad_request(message: str) -> LoupeError:
    return LoupeError("qdrant_bad_request", f"Wrong input: {message}", 400)


def not_found(message: str) -> LoupeError:
    return LoupeError("qdrant_not_found", f"Not found: {message}", 404)


def conflict(message: str) -> LoupeError:
    return LoupeError("qdrant_conflict", f"Wrong input: {message}", 409)


def collection_not_found(name: str) -> LoupeError:
    return not_found(f"Collection `{name}` doesn't exist!")


def ok(request: web.Request, result: Any) -> web.Response:
    started = request.get("qdrant_started") or time.perf_counter()
    return json_response({"result": result, "status": "ok", "time": time.perf_counter() - started})


def render(exc: LoupeError) -> web.Response:
    return json_response({"status": {"error": exc.message}, "time": 0.0}, status=exc.status)


def unknown_route(path_known: bool) -> LoupeError:
    if path_known:
        return LoupeError("qdrant_method_not_allowed", "Method Not Allowed", 405)
    return not_found("Unknown route.")
