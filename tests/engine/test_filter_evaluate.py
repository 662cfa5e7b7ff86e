"""Facet values and filter evaluation (filters-facets.md §1, §3, §4.3).

Properties proved here:
 1. Facet normalization: lowercase(NFKD(trim)), accents kept as combining marks, 468-byte cut at
    a char boundary; filter numbers parse like Rust's f64; numbers print like Rust's Display.
 2. Flattening: dotted paths, arrays flattened, exists/null/empty only for direct values, null
    inside arrays gives nothing, objects mark existence only, booleans are strings.
 3. Each operator on strings, numbers, arrays, nested fields, missing fields, nulls and empty
    values matches exactly the documents §3.2 says (case-insensitive, accent-sensitive, string
    ranges always evaluated, complements over all documents).
 4. Semantic errors: not filterable (with the pattern list or the "none configured" text),
    operators refused by granular features (multi-line text), `Index `uid`: ` prefix, custom code;
    all fields are checked before any operator.
 5. Geo: radius (haversine, metres), bounding boxes (incl. antimeridian), validation messages.
 6. Random filters over random documents give the same set as a brute-force predicate that reads
    the raw documents (hypothesis).
 7. 5000-clause AND/OR chains and 5000-element IN lists evaluate; returned bitmaps are owned by
    the caller.
"""
from __future__ import annotations

import math

import pytest
from hypothesis import given, settings, strategies as st
from pyroaring import BitMap

from engine.errors import LoupeError
from engine.facets.filterable import FilterableRules
from engine.facets.memory import MemoryFacetSource
from engine.facets.values import facet_number, flatten_facet_values, format_facet_number, normalize_facet_string
from engine.filters import evaluate, parse_filter
from engine.filters.evaluate import haversine_m


# 1 ------------------------------------------------------------------------------------------------
def test_normalize_facet_string():
    assert normalize_facet_string("  Gläss HORROR \n") == "gla\u0308ss horror"
    assert normalize_facet_string("ﬁ") == "fi"  # NFKD compatibility
    assert normalize_facet_string("\x1fA") == "\x1fa"  # Rust's trim keeps control chars that are not White_Space
    cut = normalize_facet_string("é" * 300)  # 600 bytes after NFKD: `e` + U+0301 = 3 bytes each
    assert len(cut.encode()) == 468 and cut == "e\u0301" * 156
    assert len(normalize_facet_string("a" + "€" * 200).encode()) == 466  # never splits a char


@pytest.mark.parametrize("text, number", [
    ("12", 12.0), ("-1.5", -1.5), ("1e3", 1000.0), ("+4", 4.0), ("1.", 1.0), (".5", 0.5), ("1E-2", 0.01),
    ("inf", None), ("NaN", None), ("1e400", None), (" 12", None), ("1_000", None), ("0x10", None),
    ("", None), ("abc", None), ("١٢", None),
])
def test_facet_number_parses_like_rust(text, number):
    assert facet_number(text) == number


@pytest.mark.parametrize("number, text", [
    (2.0, "2"), (4.5, "4.5"), (10.0, "10"), (0.1, "0.1"), (1e21, "1000000000000000000000"), (-0.0, "-0"),
    (1e-7, "0.0000001"), (-160.0, "-160"), (123456.789, "123456.789"),
])
def test_format_facet_number(number, text):
    assert format_facet_number(number) == text


# 2 ------------------------------------------------------------------------------------------------
def test_flatten_facet_values():
    doc = {
        "title": " Blue ", "n": 1, "f": 1.0, "ok": True, "nothing": None, "blank": "", "none": [], "obj": {},
        "doggos": [{"name": "bob", "age": 2}, {"name": "rex", "age": 4, "toys": []}, None, "x", [3, [None, ""]]],
        "nested": {"deep": {"v": None, "e": {}}},
    }
    flat = flatten_facet_values(doc)
    summary = {path: (f.numbers, [s for _, s in f.strings], f.null, f.empty) for path, f in flat.items()}
    assert summary == {
        "title": ([], ["blue"], False, False),
        "n": ([1.0], [], False, False),
        "f": ([1.0], [], False, False),
        "ok": ([], ["true"], False, False),
        "nothing": ([], [], True, False),
        "blank": ([], [], False, True),
        "none": ([], [], False, True),
        "obj": ([], [], False, True),
        "doggos": ([3.0], ["x"], False, False),
        "doggos.name": ([], ["bob", "rex"], False, False),
        "doggos.age": ([2.0, 4.0], [], False, False),
        "doggos.toys": ([], [], False, False),  # `[]` inside an array is not "empty"
        "nested": ([], [], False, False),
        "nested.deep": ([], [], False, False),
        "nested.deep.v": ([], [], True, False),
        "nested.deep.e": ([], [], False, True),
    }
    assert flat["title"].strings == [(" Blue ", "blue")]
    assert all(f.exists for f in flat.values())


