"""JSON values with one placeholder: inject texts into a request, extract embeddings from a response.

A ``rest`` embedder describes its remote API by example (milli ``json_template``):

    request  {"model": "m", "input": ["{{text}}", "{{..}}"]}       texts go where "{{text}}" is;
    response {"data": [{"embedding": "{{embedding}}"}, "{{..}}"]}   vectors come from "{{embedding}}".

``"{{..}}"`` as the *second* item of an array means "repeat the first item once per value", which
is how a template asks for batches. Injection copies the template and writes each value at the
placeholder's path; extraction walks the same path in the server's answer, and when the answer
does not fit, says where and how, in Meilisearch's words (``injectable_value.rs``).

Paths are lists of components: ``str`` for an object key, ``int`` for an array index.
"""
from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rapidfuzz.distance import OSA

from ..errors import serde_unexpected

Component = str | int
Path = list[Component]


def path_with_root(root: str, path: list[Component]) -> str:
    """```root.key[0].other``` — how upstream names a place in a JSON value."""
    text = "`" + root
    for component in path:
        text += f"[{component}]" if isinstance(component, int) else f".{component}"
    return text + "`"


def format_value(value: Any) -> str:
    """A value as it appears in an error: sizes for containers, JSON for scalars."""
    if isinstance(value, list):
        return f"an array of size {len(value)}"
    if isinstance(value, dict):
        return f"an object with {len(value)} field(s)"
    return json.dumps(value, ensure_ascii=False)


# -- parsing the template ------------------------------------------------------------------------

class TemplateParseError(Exception):
    """The template is not usable; :meth:`message` words it for ``request`` or ``response``."""

    def __init__(self, render: Callable[[str, str, str], str]) -> None:
        super().__init__("template error")
        self._render = render

    def message(self, root: str, placeholder: str, repeat: str) -> str:
        return self._render(root, placeholder, repeat)


def _err(fmt: Callable[[str, str, str], str]) -> TemplateParseError:
    return TemplateParseError(fmt)


@dataclass
class _ArrayPath:
    repeated_value: Any
    path_to_array: Path
    value_path_in_array: Path


class _Parser:
    """One walk over the template that finds the single placeholder or the single repeated array."""

    def __init__(self, placeholder: str, repeat: str) -> None:
        self.placeholder = placeholder
        self.repeat = repeat

    def parse(self, value: Any, state: dict, array_state: dict | None, path: Path) -> None:
        """``state['value']``: path of the placeholder; ``array_state`` is None inside a repeated value."""
        if isinstance(value, str):
            if value == self.placeholder:
                if state.get("value") is not None:
                    previous, current = state["value"], list(path)
                    raise _err(lambda r, p, _: (
                        f'in {path_with_root(r, current)}: Found "{p}", but it was already present in '
                        f"{path_with_root(r, previous)}"
                    ))
                state["value"] = list(path)
            if value == self.repeat:
                current = list(path)
                raise _err(lambda r, _, rep: f'in {path_with_root(r, current)}: "{rep}" appears outside of an array')
        elif isinstance(value, list):
            self._parse_array(value, state, array_state, path)
        elif isinstance(value, dict):
            for key, item in value.items():
                path.append(key)
                self.parse(item, state, array_state, path)
                path.pop()

    def _parse_array(self, array: list, state: dict, array_state: dict | None, path: Path) -> None:
        current = list(path)
        if len(array) >= 2 and array[1] == self.repeat:
            if array_state is None:
                raise _err(lambda r, _, rep: (
                    f'in {path_with_root(r, current)}: "{rep}" appears nested inside of a value that is itself repeated'
                ))
            if array_state.get("array") is not None:
                previous = array_state["array"].path_to_array
                raise _err(lambda r, _, rep: (
                    f'in {path_with_root(r, current)}: Found "{rep}", but it was already present in '
                    f"{path_with_root(r, previous)}"
                ))
            if array[0] == self.repeat:
                raise _bad_index(current, 0)
            for position, item in enumerate(array[2:], start=2):
                if item == self.repeat:
                    raise _bad_index(current, position)
            inner: dict = {}
            try:
                self.parse(array[0], inner, None, [])
            except TemplateParseError as error:
                raise _prepend(error, current) from None
            if inner.get("value") is None:
                where = current + [0]
                raise _err(lambda r, p, _: f'in {path_with_root(r, where)}: Expected "{p}" inside of the repeated value')
            array_state["array"] = _ArrayPath(array[0], current, inner["value"])
            return
        for position, item in enumerate(array):
            if item == self.repeat:
                raise _bad_index(current, position)
        for index, item in enumerate(array):
            path.append(index)
            self.parse(item, state, array_state, path)
            path.pop()


