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
from typing import NamedTuple, Sequence

from ..search.query import MatchingTerm
from ..tokenizer import SEPARATOR, Token, Tokenizer, normalized_char_counts


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
                single = set()
                for d in derivations:
                    if d in synonyms:  # every synonym is a phrase, even of one word: matched whole
                        phrases.append(_Phrase(tuple(d), ids))
                        synonyms.discard(d)
                    elif len(d) == 1:
                        if d[0]:
                            single.add(d[0])
                    elif d:
                        phrases.append(_Phrase(tuple(d), ids))
                classes.append(frozenset(single))
            typed = "".join(w for w in term.words if w)
            words.append(_Words(tuple(classes), term.is_prefix, len(typed), ids, len(ids)))
        words.sort(key=lambda w: (w.is_prefix, -w.width))  # stable: query order otherwise
        self.words = tuple(words)
        self.phrases = tuple(phrases)

    def __bool__(self) -> bool:
        return bool(self.words or self.phrases)

    def _word_match(self, lemma: str) -> tuple[_Words, int] | None:
        """The first term matching a token's lemma and the normalized chars it highlights
        (-1: the whole token)."""
        for entry in self.words:
            if not entry.is_prefix:
                if any(lemma in cls for cls in entry.classes):
                    return entry, -1
                continue
            for cls in entry.classes:
                for end in range(len(lemma), 0, -1):
                    if lemma[:end] in cls:
                        return entry, min(entry.typed_chars, end)
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
            for phrase in self.phrases:
                if phrase.words[0] != lemma or n - w < len(phrase.words):
                    continue
                if all(slot is not None and tokens[word_indexes[w + k]].lemma == slot
                       for k, slot in enumerate(phrase.words)):
                    last = word_indexes[w + len(phrase.words) - 1]
                    found = Match(i, last, w, w + len(phrase.words) - 1, phrase.ids, token.char_start,
                                  tokens[last].char_end - token.char_start, True)
                    break
            if found is None:
                hit = self._word_match(lemma)
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


def tokenize(tokenizer: Tokenizer, text: str) -> list[Token]:
    return tokenizer.tokenize(text)
