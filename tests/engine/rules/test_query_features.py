"""Query features beyond the ranking rules (ranking.md §3.6, §3.8, §6.5).

Properties:
1. attributesToSearchOn restricts matches to the listed fields;
2. synonyms are one-way and multi-word keys work through n-grams;
3. distinct keeps the best document per value (search-time parameter and setting), values inside
   arrays of objects included; with page / hitsPerPage it runs over every candidate, so totalHits
   counts one document per value;
4. split words and concatenations match (`sun flower` ↔ `sunflower`);
5. an n-gram, prefix or not, reaches only typo-tolerant words: a word of a
   `typoTolerance.disableOnAttributes` field is not found by concatenating query words.
"""


def ids(result):
    return [hit["id"] for hit in result["hits"]]


def test_attributes_to_search_on(make_index):
    index = make_index([{"id": 1, "title": "galaxy", "body": "x"}, {"id": 2, "title": "x", "body": "galaxy"}])
    assert ids(index.search("galaxy", attributes_to_search_on=["body"])) == [2]
    assert ids(index.search("gal", attributes_to_search_on=["title"])) == [1]
    assert sorted(ids(index.search("galaxy", attributes_to_search_on=["*"]))) == [1, 2]


def test_synonyms(make_index):
    index = make_index([{"id": 1, "t": "new york city"}, {"id": 2, "t": "nyc"}, {"id": 3, "t": "ny"}],
                       {"synonyms": {"nyc": ["new york"], "new york": ["ny"]}})
    assert sorted(ids(index.search("nyc "))) == [1, 2]
    assert sorted(ids(index.search("new york "))) == [1, 3]
    assert ids(index.search("ny ")) == [3]


def test_distinct(make_index):
    docs = [{"id": 1, "t": "shirt", "sku": "a"}, {"id": 2, "t": "shirt", "sku": "a"}, {"id": 3, "t": "shirt", "sku": "b"}]
    index = make_index(docs, {"filterableAttributes": ["sku"]})
    result = index.search("shirt", distinct="sku")
    assert ids(result) == [1, 3] and result["estimatedTotalHits"] == 2
    index = make_index(docs, {"distinctAttribute": "sku"})
    assert ids(index.search("shirt")) == [1, 3]


def test_distinct_on_a_field_inside_arrays_of_objects(make_index):
    docs = [{"id": 1, "t": "dog", "doggos": [{"name": "Rex"}, {"name": "Fido"}]},
            {"id": 2, "t": "dog", "doggos": [{"name": "fido"}]},
            {"id": 3, "t": "dog", "doggos": [{"name": "Max", "age": 2}]},
            {"id": 4, "t": "dog", "doggos": {"name": "max"}}]
    index = make_index(docs, {"filterableAttributes": ["doggos.name"]})
    result = index.search("dog", distinct="doggos.name")
    assert ids(result) == [1, 3] and result["estimatedTotalHits"] == 2


def test_split_and_concat(make_index):
    index = make_index([{"id": 1, "t": "sunflower"}, {"id": 2, "t": "sun flower"}])
    assert sorted(ids(index.search("sun flower "))) == [1, 2]
    assert sorted(ids(index.search("sunflower "))) == [1, 2]


def test_ngram_reaches_tolerant_words_only(make_index):
    docs = [{"id": 1, "ex": "starfish"}, {"id": 2, "ex": "starfishes"}, {"id": 3, "t": "starfish"},
            {"id": 4, "t": "starfishes"}]
    index = make_index(docs, {"typoTolerance": {"disableOnAttributes": ["ex"]}})
    assert ids(index.search("star fish ")) == [3]  # an 8-char 2-gram gets no typo
    assert ids(index.search("star fish")) == [3, 4]  # the 2-gram is a prefix: starfishes too
    assert ids(index.search("star fis")) == [3, 4]
    assert ids(index.search("starfish ")) == [1, 3]  # a single word reaches the exact set


def test_distinct_exact_totals_with_pages(make_index):
    docs = [{"id": 1, "t": "alpha", "g": "x"}, {"id": 2, "t": "alpha", "g": "x"}, {"id": 3, "t": "alpha", "g": "y"},
            {"id": 4, "t": "alpha", "g": "y"}, {"id": 5, "t": "alpha"}, {"id": 6, "t": "alpha"}]
    index = make_index(docs, {"filterableAttributes": ["g"]})
    result = index.search("alpha", distinct="g", hits_per_page=1)
    assert (ids(result), result["totalHits"], result["totalPages"]) == ([1], 4, 4)
    assert index.search("alpha", distinct="g", hits_per_page=0)["totalHits"] == 4
    assert index.search("alpha", distinct="g", limit=1)["estimatedTotalHits"] == 5  # estimated: not exhaustive
    # several values per document: in docid order, each kept document drops those sharing a value
    docs = [{"id": 1, "t": "beta", "g": ["a", "b"]}, {"id": 2, "t": "beta", "g": ["b", "c"]},
            {"id": 3, "t": "beta", "g": ["c", "d"]}, {"id": 4, "t": "beta", "g": 7}, {"id": 5, "t": "beta", "g": 7.0}]
    index = make_index(docs, {"filterableAttributes": ["g"]})
    result = index.search("beta", distinct="g", page=1, hits_per_page=10)
    assert (ids(result), result["totalHits"]) == ([1, 3, 4], 3)
