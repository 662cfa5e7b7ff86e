"""Which words a prefix term and a plain word highlight: Meilisearch's matching words
(formatting.md §3), checked through `Index.search`.

Properties:
1. A prefix of 1 to 4 bytes shared by at least 100 indexed words is served by Meilisearch's
   word-prefix database: it has no derivations to highlight, so it highlights nothing unless it
   is an indexed word itself, and then it highlights every word it starts.  One word fewer than
   100, or a prefix of 5 bytes, and its derivations are highlighted.
2. A query word highlights only what an indexed word (the word, or a derivation) starts or equals:
   in a field that is not searchable, a word no searchable field has is not highlighted, while a
   word extending an indexed derivation is.
3. Matching positions and crops follow the same words as highlighting.
"""
from itertools import product


LATIN = "abcdefghijklmnopqrstuvwxyz"
GREEK = "αβγδεζηθικλμνξοπρστυφχψω"


def _words(prefix: str, count: int, letters: str) -> list[str]:
    """``count`` distinct words starting with ``prefix`` (``prefix`` + two letters)."""
    return [prefix + a + b for a, b in product(letters, repeat=2)][:count]


def _index(make_index, prefix: str, count: int, *, with_prefix_word: bool = False, letters: str = LATIN):
    filler = " ".join(_words(prefix, count, letters))
    x, y, z, a = (letters[23], letters[24], letters[25], letters[0]) if letters == LATIN else "ξψωα"
    docs = [{"id": 1, "t": f"{prefix}{x}{y}{z} and {prefix}{a}{a} here"}, {"id": 2, "t": filler}]
    if with_prefix_word:
        docs.append({"id": 3, "t": f"just {prefix}"})
    return make_index(docs, {"filterableAttributes": ["id"]})


def _highlighted(index, q: str, doc: int = 1) -> str:
    hits = index.search(q, attributesToHighlight=["t"], filter=f"id = {doc}")["hits"]
    return hits[0]["_formatted"]["t"]


# 1 ------------------------------------------------------------------------------------------------

def test_a_prefix_of_the_prefix_database_highlights_nothing_unless_it_is_a_word(make_index):
    index = _index(make_index, "ca", 100)  # 100 words: `caaa` ... and `caxyz`, `caaa` among them
    assert index.search("ca", filter="id = 1")["estimatedTotalHits"] == 1  # it still finds them
    assert _highlighted(index, "ca") == "caxyz and caaa here"
    index = _index(make_index, "ca", 100, with_prefix_word=True)
    assert _highlighted(index, "ca") == "<em>ca</em>xyz and <em>ca</em>aa here"


def test_below_the_threshold_every_derivation_highlights(make_index):
    index = _index(make_index, "ca", 97)  # with `caxyz`: 98 words start with `ca`
    assert _highlighted(index, "ca") == "<em>ca</em>xyz and <em>ca</em>aa here"


def test_the_threshold_counts_bytes(make_index):
    # `λα` is 4 bytes: served by the database; `λαβ` is 6: never
    index = _index(make_index, "λα", 100, letters=GREEK)
    assert _highlighted(index, "λα") == "λαξψω and λααα here"
    index = _index(make_index, "λαβ", 100, letters=GREEK)
    assert _highlighted(index, "λαβ") == "<em>λαβ</em>ξψω and <em>λαβ</em>αα here"


# 2 ------------------------------------------------------------------------------------------------

def test_words_of_fields_that_are_not_searchable(make_index):
    index = make_index([{"id": 1, "title": "python", "notes": "pythia pythonic python"}],
                       {"searchableAttributes": ["title"]})
    got = index.search("pyth", attributesToHighlight=["*"])["hits"][0]["_formatted"]
    assert got == {"id": "1", "title": "<em>pyth</em>on",
                   "notes": "pythia <em>pyth</em>onic <em>pyth</em>on"}
    got = index.search("python pythia ", attributesToHighlight=["*"])["hits"][0]["_formatted"]
    assert got["notes"] == "pythia pythonic <em>python</em>"  # `pythia` is no indexed word


# 3 ------------------------------------------------------------------------------------------------

def test_positions_and_crops_follow_the_same_words(make_index):
    index = _index(make_index, "ca", 100)
    hit = index.search("ca", attributesToCrop=["t"], cropLength=2, showMatchesPosition=True,
                       filter="id = 1")["hits"][0]
    assert hit["_formatted"]["t"] == "caxyz and…"
    assert "_matchesPosition" not in hit or hit["_matchesPosition"] == {}
    index = _index(make_index, "ca", 97)
    hit = index.search("ca", attributesToCrop=["t"], cropLength=1, showMatchesPosition=True,
                       filter="id = 1")["hits"][0]
    assert hit["_formatted"]["t"] == "caxyz…"
    assert hit["_matchesPosition"] == {"t": [{"start": 0, "length": 2}, {"start": 10, "length": 2}]}
