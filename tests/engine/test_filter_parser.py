"""The filter parser (filters-facets.md §2, §3.5–§3.7, §4.2).

Properties proved here:
 1. A blank string, None, an empty array or an array of blank strings means "no filter".
 2. Every operator parses to its AST node; negated forms are Not(...) of the positive node.
 3. Precedence is NOT > AND > OR, AND/OR chains are n-ary, NOT NOT x is x.
 4. Values: bare words, single/double quotes, escaped quotes and the general unescaper;
    keywords are case-sensitive whole words; quoted keywords are plain values.
 5. Every syntax error message of §4.2 (and upstream's parser tests) is reproduced to the letter,
    with the `start:end input` position line.
 6. Geo functions: argument validation and reserved `_geo*` names give the exact messages.
 7. Depth limit: 36 nested parentheses and 147 NOTs parse, one more fails with the exact message.
 8. The JSON array form is AND of elements / OR of inner arrays; its type errors are exact.
 9. CONTAINS needs the experimental feature (feature_not_enabled otherwise); so do `_vectors`
    filters (`multimodal`), whose grammar and every syntax error follow upstream's filter-parser.
10. The AND/OR condition-depth limit (2000) raises its exact message.
11. 5000-clause AND/OR chains and 5000-element IN lists parse without recursion errors.
12. Any text at all either parses or raises LoupeError (hypothesis); every randomly generated
    valid expression parses to the expected tree and is accepted by grammar.lark too.
13. Parsed strings are cached; the error code is chosen by the caller.
"""
from __future__ import annotations

import pathlib

import pytest
from hypothesis import given, settings, strategies as st
from lark import Lark

from engine.errors import LoupeError
from engine.filters.ast import And, Condition, GeoBoundingBox, GeoPolygon, GeoRadius, Not, Or, Token, VectorExists
from engine.filters.parser import check_condition_depth, escape_debug, parse_filter, parse_string

OPS = (
    "`=`, `!=`, `>=`, `>`, `<=`, `<`, `IN`, `NOT IN`, `TO`, `EXISTS`, `NOT EXISTS`, `IS NULL`, `IS NOT NULL`, "
    "`IS EMPTY`, `IS NOT EMPTY`, `CONTAINS`, `NOT CONTAINS`, `STARTS WITH`, `NOT STARTS WITH`, `_geoRadius`, "
    "`_geoBoundingBox` or `_geoPolygon`"
)
GEO_RESERVED = (
    "is a reserved keyword and thus can't be used as a filter expression. Use the `_geoRadius(latitude, "
    "longitude, distance)` or `_geoBoundingBox([latitude, longitude], [latitude, longitude])` built-in rules "
    "to filter on `_geo` coordinates."
)


def error_of(value, **kwargs) -> LoupeError:
    with pytest.raises(LoupeError) as info:
        parse_filter(value, **kwargs)
    return info.value


def show(expr) -> str:
    """A compact rendering of a tree, to assert shapes in one line."""
    if isinstance(expr, And):
        return "AND[" + ", ".join(show(c) for c in expr.children) + "]"
    if isinstance(expr, Or):
        return "OR[" + ", ".join(show(c) for c in expr.children) + "]"
    if isinstance(expr, Not):
        return "NOT(" + show(expr.child) + ")"
    if isinstance(expr, Condition):
        values = " ".join("{" + v.value + "}" for v in expr.values)
        return f"{{{expr.field.value}}} {expr.op}" + (f" {values}" if values else "")
    if isinstance(expr, GeoRadius):
        extra = f", {expr.resolution.value}" if expr.resolution else ""
        return f"_geoRadius({expr.lat.value}, {expr.lng.value}, {expr.radius.value}{extra})"
    if isinstance(expr, GeoBoundingBox):
        return f"_geoBoundingBox([{expr.top_right[0].value}, {expr.top_right[1].value}], [{expr.bottom_left[0].value}, {expr.bottom_left[1].value}])"
    if isinstance(expr, GeoPolygon):
        return "_geoPolygon(" + ", ".join(f"[{a.value}, {b.value}]" for a, b in expr.points) + ")"
    raise AssertionError(expr)


