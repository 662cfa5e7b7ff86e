"""Text analysis: cut text into words and separators, normalize words, assign positions.

The idea (Meilisearch's charabia, Latin behaviour, ranking.md §1): the text is cut at every
*separator* string (leftmost-longest, each match is its own token); what lies between separators
is a *word*.  Separators are *hard* (end of a sentence: `". "`, `"!"`, `";"` …) or *soft* (space,
`"-"`, `"'"`, `"."` …).  Words are normalized (NFKD, lowercase, accents dropped) so that `Gläss`
and `glass` meet in the index::

    "Gläss-case. Ok"  ->  glass | - | case | ". " (hard) | ok
    positions (indexing)   0        1                      9   (+1 soft, +8 after a hard separator)

Order of normalization matters for one observable quirk: stop words are compared *before*
lowercasing, so the stop word ``The`` does not match ``the``.

Every token knows where it came from: char and UTF-8 byte offsets into the original text (what a
highlighter marks).  Positions are not the tokenizer's business: it cuts each value into sentences
and `positions.FieldPositions` numbers them, the same way on every path.

Speed: one compiled regex per `Tokenizer` does the cutting in C.  ASCII words are normalized with a
single ``str.lower``; only non-ASCII words take the general path (NFKD, marks, script groups), and
its results are memoized.  `index_field` skips building `Token` objects (and offsets) altogether.

Deliberate choices where the spec paraphrases upstream (see the module constants):

* Default separators are the charabia list: Unicode punctuation (Pc Pd Pe Pf Pi Po Ps), spaces
  (Zs Zl Zp), ``\\0 ` \\t \\n \\r + -``, ``± × ÷``, the math operators block U+2212–U+22FF, and
  ``". "``/``", "``.  ASCII math symbols ``< = > | ~`` and ``^ $`` are *not* separators upstream
  (``a=b`` is one word), so they are not here either.
* Hardness is decided on the matched text and on its NFKD form (fullwidth ``．`` is hard, as the
  spec lists it).  ``\\0`` is hard.
* Other scripts (`engine.languages`): the text is cut into runs of one script; a Chinese/Japanese
  run takes a language (kana: Japanese, else Chinese; ``locales`` override) and its words, and
  those of Korean, Thai, Khmer and Arabic, come from their segmenters; per-script letters are
  folded (Chinese variants, kana, Arabic, Greek, Turkish, Swedish and German under locales).
  Latin text without locales takes none of these paths.
"""
from __future__ import annotations

import enum
import operator
import re
import sys
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache, partial
from itertools import repeat
from typing import Any, NamedTuple

from . import limits
from .languages import allow_list
from .languages.detection import (CJ_CHARS, CJ_RE, DETECT, cj_language, cj_runs, detect_latin,
                                  latin_language)
from .languages.normalizers import normalize_cj
from .languages.segmenters import segmenter
from .positions import FieldPositions, IndexedField

# --------------------------------------------------------------------------------------------------
# Separator tables
# --------------------------------------------------------------------------------------------------

_SEPARATOR_CATEGORIES = frozenset({"Pc", "Pd", "Pe", "Pf", "Pi", "Po", "Ps", "Zs", "Zl", "Zp"})
_EXTRA_SEPARATOR_CHARS = "\0`\t\n\r+-±×÷" + "".join(chr(c) for c in range(0x2212, 0x2300))


def _default_separators() -> frozenset[str]:
    chars = {
        chr(c)
        for c in range(sys.maxunicode + 1)
        if unicodedata.category(chr(c)) in _SEPARATOR_CATEGORIES
    }
    chars.update(_EXTRA_SEPARATOR_CHARS)
    return frozenset(chars | {". ", ", "})


#: Every string that separates words by default (ranking.md §1.1).
DEFAULT_SEPARATORS: frozenset[str] = _default_separators()

#: Separators that end a sentence (ranking.md §1.1.2): the Latin ones of the spec plus the
#: sentence-level punctuation of other scripts that charabia also treats as hard.
HARD_SEPARATORS: frozenset[str] = frozenset(
    [". ", ", ", "!", "?", ";", "¡", "¿", "§", "¶", "…", "‼", "⁇", "⁈", "⁉", "\0",
     "。", "、", "！", "，", "．", "：", "；", "？", "｡", "､",
     "\u037e",  # Greek question mark (NFKD: ';')
     "․", "‥", "※", "‽", "⁏", "⁖", "⁚", "⸘", "⸮", "⹁",
     "︐", "︑", "︒", "︓", "︔", "︕", "︖", "︙", "︰", "﹅", "﹐", "﹑", "﹒", "﹔", "﹕", "﹖", "﹗",
     "՜", "՝", "՞", "։", "׃", "،", "؛", "؟", "۔", "।", "॥", "෴", "๚", "๛", "၊", "။", "჻",
     "።", "፣", "፤", "፥", "፦", "፧", "፨", "᛫", "᛬", "᛭", "។", "៕", "៖", "៘", "៚", "។ល។",
     "᠀", "᠁", "᠂", "᠃", "᠄", "᠅", "᠈", "᠉", "᠆", "᚛", "᚜", "´"]
)

# Control characters removed by normalization: Unicode Cc except whitespace (Rust's
# `c.is_control() && !c.is_whitespace()`).
_CONTROL_WHITESPACE = frozenset("\t\n\x0b\x0c\r\x85")
_CONTROL_CHARS = "".join(
    chr(c) for c in list(range(0x20)) + list(range(0x7F, 0xA0)) if chr(c) not in _CONTROL_WHITESPACE
)
_CONTROL_RE = re.compile("[" + re.escape(_CONTROL_CHARS) + "]")
# ASCII chars that are neither separators nor plain word chars (controls, VT/FF, \x1c-\x1f): a
# text containing one is indexed word by word.
_ASCII_UNUSUAL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NON_ASCII_RE = re.compile("[^\x00-\x7f]")
_REMOVE_CONTROL = {ord(c): None for c in _CONTROL_CHARS}
_QUOTES_AE_OE = {ord("’"): "'", ord("‘"): "'", ord("‛"): "'", ord("æ"): "ae", ord("œ"): "oe"}

