"""Finding the query's words in a field value (formatting.md §3).

The vocabulary comes from the query's `MatchingTerm`s: each term's words (its exact word, prefix
extensions, typo derivations, one-word synonyms) and its phrases (a quoted phrase, multi-word
synonyms, the split of a word).  A field value is cut by the index's tokenizer *without stop
words*; every word token is then tried against the phrases first, then the words, non-prefix
terms first and wider n-grams before single words.  A prefix term highlights only as many chars
of the token as the query word had (mapped back to the original chars: ``world`` on
``Ŵôřlḑôle`` marks ``Ŵôřlḑ``).  Matches never overlap.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from operator import itemgetter
from typing import NamedTuple, Sequence

from ..search.query import MatchingTerm
from ..languages.detection import CJ_RE
from ..tokenizer import SEPARATOR, Token, drop_marks, flattened_text, normalized_char_counts


# Above this many needles, values are not searched for them one by one first.
_MAX_NEEDLES = 64


class Match(NamedTuple):
    """One match: tokens ``first..last`` (indexes in the token list), their word positions, the
    query positions it covers, and the original chars it highlights from the first token's start
    (the whole token, a prefix of it, or the whole span of a phrase)."""

    first: int
    last: int
    first_word: int
    last_word: int
    ids: tuple[int, ...]
    char_start: int
    char_count: int
    is_phrase: bool = False

    @property
    def word_count(self) -> int:
        return self.last_word - self.first_word + 1 if self.is_phrase else 1


@dataclass(frozen=True, slots=True)
class _Words:
    classes: tuple[frozenset[str], ...]   # derivation words by typo class
    is_prefix: bool
    typed_chars: int                      # chars of the query word as typed (normalized)
    ids: tuple[int, ...]
    width: int
    lengths: tuple[tuple[int, ...], ...] = ()  # per class: distinct derivation lengths, descending


@dataclass(frozen=True, slots=True)
class _Phrase:
    words: tuple[str | None, ...]
    ids: tuple[int, ...]


class Vocabulary:
    """The matching words and phrases of one query (built once per search)."""

    def __init__(self, terms: Sequence[MatchingTerm]):
        words: list[_Words] = []
        phrases: list[_Phrase] = []
        for term in terms:
            ids = tuple(range(term.positions[0], term.positions[1] + 1))
            if term.is_phrase:
                if term.words:
                    phrases.append(_Phrase(tuple(term.words), ids))
                continue
            classes = []
            synonyms = set(term.synonyms)
            for derivations in term.derivations:
                classes.append(_single_words(derivations, synonyms, ids, phrases))
            lengths = tuple(tuple(sorted(set(map(len, cls)), reverse=True)) for cls in classes)
            words.append(_Words(tuple(classes), term.is_prefix, len(_typed(term)), ids, len(ids), lengths))
        words.sort(key=lambda w: (w.is_prefix, -w.width))  # stable: query order otherwise
        self.words = tuple(words)
        self.phrases = tuple(phrases)
        # a non-prefix term matches a lemma equal to a derivation: one dict, first term wins
        self.exact: dict[str, _Words] = {}
        for entry in words:
            if not entry.is_prefix:
                for cls in entry.classes:
                    for word in cls:
                        self.exact.setdefault(word, entry)
        self.prefixed = tuple(entry for entry in words if entry.is_prefix)
        self.phrase_starts = frozenset(p.words[0] for p in phrases if p.words[0])
        self._memo: dict[str, tuple[_Words, int] | None] = {}
        # Every lemma that can match is one of `keys` or starts with one of `anchors`: a prefix
        # term's words of every class are anchors (class 0 reduced to the words no other extends).
        self.keys = frozenset(self.exact) | self.phrase_starts
        self.anchors = tuple(dict.fromkeys(
            [w for entry in self.prefixed for w in _outermost(entry.classes[0])]
            + [w for entry in self.prefixed for cls in entry.classes[1:] for w in cls]))
        # ... so a plain ASCII text containing none of them surely has no match
        self.needles = tuple(sorted(w.encode("ascii") for w in self.keys | frozenset(self.anchors)
                                    if w and w.isascii()))
        self.few_needles = len(self.needles) <= _MAX_NEEDLES
        # ... and every word that starts with a needle starts with exactly one of these
        self.word_needles = tuple(_outermost_bytes(self.needles))
        self.longest_phrase = max((len(p.words) for p in phrases), default=1)
        self._key_bytes: frozenset[bytes] | None = None
        self._anchor_bytes: tuple[bytes, ...] = ()

    @cached_property
    def flat_needles(self) -> tuple[str, ...] | None:
        """What any text whose `flattened_text` holds none of has no match (None: too many to
        try); made when a value first needs it (plain ASCII values never do)."""
        flat = {drop_marks(w) for w in self.keys | frozenset(self.anchors) if w}
        return tuple(sorted(flat, key=len)) if len(flat) <= _MAX_NEEDLES else None

    def reads_placeholder(self, placeholder: str) -> bool:
        """Whether values may be read through stand-ins with ``placeholder`` for the word chars
        that have no ASCII one (`Tokenizer.ascii_stand_in`): every word to find is ASCII and
        free of it, so none can match a word holding such a char but through its ASCII head."""
        words = [*self.keys, *self.anchors, *(w for p in self.phrases for w in p.words if w)]
        return all(w.isascii() and placeholder not in w for w in words)

    def may_occur_in(self, text: str) -> bool:
        """False when ``text`` (any text) surely has no match: no needle occurs in its
        `flattened_text`.  Tells the formatter which values need no tokens at all."""
        if self.flat_needles is None or (not text.isascii() and CJ_RE.search(text)):
            return True  # Chinese/Japanese lemmas depend on the language of their run
        flat = flattened_text(text)
        for needle in self.flat_needles:
            if needle in flat:
                return True
        return False

    def present_in(self, shape: bytes) -> list[bytes]:
        """The words to look for in a plain ASCII value, given its shape (`words.AsciiValue`):
        the needles it contains or, when there are too many needles to try one by one, the
        words of its own that are keys or start with an anchor."""
        if self.few_needles:
            return [needle for needle in self.needles if needle in shape]
        if self._key_bytes is None:
            self._key_bytes = frozenset(w.encode("ascii") for w in self.keys if w.isascii())
            self._anchor_bytes = tuple(w.encode("ascii") for w in self.anchors if w.isascii())
        words = set(shape.split())
        present = words & self._key_bytes
        if self._anchor_bytes:
            present.update(w for w in words if w.startswith(self._anchor_bytes))
        return list(present)

    def __bool__(self) -> bool:
        return bool(self.words or self.phrases)

    def word_match(self, lemma: str) -> tuple[_Words, int] | None:
        """The first term matching a token's lemma and the normalized chars it highlights
        (-1: the whole token); memoized, lemmas repeat across the hits of a page."""
        try:
            return self._memo[lemma]
        except KeyError:
            pass
        found = self._memo[lemma] = self._find_word(lemma)
        if len(self._memo) > 100_000:
            self._memo.clear()
        return found

    def _find_word(self, lemma: str) -> tuple[_Words, int] | None:
        entry = self.exact.get(lemma)
        if entry is not None:
            return entry, -1
        size = len(lemma)
        for entry in self.prefixed:
            if lemma in entry.classes[0]:  # the common case: the loop below would find it first
                return entry, min(entry.typed_chars, size)
            for cls, lengths in zip(entry.classes, entry.lengths):
                for end in lengths:  # the derivations' lengths, longest first
                    if end <= size and lemma[:end] in cls:
                        return entry, min(entry.typed_chars, end)
        return None

    def phrase_at(self, lemmas: Sequence[str], i: int) -> tuple[int, tuple[int, ...]] | None:
        """(number of words, query positions) of the first phrase matching the words from
        ``lemmas[i]`` on, or None."""
        for phrase in self.phrases:
            words = phrase.words
            if words[0] == lemmas[i] and len(lemmas) - i >= len(words) and all(
                    slot is not None and lemmas[i + k] == slot for k, slot in enumerate(words)):
                return len(words), phrase.ids
        return None

    def find(self, text: str, tokens: Sequence[Token]) -> list[Match]:
        """The matches in one value, in text order, given its tokens (`Tokenizer.tokenize`)."""
        word_indexes = [i for i, t in enumerate(tokens) if t.kind != SEPARATOR]
        matches: list[Match] = []
        w = 0
        n = len(word_indexes)
        while w < n:
            i = word_indexes[w]
            token = tokens[i]
            lemma = token.lemma
            found = None
            for phrase in (self.phrases if lemma in self.phrase_starts else ()):
                if phrase.words[0] != lemma or n - w < len(phrase.words):
                    continue
                if all(slot is not None and tokens[word_indexes[w + k]].lemma == slot
                       for k, slot in enumerate(phrase.words)):
                    last = word_indexes[w + len(phrase.words) - 1]
                    found = Match(i, last, w, w + len(phrase.words) - 1, phrase.ids, token.char_start,
                                  tokens[last].char_end - token.char_start, True)
                    break
            if found is None:
                hit = self.word_match(lemma)
                if hit is not None:
                    entry, norm_chars = hit
                    chars = token.char_end - token.char_start
                    if norm_chars >= 0:
                        chars = _original_chars(text[token.char_start:token.char_end], norm_chars)
                    found = Match(i, i, w, w, entry.ids, token.char_start, chars)
            if found is None:
                w += 1
                continue
            matches.append(found)
            w = found.last_word + 1
        return matches


def _single_words(derivations: Sequence[tuple[str | None, ...]], synonyms: set[tuple[str, ...]],
                  ids: tuple[int, ...], phrases: list[_Phrase]) -> frozenset[str]:
    """The one-word derivations of a typo class; its multi-word ones, and one-word synonyms (the
    first time one is seen), are appended to ``phrases`` in derivation order.  A prefix term's
    class 0 holds up to a thousand extensions: the common case is built with C-level calls."""
    if set(map(len, derivations)) <= {1} and (not synonyms or synonyms.isdisjoint(derivations)):
        single = set(map(itemgetter(0), derivations))
        single.discard("")
        single.discard(None)
        return frozenset(single)  # type: ignore[arg-type]
    words = set()
    for d in derivations:
        if d in synonyms:  # every synonym is a phrase, even of one word: matched whole
            phrases.append(_Phrase(tuple(d), ids))
            synonyms.discard(d)  # type: ignore[arg-type]
        elif len(d) == 1:
            if d[0]:
                words.add(d[0])
        elif d:
            phrases.append(_Phrase(tuple(d), ids))
    return frozenset(words)


def _outermost(words: frozenset[str]) -> list[str]:
    """The words no shorter one of them is a prefix of: what a lemma must start with to start
    with one of ``words``.  In sorted order the words extending one follow it directly."""
    kept: list[str] = []
    for word in sorted(words):
        if not kept or not word.startswith(kept[-1]):
            kept.append(word)
    return kept


def _outermost_bytes(words: Sequence[bytes]) -> list[bytes]:
    """`_outermost` of byte strings."""
    kept: list[bytes] = []
    for word in sorted(words):
        if not kept or not word.startswith(kept[-1]):
            kept.append(word)
    return kept


def _typed(term: MatchingTerm) -> str:
    return "".join(w for w in term.words if w)


def _original_chars(original: str, normalized: int) -> int:
    """How many chars of an original word make up its first ``normalized`` lemma chars."""
    if original.isascii():
        return min(normalized, len(original))
    total = 0
    for k, count in enumerate(normalized_char_counts(original)):
        if total >= normalized:
            return k
        total += count
    return len(original)

