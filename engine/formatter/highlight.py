"""One string value formatted: cropped, then its matches inside the window wrapped in tags
(formatting.md §4.3, §5).  Tags and markers are inserted verbatim; the document text is never
escaped or normalised."""
from __future__ import annotations

from typing import Iterable, Sequence

from ..tokenizer import Token
from .crop import crop_bounds
from .matches import Match


def format_text(text: str, tokens: Sequence[Token], matches: Sequence[Match], *, highlight: bool,
                crop: int | None, pre: str, post: str, marker: str) -> str:
    """``text`` cropped to ``crop`` words (None or 0: whole text) with its matches highlighted."""
    if crop:
        start, end = crop_bounds(tokens, matches, crop, len(text))
    else:
        start, end = 0, len(text)
    if not highlight or not matches:
        body = text[start:end]
    else:
        body = mark(text, start, end, [(m.char_start, tokens[m.last].char_end, m.char_count) for m in matches],
                    pre, post)
    return with_markers(body, start, end, len(text), marker)


def mark(text: str, start: int, end: int, spans: Iterable[tuple[int, int, int]], pre: str, post: str) -> str:
    """``text[start:end]`` with its matches in tags: each span is (match start, end of its last
    token, chars marked from its start — a prefix match marks only part of its token)."""
    parts: list[str] = []
    cursor = start
    for ms, me, count in spans:
        if me < start or ms > end:
            continue
        ms, me = max(ms, start), min(me, end)
        mark_end = min(ms + count, me)
        parts += (text[cursor:ms], pre, text[ms:mark_end], post, text[mark_end:me])
        cursor = me
    parts.append(text[cursor:end])
    return "".join(parts)


def with_markers(body: str, start: int, end: int, text_len: int, marker: str) -> str:
    """The crop marker where the window cut text away, before and after."""
    if marker:
        if start > 0:
            body = marker + body
        if end < text_len:
            body += marker
    return body
