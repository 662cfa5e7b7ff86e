"""Loupe against a brute-force reference ranker written from ranking.md (tests/reference_ranker.py).

Properties (on seeded random tiny corpora, where typos, prefixes, splits and n-grams collide often):
1. the hits Loupe returns are exactly the reference's universe (§4 matching strategies last, all and
   frequency), in the reference's order: the bucket sort of §6 over words, typo, proximity,
   attributeRank, wordPosition and exactness (§7.2-7.7), ties by ascending docid;
2. every hit's `_rankingScore` equals the reference's fold of §8.1 to 1e-12, so each rule's rank and
   max_rank agree, including the maxima computed on the graph reduced by the parent bucket (§7.1);
3. every hit's `_rankingScoreDetails` agree with the reference's ranks (words matchingWords,
   typo typoCount/maxTypoCount, proximity/attributeRank/wordPosition scores, exactness matchType
   and exact-words counts, §8.2);
4. derivations follow §3: typo budgets by length (5 / 9 chars), the first-letter rule, the prefix
   automaton on the last word only (a trailing space turns it off), split words at the most
   frequent split point, 2- and 3-word n-grams of contiguous words with their reduced budgets;
5. positions follow §1.3/§2.2: hard separators (`. `, `, `, `!`, `?`, `;`) move document positions by
   8 and query positions by 7 per separator, breaking n-grams and proximity between query words;
   the values of an array start 8 after the previous value's last word; normalization (§1.2)
   folds capitals and accents;
6. the generator avoids one zone, counted in the printed summary and pinned by a test below:
   where §9's reduced-graph shortcut (which Loupe takes) answers otherwise than §7.1's letter
   (test_reduced_graph_shortcut).  Documents matched, with matchingStrategy frequency, through
   an n-gram joining a removed term are compared like any other (test_frequency_ngram_over_removed_terms
   pins the smallest such case).

The run is seeded and deterministic: LOUPE_REFERENCE_CASES=N runs N cases instead of the default
(LOUPE_REFERENCE_SEED picks another seed); the first disagreement is reported with its corpus,
query, settings, both orders and both scores.
"""
from __future__ import annotations

import json
import os
import random
import time
from collections import Counter

from reference_ranker import Corpus, Search

from engine.engine import Engine
from engine.settings import task_details, validate_settings_patch

DEFAULT_CASES = 1000
QUERIES_PER_CORPUS = 6
SEED = 20240607

DOC_SEPARATORS = [" "] * 10 + ["  ", ". ", ", ", "-", " - ", "; ", "!", "/", ".", ",", "? ", " (", ") "]
QUERY_SEPARATORS = [" "] * 8 + ["  ", ". ", ", ", ",", "-", "! ", "; ", ".", "/"]


def _edit(rng: random.Random, word: str, letters: str, edits: int) -> str:
    """`edits` random insertions, deletions, substitutions or adjacent swaps."""
    w = list(word)
    for _ in range(edits):
        op = rng.randrange(4)
        i = rng.randrange(len(w) + (op == 0))
        if op == 0:
            w.insert(i, rng.choice(letters))
        elif op == 1 and len(w) > 1:
            del w[i]
        elif op == 2:
            w[i] = rng.choice(letters)
        elif op == 3 and len(w) > 1:
            i = min(i, len(w) - 2)
            w[i], w[i + 1] = w[i + 1], w[i]
    return "".join(w)


def make_vocab(rng: random.Random) -> tuple[list[str], str]:
    letters = "".join(rng.sample("abcdefghiklmnoprstu", rng.randint(3, 5)))
    base: set[str] = set()
    target = rng.randint(3, 6)
    while len(base) < target:
        n = rng.choice([1, 2, 3, 4, 5, 5, 6, 6, 7, 8, 9, 10, 11])
        base.add("".join(rng.choice(letters) for _ in range(n)))
    vocab = set(base)
    ordered = sorted(base)
    for _ in range(rng.randint(2, 7)):
        w = rng.choice(ordered)
        r = rng.random()
        if r < 0.45:
            vocab.add(_edit(rng, w, letters, rng.choice([1, 1, 2])))
        elif r < 0.75:
            vocab.add(w + rng.choice(ordered))
        elif r < 0.9 and len(w) > 1:
            vocab.add(w[:rng.randint(1, len(w) - 1)])
        else:
            vocab.add(w + "".join(rng.choice(letters) for _ in range(rng.randint(1, 3))))
    return sorted(vocab), letters


def _decorate(rng: random.Random, word: str) -> str:
    """Capitals and accents that normalization (§1.2) removes."""
    r = rng.random()
    if r < 0.1:
        return word.capitalize()
    if r < 0.15:
        return word.upper()
    if r < 0.2 and any(c in "aeiou" for c in word):
        accents = {"a": "à", "e": "é", "i": "î", "o": "ö", "u": "ü"}
        return "".join(accents.get(c, c) for c in word)
    return word


