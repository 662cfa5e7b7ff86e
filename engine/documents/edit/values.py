"""Rhai's view of JSON values: type names, display, equality, ordering and arithmetic.

Values are Python's own: ``None`` is Rhai's unit `()` (JSON null), ``bool``, ``int`` (i64),
``float`` (f64), ``str``, ``list`` (array), ``dict`` (object map), ``range``.  The rules that differ
from Python's are Rhai's: `true != 1`, integer division truncates toward zero and checks for
overflow and zero, a string `+` anything concatenates, arrays and maps compare by content.
"""
from __future__ import annotations

import copy
import math
from typing import Any

from .errors import ScriptError

I64_MIN, I64_MAX = -(2 ** 63), 2 ** 63 - 1


def type_name(value: Any) -> str:
    """The name `type_of` answers, which function-not-found errors also print."""
    if value is None:
        return "()"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "i64"
    if isinstance(value, float):
        return "f64"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "map"
    if isinstance(value, range):
        return "range"
    return type(value).__name__


def signature_type(value: Any) -> str:
    """A type as Rhai prints it in "Function not found: f (…)": strings read as their three forms."""
    return "&str | ImmutableString | String" if isinstance(value, str) else type_name(value)


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def owned(value: Any) -> Any:
    """A value as stored by `let` or `=`: Rhai values are copied, never shared."""
    return copy.deepcopy(value) if isinstance(value, (list, dict)) else value


def display(value: Any) -> str:
    """`to_string`, string concatenation and `${…}` interpolation."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return debug(value)


def debug(value: Any) -> str:
    if value is None:
        return "()"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_float(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    if isinstance(value, list):
        return "[" + ", ".join(debug(v) for v in value) + "]"
    if isinstance(value, dict):
        return "#{" + ", ".join(f"{debug(k)}: {debug(v)}" for k, v in value.items()) + "}"
    if isinstance(value, range):
        return f"{value.start}..{value.stop}"
    return str(value)


def format_float(value: float) -> str:
    """Rust's `{}` of an f64: `1.0`, `0.5`, `1e-7`, `inf`, `NaN`."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if value == int(value) and abs(value) < 1e16:
        return f"{int(value)}.0"
    return repr(value)


def equal(left: Any, right: Any) -> bool:
    """Rhai's `==`: numbers across int/float, containers by content, other mixed types unequal."""
    if is_number(left) and is_number(right):
        return left == right
    if type(left) is not type(right):
        return False
    if isinstance(left, list):
        return len(left) == len(right) and all(equal(a, b) for a, b in zip(left, right))
    if isinstance(left, dict):
        return left.keys() == right.keys() and all(equal(v, right[k]) for k, v in left.items())
    return left == right


def compare(op: str, left: Any, right: Any) -> bool | None:
    """`<`, `<=`, `>`, `>=` for numbers, strings and characters; None when Rhai has no such operator."""
    if (is_number(left) and is_number(right)) or (isinstance(left, str) and isinstance(right, str)):
        return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op]
    if type(left) is not type(right):
        return False
    return None


def checked(value: int, op: str, left: Any, right: Any, pos: tuple[int, int]) -> int:
    if not I64_MIN <= value <= I64_MAX:
        name = {"+": "Addition", "-": "Subtraction", "*": "Multiplication", "/": "Division",
                "**": "Exponential", "%": "Modulo division"}[op]
        raise ScriptError(f"{name} overflow: {left} {op} {right}", *pos)
    return value


def arithmetic(op: str, left: Any, right: Any, pos: tuple[int, int]) -> Any:
    """`+ - * / % **`; raises LookupError when Rhai has no operator for these operand types."""
    if isinstance(left, int) and isinstance(right, int) and not isinstance(left, bool) and not isinstance(right, bool):
        return _int_arithmetic(op, left, right, pos)
    if is_number(left) and is_number(right):
        return _float_arithmetic(op, float(left), float(right))
    if op == "+":
        if isinstance(left, str) or isinstance(right, str):
            if isinstance(left, str) and isinstance(right, str):
                return left + right
            if left is None or right is None:
                return left if right is None else right
            return display(left) + display(right)
        if isinstance(left, list) and isinstance(right, list):
            return left + owned(right)
        if isinstance(left, dict) and isinstance(right, dict):
            return {**left, **owned(right)}
    if op == "-" and isinstance(left, str) and isinstance(right, str):
        return left.replace(right, "") if right else left
    raise LookupError(op)


def _int_arithmetic(op: str, left: int, right: int, pos: tuple[int, int]) -> int:
    if op in ("/", "%") and right == 0:
        prefix = "Division by zero" if op == "/" else "Modulo division by zero"
        raise ScriptError(f"{prefix}: {left} {op} {right}", *pos)
    if op == "+":
        value = left + right
    elif op == "-":
        value = left - right
    elif op == "*":
        value = left * right
    elif op == "/":
        value = abs(left) // abs(right) * (1 if (left >= 0) == (right >= 0) else -1)
    elif op == "%":
        value = abs(left) % abs(right) * (1 if left >= 0 else -1)
    else:
        if right < 0:
            raise ScriptError(f"Integer raised to a negative power: {left} ** {right}", *pos)
        if right > 64 and abs(left) > 1:
            raise ScriptError(f"Exponential overflow: {left} ** {right}", *pos)
        value = left ** right
    return checked(value, op, left, right, pos)


def _float_arithmetic(op: str, left: float, right: float) -> float:
    if op == "+":
        return left + right
    if op == "-":
        return left - right
    if op == "*":
        return left * right
    if op == "/":
        if right == 0:
            return math.nan if left == 0 or math.isnan(left) else math.copysign(math.inf, left) * math.copysign(1, right)
        return left / right
    if op == "%":
        return math.fmod(left, right) if right != 0 else math.nan
    try:
        return left ** right
    except (OverflowError, ZeroDivisionError):
        return math.inf