# 1 ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", [None, "", "   ", "\n\t ", [], [""], ["  ", []], [[" "]]])
def test_blank_filters_mean_no_filter(value):
    assert parse_filter(value) is None


# 2 ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, shape", [
    ("channel = Ponce", "{channel} = {Ponce}"),
    ("subscribers != 12", "{subscribers} != {12}"),
    ("subscribers > 1000", "{subscribers} > {1000}"),
    ("subscribers >= 1000", "{subscribers} >= {1000}"),
    ("subscribers < 1000", "{subscribers} < {1000}"),
    ("subscribers <= 1000", "{subscribers} <= {1000}"),
    ("subscribers 100 TO 1000", "{subscribers} TO {100} {1000}"),
    ("colour IN[]", "{colour} IN"),
    (" colour IN [  green , blue , ]", "{colour} IN {green} {blue}"),
    ("colour NOT IN[green,blue]", "NOT({colour} IN {green} {blue})"),
    ("subscribers EXISTS", "{subscribers} EXISTS"),
    ("subscribers NOT   EXISTS", "NOT({subscribers} EXISTS)"),
    ("subscribers IS NULL", "{subscribers} IS NULL"),
    ("subscribers  IS   NOT   NULL", "NOT({subscribers} IS NULL)"),
    ("subscribers IS EMPTY", "{subscribers} IS EMPTY"),
    ("subscribers IS NOT EMPTY", "NOT({subscribers} IS EMPTY)"),
    ("subscribers CONTAINS 'hello'", "{subscribers} CONTAINS {hello}"),
    ("subscribers NOT CONTAINS hello", "NOT({subscribers} CONTAINS {hello})"),
    ("subscribers STARTS WITH 'hel'", "{subscribers} STARTS WITH {hel}"),
    ("subscribers NOT STARTS WITH hel", "NOT({subscribers} STARTS WITH {hel})"),
    ("doggos.age >= 2", "{doggos.age} >= {2}"),
    ("_geoRadius(12, 13, 14)", "_geoRadius(12, 13, 14)"),
    ("_geoRadius(12,13,14,200)", "_geoRadius(12, 13, 14, 200)"),
    ("_geoBoundingBox([12, 13], [14, 15])", "_geoBoundingBox([12, 13], [14, 15])"),
    ("_geoPolygon([1, 2], [3, 4], [5, 6],)", "_geoPolygon([1, 2], [3, 4], [5, 6])"),
])
def test_operators(text, shape):
    assert show(parse_filter(text, contains_enabled=True)) == shape


def test_condition_keeps_its_text_spans():
    expr = parse_filter("  title = 'Escape Room'")
    assert (expr.field.start, expr.field.end) == (2, 7)
    assert (expr.values[0].value, expr.values[0].start, expr.values[0].end) == ("Escape Room", 11, 22)
    assert expr.field.source == "  title = 'Escape Room'"


# 3 ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, shape", [
    ("a = 1 AND b = 2 OR c = 3", "OR[AND[{a} = {1}, {b} = {2}], {c} = {3}]"),
    ("a = 1 OR b = 2 AND c = 3 OR d = 4", "OR[{a} = {1}, AND[{b} = {2}, {c} = {3}], {d} = {4}]"),
    ("a = 1 AND (b = 2 OR c = 3)", "AND[{a} = {1}, OR[{b} = {2}, {c} = {3}]]"),
    ("NOT a = 1 AND b = 2", "AND[NOT({a} = {1}), {b} = {2}]"),
    ("NOT NOT NOT NOT x = 5", "{x} = {5}"),
    ("NOT NOT (NOT NOT x = 5)", "{x} = {5}"),
    ("NOT x NOT EXISTS", "{x} EXISTS"),
    ("NOT(x = 1)", "NOT({x} = {1})"),
    ("NOTa = 1", "{NOTa} = {1}"),
    ("a = 1 AND b = 2 AND c = 3", "AND[{a} = {1}, {b} = {2}, {c} = {3}]"),
    ('NOT "OR" EXISTS AND "EXISTS" NOT EXISTS', "AND[NOT({OR} EXISTS), NOT({EXISTS} EXISTS)]"),
])
def test_precedence_and_flattening(text, shape):
    assert show(parse_filter(text)) == shape


