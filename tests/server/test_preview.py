"""The search preview's server side (issue 17 §2, §5), through aiohttp's test client.

Properties:
1. API clients are unaffected: `GET /` without `text/html` in `Accept` answers the JSON status line,
   byte for byte and header for header what it answers with the preview off;
2. browsers (`Accept: text/html...`) get the page at `/`, in development mode only: production
   and `search_preview=False` (`--no-search-preview`) answer JSON, and the static paths are 404;
3. the page and its static files need no API key even with a master key; nothing else is served
   from the preview folder;
4. the committed bundle is fresh: `server/preview/SOURCES.sha256` lists the sha256 of every source
   in web/ and of every built file, and they match the files on disk (no Node.js needed to check);
   a source edited without `npm run build` is caught;
5. `--no-search-preview` (`MEILI_NO_SEARCH_PREVIEW`, `no_search_preview = true`) turns the page off;
   production never serves it.
"""
from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from engine.engine import Engine
from server.app import create_app

REPO = Path(__file__).resolve().parent.parent.parent
KEY = "a-master-key-of-16-bytes"
JSON_STATUS = b'{"status":"Meilisearch is running"}'
CHROME_ACCEPT = ("text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,"
                 "*/*;q=0.8,application/signed-exchange;v=b3;q=0.7")


@pytest.fixture
def make_http(tmp_path, aiohttp_client):
    engines = []

    async def make(**options):
        engine = Engine(tmp_path / f"db{len(engines)}", worker="thread")
        engines.append(engine)
        return await aiohttp_client(create_app(engine, master_key=KEY, **options))

    yield make
    for engine in engines:
        engine.close()


def comparable(response) -> tuple:
    """Status, headers (but the date) and content type of a response, to compare two of them."""
    headers = sorted((k, v) for k, v in response.headers.items() if k.lower() != "date")
    return response.status, headers


# 1. API clients ----------------------------------------------------------------------------------

@pytest.mark.parametrize("accept", [None, "*/*", "application/json", "text/plain", "text/html;q=0",
                                    "application/json, text/*", ""])
async def test_root_answers_json_to_api_clients_as_with_the_preview_off(make_http, accept):
    on, off = await make_http(), await make_http(search_preview=False)
    headers = {} if accept is None else {"Accept": accept}
    with_preview, without = await on.get("/", headers=headers), await off.get("/", headers=headers)
    assert await with_preview.read() == await without.read() == JSON_STATUS
    assert comparable(with_preview) == comparable(without)
    assert with_preview.headers["Content-Type"] == "application/json"


async def test_api_routes_answer_json_to_browsers_too(make_http):
    http = await make_http()
    response = await http.get("/indexes", headers={"Accept": CHROME_ACCEPT, "Authorization": f"Bearer {KEY}"})
    assert response.status == 200 and response.headers["Content-Type"] == "application/json"
    assert (await response.json())["results"] == []


# 2. browsers, development only -------------------------------------------------------------------

@pytest.mark.parametrize("accept", [CHROME_ACCEPT, "text/html", "application/json;q=0.5, TEXT/HTML"])
async def test_browsers_get_the_page_without_a_key(make_http, accept):
    http = await make_http()
    response = await http.get("/", headers={"Accept": accept})
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.headers["Vary"] == "Accept"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    page = await response.text()
    assert "<title>Loupe · search preview</title>" in page
    assert 'src="_preview/app.js"' in page and 'href="_preview/app.css"' in page
    head = await http.head("/", headers={"Accept": accept})
    assert head.status == 200 and head.headers["Content-Type"] == "text/html; charset=utf-8"


@pytest.mark.parametrize("options", [{"env": "production"}, {"search_preview": False}])
async def test_no_page_in_production_or_when_turned_off(make_http, options):
    http = await make_http(**options)
    response = await http.get("/", headers={"Accept": CHROME_ACCEPT})
    assert await response.read() == JSON_STATUS
    for name in ("app.js", "app.css"):
        asset = await http.get(f"/_preview/{name}")
        assert asset.status == 404 and await asset.read() == b""


