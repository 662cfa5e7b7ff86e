"""Chinese, Japanese, Korean and Thai titles are found by a part of them and the part is
highlighted, as charabia cuts them: a Chinese/Japanese run is Japanese when it holds kana, else
Chinese; ``locales`` and ``localizedAttributes`` override that detection.

Expected words are worked out from the segmenters' dictionaries (jieba without HMM, UniDic,
mecab-ko-dic, PyThaiNLP's word list) and the normalizers (Chinese variants to the traditional
form, katakana to hiragana).
"""
import unicodedata

from engine.tokenizer import Tokenizer


def words(text, locales=None):
    return Tokenizer().with_locales(locales).words(text)


def marked(index, q, **params):
    return [(h["id"], h["_formatted"]["t"]) for h in index.search(q, attributesToHighlight=["t"], **params)["hits"]]


# segmentation and normalization ------------------------------------------------------------------

def test_chinese_is_cut_by_jieba_and_long_words_into_dictionary_bigrams():
    assert words("人人生而自由，在尊嚴和權利上一律平等。") == [
        "人人", "生", "而", "自由", "在", "尊", "嚴", "和", "權", "利", "上", "一律", "平等"]
    assert words("我从2025年开始学习Rust语言。") == ["我", "從", "2025", "年", "開始", "學習", "rust", "語言"]


def test_japanese_is_cut_by_unidic_and_kana_read_as_hiragana():
    assert words("関西国際空港限定トートバッグ すもももももももものうち") == [
        "関西", "国際", "空港", "限定", "とうと", "は\u3099っく\u3099",
        "すもも", "も", "もも", "も", "もも", "の", "うち"]


def test_kanji_alone_is_chinese_unless_locales_say_japanese():
    # read as Chinese, the Japanese form 庁 is its traditional Chinese char 廳 (as kVariants reads it)
    assert words("東京都庁") == ["東", "京都", "廳"]
    assert words("東京都庁", ["jpn"]) == ["東京", "都庁"]
    assert words("東京都庁", ["ja", "en"]) == ["東京", "都庁"]


def test_korean_and_thai_are_cut_by_their_dictionaries():
    # Hangul syllables are NFKD-decomposed into jamo, as every word is
    assert words("아버지가방에들어가신다") == [
        unicodedata.normalize("NFKD", w) for w in ["아버지", "가", "방", "에", "들어가", "신다"]]
    assert words("ภาษาไทยง่ายนิดเดียว") == ["ภาษาไทย", "งาย", "นดเดยว"]


def test_thai_dictionary_is_charabias_word_list():
    # charabia's words.txt is PyThaiNLP 3.1's list: แบร์น (added in 3.1) is one word, มังงะ (added
    # in 5.x) is not, so it is cut into the dictionary words it starts with (lemmas lose their marks)
    assert words("แบร์น") == ["แบรน"]
    assert words("มังงะ") == ["มง", "งะ"]


def test_offsets_point_into_the_original_text():
    text = "Hello 北京大学! トートバッグ"
    got = [(t.lemma, text[t.char_start:t.char_end], text.encode()[t.byte_start:t.byte_end].decode())
           for t in Tokenizer().tokenize(text) if t.is_word]
    # one Cj run from 北 to グ (punctuation and spaces have no script): it holds kana, so it is
    # Japanese and 大学 keeps its form
    assert got == [("hello", "Hello", "Hello"), ("北京", "北京", "北京"), ("大学", "大学", "大学"),
                   ("とうと", "トート", "トート"), ("は\u3099っく\u3099", "バッグ", "バッグ")]
    assert [t.lemma for t in Tokenizer().tokenize("北京大学") if t.is_word] == ["北京", "大學"]


# search and highlighting -------------------------------------------------------------------------

DOCS = [
    {"id": 1, "t": "人民的意志是政府权力的基础"},
    {"id": 2, "t": "関西国際空港限定トートバッグ"},
    {"id": 3, "t": "서울특별시 아버지가방에들어가신다"},
    {"id": 4, "t": "ภาษาไทยง่ายนิดเดียว"},
    {"id": 5, "t": "Loupe 搜索引擎 is fast"},
]


