"""German compound words cut into their parts, as charabia does for German text (``deu``
locale): ``Dampfschifffahrtskapitän`` -> ``Dampf | schifffahrts | kapitän``, so a search for
``kapitän`` finds the compound.

charabia walks a dictionary of compound parts; Loupe splits a word into the fewest words of a
German dictionary (the igerman98 Hunspell word list that the ``compound-split`` package ships,
extra ``german``), a part keeping the linking letters that join it to the next (``s``, ``n``,
``en``, ``es``, ``e``: ``Aufgaben | planung``).  A word the dictionary holds whole, or that no
sequence of dictionary words makes up, stays one word.
"""
from __future__ import annotations

import os
from functools import lru_cache

from .segmenters import Segmenter, _missing

_LINKS = ("", "s", "n", "en", "es", "e")
_MIN_PART = 2
_MIN_WORD = 5  # shorter words are never compounds of two parts of 2+ chars worth cutting


@lru_cache(maxsize=1)
def _words() -> frozenset[str] | None:
    try:
        import compound_split
    except ImportError:
        _missing("German compound", "compound-split")
        return None
    path = os.path.join(os.path.dirname(compound_split.__file__), "dicts", "de-mixed.dic")
    words = set()
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if line[:1] in "#\t\n" or line[:1].isdigit():
                continue
            word = line.split("/", 1)[0].strip().lower()
            if len(word) >= _MIN_PART and word.isalpha():
                words.add(word)
    return frozenset(words)


def _split(word: str, words: frozenset[str]) -> list[int]:
    """Lengths of the fewest dictionary parts (with their linking letters) making up ``word``,
    the longer first part winning ties; ``[len(word)]`` when there is none."""
    n = len(word)
    best: list[tuple[int, int] | None] = [None] * (n + 1)  # (parts, -first part length) from i
    cut: list[int] = [0] * (n + 1)
    best[n] = (0, 0)
    for i in range(n - 1, -1, -1):
        for j in range(n, i + _MIN_PART - 1, -1):
            if word[i:j] not in words:
                continue
            for link in _LINKS:
                k = j + len(link)
                if k > n or word[j:k] != link or best[k] is None:
                    continue
                score = (best[k][0] + 1, -(k - i))
                if best[i] is None or score < best[i]:
                    best[i], cut[i] = score, k
    if best[0] is None or best[0][0] < 2:
        return [n]
    lengths, i = [], 0
    while i < n:
        lengths.append(cut[i] - i)
        i = cut[i]
    return lengths


@lru_cache(maxsize=1)
def load() -> Segmenter | None:
    words = _words()
    if words is None:
        return None

    @lru_cache(maxsize=65536)
    def segment(text: str) -> list[int]:
        lower = text.lower()
        if len(text) < _MIN_WORD or lower in words or not lower.isalpha() or len(lower) != len(text):
            return [len(text)]
        return _split(lower, words)

    return segment
