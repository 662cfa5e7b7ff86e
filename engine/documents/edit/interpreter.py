"""Run a compiled edition script over one document, as Meilisearch's Rhai engine runs it.

The scope starts with `doc` (the document, a mutable map) and, when the request sent one,
`context` (a constant).  What `doc` holds when the script ends is the edited document; `()`
deletes it.  Run-time errors are `ScriptError`s located in the script; a script that runs more
than `MAX_OPERATIONS` steps (an endless loop) stops with "Too many operations", the limit
Meilisearch sets on its engine.
"""
from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any, cast

from . import ast
from .builtins import FUNCTIONS, Mutated
from .errors import ScriptError
from .values import (
    I64_MIN,
    arithmetic,
    compare,
    display,
    equal,
    is_number,
    owned,
    signature_type,
    type_name,
)

MAX_OPERATIONS = 1_000_000
"""Meilisearch's `engine.set_max_operations(1_000_000)`."""


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


class _Return(Exception):
    pass


class _Slot:
    __slots__ = ("constant", "value")

    def __init__(self, value: Any, constant: bool):
        self.value, self.constant = value, constant


def run_script(program: ast.Block, document: Any, context: dict[str, Any] | None) -> Any:
    """The value of `doc` once ``program`` has run with ``document`` (and ``context``)."""
    scope: dict[str, _Slot] = {}
    if context is not None:
        scope["context"] = _Slot(copy.deepcopy(context), True)
    scope["doc"] = _Slot(document, False)
    machine = _Machine([scope])
    try:
        machine.block(program, new_scope=False)
    except _Return:
        pass
    except (_Break, _Continue):
        raise ScriptError("Break statement should only be used inside a loop") from None
    return scope["doc"].value


def function_not_found(name: str, args: list[Any], pos: ast.Pos) -> ScriptError:
    types = ", ".join(signature_type(a) for a in args)
    return ScriptError(f"Function not found: {name} ({types})", *pos)


def mismatch(expected: str, value: Any, pos: ast.Pos) -> ScriptError:
    return ScriptError(f"Data type incorrect: {type_name(value)} (expecting {expected})", *pos)


