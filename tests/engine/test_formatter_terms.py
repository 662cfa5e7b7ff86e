"""engine.formatter with every kind of query term (formatting.md §3).

Properties:
1. A quoted phrase is highlighted as one span including its inner separators; a phrase whose words
   are not consecutive in the text highlights nothing of it.
2. Synonyms are matched as phrases, one-word synonyms too: the synonym of a prefix term is not a
   prefix (`car` -> `auto` marks `auto`, not the `aut` of `automobile`).
3. A split word (`sunflower` -> `sun flower`) and an n-gram (`sun flower` -> `sunflower`) are
   highlighted; the n-gram wins over its single words.
4. Negative terms are not highlighted; repeated query words highlight every occurrence once.
5. `_matchesPosition` of a phrase covers the whole span in bytes.
"""


def formatted(index, q, field="t", **params):
    return index.search(q, attributesToHighlight=[field], **params)["hits"][0]["_formatted"][field]


# 1 ------------------------------------------------------------------------------------------------

def test_phrases(make_index):
    index = make_index([{"id": 1, "t": "split the world between them"},
                        {"id": 2, "t": "the world, the split world", "k": "key"}], {"filterableAttributes": ["id"]})
    assert formatted(index, '"the world"', filter="id = 1") == "split <em>the world</em> between them"
    got = index.search('"the world" key', attributesToHighlight=["t"], filter="id = 2")["hits"][0]
    assert got["_formatted"]["t"] == "<em>the world</em>, the split world"
    got = index.search('"split world"', attributesToHighlight=["t"], showMatchesPosition=True, filter="id = 2")
    assert got["hits"][0]["_formatted"]["t"] == "the world, the <em>split world</em>"
    assert got["hits"][0]["_matchesPosition"] == {"t": [{"start": 15, "length": 11}]}


# 2 ------------------------------------------------------------------------------------------------

def test_synonyms(make_index):
    index = make_index([{"id": 1, "t": "I love New York and my auto"}, {"id": 2, "t": "an automobile, auto"}],
                       {"synonyms": {"nyc": ["new york"], "car": ["auto"]}, "filterableAttributes": ["id"]})
    assert formatted(index, "nyc") == "I love <em>New York</em> and my auto"
    assert formatted(index, "car ", filter="id = 1") == "I love New York and my <em>auto</em>"
    assert formatted(index, "car", filter="id = 2") == "an automobile, <em>auto</em>"


# 3 ------------------------------------------------------------------------------------------------

def test_split_words_and_ngrams(make_index):
    index = make_index([{"id": 1, "t": "a sun flower field"}, {"id": 2, "t": "one sunflower, sun and flower"}],
                       {"filterableAttributes": ["id"]})
    assert formatted(index, "sunflower ", filter="id = 1") == "a <em>sun flower</em> field"
    assert formatted(index, "sun flower ", filter="id = 2") == \
        "one <em>sunflower</em>, <em>sun</em> and <em>flower</em>"


# 4 ------------------------------------------------------------------------------------------------

def test_negative_and_repeated_terms(make_index):
    index = make_index([{"id": 1, "t": "blue red blue"}, {"id": 2, "t": "blue green", "u": "red blue"}],
                       {"filterableAttributes": ["id"], "searchableAttributes": ["t"]})
    assert formatted(index, "blue -red", field="u") == "red <em>blue</em>"  # u is not searched
    assert formatted(index, "blue blue", filter="id = 1") == "<em>blue</em> red <em>blue</em>"