def _bad_index(path: Path, index: int) -> TemplateParseError:
    return _err(lambda r, _, rep: (
        f'in {path_with_root(r, path)}: "{rep}" expected at position #1, but found at position #{index}'
    ))


def _prepend(error: TemplateParseError, prefix: Path) -> TemplateParseError:
    """Errors found inside a repeated value name their place from the template's root.

    Upstream prepends the array's path to the inner error's paths; re-rendering with a root
    that already carries the prefix gives the same text for the errors that can occur there.
    """
    inner = error._render

    def render(root: str, placeholder: str, repeat: str) -> str:
        prefixed_root = path_with_root(root, prefix)[1:-1]
        return inner(prefixed_root, placeholder, repeat)

    return TemplateParseError(render)


class InjectableValue:
    """A JSON template with one placeholder, or one repeated array holding it."""

    def __init__(self, template: Any, placeholder: str, repeat: str) -> None:
        state: dict = {}
        array_state: dict = {}
        _Parser(placeholder, repeat).parse(template, state, array_state, [])
        value_path, array_path = state.get("value"), array_state.get("array")
        if value_path is None and array_path is None:
            raise _err(lambda r, p, _: f'in `{r}`: "{p}" not found')
        if value_path is not None and array_path is not None:
            first = array_path.path_to_array + [0] + array_path.value_path_in_array
            raise _err(lambda r, p, _: (
                f'in {path_with_root(r, value_path)}: Found "{p}", but it was already present in '
                f"{path_with_root(r, first)} (repeated)"
            ))
        self.template = template
        self.value_path: Path | None = value_path
        self.array_path: _ArrayPath | None = array_path

    @property
    def has_array_value(self) -> bool:
        return self.array_path is not None

    def inject(self, values: list[Any]) -> Any:
        """A copy of the template with ``values`` in place (one value, or one array item each)."""
        if not values:
            raise ValueError("no value to inject")
        rendered = copy.deepcopy(self.template)
        if self.array_path is None:
            return set_at(rendered, self.value_path or [], values[0])
        items = [
            set_at(copy.deepcopy(self.array_path.repeated_value), self.array_path.value_path_in_array, value)
            for value in values
        ]
        return set_at(rendered, self.array_path.path_to_array, items)

    def extract(self, value: Any, convert: Callable[[Any], Any]) -> list[Any]:
        """The values at the placeholder's place in ``value``, each passed through ``convert``.

        ``convert`` raises :class:`ConversionError` with serde's wording when a value has the
        wrong type. Failures raise :class:`ExtractionError`.
        """
        if self.array_path is None:
            return [_extract(self.value_path or [], value, convert, ("single", None))]
        array_path = self.array_path
        array = _extract(array_path.path_to_array, value, lambda v: v, ("array", None))
        if not isinstance(array, list):
            raise ExtractionError(
                ("wrong", format_value(array), len(array_path.path_to_array), array_path.path_to_array + [0]),
                ("array", None),
            )
        return [
            _extract(array_path.value_path_in_array, item, convert, ("item", index))
            for index, item in enumerate(array)
        ]


def set_at(root: Any, path: Path, value: Any) -> Any:
    """``value`` put at ``path`` inside ``root`` (in place); the value itself for an empty path."""
    if not path:
        return value
    target = root
    for component in path[:-1]:
        target = target[component]
    target[path[-1]] = value
    return root


# -- extraction errors -----------------------------------------------------------------------------

class ConversionError(Exception):
    """serde's complaint about a value of the wrong type (``invalid type: …, expected …``)."""


