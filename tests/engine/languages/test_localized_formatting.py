"""`_formatted` and `_matchesPosition` cut each field's values the way upstream formats them.

Properties:
1. Without the `locales` search parameter, each field is read with its own localizedAttributes
   rule, a field no rule matches with detection — not with the union of locales the query was cut
   with.  A kanji-only value is Japanese (東京 | 都庁) under a `jpn` rule and Chinese
   (東 | 京都 | 庁) without one, so the same text is highlighted in one field and not the other.
2. With `locales`, every field is read in those languages, whatever its rule.
3. A crop counts the words its field's tokenizer cuts.
4. A value of an array is read with the array's rule after an object in it whose fields have
   another (no rule matches ``nested.ja.x``).
5. A plain ASCII value under a German rule has its compound cut, while the same value in a field
   without rule is one word.
"""
import pytest

TEXT = "東京都庁"
RULES = {"localizedAttributes": [{"attributePatterns": ["ja", "nested.ja"], "locales": ["jpn"]},
                                 {"attributePatterns": ["de"], "locales": ["deu"]}]}
DOC = {"id": 1, "ja": TEXT, "zh": TEXT, "de": "Feuerwehrauto", "en": "Feuerwehrauto",
       "nested": {"ja": [TEXT, {"x": TEXT}, TEXT]}}


@pytest.fixture
def index(make_index):
    return make_index([DOC], RULES)


def formatted(index, q, **params):
    hit, = index.search(q, attributesToHighlight=["*"], showMatchesPosition=True, **params)["hits"]
    return hit["_formatted"], hit["_matchesPosition"]


def test_each_field_is_read_with_its_own_rule(index):
    # the query follows the searched fields' rules (jpn, deu): 東京 is one word; only the
    # Japanese field has it
    shown, positions = formatted(index, "東京")
    assert (shown["ja"], shown["zh"]) == ("<em>東京</em>都庁", TEXT)
    assert positions == {"ja": [{"start": 0, "length": 6}],
                         "nested.ja": [{"start": 0, "length": 6, "indices": [2]}]}
    # 京都 is a word of the Chinese reading only: the hit comes from the field without rule
    shown, positions = formatted(index, "京都")
    assert (shown["ja"], shown["zh"]) == (TEXT, "東<em>京都</em>庁")
    assert positions == {"nested.ja.x": [{"start": 3, "length": 6, "indices": [1]}],
                         "zh": [{"start": 3, "length": 6}]}


def test_the_locales_parameter_reads_every_field(index):
    shown, positions = formatted(index, "東京", locales=["jpn"])
    assert (shown["ja"], shown["zh"], shown["nested"]) == (
        "<em>東京</em>都庁", "<em>東京</em>都庁", {"ja": ["<em>東京</em>都庁", {"x": "<em>東京</em>都庁"}, "<em>東京</em>都庁"]})
    assert positions == {"ja": [{"start": 0, "length": 6}],
                         "nested.ja": [{"start": 0, "length": 6, "indices": [2]}],
                         "nested.ja.x": [{"start": 0, "length": 6, "indices": [1]}],
                         "zh": [{"start": 0, "length": 6}]}
    # Chinese: the Japanese field is cut 東 | 京都 | 庁 too
    shown, positions = formatted(index, "京都", locales=["zho"])
    assert (shown["ja"], shown["zh"]) == ("東<em>京都</em>庁", "東<em>京都</em>庁")
    assert positions["ja"] == [{"start": 3, "length": 6}]
    # Japanese: 京都 is in no field's reading, though the document matched on its Chinese words
    shown, positions = formatted(index, "京都", locales=["jpn"])
    assert (shown["ja"], shown["zh"], positions) == (TEXT, TEXT, {})


def test_a_crop_counts_its_fields_words(index):
    hit, = index.search("都庁", attributesToCrop=["ja", "zh"], cropLength=1)["hits"]
    assert (hit["_formatted"]["ja"], hit["_formatted"]["zh"]) == ("…都庁", "東…")


def test_values_after_an_object_keep_the_arrays_rule(index):
    shown, _ = formatted(index, "東京")
    assert shown["nested"] == {"ja": ["<em>東京</em>都庁", {"x": TEXT}, "<em>東京</em>都庁"]}
    shown, _ = formatted(index, "京都")
    assert shown["nested"] == {"ja": [TEXT, {"x": "東<em>京都</em>庁"}, TEXT]}


def test_a_german_rule_cuts_an_ascii_compound_only_in_its_field(index):
    shown, positions = formatted(index, "auto")
    assert (shown["de"], shown["en"], positions) == ("Feuerwehr<em>auto</em>", "Feuerwehrauto",
                                                     {"de": [{"start": 9, "length": 4}]})
    shown, positions = formatted(index, "auto", locales=["deu"])
    assert (shown["de"], shown["en"]) == ("Feuerwehr<em>auto</em>", "Feuerwehr<em>auto</em>")