# 3 ------------------------------------------------------------------------------------------------
DOCS = [
    {"id": 0, "genre": "Horror", "price": 10, "tags": ["a", "b"], "doggos": [{"name": "bob", "age": 2}, {"name": "rex", "age": 4}]},
    {"id": 1, "genre": "  horror  ", "price": "2000", "tags": [], "title": "Gläss"},
    {"id": 2, "genre": "Comedy", "price": 2.5, "tags": "c", "title": "Glass", "nick": None},
    {"id": 3, "genre": ["comedy", "Drama"], "price": None, "year": "abc", "title": "", "info": {}},
    {"id": 4, "price": [1, "cheap"], "year": 2005, "doggos": {"name": "Bob", "age": 6}, "nick": [None]},
    {"id": 5},
]
SOURCE = MemoryFacetSource(DOCS)
ALL_RULES = FilterableRules(["id", "genre", "price", "tags", "doggos", "title", "year", "nick", "info", "ghost"])


def ids(text, **kwargs):
    return list(evaluate(parse_filter(text, contains_enabled=True), SOURCE, ALL_RULES, **kwargs))


@pytest.mark.parametrize("text, expected", [
    ("genre = horror", [0, 1]),
    ("genre = HORROR", [0, 1]),
    ("genre = '  Horror '", [0, 1]),
    ("genre = comedy", [2, 3]),
    ("genre != comedy", [0, 1, 4, 5]),
    ("title = glass", [2]),
    ("title = gläss", [1]),
    ("price = 10", [0]),
    ("price = 10.0", [0]),
    ("price = 1e1", [0]),
    ("price = 2000", [1]),
    ("price = cheap", [4]),
    ("tags = a", [0]),
    ("tags != a", [1, 2, 3, 4, 5]),
    ("tags IN [a, c]", [0, 2]),
    ("tags IN []", []),
    ("tags NOT IN [a, c]", [1, 3, 4, 5]),
    ("price > 5", [0, 4]),           # 10 numerically, "cheap" > "5" as a string ("2000" < "5")
    ("price < 5", [1, 2, 4]),        # 2.5 and 1 numerically, "2000" < "5" as a string
    ("price >= 10", [0, 1, 4]),      # "2000" >= "10" and "cheap" >= "10" as strings
    ("price <= 2.5", [2, 4]),         # "2000" > "2.5" bytewise ('0' > '.')
    ("price < inf", [1, 4]),          # only the string range: "2000" < "inf", "cheap" < "inf"
    ("year > 2000", [3, 4]),          # "abc" > "2000" as strings, 2005 > 2000
    ("price 2 TO 10", [0, 2]),        # 2.5, 10 numerically; "2000" > "10" bytewise
    ("price 1 TO 3", [1, 2, 4]),      # "2000" in ["1", "3"] as strings, 2.5 and 1 numerically
    ("genre a TO d", [2, 3]),
    ("doggos.name = bob", [0, 4]),
    ("doggos.name = bob AND doggos.age = 4", [0]),
    ("doggos.age > 3", [0, 4]),
    ("price EXISTS", [0, 1, 2, 3, 4]),
    ("price NOT EXISTS", [5]),
    ("nick EXISTS", [2, 4]),
    ("price IS NULL", [3]),
    ("nick IS NULL", [2]),          # `[null]` is not null
    ("price IS NOT NULL", [0, 1, 2, 4, 5]),
    ("title IS EMPTY", [3]),
    ("tags IS EMPTY", [1]),
    ("info IS EMPTY", [3]),
    ("tags IS NOT EMPTY", [0, 2, 3, 4, 5]),
    ("ghost = 1", []),
    ("ghost NOT EXISTS", [0, 1, 2, 3, 4, 5]),
    ("genre CONTAINS orr", [0, 1]),
    ("genre CONTAINS RAM", [3]),
    ("genre NOT CONTAINS o", [4, 5]),
    ("title CONTAINS 'ä'", [1]),      # composed in the filter, decomposed by NFKD on both sides
    ("genre STARTS WITH ho", [0, 1]),
    ("genre STARTS WITH ''", [0, 1, 2, 3]),
    ("genre NOT STARTS WITH c", [0, 1, 4, 5]),
    ("genre = horror OR price = 2.5", [0, 1, 2]),
    ("NOT (genre = horror OR price = 2.5)", [3, 4, 5]),
    ("genre = horror AND NOT tags EXISTS", []),
    ("id = 1 AND id = 2 AND genre = x", []),
])
def test_operators(text, expected):
    assert ids(text) == expected


