"""Choosing the crop window of a field value (formatting.md §4).

The window is the interval of matches with the best score (most distinct query positions, then
the smallest distance between consecutive matches, then the most matches in query order) whose
span fits the crop length, grown token by token to the left and right until it holds ``N`` words.
The growth (`grow`) sees a value only through a `TokenView` — the kind of token on each side,
`WORD_CODE`, `SOFT_CODE` or `HARD_CODE` — so the general path (a token list) and the plain-ASCII
path (chars read in place, `words.py`) share it.
"""
from __future__ import annotations

from typing import Protocol, Sequence

from ..tokenizer import SEPARATOR, Token
from .matches import Match

WORD_CODE, SOFT_CODE, HARD_CODE = 0, 1, 2


def best_interval(matches: Sequence[Match], length: int) -> tuple[int, int]:
    """Indexes (first, last) into ``matches`` of the interval the window is built around.

    The intervals are those of a window sliding over the matches, each the longest that starts
    at its first match and spans fewer than ``length`` words; the first with the best score wins.
    A score is (distinct query positions, minus the distances between consecutive matches capped
    at 7 and the spans of phrases, matches in query order plus those spans): the sums come from
    prefix sums and the distinct positions from counts kept as the window slides, so a value with
    hundreds of matches costs one pass.  When every match fits in one window, that window is the
    only interval."""
    n = len(matches)
    if n == 1 or matches[-1].last_word - matches[0].first_word < length:
        return 0, n - 1
    spans = [0]  # spans[i]: words inside the phrases among matches[:i]
    span = 0
    for m in matches:
        if m.is_phrase:
            span += m.last_word - m.first_word
        spans.append(span)
    gaps, ordered = [0], [0]  # over the consecutive pairs among matches[:i + 1]
    gap = order = 0
    previous = matches[0]
    low = min(previous.ids)
    for m in matches[1:]:
        gap += min(m.first_word - previous.last_word, 7)
        next_low = min(m.ids)
        order += next_low > low
        gaps.append(gap)
        ordered.append(order)
        previous, low = m, next_low
    counts: dict[int, int] = {}
    first = end = distinct = 0  # the window: matches[first:end] counted, `distinct` query positions
    best, best_score = (0, 0), None
    for last in range(1, n + 1):
        if last < n:
            if matches[last].last_word - matches[first].first_word < length:
                continue
            a, b = first, last - 1
        else:  # the last window, unless it is one match too long for the crop
            a, b = first, n - 1
            if a == b and matches[b].word_count >= length:
                break
        while end <= b:
            for i in matches[end].ids:
                seen = counts.get(i, 0)
                distinct += seen == 0
                counts[i] = seen + 1
            end += 1
        span = spans[b + 1] - spans[a]
        score = (distinct, -(gaps[b] - gaps[a]) - span, ordered[b] - ordered[a] + span)
        if best_score is None or score > best_score:
            best, best_score = (a, b), score
        while first < last < n and matches[last].last_word - matches[first].first_word >= length:
            for i in matches[first].ids:
                counts[i] -= 1
                distinct -= counts[i] == 0
            first += 1
    return best


class TokenView(Protocol):
    """How `grow` reads a value: the token on each side of a window ``[lo, hi)`` (positions are
    the view's own: token indexes, chars, …) and where taking whole tokens outward stops once
    ``words`` words are taken."""

    def before(self, lo: int) -> tuple[int, int] | None:
        """(code, start) of the token ending at ``lo``; None at the value's start."""

    def after(self, hi: int) -> tuple[int, int] | None:
        """(code, end) of the token starting at ``hi``; None at the value's end."""

    def words_before(self, lo: int, words: int) -> int:
        """Where the ``words``-th word before ``lo`` starts (the value's start if fewer)."""

    def words_after(self, hi: int, words: int) -> int:
        """Where the ``words``-th word after ``hi`` ends (the value's end if fewer)."""


def grow(view: TokenView, lo: int, hi: int, remaining: int) -> tuple[int, int]:
    """The window ``[lo, hi)`` grown until it took ``remaining`` more words: both neighbours
    when they are alike (two words, or two separators of the same hardness), else the word, else
    the soft separator — a hard one (a sentence end) is crossed last.  Once one side is used up,
    the other takes the rest at once."""
    left, right = view.before(lo), view.after(hi)
    while remaining > 0:
        if left is None:
            return lo, (hi if right is None else view.words_after(hi, remaining))
        if right is None:
            return view.words_before(lo, remaining), hi
        left_code, right_code = left[0], right[0]
        if left_code and right_code:  # two separators
            if left_code == right_code:
                lo = left[1]
                left = view.before(lo)
                if remaining > 1:
                    hi = right[1]
                    right = view.after(hi)
            elif left_code == HARD_CODE:
                hi = right[1]
                right = view.after(hi)
            else:
                lo = left[1]
                left = view.before(lo)
        elif right_code:  # a word on the left only
            lo = left[1]
            left = view.before(lo)
            remaining -= 1
        elif left_code:  # on the right only
            hi = right[1]
            right = view.after(hi)
            remaining -= 1
        else:
            lo = left[1]
            left = view.before(lo)
            remaining -= 1
            if remaining > 0:
                hi = right[1]
                right = view.after(hi)
                remaining -= 1
    return lo, hi


class _Tokens:
    """A `TokenView` of a token list: positions are token indexes."""

    def __init__(self, tokens: Sequence[Token]) -> None:
        self.codes = [WORD_CODE if t.kind != SEPARATOR else HARD_CODE if t.hard else SOFT_CODE for t in tokens]

    def before(self, lo: int) -> tuple[int, int] | None:
        return (self.codes[lo - 1], lo - 1) if lo > 0 else None

    def after(self, hi: int) -> tuple[int, int] | None:
        return (self.codes[hi], hi + 1) if hi < len(self.codes) else None

    def words_before(self, lo: int, words: int) -> int:
        while lo > 0 and words > 0:
            lo -= 1
            if self.codes[lo] == WORD_CODE:
                words -= 1
        return lo

    def words_after(self, hi: int, words: int) -> int:
        while hi < len(self.codes) and words > 0:
            if self.codes[hi] == WORD_CODE:
                words -= 1
            hi += 1
        return hi


def crop_bounds(tokens: Sequence[Token], matches: Sequence[Match], length: int, text_len: int,
                interval: tuple[Match, Match] | None = None) -> tuple[int, int]:
    """(start, end) char offsets of the cropped text; ``length`` > 0 words.  ``interval``: the
    first and last match of the interval when the caller chose it already."""
    if not tokens:
        return 0, text_len
    if matches:
        if interval is None:
            a, b = best_interval(matches, length)
            interval = matches[a], matches[b]
        first, last = interval
        size = last.last_word - first.first_word + 1
        if length < size:
            return 0, _cut_phrase(tokens, last, size - length)
        lo, hi = first.first, last.last + 1
        remaining = length - size
    else:
        lo, hi, remaining = 0, 0, length
    lo, hi = grow(_Tokens(tokens), lo, hi, remaining)
    start = tokens[lo - 1].char_end if lo > 0 else 0
    end = tokens[hi].char_start if hi < len(tokens) else text_len
    return start, end


def _cut_phrase(tokens: Sequence[Token], phrase: Match, drop: int) -> int:
    """End of the text kept from a phrase longer than the crop: its last ``drop`` words go."""
    k = phrase.last
    while k > 0:
        if tokens[k].kind != SEPARATOR:
            drop -= 1
            if drop == 0:
                break
        k -= 1
    return tokens[k - 1].char_start if k > 0 else tokens[k].char_start