def make_text(rng: random.Random, vocab: list[str], lo: int, hi: int) -> str:
    n = rng.randint(lo, hi)
    parts = []
    for k in range(n):
        if k:
            parts.append(rng.choice(DOC_SEPARATORS))
        parts.append(_decorate(rng, rng.choice(vocab)))
    if rng.random() < 0.1:
        parts.append(rng.choice([".", "!", " ", ", "]))
    return "".join(parts)


def make_corpus(rng: random.Random, vocab: list[str]) -> list[dict]:
    docs = []
    for i in range(rng.randint(3, 12)):
        doc: dict = {"id": i, "title": make_text(rng, vocab, 1, 4)}
        r = rng.random()
        if r < 0.15:
            doc["body"] = [make_text(rng, vocab, 1, 3) for _ in range(rng.randint(1, 3))]
        elif r < 0.8:
            doc["body"] = make_text(rng, vocab, 1, 8)
        docs.append(doc)
    return docs


def make_query(rng: random.Random, vocab: list[str], letters: str) -> str:
    words: list[str] = []
    for k in range(rng.choice([1, 2, 2, 3, 3])):
        w = rng.choice(vocab)
        r = rng.random() * (0.84 if k == 0 else 1.0)  # no random letters first: they rarely match
        if r < 0.35:
            words.append(w)
        elif r < 0.6:
            words.append(_edit(rng, w, letters, rng.choice([1, 1, 2])) or w)
        elif r < 0.72:
            words.append(w + rng.choice(vocab))          # a split-word candidate
        elif r < 0.84 and len(w) > 1:
            k = rng.randint(1, len(w) - 1)                # an n-gram candidate
            words.extend([w[:k], w[k:]])
        else:
            words.append("".join(rng.choice(letters) for _ in range(rng.randint(1, 9))))
    words = words[:3]
    if rng.random() < 0.4 and len(words[-1]) > 1:
        words[-1] = words[-1][:rng.randint(1, len(words[-1]) - 1)]
    q = words[0]
    for w in words[1:]:
        q += rng.choice(QUERY_SEPARATORS) + _decorate(rng, w)
    if rng.random() < 0.3:
        q += " "
    return q


def make_settings(rng: random.Random) -> dict:
    r = rng.random()
    if r < 0.45:
        return {"searchableAttributes": ["title", "body"]}
    if r < 0.75:
        return {"searchableAttributes": ["body", "title"]}
    return {}


def reference(docs, settings, q, strategy) -> tuple[list | None, str | None, set[str]]:
    """The reference's answer and the situations it noted (see `Search.notes`), or
    (None, reason, notes) when the case is one the generator avoids:
    "reduced-graph shortcut", where the answer under the letter of §7.1 differs from the answer
    under the shortcut §9 allows (see `Search`), which Loupe takes (test_reduced_graph_shortcut
    below)."""
    corpus = Corpus(docs, settings.get("searchableAttributes"))
    search = Search(corpus, q, strategy)
    answer = search.run()
    if search.notes & {"words-node-level", "late-reduction"}:
        def key(rows):
            return [(d, s, [rank for _, rank, _ in trail]) for d, s, trail in rows]
        if key(Search(corpus, q, strategy, approximate=True).run()) != key(answer):
            return None, "reduced-graph shortcut", search.notes
    return answer, None, search.notes


def _check_details(hit: dict, trail: list) -> str | None:
    """Property 3: the visible details against the reference's (rank, max_rank) per rule."""
    details = hit["_rankingScoreDetails"]
    ranks = {rule: (rank, detail) for rule, rank, detail in trail}
    expect: dict = {}
    if "words" in ranks:
        (r, m), _ = ranks["words"]
        expect["words"] = {"matchingWords": r, "maxMatchingWords": m, "score": r / m}
    (r, m), _ = ranks["typo"]
    expect["typo"] = {"typoCount": m - r, "maxTypoCount": m - 1, "score": r / m}
    for rule in ("proximity", "attributeRank", "wordPosition"):
        (r, m), _ = ranks[rule]
        expect[rule] = {"score": r / m}
    (ra, _), detail = ranks["exactAttribute"]
    (rw, mw), _ = ranks["exactWords"]
    if ra == 1:
        expect["exactness"] = {"matchType": "noExactMatch", "matchingWords": rw - 1, "maxMatchingWords": mw - 1,
                               "score": rw / (3 * mw)}
    else:
        expect["exactness"] = {"matchType": detail["matchType"], "score": ra / 3}
    for rule, fields in expect.items():
        got = details.get(rule)
        if got is None:
            return f"{rule} missing from the details"
        for key, value in fields.items():
            if key == "score" and abs(got[key] - value) <= 1e-12:
                continue
            if got.get(key) != value:
                return f"{rule}.{key}: loupe {got.get(key)!r}, reference {value!r}"
    if set(details) != set(expect):
        return f"detail keys {sorted(details)} != {sorted(expect)}"
    return None


