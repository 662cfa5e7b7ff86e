"""Plain ASCII values formatted without tokens (the formatter's fast path).

When a tokenizer's words are exactly the runs of non-separator chars (`Tokenizer.ascii_shape`),
a plain ASCII value (`engine.tokenizer.plain_ascii`) has those runs as its words, their
lowercased text as lemmas, and its char offsets as byte offsets.  So a value is read as two
translated copies of its bytes — its *shape* (lemmas between spaces) and its *marks* (``a`` for
a word char) — and every step is a C-level search in them:

* a word can only match if it starts with one of the vocabulary's needles (`Vocabulary.needles`),
  so matches are found by searching ``b" " + needle`` in the shape, never by visiting words;
* a word's position is the number of word starts before it, ``marks.count(b" a")``;
* a crop window grows token by token from its interval, each token recognised from the kinds of
  the chars around it, and at once over the words left when one side is used up.

A page of hits is read at once (`Leaves`): the distinct strings of all its documents joined by a
control char no plain string holds, the needles sharing a first byte searched once over them all
by their common head (`needle_groups`), each word found judged once per search by its lemma, the
joined text highlighted in one pass and split back.  Only the cropped strings are then read one
by one, around their matches.

The answers are the general path's (tests/engine/test_formatter_fast_paths.py,
tests/engine/test_formatter_page.py).
"""
from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from itertools import accumulate, count
from operator import add
from typing import Any

from ..tokenizer import (
    ASCII_HARD,
    ASCII_SPACE,
    ASCII_STOP,
    ASCII_WORD,
    AsciiTables,
    Tokenizer,
)
from .crop import HARD_CODE, SOFT_CODE, WORD_CODE, best_interval
from .highlight import mark, with_markers
from .matches import Match, Vocabulary

Span = tuple[int, int, int]  # what `highlight.mark` wraps: match start, its last word's end, marked chars


