"""Hit formatting: `_formatted` (highlight and crop) and `_matchesPosition` (formatting.md).

Needs only the query's matching words (`SearchResult.terms`) and the index's formatting tokenizer
(`SearchResult.tokenizer`), so any front door can use it::

    >>> result = index.execute(Query(text="blue whale"))              # doctest: +SKIP
    >>> fmt = Formatter.for_result(result, highlight=["title"])      # doctest: +SKIP
    >>> fmt.formatted(document)                                      # doctest: +SKIP
    {'id': '7', 'title': 'The <em>blue</em> <em>whale</em>'}

Modules: `matches` (the query's words found in a value), `crop` (the window), `highlight` (one
value rendered).  Everything works on original text offsets: accents, capitals and emoji come
back as they were, around the tags.
"""
from __future__ import annotations

import math
import re
from typing import Any, Iterable, Mapping, Sequence

from ..search.query import MatchingTerm
from ..tokenizer import SEPARATOR, Token, Tokenizer, plain_ascii
from .crop import best_interval
from .highlight import format_text
from .matches import Match, Vocabulary

DEFAULT_CROP_LENGTH = 10
DEFAULT_CROP_MARKER = "…"
DEFAULT_PRE_TAG = "<em>"
DEFAULT_POST_TAG = "</em>"


