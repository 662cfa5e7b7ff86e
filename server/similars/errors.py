"""The similars API's error shape, ``{"title", "status", "detail"}`` (seed "Parameter Validation").

Every failure of the dialect is a `LoupeError` like everywhere in Loupe (so the shared dispatcher,
auth and engine errors need no second vocabulary); this module renders it the seed's way: the
HTTP reason phrase as title, the status, the message as detail.
"""
from __future__ import annotations

from http import HTTPStatus

from aiohttp import web

from engine.errors import LoupeError

from ..http import json_response


def bad_request(detail: str) -> LoupeError:
    return LoupeError("similars_bad_request", detail, 400)


def not_found(detail: str) -> LoupeError:
    return LoupeError("similars_not_found", detail, 404)


def problem(status: int, detail: str) -> dict:
    try:
        title = HTTPStatus(status).phrase
    except ValueError:
        title = "Error"
    return {"title": title, "status": status, "detail": detail}


def render(exc: LoupeError) -> web.Response:
    return json_response(problem(exc.status, exc.message), status=exc.status)


def unknown_route(path_known: bool) -> LoupeError:
    if path_known:
        return LoupeError("similars_method_not_allowed", "Method not allowed for this path.", 405)
    return not_found("No such route.")
