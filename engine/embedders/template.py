"""documentTemplate: a Liquid template that turns one document into the text to embed.

The template sees two variables (milli ``prompt/``):

* ``doc`` — the document's top-level fields, ``_vectors`` and ``_geo`` left out (milli's
  ``Document::iter_top_level_fields`` skips both); nested objects are reached with dots:
  ``{{ doc.actor.firstName }}``;
* ``fields`` — one ``{name, value, is_searchable}`` per top-level field, in the order of the
  dict given, ``is_searchable`` answered by the index's searchable attributes.

Which order that is belongs to the caller, as upstream: a document being added is iterated in
its payload's key order (``DocumentFromVersions``); a stored document re-embedded after a
settings change is iterated by field id, i.e. in the order the index first saw each field
(``DocumentFromDb`` reads a field-id-sorted obkv); an updated document lists the payload's
fields first, then the stored ones it did not mention (``MergedDocument``).

Values print the way liquid-rust prints them, not the way Python does, so that the same
settings give the same text (and so the same vectors) as Meilisearch::

    null → ""        true → "true"       3.0 → "3"        2.5 → "2.5"      1e21 → "1000000000000000000000"
    ["a", 1, [true]] → "a1true"          (array items concatenated)
    {"k": "v", "n": 1} → "kvn1"          (each key immediately followed by its value)

A variable or field that does not exist is an error when printed (liquid-rust is strict), but
is simply false in an ``{% if %}``: ``FalsyStrictUndefined`` gives exactly that.

Rendering returns the whole text. ``documentTemplateMaxBytes`` is applied by
:func:`truncate_to_bytes` only on the path that upstream truncates (the legacy settings
indexer, ``Prompt::render_kvdeladd``); with the default indexer Meilisearch v1.50 sends the
full text (hybrid.md §8.4), and so does Loupe's.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

from liquid import Environment, FalsyStrictUndefined
from liquid.exceptions import LiquidError, UndefinedError

from .errors import USER, EmbedderSetupError, TemplateRenderError

DEFAULT_TEMPLATE = (
    "{% for field in fields %}{% if field.is_searchable and field.value != nil %}"
    "{{ field.name }}: {{ field.value }}\n{% endif %}{% endfor %}"
)
DEFAULT_MAX_BYTES = 400
RESERVED_FIELDS = ("_vectors", "_geo")  # never part of the template's view of a document

_ENV = Environment(undefined=FalsyStrictUndefined)


# -- values as liquid-rust prints them ----------------------------------------------------------

def rust_float(value: float) -> str:
    """Rust's ``Display`` for f64: shortest round-trip digits, positional, no ``.0``, no exponent."""
    text = format(Decimal(repr(value)), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def render_value(value: Any) -> str:
    """One value printed by ``{{ }}``."""
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float) and not isinstance(value, LiquidFloat):
        return rust_float(value)
    return str(value)


class LiquidFloat(float):
    """A JSON float that prints as Rust does (``3.0`` → ``3``) but still computes as a float."""

    def __str__(self) -> str:
        return rust_float(float(self))


class LiquidArray(Sequence):
    """A JSON array: iterable and indexable in Liquid, printed as its items concatenated."""

    def __init__(self, items: list[Any]) -> None:
        self._items = items

    def __getitem__(self, index: Any) -> Any:
        return self._items[index]

    def __len__(self) -> int:
        return len(self._items)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LiquidArray):
            return self._items == other._items
        return isinstance(other, list) and self._items == other

    __hash__ = None  # type: ignore[assignment]

    def __str__(self) -> str:
        return "".join(render_value(item) for item in self._items)