def test_none_means_everything_and_results_are_owned():
    assert list(evaluate(None, SOURCE, ALL_RULES)) == [0, 1, 2, 3, 4, 5]
    result = evaluate(parse_filter("nick EXISTS"), SOURCE, ALL_RULES)
    result.add(99)
    assert ids("nick EXISTS") == [2, 4]


# 4 ------------------------------------------------------------------------------------------------
def eval_error(text, rules, **kwargs) -> LoupeError:
    with pytest.raises(LoupeError) as info:
        evaluate(parse_filter(text), SOURCE, rules, **kwargs)
    return info.value


def test_not_filterable():
    err = eval_error("title = Glass AND many = Glass", FilterableRules(["title", "genre", {"attributePatterns": ["g*"]}]),
                     index_uid="movies")
    assert (err.code, err.message) == ("invalid_search_filter", "Index `movies`: Attribute `many` is not filterable. "
                                       "Available filterable attribute patterns are: `g*`, `genre`, `title`.\n19:23 title = Glass AND many = Glass")
    err = eval_error("many = Glass", FilterableRules([]), code="invalid_document_filter")
    assert (err.code, err.message) == ("invalid_document_filter", "Attribute `many` is not filterable. "
                                       "This index does not have configured filterable attributes.\n1:5 many = Glass")


GRANULAR = FilterableRules([
    {"attributePatterns": ["doggos.*"]},
    {"attributePatterns": ["price"], "features": {"filter": {"equality": False, "comparison": True}}},
    {"attributePatterns": ["off"], "features": {"filter": {"equality": False, "comparison": False}}},
])


def test_operator_not_allowed_by_granular_features():
    err = eval_error("doggos.age > 2", GRANULAR, index_uid="dogs")
    assert err.message == (
        "Index `dogs`: Filter operator `>` is not allowed for the attribute `doggos.age`.\n"
        "  - Note: allowed operators: OR, AND, NOT, =, !=, IN, IS EMPTY, IS NULL, EXISTS.\n"
        "  - Note: field `doggos.age` matched rule #0 in `filterableAttributes`\n"
        "  - Hint: enable comparison in rule #0 by modifying the features.filter object\n"
        "  - Hint: prepend another rule matching `doggos.age` with appropriate filter features before rule #0\n"
        "1:11 doggos.age > 2"
    )
    err = eval_error("price NOT IN [1]", GRANULAR)
    assert err.message == (
        "Filter operator `IN` is not allowed for the attribute `price`.\n"
        "  - Note: allowed operators: OR, AND, NOT, <, >, <=, >=, TO, IS EMPTY, IS NULL, EXISTS.\n"
        "  - Note: field `price` matched rule #1 in `filterableAttributes`\n"
        "  - Hint: enable equality in rule #1 by modifying the features.filter object\n"
        "  - Hint: prepend another rule matching `price` with appropriate filter features before rule #1\n"
        "1:6 price NOT IN [1]"
    )
    assert eval_error("doggos.age 1 TO 2", GRANULAR).message.startswith("Filter operator `TO` is not allowed")
    assert eval_error("price != 2", GRANULAR).message.startswith("Filter operator `!=` is not allowed")
    # EXISTS / IS NULL / IS EMPTY only need the field to be filterable
    assert list(evaluate(parse_filter("price EXISTS AND doggos.age IS NOT NULL"), SOURCE, GRANULAR)) == [0, 1, 2, 3, 4]
    assert list(evaluate(parse_filter("price 1 TO 3"), SOURCE, GRANULAR)) == [1, 2, 4]


