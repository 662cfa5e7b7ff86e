"""German compounds are cut into their parts when the text is German (the ``deu`` locale, as
charabia only knows a Latin text's language from locales): a part finds the compound and is the
part highlighted.  Parts are words of the igerman98 dictionary, linking letters kept with the
part before them."""
from engine.tokenizer import Tokenizer

TEXT = "Der Dampfschifffahrtskapitän fährt über den Mittellandkanal zur Strombrücke Magdeburg."


def test_compounds_are_cut_under_the_german_locale():
    assert Tokenizer().with_locales(["deu"]).words(TEXT) == [
        "der", "dampf", "schifffahrts", "kapitan", "fahrt", "uber", "den", "mittel", "land", "kanal", "zur",
        "strom", "brucke", "magdeburg"]
    assert Tokenizer().with_locales(["de"]).words("Fußball Literaturverwaltungsprogramm Hausaufgaben") == [
        "fuß", "ball", "literatur", "verwaltungs", "programm", "haus", "aufgaben"]


def test_without_the_locale_compounds_stay_whole():
    assert Tokenizer().words("Mittellandkanal Hausaufgaben") == ["mittellandkanal", "hausaufgaben"]


def test_a_part_finds_the_compound_and_is_highlighted(make_index):
    docs = [{"id": 1, "t": TEXT}, {"id": 2, "t": "Die Hausaufgaben sind fertig"}]
    plain = make_index(docs)
    assert plain.search("kapitän")["hits"] == []
    german = make_index(docs, {"localizedAttributes": [{"attributePatterns": ["t"], "locales": ["deu"]}]},
                        uid="german")
    hits = german.search("kapitän", attributesToHighlight=["t"])["hits"]
    assert [(h["id"], h["_formatted"]["t"]) for h in hits] == [
        (1, "Der Dampfschifffahrts<em>kapitän</em> fährt über den Mittellandkanal zur Strombrücke Magdeburg.")]
    hits = german.search("aufgaben", attributesToHighlight=["t"])["hits"]
    assert [(h["id"], h["_formatted"]["t"]) for h in hits] == [(2, "Die Haus<em>aufgaben</em> sind fertig")]