# Scripts whose non-spacing marks are removed (charabia `NonspacingMarkNormalizer`).
_MARK_STRIPPING_SCRIPTS = frozenset({"LATIN", "GREEK", "HEBREW", "THAI", "ARABIC"})
_SCRIPT_ALIASES = {"CJK": "CJ", "HIRAGANA": "CJ", "KATAKANA": "CJ", "IDEOGRAPHIC": "CJ"}


class TokenKind(enum.IntEnum):
    WORD = 0
    STOP_WORD = 1
    SEPARATOR = 2


WORD, STOP_WORD, SEPARATOR = TokenKind.WORD, TokenKind.STOP_WORD, TokenKind.SEPARATOR


class Token(NamedTuple):
    """One token of a text.

    Offsets index the ORIGINAL text, before normalization, so a highlighter marks what was typed
    without re-tokenizing: ``text[t.char_start:t.char_end]`` in chars, and
    ``text.encode()[t.byte_start:t.byte_end]`` in UTF-8 bytes.  ``lemma`` is the normalized word,
    or the (NFKD) separator text.  ``hard`` is only meaningful for separators.
    """

    kind: TokenKind
    lemma: str
    char_start: int
    char_end: int
    byte_start: int
    byte_end: int
    hard: bool = False

    @property
    def is_word(self) -> bool:
        return self.kind == WORD

    @property
    def is_stop_word(self) -> bool:
        return self.kind == STOP_WORD

    @property
    def is_separator(self) -> bool:
        return self.kind == SEPARATOR


class FieldToken(NamedTuple):
    """A word or stop word of a field with the position indexing gives it (`Tokenizer.field_tokens`)."""

    value: int  # which value of the field (array element, repeated leaf) holds the token
    position: int
    token: Token


class _Utf8Offsets:
    """UTF-8 byte offsets of one text's char offsets, asked in increasing order (as tokens come).

    Encodes each stretch of text once; surrogates (never valid UTF-8) count as the 3 bytes that
    ``surrogatepass`` gives them rather than failing.
    """

    __slots__ = ("byte", "char", "text")

    def __init__(self, text: str) -> None:
        self.text, self.char, self.byte = text, 0, 0

    def __call__(self, char: int) -> int:
        self.byte += len(self.text[self.char:char].encode("utf-8", "surrogatepass"))
        self.char = char
        return self.byte


_ByteAt = Callable[[int], int]
_ASCII_BYTE_AT: _ByteAt = operator.index  # ASCII text: the byte offset is the char offset


# --------------------------------------------------------------------------------------------------
# Normalization of one word (ranking.md §1.2)
# --------------------------------------------------------------------------------------------------

@lru_cache(maxsize=65536)
def _script(c: str) -> str | None:
    """Script of a char, or None for script-neutral chars (digits, marks, symbols).

    Only used to cut non-ASCII words where the script changes (`abcПривет` -> 2 words) and to
    decide whether accents are removed; ASCII never gets here.
    """
    if not unicodedata.category(c).startswith("L"):
        return None
    if CJ_RE.match(c):
        return "CJ"  # kana, the prolonged sound mark and ideographs are one script (charabia's Cj)
    name = unicodedata.name(c, "")
    for part in name.split():
        if part in _MARK_STRIPPING_SCRIPTS:
            return part
        if part in _SCRIPT_ALIASES:
            return _SCRIPT_ALIASES[part]
    return name.split(" ", 1)[0] or "OTHER"


def _script_groups(raw: str) -> list[tuple[str, str | None]]:
    """Cut a word where its script changes between two scripted chars (charabia pre-segmentation).

    Script-neutral chars (digits, marks) stay in the current group.  Returns (piece, script).
    """
    groups: list[tuple[str, str | None]] = []
    start = 0
    current: str | None = None
    for i, c in enumerate(raw):
        if c.isascii() and not c.isalpha():
            continue
        s = "LATIN" if c.isascii() else _script(c)
        if s is None or s == current:
            continue
        if current is not None:
            groups.append((raw[start:i], current))
            start = i
        current = s
    groups.append((raw[start:], current))
    return groups


def _latin_runs(text: str) -> list[tuple[int, int]]:
    """The [start, end) spans of the Latin runs of ``text``, cut as charabia cuts a text into runs
    of one script: a scripted char of another script ends a run; chars of no script (digits,
    spaces, punctuation) stay in the run they are in, or join the first run.

        >>> _latin_runs("Fußball 東京 blåbär!"), _latin_runs("123")
        ([(0, 8), (10, 17)], [])
    """
    if text.isascii():
        return [(0, len(text))] if any(c.isalpha() for c in text) else []
    runs: list[tuple[int, int]] = []
    start, current = 0, None
    for i, c in enumerate(text):
        s = ("LATIN" if c.isalpha() else None) if c.isascii() else _script(c)
        if s is None or s == current:
            continue
        if current == "LATIN":
            runs.append((start, i))
        if current is not None:
            start = i
        current = s
    if current == "LATIN":
        runs.append((start, len(text)))
    return runs


def _decompose(raw: str) -> str:
    """Steps 1-2 of §1.2: NFKD, then control characters removed.  Stop words compare to this."""
    d = raw if raw.isascii() else unicodedata.normalize("NFKD", raw)
    if _CONTROL_RE.search(d):
        d = d.translate(_REMOVE_CONTROL)
    return d


def _finish(decomposed: str, script: str | None, language: str | None = None) -> str:
    """Steps 4-8 of §1.2: lowercase, curly quotes, æ/œ, the Chinese and Japanese steps of Cj
    text (`languages.normalizers`), non-spacing marks (Latin-like scripts)."""
    lemma = decomposed.lower()
    if lemma.isascii():
        return lemma
    lemma = lemma.translate(_QUOTES_AE_OE)
    if script == "CJ":
        return normalize_cj(lemma, language)
    if language == "swe" and script == "LATIN":
        lemma = recompose_swedish(lemma)
    translation = _SCRIPT_LETTERS.get(script)
    if translation is not None:
        lemma = lemma.translate(translation)
    if script in _MARK_STRIPPING_SCRIPTS:
        lemma = "".join(c for c in lemma if unicodedata.category(c) != "Mn")
    return lemma


