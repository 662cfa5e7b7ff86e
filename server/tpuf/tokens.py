"""The full-text tokenizer of the turbopuffer dialect (BM25 and the token filters).

Lower-cased runs of letters and digits (Unicode ``\\w`` without ``_``), tokens longer than 39
bytes dropped, English stop words removed (turbopuffer's default ``remove_stopwords: true``), no
stemming (its default).  Loupe's own tokenizer is Meilisearch's (no stop words unless configured):
this one follows turbopuffer's defaults so BM25 scores are the ones its users expect.
"""
from __future__ import annotations

import re

MAX_TOKEN_BYTES = 39
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
STOP_WORDS = frozenset("""a an and are as at be but by for if in into is it no not of on or such that the their then
there these they this to was will with""".split())


def tokens(text: str, *, keep_stop_words: bool = False) -> list[str]:
    out = []
    for token in _WORD.findall(text.lower()):
        if len(token.encode()) > MAX_TOKEN_BYTES:
            continue
        if not keep_stop_words and token in STOP_WORDS:
            continue
        out.append(token)
    return out
