"""Choosing the crop window of a field value (formatting.md §4).

The window is the interval of matches with the best score (most distinct query positions, then
the smallest distance between consecutive matches, then the most matches in query order) whose
span fits the crop length, grown word by word to the left and right until it holds ``N`` words.
Returned bounds are char offsets into the original text.
"""
from __future__ import annotations

from typing import Sequence

from ..tokenizer import SEPARATOR, Token
from .matches import Match


def _score(matches: Sequence[Match]) -> tuple[int, int, int]:
    ids: set[int] = set()
    distance = order = 0
    for m in matches:
        ids.update(m.ids)
        if m.is_phrase:
            span = m.last_word - m.first_word
            order += span
            distance -= span
    for m, nxt in zip(matches, matches[1:]):
        if min(nxt.ids) > min(m.ids):
            order += 1
        distance -= min(nxt.first_word - m.last_word, 7)
    return len(ids), distance, order


def best_interval(matches: Sequence[Match], length: int) -> tuple[int, int]:
    """Indexes (first, last) into ``matches`` of the interval the window is built around."""
    best, best_score = (0, 0), None

    def consider(a: int, b: int) -> None:
        nonlocal best, best_score
        score = _score(matches[a:b + 1])
        if best_score is None or score > best_score:
            best, best_score = (a, b), score

    first = 0
    for last in range(1, len(matches)):
        if matches[last].last_word - matches[first].first_word >= length:
            consider(first, last - 1)
            while first < last and matches[last].last_word - matches[first].first_word >= length:
                first += 1
    last = len(matches) - 1
    if not (first == last and matches[last].word_count >= length):
        consider(first, last)
    return best


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
        lo, hi = first.first, last.last
        remaining = length - size
    else:
        lo, hi, remaining = 0, -1, length
    n = len(tokens)
    while remaining > 0:
        left = tokens[lo - 1] if lo > 0 else None
        right = tokens[hi + 1] if hi + 1 < n else None
        if left is not None and right is not None:
            left_sep, right_sep = left.kind == SEPARATOR, right.kind == SEPARATOR
            if left_sep and right_sep:
                if left.hard == right.hard:
                    lo -= 1
                    if remaining > 1:
                        hi += 1
                elif left.hard:
                    hi += 1
                else:
                    lo -= 1
            elif not left_sep and right_sep:
                lo -= 1
                remaining -= 1
            elif left_sep and not right_sep:
                hi += 1
                remaining -= 1
            else:
                lo -= 1
                remaining -= 1
                if remaining > 0:
                    hi += 1
                    remaining -= 1
        elif left is not None:
            lo -= 1
            if left.kind != SEPARATOR:
                remaining -= 1
        elif right is not None:
            hi += 1
            if right.kind != SEPARATOR:
                remaining -= 1
        else:
            break
    start = tokens[lo - 1].char_end if lo > 0 else 0
    end = tokens[hi + 1].char_start if hi + 1 < n else text_len
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