def number_text(value: int | float) -> str:
    """A JSON number as Meilisearch (serde_json / ryu) prints it: ``852``, ``1.5``, ``100.0``,
    ``1e21``, ``1e-7``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        return "null"
    if value == 0:
        return "-0.0" if math.copysign(1, value) < 0 else "0.0"
    sign = "-" if value < 0 else ""
    mantissa, _, exp = repr(abs(value)).partition("e")
    whole, _, frac = mantissa.partition(".")
    digits = (whole + frac).lstrip("0")
    # decimal exponent: value = 0.d1d2... * 10^kk
    kk = len(whole.lstrip("0")) if whole.lstrip("0") else -(len(frac) - len(frac.lstrip("0")))
    kk += int(exp or 0)
    digits = digits.rstrip("0") or "0"
    k = kk - len(digits)  # value = digits * 10^k
    if 0 <= k and kk <= 16:
        return sign + digits + "0" * k + ".0"
    if 0 < kk <= 16:
        return sign + digits[:kk] + "." + digits[kk:]
    if -5 < kk <= 0:
        return sign + "0." + "0" * (-kk) + digits
    rest = ("." + digits[1:]) if len(digits) > 1 else ""
    return f"{sign}{digits[0]}{rest}e{kk - 1}"


def _related(name: str, path: str) -> bool:
    return name == path or path.startswith(name + ".") or name.startswith(path + ".")


class Formatter:
    """Formats the hits of one search.  ``displayed`` is displayedAttributes (None: every field);
    ``highlight`` / ``crop`` / ``retrieve`` are the request's attributesToHighlight,
    attributesToCrop as (name, length) and attributesToRetrieve (None: all)."""

    def __init__(self, terms: Sequence[MatchingTerm], tokenizer: Tokenizer | None,
                 displayed: Sequence[str] | None = None, *, highlight: Iterable[str] | None = None,
                 crop: Iterable[tuple[str, int]] | None = None, retrieve: Sequence[str] | None = None,
                 pre_tag: str = DEFAULT_PRE_TAG, post_tag: str = DEFAULT_POST_TAG,
                 crop_marker: str = DEFAULT_CROP_MARKER, matches_position: bool = False,
                 fields: Sequence[str] | None = None):
        self.fields = None if fields is None else list(fields)
        self.vocabulary = Vocabulary(terms)
        self.tokenizer = tokenizer if tokenizer is not None else Tokenizer()
        self.displayed = None if displayed is None or "*" in displayed else list(displayed)
        self.highlight = list(dict.fromkeys(n for n in highlight or () if self._is_displayed(n)))
        crops: dict[str, int] = {}
        for name, length in crop or ():
            if self._is_displayed(name):
                crops[name] = length
        self.crop = crops
        if retrieve is not None and "*" in retrieve:
            retrieve = None
        self.retrieve = None if retrieve is None else [n for n in retrieve if self._is_retrievable(n)]
        self.pre, self.post, self.marker = pre_tag, post_tag, crop_marker or ""
        self.matches_position = matches_position
        self.formats = bool(self.highlight or self.crop)
        self._cache: dict[str, tuple[list[Token], list[Match]]] = {}
        self._ascii_words = self.tokenizer.ascii_words
        self._spans: list[tuple[int, int]] = []
        self._word_cache: dict[str, tuple[list[Match], list[tuple[int, int]]]] = {}
        self._fast_crop = True
        self._word_iter = re.compile(self._ascii_words.__self__.pattern).finditer if self._ascii_words else None

    @classmethod
    def for_result(cls, result: Any, **options: Any) -> "Formatter":
        """A formatter for the hits of an engine `SearchResult`."""
        options.setdefault("fields", result.fields)
        return cls(result.terms, result.tokenizer, result.displayed, **options)

    def _is_displayed(self, name: str) -> bool:
        """A highlight / crop name counts if it is displayed and a field of the index."""
        if name == "*":
            return True
        if self.fields is not None and not any(f == name or f.startswith(name + ".") for f in self.fields):
            return False
        return self.displayed is None or name in self.displayed

    def _field_order(self, name: str) -> int:
        """Field-id order of a selected name: its first related field of the index."""
        for i, f in enumerate(self.fields or ()):
            if _related(name, f):
                return i
        return 1 << 30

    def _is_retrievable(self, name: str) -> bool:
        return self.displayed is None or any(name == d or name.startswith(d + ".") for d in self.displayed)

    # -- matching ----------------------------------------------------------------------------------

    def _analyse(self, text: str, crop: int | None = None) -> tuple[list[Token], list[Match]]:
        """Tokens and matches of a value.  A value that surely has no match is not tokenized,
        or only as far as a crop of ``crop`` words from its start needs."""
        if not self.vocabulary.may_match(text, self._ascii_words):
            return (self.tokenizer.tokenize(self._head(text, crop)) if crop else []), []
        found = self._cache.get(text)
        if found is None:
            tokens = self.tokenizer.tokenize(text)
            matches = self.vocabulary.find(text, tokens) if self.vocabulary else []
            if len(self._cache) > 4096:
                self._cache.clear()
            found = self._cache[text] = (tokens, matches)
        return found

    def _word_matches(self, text: str) -> list[Match] | None:
        """The matches of a plain ASCII value found from its word runs, without building tokens,
        by the same rules as `Vocabulary.find`; a match's ``first``/``last`` are word indexes
        (= word positions).  None where that does not apply (non-ASCII text, a tokenizer with a
        dictionary or multi-char custom separators)."""
        if self._word_iter is None or not plain_ascii(text):
            return None
        cached = self._word_cache.get(text)
        if cached is not None:  # leaves repeat across hits (tags, versions, names)
            self._spans = cached[1]
            return cached[0]
        found = self._scan_words(text)
        if len(self._word_cache) > 4096:
            self._word_cache.clear()
        self._word_cache[text] = (found, self._spans)
        return found

    def _scan_words(self, text: str) -> list[Match]:
        lower = text.lower()
        vocabulary = self.vocabulary
        word_match = vocabulary.word_match
        if not vocabulary.may_match(lower, self._ascii_words):
            self._spans = []
            return []
        lemmas = self._ascii_words(lower)
        spans = [m.span() for m in self._word_iter(lower)]
        self._spans = spans
        out = []
        i, n = 0, len(lemmas)
        while i < n:
            lemma = lemmas[i]
            if lemma in vocabulary.phrase_starts:
                phrase = vocabulary.phrase_at(lemmas, i)
                if phrase is not None:
                    length, ids = phrase
                    j = i + length - 1
                    start = spans[i][0]
                    out.append(Match(i, j, i, j, ids, start, spans[j][1] - start, True))
                    i += length
                    continue
            found = word_match(lemma)
            if found is not None:
                start, end = spans[i]
                chars = end - start if found[1] < 0 else min(found[1], end - start)
                out.append(Match(i, i, i, i, found[0].ids, start, chars))
            i += 1
        return out

    def _crop_fast(self, text: str, crop: int, highlight: bool) -> str | None:
        """Crop (and highlight) a plain ASCII value tokenizing only the words around the window:
        the interval is chosen on word-level matches, then the text from one word more than the
        window can grow by before it to as many after it is tokenized and formatted; the window never
        reaches the ends of that piece unless they are the text's, so the answer is the one the
        whole text gives.  None: use the general path."""
        matches = self._word_matches(text)
        if matches is None:
            return None
        if not matches:
            # the window starts at the text and takes tokens to the right until it holds `crop`
            # words: it ends where the crop-th word ends (ASCII words never touch each other)
            for i, m in enumerate(self._word_iter(text)):
                if i == crop - 1:
                    end = m.end()
                    return text[:end] + self.marker if end < len(text) else text
            return text
        spans = self._spans
        a_idx, b_idx = best_interval(matches, crop)
        first, last = matches[a_idx], matches[b_idx]
        if last.last_word - first.first_word + 1 > crop:
            return None  # a phrase longer than the crop: cut from the text start
        n = len(spans)
        margin = crop - (last.last_word - first.first_word + 1) + 1  # the window grows by fewer words
        wa, wb = max(0, first.first_word - margin), min(n - 1, last.last_word + margin)
        a = 0 if wa == 0 else spans[wa][0]
        b = len(text) if wb == n - 1 else spans[wb][1]
        piece = text[a:b]
        tokens = self.tokenizer.tokenize(piece)
        word_tokens = [k for k, t in enumerate(tokens) if t.kind != SEPARATOR]
        if len(word_tokens) != wb - wa + 1:
            return None
        local = {}
        for m in matches:
            if m.first >= wa and m.last <= wb:
                local[m] = m._replace(first=word_tokens[m.first - wa], last=word_tokens[m.last - wa],
                                      char_start=m.char_start - a)
        return format_text(piece, tokens, list(local.values()), highlight=highlight, crop=crop, pre=self.pre,
                           post=self.post, marker=self.marker, interval=(local[first], local[last]))

    def _head(self, text: str, words: int) -> str:
        """The start of an ASCII text up to its ``words + 2``-th word: enough tokens to crop
        ``words`` words from the start (the token after the window included)."""
        if self._word_iter is None:
            return text
        for i, m in enumerate(self._word_iter(text)):
            if i == words + 1:
                return text[:m.start()]
        return text

    # -- _formatted --------------------------------------------------------------------------------

    def formatted(self, document: Mapping[str, Any]) -> dict[str, Any] | None:
        """The hit's `_formatted` object, or None when it has none (formatting.md §2)."""
        if not self.formats:
            return None
        from ..index import select_fields
        if "*" in self.highlight or "*" in self.crop:
            names = None
        elif self.retrieve is None:
            names = self.displayed
        else:
            names = [*self.retrieve, *self.highlight, *self.crop]
        if names is None:
            names = self.displayed
        source = select_fields(dict(document), names)
        source.pop("_vectors", None)
        if not source:
            return None
        crops = sorted(self.crop.items(), key=lambda kv: self._field_order(kv[0]))
        return {key: self._format_value(value, key, crops) for key, value in source.items()}

    def _format_value(self, value: Any, path: str, crops: list[tuple[str, int]]) -> Any:
        if isinstance(value, dict):
            return {k: self._format_value(v, f"{path}.{k}", crops) for k, v in value.items()}
        if isinstance(value, list):
            return [self._format_value(v, path, crops) for v in value]
        if value is None or isinstance(value, bool):
            return value
        text = value if isinstance(value, str) else number_text(value)
        highlight = "*" in self.highlight or any(_related(n, path) for n in self.highlight)
        crop = next((length for n, length in crops if n == "*" or _related(n, path)), None)
        if not highlight and not crop:
            return text
        if not crop:
            found = self._word_matches(text)
            if found is not None:
                if not found:
                    return text
                parts, cursor, pre, post = [], 0, self.pre, self.post
                for m in found:
                    start, end = m.char_start, self._spans[m.last][1]
                    mark = start + m.char_count
                    parts += (text[cursor:start], pre, text[start:mark], post, text[mark:end])
                    cursor = end
                parts.append(text[cursor:])
                return "".join(parts)
        elif self._fast_crop:
            cropped = self._crop_fast(text, crop, highlight)
            if cropped is not None:
                return cropped
        tokens, matches = self._analyse(text, crop)
        return format_text(text, tokens, matches, highlight=highlight, crop=crop, pre=self.pre,
                           post=self.post, marker=self.marker)

    # -- _matchesPosition --------------------------------------------------------------------------

    def matches_positions(self, document: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
        """`_matchesPosition` over every displayed field: UTF-8 byte start and length of each
        match, by dotted path (formatting.md §6).  As upstream, an array's entry keeps only the
        matches of its last matching element."""
        from ..index import select_fields
        out: dict[str, list[dict[str, Any]]] = {}
        if not self.vocabulary:
            return out
        source = select_fields(dict(document), self.displayed)
        for key, value in source.items():
            if key != "_vectors":
                self._positions(value, key, (), out)
        return {key: out[key] for key in sorted(out)}

    def _positions(self, value: Any, path: str, indices: tuple[int, ...], out: dict) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                self._positions(v, f"{path}.{k}", indices, out)
            return
        if isinstance(value, list):
            for i, v in enumerate(value):
                self._positions(v, path, indices + (i,), out)
            return
        if value is None or isinstance(value, bool):
            return
        text = value if isinstance(value, str) else number_text(value)
        found = self._word_matches(text)
        if found is not None:
            if found:
                out[path] = [{"start": m.char_start, "length": m.char_count,
                              **({"indices": list(indices)} if indices else {})} for m in found]
            return
        tokens, matches = self._analyse(text)
        if not matches:
            return
        entries = []
        for m in matches:
            first = tokens[m.first]
            marked = text[m.char_start:m.char_start + m.char_count]
            entry: dict[str, Any] = {"start": first.byte_start, "length": len(marked.encode("utf-8", "surrogatepass"))}
            if indices:
                entry["indices"] = list(indices)
            entries.append(entry)
        out[path] = entries


__all__ = ["DEFAULT_CROP_LENGTH", "DEFAULT_CROP_MARKER", "DEFAULT_POST_TAG", "DEFAULT_PRE_TAG", "Formatter",
           "Match", "Vocabulary", "number_text"]
