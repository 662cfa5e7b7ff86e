"""The Rhai subset of edition functions (engine/documents/edit), construct by construct.

Properties:
1. Every construct of the subset runs as Rhai runs it: statements and `;`, `let`/`const` and block
   scope, assignments (plain, compound, nested properties, `doc["x"]`, array items, string
   characters), `if`/`else if`/`else`, `for` over arrays, ranges and strings (with a counter),
   `while`, `loop`, `break`, `continue`, `return`, literals (numbers, strings with escapes, chars,
   template strings, arrays, maps, `()`), operators with Rhai's precedence and typing, built-in
   functions both as methods and as functions.
2. Rhai values are copied on assignment: editing a copy never changes `doc`; methods change their
   receiver in place (`doc.tags.push`, `doc.title.trim()`).
3. Every compile error and every run-time error has its message and location.
4. One document's outcome: deleted, unchanged, edited, or the task's error (primary key changed,
   not an object, missing id).
"""
from __future__ import annotations

import pytest

from engine.documents.edit import ScriptError, compile_script, edit_document, run_script
from engine.errors import LoupeError


def run(source: str, doc: dict | None = None, context: dict | None = None):
    return run_script(compile_script(source), {} if doc is None else doc, context)


def value(expr: str, doc: dict | None = None):
    """The value of ``expr`` as the script stores it in `doc.v`."""
    return run(f"doc.v = {expr};", doc)["v"]


@pytest.mark.parametrize("expr, expected", [
    ("1 + 2 * 3", 7), ("(1 + 2) * 3", 9), ("7 / 2", 3), ("-7 / 2", -3), ("7 % 3", 1), ("-7 % 3", -1),
    ("2 ** 3 ** 2", 512), ("7.0 / 2", 3.5), ("1 + 0.5", 1.5), ("1_000", 1000), ("0x1f", 31), ("1e3", 1000.0),
    ("-(3)", -3), ("+3", 3), ("!true", False), ("1 < 2 && 2 <= 2", True), ("1 > 2 || 3 >= 4", False),
    ("1 == 1.0", True), ("1 != 2", True), ("\"a\" < \"b\"", True), ("1 == \"1\"", False), ("true == 1", False),
    ("1 != \"1\"", True), ("1 < \"1\"", False),
    ("[1, [2]] == [1, [2]]", True), ("#{a: 1} == #{a: 1}", True), ("#{a: 1} == #{a: 2}", False),
    ("\"ab\" + \"cd\"", "abcd"), ("\"n\" + 1", "n1"), ("1 + \"n\"", "1n"), ("\"x\" + 1.5", "x1.5"),
    ("\"v\" + ()", "v"), ("\"hello\" - \"l\"", "heo"), ("[1] + [2, 3]", [1, 2, 3]),
    ("#{a: 1} + #{b: 2}", {"a": 1, "b": 2}),
    ("2 in [1, 2]", True), ("\"ell\" in \"hello\"", True), ("\"a\" in #{a: 1}", True), ("5 in 1..5", False),
    ("5 in 1..=5", True),
    ("\"a\\tb\\n\\\"c\\\"\\u0041\"", "a\tb\n\"c\"A"), ("'x'", "x"), ("()", None), ("[]", []), ("[1, 2,]", [1, 2]),
    ("#{\"a b\": 1, c: [true, false],}", {"a b": 1, "c": [True, False]}),
    ("`plain`", "plain"), ("`${1 + 1} and ${\"x\".to_upper()}`", "2 and X"), ("`${()}|${1.0}|${[1, \"a\"]}`",
                                                                               "|1.0|[1, \"a\"]"),
    ("`${#{a: 1}}`", "#{\"a\": 1}"), ("`${true}`", "true"),
])
def test_expressions(expr, expected):
    result = value(expr)
    assert result == expected and type(result) is type(expected)