class _Machine:
    def __init__(self, scopes: list[dict[str, _Slot]]):
        self.scopes = scopes
        self.operations = 0

    def tick(self, pos: ast.Pos) -> None:
        self.operations += 1
        if self.operations > MAX_OPERATIONS:
            raise ScriptError("Too many operations", *pos)

    # -- variables -----------------------------------------------------------------------------
    def slot(self, var: ast.Var) -> _Slot:
        for scope in reversed(self.scopes):
            if var.name in scope:
                return scope[var.name]
        raise ScriptError(f"Variable not found: {var.name}", *var.pos)

    # -- statements ----------------------------------------------------------------------------
    def block(self, block: ast.Block, new_scope: bool = True) -> None:
        if new_scope:
            self.scopes.append({})
        try:
            for statement in block.body:
                self.statement(statement)
        finally:
            if new_scope:
                self.scopes.pop()

    def statement(self, node: ast.Stmt) -> None:
        self.tick(node.pos)
        if isinstance(node, ast.ExprStmt):
            self.eval(node.expr)
        elif isinstance(node, ast.Assign):
            self.assign(node)
        elif isinstance(node, ast.Let):
            value = owned(self.eval(node.value)) if node.value is not None else None
            self.scopes[-1][node.name] = _Slot(value, node.constant)
        elif isinstance(node, ast.If):
            self.if_(node)
        elif isinstance(node, ast.For):
            self.for_(node)
        elif isinstance(node, ast.While):
            self.while_(node)
        elif isinstance(node, ast.Block):
            self.block(node)
        else:
            self.jump(node)

    def jump(self, node: ast.Jump) -> None:
        if node.kind == "break":
            raise _Break()
        if node.kind == "continue":
            raise _Continue()
        if node.kind == "return":
            if node.value is not None:
                self.eval(node.value)
            raise _Return()
        value = self.eval(node.value) if node.value is not None else None
        raise ScriptError(f"Runtime error: {display(value)}" if value is not None else "Runtime error", *node.pos)

    def if_(self, node: ast.If) -> None:
        condition = self.eval(node.condition)
        if not isinstance(condition, bool):
            raise mismatch("bool", condition, node.condition.pos)
        if condition:
            self.block(node.then)
        elif isinstance(node.otherwise, ast.If):
            self.statement(node.otherwise)
        elif node.otherwise is not None:
            self.block(node.otherwise)

    def for_(self, node: ast.For) -> None:
        for counter, item in enumerate(self.iterate(self.eval(node.iterable), node.iterable.pos)):
            scope = {node.name: _Slot(owned(item), False)}
            if node.counter is not None:
                scope[node.counter] = _Slot(counter, False)
            self.scopes.append(scope)
            try:
                self.block(node.body)
            except _Break:
                break
            except _Continue:
                continue
            finally:
                self.scopes.pop()

    @staticmethod
    def iterate(value: Any, pos: ast.Pos) -> Iterator[Any]:
        if isinstance(value, (list, str, range)):
            return iter(list(value))
        raise ScriptError("For loop expects an iterable type", *pos)

    def while_(self, node: ast.While) -> None:
        while True:
            self.tick(node.pos)
            if node.condition is not None:
                condition = self.eval(node.condition)
                if not isinstance(condition, bool):
                    raise mismatch("bool", condition, node.condition.pos)
                if not condition:
                    return
            try:
                self.block(node.body)
            except _Break:
                return
            except _Continue:
                continue

    # -- assignment ----------------------------------------------------------------------------
    def assign(self, node: ast.Assign) -> None:
        value = self.eval(node.value)
        if node.op is not None:
            current = self.eval(node.target)
            if isinstance(current, list) and node.op == "+" and not isinstance(value, list):
                current.append(owned(value))
                return
            value = self.operate(node.op, current, value, node.pos)
        self.store(node.target, owned(value), node.pos)

    def store(self, target: ast.Path, value: Any, pos: ast.Pos) -> None:
        """Write ``value`` where ``target`` points; a string changed by index is written back whole."""
        if isinstance(target, ast.Var):
            slot = self.slot(target)
            if slot.constant:
                raise ScriptError(f"Cannot modify constant: {target.name}", *target.pos)
            slot.value = value
            return
        self.check_not_constant(target)
        parent = self.eval(target.target)
        if isinstance(target, ast.Prop):
            if not isinstance(parent, dict):
                raise ScriptError(f"Unknown property '{target.name}' - a setter is not registered for type "
                                  f"'{type_name(parent)}'", *target.pos)
            parent[target.name] = value
            return
        key = self.eval(target.key)
        if isinstance(parent, dict):
            parent[self.map_key(key, target.key.pos)] = value
        elif isinstance(parent, list):
            parent[self.array_index(parent, key, target.key.pos)] = value
        elif isinstance(parent, str):
            n = self.string_index(parent, key, target.key.pos)
            if not isinstance(value, str) or len(value) != 1:
                raise mismatch("char", value, pos)
            self.store(cast(ast.Path, target.target), parent[:n] + value + parent[n + 1:], pos)
        else:
            raise ScriptError(f"Indexing of type '{type_name(parent)}' is not supported", *target.key.pos)

    def check_not_constant(self, target: ast.Path) -> None:
        root: ast.Expr = target
        while isinstance(root, (ast.Prop, ast.Index)):
            root = root.target
        assert isinstance(root, ast.Var)
        if self.slot(root).constant:
            raise ScriptError(f"Cannot modify constant: {root.name}", *root.pos)

    # -- expressions ---------------------------------------------------------------------------
    def eval(self, node: ast.Expr) -> Any:
        self.tick(node.pos)
        if isinstance(node, ast.Lit):
            return owned(node.value)
        if isinstance(node, ast.Var):
            return self.slot(node).value
        if isinstance(node, ast.Prop):
            return self.prop(self.eval(node.target), node)
        if isinstance(node, ast.Index):
            return self.index(self.eval(node.target), self.eval(node.key), node.key.pos)
        if isinstance(node, ast.Method):
            return self.method(node)
        if isinstance(node, ast.Call):
            return self.call(node.name, [self.eval(a) for a in node.args], node.pos)
        if isinstance(node, ast.Binary):
            return self.binary(node)
        if isinstance(node, ast.Unary):
            return self.unary(node)
        if isinstance(node, ast.Template):
            return "".join(p if isinstance(p, str) else display(self.eval(p)) for p in node.parts)
        if isinstance(node, ast.ArrayLit):
            return [owned(self.eval(item)) for item in node.items]
        if isinstance(node, ast.MapLit):
            return {key: owned(self.eval(value)) for key, value in node.entries}
        return self.range(node)

    def range(self, node: ast.RangeLit) -> range:
        start, end = self.eval(node.start), self.eval(node.end)
        for value, where in ((start, node.start.pos), (end, node.end.pos)):
            if not isinstance(value, int) or isinstance(value, bool):
                raise mismatch("i64", value, where)
        return range(start, end + 1 if node.inclusive else end)

    def prop(self, value: Any, node: ast.Prop) -> Any:
        if isinstance(value, dict):
            return value.get(node.name)
        if node.name == "len" and isinstance(value, (str, list)):
            return len(value)
        raise ScriptError(f"Unknown property '{node.name}' - a getter is not registered for type "
                          f"'{type_name(value)}'", *node.pos)

    def index(self, value: Any, key: Any, pos: ast.Pos) -> Any:
        if isinstance(value, dict):
            return value.get(self.map_key(key, pos))
        if isinstance(value, list):
            return value[self.array_index(value, key, pos)]
        if isinstance(value, str):
            return value[self.string_index(value, key, pos)]
        raise ScriptError(f"Indexing of type '{type_name(value)}' is not supported", *pos)

    @staticmethod
    def map_key(key: Any, pos: ast.Pos) -> str:
        if not isinstance(key, str):
            raise mismatch("string", key, pos)
        return key

    @staticmethod
    def array_index(items: list, key: Any, pos: ast.Pos) -> int:
        if not isinstance(key, int) or isinstance(key, bool):
            raise mismatch("i64", key, pos)
        n = key + len(items) if key < 0 else key
        if not 0 <= n < len(items):
            size = len(items)
            detail = "array is empty" if size == 0 else f"only {size} element{'s' if size > 1 else ''} in array"
            raise ScriptError(f"Array index {key} out of bounds: {detail}", *pos)
        return n

    @staticmethod
    def string_index(text: str, key: Any, pos: ast.Pos) -> int:
        if not isinstance(key, int) or isinstance(key, bool):
            raise mismatch("i64", key, pos)
        n = key + len(text) if key < 0 else key
        if not 0 <= n < len(text):
            size = len(text)
            detail = "string is empty" if size == 0 else f"only {size} character{'s' if size > 1 else ''} in string"
            raise ScriptError(f"String index {key} out of bounds: {detail}", *pos)
        return n

    def method(self, node: ast.Method) -> Any:
        """`x.f(a…)` is `f(x, a…)` with `x` passed by reference: changes reach `doc`."""
        receiver = self.eval(node.target)
        args = [self.eval(a) for a in node.args]
        result = self.invoke(node.name, [receiver, *args], node.pos)
        if isinstance(result, Mutated):
            if _is_path(node.target):
                self.store(cast(ast.Path, node.target), result.receiver, node.pos)
            return result.result
        return result

    def call(self, name: str, args: list[Any], pos: ast.Pos) -> Any:
        result = self.invoke(name, [owned(a) for a in args], pos)
        return result.result if isinstance(result, Mutated) else result

    def invoke(self, name: str, args: list[Any], pos: ast.Pos) -> Any:
        function = FUNCTIONS.get(name)
        if function is None:
            raise function_not_found(name, args, pos)
        try:
            return function(*args)
        except (LookupError, TypeError):
            raise function_not_found(name, args, pos) from None
        except ScriptError as exc:
            if not exc.line:
                exc.line, exc.column = pos
            raise

    def binary(self, node: ast.Binary) -> Any:
        op = node.op
        if op in ("&&", "||"):
            left = self.eval(node.left)
            if not isinstance(left, bool):
                raise mismatch("bool", left, node.left.pos)
            if (op == "&&" and not left) or (op == "||" and left):
                return left
            right = self.eval(node.right)
            if not isinstance(right, bool):
                raise mismatch("bool", right, node.right.pos)
            return right
        left, right = self.eval(node.left), self.eval(node.right)
        if op == "==":
            return equal(left, right)
        if op == "!=":
            return not equal(left, right)
        if op in ("<", "<=", ">", ">="):
            result = compare(op, left, right)
            if result is None:
                raise function_not_found(op, [left, right], node.pos)
            return result
        if op == "in":
            return self.invoke("contains", [right, left], node.pos)
        return self.operate(op, left, right, node.pos)

    @staticmethod
    def operate(op: str, left: Any, right: Any, pos: ast.Pos) -> Any:
        try:
            return arithmetic(op, left, right, pos)
        except LookupError:
            raise function_not_found(op, [left, right], pos) from None

    def unary(self, node: ast.Unary) -> Any:
        value = self.eval(node.operand)
        if node.op == "!":
            if not isinstance(value, bool):
                raise function_not_found("!", [value], node.pos)
            return not value
        if not is_number(value):
            raise function_not_found(node.op, [value], node.pos)
        if node.op == "+":
            return value
        if value == I64_MIN and isinstance(value, int):
            raise ScriptError(f"Negation overflow: -{value}", *node.pos)
        return -value


def _is_path(node: ast.Expr) -> bool:
    while isinstance(node, (ast.Prop, ast.Index)):
        node = node.target
    return isinstance(node, ast.Var)
