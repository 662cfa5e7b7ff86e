"""Hit formatting: `_formatted` (highlight and crop) and `_matchesPosition` (formatting.md).

Needs only the query's matching words (`SearchResult.terms`) and the index's formatting tokenizer
(`SearchResult.tokenizer`), so any front door can use it::

    >>> result = index.execute(Query(text="blue whale"))              # doctest: +SKIP
    >>> fmt = Formatter.for_result(result, highlight=["title"])      # doctest: +SKIP
    >>> fmt.formatted(document)                                      # doctest: +SKIP
    {'id': '7', 'title': 'The <em>blue</em> <em>whale</em>'}

Modules: `matches` (the query's words found in a value), `crop` (the window), `highlight` (one
value rendered), `words` (plain ASCII values without tokens).  Everything works on original text
offsets: accents, capitals and emoji come back as they were, around the tags.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from typing import Any, Iterable, Mapping, NamedTuple, Sequence

from ..search.query import MatchingTerm

from ..tokenizer import SEPARATOR, AsciiTables, Token, Tokenizer, plain_ascii
from .highlight import format_text, mark
from .matches import Match, Vocabulary
from .words import AsciiValue, Leaves, crop_ascii

DEFAULT_CROP_LENGTH = 10
DEFAULT_CROP_MARKER = "…"
DEFAULT_PRE_TAG = "<em>"
DEFAULT_POST_TAG = "</em>"
# values this long or shorter are formatted once per search (tags, names, versions repeat)
_MEMO_CHARS = 256
_MEMO_ENTRIES = 8192
# what a word char of another script or a symbol stands in as (`Tokenizer.ascii_stand_in`)
PLACEHOLDER = "~"
# bytes that are not plain ASCII (`engine.tokenizer.plain_ascii`)
_UNUSUAL_BYTES = [*range(0, 9), 11, 12, *range(14, 32), *range(127, 256)]


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


_UNPLANNED = object()


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
                 fields: Sequence[str] | None = None,
                 field_tokenizer: Callable[[str], Tokenizer] | None = None):
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
        self._crops = sorted(self.crop.items(), key=lambda kv: self._field_order(kv[0]))
        self._plans: dict[str, tuple[bool, int | None]] = {}
        self._wanted: dict[str, tuple[bool, int | None] | None] = {}  # `_gather`'s: None when not formatted
        self._base_keys: set[str] = set()  # keys `_gather` knows are read with the base tokenizer
        # words of other scripts and symbols stand in as a placeholder when the query's words cannot match them
        self._placeholder = ord(PLACEHOLDER) if self.vocabulary.reads_placeholder(PLACEHOLDER) else None
        # ``field_tokenizer``: path -> the tokenizer of that field (its localizedAttributes rule), for
        # searches without `locales`; every value is read with its field's `_Reading`
        self._field_tokenizer = field_tokenizer
        self._readings: dict[int, _Reading] = {}
        self._path_readings: dict[str, _Reading] = {}
        self._base = self._reading(self.tokenizer)
        self._verdicts: dict[bytes, Any] = {}  # lemma -> `words.verdict`, for `words.Leaves`
        self._read_with(self._base)
        self._flat_shape = _flat_shape(self._shape, self.vocabulary)

    @classmethod
    def for_result(cls, result: Any, **options: Any) -> "Formatter":
        """A formatter for the hits of an engine `SearchResult`."""
        options.setdefault("fields", result.fields)
        options.setdefault("field_tokenizer", getattr(result, "field_tokenizer", None))
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
        """As `render.retrieved_fields`: only a displayed name itself is retrievable."""
        return self.displayed is None or name in self.displayed

    def _plan(self, path: str) -> tuple[bool, int | None]:
        """Whether the values at a dotted path are highlighted, and their crop length (None: not
        cropped).  A path no name relates to has no related path below it either."""
        plan = self._plans.get(path)
        if plan is None:
            highlight = "*" in self.highlight or any(_related(n, path) for n in self.highlight)
            crop = next((length for n, length in self._crops if n == "*" or _related(n, path)), None)
            plan = self._plans[path] = (highlight, crop or None)
        return plan

    # -- matching ----------------------------------------------------------------------------------

    def _ascii(self, text: str, stand_in: bool = True) -> tuple[AsciiValue, list[bytes]] | bool:
        """A value read the ASCII way (`words.AsciiValue`) and the needles in it; False when it
        is plain ASCII and surely has no match; True when the fast path does not apply (the
        general path tokenizes the value).  A text that is not ASCII is read through its
        `Tokenizer.ascii_stand_in` unless ``stand_in`` is False (byte offsets are wanted)."""
        if self._shape is None:
            return True
        if plain_ascii(text):
            value = AsciiValue(text, self._shape)
            present = self.vocabulary.present_in(value.shape)
            return (value, present) if present else False
        raw = self._stand_in(text) if stand_in and not text.isascii() else None
        if raw is None:
            return True
        value = AsciiValue(text, self._shape, raw=raw)
        return value, self.vocabulary.present_in(value.shape)

    # -- which tokenizer reads a field --------------------------------------------------------------

    def _reading(self, tokenizer: Tokenizer) -> _Reading:
        """How values are read with ``tokenizer``: its ASCII tables and its own memos (one per
        tokenizer, as the same text may be cut otherwise by another)."""
        found = self._readings.get(id(tokenizer))
        if found is None:
            found = self._readings[id(tokenizer)] = _Reading(
                tokenizer, tokenizer.ascii_shape, partial(tokenizer.ascii_stand_in, placeholder=self._placeholder),
                {}, {})
        return found

    def _path_reading(self, path: str) -> _Reading:
        """The reading of the values at a dotted path: its field's tokenizer's."""
        if self._field_tokenizer is None:
            return self._base
        found = self._path_readings.get(path)
        if found is None:
            found = self._path_readings[path] = self._reading(self._field_tokenizer(path))
        return found

    def _read_with(self, reading: _Reading) -> None:
        self._current, self._shape, self._stand_in, self._highlighted, self._analysed = reading

    def _use_path(self, path: str) -> None:
        """Values at ``path`` are read with its field's tokenizer from here on (as upstream,
        each leaf is cut with its field's localizedAttributes locales unless the search gives
        ``locales``)."""
        if self._field_tokenizer is not None:
            self._read_with(self._path_reading(path))

    def _analyse(self, text: str) -> tuple[list[Token], list[Match]]:
        """Tokens and matches of a value, the general way (memoized per search)."""
        found = self._analysed.get(text)
        if found is None:
            tokens = self._current.tokenize(text)
            matches = self.vocabulary.find(text, tokens) if self.vocabulary else []
            if len(self._analysed) > 4096:
                self._analysed.clear()
            found = self._analysed[text] = (tokens, matches)
        return found

    # -- _formatted --------------------------------------------------------------------------------

    def formatted(self, document: Mapping[str, Any]) -> dict[str, Any] | None:
        """The hit's `_formatted` object, or None when it has none (formatting.md §2)."""
        return self.formatted_page([document])[0]

    def formatted_page(self, documents: Sequence[Mapping[str, Any]]) -> list[dict[str, Any] | None]:
        """`formatted` of each document of a page.  The documents whose fields are strings,
        numbers, booleans, null and arrays of strings, all plain ASCII or read through stand-ins
        — most documents — are read together: their strings joined, each needle searched once
        in them all (`words.Leaves`); the others one by one."""
        if not self.formats:
            return [None] * len(documents)
        from ..index import select_fields
        if "*" in self.highlight or "*" in self.crop:
            names = None
        elif self.retrieve is None:
            names = self.displayed
        else:
            names = [*self.retrieve, *self.highlight, *self.crop]
        if names is None:
            names = self.displayed
        sources = [select_fields(d if isinstance(d, dict) else dict(d), names) for d in documents]
        outs = self._formatted_flat(sources) if self._flat_shape is not None else [None] * len(sources)
        return [(out if out is not None else self._formatted_general(source)) or None
                for out, source in zip(outs, sources)]

    def _formatted_general(self, source: dict[str, Any]) -> dict[str, Any]:
        return {key: self._format_value(value, key) for key, value in source.items() if key != "_vectors"}

    def _formatted_flat(self, sources: Sequence[dict[str, Any]]) -> list[dict[str, Any] | None]:
        """`_formatted` of the documents read together (`formatted_page`); None for each of the
        others.  Strings repeat across the hits of a page (dependencies, tags, maintainers):
        each distinct one is read once, and highlighted once."""
        strings: list[str] = []
        gathered: list[tuple[dict[str, Any], list[tuple[str, Any, bool, int | None]]] | None] = []
        for source in sources:
            before = len(strings)
            found = self._gather(source, strings)
            if found is None:
                del strings[before:]
            gathered.append(found)
        self._read_with(self._base)
        leaves: Leaves | None = None
        try:
            distinct = list(dict.fromkeys(strings))
        except TypeError:  # an array holds an object
            distinct = []
        else:
            leaves = Leaves.of(distinct, self._flat_shape, self.vocabulary, self._verdicts,  # type: ignore[arg-type]
                               self._stand_in)
        if leaves is None:  # an array holds something else than strings
            if len(sources) == 1:
                return [None]
            return [self._formatted_flat([source])[0] for source in sources]
        # each distinct string highlighted
        highlighted = dict(zip(distinct, leaves.highlighted(self.pre, self.post))) if leaves.spans else {}
        for leaf in leaves.general:
            highlighted[distinct[leaf]] = self._highlight_text(distinct[leaf])
        lookup = highlighted.get
        outs: list[dict[str, Any] | None] = []
        for item in gathered:
            if item is None:
                outs.append(None)
                continue
            out, fields = item
            outs.append(out)
            for key, value, highlight, crop in fields:
                if crop:
                    if type(value) is list:
                        out[key] = [self._crop_leaf(leaves, v, highlight, crop) for v in value]
                    else:
                        out[key] = self._crop_leaf(leaves, value, highlight, crop)
                elif highlighted:
                    out[key] = list(map(lookup, value, value)) if type(value) is list else lookup(value, value)
        return outs

    def _gather(self, source: dict[str, Any], strings: list[str]
                ) -> tuple[dict[str, Any], list[tuple[str, Any, bool, int | None]]] | None:
        """A document's `_formatted` as it is before highlighting and cropping, and each string or
        array field highlighted or cropped with its value (a number as its text) and its plan,
        its strings appended to ``strings``; None for a document the one pass does not read."""
        fields: list[tuple[str, Any, bool, int | None]] = []
        out = dict(source)
        if self._field_tokenizer is not None and not self._base_keys.issuperset(source):
            # the one pass reads every field the same way
            if any(self._path_reading(key) is not self._base for key in source):
                return None
            self._base_keys.update(source)
        wanted = self._wanted  # key -> (highlight, crop) of the keys highlighted or cropped, else None
        add_field, add_string = fields.append, strings.append
        for key, value in source.items():
            kind = type(value)
            plan = wanted.get(key, _UNPLANNED)
            if plan is _UNPLANNED:
                plan = self._plan(key)
                plan = wanted[key] = plan if plan[0] or plan[1] else None
            if kind is str:
                if plan is not None:
                    add_field((key, value, *plan))
                    add_string(value)
            elif kind is list:
                if plan is not None:
                    add_field((key, value, *plan))
                    strings.extend(value)  # anything but strings: `Leaves.of` says None
                elif not all(type(v) is str for v in value):
                    return None
                out[key] = list(value)
            elif kind is int or kind is float:
                text = out[key] = str(value) if kind is int else number_text(value)
                if plan is not None:
                    add_field((key, text, *plan))
                    add_string(text)
            elif key == "_vectors":
                del out[key]
            elif not (value is None or kind is bool):
                return None
        return out, fields

    def _crop_leaf(self, leaves: Leaves, text: str, highlight: bool, crop: int) -> str:
        """One string of `_formatted_flat` cropped, highlighted if asked."""
        leaf = leaves.index(text)
        if leaf in leaves.general:
            return self._crop_text(text, crop, highlight)
        cropped = leaves.crop(leaf, self._shape, crop, highlight=highlight, pre=self.pre,  # type: ignore[arg-type]
                              post=self.post, marker=self.marker)
        if cropped is not None:
            return cropped
        tokens, token_matches = self._analyse(text)
        return format_text(text, tokens, token_matches, highlight=highlight, crop=crop, pre=self.pre, post=self.post,
                           marker=self.marker)

    def _format_value(self, value: Any, path: str) -> Any:
        highlight, crop = self._plan(path)
        self._use_path(path)
        kind = type(value)
        if kind is str:
            text = value
        elif kind is list:
            if crop:
                return [self._format_value(v, path) for v in value]
            if not highlight:
                return _plain(value)
            memo, highlight_text = self._highlighted.get, self._highlight_text
            return [(memo(v) or highlight_text(v)) if type(v) is str else self._format_value(v, path) for v in value]
        elif kind is dict:
            return self._format_object(value, path)
        elif value is None or kind is bool:
            return value
        elif kind is int or kind is float:
            text = number_text(value)
        elif isinstance(value, str):
            text = str(value)
        elif isinstance(value, Mapping):
            return self._format_object(value, path)
        elif isinstance(value, (list, tuple)):
            return [self._format_value(v, path) for v in value]
        else:
            text = number_text(value)
        if crop:
            return self._crop_text(text, crop, highlight)
        if highlight:
            return self._highlight_text(text)
        return text

    def _format_object(self, value: Mapping[str, Any], path: str) -> dict[str, Any]:
        """An object's fields formatted, then ``path``'s reading restored for the values after it
        (an array's next strings)."""
        out = {k: self._format_value(v, f"{path}.{k}") for k, v in value.items()}
        self._use_path(path)
        return out

    def _highlight_text(self, text: str, value: tuple[AsciiValue, list[bytes]] | bool | None = None) -> str:
        """A value with its matches in tags; short ones are memoized for the rest of the page.
        ``value``: what `_ascii` says of it, when the caller knows."""
        found = self._highlighted.get(text)
        if found is not None:
            return found
        if value is None:
            value = self._ascii(text)
        if value is False:
            found = text
        elif value is True:
            if self.vocabulary.may_occur_in(text):
                tokens, matches = self._analyse(text)
                found = format_text(text, tokens, matches, highlight=True, crop=None, pre=self.pre,
                                    post=self.post, marker=self.marker)
            else:
                found = text
        else:
            spans = value[0].spans(self.vocabulary, value[1])
            found = mark(text, 0, len(text), spans, self.pre, self.post) if spans else text
        if len(text) <= _MEMO_CHARS:
            if len(self._highlighted) >= _MEMO_ENTRIES:
                self._highlighted.clear()
            self._highlighted[text] = found
        return found

    def _crop_text(self, text: str, crop: int, highlight: bool,
                   value: tuple[AsciiValue, list[bytes]] | bool | None = None) -> str:
        """A value cropped to ``crop`` words, highlighted if asked.  ``value``: as for
        `_highlight_text`."""
        if value is None:
            value = self._ascii(text)
        if value is False:  # no match: from the start, up to the end of the crop-th word
            end = self._current.ascii_word_end(text, crop)
            return text[:end] + self.marker if 0 <= end < len(text) else text
        if value is True and not self.vocabulary.may_occur_in(text):
            return self._crop_head(text, crop)
        if value is not True:
            matches, spans = value[0].matches(self.vocabulary, value[1])
            cropped = crop_ascii(value[0], matches, spans, crop, self._current, highlight=highlight, pre=self.pre,
                                 post=self.post, marker=self.marker)
            if cropped is not None:
                return cropped
        tokens, matches = self._analyse(text)
        return format_text(text, tokens, matches, highlight=highlight, crop=crop, pre=self.pre, post=self.post,
                           marker=self.marker)

    def _crop_head(self, text: str, crop: int) -> str:
        """A value without match cropped by the general path: up to the end of its crop-th word.
        Tokens are cut only for a head of it, ended before a space with more words than that,
        which no token straddles."""
        tokenizer = self._current
        if " " in tokenizer.separators:
            size = 16 * crop + 64
            while size < len(text):
                cut = text.find(" ", size)
                if cut < 0:
                    break
                words = [t for t in tokenizer.tokenize(text[:cut]) if t.kind != SEPARATOR]
                if len(words) > crop:
                    return text[:words[crop - 1].char_end] + self.marker
                size *= 4
        return format_text(text, tokenizer.tokenize(text), [], highlight=False, crop=crop, pre=self.pre,
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
        source = select_fields(document if isinstance(document, dict) else dict(document), self.displayed)
        for key, value in source.items():
            if key != "_vectors":
                self._positions(value, key, (), out)
        return {key: out[key] for key in sorted(out)}

    def _positions(self, value: Any, path: str, indices: tuple[int, ...], out: dict) -> None:
        self._use_path(path)
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
        ascii_value = self._ascii(text, stand_in=False)
        if ascii_value is False or (ascii_value is True and not self.vocabulary.may_occur_in(text)):
            return
        extra = {"indices": list(indices)} if indices else {}
        if ascii_value is not True:  # chars are bytes
            matches, _ = ascii_value[0].matches(self.vocabulary, ascii_value[1])
            if matches:
                out[path] = [{"start": m.char_start, "length": m.char_count, **extra} for m in matches]
            return
        tokens, matches = self._analyse(text)
        if matches:
            out[path] = [{"start": tokens[m.first].byte_start,
                          "length": len(text[m.char_start:m.char_start + m.char_count].encode("utf-8", "surrogatepass")),
                          **extra} for m in matches]


class _Reading(NamedTuple):
    """One tokenizer's way of reading values in a formatter, with its memos (text -> result)."""
    tokenizer: Tokenizer
    shape: AsciiTables | None  # None: every value takes the general path
    stand_in: Callable[[str], bytes | None]
    highlighted: dict[str, str]
    analysed: dict[str, tuple[list[Token], list[Match]]]


def _flat_shape(tables: AsciiTables | None, vocabulary: Vocabulary) -> bytes | None:
    """The shape table `words.Leaves` reads a document's strings with: the joiner a space, every
    byte that is not plain ASCII a zero.  None where it does not apply."""
    if tables is None or not vocabulary.few_needles:
        return None
    found = _FLAT_SHAPES.get(tables[0])
    if found is None:
        table = bytearray(tables[0])
        for byte in _UNUSUAL_BYTES:
            table[byte] = 0
        table[ord(Leaves.JOINER)] = 32  # a word boundary, in no plain string
        found = _FLAT_SHAPES[tables[0]] = bytes(table)
    return found


_FLAT_SHAPES: dict[bytes, bytes] = {}  # a tokenizer's shape table -> `_flat_shape`'s


def _plain(value: Any) -> Any:
    """A value of `_formatted` that nothing highlights or crops: numbers become strings."""
    kind = type(value)
    if kind is str or value is None or kind is bool:
        return value
    if kind is list:
        return list(value) if all(type(v) is str for v in value) else [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return number_text(value)


__all__ = ["DEFAULT_CROP_LENGTH", "DEFAULT_CROP_MARKER", "DEFAULT_POST_TAG", "DEFAULT_PRE_TAG", "Formatter",
           "Match", "Vocabulary", "number_text"]
