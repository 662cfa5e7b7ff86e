"""engine.formatter: `_formatted` highlighting and `_matchesPosition` on real indexes, to the char.

Properties:
1. Exact, prefix (last word) and typo'd words are highlighted on the original text: accents,
   capitals and emoji come back unchanged; a prefix match marks only as many chars as were typed
   (`world` on `Ŵôřlḑôle`, `westfali` on `Westfália`, `chev` on `Cheval`).
2. attributesToHighlight selects names, nested paths and `*`; custom tags (empty, with `<` and `&`)
   are inserted verbatim and HTML in documents is left as it is.
3. Stop words of the query are never highlighted, but a stop word in the text still counts as a
   word of the text (it is tokenized without stop words).
4. Numbers in `_formatted` are strings (serde_json formatting), booleans and null unchanged,
   arrays and objects keep their shape; fields not displayed never appear.
5. Placeholder search: `_formatted` present with values unhighlighted; no `_formatted` when no
   highlighted/cropped field is displayed or present.
6. `_formatted` contains H ∪ C ∪ retrieved: a highlighted field appears in `_formatted` even when
   attributesToRetrieve leaves it out of the hit.
7. `_matchesPosition`: UTF-8 byte start and length, `indices` for array leaves (only the last
   matching element survives, as upstream), nested dotted paths sorted, `{}` when nothing matched,
   prefix matches report the typed part only, computed over all displayed fields.
8. The engine API alone (`Formatter.for_result`) formats a hit of `Index.execute`.
"""
import orjson

from engine import Query
from engine.formatter import Formatter, number_text


def hits(index, q, **params):
    return index.search(q, **params)["hits"]


def dumps(value):
    return orjson.dumps(value).decode()


# 1 ------------------------------------------------------------------------------------------------

def test_prefix_and_accents_are_marked_on_the_original_text(make_index):
    index = make_index([{"id": 1, "t": "Ŵôřlḑôle"}, {"id": 2, "t": "Westfália"}, {"id": 3, "t": "Cheval 🐴 noir"}])
    assert hits(index, "world", attributesToHighlight=["t"])[0]["_formatted"]["t"] == "<em>Ŵôřlḑ</em>ôle"
    assert hits(index, "westfali", attributesToHighlight=["t"])[0]["_formatted"]["t"] == "<em>Westfáli</em>a"
    assert hits(index, "chev", attributesToHighlight=["t"])[0]["_formatted"]["t"] == "<em>Chev</em>al 🐴 noir"


def test_exact_and_typo_words_are_marked_whole(make_index):
    index = make_index([{"id": 1, "t": "Le Gläss et la Bouteille, bouteille!"}])
    got = hits(index, "glass bouteile ", attributesToHighlight=["t"])[0]["_formatted"]["t"]
    assert got == "Le <em>Gläss</em> et la <em>Bouteille</em>, <em>bouteille</em>!"


def test_match_at_very_start_and_end(make_index):
    index = make_index([{"id": 1, "t": "fox jumps over fox"}])
    got = hits(index, "fox ", attributesToHighlight=["t"])[0]["_formatted"]["t"]
    assert got == "<em>fox</em> jumps over <em>fox</em>"


# 2 ------------------------------------------------------------------------------------------------

def test_names_nested_paths_and_star(make_index):
    doc = {"id": 1, "title": "blue whale", "about": {"color": "blue", "size": "big blue"}, "other": "blue"}
    index = make_index([doc])
    got = hits(index, "blue", attributesToHighlight=["about.color"], attributesToRetrieve=["id"])[0]
    assert dumps(got) == ('{"id":1,"_formatted":{"id":"1","about":{"color":"<em>blue</em>"}}}')
    got = hits(index, "blue", attributesToHighlight=["about"], attributesToRetrieve=["title"])[0]
    assert dumps(got["_formatted"]) == (
        '{"title":"blue whale","about":{"color":"<em>blue</em>","size":"big <em>blue</em>"}}')
    got = hits(index, "blue", attributesToHighlight=["*"], attributesToRetrieve=["id"])[0]
    assert dumps(got["_formatted"]) == (
        '{"id":"1","title":"<em>blue</em> whale","about":{"color":"<em>blue</em>",'
        '"size":"big <em>blue</em>"},"other":"<em>blue</em>"}')


def test_custom_tags_and_html_in_documents(make_index):
    index = make_index([{"id": 1, "t": "Tom <br/> &amp; Jerry"}])
    got = hits(index, "tom jerry", attributesToHighlight=["t"], highlightPreTag="<mark a=\"&amp;\">",
               highlightPostTag="&</mark>")[0]["_formatted"]["t"]
    assert got == "<mark a=\"&amp;\">Tom&</mark> <br/> &amp; <mark a=\"&amp;\">Jerry&</mark>"
    got = hits(index, "tom jerry", attributesToHighlight=["t"], highlightPreTag="", highlightPostTag="")
    assert got[0]["_formatted"]["t"] == "Tom <br/> &amp; Jerry"


# 3 ------------------------------------------------------------------------------------------------