#: letters charabia folds per script after lowercasing: Vietnamese/Icelandic đ ð and Turkish
#: dotless ı (any Latin text), Greek final sigma, Arabic tatweel (dropped), alef wasla, alef
#: maksura and teh marbuta
_SCRIPT_LETTERS = {
    "LATIN": str.maketrans({"đ": "d", "ð": "d", "ı": "i"}),
    "GREEK": str.maketrans({"ς": "σ"}),
    "ARABIC": str.maketrans({"ـ": None, "ٱ": "ا", "ى": "ي", "ة": "ه"}),
}
_ANY_SCRIPT_LETTERS = {k: v for table in _SCRIPT_LETTERS.values() for k, v in table.items()}
_SWEDISH = {("a", "\u030a"): "å", ("a", "\u0308"): "ä", ("o", "\u0308"): "ö"}


def recompose_swedish(lemma: str) -> str:
    """å, ä and ö put back together (Swedish text): letters of their own, not a or o with an
    accent, so they survive the removal of marks."""
    if "\u030a" not in lemma and "\u0308" not in lemma:
        return lemma
    out: list[str] = []
    for c in lemma:
        composed = _SWEDISH.get((out[-1], c)) if out else None
        if composed is not None:
            out[-1] = composed
        else:
            out.append(c)
    return "".join(out)


def _word_script(raw: str) -> str | None:
    for c in raw:
        if c.isascii():
            if c.isalpha():
                return "LATIN"
            continue
        s = _script(c)
        if s is not None:
            return s
    return None


def normalize_word(text: str, locales: Iterable[str] | None = None) -> str:
    """The lemma of one word as indexing and search compare it: ``"Gläss" -> "glass"``, ``"ﬁ" -> "fi"``.

    No segmentation and no stop-word check; used for settings values (synonyms, disableOnWords),
    facet search and by tests.  The text is read in the language ``locales`` allow, as milli
    normalizes a facet string with a detector restricted to them: Chinese/Japanese for Cj text,
    Swedish (å, ä, ö kept) or another allowed language for Latin text.

        >>> normalize_word("Blåbär"), normalize_word("Blåbär", ["swe"])
        ('blabar', 'blåbär')
    """
    if text.isascii() and not _CONTROL_RE.search(text):
        return text.lower()
    script = _word_script(text)
    return _finish(_decompose(text), script, _word_language(text, script, allow_list(locales)))


def normalize_facet_string(text: str, locales: Iterable[str] | None = None) -> str:
    """A facet value or facet query as milli normalizes it for facet search: like
    `normalize_word`, except that without ``locales`` the text has no language (milli detects
    one only among several locales), so Chinese/Japanese text takes the steps of both languages:
    ``進撃の巨人`` reads ``進擊の巨人`` (a kana does not make it Japanese-only, as in a word).

        >>> normalize_facet_string("進撃の巨人"), normalize_facet_string("進撃の巨人", ["jpn"])
        ('進擊の巨人', '進撃の巨人')
    """
    if text.isascii() and not _CONTROL_RE.search(text):
        return text.lower()
    script = _word_script(text)
    allow = allow_list(locales)
    return _finish(_decompose(text), script, None if allow is None else _word_language(text, script, allow))


def _word_language(text: str, script: str | None, allow: tuple[str, ...] | None) -> str | None:
    """The language a word of ``script`` is read in, among the ``allow``ed ones (None: any)."""
    if script == "CJ":
        return cj_language(text, allow)
    if script == "LATIN":
        language = latin_language(allow)
        return detect_latin(text, allow) if language == DETECT else language
    return None


def flattened_text(text: str) -> str:
    """``text`` normalized char by char as its words are (NFKD, lowercase, quotes, æ/œ, letters
    folded per script, control chars dropped) and with every non-spacing mark dropped, whatever
    the script: any lemma of ``text``, marks dropped too (`drop_marks`), occurs in it.  So a word
    whose `drop_marks` is absent from it is surely no part of a lemma of ``text`` — known
    without cutting words, at the cost of a few C-level passes.  (Chinese/Japanese lemmas
    depend on their run's language: callers do not rely on it for such text.)

        >>> flattened_text("Ǆemal’s Café")
        "dzemal's cafe"
    """
    flat = unicodedata.normalize("NFKD", text).lower()
    if flat.isascii() and not _CONTROL_RE.search(flat):
        return flat
    changes: dict[int, str | None] = {}
    for c in set(flat):
        if c in _CONTROL_CHARS or (not c.isascii() and unicodedata.category(c) == "Mn"):
            changes[ord(c)] = None
        elif ord(c) in _QUOTES_AE_OE:
            changes[ord(c)] = _QUOTES_AE_OE[ord(c)]
        elif ord(c) in _ANY_SCRIPT_LETTERS:
            changes[ord(c)] = _ANY_SCRIPT_LETTERS[ord(c)]
    return flat.translate(changes) if changes else flat


def drop_marks(word: str) -> str:
    """A word without its non-spacing marks (see `flattened_text`)."""
    if word.isascii():
        return word
    return "".join(c for c in unicodedata.normalize("NFKD", word) if unicodedata.category(c) != "Mn")


def normalized_char_counts(original: str) -> list[int]:
    """For each char of an original word, how many chars it contributes to the lemma.

    Lets the formatter map "the first N chars of the lemma" (a prefix match) back to original
    chars: ``Ŵôřlḑôle`` -> ``[1, 1, 1, 1, 1, 1, 1, 1]``, ``ﬁn`` -> ``[2, 1]``.
    """
    script = _word_script(original)
    return [len(_finish(_decompose(c), script)) for c in original]


# --------------------------------------------------------------------------------------------------
# The tokenizer
# --------------------------------------------------------------------------------------------------

def _char_class(chars: Iterable[str]) -> str:
    return "[" + "".join(re.escape(c) for c in sorted(chars)) + "]"


def _alternation(strings: Iterable[str]) -> str:
    """A regex matching the leftmost-longest of literal strings (longest alternatives first)."""
    singles = [s for s in strings if len(s) == 1]
    multis = sorted((s for s in strings if len(s) > 1), key=lambda s: (-len(s), s))
    parts = [re.escape(s) for s in multis]
    if singles:
        parts.append(_char_class(singles))
    return "|".join(parts) if parts else "(?!)"


