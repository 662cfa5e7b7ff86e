"""The built-in functions of the subset, callable as `f(x, …)` or as methods `x.f(…)`.

Rhai passes a method's receiver by reference: `doc.tags.push(1)` changes `doc.tags`, and so do the
string functions that work in place (`trim`, `replace`, `make_upper`…).  Python strings being
immutable, those return `Mutated(new_receiver, result)` and the interpreter writes the new
receiver back.  A function given argument types it does not take raises `LookupError`, which the
interpreter reports as Rhai's "Function not found: name (types)".
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .values import display, equal, is_number, owned, type_name


@dataclass
class Mutated:
    receiver: Any
    result: Any = None


Builtin = Callable[..., Any]
FUNCTIONS: dict[str, Builtin] = {}


def builtin(*names: str) -> Callable[[Builtin], Builtin]:
    def register(fn: Builtin) -> Builtin:
        for name in names:
            FUNCTIONS[name] = fn
        return fn
    return register


def _want(condition: bool) -> None:
    if not condition:
        raise LookupError


def _int(value: Any) -> int:
    _want(isinstance(value, int) and not isinstance(value, bool))
    return value


def _str(value: Any) -> str:
    _want(isinstance(value, str))
    return value


# -- any value ---------------------------------------------------------------------------------
@builtin("to_string")
def to_string(value: Any) -> str:
    return display(value)


@builtin("to_debug")
def to_debug(value: Any) -> str:
    from .values import debug
    return debug(value)


@builtin("type_of")
def type_of(value: Any) -> str:
    return type_name(value)


@builtin("print", "debug")
def print_(*values: Any) -> None:
    """Accepted and ignored: a function's output goes nowhere in Meilisearch either."""
    return


# -- length, emptiness, membership (strings, arrays, maps) ------------------------------------
@builtin("len")
def len_(value: Any) -> int:
    _want(isinstance(value, (str, list, dict)))
    return len(value)


@builtin("is_empty")
def is_empty(value: Any) -> bool:
    _want(isinstance(value, (str, list, dict)))
    return len(value) == 0


@builtin("contains")
def contains(container: Any, item: Any) -> bool:
    if isinstance(container, str):
        return _str(item) in container
    if isinstance(container, list):
        return any(equal(v, item) for v in container)
    if isinstance(container, dict):
        return _str(item) in container
    if isinstance(container, range):
        return _int(item) in container
    raise LookupError


@builtin("clear")
def clear(value: Any) -> Any:
    if isinstance(value, str):
        return Mutated("")
    _want(isinstance(value, (list, dict)))
    value.clear()
    return None


@builtin("index_of")
def index_of(container: Any, item: Any, start: int = 0) -> int:
    _int(start)
    if isinstance(container, str):
        return container.find(_str(item), start) if start >= 0 else container.find(item, max(0, len(container) + start))
    _want(isinstance(container, list))
    for n in range(start, len(container)):
        if equal(container[n], item):
            return n
    return -1


@builtin("remove")
def remove(container: Any, key: Any) -> Any:
    """A map's key (its value, or `()`), an array's index (its item), a string's substring."""
    if isinstance(container, dict):
        return container.pop(_str(key), None)
    if isinstance(container, list):
        n = _int(key)
        n = n + len(container) if n < 0 else n
        return container.pop(n) if 0 <= n < len(container) else None
    if isinstance(container, str):
        return Mutated(container.replace(_str(key), ""))
    raise LookupError


# -- strings -----------------------------------------------------------------------------------
@builtin("to_upper")
def to_upper(value: Any) -> str:
    return _str(value).upper()


@builtin("to_lower")
def to_lower(value: Any) -> str:
    return _str(value).lower()


@builtin("make_upper")
def make_upper(value: Any) -> Mutated:
    return Mutated(_str(value).upper())


@builtin("make_lower")
def make_lower(value: Any) -> Mutated:
    return Mutated(_str(value).lower())


@builtin("trim")
def trim(value: Any) -> Mutated:
    return Mutated(_str(value).strip())


@builtin("replace")
def replace(value: Any, find: Any, substitute: Any) -> Mutated:
    return Mutated(_str(value).replace(_str(find), _str(substitute)))


@builtin("starts_with")
def starts_with(value: Any, prefix: Any) -> bool:
    return _str(value).startswith(_str(prefix))


@builtin("ends_with")
def ends_with(value: Any, suffix: Any) -> bool:
    return _str(value).endswith(_str(suffix))


def _span(length: int, start: int, count: int | None) -> tuple[int, int]:
    """Rhai's clipping of (start, length) over characters: a negative start counts from the end."""
    if start < 0:
        start = max(0, length + start)
    start = min(start, length)
    end = length if count is None else min(length, start + max(0, count))
    return start, end


@builtin("sub_string")
def sub_string(value: Any, start: Any, count: Any = None) -> str:
    text = _str(value)
    a, b = _span(len(text), _int(start), None if count is None else _int(count))
    return text[a:b]


@builtin("crop")
def crop(value: Any, start: Any, count: Any = None) -> Mutated:
    return Mutated(sub_string(value, start, count))


@builtin("truncate")
def truncate(value: Any, length: Any) -> Any:
    n = max(0, _int(length))
    if isinstance(value, str):
        return Mutated(value[:n])
    _want(isinstance(value, list))
    del value[n:]
    return None