class AsciiValue:
    """One plain ASCII value with its shape and marks (see the module docstring)."""

    __slots__ = ("_marks", "_raw", "_tables", "shape", "text")

    def __init__(self, text: str, tables: AsciiTables, shape: bytes | None = None, raw: bytes | None = None) -> None:
        self.text = text  # what is shown: ``raw`` is its ASCII stand-in when it is not ASCII
        self._raw = text.encode("ascii") if raw is None else raw
        self.shape = self._raw.translate(tables.shape) if shape is None else shape
        self._tables = tables
        self._marks: bytes | None = None

    @property
    def marks(self) -> bytes:
        """``a`` for each word char, a space for each separator."""
        if self._marks is None:
            self._marks = self._raw.translate(self._tables.marks)
        return self._marks

    @property
    def kinds(self) -> bytes:
        """Each char's token kind (`Tokenizer.ascii_shape`)."""
        return self._raw.translate(self._tables.kinds)

    def word_end(self, start: int) -> int:
        """Where the word starting at ``start`` ends."""
        end = self.shape.find(b" ", start)
        return len(self.shape) if end < 0 else end

    def next_words(self, pos: int, count: int) -> list[tuple[int, int]]:
        """(start, end) of the next ``count`` words from ``pos`` on (fewer at the text's end)."""
        out = []
        marks = self.marks
        while len(out) < count:
            start = marks.find(b"a", pos)
            if start < 0:
                break
            pos = self.word_end(start)
            out.append((start, pos))
        return out

    def word_starts(self, needles: Sequence[bytes]) -> list[int]:
        """Offsets of the words that start with one of ``needles``, in text order."""
        shape = self.shape
        if len(needles) == 1:
            starts = [0] if shape.startswith(needles[0]) else []
            spaced = b" " + needles[0]
            pos = shape.find(spaced)
            while pos >= 0:
                starts.append(pos + 1)
                pos = shape.find(spaced, pos + 2)
            return starts
        found = {0} if shape.startswith(tuple(needles)) else set()
        for needle in needles:
            spaced = b" " + needle
            pos = shape.find(spaced)
            while pos >= 0:
                found.add(pos + 1)
                pos = shape.find(spaced, pos + 2)
        return sorted(found)

    def spans(self, vocabulary: Vocabulary, needles: Sequence[bytes]) -> list[Span]:
        """What `highlight.mark` wraps of each match (`matches` without word positions)."""
        return [(start, start + extent, chars) for start, extent, chars, *_ in self._scan(vocabulary, needles, False)]

    def matches(self, vocabulary: Vocabulary, needles: Sequence[bytes]) -> tuple[list[Match], list[Span]]:
        """The value's matches by the rules of `Vocabulary.find` (``first``/``last`` are word
        positions) and what each highlights; ``needles`` are the vocabulary's needles that may
        occur in it (`Vocabulary.present_in`)."""
        matches, spans = [], []
        for start, extent, chars, first, last, ids, is_phrase in self._scan(vocabulary, needles, True):
            matches.append(Match(first, last, first, last, ids, start, extent if is_phrase else chars, is_phrase))
            spans.append((start, start + extent, chars))
        return matches, spans

    def _scan(self, vocabulary: Vocabulary, needles: Sequence[bytes], positions: bool) -> list[tuple]:
        """(start, chars to the end of its last word, chars marked, first and last word position,
        query positions, is a phrase) of each match, in text order."""
        out = []
        shape = self.shape
        keys, anchors, phrase_starts = vocabulary.keys, vocabulary.anchors, vocabulary.phrase_starts
        following = 0  # the first offset not inside an earlier match
        counted = position = 0
        if positions:
            position = 0 if shape[:1] != b" " else -1  # the word starts up to `counted`, minus one
        for start in self.word_starts(needles):
            if start < following:
                continue
            end = shape.find(b" ", start)
            if end < 0:
                end = len(shape)
            lemma = shape[start:end].decode("ascii")
            if lemma not in keys and not (anchors and lemma.startswith(anchors)):
                continue
            if positions:
                position += self.marks.count(b" a", counted, start + 1)
                counted = start + 1
            if lemma in phrase_starts:
                phrase = self._phrase(vocabulary, lemma, end)
                if phrase is not None:
                    length, ids, last_end = phrase
                    out.append((start, last_end - start, last_end - start, position, position + length - 1, ids,
                                True))
                    following = last_end
                    continue
            word = vocabulary.word_match(lemma)
            if word is not None:
                chars = end - start if word[1] < 0 else min(word[1], end - start)
                out.append((start, end - start, chars, position, position, word[0].ids, False))
                following = end
        return out

    def _phrase(self, vocabulary: Vocabulary, lemma: str, end: int) -> tuple[int, tuple[int, ...], int] | None:
        """(words, query positions, end) of the phrase starting with the word ``lemma`` ending
        at ``end``, or None."""
        following = self.next_words(end, vocabulary.longest_phrase - 1)
        return _phrase_of(vocabulary, self.shape, lemma, end, following)


def _phrase_of(vocabulary: Vocabulary, shape: bytes, lemma: str, end: int,
               following: list[tuple[int, int]]) -> tuple[int, tuple[int, ...], int] | None:
    """(words, query positions, end) of the query phrase starting with the word ``lemma`` (ending
    at ``end``) and going on with the ``following`` word spans of ``shape``, or None."""
    lemmas = [lemma, *(shape[a:b].decode("ascii") for a, b in following)]
    found = vocabulary.phrase_at(lemmas, 0)
    if found is None:
        return None
    length, ids = found
    return length, ids, following[length - 2][1] if length > 1 else end