def compare(index, docs, settings, q, strategy, expected) -> str | None:
    """None when Loupe and the reference agree, else a report of the first difference."""
    result = index.search(q, limit=1000, matching_strategy=strategy, show_ranking_score=True,
                          show_ranking_score_details=True)
    got = [(h["id"], h["_rankingScore"]) for h in result["hits"]]
    want = [(d, s) for d, s, _ in expected]
    problem = None
    if [i for i, _ in got] != [i for i, _ in want]:
        problem = "order/hits differ"
    else:
        for (i, s1), (_, s2) in zip(got, want):
            if abs(s1 - s2) > 1e-12:
                problem = f"score of id {i} differs"
                break
        if problem is None:
            for hit, (_, _, trail) in zip(result["hits"], expected):
                why = _check_details(hit, trail)
                if why:
                    problem = f"details of id {hit['id']}: {why}"
                    break
    if problem is None:
        return None
    lines = [problem, f"query {q!r} matchingStrategy {strategy!r} settings {json.dumps(settings)}", "corpus:"]
    lines += [f"  {json.dumps(doc, ensure_ascii=False)}" for doc in docs]
    lines.append(f"loupe:     {got}")
    lines.append(f"reference: {want}")
    for hit in result["hits"]:
        lines.append(f"  loupe {hit['id']}: {json.dumps(hit['_rankingScoreDetails'])}")
    for d, _, trail in expected:
        lines.append(f"  ref   {d}: {[(rule, rank) for rule, rank, _ in trail]}")
    return "\n".join(lines)


def draw_queries(rng: random.Random, vocab, letters, docs, settings, count: int, skipped: Counter,
                 noted: Counter):
    """`count` (q, strategy, reference answer) for one corpus.

    A query in a zone the comparison avoids (see `reference`) is replaced by a fresh one and
    counted in `skipped`; so are four in five queries without any hit, which test little.  The
    compared queries count the reference's notes in `noted`."""
    queries = []
    while len(queries) < count:
        strategy = rng.choice(["last"] * 6 + ["all"] * 2 + ["frequency"])
        q = make_query(rng, vocab, letters)
        answer, reason, notes = reference(docs, settings, q, strategy)
        if reason is None and not answer and rng.random() < 0.8:
            reason = "no hit"
        if reason is None:
            queries.append((q, strategy, answer))
            noted.update(notes)
        else:
            skipped[reason] += 1
    return queries


def run_cases(tmp_path, seed: int, cases: int) -> tuple[int, int, list[str], Counter, Counter]:
    """Index corpus after corpus in one engine and compare `cases` queries in total."""
    rng = random.Random(seed)
    engine = Engine(tmp_path / "data.ms")
    agree = total = 0
    failures: list[str] = []
    skipped: Counter = Counter()
    noted: Counter = Counter()
    try:
        n = 0
        while total < cases:
            vocab, letters = make_vocab(rng)
            docs = make_corpus(rng, vocab)
            settings = make_settings(rng)
            uid = f"ref{n}"
            n += 1
            if settings:
                patch = validate_settings_patch(settings)
                engine.update_settings(uid, patch, task_details(patch))
            task = engine.add_documents(uid, docs, primary_key="id")
            # the reference works while the engine's worker indexes
            queries = draw_queries(rng, vocab, letters, docs, settings, min(QUERIES_PER_CORPUS, cases - total),
                                   skipped, noted)
            done = engine.wait_for_task(task["uid"])
            assert done["status"] == "succeeded", done["error"]
            index = engine.index(uid)
            for q, strategy, answer in queries:
                total += 1
                report = compare(index, docs, settings, q, strategy, answer)
                if report is None:
                    agree += 1
                else:
                    failures.append(report)
    finally:
        engine.close()
    return agree, total, failures, skipped, noted


def test_loupe_agrees_with_the_reference_ranker(tmp_path):
    cases = int(os.environ.get("LOUPE_REFERENCE_CASES", DEFAULT_CASES))
    seed = int(os.environ.get("LOUPE_REFERENCE_SEED", SEED))
    started = time.perf_counter()
    agree, total, failures, skipped, noted = run_cases(tmp_path, seed, cases)
    elapsed = time.perf_counter() - started
    print(f"reference ranker: {agree}/{total} agree in {elapsed:.1f} s (seed {seed}); "
          f"queries avoided: {dict(skipped) or 0}; compared with notes: {dict(noted) or 0}")
    assert not failures, f"{len(failures)}/{total} disagree; first:\n{failures[0]}"