@pytest.mark.parametrize("expr, expected", [
    ("\"Hello\".to_upper()", "HELLO"), ("\"Hello\".to_lower()", "hello"), ("\"héllo\".len()", 5),
    ("\"abc\".len", 3), ("len(\"abc\")", 3), ("\"\".is_empty()", True), ("\"hello\".contains(\"ell\")", True),
    ("\"hello\".starts_with(\"he\")", True), ("\"hello\".ends_with(\"lo\")", True),
    ("\"hello\".index_of(\"l\")", 2), ("\"hello\".index_of(\"z\")", -1),
    ("\"hello\".sub_string(1, 3)", "ell"), ("\"hello\".sub_string(2)", "llo"), ("\"hello\".sub_string(-2)", "lo"),
    ("\"hello\".sub_string(3, 10)", "lo"), ("sub_string(\"hello\", 0, 2)", "he"),
    ("\"a,b\".split(\",\")", ["a", "b"]), ("\"a b  c\".split()", ["a", "b", "c"]), ("\"ab\".to_chars()", ["a", "b"]),
    ("\"ab\"[1]", "b"), ("\"ab\"[-1]", "b"), ("parse_int(\"42\")", 42), ("parse_float(\"1.5\")", 1.5),
    ("to_string(12)", "12"), ("12.to_string()", "12"), ("type_of(1)", "i64"), ("type_of(1.0)", "f64"),
    ("type_of(\"\")", "string"), ("type_of([])", "array"), ("type_of(#{})", "map"), ("type_of(())", "()"),
    ("type_of(true)", "bool"), ("(-3).abs()", 3), ("abs(-2.5)", 2.5), ("2.7.floor()", 2.0), ("2.2.ceiling()", 3.0),
    ("2.5.round()", 3.0), ("3.9.to_int()", 3), ("3.to_float()", 3.0), ("min(3, 2)", 2), ("max(3, 2.5)", 3),
    ("4.is_even()", True), ("3.is_odd()", True), ("(-5).sign()", -1),
    ("[3, 1, 2].len()", 3), ("[].is_empty()", True), ("[1, 2].contains(2)", True), ("[1, 2].index_of(2)", 1),
    ("[1, 2, 3, 4].extract(1, 2)", [2, 3]), ("#{a: 1, b: 2}.keys()", ["a", "b"]),
    ("#{a: 1, b: 2}.values()", [1, 2]), ("#{a: 1}.contains(\"a\")", True), ("#{a: 1}.len()", 1),
    ("#{a: 1}.get(\"a\")", 1), ("[1, 2].get(5)", None), ("#{a: 1}.b", None), ("#{a: 1}[\"b\"]", None),
    ("[1, 2][-1]", 2),
])
def test_builtins(expr, expected):
    result = value(expr)
    assert result == expected and type(result) is type(expected)


def test_methods_change_their_receiver_in_place():
    doc = {"id": 1, "tags": ["b", "a"], "title": "  Nemo  ", "n": {"s": "x-y"}, "m": {"k": 1, "j": 2}}
    out = run("doc.tags.push(\"c\"); doc.tags.sort(); doc.title.trim(); doc.n.s.replace(\"-\", \"+\");"
              "let removed = doc.m.remove(\"k\"); doc.removed = removed; doc.tags.insert(0, \"z\");"
              "doc.last = doc.tags.pop(); doc.first = doc.tags.shift(); doc.title.make_upper();"
              "doc.title.append(\"!\"); doc.tags.reverse(); doc.m.mixin(#{q: 3}); doc.n.s.crop(1, 1);"
              "doc.n.s.pad(3, \"_\")", doc)
    assert out == {"id": 1, "tags": ["b", "a"], "title": "NEMO!", "n": {"s": "+__"}, "m": {"j": 2, "q": 3},
                   "removed": 1, "last": "c", "first": "z"}


def test_in_place_methods_on_values_that_are_not_paths_only_return():
    assert run("doc.v = \"  x \".trim(); doc.w = [3].pop()")["w"] == 3
    assert run("doc.v = \"  x \".trim()")["v"] is None  # `trim` returns (), as in Rhai


def test_values_are_copied_on_assignment():
    doc = {"tags": ["a"], "m": {"k": 1}}
    out = run("let t = doc.tags; t.push(\"b\"); doc.copy = doc.m; doc.copy.k = 2; doc.list = [doc.tags];"
              "doc.list[0].push(\"c\")", doc)
    assert out == {"tags": ["a"], "m": {"k": 1}, "copy": {"k": 2}, "list": [["a", "c"]]}


