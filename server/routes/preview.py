"""The search preview page: static files served to browsers at `/` (development mode only).

The page is a prebuilt bundle (`server/preview/`, built from `web/` by `npm run build`), so running
Loupe needs no Node.js.  These routes need no API key — they are the same files for everyone; the
page itself sends the key the user typed with every API call it makes.  API clients are never
affected: `GET /` without `Accept: text/html` still answers Meilisearch's JSON status line (see
`admin.root`), and with the preview off (`--no-search-preview`, or `--env production`) the static
paths are bare 404s like any unknown path.
"""
from __future__ import annotations

from pathlib import Path

from aiohttp import web

from ..http import Router

PREVIEW_DIR = Path(__file__).resolve().parent.parent / "preview"
#: The files the page is made of, and their media types; nothing else is served from the folder.
ASSETS = {
    "app.js": "text/javascript",
    "app.css": "text/css",
}
#: The page talks to its own origin only: a browser refuses anything else it might be tricked into.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                               "frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
}


def preview_enabled(request: web.Request) -> bool:
    return bool(request.app.get("search_preview", False))


def wants_html(request: web.Request) -> bool:
    """True when the `Accept` header names `text/html` with a non-zero quality.

    Browsers navigating to a page send `text/html,...`; curl, the SDKs and fetch() send `*/*` or
    `application/json`, so a wildcard alone never counts: those clients keep getting JSON.
    """
    for item in request.headers.get("Accept", "").split(","):
        media, *params = (part.strip() for part in item.split(";"))
        if media.lower() != "text/html":
            continue
        quality = next((p.split("=", 1)[1] for p in params if p.lower().startswith("q=")), "1")
        try:
            return float(quality) > 0
        except ValueError:
            return True
    return False


def page_response() -> web.Response:
    """The page; `Vary: Accept` because `/` answers JSON to other clients."""
    body = (PREVIEW_DIR / "index.html").read_bytes()
    return web.Response(body=body, content_type="text/html", charset="utf-8",
                        headers={**PAGE_HEADERS, "Vary": "Accept"})


async def asset(request: web.Request, name: str) -> web.Response:
    if not preview_enabled(request) or name not in ASSETS:
        return web.Response(status=404)
    body = (PREVIEW_DIR / name).read_bytes()
    return web.Response(body=body, content_type=ASSETS[name], charset="utf-8", headers=PAGE_HEADERS)


def register(router: Router) -> None:
    router.add("GET", "/_preview/{name}", asset, None)
