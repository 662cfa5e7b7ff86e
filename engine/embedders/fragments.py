"""Fragments: JSON values whose every string is a Liquid template (milli ``json_template::JsonTemplate``).

Multimodal embedders describe a document (or a search query) by rendering such a value:

    {"text": "{{ doc.name }} is a dog", "n": 1}   with doc = {"name": "kefir"}
    -> {"text": "kefir is a dog", "n": 1}

Strings are rendered with the same Liquid environment and value printing as documentTemplate
(``template.py``); non-string values are copied.  A document is seen as ``doc`` (no ``fields``),
a search as ``q`` and ``media``.  Loupe's embedders do not embed fragments yet; POST
/render-template renders inline ones with this.
"""
from __future__ import annotations

from typing import Any

from liquid.exceptions import LiquidError

from .json_template import Component, path_with_root, set_at
from .template import RESERVED_FIELDS, LiquidObject, liquid_error_text, parse_liquid, to_liquid


class FragmentError(Exception):
    """A fragment that does not parse or render; ``message`` names the string's place in the value."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class JsonTemplate:
    def __init__(self, value: Any) -> None:
        self.value = value
        self.templates: list[tuple[list[Component], Any]] = []
        for path, text in _strings(value, []):
            try:
                self.templates.append((path, parse_liquid(text)))
            except LiquidError as error:
                detail = f"liquid: {getattr(error, 'message', None) or error}"
                raise FragmentError(f"in `{path_with_root('', path)}`, error while parsing template: {detail}") from None

    def render(self, context: dict[str, Any]) -> Any:
        """A copy of the value with every string rendered against ``context``."""
        rendered = _copy(self.value)
        for path, template in self.templates:
            try:
                text = template.render(**context)
            except LiquidError as error:
                detail = liquid_error_text(error, context)
                raise FragmentError(f"in `{path_with_root('', path)}`, error while rendering template: {detail}") from None
            rendered = set_at(rendered, path, text)
        return rendered

    def render_document(self, document: dict[str, Any]) -> Any:
        entries = {key: to_liquid(value) for key, value in document.items() if key not in RESERVED_FIELDS}
        return self.render({"doc": LiquidObject(entries)})

    def render_search(self, q: str | None, media: Any = None, has_media: bool = False) -> Any:
        context: dict[str, Any] = {}
        if q is not None:
            context["q"] = q
        if has_media:
            context["media"] = to_liquid(media)
        return self.render(context)


def _strings(value: Any, path: list[Component]):
    """(path, text) of every string of ``value``, depth first in document order."""
    if isinstance(value, str):
        yield list(path), value
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, path + [index])
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, path + [key])


def _copy(value: Any) -> Any:
    if isinstance(value, list):
        return [_copy(item) for item in value]
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    return value


__all__ = ["JsonTemplate", "FragmentError"]