# 4 ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, value", [
    ("a = 'Mister Mv'", "Mister Mv"),
    ('a = "Mister Mv"', "Mister Mv"),
    ("a = 'cha\"nnel'", 'cha"nnel'),
    ("a = \"I'm tamo\"", "I'm tamo"),
    (r"a = 'Hello \'world\''", "Hello 'world'"),
    (r'a = "Hello \"world\""', 'Hello "world"'),
    (r"a = 'foo\\'", "foo\\"),
    (r"a = 'foo\\\\'", "foo\\\\"),
    (r"""monitor = '27" to 30\''""", "27\" to 30'"),
    (r"""a = 'foo\x20\n\t\"\'"'""", "foo \n\t\"'\""),
    (r"a = 'caf\u{e9}'", "café"),
    ("a = I-love-kebab", "I-love-kebab"),
    ("a = .private", ".private"),
    ("a = 'AND'", "AND"),
    ("a = ''", ""),
    ("a = 12.5e3", "12.5e3"),
])
def test_values(text, value):
    assert parse_filter(text).values[0].value == value


def test_keywords_are_case_sensitive():
    assert show(parse_filter("and = or")) == "{and} = {or}"


# 5 ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, message", [
    ("title & Glass", f"Was expecting an operation {OPS} at `title & Glass`.\n1:14 title & Glass"),
    ("title = Glass XOR title = Glass",
     "Found unexpected characters at the end of the filter: `XOR title = Glass`. You probably forgot an `OR` or an "
     "`AND` rule.\n15:32 title = Glass XOR title = Glass"),
    ("title =", "Was expecting a value but instead got nothing.\n8:8 title ="),
    ("channel =    ", "Was expecting a value but instead got nothing.\n14:14 channel =    "),
    ("AND = 1", "Was expecting a value but instead got `AND`, which is a reserved keyword. To use `AND` as a field "
                "name or a value, surround it by quotes.\n1:4 AND = 1"),
    ("x = EXISTS", "Was expecting a value but instead got `EXISTS`, which is a reserved keyword. To use `EXISTS` as a "
                   "field name or a value, surround it by quotes.\n5:11 x = EXISTS"),
    ("OR", "Was expecting a value but instead got `OR`, which is a reserved keyword. To use `OR` as a field name "
           "or a value, surround it by quotes.\n1:3 OR"),
    ("NOT OR EXISTS AND EXISTS NOT EXISTS",
     "Was expecting a value but instead got `OR`, which is a reserved keyword. To use `OR` as a field name or a "
     "value, surround it by quotes.\n5:7 NOT OR EXISTS AND EXISTS NOT EXISTS"),
    ("(a = 1", "Expression `(a = 1` is missing the following closing delimiter: `)`.\n1:7 (a = 1"),
    ("channel = mv OR (followers >= 1000",
     "Expression `(followers >= 1000` is missing the following closing delimiter: `)`.\n17:35 channel = mv OR (followers >= 1000"),
    ("a = 'x", "Expression `\\'x` is missing the following closing delimiter: `'`.\n5:7 a = 'x"),
    ('channel = "ponce', 'Expression `\\"ponce` is missing the following closing delimiter: `"`.\n11:17 channel = "ponce'),
    ("a IN b", "Expected `[` after `IN` keyword.\n6:7 a IN b"),
    ("colour IN blue, green]", "Expected `[` after `IN` keyword.\n11:23 colour IN blue, green]"),
    ("a IN [b", "Expected matching `]` after the list of field names given to `IN[`\n8:8 a IN [b"),
    ("colour IN [blue, green", "Expected matching `]` after the list of field names given to `IN[`\n23:23 colour IN [blue, green"),
    ("a IN [b c]", "Expected only comma-separated field names inside `IN[..]` but instead found `c]`.\n9:11 a IN [b c]"),
    ("colour IN [blue, green, 'blue' > 2]",
     "Expected only comma-separated field names inside `IN[..]` but instead found `> 2]`.\n32:36 colour IN [blue, green, 'blue' > 2]"),
    ("colour IN [blue, green, AND]",
     "Expected only comma-separated field names inside `IN[..]` but instead found `AND]`.\n25:29 colour IN [blue, green, AND]"),
    ("colour IN ['blue, green",
     "Expression `\\'blue, green` is missing the following closing delimiter: `'`.\n12:24 colour IN ['blue, green"),
    ("channel = Ponce = 12",
     "Found unexpected characters at the end of the filter: `= 12`. You probably forgot an `OR` or an `AND` rule.\n17:21 channel = Ponce = 12"),
    ("channel = mv OR followers >= 1000)",
     "Found unexpected characters at the end of the filter: `)`. You probably forgot an `OR` or an `AND` rule.\n34:35 channel = mv OR followers >= 1000)"),
    ("channel = ponce ORdog != 'bernese mountain'",
     "Found unexpected characters at the end of the filter: `ORdog != \\'bernese mountain\\'`. You probably forgot an "
     "`OR` or an `AND` rule.\n17:44 channel = ponce ORdog != 'bernese mountain'"),
    ("channel = 🐻", "Was expecting a value but instead got `🐻`.\n11:12 channel = 🐻"),
    ("channel = 🐻 AND followers < 100", "Was expecting a value but instead got `🐻`.\n11:12 channel = 🐻 AND followers < 100"),
    ("'OR'", f"Was expecting an operation {OPS} at `\\'OR\\'`.\n1:5 'OR'"),
    ("channel Ponce", f"Was expecting an operation {OPS} at `channel Ponce`.\n1:14 channel Ponce"),
    ("channel = Ponce OR", f"Was expecting an operation {OPS} but instead got nothing.\n19:19 channel = Ponce OR"),
    ("colour NOT EXIST", f"Was expecting an operation {OPS} at `colour NOT EXIST`.\n1:17 colour NOT EXIST"),
    ("subscribers 100 TO1000", f"Was expecting an operation {OPS} at `subscribers 100 TO1000`.\n1:23 subscribers 100 TO1000"),
    ("value NULL", f"Was expecting an operation {OPS} at `value NULL`.\n1:11 value NULL"),
    ("value IS NOT EXISTS", f"Was expecting an operation {OPS} at `value IS NOT EXISTS`.\n1:20 value IS NOT EXISTS"),
    # columns count from the start of the line
    ("a = 1 AND\n(b", f"Was expecting an operation {OPS} at `b`.\n2:3 a = 1 AND\n(b"),
    ("a = 'x\\q'", "Malformed value: `x\\\\q`.\n6:9 a = 'x\\q'"),
    ("a = 'x\\x4g'", "Found an invalid escaped sequence number: `x\\\\x4g`.\n6:11 a = 'x\\x4g'"),
])
def test_syntax_error_messages(text, message):
    err = error_of(text)
    assert (err.code, err.message) == ("invalid_search_filter", message)