def _one_index(tmp_path, docs, settings=None):
    engine = Engine(tmp_path / "one.ms")  # (tmp_path may not exist yet: the store creates it)
    if settings:
        patch = validate_settings_patch(settings)
        engine.update_settings("one", patch, task_details(patch))
    task = engine.add_documents("one", docs, primary_key="id")
    assert engine.wait_for_task(task["uid"])["status"] == "succeeded"
    return engine


def _answer(tmp_path, docs, q, settings=None, strategy="last"):
    engine = _one_index(tmp_path, docs, settings)
    try:
        result = engine.index("one").search(q, matching_strategy=strategy, show_ranking_score=True,
                                            show_ranking_score_details=True)
        return [(h["id"], h["_rankingScore"]) for h in result["hits"]]
    finally:
        engine.close()


def _ranks(rows):
    return [(d, [rank for _, rank, _ in trail]) for d, _, trail in rows]


def test_reduced_graph_shortcut(tmp_path):
    """The zone "reduced-graph shortcut" avoided above, pinned on two minimal examples where
    Loupe takes the shortcut §9 allows and §7.1 read literally answers otherwise.

    1. After proximity: `aaaax bbbbx` costs 2 typos through `aaaaa bbbbb` (title, body) and through
       the 2-gram `aaaaxbbbbx` (body); proximity costs 3 through the single words (different
       fields) and 1 through the 2-gram, so §7.1 ranks attributeRank and wordPosition on the 2-gram
       alone (1/3, 20/21) while the shortcut also sees the single words (2/3, 21/21).
    2. After words: `x y z` on `xy yz` matches 2 of 3 words through the 2-gram `xy`; the bucket's
       other document `x y` matches `x`, so the node `x` and the 2-gram `yz` both match documents
       of the bucket although no document matches the path `x yz`: the shortcut keeps that path
       and its typo maximum (1 + 2 + 1 = 4), §7.1 keeps only `x y` and `xy` (maximum 3)."""
    docs = [{"id": 0, "title": "aaaaa", "body": "aaaaxbbbbx bbbbb"}]
    settings = {"searchableAttributes": ["title", "body"]}
    corpus = Corpus(docs, settings["searchableAttributes"])
    literal = Search(corpus, "aaaax bbbbx ").run()
    shortcut = Search(corpus, "aaaax bbbbx ", approximate=True).run()
    assert _ranks(literal) == [(0, [(2, 2), (2, 4), (3, 4), (1, 3), (20, 21), (1, 3), (1, 3)])]
    assert _ranks(shortcut) == [(0, [(2, 2), (2, 4), (3, 4), (2, 3), (21, 21), (1, 3), (1, 3)])]
    assert _answer(tmp_path / "1", docs, "aaaax bbbbx ", settings) == [(d, s) for d, s, _ in shortcut]

    docs = [{"id": 0, "t": "xy yz"}, {"id": 1, "t": "x y"}]
    corpus = Corpus(docs, None)
    literal = Search(corpus, "x y z ").run()
    shortcut = Search(corpus, "x y z ", approximate=True).run()
    assert [ranks[1] for _, ranks in _ranks(literal)] == [(4, 4), (2, 4)]
    assert [ranks[1] for _, ranks in _ranks(shortcut)] == [(5, 5), (3, 5)]
    assert _answer(tmp_path / "2", docs, "x y z ") == [(d, s) for d, s, _ in shortcut]


def test_frequency_ngram_over_removed_terms(tmp_path):
    """A document matched through an n-gram joining a removed term (once a Loupe bug: the rules
    after typo lost the n-gram and scored wordPosition 1/11, proximity 1/1).  `x y z` with
    frequency: `y` (4 documents) is removed first, then `x` (2); document 3 holds only the 2-gram
    `yz`, whose path survives (§4: an n-gram goes with its last-removed word, here `z`).  Per §7:
    words 1/3, typo 2/4 (the 2-gram costs 2), proximity 1/2 (entering a 2-gram costs 1),
    wordPosition 18/21 (`yz` at 0 for query position 1: f(1) + f(2) = 3), exact-words 1/3."""
    docs = [{"id": 0, "t": "x y"}, {"id": 1, "t": "x y"}, {"id": 2, "t": "y"}, {"id": 3, "t": "yz"}]
    expected = Search(Corpus(docs, None), "x y z ", "frequency").run()
    assert [(d, [k for _, k, _ in trail]) for d, _, trail in expected] == [
        (3, [(1, 3), (2, 4), (1, 2), (1, 1), (18, 21), (1, 3), (1, 3)])]
    assert _answer(tmp_path, docs, "x y z ", strategy="frequency") == [(d, s) for d, s, _ in expected]
