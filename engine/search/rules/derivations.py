"""The words through which occurrence-based rules see a term (proximity, attributeRank, wordPosition).

A term's derivations are words (the word itself, prefix extensions, typo words, one-word synonyms)
and phrases (a split like `note book`, a multi-word synonym).  A word counts wherever it occurs.
A phrase counts through one end word — its first for fields, positions and as the right side of
a pair, its last as the left side — and only in the documents where the whole phrase matches: a
rule's condition is a set of documents (ranking.md §7.4–§7.6), so `note` in a document that has
`notebooks` but not `note book` says nothing about `notebook`.  A phrase term's own phrase is a
word list of its own: every document reaching the term has it already.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
from pyroaring import BitMap

from ...store.codecs import bitmap_to_array, occurrences_of
from ..context import SearchContext
from ..terms import Node, Phrase, remember
from .base import State


class Sources(NamedTuple):
    words: tuple[str, ...]      # end words that count wherever they occur
    phrases: tuple[Phrase, ...]  # phrases that count through an end word where they match


def term_sources(state: State, index: int, node: Node, *, last: bool = False,
                 skip_prefix: bool = False) -> Sources:
    """The allowed derivations of a term as end words and phrases (remembered with the term).

    ``skip_prefix`` leaves the prefix extensions out (a short prefix reads its cached postings)."""
    classes = state.classes(index)
    key = ("sources", classes, last, skip_prefix)
    known = node.memo.get(key)
    if known is None:
        words: dict[str, None] = {}
        phrases: dict[Phrase, None] = {}
        for cls in classes:
            if skip_prefix and cls == 0 and not node.is_phrase:
                derivations = [(node.word,), *node.synonyms]
            else:
                derivations = node.class_words(cls)
            for phrase in derivations:
                real = [w for w in phrase if w]
                if not real:
                    continue
                if len(real) == 1 or node.is_phrase:
                    words[real[-1] if last else real[0]] = None
                else:
                    phrases[phrase] = None
        known = node.memo[key] = Sources(tuple(words), tuple(phrases))
    return known


def phrase_occurrences(ctx: SearchContext, node: Node, phrase: Phrase, last: bool) -> np.ndarray:
    """Occurrences of a phrase's end word in the documents where the phrase matches (remembered)."""
    key = ("phrase occurrences", phrase, last)
    occ = node.memo.get(key)
    if occ is None:
        real = [w for w in phrase if w]
        occ = occurrences_of(ctx.occurrences(real[-1] if last else real[0]),
                             bitmap_to_array(node.phrase_docids(ctx, phrase)))
        remember(ctx, node, key, occ, occ.nbytes)
    return occ


def phrase_field_docids(ctx: SearchContext, node: Node, phrase: Phrase) -> dict[int, BitMap]:
    """Field -> documents where a phrase matches and its first word is in that field."""
    key = ("phrase fields", phrase)
    slots = node.memo.get(key)
    if slots is None:
        docs = node.phrase_docids(ctx, phrase)
        first = next(w for w in phrase if w)
        slots = remember(ctx, node, key, {fid: hit for fid, bm in ctx.slots(first, b"F").items() if (hit := bm & docs)})
    return slots


__all__ = ["Sources", "term_sources", "phrase_occurrences", "phrase_field_docids"]