def test_escape_debug_matches_rust():
    assert escape_debug("a'b\"c\\d\ne\tf\u00a0") == "a\\'b\\\"c\\\\d\\ne\\tf\\u{a0}"


# 6 ------------------------------------------------------------------------------------------------
GEO_RADIUS_FORM = "The `_geoRadius` filter must be in the form: `_geoRadius(latitude, longitude, radius, optionalResolution)`."
GEO_BBOX_FORM = ("The `_geoBoundingBox` filter expects two pairs of arguments: `_geoBoundingBox([latitude, longitude], "
                 "[latitude, longitude])`.")


@pytest.mark.parametrize("text, message", [
    ("_geoRadius", f"{GEO_RADIUS_FORM}\n1:11 _geoRadius"),
    ("_geoRadius = 12", f"{GEO_RADIUS_FORM}\n1:16 _geoRadius = 12"),
    ("_geoRadius (1, 2, 3)", f"{GEO_RADIUS_FORM}\n1:21 _geoRadius (1, 2, 3)"),
    ("_geoRadius(1, a, 3)", f"{GEO_RADIUS_FORM}\n1:20 _geoRadius(1, a, 3)"),
    ("_geoRadius(1,2)", "Was expecting 3 or 4 arguments for `_geoRadius`, but instead found 2.\n16:16 _geoRadius(1,2)"),
    ("_geoRadius(1,2,3,4,5)", "Was expecting 3 or 4 arguments for `_geoRadius`, but instead found 5.\n22:22 _geoRadius(1,2,3,4,5)"),
    ("_geoBoundingBox", f"{GEO_BBOX_FORM}\n1:16 _geoBoundingBox"),
    ("_geoBoundingBox = 12", f"{GEO_BBOX_FORM}\n1:21 _geoBoundingBox = 12"),
    ("_geoBoundingBox(1.0, 1.0)", f"{GEO_BBOX_FORM}\n1:26 _geoBoundingBox(1.0, 1.0)"),
    ("_geoBoundingBox([1, 2], [3, 4], [5, 6])", f"{GEO_BBOX_FORM}\n40:40 _geoBoundingBox([1, 2], [3, 4], [5, 6])"),
    ("_geoBoundingBox([1, 2, 3], [4, 5])", "Was expecting 2 coordinates but instead found 3.\n18:25 _geoBoundingBox([1, 2, 3], [4, 5])"),
    ("_geoPolygon([1, 2], [3, 4])",
     "The `_geoPolygon` filter expects at least 3 points but only 2 were specified\n28:28 _geoPolygon([1, 2], [3, 4])"),
    ("_geoPolygon(1, 2)",
     "The `_geoPolygon` filter doesn't match the expected format: `_geoPolygon([latitude, longitude], [latitude, "
     "longitude])`.\n1:18 _geoPolygon(1, 2)"),
    ("_geoPoint(12, 13, 14)", f"`_geoPoint` {GEO_RESERVED}\n1:22 _geoPoint(12, 13, 14)"),
    ("position <= _geoPoint(12, 13, 14)", f"`_geoPoint` {GEO_RESERVED}\n13:34 position <= _geoPoint(12, 13, 14)"),
    ("_geoDistance(12, 13, 14)", f"`_geoDistance` {GEO_RESERVED}\n1:25 _geoDistance(12, 13, 14)"),
    ("_geo(12, 13, 14)", f"`_geo` {GEO_RESERVED}\n1:17 _geo(12, 13, 14)"),
    ("_geo = x", f"`_geo` {GEO_RESERVED}\n1:9 _geo = x"),
    ("_geoDistance = x", f"`_geoDistance` {GEO_RESERVED}\n1:17 _geoDistance = x"),
    ("_geoPoint = x", f"`_geoPoint` {GEO_RESERVED}\n1:14 _geoPoint = x"),
    ("position <= _geoRadius(12, 13, 14)",
     "The `_geoRadius` filter is an operation and can't be used as a value.\n13:35 position <= _geoRadius(12, 13, 14)"),
    ("a = _geoBoundingBox([1,2],[3,4])",
     "The `_geoBoundingBox` filter is an operation and can't be used as a value.\n5:33 a = _geoBoundingBox([1,2],[3,4])"),
])
def test_geo_syntax_errors(text, message):
    err = error_of(text)
    assert (err.code, err.message) == ("invalid_search_filter", message)