_WORD_CACHE_MAX = 200_000
#: `Tokenizer._pieces`: the language of Chinese/Japanese chars is to be detected from the span
_DETECT: Any = "?"
#: scripts whose words are not the runs between separators (`languages.segmenters`)
_SEGMENTED_SCRIPTS = frozenset({"CJ", "HANGUL", "THAI", "KHMER", "ARABIC"})
_CJ_ONLY_RE = re.compile(f"[{CJ_CHARS}]+")


class Tokenizer:
    """Cuts and normalizes text with one index's settings.

    ``stop_words``, ``separator_tokens``, ``non_separator_tokens`` and ``dictionary`` are the
    settings values.  Custom separators are added to the defaults, then non-separators removed
    (so a string in both lists is *not* a separator).  Build one per settings version and reuse it:
    construction compiles the regexes.

        >>> [t.lemma for t in Tokenizer().tokenize("can't stop") if t.is_word]
        ['can', 't', 'stop']
    """

    def __init__(
        self,
        stop_words: Iterable[str] = (),
        separator_tokens: Iterable[str] = (),
        non_separator_tokens: Iterable[str] = (),
        dictionary: Iterable[str] = (),
        locales: Iterable[str] | None = None,
        latin: str | None = DETECT,
    ) -> None:
        #: the languages detection may choose from (`languages.allow_list` of ``locales``)
        self.allow = allow_list(locales)
        #: the language of Latin text; `DETECT`: detected per text (`_tokenize_detecting`).
        #: ``latin`` forces one (the tokenizers a detecting one hands its texts to).
        self._latin_language = latin_language(self.allow) if latin == DETECT else latin
        self._detecting = self._latin_language == DETECT
        self._by_latin: dict[str | None, Tokenizer] = {}
        stop_words, separator_tokens = tuple(stop_words), tuple(separator_tokens)
        non_separator_tokens, dictionary = tuple(non_separator_tokens), tuple(dictionary)
        self._settings = (stop_words, separator_tokens, non_separator_tokens, dictionary)
        self._localized: dict[tuple[str, ...] | None, Tokenizer] = {self.allow: self}
        # Stop words are NFKD-decomposed (not lowercased) when the setting is saved (§1.2.3).
        self.stop_words = frozenset(unicodedata.normalize("NFKD", w) for w in stop_words)
        self.separators = (DEFAULT_SEPARATORS | {s for s in separator_tokens if s}) - set(
            non_separator_tokens
        )
        self.dictionary = frozenset(w for w in dictionary if w)
        # German compounds are cut inside ASCII words too: no shortcut takes an ASCII run whole
        self._whole_ascii_words = self._latin_language not in ("deu", DETECT)
        self._split_re = re.compile(_alternation(self.separators | self.dictionary))
        self._word_cache: dict[Any, list[tuple[TokenKind, str, int]]] = {}
        # the words a segmenter cut, classified: (word, language) -> (kind, lemma, length)
        self._segment_cache: dict[tuple[str, str | None], tuple[TokenKind, str, int]] = {}

        single = {s for s in self.separators if len(s) == 1}
        multi = self.separators - single
        # Fast indexing path: words are exactly the runs of non-separator chars, and the only
        # multi-char separators are ". " / ", " whose chars are separators themselves.
        self._fast = self._whole_ascii_words and not self.dictionary and not self._detecting and all(
            s in (". ", ", ") and s[0] in single and " " in single for s in multi
        )
        if self._fast:
            ascii_single = {c for c in single if c.isascii()}
            ascii_hard = sorted((multi | ascii_single) & HARD_SEPARATORS, key=lambda s: -len(s))
            # Only ASCII regexes on the hot path: small char classes are several times faster in
            # `re` than the ~800 Unicode separators.  Non-ASCII separators are first rewritten to
            # an ASCII soft ("/") or hard ("!") one, which changes no word boundary.
            ascii_word = [chr(c) for c in range(128) if chr(c) not in single]
            self._ascii_findall = re.compile(_char_class(ascii_word) + "+").findall
            # one C scan instead of len() over every word of long values
            self._ascii_long_word = re.compile(
                _char_class(ascii_word) + f"{{{limits.MAX_WORD_BYTES + 1},}}").search
            self._ascii_hard_split = re.compile(_alternation(ascii_hard)).split
            word_run = "[^" + "".join(re.escape(c) for c in sorted(ascii_single)) + "]+"
            walk = re.compile(word_run + "|" + _alternation(ascii_hard), re.S)
            self._walk_findall, self._walk_finditer = walk.findall, walk.finditer
            self._walk_hard = frozenset(ascii_hard)
            self._non_ascii_seps = {
                c: ("!" if c in HARD_SEPARATORS else "/") for c in single if not c.isascii()
            }
            self._ascii_split_finditer = re.compile(_alternation(multi | ascii_single)).finditer
            # one scan for words and separators of plain ASCII text (`_tokenize_ascii`)
            self._ascii_token_finditer = re.compile(
                "(" + _char_class(ascii_word) + "+)|" + _alternation(multi | ascii_single)).finditer
            # the formatter's token-free reading of plain ASCII values (`ascii_shape` and after)
            self._ascii_shape = _ascii_tables(set(ascii_word), ascii_single, multi)
            self._ascii_word_class = _char_class(ascii_word)
            self._nth_word_end: dict[int, Callable[[str], Any]] = {}
            # ASCII separators that stand in for non-ASCII ones (`ascii_stand_in`): never part of
            # a multi-char separator
            plain_seps = ascii_single - {".", ",", " "}
            self._stand_in_seps = (
                next((c for c in "!;?" if c in plain_seps and c in HARD_SEPARATORS), None),
                next((c for c in "/-|" if c in plain_seps and c not in HARD_SEPARATORS), None))
            self._stand_ins: dict[str, int] = {}

    def with_locales(self, locales: Iterable[str] | None) -> "Tokenizer":
        """This tokenizer with detection narrowed to ``locales`` (the ``locales`` search
        parameter, a field's ``localizedAttributes`` rule; None: detect freely).  Built once
        per list and kept."""
        allow = allow_list(locales)
        found = self._localized.get(allow)
        if found is None:
            found = Tokenizer(*self._settings, locales=allow)
            if len(self._localized) < 64:
                self._localized[allow] = found
        return found

    # -- classification ------------------------------------------------------------------------

    def _classify_piece(self, raw: str, cj: str | None = _DETECT) -> list[tuple[TokenKind, str]]:
        """Kind and lemma of a non-separator span; several pieces if its script changes or a
        segmenter cuts it (`_pieces`)."""
        return [(kind, lemma) for kind, lemma, _ in self._pieces(raw, cj)]

    def _pieces(self, raw: str, cj: str | None = _DETECT) -> list[tuple[TokenKind, str, int]]:
        """Kind, lemma and length in chars of each piece of a non-separator span: its runs of
        one script, each cut into words by the segmenter of its script and language
        (`languages.segmenters`).  ``cj`` is the language of the span's Chinese/Japanese chars
        as the whole text decided it (`_DETECT`: decided from the span alone)."""
        key: Any = raw if cj is _DETECT else (raw, cj)
        cached = self._word_cache.get(key)
        if cached is not None:
            return cached
        out: list[tuple[TokenKind, str, int]] = []
        if raw.isascii():
            if self._whole_ascii_words:  # one Latin word, cut by no segmenter
                out.append(self._classify_word(raw, "LATIN", self._latin_language) + (len(raw),))
                return self._cache_pieces(key, out)
            groups: list[tuple[str, str | None]] = [(raw, "LATIN")]
        else:
            groups = [(raw, "CJ")] if _CJ_ONLY_RE.fullmatch(raw) else _script_groups(raw)
        for piece, script in groups:
            language = self._latin_language if script == "LATIN" and not self._detecting else None
            if script == "CJ":
                language = cj_language(piece, self.allow) if cj is _DETECT else cj
            cut = segmenter(script, language) if script in _SEGMENTED_SCRIPTS or language == "deu" else None
            lengths = cut(piece) if cut is not None and len(piece) > 1 else (len(piece),)
            if len(lengths) == 1:
                out.append(self._classify_word(piece, script, language) + (len(piece),))
                continue
            at = 0
            cache, classify = self._segment_cache, self._classify_word
            for length in lengths:
                word = piece[at:at + length]
                at += length
                found = cache.get((word, language))
                if found is None:
                    if len(cache) >= _WORD_CACHE_MAX:
                        cache.clear()
                    found = cache[(word, language)] = classify(word, script, language) + (length,)
                out.append(found)
        return self._cache_pieces(key, out)

    def _cache_pieces(self, key: Any, out: list[tuple[TokenKind, str, int]]) -> list[tuple[TokenKind, str, int]]:
        if len(self._word_cache) >= _WORD_CACHE_MAX:
            self._word_cache.clear()
        self._word_cache[key] = out
        return out

    def _classify_word(self, word: str, script: str | None, language: str | None) -> tuple[TokenKind, str]:
        """Kind and lemma of one word of one script."""
        decomposed = _decompose(word)
        if decomposed in self.stop_words:
            return STOP_WORD, _finish(decomposed, script, language)
        if decomposed in self.separators:
            return SEPARATOR, decomposed
        return WORD, _finish(decomposed, script, language)

    def _match_token(self, matched: str, start: int, end: int, byte_at: _ByteAt) -> Token:
        """Token for a regex match: a separator, or a dictionary entry (classified like a word)."""
        lemma = matched if matched.isascii() else unicodedata.normalize("NFKD", matched)
        byte_start, byte_end = byte_at(start), byte_at(end)
        if lemma in self.stop_words:
            lemma = _finish(_decompose(matched), _word_script(matched))
            return Token(STOP_WORD, lemma, start, end, byte_start, byte_end)
        if matched in self.separators or lemma in self.separators:
            hard = matched in HARD_SEPARATORS or lemma in HARD_SEPARATORS
            if not lemma.isascii():
                lemma = lemma.translate(_QUOTES_AE_OE)  # charabia's quote normalizer: ’ -> '
            return Token(SEPARATOR, lemma, start, end, byte_start, byte_end, hard)
        lemma = _finish(_decompose(matched), _word_script(matched))
        return Token(WORD, lemma, start, end, byte_start, byte_end)

    # -- public API ----------------------------------------------------------------------------

    @property
    def ascii_words(self) -> Callable[[str], list[str]] | None:
        """``findall`` of the word runs of an ASCII text when words are exactly the runs of
        non-separator chars (no dictionary, no multi-char custom separator), else None.  On a
        lowercased ASCII text without control chars it returns the lemmas, for callers that
        only need to know which words occur (the formatter's quick rejection).

            >>> Tokenizer().ascii_words("can't stop")
            ['can', 't', 'stop']
        """
        return self._ascii_findall if self._fast else None

    @property
    def ascii_shape(self) -> AsciiTables | None:
        """``bytes.translate`` tables that read plain ASCII text (`plain_ascii`) the way
        `tokenize` cuts it, or None where they do not apply (words are not the runs of
        non-separator chars, stop words, a space that is no separator).  The formatter finds
        matches and crop windows with them without building tokens.

            >>> tables = Tokenizer().ascii_shape
            >>> [b"Hi, Bob-2".translate(t) for t in tables]
            [b'hi  bob 2', b'aa  aaa a', b'\\x00\\x00\\x03\\x04\\x00\\x00\\x00\\x01\\x00']
        """
        return self._ascii_shape if self._fast and not self.stop_words else None

    def ascii_stand_in(self, text: str, placeholder: int | None = None) -> bytes | None:
        """For a text that is not plain ASCII, one ASCII byte per char that `ascii_shape` reads
        as `tokenize` cuts the text — the same token kinds and hardness at the same offsets, the
        same lemmas — or None when some char has no such stand-in.  A separator stands in for a
        separator of its hardness; a word char for the one ASCII char it normalizes to (``é`` →
        ``e``); marks on their own, ligatures, other scripts and control chars have none.  So
        the formatter's ASCII path serves most Latin text.

        With a ``placeholder`` (an ASCII word char), a word char of another script or a symbol
        stands in as that byte when its word stays one token whose lemma agrees with the stand-in
        up to its first placeholder, and is not ASCII there: then an ASCII word that contains no
        placeholder matches or prefixes the stand-in exactly when it matches or prefixes the
        lemma, so a formatter looking only for such words may read the stand-in.

            >>> Tokenizer().ascii_stand_in("Café — déjà vu")
            b'Cafe / deja vu'
            >>> Tokenizer().ascii_stand_in("Tofu (豆腐), 10°C", placeholder=ord("~"))
            b'Tofu (~~), 10~C'
        """
        if self.ascii_shape is None or self._latin_language is not None or _ASCII_UNUSUAL_RE.search(text):
            return None  # (a language's letters, Swedish å, are no ASCII letter with a mark)
        raw = bytearray(text.encode("ascii", "replace"))
        stand_ins = self._stand_ins
        missing: list[int] = []
        for found in _NON_ASCII_RE.finditer(text):
            char = found.group()
            byte = stand_ins.get(char)
            if byte is None:
                byte = stand_ins[char] = self._stand_in(char)
            if not byte:
                if placeholder is None or not _may_hold_place(char):
                    return None
                byte = placeholder
                missing.append(found.start())
            raw[found.start()] = byte
        if missing and not self._placeholders_hold(text, raw, missing):
            return None
        return bytes(raw)

    def _placeholders_hold(self, text: str, raw: bytearray, missing: list[int]) -> bool:
        """Whether each word holding a placeholder is one token whose lemma agrees with the
        stand-in before its first placeholder and is not ASCII at it (`ascii_stand_in`)."""
        marks = bytes(raw).translate(self._ascii_shape.marks)
        last_start = -1
        for pos in missing:
            start = marks.rfind(b" ", 0, pos) + 1
            if start == last_start:
                continue  # this word was checked
            last_start = start
            end = marks.find(b" ", pos)
            end = len(marks) if end < 0 else end
            pieces = self._classify_piece(text[start:end])
            if len(pieces) != 1 or pieces[0][0] != WORD:
                return False
            lemma, first = pieces[0][1], pos - start
            shown = raw[start:pos].decode("ascii").lower()
            if len(lemma) <= first or lemma[:first] != shown or lemma[first].isascii():
                return False
        return True

    def _stand_in(self, char: str) -> int:
        """The ASCII byte standing in for one non-ASCII char, 0 if none."""
        if char in self.separators:
            stand_in = self._stand_in_seps[0 if char in HARD_SEPARATORS else 1]
            return ord(stand_in) if stand_in is not None else 0
        if char in _CONTROL_CHARS or _word_script(char) not in (None, "LATIN"):
            return 0
        lemma = normalize_word(char)
        if len(lemma) == 1 and lemma.isascii() and lemma not in self.separators and lemma == lemma.lower():
            return ord(lemma)
        return 0

    def ascii_word_end(self, text: str, n: int) -> int:
        """Where the ``n``-th word (n ≥ 1) of a plain ASCII text ends, or -1 when it has fewer
        words (only where `ascii_shape` is not None): one C-level match over the text's start.

            >>> Tokenizer().ascii_word_end("a, b c", 2)
            4
        """
        match = self._nth_word_end.get(n)
        if match is None:
            word = self._ascii_word_class
            match = re.compile(f"(?:[^{word[1:-1]}]*+{word}++){{{n}}}").match  # whole runs only
            if len(self._nth_word_end) < 256:
                self._nth_word_end[n] = match
        found = match(text)
        return found.end() if found is not None else -1

    def tokenize(self, text: str) -> list[Token]:
        """All tokens of ``text`` in order: words, stop words and separators (§1.1, §1.2).

            >>> [(t.lemma, t.hard) for t in Tokenizer().tokenize("a. b")]
            [('a', False), ('. ', True), ('b', False)]
            >>> [(t.lemma, t.char_start, t.byte_start) for t in Tokenizer().tokenize("é b")]
            [('e', 0, 0), (' ', 1, 2), ('b', 2, 3)]
        """
        if self._fast and not self.stop_words and text.isascii() and not _ASCII_UNUSUAL_RE.search(text):
            return self._tokenize_ascii(text)
        if self._detecting:
            return self._tokenize_detecting(text)
        tokens: list[Token] = []
        pos = 0
        finditer = self._split_re.finditer
        scanned = text
        byte_at = _ASCII_BYTE_AT if text.isascii() else _Utf8Offsets(text)
        if self._fast:
            # Same offsets, ASCII-only regex: non-ASCII separators become "/" (soft, never part
            # of ". "/", "); tokens are then built from the original text.
            finditer = self._ascii_split_finditer
            if not text.isascii():
                for c in set(_NON_ASCII_RE.findall(text)):
                    if c in self._non_ascii_seps:
                        scanned = scanned.replace(c, "/")
        runs = self._cj_languages(text)
        append_words = self._append_words if runs is None else partial(self._append_in_runs, runs)
        for m in finditer(scanned):
            start, end = m.span()
            if start > pos:
                append_words(tokens, text, pos, start, byte_at)
            tokens.append(self._match_token(text[start:end], start, end, byte_at))
            pos = end
        if pos < len(text):
            append_words(tokens, text, pos, len(text), byte_at)
        return tokens

    def _tokenize_detecting(self, text: str) -> list[Token]:
        """`tokenize` where each Latin run's language is detected (`languages.detection`): the
        text goes to the tokenizer of its Latin runs' language.  Runs of other languages in one
        text (``"Fußball 東京 blåbär"``) are cut apart, each with the script runs after it."""
        runs = _latin_runs(text)
        languages = [detect_latin(text[start:end], self.allow) for start, end in runs]
        if len(set(languages)) <= 1:
            return self._for_latin(languages[0] if languages else None).tokenize(text)
        tokens: list[Token] = []
        cuts = [0] + [start for start, _end in runs[1:]] + [len(text)]
        byte_at = _Utf8Offsets(text)
        for (start, end), language in zip(zip(cuts, cuts[1:]), languages):
            shift, byte_shift = start, byte_at(start)
            tokens += [token._replace(char_start=token.char_start + shift, char_end=token.char_end + shift,
                                      byte_start=token.byte_start + byte_shift,
                                      byte_end=token.byte_end + byte_shift)
                       for token in self._for_latin(language).tokenize(text[start:end])]
        return tokens

    def _for_latin(self, language: str | None) -> "Tokenizer":
        """This tokenizer with Latin text read in ``language`` (detection done)."""
        found = self._by_latin.get(language)
        if found is None:
            found = self._by_latin[language] = Tokenizer(*self._settings, locales=self.allow, latin=language)
        return found

    def _append_in_runs(self, runs: list[tuple[int, int, str | None]], tokens: list[Token], text: str,
                        start: int, end: int, byte_at: _ByteAt) -> None:
        """`_append_words` for a span of a text with Chinese/Japanese runs: the span's Cj chars
        take the language of the run they are in."""
        language = next((lang for run_start, run_end, lang in runs if run_start < end and start < run_end), _DETECT)
        self._append_words(tokens, text, start, end, byte_at, language)

    def _tokenize_ascii(self, text: str) -> list[Token]:
        """`tokenize` of ASCII text free of control chars with no stop words: words are the runs
        of non-separator chars (lemma: lowercased), found with the separators in one regex scan;
        char and byte offsets coincide."""
        lower = text.lower()
        tokens: list[Token] = []
        append = tokens.append
        for m in self._ascii_token_finditer(text):
            start, end = m.span()
            if m.start(1) >= 0:
                append(Token(WORD, lower[start:end], start, end, start, end))
            else:
                sep = m.group()
                append(Token(SEPARATOR, sep, start, end, start, end, sep in HARD_SEPARATORS))
        return tokens

    def _append_words(self, tokens: list[Token], text: str, start: int, end: int, byte_at: _ByteAt,
                      cj: str | None = _DETECT) -> None:
        raw = text[start:end]
        if raw.isascii() and self._whole_ascii_words and not self.stop_words and not _CONTROL_RE.search(raw):
            tokens.append(Token(WORD, raw.lower(), start, end, byte_at(start), byte_at(end)))
            return
        offset = start
        for kind, lemma, length in self._pieces(raw, cj):
            piece_end = offset + length
            hard = kind == SEPARATOR and lemma in HARD_SEPARATORS
            tokens.append(Token(kind, lemma, offset, piece_end, byte_at(offset), byte_at(piece_end), hard))
            offset = piece_end

    def _cj_languages(self, text: str) -> list[tuple[int, int, str | None]] | None:
        """The language of each run of Chinese/Japanese chars of ``text`` (`languages.detection`),
        None when it has none: their words are cut by the language of the whole run."""
        if text.isascii() or not CJ_RE.search(text):
            return None
        return [(start, end, cj_language(text[start:end], self.allow)) for start, end in cj_runs(text, _script)]

    def words(self, text: str) -> list[str]:
        """Lemmas of the word tokens (stop words excluded) — a convenience for settings and tests."""
        return [t.lemma for t in self.tokenize(text) if t.kind == WORD]

    def index_field(
        self,
        values: Iterable[str],
        max_position: int = limits.MAX_POSITION_PER_ATTRIBUTE,
    ) -> IndexedField:
        """The words one field of one document indexes, with their positions (§1.3).

        ``values`` are the field's values in document order (array elements, repeated nested
        leaves); numbers and booleans are passed as their JSON text.  Positions follow
        `FieldPositions`: first word at 0, +1 across soft separators, +8 across hard ones (leading
        ones ignored) and from a value to the next; stop words take a position but are not
        returned; words > 250 bytes and positions >= ``max_position`` are dropped.

            >>> Tokenizer().index_field(["a b. c", "d"])
            IndexedField(words=['a', 'b', 'c', 'd'], positions=[0, 1, 9, 17])
        """
        field = FieldPositions(max_position)
        if self._fast:
            for text in _field_values(values):
                if field.begin_value():
                    self._index_value_fast(text, field)
        else:
            self._place_tokens(values, field)
        return field.indexed()

    def field_tokens(
        self,
        values: Iterable[str],
        max_position: int = limits.MAX_POSITION_PER_ATTRIBUTE,
    ) -> list[FieldToken]:
        """Every word and stop word of a field with its offsets and the position `index_field`
        gives it (tokens at positions >= ``max_position`` have none and are left out).

            >>> [(t.value, t.position, t.token.lemma) for t in Tokenizer().field_tokens(["a! B", "c"])]
            [(0, 0, 'a'), (0, 8, 'b'), (1, 16, 'c')]
        """
        return self._place_tokens(values, FieldPositions(max_position))

    def _place_tokens(self, values: Iterable[str], field: FieldPositions) -> list[FieldToken]:
        """The general path: tokenize each value, cut it into sentences, let ``field`` place them."""
        placed: list[FieldToken] = []
        for value, text in enumerate(_field_values(values)):
            if not field.begin_value():
                continue
            sentences = self._sentences(text)
            lemmas = [[t.lemma if t.kind == WORD else None for t in sentence] for sentence in sentences]
            for sentence, positions in zip(sentences, field.sentences(lemmas)):
                placed += map(FieldToken, repeat(value), positions, sentence)
        return placed

    def _sentences(self, text: str) -> list[list[Token]]:
        """The word and stop-word tokens of one value, cut at hard separators (no empty sentence).

        Tokens whose lemma normalization emptied (control characters) take no position.
        """
        sentences: list[list[Token]] = []
        current: list[Token] = []
        for token in self.tokenize(text):
            if token.kind == SEPARATOR:
                if token.hard and current:
                    sentences.append(current)
                    current = []
            elif token.lemma:
                current.append(token)
        if current:
            sentences.append(current)
        return sentences

    def _index_value_fast(self, text: str, field: FieldPositions) -> None:
        """Fast path: one ``findall`` per sentence, no Python loop over words.

        Applies to ASCII text free of control characters (the lemma is then just the lowercased
        word) whose words are not stop words; anything else goes word by word.
        """
        findall = self._ascii_findall
        if not text.isascii() or _ASCII_UNUSUAL_RE.search(text) or (
                self.stop_words and not self.stop_words.isdisjoint(findall(text))):
            self._index_value_by_word(text, field)
            return
        lowered = text.lower()
        sentences = map(findall, self._ascii_hard_split(lowered))
        if len(text) > limits.MAX_WORD_BYTES and self._ascii_long_word(lowered):
            field.sentences(sentences)  # one C scan found a long word: each word is checked
        else:
            field.plain_sentences(sentences)

    def _index_value_by_word(self, text: str, field: FieldPositions) -> None:
        """Word-by-word walk over the fast regex (non-ASCII text, stop words present).  A word
        holding Chinese/Japanese chars is cut by the language of the whole run they are in."""
        hard_set = self._walk_hard
        if not text.isascii() and CJ_RE.search(text):
            self._index_cj_value(text, field)
            return
        if not text.isascii():
            for c in set(_NON_ASCII_RE.findall(text)):
                replacement = self._non_ascii_seps.get(c)
                if replacement is not None:
                    text = text.replace(c, replacement)
        cached = self._word_cache.get  # `_pieces` of a word seen before, without the call
        field.sentences(_sentences(None if raw in hard_set else (cached(raw) or self._pieces(raw))
                                   for raw in self._walk_findall(text)))

    def _index_cj_value(self, text: str, field: FieldPositions) -> None:
        """`_index_value_by_word` for a text with Chinese/Japanese runs: the same walk, the words
        holding Cj chars cut by their run's language (`_cj_languages` of the whole text)."""
        runs = self._cj_languages(text) or []
        for c in set(_NON_ASCII_RE.findall(text)):
            replacement = self._non_ascii_seps.get(c)
            if replacement is not None:
                text = text.replace(c, replacement)  # one char for one: the runs' offsets hold
        hard_set, cached = self._walk_hard, self._word_cache.get

        def pieces_of_words():
            for found in self._walk_finditer(text):
                raw = found.group()
                if raw in hard_set:
                    yield None
                elif CJ_RE.search(raw):
                    start, end = found.span()
                    yield self._pieces(raw, next((lang for run_start, run_end, lang in runs
                                                  if run_start < end and start < run_end), _DETECT))
                else:
                    yield cached(raw) or self._pieces(raw)

        field.sentences(_sentences(pieces_of_words()))


