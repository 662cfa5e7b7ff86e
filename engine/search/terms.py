"""Query terms -> graph nodes with their derivations (ranking.md §3).

A node covers one term, or 2–3 consecutive terms joined as an n-gram (`sun flower` ->
`sunflower`).  Its derivations are grouped by typo class, the unit the typo rule ranks by:

    class 0: the word itself, prefix extensions (last term), synonyms
    class 1: one-typo words, the best split (`sunflower` -> "sun flower")
    class 2: two-typo words (a first-letter typo counts as two)

Bitmaps of a class are computed on first use and cached on the node; the occurrence-based rules
(proximity) read the class's word lists instead.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
from pyroaring import BitMap

from ..limits import DERIVATION_CACHE_BYTES, DERIVATION_CACHE_ENTRIES, MAX_SYNONYM_PHRASES, MAX_WORD_BYTES
from ..store.codecs import bitmap_from_array, sorted_member
from .read_cache import BoundedCache
from .context import SearchContext
from .query_terms import ParsedQuery, Term
from .typos import Derivations, min_word_sizes, one_typo_after_keystroke, typo_budget

Phrase = tuple[str | None, ...]


@dataclass
class Node:
    first: int                     # first term index covered
    last: int                      # last term index covered (inclusive)
    start: int                     # first query position
    end: int                       # last query position
    words: Phrase                  # the original (normalized) words
    is_phrase: bool
    is_prefix: bool
    ngram: int = 1
    budget: int = 0
    one_typo: list[str] = field(default_factory=list)
    two_typos: list[str] = field(default_factory=list)
    prefix_words: list[str] = field(default_factory=list)
    synonyms: list[Phrase] = field(default_factory=list)
    split: Phrase | None = None
    indexed: bool = False          # the word itself is an indexed word
    prefix_db: bool = False        # Meilisearch serves this prefix from its word-prefix database
    rep: int = -1                  # term index this node is removed with (set by the words rule)
    _docids: dict[int, BitMap] = field(default_factory=dict)
    _class_words: dict[int, list[Phrase]] = field(default_factory=dict)
    memo: dict[tuple, Any] = field(default_factory=dict)  # rules' universe-independent per-term data

    @cached_property
    def word(self) -> str:
        return "".join(w for w in self.words if w) if self.ngram > 1 else (self.words[0] or "")

    @property
    def width(self) -> int:
        """Number of original term indexes covered: 1 for a word or a whole phrase, k for a k-gram.
        Position, attribute and exactness costs count terms, not the words of a phrase (upstream
        multiplies by ``term_ids.len()``)."""
        return self.last - self.first + 1

    @property
    def max_typo(self) -> int:
        if self.is_phrase:
            return 0
        return max(1, self.budget)

    @property
    def base_typo(self) -> int:
        """An n-gram costs as many typos as it joins words (ranking.md §7.3)."""
        return 0 if self.ngram == 1 else self.ngram

    def docids(self, ctx: SearchContext, cls: int) -> BitMap:
        bm = self._docids.get(cls)
        if bm is None:
            bm = self._compute(ctx, cls)
            self._docids[cls] = bm
        return bm

    def any_docids(self, ctx: SearchContext, classes: tuple[int, ...] = (0, 1, 2)) -> BitMap:
        """Documents matching any of the given typo classes (the union is remembered per classes)."""
        key = ("any", classes)
        union = self.memo.get(key)
        if union is None:
            parts = [self.docids(ctx, c) for c in classes if c <= self.max_typo]
            union = self.memo[key] = BitMap.union(*parts) if parts else BitMap()
        return union

    def _compute(self, ctx: SearchContext, cls: int) -> BitMap:
        if self.is_phrase:
            return self.phrase_docids(ctx, self.words) if cls == 0 else BitMap()
        parts: list[BitMap] = []
        if cls == 0:
            word = self.word
            if self.is_prefix:
                parts.append(ctx.prefix_docids(word, tolerant_only=self.ngram > 1))
            parts.append(ctx.tolerant_docids(word) if self.ngram > 1 else ctx.word_docids(word))
            parts.extend(self.phrase_docids(ctx, s) for s in self.synonyms)
        elif cls == 1:
            parts.extend(ctx.tolerant_docids(w) for w in self.one_typo)
            if self.split is not None:
                parts.append(self.phrase_docids(ctx, self.split))
        elif cls == 2:
            parts.extend(ctx.tolerant_docids(w) for w in self.two_typos)
        return BitMap.union(*parts) if parts else BitMap()

    def phrase_docids(self, ctx: SearchContext, phrase: Phrase) -> BitMap:
        """Documents where one of the term's phrases (its own, its split, a multi-word synonym)
        matches, remembered with the term: its typo classes and the occurrence-based rules share it."""
        key = ("phrase docids", phrase)
        docs = self.memo.get(key)
        if docs is None:
            docs = self.memo[key] = phrase_docids(ctx, phrase)
        return docs

    def class_words(self, cls: int) -> list[Phrase]:
        """Every word / phrase of a typo class, in class order, for occurrence-based rules
        (memoised): a document is costed by whichever derivation it has."""
        found = self._class_words.get(cls)
        if found is None:
            found = self._class_words[cls] = self._make_class_words(cls)
        return found

    def _make_class_words(self, cls: int) -> list[Phrase]:
        if self.is_phrase:
            return [self.words] if cls == 0 else []
        if cls == 0:
            out: list[Phrase] = [(self.word,)]
            out.extend((w,) for w in self.prefix_words)
            out.extend(self.synonyms)
            return out
        if cls == 1:
            out = [(w,) for w in self.one_typo]
            if self.split is not None:
                out.append(self.split)
            return out
        if cls == 2:
            return [(w,) for w in self.two_typos]
        return []


def phrase_docids(ctx: SearchContext, words: Phrase) -> BitMap:
    """Documents matching a phrase by Meilisearch's pair rule (ranking.md §2.3), not by exact positions.

    Every real word must be in the document; then, for each window of ``min(3, len)`` consecutive
    slots (a stop word is a wildcard that occupies a slot), every ordered pair of real words must
    occur in one field with the second right after the first (adjacent slots) or one or two
    positions after it (one slot between them).  Pairs are checked per document, not per
    occurrence, as upstream does with its stored word-pair proximities.

    With ``proximityPrecision: byAttribute`` upstream keeps no word distances: a pair is only "in
    the same field" (milli's `get_db_word_pair_proximity_docids` forces every proximity to 0 and
    intersects the words' field postings), so a phrase matches documents holding all its words in
    one searchable field, in any order and at any distance.
    """
    real = [(slot, w) for slot, w in enumerate(words) if w]
    if not real:
        return BitMap()
    docs = BitMap.intersection(*(ctx.word_docids(w) for _s, w in real)) if len(real) > 1 else ctx.word_docids(real[0][1])
    if len(real) == 1 or not docs:
        return docs
    by_attribute = ctx.settings.get("proximityPrecision") == "byAttribute"
    for first, second, gap in _phrase_pairs(real, len(words)):
        if by_attribute:
            docs = _same_field_docids(ctx, first, second, docs)
        else:
            docs = _pair_docids(ctx, first, second, (1,) if gap == 1 else (1, 2), docs)
        if not docs:
            break
    return docs


def _same_field_docids(ctx: SearchContext, first: str, second: str, docs: BitMap) -> BitMap:
    """Documents of ``docs`` holding both words in one field (byAttribute's only "proximity")."""
    first_slots, second_slots = ctx.slots(first, b"F"), ctx.slots(second, b"F")
    parts = [first_slots[fid] & second_slots[fid] for fid in first_slots.keys() & second_slots.keys()]
    return docs & BitMap.union(*parts) if parts else BitMap()


def _phrase_pairs(real: list[tuple[int, str]], n_slots: int) -> list[tuple[str, str, int]]:
    """(first word, second word, slot gap) for every ordered pair of real words sharing a window."""
    width = min(3, n_slots)
    pairs: dict[tuple[str, str, int], None] = {}
    for start in range(n_slots - width + 1):
        window = [(slot, w) for slot, w in real if start <= slot < start + width]
        for i, (slot_a, a) in enumerate(window):
            for slot_b, b in window[i + 1:]:
                pairs[(a, b, slot_b - slot_a)] = None
    return list(pairs)


# Below this many anchor occurrences, looking every one up costs less than first dropping those
# outside `docs` with a docid mask (a zeroed array the size of the index); a hit outside `docs`
# is dropped afterwards instead.
_MASK_FROM = 4096


def _pair_docids(ctx: SearchContext, first: str, second: str, distances: tuple[int, ...], docs: BitMap) -> BitMap:
    """Documents of ``docs`` where ``second`` follows ``first`` in one field at one of the distances.

    The rarer word's occurrences are the anchor; the other word is looked up by binary search.
    """
    occ_first, occ_second = ctx.occurrences(first), ctx.occurrences(second)
    mask = ctx.doc_mask(docs) if min(len(occ_first), len(occ_second)) > _MASK_FROM else None
    if len(occ_second) < len(occ_first):  # anchor on `second`: look `first` up before it
        keys = occ_second[mask[occ_second >> 32]] if mask is not None else occ_second
        hits = [keys[sorted_member(keys - d, occ_first) & ((keys & 0xFFFF) >= d)] for d in distances]
    else:
        keys = occ_first[mask[occ_first >> 32]] if mask is not None else occ_first
        hits = [keys[sorted_member(keys + d, occ_second) & ((keys & 0xFFFF) <= 0xFFFF - d)] for d in distances]
    found = np.concatenate(hits) if len(hits) > 1 else hits[0]
    if not len(found):
        return BitMap()
    found_docs = bitmap_from_array(found >> 32)
    return found_docs if mask is not None else found_docs & docs  # unmasked hits may lie outside docs


def synonym_table(ctx: SearchContext) -> dict[tuple[str, ...], list[Phrase]]:
    cache = ctx.cache
    table = getattr(cache, "_synonyms", None)
    if table is None:
        table = {}
        for key, values in (cache.settings.get("synonyms") or {}).items():
            key_words = tuple(cache.tokenizer.words(key))
            if not key_words:
                continue
            phrases = table.setdefault(key_words, [])
            for value in values:
                value_words = tuple(cache.tokenizer.words(value))
                if value_words and value_words not in phrases and len(phrases) < MAX_SYNONYM_PHRASES:
                    phrases.append(value_words)
        cache._synonyms = table
    return table


def _budget(ctx: SearchContext, word: str) -> int:
    typo = ctx.settings.get("typoTolerance") or {}
    one_typo, two_typos = min_word_sizes(typo)
    disabled = getattr(ctx.cache, "_disabled_words", None)
    if disabled is None:
        disabled = {w for text in typo.get("disableOnWords") or [] for w in ctx.cache.tokenizer.words(text)}
        ctx.cache._disabled_words = disabled
    return typo_budget(word, enabled=typo.get("enabled", True), one_typo=one_typo, two_typos=two_typos,
                       disable_on_words=disabled)


def _best_split(ctx: SearchContext, word: str) -> Phrase | None:
    lexicon = ctx.cache.all_lexicon
    best, best_count = None, 0
    chars = list(word)
    for i in range(1, len(chars)):
        left, right = "".join(chars[:i]), "".join(chars[i:])
        if left in lexicon and right in lexicon:
            if ctx.word_docids(left).intersection_cardinality(ctx.word_docids(right)) <= best_count:
                continue  # cannot beat the best split: skip the positional check
            count = len(phrase_docids(ctx, (left, right)))
            if count > best_count:
                best, best_count = (left, right), count
    return best


def _derivation_key(ctx: SearchContext, words: Phrase, ngram: int, is_phrase: bool, is_prefix: bool) -> tuple:
    """What a node's derivations depend on besides the index version: its words and kind, and
    the fields searched (`attributesToSearchOn`)."""
    return (words, ngram, is_phrase, is_prefix, ctx.search_fids)


def _after_keystroke(ctx: SearchContext, node: Node) -> Derivations | None:
    """Search-as-you-type: when the same term one char shorter (the previous keystroke) was
    derived with one typo in this index version, narrow its derivations instead of searching
    the vocabulary again (`one_typo_after_keystroke`)."""
    last = node.words[-1]
    if not last or len(last) < 2:
        return None
    shorter = derivation_cache(ctx).get(_derivation_key(ctx, node.words[:-1] + (last[:-1],), node.ngram, False, True))
    if shorter is None or shorter.budget != 1 or not shorter.is_prefix:
        return None
    return one_typo_after_keystroke(ctx.cache.tolerant_lexicon, node.word, shorter.one_typo)


def _derive(ctx: SearchContext, node: Node) -> None:
    if node.is_phrase:
        return
    word = node.word
    if len(word.encode()) > MAX_WORD_BYTES:
        node.is_prefix = False
        return
    node.indexed = word in ctx.cache.all_lexicon
    budget = _budget(ctx, word)
    if node.ngram > 1:
        budget = max(0, budget - (node.ngram - 1))
    node.budget = budget
    if node.is_prefix:
        node.prefix_words = ctx.prefix_words(word, tolerant_only=node.ngram > 1)
        node.prefix_db = ctx.in_upstream_prefix_db(word)
    if budget > 0:
        derivations = _after_keystroke(ctx, node) if budget == 1 and node.is_prefix else None
        if derivations is None:
            derivations = ctx.cache.tolerant_lexicon.typo_derivations(word, budget, node.is_prefix)
        node.one_typo, node.two_typos = list(derivations.one_typo), list(derivations.two_typos)
    split = _best_split(ctx, word)
    if split is not None and not (node.ngram > 1 and split == node.words):
        node.split = split
    node.synonyms = list(synonym_table(ctx).get(tuple(w for w in node.words if w), []))


def build_nodes(ctx: SearchContext, parsed: ParsedQuery, prefix_search: bool) -> list[Node]:
    """Every node of the query graph: one per term, plus 2- and 3-grams of adjacent words."""
    terms: list[Term] = parsed.terms
    nodes: list[Node] = []
    for i, term in enumerate(terms):
        nodes.append(Node(i, i, term.start, term.end, tuple(term.words), term.is_phrase,
                          term.is_prefix and prefix_search))
    for size in (2, 3):
        for i in range(len(terms) - size + 1):
            window = terms[i:i + size]
            if any(t.is_phrase for t in window):
                continue
            if any(window[k].end + 1 != window[k + 1].start for k in range(size - 1)):
                continue
            words = tuple(t.words[0] for t in window)
            if len("".join(w or "" for w in words).encode()) > MAX_WORD_BYTES:
                continue
            nodes.append(Node(i, i + size - 1, window[0].start, window[-1].end, words, False,
                              window[-1].is_prefix and prefix_search, ngram=size))
    derivations = derivation_cache(ctx)
    for node in nodes:
        node.rep = node.first
        key = _derivation_key(ctx, node.words, node.ngram, node.is_phrase, node.is_prefix)
        known = derivations.get(key)
        if known is None:
            _derive(ctx, node)
            derivations.put(key, Derivation.of(node))
        else:
            known.apply(node)
    return nodes


@dataclass(frozen=True)
class Derivation:
    """What `_derive` found for a node, plus its class bitmaps as later searches fill them in.

    Derivations depend only on the index version (lexicon, postings, settings) and on the
    attributesToSearchOn fields, so searches of one version share them: while a user types
    `python3 oslo servi`, the words `python3` and `oslo` are derived once, not once per keystroke.
    """

    is_prefix: bool
    budget: int
    one_typo: tuple[str, ...]
    two_typos: tuple[str, ...]
    prefix_words: tuple[str, ...]
    synonyms: tuple[Phrase, ...]
    split: Phrase | None
    indexed: bool
    prefix_db: bool
    docids: dict[int, BitMap]
    class_words: dict[int, list[Phrase]]
    memo: dict[tuple, Any]

    @classmethod
    def of(cls, node: Node) -> "Derivation":
        return cls(node.is_prefix, node.budget, tuple(node.one_typo), tuple(node.two_typos),
                   tuple(node.prefix_words), tuple(node.synonyms), node.split, node.indexed, node.prefix_db,
                   node._docids, node._class_words, node.memo)

    def apply(self, node: Node) -> None:
        node.is_prefix, node.budget, node.split = self.is_prefix, self.budget, self.split
        node.indexed, node.prefix_db = self.indexed, self.prefix_db
        node.one_typo, node.two_typos = list(self.one_typo), list(self.two_typos)
        node.prefix_words, node.synonyms = list(self.prefix_words), list(self.synonyms)
        node._docids, node._class_words, node.memo = self.docids, self.class_words, self.memo


class DerivationCache(BoundedCache):
    """Derivations by node key, emptied when full (one index version's working set is small).

    Entries are counted, and so are the bytes of the arrays rules remember on nodes (`remember`).
    """

    def __init__(self, capacity: int = DERIVATION_CACHE_ENTRIES, max_bytes: int = DERIVATION_CACHE_BYTES):
        super().__init__(capacity, max_bytes)


def remember(ctx: SearchContext, node: Node, key: tuple, value: Any, nbytes: int = 0) -> Any:
    """Keep a rule's universe-independent result for this term: later buckets of this search and
    later searches of this index version (the next keystroke) reuse it."""
    derivation_cache(ctx).charge(nbytes)
    node.memo[key] = value
    return value


def derivation_cache(ctx: SearchContext) -> DerivationCache:
    cache = getattr(ctx.cache, "derivations", None)
    if cache is None:
        cache = ctx.cache.derivations = DerivationCache()
    return cache


__all__ = ["Node", "Derivation", "DerivationCache", "build_nodes", "remember", "phrase_docids"]
