"""Script- and language-specific normalization, as charabia's normalizers do it, and what a user
sees of it: Swedish å/ä/ö are letters of their own only when the text is Swedish (locales);
Turkish ı, đ/ð, Greek final sigma and Arabic letter variants always fold; Arabic words lose
their article.  No library is needed for any of these.
"""
import pytest

from engine.tokenizer import Tokenizer, normalize_word


def words(text, locales=None):
    return Tokenizer().with_locales(locales).words(text)


def marked(index, q, **params):
    return [(h["id"], h["_formatted"]["t"]) for h in index.search(q, attributesToHighlight=["t"], **params)["hits"]]


def test_swedish_letters_stay_letters_only_in_swedish():
    assert words("Gå till Örebro, ärligt") == ["ga", "till", "orebro", "arligt"]
    assert words("Gå till Örebro, ärligt", ["swe"]) == ["gå", "till", "örebro", "ärligt"]
    assert words("Gå till Örebro", ["fr", "en"]) == ["ga", "till", "orebro"]  # not allowed: no Swedish
    assert words("Ça möte", ["swe"]) == ["ca", "möte"]  # other accents still go


def test_letters_folded_in_any_text():
    assert words("ışık İstanbul Đà Nẵng Αγαπητός") == ["isik", "istanbul", "da", "nang", "αγαπητοσ"]
    assert normalize_word("şarkı") == "sarki"


def test_arabic_article_variants_and_marks():
    assert words("السلام عليكم، كيف حالكم؟ (أتمنى أن تكونوا بأفضل ٱلأحوال)") == [
        "ال", "سلام", "عليكم", "كيف", "حالكم", "اتمني", "ان", "تكونوا", "بافضل", "ال", "احوال"]
    assert words("الحمــــــد يومى النهاردة") == ["ال", "حمد", "يومي", "ال", "نهارده"]


def test_hebrew_points_and_compatibility_forms():
    assert words("כָּבוֹד") == ["כבוד"]
    assert words("ﬁnal ① ｆｕｌｌ") == ["final", "1", "full"]
    assert words("a\x01b c") == ["ab", "c"]  # control chars go, the word stays one


def test_swedish_search_follows_the_fields_rule(make_index):
    docs = [{"id": 1, "t": "Gå hem"}, {"id": 2, "t": "Ga vidare"}]
    plain = make_index(docs)
    assert marked(plain, "ga") == [(1, "<em>Gå</em> hem"), (2, "<em>Ga</em> vidare")]
    swedish = make_index(docs, {"localizedAttributes": [{"attributePatterns": ["t"], "locales": ["swe"]}]},
                         uid="swedish")
    assert marked(swedish, "gå") == [(1, "<em>Gå</em> hem")]
    assert marked(swedish, "ga") == [(2, "<em>Ga</em> vidare")]


def test_turkish_and_arabic_search(make_index):
    index = make_index([{"id": 1, "t": "Işık şarkısı"}, {"id": 2, "t": "الشجرة الكبيرة"}])
    assert marked(index, "isik") == [(1, "<em>Işık</em> şarkısı")]
    assert marked(index, "شجرة") == [(2, "ال<em>شجرة</em> الكبيرة")]
    # the query's article is a word too: every article is marked
    assert marked(index, "الشجرة") == [(2, "<em>ال</em><em>شجرة</em> <em>ال</em>كبيرة")]


def test_chinese_variants_table_answers_as_opencc_s2t_for_every_ideograph():
    # the characters-only table Loupe loads (1 ms) against OpenCC's full s2t (70 ms)
    opencc = pytest.importorskip("opencc")
    from engine.languages.normalizers import _characters_only
    light, full = _characters_only(opencc), opencc.OpenCC("s2t").convert
    assert light is not None
    ideographs = [chr(c) for a, b in ((0x3400, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x3134F)) for c in range(a, b + 1)]
    assert [c for c in ideographs if light(c) != full(c)] == []
    assert light("这应") == "這應"


def test_japanese_forms_of_chinese_chars_meet_them_in_chinese_text():
    # Meilisearch's locales test: Chinese 进击 and 進撃 read as Chinese meet (撃 is the Japanese
    # form of 擊); a Japanese form that is a Chinese char too (真, 芸) or whose old form has no
    # simplified one (欠 -> 缺) is left alone
    pytest.importorskip("opencc")
    from engine.languages.normalizers import chinese_variants
    assert chinese_variants("進撃") == chinese_variants("进击") == chinese_variants("進擊") == "進擊"
    assert chinese_variants("栄 竜 庁") == "榮 龍 廳"
    assert chinese_variants("真 芸 欠 郎") == "真 芸 欠 郎"