def test_assignments():
    out = run("doc.a.b.c = 1; doc[\"x y\"] = 2; doc.arr[1] = \"B\"; doc.s[0] = 'N'; doc.n += 2; doc.n *= 3;"
              "doc.n -= 1; doc.n /= 2; doc.n %= 5; doc.t += \"!\"; doc.arr += \"d\"; doc.arr += [\"e\"];"
              "doc.f = 2; doc.f **= 3; let x; doc.x = x;",
              {"a": {"b": {}}, "arr": ["a", "b"], "s": "nemo", "n": 1, "t": "hi"})
    assert out == {"a": {"b": {"c": 1}}, "x y": 2, "arr": ["a", "B", "d", "e"], "s": "Nemo", "n": 4, "t": "hi!",
                   "f": 8, "x": None}


def test_control_flow():
    out = run("""
        // a comment
        let total = 0; /* another */
        for x in doc.values { if x > 10 { break } if x % 2 == 0 { continue } total += x; }
        doc.total = total;
        let chars = "";
        for (c, i) in "abc" { chars += `${i}${c}`; }
        doc.chars = chars;
        let n = 0;
        while n < 5 { n += 1; }
        loop { n += 10; if n > 30 { break; } }
        doc.n = n;
        if doc.values.len() > 100 { doc.size = "big" } else if doc.values.len() > 2 { doc.size = "mid" } else {
            doc.size = "small"
        }
        for i in 0..3 { doc.sum = (doc.sum ?? 0) }
    """.replace("for i in 0..3 { doc.sum = (doc.sum ?? 0) }", "let s = 0; for i in 0..=3 { s += i } doc.sum = s"),
        {"values": [1, 2, 3, 4, 5, 12, 7]})
    assert out == {"values": [1, 2, 3, 4, 5, 12, 7], "total": 9, "chars": "0a1b2c", "n": 35, "size": "mid", "sum": 6}


def test_block_scope_and_shadowing():
    out = run("let x = 1; { let x = 2; doc.inner = x; } doc.outer = x; if true { let y = 3; } doc.y = 0")
    assert out == {"inner": 2, "outer": 1, "y": 0}
    with pytest.raises(ScriptError) as caught:
        run("if true { let y = 3; } doc.y = y")
    assert str(caught.value) == "Variable not found: y (line 1, position 32)"


def test_return_stops_and_unit_deletes():
    assert run("doc.a = 1; return; doc.a = 2") == {"a": 1}
    assert run("if doc.id == 1 { doc = () }", {"id": 1}) is None
    assert run("doc = #{id: doc.id, only: true}", {"id": 1, "x": 2}) == {"id": 1, "only": True}


def test_context_is_a_constant_copy():
    context = {"name": "kefir", "tags": ["a"]}
    assert run("doc.who = context.name; doc.tags = context.tags", {}, context) == {"who": "kefir", "tags": ["a"]}
    run("context.tags.push(\"b\")", {}, context)
    assert context == {"name": "kefir", "tags": ["a"]}


@pytest.mark.parametrize("source, message", [
    ("doc.a = ", "Script is incomplete (line 1, position 9)"),
    ("doc.a = 1 doc.b = 2", "Expecting ';' to terminate this statement (line 1, position 11)"),
    ("doc.a = \"abc", "Open string is not terminated (line 1, position 9)"),
    ("doc.a = `x ${doc.b", "Open string is not terminated (line 1, position 9)"),
    ("doc.a = 1 @ 2", "Unexpected '@' (line 1, position 11)"),
    ("doc.a = )", "Unexpected ')' (line 1, position 9)"),
    ("1 = 2", "Assignment to an expression that is not a variable, a property or an index (line 1, position 3)"),
    ("doc.a() = 2", "Assignment to an expression that is not a variable, a property or an index (line 1, position 9)"),
    ("doc.a = 'ab'", "Invalid character: 'ab' (line 1, position 9)"),
    ("doc.a = \"\\q\"", "Invalid escape sequence: \\q (line 1, position 9)"),
    ("doc.a = 99999999999999999999", "Invalid number: 99999999999999999999 (line 1, position 9)"),
    ("doc.a = \n  `${doc.b +}`", "Script is incomplete (line 2, position 13)"),
])
def test_compile_errors(source, message):
    with pytest.raises(ScriptError) as caught:
        compile_script(source)
    assert str(caught.value) == message


