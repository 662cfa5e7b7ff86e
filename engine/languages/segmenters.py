"""Word segmenters of the languages written without spaces, on libraries made for each.

Each takes one run of text between separators, all of one script, and returns the lengths (in
chars) of its words, in order, adding up to the run's length — so offsets into the original text
stay exact.  A library is imported on first use; when it is not installed the run stays one word
(Loupe's behaviour before these segmenters) and a warning names the extra that brings it:

* Chinese (``cmn``): jieba (``rjieba``, the binding of jieba-rs that charabia uses), its default
  dictionary, no HMM; a word longer than two chars that holds an ideograph is re-cut greedily into
  the dictionary's two- then three-char words, else single chars, as charabia's search cut does.
* Japanese (``jpn``): Lindera with UniDic, normal mode (``lindera-python-unidic``): charabia's
  analyser and default dictionary.
* Korean: Lindera with ko-dic in decompose mode, charabia's analyser, dictionary and mode, when
  ``lindera-python-ko-dic`` is installed in its own folder (`KO_DIC_FOLDER`: it ships a module
  named ``lindera`` as ``lindera-python-unidic`` does, so the two cannot share site-packages);
  else MeCab with mecab-ko-dic (``python-mecab-ko``): the same dictionary (mecab-ko-dic 2.1.1),
  another analyser, which cuts some particles apart that Lindera keeps together (README).
* Thai: the longest dictionary word at each point (PyThaiNLP's word list), chars no word starts
  with are kept together up to the next one — charabia's dictionary segmentation.
* Arabic: the article ال cut off the word it starts (no library).
* German (Latin text under the ``deu`` locale only): compounds cut into dictionary words
  (`german`, extra ``german``).
* Khmer: khmercut's CRF segmenter (charabia uses a word list; no Khmer list ships on PyPI, the
  CRF was trained on segmented Khmer text and cuts the same words on common text).
"""
from __future__ import annotations

import importlib.machinery
import importlib.util
import logging
import os
import sys
import threading
from collections.abc import Callable
from functools import lru_cache

log = logging.getLogger(__name__)

Segmenter = Callable[[str], list[int]]

EXTRA_HINT = "install the language extras: pip install 'loupe[cjk,thai,khmer,german]'"


class MissingLanguageSupport(RuntimeError):
    """A language library is not installed: the message says which extra brings it."""


_warned: set[str] = set()
_lock = threading.Lock()


def _missing(language: str, package: str) -> None:
    with _lock:
        if language in _warned:
            return
        _warned.add(language)
    log.warning("%s text is indexed without word segmentation: the %r package is missing (%s)",
                language, package, EXTRA_HINT)


def require(language: str) -> None:
    """Raise `MissingLanguageSupport` unless the segmenter of ``language`` can load (for checks
    and tests that must not pass on the fallback)."""
    if _loader(language)() is None:
        raise MissingLanguageSupport(f"{language}: segmenter unavailable; {EXTRA_HINT}")


def _spans_to_lengths(text: str, spans: list[tuple[int, int]]) -> list[int]:
    """Word lengths covering all of ``text`` from the (start, end) char spans a library found:
    anything a library skipped (spaces it dropped) becomes a word of its own."""
    lengths: list[int] = []
    at = 0
    for start, end in spans:
        if start < at or end <= start:
            continue
        if start > at:
            lengths.append(start - at)
        lengths.append(end - start)
        at = end
    if at < len(text):
        lengths.append(len(text) - at)
    return lengths


# -- Chinese ---------------------------------------------------------------------------------------

def _has_ideograph(word: str) -> bool:
    return any("\u3400" <= c <= "\u9fff" or "\uf900" <= c <= "\ufaff" or c >= "\U00020000" for c in word)


@lru_cache(maxsize=1)
def _load_chinese() -> Segmenter | None:
    try:
        import rjieba
    except ImportError:
        _missing("Chinese", "rjieba")
        return None
    cut, has_word = rjieba.cut, rjieba.has_word  # the module's own Jieba: built once, on import

    def search_cut(word: str) -> list[int]:
        """A long word re-cut into the dictionary's bigrams, then trigrams, else single chars."""
        lengths: list[int] = []
        i = 0
        while i < len(word):
            if i + 2 <= len(word) and has_word(word[i:i + 2]):
                step = 2
            elif i + 3 <= len(word) and has_word(word[i:i + 3]):
                step = 3
            else:
                step = 1
            lengths.append(step)
            i += step
        return lengths

    def segment(text: str) -> list[int]:
        lengths: list[int] = []
        for word in cut(text, False):
            if len(word) > 2 and _has_ideograph(word):
                lengths += search_cut(word)
            elif word:
                lengths.append(len(word))
        return lengths

    return segment


# -- Japanese --------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _load_japanese() -> Segmenter | None:
    try:
        import lindera
        builder = lindera.TokenizerBuilder()
        builder.set_mode("normal")
        builder.set_dictionary("embedded://unidic")
        tokenizer = builder.build()
    except Exception:  # missing package, or a lindera without the embedded UniDic
        _missing("Japanese", "lindera-python-unidic")
        return None

    return _lindera_segmenter(tokenizer)


def _lindera_segmenter(tokenizer) -> Segmenter:
    """Word lengths from a Lindera tokenizer's byte spans."""

    def segment(text: str) -> list[int]:
        encoded = text.encode("utf-8")
        spans = []
        for token in tokenizer.tokenize(text):
            start = len(encoded[:token.byte_start].decode("utf-8"))
            spans.append((start, start + len(encoded[token.byte_start:token.byte_end].decode("utf-8"))))
        return _spans_to_lengths(text, spans)

    segment.analyser = "lindera"  # type: ignore[attr-defined]
    return segment


