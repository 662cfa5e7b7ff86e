"""One string value formatted: cropped, then its matches inside the window wrapped in tags
(formatting.md §4.3, §5).  Tags and markers are inserted verbatim; the document text is never
escaped or normalised."""
from __future__ import annotations

from typing import Sequence

from ..tokenizer import Token
from .crop import crop_bounds
from .matches import Match


def format_text(text: str, tokens: Sequence[Token], matches: Sequence[Match], *, highlight: bool,
                crop: int | None, pre: str, post: str, marker: str,
                interval: tuple[Match, Match] | None = None) -> str:
    """``text`` cropped to ``crop`` words (None or 0: whole text) with its matches highlighted."""
    if crop:
        start, end = crop_bounds(tokens, matches, crop, len(text), interval)
    else:
        start, end = 0, len(text)
    if not highlight or not matches:
        body = text[start:end]
    else:
        parts: list[str] = []
        cursor = start
        for m in matches:
            ms, me = m.char_start, tokens[m.last].char_end
            if me < start or ms > end:
                continue
            ms, me = max(ms, start), min(me, end)
            mark_end = min(ms + m.char_count, me)
            parts += (text[cursor:ms], pre, text[ms:mark_end], post, text[mark_end:me])
            cursor = me
        parts.append(text[cursor:end])
        body = "".join(parts)
    if start > 0 and marker:
        body = marker + body
    if end < len(text) and marker:
        body += marker
    return body