class Leaves:
    """Strings of one or more documents joined, their matches found in one pass.

    The needles (`Vocabulary.word_needles`) are searched in the joined shape at word starts, those
    sharing a first byte once by their common head (`needle_groups`); each word found is judged once per search by its lemma (`verdict`).  ``spans`` holds
    what `highlight.mark` wraps of each match, as offsets in the joined text, in text order;
    ``found`` the rest of each match (query positions, is a phrase, words).  ``general`` holds
    the indexes of the strings that are not plain ASCII (the general path formats them).  The
    joiner is a control char, which no plain string holds: the joined text highlighted at once
    splits back into the strings highlighted (`highlighted`)."""

    __slots__ = ("_index", "_starts", "found", "general", "shape", "shaped", "spans", "strings", "text")

    JOINER = "\x1e"

    def __init__(self, strings: list[str], shaped: list[str], text: str, shape: bytes, general: set[int]) -> None:
        self.strings = strings
        self.shaped = shaped  # the plain ASCII strings, the others as spaces
        self.text = text  # the strings joined
        self.shape = shape
        self.general = general
        self._starts: list[int] | None = None
        self._index: dict[str, int] | None = None
        self.spans: list[Span] = []
        self.found: list[tuple[tuple[int, ...], bool, int]] = []

    @classmethod
    def of(cls, strings: list[str], flat_shape: bytes, vocabulary: Vocabulary, verdicts: dict[bytes, Any],
           stand_in: Callable[[str], bytes | None]) -> Leaves | None:
        """``flat_shape``: the shape table with the joiner a space and every other byte that is
        not plain ASCII a zero; ``verdicts``: the search's memo of lemmas judged (`verdict`);
        ``stand_in``: `Tokenizer.ascii_stand_in`.  None when some item is no string or holds
        the joiner."""
        try:
            text = joined = cls.JOINER.join(strings)
        except TypeError:
            return None
        if joined.count(cls.JOINER) != len(strings) - 1:
            return None
        general: set[int] = set()
        shaped = strings
        if not joined.isascii():
            shaped = list(strings)
            for i, value in enumerate(strings):
                if not value.isascii():
                    raw = stand_in(value)
                    if raw is None:  # as many chars, no word: the offsets stay those of `text`
                        general.add(i)
                        shaped[i] = " " * len(value)
                    else:
                        shaped[i] = raw.decode("ascii")
            joined = cls.JOINER.join(shaped)
        shape = joined.encode("ascii").translate(flat_shape)
        leaves = cls(strings, shaped, text, shape, general)
        unusual = shape.find(b"\0")
        while unusual >= 0:  # a control char: the string takes the general path
            leaf = bisect_right(leaves.starts, unusual) - 1
            general.add(leaf)
            unusual = shape.find(b"\0", leaves.starts[leaf + 1])
        leaves._scan(vocabulary, verdicts)
        return leaves

    def _scan(self, vocabulary: Vocabulary, verdicts: dict[bytes, Any]) -> None:
        """Every match of every plain string, by the rules of `Vocabulary.find`: the words that
        start with a needle, in text order, each judged by its lemma; a phrase's words never
        reach into the next string (the joiner reads as a space)."""
        shape = self.shape
        find = shape.find
        words: list[int] = []  # starts of the words that start with a needle
        groups = needle_groups(vocabulary.word_needles)
        for head, needles in groups:  # no word starts with two needles
            if shape.startswith(needles):
                words.append(0)
            spaced = b" " + head
            pos = find(spaced)
            if needles == (head,):
                while pos >= 0:
                    words.append(pos + 1)
                    pos = find(spaced, pos + 2)
            else:  # the words starting with the needles' common head, then those starting with a needle
                starts = shape.startswith
                while pos >= 0:
                    if starts(needles, pos + 1):
                        words.append(pos + 1)
                    pos = find(spaced, pos + 2)
        if not words:
            return
        if len(groups) > 1:
            words.sort()
        general = self.general
        spans, found = self.spans, self.found
        add_span, add_found = spans.append, found.append
        size = len(shape)
        following = 0
        space, unjudged, judge = b" ", _UNJUDGED, verdicts.get
        for pos in words:
            if pos < following:  # inside a phrase matched before
                continue
            end = find(space, pos)
            if end < 0:
                end = size
            lemma = shape[pos:end]
            judged = judge(lemma, unjudged)
            if judged is unjudged:
                judged = verdicts[lemma] = verdict(vocabulary, lemma)
            if judged is None or (general and bisect_right(self.starts, pos) - 1 in general):
                continue
            phrase, word = judged
            if phrase is not None:
                starts = self.starts
                hit = self._phrase(vocabulary, phrase, end, starts[bisect_right(starts, pos)] - 1)
                if hit is not None:
                    length, ids, last_end = hit
                    add_span((pos, last_end, last_end - pos))
                    add_found((ids, True, length))
                    following = last_end
                    continue
            if word is not None:
                add_span((pos, end, word[0]))
                add_found(word[1])

    def _phrase(self, vocabulary: Vocabulary, lemma: str, end: int, stop: int
                ) -> tuple[int, tuple[int, ...], int] | None:
        """(words, query positions, end) of the phrase starting with the word ``lemma`` ending
        at ``end``, its other words before ``stop``; or None."""
        following = []
        wanted = vocabulary.longest_phrase - 1
        if wanted > 0:
            for word in _WORD.finditer(self.shape, end, stop):
                following.append(word.span())
                if len(following) == wanted:
                    break
        return _phrase_of(vocabulary, self.shape, lemma, end, following)

    @property
    def starts(self) -> list[int]:
        """Where each string starts in the joined text (and where one more would)."""
        if self._starts is None:
            self._starts = list(map(add, accumulate(map(len, self.shaped), initial=0), count()))
        return self._starts

    def highlighted(self, pre: str, post: str) -> list[str]:
        """Each string with its matches in tags (the general ones as they are): `highlight.mark`
        of the whole joined text, whose spans need no clipping."""
        text = self.text
        parts: list[str] = []
        cursor = 0
        for start, _, chars in self.spans:  # a match marks its first `chars` chars, the rest follows
            parts += (text[cursor:start], pre, text[start:start + chars], post)
            cursor = start + chars
        parts.append(text[cursor:])
        return "".join(parts).split(self.JOINER)

    def index(self, text: str) -> int:
        """The index of string ``text`` (the strings are distinct)."""
        if self._index is None:
            self._index = dict(zip(self.strings, count()))
        return self._index[text]

    def crop(self, leaf: int, tables: AsciiTables, length: int, *, highlight: bool, pre: str, post: str,
             marker: str) -> str | None:
        """String ``leaf`` (not a general one) cropped as `crop_ascii` crops it, highlighted when
        asked.  Its matches are the joined text's between its bounds; when they all fit in one
        window (most values), that window is the interval and only its ends' word positions are
        counted.  None when a phrase is longer than the crop (the general path cuts it)."""
        text = self.strings[leaf]
        raw = self.shaped[leaf].encode("ascii")
        marks = raw.translate(tables.marks)
        low = self.starts[leaf]
        spans = self.spans
        first = bisect_left(spans, (low,))
        last = bisect_left(spans, (low + len(text) + 1,), first) - 1
        if last < first:  # from the start, up to the end of the length-th word
            found = _words_regex(length).match(marks)
            return text[:found.end()] + marker if found is not None and found.end() < len(text) else text
        offset = marks[:1] == b" "  # a word's position: the word starts up to it, minus one
        first_word = marks.count(b" a", 0, spans[first][0] - low + 1) - offset
        last_word = marks.count(b" a", 0, spans[last][0] - low + 1) - offset + self.found[last][2] - 1
        if last_word - first_word < length:
            a, b = first, last
        elif not self.found[first][1] and self.found[first:last + 1].count(self.found[first]) == last - first + 1:
            # every match is the same word of the query: only the distances tell windows apart
            positions = []
            position, counted, count = -offset, 0, marks.count
            for start, _, _ in spans[first:last + 1]:
                start -= low - 1
                position += count(b" a", counted, start)
                counted = start
                positions.append(position)
            a, b = best_gap_interval(positions, length)
            first_word, last_word = positions[a], positions[b]
            a, b = a + first, b + first
        else:
            matches, _ = self.matches(leaf, marks)
            a, b = best_interval(matches, length)
            first_word, last_word = matches[a].first_word, matches[b].last_word
            a, b = a + first, b + first
        size = last_word - first_word + 1
        if size > length:
            return None
        start, end = grow_chars(raw.translate(tables.kinds), marks, spans[a][0] - low, spans[b][1] - low,
                                length - size)
        if highlight:  # the matches that may reach into the window: the one before it on
            inside = spans[max(first, bisect_left(spans, (low + start,), first, last + 1) - 1):
                           bisect_right(spans, (low + end, _AFTER), first, last + 1)]
            body = mark(self.text, low + start, low + end, inside, pre, post)
        else:
            body = text[start:end]
        return with_markers(body, start, end, len(text), marker)

    def matches(self, leaf: int, marks: bytes) -> tuple[list[Match], list[Span]]:
        """String ``leaf``'s matches as `AsciiValue.matches` gives them (``marks``: its marks)."""
        low, high = self.starts[leaf], self.starts[leaf + 1]
        first = bisect_left(self.spans, (low,))
        last = bisect_left(self.spans, (high,), first)
        if first == last:
            return [], []
        matches, spans = [], []
        position = 0 if marks[:1] != b" " else -1  # the word starts up to `counted`, minus one
        counted = 0
        for (start, end, chars), (ids, is_phrase, words) in zip(self.spans[first:last], self.found[first:last]):
            start -= low
            end -= low
            position += marks.count(b" a", counted, start + 1)
            counted = start + 1
            matches.append(Match(position, position + words - 1, position, position + words - 1, ids, start,
                                 end - start if is_phrase else chars, is_phrase))
            spans.append((start, end, chars))
        return matches, spans


