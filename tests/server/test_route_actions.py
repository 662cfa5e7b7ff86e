"""Every route of the route table is guarded by exactly its action (errors-auth.md §4.3, §5.2).

For each route of `server.app.build_router().routes` (except the open `GET /health`, `GET /` and the search
preview's static files `GET /_preview/{name}`, tests/server/test_preview.py):

Properties:
1. a key holding every action of the spec's list EXCEPT the route's own action and the wildcards
   that imply it (`*`, the route's `<family>.*`, and `*.get` for read actions) is refused with
   403 `invalid_api_key` "The provided API key is invalid.";
2. a key holding exactly the route's action is not refused: the answer is neither 401 nor 403
   (404 for a missing index, 202 for a task, 400 for a body, ... are all fine);
3. the action the route declares is the one the spec's route table assigns it, so a route wired
   to the wrong action fails here even if properties 1 and 2 hold;
4. the matrix is complete: routes × {without, with} combinations, all passing;
5. every wildcard that implies a route's action (`*`, its family, `*.get` for reads) opens it too;
6. GET /metrics also needs a key valid on every index;
7. a literal path segment is never swallowed by a placeholder route of another method: as in
   actix (Meilisearch's router), the first resource matching the path decides, so e.g.
   `GET /tasks/cancel` or `DELETE /indexes/{uid}/documents/delete-batch` answer a bare 405 (api.md
   §0.1 "known path with a method it does not serve → 405"), not a task or document lookup.

The expectations (action list, wildcard expansion, route → action table) are copied from the
spec, not imported from server/keys.py, so a wrong expansion in the server shows up here.
`POST /indexes/{uid}/documents/edit`, if routed, needs the literal `documents.*` that only `*` or
the master key satisfy: its "with" key is `["*"]`.
"""
from __future__ import annotations

import re
import uuid

import pytest

from engine.engine import Engine
from server.app import build_router, create_app

MASTER = "route-actions-master-key-0123"

SPEC_ACTIONS = (
    "*", "search", "documents.*", "documents.add", "documents.get", "documents.delete", "indexes.*",
    "indexes.create", "indexes.get", "indexes.update", "indexes.delete", "indexes.swap", "tasks.*",
    "tasks.cancel", "tasks.delete", "tasks.get", "settings.*", "settings.get", "settings.update",
    "stats.*", "stats.get", "metrics.*", "metrics.get", "dumps.*", "dumps.create", "snapshots.*",
    "snapshots.create", "version", "keys.create", "keys.get", "keys.update", "keys.delete",
    "experimental.get", "experimental.update", "export", "network.get", "network.update",
    "chatCompletions", "chats.*", "chats.get", "chats.delete", "chatsSettings.*", "chatsSettings.get",
    "chatsSettings.update", "*.get", "webhooks.get", "webhooks.update", "webhooks.delete",
    "webhooks.create", "webhooks.*", "indexes.compact", "fields.post", "tasks.compact",
    "dynamicSearchRules.get", "dynamicSearchRules.create", "dynamicSearchRules.update",
    "dynamicSearchRules.delete", "dynamicSearchRules.*",
)
"""errors-auth.md §5.2, in its order."""

SPEC_READ_ACTIONS = frozenset({
    "search", "documents.get", "export", "indexes.get", "tasks.get", "settings.get", "stats.get",
    "metrics.get", "version", "experimental.get", "network.get", "chats.get", "chatsSettings.get",
    "webhooks.get", "fields.post", "dynamicSearchRules.get",
})
"""What `*.get` grants (errors-auth.md §5.2); not `keys.get`, not `chatCompletions`."""

SPEC_FAMILIES = {
    "documents.*": {"documents.add", "documents.get", "documents.delete"},
    "indexes.*": {"indexes.create", "indexes.get", "indexes.update", "indexes.delete", "indexes.swap",
                  "indexes.compact"},
    "tasks.*": {"tasks.get", "tasks.delete", "tasks.cancel", "tasks.compact"},
    "settings.*": {"settings.get", "settings.update"},
    "stats.*": {"stats.get"},
    "metrics.*": {"metrics.get"},
    "dumps.*": {"dumps.create"},
    "snapshots.*": {"snapshots.create"},
    "chats.*": {"chats.get", "chats.delete"},
    "chatsSettings.*": {"chatsSettings.get", "chatsSettings.update"},
    "webhooks.*": {"webhooks.get", "webhooks.update", "webhooks.delete", "webhooks.create"},
    "dynamicSearchRules.*": {"dynamicSearchRules.get", "dynamicSearchRules.create",
                             "dynamicSearchRules.update", "dynamicSearchRules.delete"},
}

