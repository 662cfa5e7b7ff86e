"""Projects as Loupe indexes: the uid mapping and the settings a project's index is created with.

    alice / research-docs  ->  similars_alice_research-docs

Handles carry no underscore, so `handles_of` splits a uid back; an index whose uid does not have
this form is not a project (GET /v1/projects ignores it).
"""
from __future__ import annotations

import re
from typing import Any

from .errors import bad_request

PREFIX = "similars_"
EMBEDDER = "default"
_HANDLE = re.compile(r"^[A-Za-z0-9-]{1,100}$")


def check_handle(kind: str, handle: str) -> str:
    if not _HANDLE.match(handle):
        raise bad_request(f"{kind} handle `{handle}` is invalid: use 1 to 100 letters, digits or hyphens")
    return handle


def project_uid(user: str, project: str) -> str:
    """The index uid of ``user/project`` (400 for a handle that cannot be one)."""
    return f"{PREFIX}{check_handle('user', user)}_{check_handle('project', project)}"


def uid_or_none(params: dict[str, str]) -> str | None:
    """The index a route's path names, for the key check (None: no project in the path, or handles
    that cannot name one: the handler answers 400 for those)."""
    user, project = params.get("user"), params.get("project")
    if user is None or project is None or not (_HANDLE.match(user) and _HANDLE.match(project)):
        return None
    return f"{PREFIX}{user}_{project}"


def user_prefix(user: str) -> str:
    return f"{PREFIX}{check_handle('user', user)}_"


def handles_of(uid: str) -> tuple[str, str] | None:
    """(user, project) of a project uid, None for any other index."""
    if not uid.startswith(PREFIX):
        return None
    user, sep, project = uid[len(PREFIX):].partition("_")
    if not sep or not _HANDLE.match(user) or not _HANDLE.match(project):
        return None
    return user, project


def project_settings(dimensions: int) -> dict[str, Any]:
    """A new project's index: one user-provided embedder, ids sortable for the embeddings listing,
    ids and metadata filterable for tenant tokens' filters, nothing searchable by keywords."""
    return {"embedders": {EMBEDDER: {"source": "userProvided", "dimensions": dimensions}},
            "sortableAttributes": ["id"], "filterableAttributes": ["id", "metadata"], "searchableAttributes": []}


def dimensions_of(settings: dict[str, Any]) -> int | None:
    config = (settings.get("embedders") or {}).get(EMBEDDER)
    return None if config is None else config.get("dimensions")