_UNJUDGED = object()
_AFTER = float("inf")  # sorts after any span end
_WORD = re.compile(rb"[^ ]+")


def needle_groups(needles: tuple[bytes, ...]) -> list[tuple[bytes, tuple[bytes, ...]]]:
    """``needles`` (sorted) grouped by their first byte, each group with its longest common
    head: a typed prefix's needles are its extensions in the index (``pyt``: ``pytables``,
    ``python``, …), all found by searching their head once."""
    by_first: dict[bytes, list[bytes]] = {}
    for needle in needles:
        by_first.setdefault(needle[:1], []).append(needle)
    found = []
    for group in by_first.values():
        head = group[0]
        for needle in group[1:]:
            while not needle.startswith(head):
                head = head[:-1]
        found.append((head, tuple(group)))
    return found


def verdict(vocabulary: Vocabulary, lemma: bytes
            ) -> tuple[str | None, tuple[int, tuple[tuple[int, ...], bool, int]] | None] | None:
    """What a word of a plain ASCII value whose lemma is ``lemma`` may be (`AsciiValue._scan`):
    None if nothing; else (the lemma if a phrase may start with it, (the chars it marks, its
    entry of `Leaves.found`) if it matches as a word)."""
    text = lemma.decode("ascii")
    if text not in vocabulary.keys and not (vocabulary.anchors and text.startswith(vocabulary.anchors)):
        return None
    phrase = text if text in vocabulary.phrase_starts else None
    word = vocabulary.word_match(text)
    if phrase is None and word is None:
        return None
    if word is None:
        return phrase, None
    chars = word[1]
    return phrase, (chars if 0 <= chars < len(lemma) else len(lemma), (word[0].ids, False, 1))


