"""Routing, error rendering, CORS, body reading — the plumbing every route shares.

Loupe routes requests itself (one catch-all aiohttp handler) because Meilisearch's routing rules
differ from aiohttp's defaults in ways clients notice:

* trailing slashes are trimmed (`/indexes/` == `/indexes`);
* an unknown path is a bare 404 and a known path with the wrong method a bare 405 (empty bodies);
* every route declares its API-key action, checked before the handler runs;
* CORS headers go on every answer, errors and preflights included.

Order of checks for a request: CORS preflight → route match → auth → handler (which parses query
string, then path uid, then content type, then body — api.md §3.3).
"""
from __future__ import annotations

import asyncio
import logging
import re
import time
import traceback
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

import orjson
from aiohttp import web

from engine.errors import LoupeError, serde_unexpected
from engine.settings.validate import check_params

log = logging.getLogger("loupe.http")

Handler = Callable[..., Awaitable[web.StreamResponse]]

CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "*",
}
#: Seconds a request body may go without a byte before the request fails with 408
#: (``app["body_timeout"]`` overrides it; see `server.protocol`).
BODY_TIMEOUT = 30.0
_INDEX_UID = re.compile(r"^[A-Za-z0-9_-]{1,400}$")


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(body=orjson.dumps(body), status=status, content_type="application/json",
                        headers=headers)


def error_response(exc: LoupeError) -> web.Response:
    headers = {"Retry-After": "10"} if exc.status == 503 else None
    response = json_response(exc.to_json(), status=exc.status, headers=headers)
    if exc.status == 408:  # the rest of a stalled body is not worth waiting for
        response.force_close()
    return response


def validate_index_uid(uid: str, path: str = "") -> str:
    if not _INDEX_UID.match(uid):
        prefix = f"Invalid value at `{path}`: " if path else ""
        raise LoupeError(
            "invalid_index_uid",
            f"{prefix}`{uid}` is not a valid index uid. Index uid can be an integer or a string containing "
            "only alphanumeric characters, hyphens (-) and underscores (_), and can not be more than 512 bytes.",
        )
    return uid


@dataclass
class Route:
    method: str
    segments: tuple[str, ...]
    handler: Handler
    action: str | tuple[str, ...] | None  # a tuple needs every action (render-template)
    params: tuple[str, ...] = ()  # accepted query parameters; None-check done by handler helpers

    def __post_init__(self) -> None:
        self.literals = tuple((i, s) for i, s in enumerate(self.segments) if not s.startswith("{"))
        self.captures = tuple((i, s[1:-1]) for i, s in enumerate(self.segments) if s.startswith("{"))
        self.score = len(self.literals)  # the most literal matching path wins

    def match(self, parts: list[str]) -> dict[str, str] | None:
        if len(parts) != len(self.segments):
            return None
        for i, literal in self.literals:
            if parts[i] != literal:
                return None
        return {name: parts[i] for i, name in self.captures}


@dataclass
class Router:
    routes: list[Route] = field(default_factory=list)
    _by_length: dict[int, list[Route]] = field(default_factory=dict)

    def add(self, method: str, path: str, handler: Handler, action: str | tuple[str, ...] | None) -> None:
        segments = tuple(p for p in path.split("/") if p)
        route = Route(method, segments, handler, action)
        self.routes.append(route)
        self._by_length.setdefault(len(segments), []).append(route)

    def resolve(self, method: str, path: str) -> tuple[Route | None, dict[str, str], bool]:
        """(route, path params, path_known).

        The most literal matching path wins, whatever the method: `GET /tasks/cancel` is the
        `/tasks/cancel` path served for another method (405), never task `cancel`.  Only routes
        with as many segments as the path are tried.
        """
        parts = [p for p in path.split("/") if p]
        best_any = -1
        best: tuple[int, Route, dict[str, str]] | None = None
        for route in self._by_length.get(len(parts), ()):
            captured = route.match(parts)
            if captured is None:
                continue
            score = route.score
            best_any = max(best_any, score)
            if route.method != method and not (method == "HEAD" and route.method == "GET"):
                continue
            if best is None or score > best[0]:
                best = (score, route, captured)
        if best is None or best[0] < best_any:
            return None, {}, best_any >= 0
        return best[1], best[2], True


Authenticate = Callable[[web.Request, str | tuple[str, ...] | None, str | None], Any]
RenderError = Callable[[LoupeError], web.Response]
IndexOf = Callable[[dict[str, str]], "str | None"]


def _path_index_uid(params: dict[str, str]) -> str | None:
    return params.get("index_uid")


def make_dispatcher(router: Router, authenticate: Authenticate, metrics: Any = None, *,
                    render_error: RenderError = error_response, index_of: IndexOf = _path_index_uid,
                    unknown_route: Callable[[bool], LoupeError] | None = None) -> Handler:
    """The catch-all handler of one route table.  Another HTTP dialect (server/similars,
    server/qdrant) reuses the same plumbing with its own error shape (``render_error``), its own
    way of naming the index a route touches (``index_of``, checked against the key's patterns) and,
    optionally, an error body for unknown paths (``unknown_route(path_known)``) where Meilisearch
    answers an empty 404/405."""
    from .metrics import route_template

    async def dispatch(request: web.Request) -> web.StreamResponse:
        if request.method == "OPTIONS":
            return preflight(request)
        started = time.perf_counter()
        route = None
        try:
            route, params, known = router.resolve(request.method, request.path)
            if route is None:
                if unknown_route is not None:
                    raise unknown_route(known)
                response = web.Response(status=405 if known else 404)
            else:
                request["grant"] = authenticate(request, route.action, index_of(params))
                response = await route.handler(request, **params)
        except LoupeError as exc:
            response = render_error(exc)
        except web.HTTPException as exc:  # raised by aiohttp itself (bodies over client_max_size, …)
            if exc.status < 400:
                raise
            response = render_error(http_exception_error(request, exc))
        except ConnectionError as exc:  # the client went away (mid-body, mid-answer): not our error
            log.info("client disconnected during %s %s (%s)", request.method, request.path,
                     exc.__class__.__name__)
            response = web.Response(status=499)  # never sent: the connection is gone
        except Exception as exc:  # never a traceback to the client
            log.error("unhandled error on %s %s: %s", request.method, request.path, traceback.format_exc())
            response = render_error(LoupeError("internal", f"An internal error has occurred. `{exc}`."))
        response.headers.update(CORS_HEADERS)
        if metrics is not None:
            metrics.record(request.method, route_template(route.segments) if route else None, response.status,
                           time.perf_counter() - started)
        return response

    return dispatch


