"""Korean is cut as charabia cuts it when Lindera with ko-dic is installed beside the UniDic one
(`segmenters.KO_DIC_FOLDER`); MeCab, the fallback, reads the same dictionary (mecab-ko-dic 2.1.1)
with another analyser.  Properties:

1. Lindera ko-dic in decompose mode gives charabia's own expected words for its test sentence.
2. Where the two analysers part (measured: 5 of 174 space-separated runs of 40 sentences),
   Lindera keeps a particle with the syllable before it: ``서울이다`` -> ``서울`` ``이다`` (MeCab:
   ``서울`` ``이`` ``다``), ``회사원들이`` -> ``회사원`` ``들이`` (MeCab: ``회사원`` ``들`` ``이``).
3. Search reads the query with the same analyser, so a document is found by one of its words.

Hangul lemmas are NFKD-decomposed into jamo, as every word is: the expected words are composed
here for reading and decomposed before comparing.
"""
import os
import unicodedata

import pytest

from engine.languages.segmenters import korean_analyser
from engine.tokenizer import Tokenizer


def words(text):
    return [unicodedata.normalize("NFC", w) for w in Tokenizer().words(text)]


@pytest.fixture
def lindera():
    if korean_analyser() != "lindera":
        if os.environ.get("LOUPE_REQUIRE_LANGUAGES"):
            raise AssertionError("lindera-python-ko-dic is not installed in loupe_ko_dic (README)")
        pytest.skip("lindera-python-ko-dic is not installed in loupe_ko_dic (README)")


def test_charabias_sentence(lindera):
    assert words("한국어의형태해석을실시할수있습니다 123 456.") == [
        "한국어", "의", "형태", "해석", "을", "실시", "할", "수", "있", "습니다", "123", "456"]


def test_particles_stay_with_the_syllable_before_them(lindera):
    assert words("서울이다 회사원들이 백두산이") == ["서울", "이다", "회사원", "들이", "백두", "산이"]


def test_mecab_cuts_the_same_runs_apart(monkeypatch):
    from engine.languages import segmenters
    monkeypatch.setattr(segmenters, "_lindera_ko_dic", lambda: None)
    segmenters._load_korean.cache_clear()
    try:
        if korean_analyser() != "mecab":
            pytest.skip("python-mecab-ko is missing")
        assert words("서울이다 회사원들이 백두산이") == ["서울", "이", "다", "회사원", "들", "이", "백두산", "이"]
    finally:
        segmenters._load_korean.cache_clear()


def test_a_word_finds_its_document(lindera, make_index):
    index = make_index([{"id": 1, "t": "서울특별시 회사원들이"}, {"id": 2, "t": "부산광역시"}])
    hits = index.search("회사원", attributesToHighlight=["t"])["hits"]
    assert [(h["id"], unicodedata.normalize("NFC", h["_formatted"]["t"])) for h in hits] == [
        (1, "서울특별시 <em>회사원</em>들이")]
