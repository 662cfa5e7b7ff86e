"""`Formatter.formatted_page` (a page's documents read together) answers exactly what the general
path answers document by document.

Properties:
1. On random documents — plain ASCII and accented or foreign text, numbers, booleans, null,
   arrays of strings, strings repeated across documents, strings holding the joiner or control
   chars, nested objects and arrays of numbers (which send a document to the general path) —
   and random queries (prefixes, typos, phrases, splits, synonyms, several words),
   `formatted_page` over the whole page equals `formatted` of each document with every value
   tokenized, for highlight on some or all fields, crop lengths from 1 to 30 with and without
   highlight, and an empty crop marker.
2. A page of one document, and a page where no document can be read together, answer the same.
3. `HitRenderer.render_page` gives each hit exactly the JSON that `render` gives it alone.
4. The page path's shortcuts answer what their general forms answer: `words.best_gap_interval`
   what `crop.best_interval` chooses among matches that are all the same query word, and
   `words.needle_groups` (needles searched by their common head) the words each needle finds.
"""
import random

import orjson

from engine import Query
from engine.formatter import Formatter
from engine.formatter.crop import best_interval
from engine.formatter.matches import Match
from engine.formatter.words import best_gap_interval, needle_groups
from engine.meilisearch.render import HitRenderer
from engine.meilisearch.search_params import parse_search_body

WORDS = ["dog", "dogs", "lazy", "fox", "quick", "brown", "sleeps", "the", "sun", "sunflower", "flower",
         "doggo", "laser", "brawn", "in", "a", "python3", "python", "3", "lib", "library", "dev", "devel"]
ODD_WORDS = ["dóg", "Lázy", "sün", "Sunflöwer", "flower’s", "Łazy", "straße", "日本", "豆腐", "10°C",
             "fox™", "do~g", "Σun", "dog\x1eend", "lazy\x01fox"]
SEPARATORS = [" ", " ", " ", ", ", ". ", "-", "!", " (", ") ", "'", "; ", "\n", "\n\n", " — "]
SHARED = ["python3", "python3-dev", "lazy dog", "the sun", "libc6", "Debian Python Team <team@x.org>"]


def random_text(rng: random.Random, words: list[str], most: int = 60) -> str:
    parts = []
    for _ in range(rng.randint(1, most)):
        word = rng.choice(words)
        parts += (word.capitalize() if rng.random() < 0.1 else word, rng.choice(SEPARATORS))
    if rng.random() < 0.5:
        parts.pop()
    return "".join(parts)


def random_document(rng: random.Random, i: int) -> dict:
    words = WORDS + (ODD_WORDS if rng.random() < 0.3 else [])
    doc = {"id": i, "name": rng.choice(SHARED) if rng.random() < 0.5 else random_text(rng, words, 3),
           "summary": random_text(rng, words, 12), "description": random_text(rng, words, 80),
           "size": rng.choice([3, 17, 1.5, 1e21, -0.0]), "flag": rng.choice([True, False, None]),
           "depends": [rng.choice(SHARED) if rng.random() < 0.6 else random_text(rng, words, 2)
                       for _ in range(rng.randint(0, 6))]}
    roll = rng.random()
    if roll < 0.05:
        doc["nested"] = {"title": random_text(rng, words, 5)}
    elif roll < 0.1:
        doc["depends"] = [1, 2]
    return doc


QUERIES = ["dog", "lazy dog", "lazzy", "the sun", '"lazy dog"', "sunflower", "sun flower", "python3", "pyth",
           "python3 d", "lib dev", "lazy fo", "d", "la", "doggo s", "doggo sleeps in the sun", "dóg", "flower", "10", "Σun", "x"]


def options_list(rng: random.Random) -> list[dict]:
    out = []
    for crop in (1, 2, 5, 10, 30):
        for highlight in (["*"], ["name", "depends"], []):
            out.append({"highlight": highlight, "crop": [("description", crop)] if crop != 2 else [("*", crop)],
                        "crop_marker": rng.choice(["…", "", "~"]), "pre_tag": "<b>", "post_tag": "</b>"})
    return out