def test_all_fields_are_checked_before_operators():
    err = eval_error("doggos.age > 2 OR off = 1", GRANULAR)
    assert err.message.startswith("Attribute `off` is not filterable. Available filterable attribute patterns are: `doggos.*`, `price`.")


# 5 ------------------------------------------------------------------------------------------------
PLACES = [
    {"name": "paris", "_geo": {"lat": 48.8566, "lng": 2.3522}},
    {"name": "lyon", "_geo": {"lat": "45.764", "lng": "4.8357"}},
    {"name": "fiji", "_geo": {"lat": -17.7134, "lng": 178.065}},
    {"name": "samoa", "_geo": {"lat": -13.759, "lng": -172.1046}},
    {"name": "nowhere"},
]
GEO_SOURCE = MemoryFacetSource(PLACES)
GEO_RULES = FilterableRules(["_geo", "name"])


def geo_ids(text, rules=GEO_RULES):
    return list(evaluate(parse_filter(text), GEO_SOURCE, rules))


def test_haversine():
    assert haversine_m(48.8566, 2.3522, [45.764], [4.8357])[0] == pytest.approx(391_500, rel=1e-3)
    assert haversine_m(0, 0, [0], [1])[0] == round(2 * math.pi * 6_371_000 / 360, 3)


def test_geo_radius_and_bounding_box():
    assert geo_ids("_geoRadius(48.8566, 2.3522, 0)") == [0]
    assert geo_ids("_geoRadius(48.8566, 2.3522, 390000)") == [0]
    assert geo_ids("_geoRadius(48.8566, 2.3522, 400000, 50)") == [0, 1]
    assert geo_ids("NOT _geoRadius(48.8566, 2.3522, 400000)") == [2, 3, 4]
    assert geo_ids("_geoBoundingBox([50, 5], [45, 2])") == [0, 1]
    assert geo_ids("_geoBoundingBox([0, -170], [-20, 170])") == [2, 3]  # crosses the antimeridian
    assert geo_ids("_geoBoundingBox([0, 180], [-20, 170])") == [2]
    assert geo_ids("_geoRadius(48.8566, 2.3522, 400000) AND name = lyon") == [1]


@pytest.mark.parametrize("text, message", [
    ("_geoRadius(100, 2, 3)", "Bad latitude `100`. Latitude must be contained between -90 and 90 degrees.\n12:15 _geoRadius(100, 2, 3)"),
    ("_geoRadius(1, 190.5, 3)", "Bad longitude `190.5`. Longitude must be contained between -180 and 180 degrees. "
                                "Hint: try using `-169.5` instead.\n15:20 _geoRadius(1, 190.5, 3)"),
    ("_geoRadius(1, -540, 3)", "Bad longitude `-540`. Longitude must be contained between -180 and 180 degrees. "
                               "Hint: try using `-180` instead.\n15:19 _geoRadius(1, -540, 3)"),
    ("_geoRadius(1, 2, 3, 2)", "Invalid resolution `2`. Resolution must be between 3 and 1000.\n21:22 _geoRadius(1, 2, 3, 2)"),
    ("_geoRadius(1, 2, 3, 1001)", "Invalid resolution `1001`. Resolution must be between 3 and 1000.\n21:25 _geoRadius(1, 2, 3, 1001)"),
    ("_geoBoundingBox([1, 2], [3, 4])", "The top latitude `1` is below the bottom latitude `3`.\n18:19 _geoBoundingBox([1, 2], [3, 4])"),
    ("_geoBoundingBox([1, 2], [-91, 4])", "Bad latitude `-91`. Latitude must be contained between -90 and 90 degrees.\n26:29 _geoBoundingBox([1, 2], [-91, 4])"),
    ("_geoRadius(1e400, 2, 3)", "Non finite floats are not supported\n12:17 _geoRadius(1e400, 2, 3)"),
])
def test_geo_validation(text, message):
    err = eval_error(text, GEO_RULES)
    assert (err.code, err.message) == ("invalid_search_filter", message)