def _sentences(words: Iterable[list[tuple[TokenKind, str, int]] | None]) -> list[list[str | None]]:
    """The sentences of a value's words (each word's `Tokenizer._pieces`, None for a hard
    separator between words): lemmas, None for stop words, cut at every hard separator."""
    sentence: list[str | None] = []
    sentences = [sentence]
    for pieces in words:
        if pieces is None:
            if sentence:
                sentence = []
                sentences.append(sentence)
            continue
        for kind, lemma, _length in pieces:
            if kind == SEPARATOR:
                if sentence and lemma in HARD_SEPARATORS:
                    sentence = []
                    sentences.append(sentence)
            elif lemma:
                sentence.append(lemma if kind == WORD else None)
    return sentences


class AsciiTables(NamedTuple):
    """`Tokenizer.ascii_shape`: three 256-byte ``bytes.translate`` tables for plain ASCII text.

    * ``shape`` lowercases word chars and turns every separator into a space: the lemmas of the
      words are the runs of non-spaces;
    * ``marks`` turns word chars into ``a`` and separators into spaces, so ``count(b" a")``
      counts words;
    * ``kinds`` gives each char its token kind: `ASCII_WORD`, `ASCII_SOFT`, `ASCII_HARD`,
      `ASCII_STOP` (``.`` or ``,``: with a following `ASCII_SPACE` one hard separator token,
      ``. `` or ``, ``; alone a soft one) and `ASCII_SPACE` (soft).
    """

    shape: bytes
    marks: bytes
    kinds: bytes