SUBSET = ("edition functions may use `let`, `const`, assignments, `if`/`else`, `for … in`, `while`, `loop`, "
          "`break`, `continue`, `return`, `throw`, operators, literals, template strings, and the built-in functions")


@pytest.mark.parametrize("source, what, where", [
    ("fn double(x) { x * 2 }", "the `fn` keyword", "line 1, position 1"),
    ("switch doc.a { 1 => 2 }", "the `switch` keyword", "line 1, position 1"),
    ("do { doc.a = 1 } while false", "the `do` keyword", "line 1, position 1"),
    ("import \"m\" as m;", "the `import` keyword", "line 1, position 1"),
    ("try { doc.a = 1 } catch (e) { }", "the `try` keyword", "line 1, position 1"),
    ("let f = |x| x + 1;", "closures", "line 1, position 9"),
    ("doc.a = eval(\"1\")", "the `eval` keyword", "line 1, position 9"),
    ("doc.a = this", "the `this` keyword", "line 1, position 9"),
])
def test_constructs_outside_the_subset_are_named(source, what, where):
    with pytest.raises(ScriptError) as caught:
        compile_script(source)
    assert str(caught.value) == f"Loupe does not support {what} of Rhai: {SUBSET} ({where})"


@pytest.mark.parametrize("source, doc, message", [
    ("doc.a = b", {}, "Variable not found: b (line 1, position 9)"),
    ("doc.a = doc.n.to_upper()", {"n": 1}, "Function not found: to_upper (i64) (line 1, position 15)"),
    ("doc.a = doc.s.sub_string(\"x\")", {"s": "abc"},
     "Function not found: sub_string (&str | ImmutableString | String, &str | ImmutableString | String) "
     "(line 1, position 15)"),
    ("doc.a = nope(1)", {}, "Function not found: nope (i64) (line 1, position 9)"),
    ("doc.a = 1 + true", {}, "Function not found: + (i64, bool) (line 1, position 11)"),
    ("doc.a = [] < []", {}, "Function not found: < (array, array) (line 1, position 12)"),
    ("doc.a = -\"x\"", {}, "Function not found: - (&str | ImmutableString | String) (line 1, position 9)"),
    ("doc.a = !1", {}, "Function not found: ! (i64) (line 1, position 9)"),
    ("doc.a = 1 in 2", {}, "Function not found: contains (i64, i64) (line 1, position 11)"),
    ("doc.a = 1 / 0", {}, "Division by zero: 1 / 0 (line 1, position 11)"),
    ("doc.a = 1 % 0", {}, "Modulo division by zero: 1 % 0 (line 1, position 11)"),
    ("doc.a = 9223372036854775807 + 1", {}, "Addition overflow: 9223372036854775807 + 1 (line 1, position 29)"),
    ("doc.a = 2 ** -1", {}, "Integer raised to a negative power: 2 ** -1 (line 1, position 11)"),
    ("doc.a = 1 && true", {}, "Data type incorrect: i64 (expecting bool) (line 1, position 9)"),
    ("doc.a = true || 1", {}, None),  # short-circuited: the right side is never looked at
    ("doc.a = false || 1", {}, "Data type incorrect: i64 (expecting bool) (line 1, position 18)"),
    ("if doc.n { }", {"n": 1}, "Data type incorrect: i64 (expecting bool) (line 1, position 8)"),
    ("while 1 { }", {}, "Data type incorrect: i64 (expecting bool) (line 1, position 7)"),
    ("for x in 5 { }", {}, "For loop expects an iterable type (line 1, position 10)"),
    ("for x in 1..\"a\" { }", {}, "Data type incorrect: string (expecting i64) (line 1, position 13)"),
    ("doc.a = doc.list[3]", {"list": [1, 2]}, "Array index 3 out of bounds: only 2 elements in array (line 1, position 18)"),
    ("doc.a = doc.list[0]", {"list": []}, "Array index 0 out of bounds: array is empty (line 1, position 18)"),
    ("doc.list[\"x\"] = 1", {"list": []}, "Data type incorrect: string (expecting i64) (line 1, position 10)"),
    ("doc.a = doc.m[1]", {"m": {}}, "Data type incorrect: i64 (expecting string) (line 1, position 15)"),
    ("doc.a = \"ab\"[2]", {}, "String index 2 out of bounds: only 2 characters in string (line 1, position 14)"),
    ("doc.a = doc.n[0]", {"n": 1}, "Indexing of type 'i64' is not supported (line 1, position 15)"),
    ("doc.a = doc.n.x", {"n": 1},
     "Unknown property 'x' - a getter is not registered for type 'i64' (line 1, position 15)"),
    ("doc.n.x = 1", {"n": 1}, "Unknown property 'x' - a setter is not registered for type 'i64' (line 1, position 7)"),
    ("doc.missing.x = 1", {}, "Unknown property 'x' - a setter is not registered for type '()' (line 1, position 13)"),
    ("context = 1", {}, "Cannot modify constant: context (line 1, position 1)"),
    ("context.a = 1", {}, "Cannot modify constant: context (line 1, position 1)"),
    ("const k = 1; k = 2", {}, "Cannot modify constant: k (line 1, position 14)"),
    ("throw \"stop\"", {}, "Runtime error: stop (line 1, position 1)"),
    ("throw", {}, "Runtime error (line 1, position 1)"),
    ("break", {}, "Break statement should only be used inside a loop"),
    ("parse_int(\"x1\")", {}, "Error parsing integer number 'x1': invalid digit found in string (line 1, position 1)"),
    ("while true { }", {}, "Too many operations (line 1, position 7)"),
])
def test_runtime_errors(source, doc, message):
    if message is None:
        assert run(source, doc) == {**doc, "a": True}
        return
    with pytest.raises(ScriptError) as caught:
        run(source, doc, {"a": 1} if "context" in source else None)
    assert str(caught.value) == message