def best_gap_interval(positions: Sequence[int], length: int) -> tuple[int, int]:
    """`crop.best_interval` of one-word matches that all cover the same query positions, given
    their word positions (more than one, spanning ``length`` words or more): every interval
    counts as many distinct query positions and none is in query order, so the best is the first
    with the smallest sum of the distances (capped at 7) between consecutive matches."""
    n = len(positions)
    gaps = [0]
    gap = 0
    for previous, following in zip(positions, positions[1:]):
        gap += min(following - previous, 7)
        gaps.append(gap)
    first = 0
    best, best_score = (0, 0), None
    for last in range(1, n + 1):
        if last < n:
            if positions[last] - positions[first] < length:
                continue
            a, b = first, last - 1
        else:
            a, b = first, n - 1
            if a == b and length <= 1:
                break
        score = gaps[a] - gaps[b]
        if best_score is None or score > best_score:
            best, best_score = (a, b), score
        while first < last < n and positions[last] - positions[first] >= length:
            first += 1
    return best


def crop_ascii(value: AsciiValue, matches: Sequence[Match], spans: Sequence[Span], length: int,
               tokenizer: Tokenizer, *, highlight: bool, pre: str, post: str, marker: str) -> str | None:
    """The value cropped to ``length`` words around its best interval of matches (crop.py),
    highlighted when asked, its tokens read in place (`grow_chars`).  None when a phrase is longer
    than the crop (the general path cuts it)."""
    text = value.text
    if not matches:  # from the start, up to the end of the length-th word
        found = _words_regex(length).match(value.marks)
        return text[:found.end()] + marker if found is not None and found.end() < len(text) else text
    a_idx, b_idx = best_interval(matches, length)
    first, last = matches[a_idx], matches[b_idx]
    size = last.last_word - first.first_word + 1
    if size > length:
        return None
    start, end = grow_chars(value.kinds, value.marks, first.char_start, spans[b_idx][1], length - size)
    body = mark(text, start, end, spans, pre, post) if highlight else text[start:end]
    return with_markers(body, start, end, len(text), marker)


