"""Typo derivations: the indexed words a query word may match at the cost of one or two typos.

The idea (ranking.md §3.2): distance is Damerau–Levenshtein in its *optimal string alignment*
form (insertion, deletion, substitution, adjacent swap: 1 each), and the first letter is special —
a word that keeps the query's first char costs its distance, a word that changes it costs two typos
and is only accepted one edit away::

    >>> lex = Lexicon(["cheval", "chevalier", "cheveux", "chevre", "jhevol"])
    >>> typo_derivations(lex, "chevol", budget=1, is_prefix=True)
    Derivations(one_typo=['cheval', 'chevalier'], two_typos=[])
    >>> typo_derivations(lex, "chevol", budget=2, is_prefix=False)
    Derivations(one_typo=['cheval'], two_typos=['chevre', 'jhevol'])

For a prefix term (the last word being typed) a word qualifies when *some prefix* of it is close
enough: ``d(q, w) = min over L of OSA(q, w[:L])`` — milli's prefix Levenshtein automaton. Words
at distance 0 (the query itself, its plain extensions) are not typo derivations.

How it stays fast without a Python loop over the vocabulary. Everything is a C pass of rapidfuzz
over a candidate array cut from one first-letter bucket of the sorted lexicon (a Python trie walk
with a DP row per node, and a numpy bit-parallel OSA over a whole bucket, both measured slower):

* same first char, exact term: OSA with ``score_cutoff=budget`` over the bucket's words of
  length ``n-k .. n+k`` (the only lengths that can be within `k` edits);
* same first char, prefix term: one candidate per trie node at depth ``n+k`` (the distinct
  ``w[:n+k]``; every word at least that long lies under exactly one) plus the words of length
  ``n-k .. n+k-1``. A prefix within `k` edits of the query keeps at least ``n-k`` of its chars in
  order, so an LCS pass with ``score_cutoff=n-k`` discards most candidates; survivors get the
  exact ``min over L`` (one OSA pass per length L), in lexicographic batches that stop once the
  caps are met, and a node stands for the whole index range of words below it;
* other first char (budget 2 only, distance ≤ 1): the edit must touch the first char, so the
  word (or, for a prefix term, one of its prefixes) is one of ``c+q[1:]``, ``c+q``, ``q[1:]``,
  ``q[1]q[0]q[2:]`` — set lookups or bisections, only for the chars `c` that some word pairs
  with the needed second char.

On the Debian vocabulary (89k words) a word costs 0.35 ms at the median and 1.1 ms at p99
(bench/typos.py). The weak spot is a prefix term in a dense region (``libostree*`` among
thousands of ``lib…`` words): the LCS filter lets many candidates through.

Results are index ranges merged in lexicographic order and cut at the caps (150 one-typo, 50
two-typo derivations), which is exactly "the first N in lexicographic order" of milli's FST walk.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Collection, Iterable, Mapping

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import OSA, LCSseq

from ..limits import MAX_ONE_TYPO_COUNT, MAX_TWO_TYPOS_COUNT, MAX_WORD_BYTES
from .lexicon import Lexicon

# Prefix-term candidates that passed the LCS filter are verified this many at a time, in
# lexicographic order, so verification stops soon after the caps are met.
VERIFY_BATCH = 128
# Defaults of `typoTolerance.minWordSizeForTypos`.
DEFAULT_MIN_WORD_SIZE_ONE_TYPO = 5
DEFAULT_MIN_WORD_SIZE_TWO_TYPOS = 9

_Span = tuple[int, int, int]  # (lo, hi, typos): the words lexicon.words[lo:hi] cost `typos`


@dataclass(frozen=True)
class Derivations:
    """Typo derivations of one query word, each list in lexicographic order."""

    one_typo: list[str] = field(default_factory=list)
    two_typos: list[str] = field(default_factory=list)


def min_word_sizes(typo_tolerance: Mapping[str, Any]) -> tuple[int, int]:
    """`minWordSizeForTypos` of an index's `typoTolerance` settings: (oneTypo, twoTypos)."""
    sizes = typo_tolerance.get("minWordSizeForTypos") or {}
    return (sizes.get("oneTypo", DEFAULT_MIN_WORD_SIZE_ONE_TYPO),
            sizes.get("twoTypos", DEFAULT_MIN_WORD_SIZE_TWO_TYPOS))


def typo_budget(word: str, enabled: bool = True, one_typo: int = DEFAULT_MIN_WORD_SIZE_ONE_TYPO,
                two_typos: int = DEFAULT_MIN_WORD_SIZE_TWO_TYPOS,
                disable_on_words: Collection[str] = ()) -> int:
    """How many typos a (normalized) query word may carry, ranking.md §3.1: lengths are counted
    in chars, a word over 250 bytes gets none. `disable_on_words` must be normalized already."""
    if not enabled or word in disable_on_words or len(word.encode("utf-8")) > MAX_WORD_BYTES:
        return 0
    chars = len(word)
    if chars < one_typo:
        return 0
    if chars < two_typos:
        return 1
    return 2