def test_page_answers_like_the_general_path_per_document(make_index):
    rng = random.Random(20261207)
    docs = [random_document(rng, i) for i in range(80)]
    index = make_index(docs, {"synonyms": {"dog": ["hound", "lazy fox"], "sun": ["star"]}})
    compared = 0
    for q in QUERIES:
        result = index.execute(Query(text=q, limit=80))
        documents = [orjson.loads(hit.stored) for hit in result.hits]
        for options in options_list(rng):
            fast = Formatter.for_result(result, **options)
            slow = Formatter.for_result(result, **options)
            slow._shape = slow._flat_shape = None  # every value tokenized
            expected = [slow.formatted(document) for document in documents]
            assert fast.formatted_page(documents) == expected, (q, options)
            for size in (1, 3, 20):  # pages of other sizes, the memos already warm
                page = documents[:size]
                assert fast.formatted_page(page) == expected[:size], (q, options, size)
            compared += len(documents)
    assert compared > 10_000


def test_a_page_nothing_reads_together_answers_document_by_document(make_index):
    docs = [{"id": i, "nested": {"t": f"lazy dog {i}"}, "t": "the lazy dog"} for i in range(5)]
    index = make_index(docs)
    result = index.execute(Query(text="lazy", limit=10))
    documents = [orjson.loads(hit.stored) for hit in result.hits]
    fast = Formatter.for_result(result, highlight=["*"], crop=[("t", 2)])
    assert fast.formatted_page(documents) == [fast.formatted(document) for document in documents]
    assert fast.formatted_page(documents)[0]["nested"] == {"t": "<em>lazy</em> dog 0"}


def test_render_page_gives_each_hit_what_render_gives_it(make_index):
    rng = random.Random(7)
    index = make_index([random_document(rng, i) for i in range(40)])
    for body in ({"q": "lazy dog", "attributesToHighlight": ["*"], "attributesToCrop": ["description:5"]},
                 {"q": "python3 d", "attributesToHighlight": ["*"], "showRankingScore": True},
                 {"q": "sun", "attributesToCrop": ["*"], "cropLength": 3, "showMatchesPosition": True},
                 {"q": "dog", "attributesToRetrieve": ["name"], "attributesToHighlight": ["description"]}):
        params = parse_search_body({**body, "limit": 40})
        result = index.execute(params.to_query(None))
        for as_fragments in (True, False):
            renderer = HitRenderer(params, result.displayed, as_fragments=as_fragments, result=result)
            page = renderer.render_page(result.hits)
            alone = [renderer.render(hit) for hit in result.hits]
            assert orjson.dumps(page) == orjson.dumps(alone), body


def test_best_gap_interval_chooses_what_best_interval_chooses():
    rng = random.Random(11)
    for _ in range(5000):
        ids = rng.choice([(0,), (1,), (0, 1)])
        size = rng.randint(2, 120)
        positions = sorted(rng.sample(range(size), rng.randint(2, min(size, 25))))
        matches = [Match(p, p, p, p, ids, 0, 1) for p in positions]
        for length in (1, 2, 3, 5, 10, 30):
            if positions[-1] - positions[0] >= length:
                assert best_gap_interval(positions, length) == best_interval(matches, length), (positions, length)


def test_needle_groups_find_the_words_each_needle_finds():
    rng = random.Random(5)
    letters = b"abcp"
    for _ in range(2000):
        needles = {bytes(rng.choice(letters) for _ in range(rng.randint(1, 4))) for _ in range(rng.randint(1, 8))}
        needles = tuple(sorted(n for n in needles if not any(n != m and n.startswith(m) for m in needles)))
        groups = needle_groups(needles)
        assert sorted(n for _, group in groups for n in group) == list(needles)
        for head, group in groups:
            assert len({n[:1] for n in group}) == 1 and all(n.startswith(head) for n in group)
        words = [bytes(rng.choice(letters) for _ in range(rng.randint(1, 6))) for _ in range(30)]
        shape = b" ".join(words)
        expected = [i for i, w in enumerate(words) if w.startswith(needles)]
        found = [i for i, w in enumerate(words) for head, group in groups if w.startswith(head) and w.startswith(group)]
        assert found == expected