SETTINGS_SUB = r"/indexes/\{index_uid\}/settings(/[a-z-]+)?"
SPEC_ROUTE_ACTIONS: list[tuple[str, str, str | tuple[str, ...]]] = [
    # (method regex, path regex over the route template, action) — errors-auth.md §5.2 table
    ("GET", r"/version", "version"),
    ("GET", r"/stats|/indexes/\{index_uid\}/stats", "stats.get"),
    ("GET", r"/indexes|/indexes/\{index_uid\}", "indexes.get"),
    ("POST", r"/indexes", "indexes.create"),
    ("PATCH", r"/indexes/\{index_uid\}", "indexes.update"),
    ("DELETE", r"/indexes/\{index_uid\}", "indexes.delete"),
    ("POST", r"/swap-indexes", "indexes.swap"),
    ("POST", r"/indexes/\{index_uid\}/compact", "indexes.compact"),
    ("POST", r"/indexes/\{index_uid\}/fields", "fields.post"),
    ("GET", r"/indexes/\{index_uid\}/documents(/\{document_id\})?", "documents.get"),
    ("POST", r"/indexes/\{index_uid\}/documents/fetch", "documents.get"),
    ("POST|PUT", r"/indexes/\{index_uid\}/documents", "documents.add"),
    ("DELETE", r"/indexes/\{index_uid\}/documents(/\{document_id\})?", "documents.delete"),
    ("POST", r"/indexes/\{index_uid\}/documents/(delete-batch|delete)", "documents.delete"),
    ("POST", r"/indexes/\{index_uid\}/documents/edit", "documents.*"),
    ("GET", SETTINGS_SUB, "settings.get"),
    ("PATCH|PUT|DELETE", SETTINGS_SUB, "settings.update"),
    ("GET|POST", r"/indexes/\{index_uid\}/(search|similar)", "search"),
    ("POST", r"/indexes/\{index_uid\}/facet-search|/multi-search", "search"),
    ("GET", r"/tasks|/tasks/\{task_uid\}|/tasks/\{task_uid\}/documents|/batches|/batches/\{batch_uid\}",
     "tasks.get"),
    ("POST", r"/tasks/cancel", "tasks.cancel"),
    ("DELETE", r"/tasks", "tasks.delete"),
    ("POST", r"/tasks/compact", "tasks.compact"),
    ("POST", r"/dumps", "dumps.create"),
    ("POST", r"/snapshots", "snapshots.create"),
    ("POST", r"/export", "export"),
    ("GET", r"/metrics", "metrics.get"),
    ("GET", r"/experimental-features", "experimental.get"),
    ("PATCH", r"/experimental-features", "experimental.update"),
    ("POST", r"/keys", "keys.create"),
    ("GET", r"/keys|/keys/\{[a-z_]+\}", "keys.get"),
    ("PATCH", r"/keys/\{[a-z_]+\}", "keys.update"),
    ("DELETE", r"/keys/\{[a-z_]+\}", "keys.delete"),
    ("GET", r"/webhooks|/webhooks/\{[a-z_]+\}", "webhooks.get"),
    ("POST", r"/webhooks", "webhooks.create"),
    ("PATCH", r"/webhooks/\{[a-z_]+\}", "webhooks.update"),
    ("DELETE", r"/webhooks/\{[a-z_]+\}", "webhooks.delete"),
    ("GET", r"/network", "network.get"),
    ("PATCH", r"/network", "network.update"),
    ("POST", r"/dynamic-search-rules", "dynamicSearchRules.get"),
    ("GET", r"/dynamic-search-rules/\{[a-z_]+\}", "dynamicSearchRules.get"),
    ("PATCH", r"/dynamic-search-rules/\{[a-z_]+\}", "dynamicSearchRules.update"),
    ("DELETE", r"/dynamic-search-rules|/dynamic-search-rules/\{[a-z_]+\}", "dynamicSearchRules.delete"),
    ("POST", r"/render-template", ("settings.get", "documents.get")),  # both actions
]

