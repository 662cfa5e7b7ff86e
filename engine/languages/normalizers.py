"""Script- and language-specific steps of a word's normalization (after NFKD and lowercase).

* Chinese (Cj text of language ``cmn`` or none): each ideograph to one canonical variant, so the
  simplified and traditional forms of a word meet (charabia maps variants with the kVariants
  table; Loupe uses OpenCC's simplified -> traditional character table, one char to one char).
  No pinyin: Meilisearch's default build leaves it off.
* Japanese (Cj text of language ``jpn`` or none, unless all hiragana): katakana to hiragana, the
  prolonged sound mark ``ー`` to the vowel it lengthens (``トート`` -> ``とうと``), as wana_kana
  does for charabia.  Each char stays one char, which the highlighter relies on.
"""
from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from functools import lru_cache

_KATAKANA_FIRST, _KATAKANA_LAST = 0x30A1, 0x30F6  # ァ .. ヶ: hiragana is 0x60 lower
_PROLONGED = "ー"
# the vowel of each hiragana, for the prolonged sound mark after it (o-row lengthens with う)
_VOWELS = {
    **dict.fromkeys("あかがさざただなはばぱまやゃらわぁゎ", "あ"),
    **dict.fromkeys("いきぎしじちぢにひびぴみりぃゐ", "い"),
    **dict.fromkeys("うくぐすずつづぬふぶぷむゆゅるぅゔっ", "う"),
    **dict.fromkeys("えけげせぜてでねへべぺめれぇゑ", "え"),
    **dict.fromkeys("おこごそぞとどのほぼぽもよょろをぉ", "う"),
}
_DAKUTEN = ("\u3099", "\u309a")


def is_hiragana(word: str) -> bool:
    return all("\u3040" <= c <= "\u309f" or c == _PROLONGED for c in word)


def to_hiragana(word: str) -> str:
    """Katakana to hiragana, other chars kept; one char for one char.

        >>> to_hiragana("トートハ\\u3099ック\\u3099")
        'とうとは\\u3099っく\\u3099'
    """
    out: list[str] = []
    for c in word:
        code = ord(c)
        if _KATAKANA_FIRST <= code <= _KATAKANA_LAST:
            c = chr(code - 0x60)
        elif c == _PROLONGED:
            previous = next((p for p in reversed(out) if p not in _DAKUTEN), None)
            c = _VOWELS.get(previous, c) if previous is not None else c
        out.append(c)
    return "".join(out)


class _Variants(dict):
    """Ideograph code -> its traditional form (one char), looked up in OpenCC's simplified ->
    traditional table the first time an ideograph is seen: ``str.translate`` reads it."""

    def __init__(self, convert) -> None:
        super().__init__()
        self.convert = convert

    def __missing__(self, code: int) -> str | int:
        c = chr(code)
        converted = self.convert(c) if "\u3400" <= c <= "\u9fff" or "\uf900" <= c <= "\ufaff" else c
        found: str | int = converted if len(converted) == 1 and converted != c else code
        if len(self) < 200_000:
            self[code] = found
        return found


@lru_cache(maxsize=1)
def _variants() -> _Variants | None:
    try:
        import opencc
    except ImportError:
        return None
    return _Variants(_characters_only(opencc) or opencc.OpenCC("s2t").convert)


def _characters_only(opencc) -> Callable[[str], str] | None:
    """OpenCC's s2t conversion without its phrase tables: one ideograph at a time, the phrases
    never match, and the characters table alone answers the same for every ideograph (a test
    checks them all) while loading in 1 ms instead of 70 (the phrase table is 0.9 MB).  None
    when the package keeps its tables elsewhere."""
    share = os.path.join(os.path.dirname(opencc.__file__), "clib", "share", "opencc")
    tables = [os.path.join(share, name) for name in ("CJK_Compatibility_Ideographs.ocd2", "STCharacters.ocd2")]
    if not all(map(os.path.isfile, tables)):
        return None
    config = {"name": "s2t, characters only",
              "normalization": [{"dict": {"type": "ocd2", "file": tables[0]}}],
              "conversion_chain": [{"dict": {"type": "ocd2", "file": tables[1]}}]}
    with tempfile.TemporaryDirectory() as folder:  # OpenCC reads its configuration from a file
        path = os.path.join(folder, "s2t_characters.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(config, f)
        try:
            return opencc.OpenCC(path).convert
        except Exception:  # noqa: BLE001 - another OpenCC build: the full table below
            return None


def chinese_variants(word: str) -> str:
    """Each ideograph to its canonical (traditional) variant: ``这应`` -> ``這應``."""
    table = _variants()
    return word.translate(table) if table is not None else word


def normalize_cj(lemma: str, language: str | None) -> str:
    """The Chinese and Japanese steps for a lowercased lemma of Cj text in ``language``."""
    if language in (None, "cmn"):
        lemma = chinese_variants(lemma)
    if language in (None, "jpn") and not is_hiragana(lemma):
        lemma = to_hiragana(lemma)
    return lemma