# 7 ------------------------------------------------------------------------------------------------
DEPTH = "The filter exceeded the maximum depth limit. Try rewriting the filter so that it contains fewer nested conditions."


def test_parenthesis_depth_limit():
    assert show(parse_filter("(" * 36 + "x = 1" + ")" * 36)) == "{x} = {1}"
    text = "(" * 37 + "x = 1" + ")" * 37
    assert error_of(text).message == f"{DEPTH}\n38:80 {text}"


def test_not_depth_limit():
    assert show(parse_filter("NOT " * 147 + "x = 1")) == "NOT({x} = {1})"
    text = "NOT " * 148 + "x = 1"
    assert error_of(text).message == f"{DEPTH}\n593:598 {text}"


# 8 ------------------------------------------------------------------------------------------------
def test_array_form_combines_with_and_and_or():
    expr = parse_filter(["genre = horror", ["director = 'Jordan Peele'", "director = Carpenter"], "", ["a = 1"], []])
    assert show(expr) == "AND[{genre} = {horror}, OR[{director} = {Jordan Peele}, {director} = {Carpenter}], {a} = {1}]"
    assert show(parse_filter(["a = 1"])) == "{a} = {1}"


def test_array_form_errors_point_into_their_own_string():
    assert error_of(["a = 1", ["b ="]]).message == "Was expecting a value but instead got nothing.\n4:4 b ="