ASCII_WORD, ASCII_SOFT, ASCII_HARD, ASCII_STOP, ASCII_SPACE = range(5)


def _ascii_tables(word_chars: set[str], singles: set[str], multi: set[str]) -> AsciiTables | None:
    """The tables of a fast tokenizer (words: runs of ``word_chars``; separators: ASCII
    ``singles`` and ``multi``, a subset of ``. `` and ``, ``), or None where a space is a word
    char or a multi-char separator's parts are not soft on their own."""
    if " " in word_chars or any(m not in HARD_SEPARATORS or m[0] in HARD_SEPARATORS for m in multi):
        return None
    stops = {m[0] for m in multi}
    kinds = bytearray(256)
    for c in range(128):
        char = chr(c)
        if char in word_chars:
            kinds[c] = ASCII_WORD
        elif char == " ":
            kinds[c] = ASCII_SPACE
        elif char in stops:
            kinds[c] = ASCII_STOP
        else:
            kinds[c] = ASCII_HARD if char in HARD_SEPARATORS else ASCII_SOFT
    return AsciiTables(
        bytes(ord(chr(c).lower()) if chr(c) in word_chars else 32 for c in range(128)) + bytes(128),
        bytes(97 if chr(c) in word_chars else 32 for c in range(128)) + bytes(128),
        bytes(kinds))


def _may_hold_place(char: str) -> bool:
    """A char that may be a placeholder's (`Tokenizer.ascii_stand_in`): no control char and no
    mark, whose normalization reaches back into the char before it."""
    return char not in _CONTROL_CHARS and not unicodedata.category(char).startswith("M")


def plain_ascii(text: str) -> bool:
    """ASCII text without control characters: what `Tokenizer.ascii_words` cuts like `tokenize`."""
    return text.isascii() and not _ASCII_UNUSUAL_RE.search(text)


def _field_values(values: Iterable[str]) -> Iterable[str]:
    """A field's values; one value passed bare is never iterated char by char."""
    return (values,) if isinstance(values, str) else values


def tokenizer_for(settings: Mapping[str, Any]) -> Tokenizer:
    """The tokenizer of an index's settings: documents and queries of an index are cut alike."""
    return Tokenizer(settings.get("stopWords") or (), settings.get("separatorTokens") or (),
                     settings.get("nonSeparatorTokens") or (), settings.get("dictionary") or ())