# -- Korean ----------------------------------------------------------------------------------------

#: the folder, in site-packages (any ``sys.path`` entry), holding ``lindera-python-ko-dic``:
#: ``pip install --no-deps --target <site-packages>/loupe_ko_dic lindera-python-ko-dic==2.2.0``
KO_DIC_FOLDER = "loupe_ko_dic"


def _lindera_ko_dic():
    """Lindera's module with ko-dic embedded, loaded from `KO_DIC_FOLDER` under a name of its own
    (the ``lindera`` in sys.modules is the UniDic one), or None."""
    for entry in sys.path:
        folder = os.path.join(entry or ".", KO_DIC_FOLDER, "lindera")
        found = sorted(f for f in os.listdir(folder) if f.startswith("lindera.") and f.endswith(".so")) \
            if os.path.isdir(folder) else []
        if found:
            loader = importlib.machinery.ExtensionFileLoader("lindera.lindera", os.path.join(folder, found[0]))
            spec = importlib.util.spec_from_loader("lindera.lindera", loader)
            module = importlib.util.module_from_spec(spec)
            loader.exec_module(module)
            return module
    return None


@lru_cache(maxsize=1)
def _load_korean() -> Segmenter | None:
    try:
        lindera = _lindera_ko_dic()
        if lindera is not None:
            builder = lindera.TokenizerBuilder()
            builder.set_mode("decompose")  # charabia: Mode::Decompose(Penalty::default())
            builder.set_dictionary("embedded://ko-dic")
            return _lindera_segmenter(builder.build())
    except Exception:  # an incompatible build: MeCab below
        log.warning("lindera-python-ko-dic in %s could not load; Korean falls back to MeCab", KO_DIC_FOLDER)
    try:
        import mecab
        analyser = mecab.MeCab()
    except Exception:
        _missing("Korean", "python-mecab-ko")
        return None

    def segment(text: str) -> list[int]:
        return _spans_to_lengths(text, [(m.span.start, m.span.end) for m in analyser.parse(text)])

    return segment


def korean_analyser() -> str | None:
    """Which analyser cuts Korean: ``"lindera"`` (charabia's), ``"mecab"``, or None."""
    segment = _load_korean()
    return None if segment is None else getattr(segment, "analyser", "mecab")


# -- Thai (and any dictionary script) --------------------------------------------------------------

def dictionary_segmenter(words: set[str]) -> Segmenter:
    """Longest dictionary word at each point; chars no word starts with gather until the next
    point where one does."""
    longest = max(map(len, words), default=1)

    def longest_at(text: str, i: int) -> int:
        for n in range(min(longest, len(text) - i), 0, -1):
            if text[i:i + n] in words:
                return n
        return 0

    def segment(text: str) -> list[int]:
        lengths: list[int] = []
        pending = 0  # unmatched chars gathered so far
        i = 0
        while i < len(text):
            n = longest_at(text, i)
            if n:
                if pending:
                    lengths.append(pending)
                    pending = 0
                lengths.append(n)
                i += n
            else:
                pending += 1
                i += 1
        if pending:
            lengths.append(pending)
        return lengths

    return segment


@lru_cache(maxsize=1)
def _load_thai() -> Segmenter | None:
    try:
        from pythainlp.corpus import thai_words
    except ImportError:
        _missing("Thai", "pythainlp")
        return None
    return dictionary_segmenter(set(thai_words()))


@lru_cache(maxsize=1)
def _load_khmer() -> Segmenter | None:
    try:
        from khmercut import tokenize
    except ImportError:
        _missing("Khmer", "khmercut")
        return None

    def segment(text: str) -> list[int]:
        words = [w for w in tokenize(text) if w]
        return [len(w) for w in words] if "".join(words) == text else [len(text)]

    return segment


# -- Arabic ----------------------------------------------------------------------------------------

_ARTICLES = ("ال", "أل", "إل", "آل", "ٱل")


def arabic(text: str) -> list[int]:
    """The article ال (in any of its alef forms) cut off the word it starts, so ``الشجرة`` is
    found by ``شجرة`` and by ``الشجرة`` alike."""
    if len(text) > 2 and text.startswith(_ARTICLES):
        return [2, len(text) - 2]
    return [len(text)]


_LOADERS: dict[str, Callable[[], Segmenter | None]] = {
    "cmn": _load_chinese, "jpn": _load_japanese, "HANGUL": _load_korean, "THAI": _load_thai,
    "KHMER": _load_khmer, "deu": lambda: _load_german(),
}


def _load_german() -> Segmenter | None:
    from .german import load
    return load()


def _loader(key: str) -> Callable[[], Segmenter | None]:
    return _LOADERS.get(key, lambda: None)


def segmenter(script: str | None, language: str | None) -> Segmenter | None:
    """The segmenter of a run of ``script`` (the tokenizer's script names) in ``language``, or
    None when its words are the runs between separators (Latin, Cyrillic, …, Cj text of no
    language, or a library missing)."""
    if script == "CJ":
        return _loader(language)() if language in ("cmn", "jpn") else None
    if script in ("HANGUL", "THAI", "KHMER"):
        return _loader(script)()
    if script == "ARABIC":
        return arabic
    if script == "LATIN" and language == "deu":
        return _loader("deu")()
    return None