def test_a_part_of_each_title_finds_it_and_is_highlighted(make_index):
    index = make_index(DOCS)
    assert marked(index, "政府") == [(1, "人民的意志是<em>政府</em>权力的基础")]
    assert marked(index, "空港") == [(2, "関西国際<em>空港</em>限定トートバッグ")]
    assert marked(index, "アバジ") == []
    assert marked(index, "들어가") == [(3, "서울특별시 아버지가방에<em>들어가</em>신다")]
    assert marked(index, "ง่าย") == [(4, "ภาษาไทย<em>ง่าย</em>นิดเดียว")]
    assert marked(index, "引擎") == [(5, "Loupe 搜索<em>引擎</em> is fast")]


def test_traditional_and_simplified_forms_meet(make_index):
    index = make_index(DOCS)
    assert marked(index, "權力") == [(1, "人民的意志是政府<em>权力</em>的基础")]


def test_katakana_and_hiragana_meet_and_prefixes_mark_the_typed_part(make_index):
    index = make_index(DOCS)
    assert marked(index, "とうと") == [(2, "関西国際空港限定<em>トート</em>バッグ")]
    assert marked(index, "バッ") == [(2, "関西国際空港限定トート<em>バッ</em>グ")]


def test_matches_position_is_in_utf8_bytes(make_index):
    index = make_index(DOCS)
    hit = index.search("政府", showMatchesPosition=True)["hits"][0]
    assert hit["_matchesPosition"] == {"t": [{"start": 18, "length": 6}]}


def test_locales_change_how_the_query_is_cut(make_index):
    index = make_index([{"id": 1, "t": "東京都庁"}], {"localizedAttributes": [
        {"attributePatterns": ["t"], "locales": ["jpn"]}]})
    # the field is Japanese: 東京 | 都庁; the query follows the field's rule
    assert marked(index, "都庁") == [(1, "東京<em>都庁</em>")]
    # without the rule the value is Chinese: 東 | 京都 | 庁, and 都庁 is no word of it
    plain = make_index([{"id": 1, "t": "東京都庁"}], uid="plain")
    assert marked(plain, "都庁", locales=["jpn"]) == []


def test_a_localized_rule_overrides_detection(make_index):
    """A simplified-Chinese value is read as Chinese (variants meet) unless its field's rule says
    Japanese: then neither the value nor the query is mapped, and the traditional form misses."""
    plain = make_index([{"id": 1, "t": "学习"}, {"id": 2, "u": "学习"}])
    assert [h["id"] for h in plain.search("學習")["hits"]] == [1, 2]
    localized = make_index([{"id": 1, "t": "学习"}, {"id": 2, "u": "学习"}], {"localizedAttributes": [
        {"attributePatterns": ["u"], "locales": ["jpn"]}, {"attributePatterns": ["*"], "locales": ["zho"]}]},
        uid="localized")
    assert [h["id"] for h in localized.search("學習", locales=["zho"])["hits"]] == [1]
    assert [h["id"] for h in localized.search("学习", locales=["jpn"])["hits"]] == [2]


def test_mixed_scripts_in_one_value(make_index):
    text = "Café Москва 北京烤鸭 東京タワー ภาษาไทย"
    index = make_index([{"id": 1, "t": text}])
    for q, part in [("cafe", "Café"), ("москва", "Москва"), ("タワー", "タワー"), ("ภาษาไทย", "ภาษาไทย")]:
        assert marked(index, q) == [(1, text.replace(part, f"<em>{part}</em>", 1))], q
    # 北京烤鸭 東京タワー is one run holding kana: Japanese, so 鸭 keeps its simplified form, while
    # the query 烤鸭 alone is Chinese (烤鴨) unless locales say Japanese
    assert marked(index, "烤鸭") == []
    # (UniDic knows neither char: two words, each marked)
    assert marked(index, "烤鸭", locales=["jpn"]) == [(1, text.replace("烤鸭", "<em>烤</em><em>鸭</em>"))]


def test_khmer_is_cut_into_words():
    assert words("ឃាត់ខ្លួនជនសង្ស័យ០៤នាក់ ភាសាខ្មែរ") == ["ឃាត់ខ្លួន", "ជនសង្ស័យ", "០៤", "នាក់", "ភាសា", "ខ្មែរ"]