@pytest.mark.parametrize("value, message", [
    (12, "Invalid syntax for the filter parameter: `expected String, Array, found: 12`."),
    ({"a": 1}, 'Invalid syntax for the filter parameter: `expected String, Array, found: {"a":1}`.'),
    (True, "Invalid syntax for the filter parameter: `expected String, Array, found: true`."),
    (["a = 1", 3], "Invalid syntax for the filter parameter: `expected String, [String], found: 3`."),
    (["a = 1", None], "Invalid syntax for the filter parameter: `expected String, [String], found: null`."),
    ([["a = 1", ["b = 2"]]], 'Invalid syntax for the filter parameter: `expected String, found: ["b = 2"]`.'),
    (["a = ", [1.5]], "Invalid syntax for the filter parameter: `expected String, found: 1.5`."),
])
def test_array_form_type_errors(value, message):
    err = error_of(value, code="invalid_document_filter")
    assert (err.code, err.message) == ("invalid_document_filter", message)


# 9 ------------------------------------------------------------------------------------------------
def test_contains_needs_the_experimental_feature():
    err = error_of("a = 1 OR b NOT CONTAINS c")
    assert err.code == "feature_not_enabled"
    assert err.message == (
        "Using `CONTAINS` in a filter requires enabling the `contains filter` experimental feature. "
        "See https://github.com/orgs/meilisearch/discussions/763\n16:24 a = 1 OR b NOT CONTAINS c"
    )
    assert show(parse_filter("a STARTS WITH b")) == "{a} STARTS WITH {b}"


VECTOR_GATE = ("using a vector filter requires enabling the `multimodal` experimental feature. "
               "See https://github.com/orgs/meilisearch/discussions/846")


def test_vector_filters_need_the_multimodal_feature():
    err = error_of("a = 1 OR _vectors.default EXISTS")
    assert err.code == "feature_not_enabled"
    assert err.message == f"{VECTOR_GATE}\n10:18 a = 1 OR _vectors.default EXISTS"
    # CONTAINS is reported first, whatever the order in the filter
    assert error_of("_vectors EXISTS AND b CONTAINS c").message.startswith("Using `CONTAINS`")
    assert error_of("_vectors EXISTS AND b CONTAINS c", contains_enabled=True).message == (
        f"{VECTOR_GATE}\n1:9 _vectors EXISTS AND b CONTAINS c")
    # quoted, or glued to an operator, `_vectors` is an ordinary field name
    assert show(parse_filter("'_vectors' = 1")) == "{_vectors} = {1}"
    assert show(parse_filter("_vectors=1")) == "{_vectors} = {1}"


def vector(text: str):
    return parse_filter(text, multimodal_enabled=True)