def test_edit_document_outcomes():
    doc = {"id": 1, "title": "Nemo"}
    program = compile_script("if doc.title == \"Up\" { doc = () } else if doc.id == 1 { doc.seen = true }")
    outcome = edit_document(program, doc, None, "id")
    assert (outcome.document, outcome.changed) == ({"id": 1, "title": "Nemo", "seen": True}, True)
    assert doc == {"id": 1, "title": "Nemo"}  # the stored version is never touched
    gone = edit_document(program, {"id": 2, "title": "Up"}, None, "id")
    assert (gone.document, gone.changed) == (None, True)
    same = edit_document(program, {"id": 3, "title": "Heat"}, None, "id")
    assert (same.document, same.changed) == ({"id": 3, "title": "Heat"}, False)
    same = edit_document(compile_script("doc.title = doc.title"), doc, None, "id")
    assert same.changed is False


@pytest.mark.parametrize("source, code, message", [
    ("doc.id = 2", "edit_documents_by_function_error", "Document editions cannot modify a document's primary key"),
    ("doc.id = \"1\"", None, None),
    ("doc = [1]", "edit_documents_by_function_error", "Document editions must keep documents as objects"),
    ("doc.remove(\"id\")", "missing_document_id", "Document doesn't have a `id` attribute: `{\"title\":\"Nemo\"}`."),
    ("doc.id = 1.5", "invalid_document_id", None),
    ("doc.t = doc.title.len() / 0", "edit_documents_by_function_error",
     "Document edition runtime error encountered while running the function: Division by zero: 4 / 0 "
     "(line 1, position 25)"),
])
def test_edit_document_errors(source, code, message):
    doc = {"id": 1, "title": "Nemo"}
    if code is None:  # the same id written as a string is the same document
        assert edit_document(compile_script(source), doc, None, "id").document == {"id": "1", "title": "Nemo"}
        return
    with pytest.raises(LoupeError) as caught:
        edit_document(compile_script(source), doc, None, "id")
    assert caught.value.code == code
    if message is not None:
        assert caught.value.message == message
