"""Edit documents by function (POST /indexes/{uid}/documents/edit, api.md §3.12).

Meilisearch runs a Rhai script over every document a filter selects.  Loupe runs the subset of
Rhai that Meilisearch's documentation and tests use: ``grammar.lark`` is the language,
``parser.py`` compiles it to ``ast.py``'s nodes (refusing the rest with a located message),
``interpreter.py`` runs it with ``builtins.py``'s functions over ``values.py``'s Rhai semantics,
and ``edition.py`` turns one document's run into Meilisearch's outcome (edited, deleted,
unchanged, or the task's error).
"""
from .edition import Outcome, edit_document
from .errors import ScriptError
from .interpreter import run_script
from .parser import compile_script

__all__ = ["Outcome", "ScriptError", "compile_script", "edit_document", "run_script"]
