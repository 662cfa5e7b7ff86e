"""Request/response templates (milli ``json_template/injectable_value.rs``), on their own.

Properties:
1. Injection writes values where the placeholder is, repeating the first array item per value.
2. Every malformed template is refused with upstream's wording and path.
3. Extraction failures say where, in which operation, and what was found.
"""
from __future__ import annotations

import pytest

from engine.embedders.json_template import (
    ExtractionError,
    InjectableValue,
    TemplateParseError,
    to_embedding,
)


def template(value, placeholder="{{text}}"):
    return InjectableValue(value, placeholder, "{{..}}")


# 1 ------------------------------------------------------------------------------------------------

def test_inject_single_and_repeated():
    assert template({"a": ["x", "{{text}}"], "b": None}).inject(["hi", "ignored"]) == {"a": ["x", "hi"], "b": None}
    repeated = template({"t": "text", "l": [{"type": "text", "data": "{{text}}"}, "{{..}}"]})
    assert repeated.has_array_value
    assert repeated.inject(["a", "b"]) == {
        "t": "text", "l": [{"type": "text", "data": "a"}, {"type": "text", "data": "b"}],
    }
    assert repeated.template["l"][0]["data"] == "{{text}}"  # the template itself is untouched


# 2 ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"toto": "no", "titi": ["a"]}, 'in `request`: "{{text}}" not found'),
        ({"toto": "{{text}}", "titi": ["x", "{{text}}"]},
         'in `request.titi[1]`: Found "{{text}}", but it was already present in `request.toto`'),
        ({"a": "{{..}}"}, 'in `request.a`: "{{..}}" appears outside of an array'),
        ({"a": ["{{text}}", "x", "{{..}}"]}, 'in `request.a`: "{{..}}" expected at position #1, but found at position #2'),
        ({"a": [{"x": 1}, "{{..}}"]}, 'in `request.a[0]`: Expected "{{text}}" inside of the repeated value'),
        ({"a": [["{{text}}", "{{..}}"], "{{..}}"]},
         'in `request.a`: "{{..}}" appears nested inside of a value that is itself repeated'),
        ({"a": ["{{text}}", "{{..}}"], "b": ["{{text}}", "{{..}}"]},
         'in `request.b`: Found "{{..}}", but it was already present in `request.a`'),
        ({"a": ["{{text}}", "{{..}}"], "b": "{{text}}"},
         'in `request.b`: Found "{{text}}", but it was already present in `request.a[0]` (repeated)'),
    ],
)
def test_parse_errors(value, message):
    with pytest.raises(TemplateParseError) as caught:
        template(value)
    assert caught.value.message("request", "{{text}}", "{{..}}") == message


# 3 ------------------------------------------------------------------------------------------------

def extraction_error(response_template, answer):
    with pytest.raises(ExtractionError) as caught:
        template(response_template, "{{embedding}}").extract(answer, to_embedding)
    return caught.value.message("response", "{{embedding}}", "an array of numbers")


def test_extract_nested_arrays():
    response = template({"out": [[{"v": "{{embedding}}"}], 0]}, "{{embedding}}")
    assert response.extract({"out": [[{"v": [1, 2.5]}], 0]}, to_embedding) == [[1.0, 2.5]]


def test_missing_array_item():
    assert extraction_error({"out": [["{{embedding}}"]]}, {"out": [[]]}) == (
        'in `response.out[0]`, while extracting a single "{{embedding}}", configuration expects item #0, '
        "which is missing in response"
    )


def test_wrong_component_in_nested_array():
    assert extraction_error({"out": [["{{embedding}}"]]}, {"out": ["flat"]}) == (
        'in `response.out[0]`, while extracting a single "{{embedding}}", configuration expects item #0 inside '
        '`out` to be an array with at least 1 item(s) but server sent "flat"'
    )


def test_item_of_the_repeated_array():
    assert extraction_error({"d": [{"e": "{{embedding}}"}, "{{..}}"]}, {"d": [{"e": [1]}, {"f": [2]}]}) == (
        'in `response`, while extracting item #1 from the array of "{{embedding}}"s, configuration expects '
        'key "e", which is missing in response\n'
        "  - Hint: `response` has key `f`, did you mean `response.f` in embedder configuration?"
    )


@pytest.mark.parametrize(
    ("value", "serde"),
    [
        (None, "invalid type: null, expected a sequence"),
        ({"a": 1}, "invalid type: map, expected a sequence"),
        (3, "invalid type: integer `3`, expected a sequence"),
        ([1, True], "invalid type: boolean `true`, expected f32"),
        ([1, None], "invalid type: null, expected f32"),
    ],
)
def test_not_an_array_of_numbers(value, serde):
    assert extraction_error({"e": "{{embedding}}"}, {"e": value}) == (
        'in `response.e`, while extracting a single "{{embedding}}", expected `e` to be an array of numbers, '
        f"but failed to parse server response:\n  - {serde}"
    )
