"""engine.formatter follows the index's settings (formatting.md §9, expectations of Meilisearch's
own tests, checked against v1.50).

Properties:
1. `prefixSearch: "disabled"`: the last query word is not a prefix (`So`up is not marked).
2. separatorTokens / nonSeparatorTokens / dictionary cut the text for highlighting as for indexing:
   `Mac&sep<em>&</em>&sepcheese`, `<em>G</em>#<em>D#</em>…`, and a `#` query highlights nothing.
3. A dictionary entry containing separators is highlighted as one token (`<em>J. R. R.</em>`).
"""
import pytest


def formatted(index, q, field="content"):
    return [hit["_formatted"][field] for hit in index.search(q, attributesToHighlight=[field])["hits"]]


# 1 ------------------------------------------------------------------------------------------------

def test_prefix_search_disabled(make_index):
    doc = [{"id": 1, "content": "Soup of day so"}]
    assert formatted(make_index(doc, {"prefixSearch": "disabled"}, uid="a"), "so") == ["Soup of day <em>so</em>"]
    assert formatted(make_index(doc, uid="b"), "so") == ["<em>So</em>up of day <em>so</em>"]


# 2 ------------------------------------------------------------------------------------------------

MUSIC = [{"id": 1, "content": "Mac & cheese"}, {"id": 2, "content": "G#D#G#D#G#C#D#G#C#"},
         {"id": 3, "content": "Mac&sep&&sepcheese"}]
TOKENIZATION = {"nonSeparatorTokens": ["#", "&"], "separatorTokens": ["<br/>", "&sep"],
                "dictionary": ["#", "A#", "B#", "C#", "D#", "E#", "F#", "G#"]}


@pytest.mark.parametrize("q, expected", [
    ("&", ["Mac <em>&</em> cheese", "Mac&sep<em>&</em>&sepcheese"]),
    ("Mac & cheese", ["<em>Mac</em> <em>&</em> <em>cheese</em>", "<em>Mac</em>&sep<em>&</em>&sep<em>cheese</em>"]),
    ("Mac&sep&&sepcheese", ["<em>Mac</em> <em>&</em> <em>cheese</em>",
                            "<em>Mac</em>&sep<em>&</em>&sep<em>cheese</em>"]),
    ("C#D#G", ["<em>G</em>#<em>D#</em><em>G</em>#<em>D#</em><em>G</em>#<em>C#</em><em>D#</em><em>G</em>#<em>C#</em>"]),
    ("#", []),
])
def test_tokenizer_settings(make_index, q, expected):
    assert formatted(make_index(MUSIC, TOKENIZATION), q) == expected


# 3 ------------------------------------------------------------------------------------------------

def test_dictionary_entry_is_one_token(make_index):
    index = make_index([{"id": 2, "content": "J. R. R. Tolkien"}], {"dictionary": ["J. R. R.", "J.R.R."]})
    assert formatted(index, "J. R. R.") == ["<em>J. R. R.</em> Tolkien"]
