"""engine.formatter cropping (formatting.md §4), the spec's worked examples to the char.

Properties:
1. The spec's three worked examples: the best interval grown word by word (`…the <em>lazy</em>
   <em>dog</em>. The <em>dog</em>…`), the start of the field when nothing matches, and a window
   whose trailing soft separator is left out (suffix marker).
2. `attr:N` sets a field's crop length, others use cropLength; `title:abc` and `title:` crop
   `title` with cropLength (as upstream); cropLength 0 returns the whole text without markers; a
   later entry for the same field overwrites the length.
3. cropMarker: custom and empty strings (empty adds nothing); no marker at the very start or end.
4. The window prefers more distinct query words, then closer words.
5. A phrase longer than the crop length keeps the text from its start up to its first N words.
6. Placeholder search crops from the start; multi-byte text is cut on words, never inside a char.
7. Crop and highlight together: tags only inside the window.
"""

TEXT = "The quick brown fox jumps over the lazy dog. The dog sleeps all day long in the sun."
NATALIE = "Natalie risk her future to build a world with the boy she loves."


def formatted(index, q, field="t", **params):
    return index.search(q, **params)["hits"][0]["_formatted"][field]


# 1 ------------------------------------------------------------------------------------------------

def test_worked_examples(make_index):
    index = make_index([{"id": 1, "t": TEXT, "other": "michelangelo"}, {"id": 2, "t": NATALIE, "x": "split"}])
    assert formatted(index, "lazy dog", attributesToCrop=["t"], cropLength=5, attributesToHighlight=["t"]) == \
        "…the <em>lazy</em> <em>dog</em>. The <em>dog</em>…"
    assert formatted(index, "michelangelo", attributesToCrop=["t:4"]) == "The quick brown fox…"
    assert formatted(index, "split the world", attributesToCrop=["t"]) == \
        "…future to build a world with the boy she loves…"


# 2 ------------------------------------------------------------------------------------------------

def test_per_attribute_lengths(make_index):
    index = make_index([{"id": 1, "t": TEXT, "u": TEXT}])
    hit = index.search("lazy", attributesToCrop=["t:2", "u"], cropLength=3)["hits"][0]["_formatted"]
    assert hit["t"] == "…the lazy…"
    assert hit["u"] == "…the lazy dog…"
    hit = index.search("lazy", attributesToCrop=["t:2", "t:4"])["hits"][0]["_formatted"]
    assert hit["t"] == "…over the lazy dog…"
    assert "u" in hit  # retrieved fields are in _formatted, unchanged
    assert hit["u"] == TEXT
    hit = index.search("lazy", attributesToCrop=["t:0"])["hits"][0]["_formatted"]
    assert hit["t"] == TEXT
    # a length that is no integer is cropLength's: the entry still names `t` (upstream's
    # `add_crop_to_formatted_options` splits on the last `:` whatever follows it)
    hit = index.search("lazy", attributesToCrop=["t:abc", "u:"], cropLength=3)["hits"][0]["_formatted"]
    assert (hit["t"], hit["u"]) == ("…the lazy dog…", "…the lazy dog…")


# 3 ------------------------------------------------------------------------------------------------

def test_crop_markers(make_index):
    index = make_index([{"id": 1, "t": TEXT}])
    assert formatted(index, "lazy", attributesToCrop=["t:2"], cropMarker="[…]") == "[…]the lazy[…]"
    assert formatted(index, "lazy", attributesToCrop=["t:2"], cropMarker="") == "the lazy"
    assert formatted(index, "quick", attributesToCrop=["t:3"], cropMarker="&<") == "The quick brown&<"
    assert formatted(index, "sun", attributesToCrop=["t:3"]) == "…in the sun."


# 4 ------------------------------------------------------------------------------------------------

def test_window_prefers_distinct_then_close_words(make_index):
    text = "dog one two three four five six seven eight nine lazy dog ten eleven twelve"
    index = make_index([{"id": 1, "t": text}])
    assert formatted(index, "lazy dog", attributesToCrop=["t:4"], attributesToHighlight=["t"]) == \
        "…nine <em>lazy</em> <em>dog</em> ten…"


# 5 ------------------------------------------------------------------------------------------------

def test_phrase_longer_than_crop(make_index):
    index = make_index([{"id": 1, "t": "The quick brown fox jumps"}])
    assert formatted(index, '"quick brown fox"', attributesToCrop=["t:2"], attributesToHighlight=["t"]) == \
        "The <em>quick brown</em>…"
    assert formatted(index, '"quick brown fox"', attributesToCrop=["t:5"], attributesToHighlight=["t"]) == \
        "The <em>quick brown fox</em> jumps"


# 6 ------------------------------------------------------------------------------------------------

def test_placeholder_and_multibyte(make_index):
    index = make_index([{"id": 1, "t": "Ça été très différent, señor Ŵôřlḑ 🐴 ok"}])
    assert formatted(index, None, attributesToCrop=["t:3"]) == "Ça été très…"
    assert formatted(index, "senor", attributesToCrop=["t:2"], attributesToHighlight=["t"]) == \
        "…<em>señor</em> Ŵôřlḑ…"


# 7 ------------------------------------------------------------------------------------------------

def test_highlight_only_inside_the_window(make_index):
    index = make_index([{"id": 1, "t": "dog a b c d e f g h i j k l dog"}])
    got = index.search("dog", attributesToCrop=["t:3"], attributesToHighlight=["t"], showMatchesPosition=True)
    hit = got["hits"][0]
    assert hit["_formatted"]["t"] == "<em>dog</em> a b…"
    assert hit["_matchesPosition"] == {"t": [{"start": 0, "length": 3}, {"start": 28, "length": 3}]}