@pytest.mark.parametrize("text, embedder, kind, fragment, negated", [
    ("_vectors EXISTS", None, "", None, False),
    ("  _vectors NOT  EXISTS", None, "", None, True),
    ("_vectors.rest EXISTS", "rest", "", None, False),
    ("_vectors.rest.userProvided NOT EXISTS", "rest", "userProvided", None, True),
    ("_vectors.rest.documentTemplate EXISTS", "rest", "documentTemplate", None, False),
    ("_vectors.rest.regenerate EXISTS", "rest", "regenerate", None, False),
    ("NOT _vectors.rest.fragments.withBreed EXISTS", "rest", "fragments", "withBreed", True),
    ("_vectors.\"my.embedder\".fragments.'a b' EXISTS", "my.embedder", "fragments", "a b", False),
    ("_vectors.userProvided EXISTS", "userProvided", "", None, False),
])
def test_vector_filter_shapes(text, embedder, kind, fragment, negated):
    expr = vector(text)
    if negated:
        assert isinstance(expr, Not)
        expr = expr.child
    assert isinstance(expr, VectorExists)
    assert (expr.fid.value, expr.embedder and expr.embedder.value, expr.kind, expr.fragment and expr.fragment.value) \
        == ("_vectors", embedder, kind, fragment)


@pytest.mark.parametrize("text, message", [
    ("_vectors = 1", "Was expecting an operation like `EXISTS` or `NOT EXISTS` after the vector filter.\n10:13"),
    ("_vectors.rest foo", "Was expecting an operation like `EXISTS` or `NOT EXISTS` after the vector filter.\n15:18"),
    ("_vectors.rest.fragments EXISTS", "The vector filter is missing a fragment name.\n24:31"),
    ("_vectors. EXISTS", "Was expecting embedder name but found nothing.\n10:11"),
    ("_vectors.=1", "The vector filter's embedder name is invalid.\n10:12"),
    ("_vectors.rest.fragments.= EXISTS", "The vector filter's fragment name is invalid.\n25:33"),
    ("_vectors.'rest EXISTS", "The quotes in one of the values are inconsistent.\n10:22"),
    ("_vectors.rest=1", "The vector filter has leftover tokens.\n14:16"),
    ("_vectors.rest. EXISTS", "Was expecting one of `.fragments`, `.userProvided`, `.documentTemplate`, `.regenerate` "
                              "or nothing, but instead found a point without a valid value.\n14:15"),
    ('_vectors.rest."userProvided" EXISTS', "Was expecting this part to be unquoted.\n16:28"),
    ("_vectors.rest.userProvdied EXISTS", "Was expecting one of `fragments`, `userProvided`, `documentTemplate`, "
                                          "`regenerate` or nothing, but instead found `userProvdied`. Did you mean "
                                          "`userProvided`?\n15:27"),
    ("_vectors.rest.other EXISTS", "Was expecting one of `fragments`, `userProvided`, `documentTemplate`, "
                                   "`regenerate` or nothing, but instead found `other`.\n15:20"),
    ("_vectors.rest.fragments.a.regenerate EXISTS", "Vector filter can only accept one of `fragments`, `userProvided`, "
                                                    "`documentTemplate` or `regenerate`, but found both `fragments` "
                                                    "and `regenerate`.\n27:37"),
])
def test_vector_filter_syntax_errors(text, message):
    for enabled in (True, False):  # syntax comes before the feature gate
        err = error_of(text, multimodal_enabled=enabled)
        assert (err.code, err.message) == ("invalid_search_filter", f"{message} {text}")


# 10 -----------------------------------------------------------------------------------------------
def test_condition_depth_limit():
    source = "deep = 1"
    leaf = Condition(Token("deep", 0, 4, source), "=", (Token("1", 7, 8, source),))
    expr = leaf
    for level in range(2000):
        expr = (And if level % 2 else Or)((expr, leaf))
    with pytest.raises(LoupeError) as info:
        check_condition_depth(expr)
    assert info.value.message == "Too many filter conditions, can't process more than 2000 filters.\n1:5 deep = 1"
    check_condition_depth(expr.children[0])  # 1999 levels are fine