class ExtractionError(Exception):
    """Where extraction failed: ``kind`` is ("missing", index, path, suggestion),
    ("wrong", shown, index, path) or ("convert", text, path); ``context`` says which operation."""

    def __init__(self, kind: tuple, context: tuple) -> None:
        super().__init__("extraction error")
        self.kind = kind
        self.context = context

    def message(self, root: str, placeholder: str, expected_type: str) -> str:
        what, index = self.context
        if what == "single":
            context = f'extracting a single "{placeholder}"'
        elif what == "array":
            context = f'extracting the array of "{placeholder}"s'
        else:
            context = f'extracting item #{index} from the array of "{placeholder}"s'
        kind = self.kind
        if kind[0] == "missing":
            _, missing, path, suggestion = kind
            head = path[:missing]
            text = (
                f"in {path_with_root(root, head)}, while {context}, configuration expects "
                f"{_missing_component(path, missing)}, which is missing in response"
            )
            if suggestion is not None:
                text += (
                    f"\n  - Hint: {_last_named_object(root, head)} has key `{suggestion}`, did you mean "
                    f"{path_with_root(root, head + [suggestion])} in embedder configuration?"
                )
            return text
        if kind[0] == "wrong":
            _, shown, index, path = kind
            head = path[:index]
            return (
                f"in {path_with_root(root, head)}, while {context}, configuration expects "
                f"{_last_named_object(root, head)} to be {_expected_component(path, index)} but server sent {shown}"
            )
        _, error, path = kind
        return (
            f"in {path_with_root(root, path)}, while {context}, expected {_last_named_object(root, path)} "
            f"to be {expected_type}, but failed to parse server response:\n  - {error}"
        )


def _missing_component(path: Path, index: int) -> str:
    if index >= len(path):
        return "unknown"
    component = path[index]
    return f"item #{component}" if isinstance(component, int) else f'key "{component}"'


def _expected_component(path: Path, index: int) -> str:
    if index >= len(path):
        return "unknown"
    component = path[index]
    if isinstance(component, int):
        return f"an array with at least {component + 1} item(s)"
    return f"an object with key `{component}`"


def _last_named_object(root: str, path: Path) -> str:
    """``root`` or the last key of ``path``, and how deep in arrays below it the path goes."""
    name, index, nesting = root, None, -1
    for component in path:
        if isinstance(component, str):
            name, index, nesting = component, None, -1
        else:
            index, nesting = component, nesting + 1
    if index is None:
        return f"`{name}`"
    if nesting == 0:
        return f"item #{index} inside `{name}`"
    if nesting == 1:
        return f"item #{index} inside nested array in `{name}`"
    return f"item #{index} inside nested array ({nesting} levels of nesting) in `{name}`"


def _suggest(key: str, keys: list[str]) -> str | None:
    """The first key within two edits (transpositions count as one) — upstream's typo hint."""
    for candidate in keys:
        if 0 < OSA.distance(key, candidate, score_cutoff=2) <= 2:
            return candidate
    return None


def _extract(path: Path, value: Any, convert: Callable[[Any], Any], context: tuple) -> Any:
    current = value
    for index, component in enumerate(path):
        if isinstance(component, str):
            if not isinstance(current, dict):
                raise ExtractionError(("wrong", format_value(current), index, list(path)), context)
            if component not in current:
                suggestion = _suggest(component, list(current))
                raise ExtractionError(("missing", index, list(path), suggestion), context)
            current = current[component]
        else:
            if not isinstance(current, list):
                raise ExtractionError(("wrong", format_value(current), index, list(path)), context)
            if component >= len(current):
                raise ExtractionError(("missing", index, list(path), None), context)
            current = current[component]
    try:
        return convert(current)
    except ConversionError as error:
        raise ExtractionError(("convert", str(error), list(path)), context) from None


# -- serde's view of an embedding ------------------------------------------------------------------

_unexpected = serde_unexpected


def to_embedding(value: Any) -> list[float]:
    """A JSON value as ``Vec<f32>``, or serde's error: ``invalid type: string "a", expected f32``."""
    if not isinstance(value, list):
        raise ConversionError(f"invalid type: {_unexpected(value)}, expected a sequence")
    out: list[float] = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, (int, float)):
            raise ConversionError(f"invalid type: {_unexpected(item)}, expected f32")
        out.append(float(item))
    return out