def test_geo_needs_filterable_geo_fields():
    err = eval_error("_geoRadius(1, 2, 3)", FilterableRules(["name"]), index_uid="places")
    # milli names both fields `_geoRadius` can read (`_geo` or `_geojson` filterable would do)
    assert err.message == ("Index `places`: Attribute `_geo/_geojson` is not filterable. Available filterable "
                           "attribute patterns are: `name`.\n12:13 _geoRadius(1, 2, 3)")
    err = eval_error("_geoPolygon([1, 2], [3, 4], [5, 6])", GEO_RULES)
    assert err.message == ("Attribute `_geojson` is not filterable. Available filterable attribute patterns are: "
                           "`_geo`, `name`.\n14:15 _geoPolygon([1, 2], [3, 4], [5, 6])")
    # `_geo` listed only as a granular pattern does not enable geo filtering
    assert eval_error("_geoRadius(1, 2, 3)", FilterableRules([{"attributePatterns": ["_geo"]}])).message.startswith(
        "Attribute `_geo/_geojson` is not filterable.")


# 6 ------------------------------------------------------------------------------------------------
LEAF = st.one_of(
    st.integers(-3, 12), st.sampled_from([2.5, -0.5, 1e3]),
    st.sampled_from(["Horror", " horror ", "Gläss", "glass", "10", "2", "", "ab", "abc", "B", "été"]),
    st.booleans(), st.none(),
)
VALUE = st.one_of(LEAF, st.lists(st.one_of(LEAF, st.lists(LEAF, max_size=2)), max_size=3), st.just({}))
DOC = st.fixed_dictionaries({}, optional={
    "a": VALUE, "b": VALUE,
    "c": st.one_of(VALUE, st.fixed_dictionaries({}, optional={"d": VALUE}),
                   st.lists(st.fixed_dictionaries({}, optional={"d": VALUE}), max_size=2)),
})
FIELDS = ["a", "b", "c", "c.d"]
FILTER_VALUES = [("1", "1"), ("2", "2"), ("10", "10"), ("2.5", "2.5"), ("-1", "-1"), ("1e3", "1e3"), ("horror", "horror"),
                 ("HORROR", "HORROR"), ("glass", "glass"), ("'Gläss'", "Gläss"), ("ab", "ab"), ("a", "a"), ("''", ""),
                 ("true", "true"), ("' b '", " b "), ("'été'", "été"), ("inf", "inf")]


def raw_values(doc, path):
    """(numbers, normalized strings, exists, null, empty) of ``path``, read straight from the document."""
    numbers, strings = set(), set()
    state = {"exists": False, "null": False, "empty": False}

    def leaf(value, in_array):
        if isinstance(value, bool):
            strings.add("true" if value else "false")
        elif isinstance(value, (int, float)):
            numbers.add(float(value))
        elif isinstance(value, str) and value:
            strings.add(normalize_facet_string(value))
        elif isinstance(value, list):
            for item in value:
                leaf(item, True)

    def walk(value, parts, in_array):
        if not parts:
            state["exists"] = True
            if not in_array:
                state["null"] |= value is None
                state["empty"] |= value in ("", [], {}) and not isinstance(value, bool)
            leaf(value, in_array)
            return
        if isinstance(value, dict) and parts[0] in value:
            walk(value[parts[0]], parts[1:], in_array)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, (dict, list)):
                    walk(item, parts, True)

    walk(doc, path.split("."), False)
    return numbers, strings, state["exists"], state["null"], state["empty"]


