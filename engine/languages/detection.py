"""The language of a run of one script, as charabia decides it (with `whatlang`).

Only where the choice changes something: a run of Chinese/Japanese chars (charabia's ``Cj``
script: Han ideographs and kana together) is Japanese when it holds kana, else Chinese — and
Chinese and Japanese are cut and normalized differently.  Thai, Khmer and Korean have one
segmenter each, whatever the language.

Latin text, as charabia (0.9) decides it for each run of one script::

    locales          the run's language
    none             none (charabia never guesses one for Latin text)
    one              that one, whatever the text
    several          whatlang's detector restricted to them (``Detector::with_allowlist``):
                     the allowed Latin language of best score; none if no allowed language
                     is written in Latin script

Loupe reads a Latin run differently only in Swedish (å/ä/ö stay letters) and German (compounds
are cut), so it detects only when the allowed Latin languages include one of them and another
one.  It asks whatlang itself (``whatlang-pyo3`` wraps whatlang 0.16.4, the version charabia
pins; the ``detect`` extra): whatlang ranks every Latin language by a score of its own, and the
binding tells only the best one.  When that one is allowed it is charabia's answer too; when it
is not (``"Ärger im Büro"`` reads as Turkmen), charabia would take the best allowed one, which
the binding cannot tell, and Loupe gives the run no language.  Without the extra the run has no
language, as before.

The ``allow`` list is `engine.languages.allow_list` of the ``locales`` search parameter or of a
field's ``localizedAttributes`` rule.
"""
from __future__ import annotations

import re
from functools import lru_cache

# kana: Hiragana, Katakana (with the prolonged sound mark), Katakana extensions, halfwidth forms
_KANA_RE = re.compile("[\u3041-\u309f\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9d]")
#: chars of charabia's Cj script: kana, Han ideographs (with extensions and compatibility forms),
#: ideographic iteration marks — what may need a Chinese or Japanese segmenter
CJ_CHARS = ("\u3005\u3007\u3021-\u3029\u3031-\u3035\u3038-\u303c\u3041-\u309f\u30a0-\u30ff"
            "\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9d\U00020000-\U0003134f")
CJ_RE = re.compile(f"[{CJ_CHARS}]")
_CJ_RUN_RE = re.compile(f"[{CJ_CHARS}]+")

CHINESE, JAPANESE = "cmn", "jpn"


def cj_language(run: str, allow: tuple[str, ...] | None) -> str | None:
    """Chinese or Japanese for a run of Cj text: Japanese as soon as it holds kana, else Chinese
    (whatlang reads a Han-only text as Mandarin), within the ``allow`` list.

        >>> cj_language("東京タワー", None), cj_language("北京大学", None)
        ('jpn', 'cmn')
        >>> cj_language("北京大学", ("eng", "jpn"))
        'jpn'
    """
    if allow is not None and len(allow) == 1:
        return allow[0]
    if _KANA_RE.search(run):
        return JAPANESE if allow is None or JAPANESE in allow else None
    if allow is None or CHINESE in allow:
        return CHINESE
    return JAPANESE if JAPANESE in allow else None


#: the languages whatlang 0.16 reads Latin script in (its ``Script::Latin.langs()``)
WHATLANG_LATIN = frozenset(
    "afr aka aze cat ces dan deu eng epo est fin fra hrv hun ind ita jav lat lav lit nld nob pol"
    " por ron slk slv sna spa swe tgl tuk tur uzb vie zul".split())
#: the Latin-script languages whose text Loupe reads differently from plain Latin
LATIN_SPECIFIC = frozenset({"swe", "deu"})
#: `latin_language`: the language of each Latin run is to be detected (`detect_latin`)
DETECT = "?"


def latin_language(allow: tuple[str, ...] | None) -> str | None:
    """The language of every Latin run, or `DETECT` when it depends on the run.

        >>> latin_language(None), latin_language(("swe",)), latin_language(("jpn", "swe"))
        (None, 'swe', 'swe')
        >>> latin_language(("eng", "fra")), latin_language(("jpn", "kor"))
        (None, None)
    """
    if allow is None:
        return None
    if len(allow) == 1:
        return allow[0]  # charabia takes a lone allowed language as is
    latin = WHATLANG_LATIN.intersection(allow)
    if len(latin) == 1:
        return next(iter(latin))  # whatlang restricted to one Latin language gives that one
    if not latin & LATIN_SPECIFIC or _whatlang() is None:
        return None  # whichever is chosen, Loupe reads the text alike; or no detector
    return DETECT


@lru_cache(maxsize=1)
def _whatlang():
    try:
        import whatlang  # whatlang-pyo3: whatlang 0.16.4's detector
    except ImportError:
        return None
    return whatlang.detect


@lru_cache(maxsize=4096)
def detect_latin(run: str, allow: tuple[str, ...]) -> str | None:
    """The language of a Latin run among the ``allow``ed ones (`latin_language` gave
    `DETECT`): whatlang's best language when it is allowed, else none.

        >>> detect_latin("Räksmörgås med ägg", ("deu", "swe")), detect_latin("Fußball", ("deu", "swe"))
        ('swe', 'deu')
    """
    try:
        found = _whatlang()(run)
    except ValueError:  # no letter to read
        return None
    return found.lang if found.script == "Latin" and found.lang in allow else None


def cj_runs(text: str, script_of) -> list[tuple[int, int]]:
    """The [start, end) char spans of the Cj runs of ``text``, cut as charabia cuts a text into
    runs of one script: a char of another script ends a run, chars of no script (``script_of``
    gives None) stay in the run they are in."""
    runs: list[tuple[int, int]] = []
    start = -1
    end = 0
    for found in _CJ_RUN_RE.finditer(text):
        at = found.start()
        if start >= 0 and any(script_of(c) not in (None, "CJ") for c in text[end:at]):
            runs.append((start, end))
            start = -1
        if start < 0:
            start = at
        end = found.end()
    if start >= 0:
        runs.append((start, end))
    return runs