OPEN_ROUTES = {("GET", ()), ("GET", ("health",)), ("GET", ("_preview", "{name}"))}
ROUTES = [r for r in build_router().routes if (r.method, r.segments) not in OPEN_ROUTES]


def template(route) -> str:
    return "/" + "/".join(route.segments)


def spec_action(method: str, path: str) -> str | tuple[str, ...] | None:
    for methods, pattern, action in SPEC_ROUTE_ACTIONS:
        if re.fullmatch(methods, method) and re.fullmatch(pattern, path):
            return action
    return None


def implies(granted: str, needed: str | tuple[str, ...]) -> bool:
    """Does holding ``granted`` satisfy a route needing ``needed``?  (spec §5.2 expansion)

    A family wildcard grants its members, never the literal family name (so `documents.*` does not
    open documents/edit); `*` grants everything.  A route needing several actions needs them all.
    """
    if isinstance(needed, tuple):
        return all(implies(granted, one) for one in needed)
    if granted == "*":
        return True
    if granted == "*.get":
        return needed in SPEC_READ_ACTIONS
    if granted in SPEC_FAMILIES:
        return needed in SPEC_FAMILIES[granted]
    return granted == needed


def actions_without(needed: str | tuple[str, ...]) -> list[str]:
    """Every action but those granting ``needed`` (for several actions: those granting the first,
    so the key still holds the others)."""
    first = needed[0] if isinstance(needed, tuple) else needed
    return [a for a in SPEC_ACTIONS if not implies(a, first)]


def actions_with(needed: str | tuple[str, ...]) -> list[str]:
    if isinstance(needed, tuple):
        return list(needed)
    return ["*"] if needed == "documents.*" else [needed]


def concrete_path(route, key_uid: str) -> str:
    values = {"index_uid": "movies", "document_id": "1", "task_uid": "0", "batch_uid": "0", "uid": "rule"}
    parts = []
    for segment in route.segments:
        if not segment.startswith("{"):
            parts.append(segment)
            continue
        name = segment[1:-1]
        if route.segments[0] == "keys":
            parts.append(key_uid)
        elif route.segments[0] == "webhooks":
            parts.append(str(uuid.uuid4()))
        else:
            assert name in values, f"no placeholder value for {{{name}}} in {template(route)}"
            parts.append(values[name])
    return "/" + "/".join(parts)


def test_expansion_table_is_consistent():
    """Sanity of the test's own tables: `*` implies all, family members are real actions."""
    assert all(implies("*", a) for a in SPEC_ACTIONS)
    assert not implies("*.get", "keys.get") and not implies("*.get", "chatCompletions")
    assert not implies("documents.*", "documents.*")
    for family, members in SPEC_FAMILIES.items():
        assert family in SPEC_ACTIONS and members <= set(SPEC_ACTIONS)
    assert actions_without("search") == [a for a in SPEC_ACTIONS if a not in ("*", "search", "*.get")]
    assert "documents.*" in actions_without("documents.*") and actions_with("documents.*") == ["*"]
    both = ("settings.get", "documents.get")
    assert "documents.get" in actions_without(both) and "settings.get" not in actions_without(both)
    assert implies("*.get", both) and not implies("settings.*", both)


def test_every_route_declares_the_spec_action():
    wrong = [(r.method, template(r), r.action, spec_action(r.method, template(r))) for r in ROUTES
             if r.action != spec_action(r.method, template(r))]
    assert wrong == []


@pytest.fixture
async def http(tmp_path, aiohttp_client, monkeypatch):
    monkeypatch.chdir(tmp_path)  # dumps/snapshots enqueued by the "with" keys land here
    engine = Engine(tmp_path / "db", worker="thread")
    app = create_app(engine, master_key=MASTER)
    client = await aiohttp_client(app)
    yield client
    engine.close()


async def _create_key(http, actions: list[str]) -> dict:
    response = await http.post("/keys", json={"actions": actions, "indexes": ["*"], "expiresAt": None},
                               headers={"Authorization": f"Bearer {MASTER}"})
    assert response.status == 201, await response.text()
    return await response.json()


