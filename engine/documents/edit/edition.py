"""One document through an edition script, judged as Meilisearch judges it.

After the script, `doc` is `()` (the document is deleted), a map equal to the original (nothing to
write), another map (the document is replaced by it, keeping its primary key), or anything else
(the task fails: "Document editions must keep documents as objects").  Every error is the task's
`edit_documents_by_function_error`, except a new document without a valid id, which fails as an
addition would (`missing_document_id` / `invalid_document_id`).
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from ...errors import LoupeError
from ..primary_key import document_id
from . import ast
from .errors import ScriptError
from .interpreter import run_script
from .values import equal

CODE = "edit_documents_by_function_error"


@dataclass(frozen=True)
class Outcome:
    """``document`` is the new version, None when deleted; ``changed`` False when untouched."""
    document: dict[str, Any] | None
    changed: bool


def edit_document(program: ast.Block, document: dict[str, Any], context: dict[str, Any] | None,
                  primary_key: str) -> Outcome:
    """Run ``program`` on a copy of ``document``; raise the task's error if Meilisearch would."""
    try:
        result = run_script(program, copy.deepcopy(document), context)
    except ScriptError as exc:
        raise LoupeError(CODE, f"Document edition runtime error encountered while running the function: {exc}") from None
    except RecursionError:
        raise LoupeError(CODE, "Document edition runtime error encountered while running the function: "
                               "Stack overflow") from None
    if result is None:
        return Outcome(None, True)
    if not isinstance(result, dict):
        raise LoupeError(CODE, "Document editions must keep documents as objects")
    if equal(result, document):
        return Outcome(document, False)
    if document_id(result, primary_key) != document_id(document, primary_key):
        raise LoupeError(CODE, "Document editions cannot modify a document's primary key")
    return Outcome(result, True)