def brute(node, doc) -> bool:
    kind = node[0]
    if kind == "and":
        return brute(node[1], doc) and brute(node[2], doc)
    if kind == "or":
        return brute(node[1], doc) or brute(node[2], doc)
    if kind == "not":
        return not brute(node[1], doc)
    _, field, op, values = node
    numbers, strings, exists, null, empty = raw_values(doc, field)
    raws = [raw for _, raw in values]
    num = [facet_number(r) for r in raws]
    norm = [normalize_facet_string(r) for r in raws]

    def equal(i):
        return (num[i] is not None and num[i] in numbers) or norm[i] in strings

    if op == "=":
        return equal(0)
    if op == "!=":
        return not equal(0)
    if op == "IN":
        return any(equal(i) for i in range(len(raws)))
    if op in (">", ">=", "<", "<="):
        cmp = {">": lambda x, y: x > y, ">=": lambda x, y: x >= y, "<": lambda x, y: x < y, "<=": lambda x, y: x <= y}[op]
        return (num[0] is not None and any(cmp(n, num[0]) for n in numbers)) or any(cmp(s, norm[0]) for s in strings)
    if op == "TO":
        in_numbers = num[0] is not None and num[1] is not None and any(num[0] <= n <= num[1] for n in numbers)
        return in_numbers or any(norm[0] <= s <= norm[1] for s in strings)
    if op == "EXISTS":
        return exists
    if op == "IS NULL":
        return null
    if op == "IS EMPTY":
        return empty
    if op == "CONTAINS":
        return any(norm[0] in s for s in strings)
    if op == "STARTS WITH":
        return exists if not norm[0] else any(s.startswith(norm[0]) for s in strings)
    raise AssertionError(op)


def render(node) -> str:
    kind = node[0]
    if kind in ("and", "or"):
        return f"({render(node[1])} {kind.upper()} {render(node[2])})"
    if kind == "not":
        return f"NOT {render(node[1])}"
    _, field, op, values = node
    texts = [text for text, _ in values]
    if op == "TO":
        return f"{field} {texts[0]} TO {texts[1]}"
    if op == "IN":
        return f"{field} IN [{', '.join(texts)}]"
    if op in ("EXISTS", "IS NULL", "IS EMPTY"):
        return f"{field} {op}"
    return f"{field} {op} {texts[0]}"


@st.composite
def conditions(draw):
    op = draw(st.sampled_from(["=", "!=", ">", ">=", "<", "<=", "TO", "IN", "EXISTS", "IS NULL", "IS EMPTY",
                               "CONTAINS", "STARTS WITH"]))
    count = {"TO": 2, "IN": draw(st.integers(0, 3)), "EXISTS": 0, "IS NULL": 0, "IS EMPTY": 0}.get(op, 1)
    values = tuple(draw(st.sampled_from(FILTER_VALUES)) for _ in range(count))
    return ("cond", draw(st.sampled_from(FIELDS)), op, values)


trees = st.recursive(conditions(), lambda inner: st.one_of(
    st.tuples(st.just("and"), inner, inner), st.tuples(st.just("or"), inner, inner), st.tuples(st.just("not"), inner)),
    max_leaves=6)


@settings(max_examples=400, deadline=None)
@given(st.lists(DOC, max_size=8), trees)
def test_random_filters_match_brute_force(docs, tree):
    source = MemoryFacetSource(docs)
    expected = [i for i, doc in enumerate(docs) if brute(tree, doc)]
    got = list(evaluate(parse_filter(render(tree), contains_enabled=True), source, FilterableRules(["a", "b", "c"])))
    assert got == expected, render(tree)


# 7 ------------------------------------------------------------------------------------------------
def test_thousands_of_clauses_evaluate():
    docs = [{"id": i, "group": i % 7} for i in range(6000)]
    source = MemoryFacetSource(docs)
    rules = FilterableRules(["id", "group"])
    ors = parse_filter(" OR ".join(f"id = {i}" for i in range(0, 10000, 2)))
    assert evaluate(ors, source, rules) == BitMap(range(0, 6000, 2))
    ands = parse_filter(" AND ".join(f"id != {i}" for i in range(5000)))
    assert evaluate(ands, source, rules) == BitMap(range(5000, 6000))
    in_list = parse_filter("id IN [" + ", ".join(str(i) for i in range(1000, 6000)) + "] AND group = 3")
    assert evaluate(in_list, source, rules) == BitMap(i for i in range(1000, 6000) if i % 7 == 3)
    nested = parse_filter(" OR ".join(f"(group = {i % 7} AND NOT id < {i})" for i in range(5000)))
    assert evaluate(nested, source, rules) == BitMap(range(6000))