@builtin("pad")
def pad(value: Any, length: Any, filler: Any) -> Any:
    n = _int(length)
    if isinstance(value, str):
        fill = _str(filler)
        _want(len(fill) >= 1)
        text = value
        while len(text) < n:
            text += fill
        return Mutated(text[:max(n, len(value))])
    _want(isinstance(value, list))
    while len(value) < n:
        value.append(owned(filler))
    return None


@builtin("split")
def split(value: Any, separator: Any = None) -> list[str]:
    text = _str(value)
    if separator is None:
        return text.split()
    if isinstance(separator, int) and not isinstance(separator, bool):
        return [text[:separator], text[separator:]]
    return text.split(_str(separator))


@builtin("to_chars")
def to_chars(value: Any) -> list[str]:
    return list(_str(value))


@builtin("parse_int")
def parse_int(value: Any) -> int:
    from .errors import ScriptError
    text = _str(value).strip()
    try:
        return int(text)
    except ValueError:
        raise ScriptError(f"Error parsing integer number '{value}': invalid digit found in string") from None


@builtin("parse_float")
def parse_float(value: Any) -> float:
    from .errors import ScriptError
    try:
        return float(_str(value).strip())
    except ValueError:
        raise ScriptError(f"Error parsing floating-point number '{value}': invalid float literal") from None


# -- numbers -----------------------------------------------------------------------------------
def _num(value: Any) -> int | float:
    _want(is_number(value))
    return value


@builtin("abs")
def abs_(value: Any) -> Any:
    return abs(_num(value))


@builtin("sign")
def sign(value: Any) -> int:
    v = _num(value)
    return (v > 0) - (v < 0)


@builtin("to_int")
def to_int(value: Any) -> int:
    v = _num(value)
    return int(v)


@builtin("to_float")
def to_float(value: Any) -> float:
    return float(_num(value))


@builtin("floor")
def floor(value: Any) -> float:
    _want(isinstance(value, float))
    return float(math.floor(value))


@builtin("ceiling")
def ceiling(value: Any) -> float:
    _want(isinstance(value, float))
    return float(math.ceil(value))


@builtin("round")
def round_(value: Any) -> float:
    _want(isinstance(value, float))
    return float(math.floor(abs(value) + 0.5)) * (1 if value >= 0 else -1)


@builtin("min")
def min_(a: Any, b: Any) -> Any:
    _num(a), _num(b)
    return min(a, b)


@builtin("max")
def max_(a: Any, b: Any) -> Any:
    _num(a), _num(b)
    return max(a, b)


@builtin("is_even")
def is_even(value: Any) -> bool:
    return _int(value) % 2 == 0


@builtin("is_odd")
def is_odd(value: Any) -> bool:
    return _int(value) % 2 == 1


# -- arrays ------------------------------------------------------------------------------------
def _list(value: Any) -> list:
    _want(isinstance(value, list))
    return value


@builtin("push")
def push(array: Any, item: Any) -> None:
    _list(array).append(owned(item))


@builtin("append")
def append(target: Any, item: Any) -> Any:
    if isinstance(target, str):
        return Mutated(target + display(item))
    if isinstance(item, list):
        _list(target).extend(owned(item))
    else:
        _list(target).append(owned(item))
    return None


@builtin("pop")
def pop(array: Any) -> Any:
    items = _list(array)
    return items.pop() if items else None


@builtin("shift")
def shift(array: Any) -> Any:
    items = _list(array)
    return items.pop(0) if items else None


@builtin("insert")
def insert(array: Any, position: Any, item: Any) -> None:
    items, n = _list(array), _int(position)
    items.insert(max(0, len(items) + n) if n < 0 else n, owned(item))


@builtin("reverse")
def reverse(array: Any) -> None:
    _list(array).reverse()


@builtin("sort")
def sort(array: Any) -> None:
    items = _list(array)
    _want(all(is_number(v) for v in items) or all(isinstance(v, str) for v in items)
          or all(isinstance(v, bool) for v in items))
    items.sort()


@builtin("extract")
def extract(array: Any, start: Any, count: Any = None) -> list:
    items = _list(array)
    a, b = _span(len(items), _int(start), None if count is None else _int(count))
    return owned(items[a:b])


@builtin("dedup")
def dedup(array: Any) -> None:
    items = _list(array)
    kept: list = []
    for item in items:
        if not kept or not equal(kept[-1], item):
            kept.append(item)
    items[:] = kept


# -- maps --------------------------------------------------------------------------------------
def _map(value: Any) -> dict:
    _want(isinstance(value, dict))
    return value


@builtin("keys")
def keys(value: Any) -> list[str]:
    return list(_map(value))


@builtin("values")
def values(value: Any) -> list:
    return owned(list(_map(value).values()))


@builtin("get")
def get(container: Any, key: Any) -> Any:
    if isinstance(container, dict):
        return container.get(_str(key))
    items = _list(container)
    n = _int(key)
    n = n + len(items) if n < 0 else n
    return items[n] if 0 <= n < len(items) else None


@builtin("set")
def set_(container: Any, key: Any, value: Any) -> None:
    if isinstance(container, dict):
        container[_str(key)] = owned(value)
        return
    items = _list(container)
    n = _int(key)
    n = n + len(items) if n < 0 else n
    if 0 <= n < len(items):
        items[n] = owned(value)


@builtin("mixin", "fill_with")
def mixin(target: Any, other: Any) -> None:
    _map(target).update(owned(_map(other)))
