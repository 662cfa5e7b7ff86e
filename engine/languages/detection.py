"""The language of a run of one script, as charabia decides it (with `whatlang`).

Only where the choice changes something: a run of Chinese/Japanese chars (charabia's ``Cj``
script: Han ideographs and kana together) is Japanese when it holds kana, else Chinese — and
Chinese and Japanese are cut and normalized differently.  Latin text gets a language only from
``locales`` (charabia never guesses one for it), which is what turns on the Swedish, German and
Turkish specifics; Thai, Khmer and Korean have one segmenter each, whatever the language.

The ``allow`` list (`engine.languages.allow_list` of the ``locales`` search parameter or of a
field's ``localizedAttributes`` rule) overrides detection: one language is taken as is, several
restrict what may be detected, and a run no allowed language fits has no language.
"""
from __future__ import annotations

import re

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


def latin_language(allow: tuple[str, ...] | None) -> str | None:
    """The language of Latin text: the one allowed language, else none (charabia detects no
    language for Latin text without locales; among several, Loupe does not guess either)."""
    return allow[0] if allow is not None and len(allow) == 1 else None


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