async def _call(http, route, key: dict) -> tuple[int, dict | None]:
    path = concrete_path(route, key["uid"])
    kwargs = {"headers": {"Authorization": f"Bearer {key['key']}"}}
    if route.method in ("POST", "PUT", "PATCH"):
        kwargs["json"] = [] if route.segments[-1] == "documents" else {}
    response = await http.request(route.method, path, **kwargs)
    body = await response.json() if response.content_type == "application/json" else None
    return response.status, body


async def test_route_action_matrix(http):
    r = await http.patch("/experimental-features", json={"metrics": True},
                         headers={"Authorization": f"Bearer {MASTER}"})
    assert r.status == 200 and (await r.json())["metrics"] is True

    failures: list[str] = []
    passed = 0
    for route in ROUTES:
        name = f"{route.method} {template(route)} [{route.action}]"
        without = await _create_key(http, actions_without(route.action))
        status, body = await _call(http, route, without)
        if status == 403 and body == {"message": "The provided API key is invalid.", "code": "invalid_api_key",
                                      "type": "auth", "link": "https://docs.meilisearch.com/errors#invalid_api_key"}:
            passed += 1
        else:
            failures.append(f"{name}: key without the action got {status} {body}")

        holder = await _create_key(http, actions_with(route.action))
        status, body = await _call(http, route, holder)
        if status not in (401, 403):
            passed += 1
        else:
            failures.append(f"{name}: key with exactly the action got {status} {body}")

    size = len(ROUTES) * 2
    print(f"\nroute x action matrix: {len(ROUTES)} routes x 2 = {size} combinations, {passed} passing")
    assert failures == []
    assert passed == size
    assert len(ROUTES) >= 80  # the table is not accidentally empty


async def test_wildcards_open_their_routes(http):
    r = await http.patch("/experimental-features", json={"metrics": True},
                         headers={"Authorization": f"Bearer {MASTER}"})
    assert r.status == 200
    failures, checked = [], 0
    for route in ROUTES:
        for wildcard in (a for a in SPEC_ACTIONS if a != route.action and implies(a, route.action)):
            key = await _create_key(http, [wildcard])
            status, body = await _call(http, route, key)
            checked += 1
            if status in (401, 403):
                failures.append(f"{route.method} {template(route)} [{route.action}] with {wildcard!r}: {status} {body}")
    print(f"\nwildcard grants: {checked} combinations")
    assert failures == []
    assert checked >= 2 * len(ROUTES)  # every route has `*` plus a family or `*.get`


async def test_metrics_needs_a_key_on_every_index(http):
    """errors-auth.md §4.3 5: `metrics.get` on some indexes only is not enough for GET /metrics."""
    master = {"Authorization": f"Bearer {MASTER}"}
    assert (await http.patch("/experimental-features", json={"metrics": True}, headers=master)).status == 200
    response = await http.post("/keys", json={"actions": ["*"], "indexes": ["movies"], "expiresAt": None},
                               headers=master)
    scoped = await response.json()
    response = await http.get("/metrics", headers={"Authorization": f"Bearer {scoped['key']}"})
    assert response.status == 403 and (await response.json())["code"] == "invalid_api_key"


def _shadowed_pairs() -> list[tuple[str, str]]:
    """(method, concrete path) where a literal route exists for other methods only and a placeholder
    route of ``method`` would also match the path."""
    routes = build_router().routes
    pairs = set()
    for literal in routes:
        if any(seg.startswith("{") for seg in literal.segments[-1:]):
            continue
        served = {r.method for r in routes if r.segments == literal.segments}
        for other in routes:
            if other.method in served or other.segments == literal.segments:
                continue
            if other.match(list(literal.segments)) is not None:
                pairs.add((other.method, template(literal)))
    return sorted(pairs)


async def test_literal_paths_are_not_swallowed_by_placeholders(http):
    pairs = _shadowed_pairs()
    assert ("GET", "/tasks/cancel") in pairs
    assert ("DELETE", "/indexes/{index_uid}/documents/delete-batch") in pairs
    wrong = []
    for method, path in pairs:
        response = await http.request(method, path.replace("{index_uid}", "movies"),
                                      headers={"Authorization": f"Bearer {MASTER}"})
        if response.status != 405 or await response.read() != b"":
            wrong.append(f"{method} {path}: {response.status} {(await response.read())[:80]!r}")
    assert wrong == []
