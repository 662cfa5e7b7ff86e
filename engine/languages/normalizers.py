"""Script- and language-specific steps of a word's normalization (after NFKD and lowercase).

* Chinese (Cj text of language ``cmn`` or none): each ideograph to one canonical variant, so the
  simplified and traditional forms of a word meet.  charabia maps each ideograph with the IRG's
  kVariants table (simplified, semantic, old and wrong variants to one destination, mostly the
  traditional form; Meilisearch's default build converts no further: no pinyin).  Loupe uses
  OpenCC's simplified -> traditional character table, one char to one char, and for the Japanese
  forms of characters (shinjitai, absent from OpenCC's Chinese tables) OpenCC's shinjitai ->
  kyūjitai table when it leads to a traditional Chinese char: ``撃`` -> ``擊``, as kVariants
  reads ``撃`` — so Chinese ``进击`` and ``進撃`` read as Chinese meet (Meilisearch's own locales
  test), while ``進撃`` in a Japanese text, not normalized so, stays apart.
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
    """Ideograph code -> its canonical (traditional) form, one char: a Japanese form from
    ``japanese``, else OpenCC's simplified -> traditional table, looked up the first time an
    ideograph is seen: ``str.translate`` reads it."""

    def __init__(self, convert: Callable[[str], str], japanese: dict[str, str]) -> None:
        super().__init__()
        self.convert = convert
        self.japanese = japanese

    def __missing__(self, code: int) -> str | int:
        c = chr(code)
        converted = self.japanese.get(c) or (self.convert(c) if _is_ideograph(c) else c)
        found: str | int = converted if len(converted) == 1 and converted != c else code
        if len(self) < 200_000:
            self[code] = found
        return found


def _is_ideograph(c: str) -> bool:
    return "\u3400" <= c <= "\u9fff" or "\uf900" <= c <= "\ufaff"


#: the ideographs every shinjitai, and every char of OpenCC's tables they could be confused
#: with, is among: the unified block and extension A (the rarer extensions would only slow the
#: one scan of `_japanese_forms` down)
_COMMON_IDEOGRAPHS = ((0x3400, 0x9FFF),)


@lru_cache(maxsize=1)
def _variants() -> _Variants | None:
    try:
        import opencc
    except ImportError:
        return None
    to_traditional = _characters_only(opencc) or opencc.OpenCC("s2t").convert
    return _Variants(to_traditional, _japanese_forms(opencc, to_traditional))


def _characters_only(opencc, table: str = "STCharacters.ocd2") -> Callable[[str], str] | None:
    """An OpenCC conversion by one character ``table`` (s2t's by default) without the phrase
    tables: one ideograph at a time, the phrases never match, and the characters table alone
    answers the same for every ideograph (a test checks them all) while loading in 1 ms instead
    of 70 (the phrase table is 0.9 MB).  None when the package keeps its tables elsewhere."""
    share = os.path.join(os.path.dirname(opencc.__file__), "clib", "share", "opencc")
    tables = [os.path.join(share, name) for name in ("CJK_Compatibility_Ideographs.ocd2", table)]
    if not all(map(os.path.isfile, tables)):
        return None
    config = {"name": f"{table}, characters only",
              "normalization": [{"dict": {"type": "ocd2", "file": tables[0]}}],
              "conversion_chain": [{"dict": {"type": "ocd2", "file": tables[1]}}]}
    with tempfile.TemporaryDirectory() as folder:  # OpenCC reads its configuration from a file
        path = os.path.join(folder, "characters.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(config, f)
        try:
            return opencc.OpenCC(path).convert
        except Exception:  # noqa: BLE001 - another OpenCC build: the full table below
            return None


def _japanese_forms(opencc, to_traditional: Callable[[str], str]) -> dict[str, str]:
    """Japanese form -> traditional Chinese char, for the shinjitai that are no Chinese char:
    absent from OpenCC's simplified <-> traditional tables (as key or as value), and whose
    kyūjitai (OpenCC's JPShinjitaiCharacters) is a traditional char with a simplified form of
    its own.  ``撃`` -> ``擊``; not ``真`` (a Chinese char too) nor ``欠`` (``缺`` is no traditional
    form).  Each table converts the common ideographs in one call (~30 ms, once)."""
    to_simplified = _characters_only(opencc, "TSCharacters.ocd2")
    to_kyujitai = _characters_only(opencc, "JPShinjitaiCharacters.ocd2")
    if to_simplified is None or to_kyujitai is None:
        return {}
    ideographs = "".join(chr(c) for first, last in _COMMON_IDEOGRAPHS for c in range(first, last + 1))
    traditional, simplified, kyujitai = (convert(ideographs) for convert in (to_traditional, to_simplified, to_kyujitai))
    if not len(traditional) == len(simplified) == len(kyujitai) == len(ideographs):
        return {}  # a table that is not char for char: no safe reading
    chinese: set[str] = set()
    has_simplified: set[str] = set()
    for c, t, s in zip(ideographs, traditional, simplified):
        if t != c:
            chinese.update((c, t))
        if s != c:
            chinese.update((c, s))
            has_simplified.add(c)
    return {c: k for c, k in zip(ideographs, kyujitai) if k != c and c not in chinese and k in has_simplified}


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