def grow_chars(kinds: bytes, marks: bytes, lo: int, hi: int, remaining: int) -> tuple[int, int]:
    """`crop.grow` over a plain ASCII value read in place: positions are chars, the token on
    each side recognised from the kinds of the chars around it (`Tokenizer.ascii_shape`: a word
    is a run of word chars, ``. `` or ``, `` one hard separator, any other separator char one
    token), words skipped with a C-level search in the marks once one side is used up.  The
    same steps as `crop.grow`, without its `TokenView` (this runs for every cropped value of
    every hit)."""
    size = len(kinds)
    # the token left of `lo`: its code (-1: none) and start; right of `hi`: its code and end
    left, left_at = _token_before(kinds, marks, lo)
    right, right_at = _token_after(kinds, marks, hi, size)
    while remaining > 0:
        if left < 0:
            if right < 0:
                return lo, hi
            found = _words_regex(remaining).match(marks, hi)
            return lo, (found.end() if found is not None else size)
        if right < 0:
            found = _words_regex(remaining).match(marks[::-1], size - lo)
            return (size - found.end() if found is not None else 0), hi
        take_right = False
        if left and right:  # two separators
            if left == right:
                take_left, take_right = True, remaining > 1
            else:
                take_left = left != HARD_CODE
                take_right = not take_left
        elif right:  # a word on the left only
            take_left = True
            remaining -= 1
        elif left:  # on the right only
            take_left, take_right = False, True
            remaining -= 1
        else:
            take_left = True
            remaining -= 1
            if remaining > 0:
                take_right = True
                remaining -= 1
        if take_left:
            lo = left_at
            left, left_at = _token_before(kinds, marks, lo)
        if take_right:
            hi = right_at
            right, right_at = _token_after(kinds, marks, hi, size)
    return lo, hi


def _token_before(kinds: bytes, marks: bytes, lo: int) -> tuple[int, int]:
    """The token ending at char ``lo`` of a plain ASCII value: its code (-1: none) and start."""
    if lo == 0:
        return -1, 0
    kind = kinds[lo - 1]
    if kind == ASCII_WORD:
        return WORD_CODE, marks.rfind(b" ", 0, lo) + 1
    if kind == ASCII_SPACE and lo > 1 and kinds[lo - 2] == ASCII_STOP:
        return HARD_CODE, lo - 2
    return (HARD_CODE if kind == ASCII_HARD else SOFT_CODE), lo - 1


def _token_after(kinds: bytes, marks: bytes, hi: int, size: int) -> tuple[int, int]:
    """The token starting at char ``hi`` of a plain ASCII value: its code (-1: none) and end."""
    if hi == size:
        return -1, size
    kind = kinds[hi]
    if kind == ASCII_WORD:
        end = marks.find(b" ", hi)
        return WORD_CODE, (size if end < 0 else end)
    if kind == ASCII_STOP and hi + 1 < size and kinds[hi + 1] == ASCII_SPACE:
        return HARD_CODE, hi + 2
    return (HARD_CODE if kind == ASCII_HARD else SOFT_CODE), hi + 1


_WORDS_REGEXES: dict[int, Callable[..., Any]] = {}


def _words_regex(words: int) -> re.Pattern[bytes]:
    """Separators then a word, ``words`` times, over marks (one C-level match)."""
    regex = _WORDS_REGEXES.get(words)
    if regex is None:
        regex = re.compile(b"(?: *+a++){%d}" % words)
        if len(_WORDS_REGEXES) < 1024:
            _WORDS_REGEXES[words] = regex
    return regex