def http_exception_error(request: web.Request, exc: web.HTTPException) -> LoupeError:
    """aiohttp's own error answers, as Meilisearch error objects."""
    if exc.status == 413:
        return payload_too_large(request.app["payload_limit"], request.app["payload_limit_text"])
    if exc.status >= 500:
        return LoupeError("internal", f"An internal error has occurred. `{exc.reason}`.")
    return LoupeError("bad_request", f"{exc.reason}.", status=exc.status)


def preflight(request: web.Request) -> web.Response:
    headers = dict(CORS_HEADERS)
    headers["Access-Control-Allow-Methods"] = request.headers.get(
        "Access-Control-Request-Method", "GET, POST, PUT, PATCH, DELETE, OPTIONS")
    requested = request.headers.get("Access-Control-Request-Headers")
    headers["Access-Control-Allow-Headers"] = requested or "*"
    headers["Access-Control-Max-Age"] = "86400"
    return web.Response(status=200, headers=headers)


# -- query strings ---------------------------------------------------------------------------------

def query(request: web.Request, accepted: tuple[str, ...]) -> dict[str, str]:
    """The query string as a dict, rejecting unknown parameters (api.md §0.3)."""
    q = request.rel_url.query
    check_params(q.keys(), accepted)
    return {k: q[k] for k in q.keys()}


# -- bodies ----------------------------------------------------------------------------------------

def payload_too_large(limit: int, limit_text: str) -> LoupeError:
    return LoupeError("payload_too_large",
                      f"The provided payload reached the size limit. The maximum accepted payload size is {limit_text}.")


def body_timeout(seconds: float) -> LoupeError:
    """A body that stopped arriving: 408, with upstream's generic `bad_request` code."""
    return LoupeError("bad_request", f"The request body was not received in time: no byte for {seconds:g} s.",
                      status=408)


async def read_body(request: web.Request) -> bytes:
    limit: int = request.app["payload_limit"]
    if request.content_length is not None and request.content_length > limit:
        raise payload_too_large(limit, request.app["payload_limit_text"])
    chunks, size = [], 0
    patience = request.app.get("body_timeout", BODY_TIMEOUT)
    while True:
        try:
            async with asyncio.timeout(patience):
                chunk = await request.content.read(1 << 20)
        except TimeoutError:
            request.content.feed_eof()  # no lingering for the rest: the connection closes after the 408
            raise body_timeout(patience) from None
        if not chunk:
            break
        size += len(chunk)
        if size > limit:
            raise payload_too_large(limit, request.app["payload_limit_text"])
        chunks.append(chunk)
    return b"".join(chunks)


def _media_type(request: web.Request) -> str | None:
    raw = request.headers.get("Content-Type")
    if raw is None:
        return None
    return raw.split(";", 1)[0].strip().lower()


def is_json_type(media: str) -> bool:
    return media == "application/json" or (media.endswith("/json") or media.endswith("+json"))


async def json_body(request: web.Request, *, optional: bool = False) -> Any:
    """A JSON body with Meilisearch's content-type and payload errors (api.md §0.2)."""
    media = _media_type(request)
    raw = await read_body(request)
    request["raw_body"] = raw
    if media is None:
        if optional and not raw:
            return None
        raise LoupeError("missing_content_type",
                         "A Content-Type header is missing. Accepted values for the Content-Type header are: "
                         "`application/json`")
    if not is_json_type(media):
        raise LoupeError("invalid_content_type",
                         f"The Content-Type `{request.headers.get('Content-Type')}` is invalid. Accepted values "
                         "for the Content-Type header are: `application/json`")
    if not raw.strip():
        if optional:
            return None
        raise LoupeError("missing_payload", "A json payload is missing.")
    return parse_json_bytes(raw)


def serde_type_error(request: web.Request, value: Any, expected: str) -> LoupeError:
    """actix's `web::Json` refusing a body of the wrong JSON type, to the character: serde_json
    reports the position after the value it read (an object is refused before it is read).  The
    body has been read already (`json_body`)."""
    raw: bytes = request.get("raw_body", b"")
    start = len(raw) - len(raw.lstrip(b" \n\t\r"))
    position = start if isinstance(value, dict) else len(raw.rstrip(b" \n\t\r"))
    line_start = raw.rfind(b"\n", 0, position) + 1
    line = raw.count(b"\n", 0, line_start) + 1
    return LoupeError("bad_request", f"Json deserialize error: invalid type: {serde_unexpected(value)}, "
                                     f"expected {expected} at line {line} column {position - line_start}")


def parse_json_bytes(raw: bytes) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        msg = str(exc.msg).rstrip(".")
        raise LoupeError("malformed_payload",
                         f"The json payload provided is malformed. `{msg} at line {exc.lineno} column {exc.colno}`.") from None