# 3. static files ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name, media", [("app.js", "text/javascript"), ("app.css", "text/css")])
async def test_static_files_need_no_key(make_http, name, media):
    http = await make_http()
    response = await http.get(f"/_preview/{name}")
    assert response.status == 200
    assert response.headers["Content-Type"] == f"{media}; charset=utf-8"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert await response.read() == (REPO / "server" / "preview" / name).read_bytes()


@pytest.mark.parametrize("path", ["/_preview/index.html", "/_preview/__init__.py", "/_preview/SOURCES.sha256",
                                  "/_preview/..%2F..%2Fapp.py", "/_preview/app.js/x", "/_preview"])
async def test_nothing_else_is_served(make_http, path):
    http = await make_http()
    response = await http.get(path)
    assert response.status == 404 and await response.read() == b""


# 4. the committed bundle is fresh ----------------------------------------------------------------

def manifest(root: Path) -> dict[str, str]:
    """path -> sha256 as recorded by web/build.mjs in server/preview/SOURCES.sha256."""
    lines = (root / "server" / "preview" / "SOURCES.sha256").read_text().splitlines()
    return {path: digest for digest, path in (line.split("  ", 1) for line in lines if not line.startswith("#"))}


def expected_files(root: Path) -> set[str]:
    """What the manifest must list: every build input in web/ and every built file."""
    inputs = {f"web/{name}" for name in ("build.mjs", "package.json", "package-lock.json")}
    inputs |= {p.relative_to(root).as_posix() for p in (root / "web" / "src").iterdir() if p.is_file()}
    outputs = {p.relative_to(root).as_posix() for p in (root / "server" / "preview").iterdir()
               if p.is_file() and p.name not in ("__init__.py", "SOURCES.sha256")}
    return inputs | outputs


def stale_files(root: Path) -> list[str]:
    """Files whose content is not what the bundle was built from (or built into), or that are
    missing from or extra in the manifest; empty when server/preview matches web/."""
    recorded = manifest(root)
    listed, present = set(recorded), expected_files(root)
    changed = [path for path in sorted(listed & present)
               if hashlib.sha256((root / path).read_bytes()).hexdigest() != recorded[path]]
    return changed + sorted(listed ^ present)


def test_committed_bundle_matches_its_sources():
    stale = stale_files(REPO)
    assert stale == [], f"server/preview is stale for {stale}: run `npm ci && npm run build` in web/ and commit"


def copy_of_sources(tmp_path: Path) -> Path:
    for folder in ("web/src", "server/preview"):
        shutil.copytree(REPO / folder, tmp_path / folder)
    for name in ("build.mjs", "package.json", "package-lock.json"):
        shutil.copy(REPO / "web" / name, tmp_path / "web" / name)
    return tmp_path


def test_an_edited_source_or_bundle_or_a_new_source_is_caught(tmp_path):
    root = copy_of_sources(tmp_path)
    assert stale_files(root) == []
    with open(root / "web" / "src" / "main.js", "a") as source:
        source.write("\n// edited without rebuilding\n")
    (root / "server" / "preview" / "app.css").write_text("body {}")
    (root / "web" / "src" / "extra.js").write_text("export {};\n")
    assert stale_files(root) == ["server/preview/app.css", "web/src/main.js", "web/src/extra.js"]


# 5. the off switch -------------------------------------------------------------------------------

def load(argv=(), env=None, cwd=None):
    from server.cli_args import load_config
    return load_config(list(argv), env or {}, cwd or Path("/nonexistent-cwd"), defaults_file=None)


def test_served_in_development_by_default_never_in_production():
    assert load().serves_search_preview is True
    production = load(["--env", "production", "--master-key", "a-master-key-of-16-bytes"])
    assert production.serves_search_preview is False


def test_turned_off_by_flag_environment_or_config_file(tmp_path):
    assert load(["--no-search-preview"]).serves_search_preview is False
    assert load(env={"MEILI_NO_SEARCH_PREVIEW": "true"}).serves_search_preview is False
    assert load(env={"MEILI_NO_SEARCH_PREVIEW": "false"}).serves_search_preview is True
    (tmp_path / "config.toml").write_text("no_search_preview = true\n")
    assert load(cwd=tmp_path).serves_search_preview is False