def typo_derivations(lexicon: Lexicon, word: str, budget: int, is_prefix: bool,
                     max_one_typo: int = MAX_ONE_TYPO_COUNT,
                     max_two_typos: int = MAX_TWO_TYPOS_COUNT) -> Derivations:
    """Words of `lexicon` within `budget` typos of `word` (ranking.md §3.2, see module docstring).

    `budget` above 2 is treated as 2; 0 (or a word over 250 bytes) gives no derivation."""
    if budget <= 0 or not word or len(word.encode("utf-8")) > MAX_WORD_BYTES:
        return Derivations()
    budget = min(budget, 2)
    if is_prefix:
        caps = (max_one_typo, max_two_typos if budget == 2 else 0)
        spans = _same_first_char_prefix(lexicon, word, budget, caps)
    else:
        spans = _same_first_char_exact(lexicon, word, budget)
    if budget == 2:
        spans.extend((lo, hi, 2) for lo, hi in _other_first_char(lexicon, word, is_prefix))
    return _collect(lexicon.words, spans, max_one_typo, max_two_typos)


def one_typo_after_keystroke(lexicon: Lexicon, word: str, shorter: list[str] | tuple[str, ...],
                             max_one_typo: int = MAX_ONE_TYPO_COUNT) -> Derivations | None:
    """The one-typo derivations of the prefix term `word` from those of ``word[:-1]`` (the previous
    keystroke), or None when they cannot be trusted (`shorter` reached the cap, so it may lack
    words). Same answer as `typo_derivations(lexicon, word, 1, True)`, at a fraction of the cost.

    Dropping the query's last char never makes a word farther away, so every one-typo word of
    `word` was already within one typo of ``word[:-1]``: either a word extending ``word[:-1]``
    (these are all one substitution or deletion away from `word`, unless they extend `word`
    itself, distance 0) or one of its one-typo derivations, which only need checking again."""
    if len(shorter) >= max_one_typo or len(word) < 2:
        return None
    n = len(word)
    words = lexicon.words
    outer_lo, outer_hi = lexicon.prefix_range(word[:-1])
    inner_lo, inner_hi = lexicon.prefix_range(word, outer_lo, outer_hi)
    found = words[outer_lo:min(inner_lo, outer_lo + max_one_typo)] + words[inner_hi:min(outer_hi, inner_hi + max_one_typo)]
    if shorter:
        distances = _prefix_distances(word, [w[:n + 1] for w in shorter], n - 1, 1)
        found.extend(w for w, d in zip(shorter, distances.tolist()) if d == 1)
    found.sort()
    return Derivations(found[:max_one_typo], [])


def warm_prefix_candidates(lexicon: Lexicon, one_typo: int = DEFAULT_MIN_WORD_SIZE_ONE_TYPO,
                           two_typos: int = DEFAULT_MIN_WORD_SIZE_TWO_TYPOS) -> None:
    """Cut, for every first-letter bucket, the candidate arrays of the keystrokes where a prefix
    term first gets a typo: a word of `one_typo` chars (one typo), a 2-gram of `two_typos` chars
    (one typo) and a word of `two_typos` chars (two typos). Later keystrokes narrow the previous
    one's derivations (`one_typo_after_keystroke`), so these are the searches that still read
    whole buckets; cutting their arrays ahead of time spares the first such keystrokes about
    half their cost."""
    for size, budget in ((one_typo, 1), (two_typos, 1), (two_typos, 2)):
        if 0 < size - budget:
            for first in lexicon.first_chars:
                lexicon.depth_candidates(first, size + budget, size - budget)


def _same_first_char_exact(lexicon: Lexicon, word: str, budget: int) -> list[_Span]:
    """Words of the query's bucket at OSA distance 1..budget (lengths n-k..n+k only)."""
    n, first = len(word), word[0]
    spans: list[_Span] = []
    for length in range(max(1, n - budget), n + budget + 1):
        candidates, indexes = lexicon.words_of_length(first, length)
        if not candidates:
            continue
        distances = _distances(word, candidates, budget)
        for j in np.flatnonzero(distances <= budget).tolist():
            if distances[j]:
                i = int(indexes[j])
                spans.append((i, i + 1, int(distances[j])))
    return spans