class LiquidObject(Mapping):
    """A JSON object: ``.key`` lookups in Liquid, printed as ``key`` + value for every entry."""

    def __init__(self, entries: dict[str, Any]) -> None:
        self._entries = entries

    def __getitem__(self, key: str) -> Any:
        return self._entries[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __str__(self) -> str:
        return "".join(f"{key}{render_value(value)}" for key, value in self._entries.items())


def to_liquid(value: Any) -> Any:
    """A parsed JSON value wrapped so that Liquid prints it as liquid-rust would."""
    if isinstance(value, dict):
        return LiquidObject({key: to_liquid(item) for key, item in value.items()})
    if isinstance(value, list):
        return LiquidArray([to_liquid(item) for item in value])
    if isinstance(value, float):
        return LiquidFloat(value)
    return value


def template_context(document: dict, searchable: Callable[[str], bool]) -> dict[str, Any]:
    """``doc`` and ``fields`` for one document (upstream ``prompt::Context``)."""
    entries = {key: to_liquid(value) for key, value in document.items() if key not in RESERVED_FIELDS}
    fields = [
        LiquidObject({"name": name, "value": value, "is_searchable": bool(searchable(name))})
        for name, value in entries.items()
    ]
    return {"doc": LiquidObject(entries), "fields": LiquidArray(fields)}


# -- errors in liquid-rust's words ---------------------------------------------------------------

_UNDEFINED_PATH = re.compile(r"^'?([^' ]+)'? is undefined")


def _missing_message(error: UndefinedError, context: dict[str, Any]) -> str:
    """liquid-rust's ``Unknown variable`` / ``Unknown index`` text for a missing lookup."""
    found = _UNDEFINED_PATH.match(str(error.message or ""))
    if not found:
        return f"liquid: {error.message}"
    parts = found.group(1).split(".")
    if parts[0] not in context:
        return (
            "liquid: Unknown variable\n  with:\n"
            f"    requested variable={parts[0]}\n    available variables={', '.join(context)}"
        )
    current: Any = context[parts[0]]
    for depth, part in enumerate(parts[1:], start=1):
        if isinstance(current, Mapping) and part in current:
            current = current[part]
            continue
        available = ", ".join(current) if isinstance(current, Mapping) else ""
        return (
            "liquid: Unknown index\n  with:\n"
            f"    variable={'.'.join(parts[:depth])}\n    requested index={part}\n"
            f"    available indexes={available}"
        )
    return f"liquid: {error.message}"


def liquid_error_text(error: LiquidError, context: dict[str, Any]) -> str:
    """A rendering failure in liquid-rust's words (``liquid: Unknown variable`` ...)."""
    if isinstance(error, UndefinedError):
        return _missing_message(error, context)
    return f"liquid: {getattr(error, 'message', None) or error}"


def parse_liquid(text: str) -> Any:
    """One Liquid template, parsed by the environment every template of Loupe uses."""
    return _ENV.from_string(text)


# -- the template -----------------------------------------------------------------------------------

class DocumentTemplate:
    """A parsed documentTemplate; :meth:`render` gives the text of one document."""

    def __init__(self, text: str = DEFAULT_TEMPLATE, max_bytes: int | None = DEFAULT_MAX_BYTES) -> None:
        self.text = text
        self.max_bytes = max_bytes
        try:
            self._template = parse_liquid(text)
        except LiquidError as error:
            message = getattr(error, "message", None) or str(error)
            raise EmbedderSetupError.of(USER, f"cannot parse template: liquid: {message}") from None

    def render(self, document: dict, searchable: Callable[[str], bool], external_id: str | None = None) -> str:
        """The full rendered text (no truncation: the default indexer sends it whole, §8.4).

        A failure reads ``user error: missing field in document `id`: liquid: …`` (milli
        ``RenderPromptError``), or without the id when none is given.
        """
        context = template_context(document, searchable)
        try:
            return self._template.render(**context)
        except LiquidError as error:
            detail = liquid_error_text(error, context)
        where = f" `{external_id}`" if external_id is not None else ""
        raise TemplateRenderError.of(USER, f"missing field in document{where}: {detail}") from None

    def render_truncated(self, document: dict, searchable: Callable[[str], bool]) -> str:
        """The legacy indexer's text: rendered, then cut to ``max_bytes`` (``render_kvdeladd``)."""
        text = self.render(document, searchable)
        return text if self.max_bytes is None else truncate_to_bytes(text, self.max_bytes)


def truncate_to_bytes(text: str, max_bytes: int) -> str:
    """The longest prefix of ``text`` whose UTF-8 encoding fits in ``max_bytes`` (a char boundary).

    Upstream's ``prompt::truncate``; used by :meth:`DocumentTemplate.render_truncated`, the
    path of milli's legacy settings indexer. The default indexing path does not truncate.
    """
    raw = text.encode("utf-8")
    if len(raw) <= max_bytes:
        return text
    return raw[:max_bytes].decode("utf-8", errors="ignore")
