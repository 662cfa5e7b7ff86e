"""documentTemplate rendering (milli ``prompt/``) and its truncation.

Properties:
1. The default template prints ``name: value`` for searchable, non-null fields, in the
   document's order, one per line; ``_vectors`` and ``_geo`` are never part of the document.
2. Values print as liquid-rust prints them: arrays concatenated, objects as key+value pairs,
   floats without ``.0`` or exponent, booleans lower-case, null as nothing.
3. ``doc.a.b`` reaches nested values; ``fields`` exposes ``name``, ``value``, ``is_searchable``.
4. A missing variable or field fails (liquid-rust is strict), with the document id when given;
   in an ``{% if %}`` it is simply false. An unparsable template fails when built.
5. Truncation keeps the longest prefix that fits in N bytes, never cutting a character
   (upstream's own cases); rendering itself does not truncate (hybrid.md §8.4).
6. Every templated source uses the stored template (or the default); userProvided has none.
"""
from __future__ import annotations

import pytest

from engine.embedders import (
    DocumentTemplate,
    EmbeddingError,
    make_embedder,
    truncate_to_bytes,
)
from engine.embedders.errors import EmbedderSetupError, TemplateRenderError
from engine.embedders.template import DEFAULT_TEMPLATE, rust_float


def everything(_name: str) -> bool:
    return True


# 1 ------------------------------------------------------------------------------------------------

def test_default_template_searchable_non_null_in_document_order():
    doc = {
        "id": 1, "name": "kefir", "_geo": {"lat": 1, "lng": 2}, "tags": ["a", "b"], "price": 3.0, "stock": None,
        "_vectors": {"x": [1]},
    }
    text = DocumentTemplate().render(doc, lambda name: name != "id")
    assert text == "name: kefir\ntags: ab\nprice: 3\n"
    with pytest.raises(TemplateRenderError):
        DocumentTemplate("{{doc._geo}}").render(doc, everything)


def test_default_template_matches_the_settings_default():
    from engine.settings.embedders import DEFAULT_DOCUMENT_TEMPLATE

    assert DEFAULT_TEMPLATE == DEFAULT_DOCUMENT_TEMPLATE


# 2 ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("value", "printed"),
    [
        (["a", 1, [True, None], 2.5], "a1true2.5"),
        ({"k": "v", "n": 1, "o": {"z": False}}, "kvn1ozfalse"),
        (3.0, "3"), (2.5, "2.5"), (1e21, "1000000000000000000000"), (1e-7, "0.0000001"), (-0.5, "-0.5"),
        (True, "true"), (None, ""), (12345678901234567890, "12345678901234567890"), ("é ü", "é ü"),
    ],
)
def test_values_print_like_liquid_rust(value, printed):
    assert DocumentTemplate("{{ doc.v }}").render({"v": value}, everything) == printed


def test_rust_float():
    assert [rust_float(x) for x in (0.1, 100.0, 1.5e300)] == ["0.1", "100", "15" + "0" * 299]


# 3 ------------------------------------------------------------------------------------------------

def test_nested_doc_and_fields():
    doc = {"title": "Dune", "actor": {"firstName": "Timothée", "lastName": "C."}, "year": 2021}
    template = DocumentTemplate(
        "{{doc.actor.firstName}} in {{doc.title}}|"
        "{% for field in fields %}{{field.name}}={{field.is_searchable}};{% endfor %}"
    )
    assert template.render(doc, lambda name: name == "title") == (
        "Timothée in Dune|title=true;actor=false;year=false;"
    )


def test_filters_work():
    assert DocumentTemplate("{{ doc.t | upcase }} {{ doc.l | size }}").render({"t": "ab", "l": [1, 2]}, everything) == "AB 2"


# 4 ------------------------------------------------------------------------------------------------

def test_missing_field_fails_with_the_document_id():
    with pytest.raises(TemplateRenderError) as caught:
        DocumentTemplate("{{doc.title}}").render({"id": 7, "name": "x"}, everything, external_id="7")
    assert caught.value.message == (
        "user error: missing field in document `7`: liquid: Unknown index\n  with:\n    variable=doc\n"
        "    requested index=title\n    available indexes=id, name"
    )


def test_unknown_variable_fails():
    with pytest.raises(EmbeddingError) as caught:
        DocumentTemplate("{{title}}").render({"title": "x"}, everything)
    assert caught.value.message == (
        "user error: missing field in document: liquid: Unknown variable\n  with:\n    requested variable=title\n"
        "    available variables=doc, fields"
    )


def test_missing_field_is_false_in_a_condition():
    template = DocumentTemplate("{% if doc.title %}{{doc.title}}{% else %}untitled{% endif %}")
    assert template.render({"id": 1}, everything) == "untitled"


def test_unparsable_template():
    with pytest.raises(EmbedderSetupError) as caught:
        DocumentTemplate("{{doc.title: {{doc.overview}}")
    assert caught.value.message == "user error: cannot parse template: liquid: unexpected '{'"


# 5 ------------------------------------------------------------------------------------------------

def test_truncation_at_char_boundaries():
    text = "インテル ザー ビーグル"  # 32 bytes
    assert [truncate_to_bytes(text, n) for n in (42, 32, 31, 30, 28, 26, 25, 3, 2)] == [
        text, text, "インテル ザー ビーグ", "インテル ザー ビーグ", "インテル ザー ビー",
        "インテル ザー ビー", "インテル ザー ビ", "イ", "",
    ]


def test_render_is_whole_and_render_truncated_cuts():
    template = DocumentTemplate("{{doc.t}}", max_bytes=5)
    assert template.render({"t": "abcdefgh"}, everything) == "abcdefgh"
    assert template.render_truncated({"t": "abcdefgh"}, everything) == "abcde"


# 6 ------------------------------------------------------------------------------------------------

def test_sources_use_their_stored_template():
    config = {
        "source": "rest", "url": "http://127.0.0.1:9/", "request": {"q": "{{text}}"},
        "response": {"e": "{{embedding}}"}, "dimensions": 2, "documentTemplate": "{{doc.name}}!",
        "documentTemplateMaxBytes": 3,
    }
    embedder = make_embedder("r", config)
    assert embedder.render({"name": "kefir"}, everything) == "kefir!"
    assert embedder.template.max_bytes == 3
    default = make_embedder("o", {"source": "openAi", "apiKey": "k"})
    assert default.render({"name": "kefir", "n": None}, everything) == "name: kefir\n"