# 11 -----------------------------------------------------------------------------------------------
def test_thousands_of_clauses():
    chain = " AND ".join(f"f{i} = {i}" for i in range(5000))
    expr = parse_filter(chain)
    assert isinstance(expr, And) and len(expr.children) == 5000
    mixed = " OR ".join(f"(a = {i} AND b != {i})" for i in range(5000))
    expr = parse_filter(mixed)
    assert isinstance(expr, Or) and len(expr.children) == 5000
    values = parse_filter("id IN [" + ", ".join(str(i) for i in range(5000)) + "]").values
    assert [v.value for v in values] == [str(i) for i in range(5000)]


# 12 -----------------------------------------------------------------------------------------------
GRAMMAR = Lark((pathlib.Path(__file__).parents[2] / "engine/filters/grammar.lark").read_text(), parser="lalr")

alphabet = st.sampled_from(list("ab =!<>()[],'\"\\_.-0123456789 \t\né🐻") + [
    "AND", "OR", "NOT", "IN", "TO", "EXISTS", "IS", "NULL", "EMPTY", "CONTAINS", "STARTS WITH", "_geo",
    "_geoRadius(", "_geoBoundingBox(", "_geoPolygon(", "_geoPoint(", "1e", "\\u{", "\\x"])


@settings(max_examples=600, deadline=None)
@given(st.lists(alphabet, max_size=30).map("".join))
def test_any_text_parses_or_raises_loupe_error(text):
    try:
        parse_filter(text, contains_enabled=True)
    except LoupeError as err:
        assert err.code in ("invalid_search_filter", "feature_not_enabled")
        assert "\n" in err.message


names = st.sampled_from(["title", "doggos.age", "_id", "a-b", "x1", "'quoted name'", '"AND"'])
plain_values = st.sampled_from(["1", "-2.5", "1e3", "horror", "'Escape Room'", '"27\\" monitor"', "'IN'", "x.y"])


@st.composite
def condition_texts(draw):
    field, v1, v2 = draw(names), draw(plain_values), draw(plain_values)
    form = draw(st.sampled_from([
        "{f} = {a}", "{f} != {a}", "{f} > {a}", "{f} >= {a}", "{f} < {a}", "{f} <= {a}", "{f} {a} TO {b}",
        "{f} IN [{a}, {b}]", "{f} NOT IN [{a},]", "{f} EXISTS", "{f} NOT EXISTS", "{f} IS NULL",
        "{f} IS NOT NULL", "{f} IS EMPTY", "{f} IS NOT EMPTY", "{f} CONTAINS {a}", "{f} NOT CONTAINS {a}",
        "{f} STARTS WITH {a}", "{f} NOT STARTS WITH {a}", "_geoRadius(1, 2.5, 300)",
        "_geoBoundingBox([10, 20], [-10, -20])", "_geoPolygon([0, 0], [1, 1], [0, 1])",
    ]))
    return form.format(f=field, a=v1, b=v2)


expressions = st.recursive(
    condition_texts(),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from([" AND ", " OR "]), inner).map("".join),
        inner.map(lambda e: f"NOT {e}"),
        inner.map(lambda e: f"( {e} )"),
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(expressions)
def test_valid_expressions_parse_and_match_the_grammar(text):
    assert parse_filter(text, contains_enabled=True) is not None
    GRAMMAR.parse(text)


# 13 -----------------------------------------------------------------------------------------------
def test_parses_are_cached_and_codes_are_chosen_by_caller():
    assert parse_string("cached = 1") is parse_string("cached = 1")
    assert error_of("a =", code="invalid_similar_filter").code == "invalid_similar_filter"
    assert error_of("a =", code="invalid_document_filter").code == "invalid_document_filter"