def _same_first_char_prefix(lexicon: Lexicon, word: str, budget: int,
                            caps: tuple[int, int]) -> list[_Span]:
    """Word ranges of the query's bucket whose best prefix is 1..budget edits away, verified in
    lexicographic order until the caps are met (later bucket words could not make the cut)."""
    n, first = len(word), word[0]
    min_len, depth = max(1, n - budget), n + budget
    candidates, starts, stops = lexicon.depth_candidates(first, depth, min_len)
    if not candidates:
        return []
    # Necessary condition: a prefix p with OSA(q, p) <= k has LCS(q, p) >= n - k, and the
    # candidate contains p, so LCS(q, candidate) >= n - k as well.
    cut = n - budget
    if cut > 0:
        lcs = process.cdist([word], candidates, scorer=LCSseq.similarity, score_cutoff=cut,
                            dtype=np.int32)[0]
        survivors = np.flatnonzero(lcs >= cut).tolist()
    else:
        survivors = list(range(len(candidates)))
    spans: list[_Span] = []
    found = [0, 0, 0]  # words found per typo count
    for at in range(0, len(survivors), VERIFY_BATCH):
        batch = survivors[at:at + VERIFY_BATCH]
        best = _prefix_distances(word, [candidates[j] for j in batch], min_len, budget)
        for j, distance in zip(batch, best.tolist()):
            if 0 < distance <= budget:
                lo, hi = int(starts[j]), int(stops[j])
                spans.append((lo, hi, distance))
                found[distance] += hi - lo
        if found[1] >= caps[0] and found[2] >= caps[1]:
            break
    return spans


def _prefix_distances(word: str, candidates: list[str], min_len: int, budget: int) -> np.ndarray:
    """For each candidate, min over L of OSA(word, candidate[:L]) on the lengths that can be
    within `budget` (budget + 1 when none is). Candidates are at most len(word) + budget long."""
    depth = len(word) + budget
    best = _distances(word, candidates, budget)
    for length in range(min_len, depth):
        np.minimum(best, _distances(word, [c[:length] for c in candidates], budget), out=best)
    return best


def _distances(word: str, candidates: list[str], budget: int) -> np.ndarray:
    """OSA distances in one C pass (budget + 1 for anything farther)."""
    return process.cdist([word], candidates, scorer=OSA.distance, score_cutoff=budget,
                         dtype=np.int32)[0]


def _other_first_char(lexicon: Lexicon, word: str, is_prefix: bool) -> list[tuple[int, int]]:
    """Ranges of words not starting with word[0] that are (or, for a prefix term, start with a
    string that is) exactly one edit away — the edit must then touch the first char."""
    first, tail = word[0], word[1:]
    forms: list[str] = []  # the one-edit variants whose first char differs
    if tail:
        # substitution of the first char; only first chars followed by tail[0] somewhere
        forms.extend(char + tail for char in lexicon.preceders(tail[0]) if char != first)
        if tail[0] != first:
            forms.append(tail)  # deletion of the first char
            forms.append(tail[0] + first + tail[1:])  # swap of the first two chars
    elif not is_prefix:
        forms.extend(char for char in lexicon.first_chars if char != first)
    # insertion in front
    forms.extend(char + word for char in lexicon.preceders(first) if char != first)
    if not is_prefix:
        return [(i, i + 1) for i in _indexes_of(lexicon, forms)]
    ranges: list[tuple[int, int]] = []
    for form in forms:
        lo, hi = lexicon.first_char_range(form[0])
        lo, hi = lexicon.prefix_range(form, lo, hi)
        if lo < hi:
            ranges.append((lo, hi))
    if not tail:  # "" is one deletion away from a one-char query: every other word qualifies
        lo, hi = lexicon.first_char_range(first)
        ranges.extend([(0, lo), (hi, len(lexicon))] if hi > lo else [(0, len(lexicon))])
    return ranges


def _indexes_of(lexicon: Lexicon, forms: Iterable[str]) -> list[int]:
    return [lexicon.index(form) for form in set(forms) if form in lexicon]


def _collect(words: list[str], spans: list[_Span], max_one: int, max_two: int) -> Derivations:
    """Expand ranges in lexicographic order until both caps are reached. Ranges of the same typo
    count may overlap (other-first-char forms); ranges of different counts never do."""
    one: list[str] = []
    two: list[str] = []
    done = {1: 0, 2: 0}  # per typo count, the index below which words were already taken
    for lo, hi, typos in sorted(spans):
        out, cap = (one, max_one) if typos == 1 else (two, max_two)
        lo = max(lo, done[typos])
        room = cap - len(out)
        if room <= 0 or lo >= hi:
            continue
        hi = min(hi, lo + room)
        out.extend(words[lo:hi])
        done[typos] = hi
        if len(one) >= max_one and len(two) >= max_two:
            break
    return Derivations(one, two)