def test_stop_words_of_the_query_are_not_highlighted(make_index):
    index = make_index([{"id": 1, "t": "How to Train Your Dragon: The Hidden World"}],
                       {"stopWords": ["to", "the", "The"]})
    got = hits(index, "to the dragon", attributesToHighlight=["t"])[0]["_formatted"]["t"]
    assert got == "How to Train Your <em>Dragon</em>: The Hidden World"


# 4 ------------------------------------------------------------------------------------------------

def test_values_of_every_json_type(make_index):
    doc = {"id": 7, "n": 852, "f": 1.5, "e": 100.0, "b": True, "z": None,
           "arr": ["red fish", 3, {"deep": "red"}], "obj": {"k": "red"}}
    index = make_index([doc], {"displayedAttributes": ["id", "n", "f", "e", "b", "z", "arr", "obj"]})
    got = hits(index, "red", attributesToHighlight=["*"])[0]["_formatted"]
    assert dumps(got) == ('{"id":"7","n":"852","f":"1.5","e":"100.0","b":true,"z":null,'
                          '"arr":["<em>red</em> fish","3",{"deep":"<em>red</em>"}],"obj":{"k":"<em>red</em>"}}')
    assert [number_text(v) for v in (852, 1.5, 1e2, 1e21, -2.5, 1e-7)] == ["852", "1.5", "100.0", "1e21", "-2.5", "1e-7"]


def test_fields_not_displayed_never_appear(make_index):
    index = make_index([{"id": 1, "title": "blue", "secret": "blue"}], {"displayedAttributes": ["id", "title"]})
    got = hits(index, "blue", attributesToHighlight=["*"], showMatchesPosition=True)[0]
    assert dumps(got) == ('{"id":1,"title":"blue","_formatted":{"id":"1","title":"<em>blue</em>"},'
                          '"_matchesPosition":{"title":[{"start":0,"length":4}]}}')
    got = hits(index, "blue", attributesToHighlight=["secret"])[0]
    assert "_formatted" not in got


# 5 ------------------------------------------------------------------------------------------------

def test_placeholder_search_formats_without_tags(make_index):
    index = make_index([{"id": 1, "t": "blue whale", "n": 3}])
    got = hits(index, None, attributesToHighlight=["*"], showMatchesPosition=True)[0]
    assert dumps(got) == ('{"id":1,"t":"blue whale","n":3,"_formatted":{"id":"1","t":"blue whale","n":"3"},'
                          '"_matchesPosition":{}}')


def test_no_formatted_when_nothing_to_format(make_index):
    index = make_index([{"id": 1, "t": "blue"}])
    got = hits(index, "blue", attributesToHighlight=["title"], attributesToRetrieve=[])[0]
    assert got == {}
    got = hits(index, "blue", attributesToHighlight=["nope"])[0]
    assert got == {"id": 1, "t": "blue"}


# 6 ------------------------------------------------------------------------------------------------

def test_highlighted_field_appears_even_if_not_retrieved(make_index):
    index = make_index([{"id": 7, "title": "The blue whale", "x": "blue"}])
    got = hits(index, "blue", attributesToRetrieve=["id"], attributesToHighlight=["title"])[0]
    assert dumps(got) == '{"id":7,"_formatted":{"id":"7","title":"The <em>blue</em> whale"}}'


# 7 ------------------------------------------------------------------------------------------------

def test_matches_position_bytes_indices_and_paths(make_index):
    doc = {"id": 1, "title": "Café au lait café", "tags": ["blue car", "a blue sky"],
           "doggos": [{"name": "café"}, {"name": "rex"}], "emoji": "🐴 cafe"}
    index = make_index([doc])
    got = hits(index, "cafe", showMatchesPosition=True)[0]
    assert "_formatted" not in got
    assert dumps(got["_matchesPosition"]) == (
        '{"doggos.name":[{"start":0,"length":5,"indices":[0]}],'
        '"emoji":[{"start":5,"length":4}],'
        '"title":[{"start":0,"length":5},{"start":14,"length":5}]}')
    got = hits(index, "blue", showMatchesPosition=True)[0]
    assert got["_matchesPosition"] == {"tags": [{"start": 2, "length": 4, "indices": [1]}]}


def test_matches_position_of_a_prefix_is_the_typed_part(make_index):
    index = make_index([{"id": 1, "t": "Ŵôřlḑôle"}])
    got = hits(index, "worl", showMatchesPosition=True)[0]
    assert got["_matchesPosition"] == {"t": [{"start": 0, "length": len("Ŵôřl".encode())}]}


# 8 ------------------------------------------------------------------------------------------------

def test_engine_api_formats_a_hit(make_index):
    index = make_index([{"id": 7, "title": "The blue whale"}])
    result = index.execute(Query(text="blue"))
    formatter = Formatter.for_result(result, highlight=["title"], matches_position=True)
    document = orjson.loads(result.hits[0].stored)
    assert formatter.formatted(document) == {"id": "7", "title": "The <em>blue</em> whale"}
    assert formatter.matches_positions(document) == {"title": [{"start": 4, "length": 4}]}
