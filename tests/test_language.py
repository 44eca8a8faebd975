import re

import pytest

from garden import language, tools


def test_number_words_reach_every_plot_of_the_largest_garden():
    assert [language.number_word(n) for n in (1, 2, 4, 8, 12, 20, 21, 36)] == [
        "one", "two", "four", "eight", "twelve", "twenty", "twenty one", "thirty six"]
    assert language.largest_plot_number() == tools.MAX_SIZE ** 2


def test_ordinal_words_are_spoken_ordinals():
    assert [language.ordinal_word(n) for n in (1, 2, 3, 5, 8, 9, 12, 20, 22, 36)] == [
        "first", "second", "third", "fifth", "eighth", "ninth", "twelfth", "twentieth", "twenty second", "thirty sixth"]
    assert [language.ordinal_suffix(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd"]


def test_numbers_outside_the_spoken_range_are_a_bug():
    with pytest.raises(ValueError):
        language.number_word(100)
    with pytest.raises(ValueError):
        language.ordinal_word(0)


def test_plurals_follow_english_rules():
    words = ("daisy", "rose", "sunflower", "patch", "plot", "potato", "oak tree", "day")
    assert [language.plural(w) for w in words] == [
        "daisies", "roses", "sunflowers", "patches", "plots", "potatoes", "oak trees", "days"]
    # the engine and the window use the regular rule underneath (no irregular words there)
    assert [tools.plural(w) for w in ("daisy", "box", "tulip", "day")] == ["daisies", "boxes", "tulips", "days"]


def test_every_tool_has_verbs_and_the_plain_verb_comes_first():
    assert set(language.VERBS) == set(tools.TOOL_NAMES)
    plain = [language.VERBS[name][0] for name in ("plant_seed", "water_plots", "harvest_plots")]
    assert plain == ["plant", "water", "harvest"]


def test_a_new_seed_kind_is_spoken_with_its_name_and_regular_plural(monkeypatch):
    monkeypatch.setattr(tools, "SEEDS", tools.SEEDS + ("lily",))
    assert language.seed_names("lily") == ("lily", "lilies")
    assert {"lily", "lilies"} <= set(language.speech_phrases())
    assert "lily" not in language.other_plants()  # once a seed kind, no longer an impossible request


def test_speech_phrases_hold_the_core_words():
    words = set(language.speech_phrases())
    core = {"plant", "sow", "water", "drink", "sprinkle", "harvest", "pick", "collect", "gather", "row", "column",
            "plot", "top", "bottom", "middle", "left", "right", "centre", "center", "corner", "diagonal", "side",
            "whole", "every", "all", "except", "but", "um", "uh", "please", "could", "you", "lets", "roe", "rho", "to",
            "too", "for", "won", "ate", "sun", "flowers", "daisys", "tu", "lips", "one", "thirty", "six", "first",
            "fifth", "sixth", "through", "then", "them", "again", "same", "tree"}
    assert core <= words, core - words
    for kind in tools.SEEDS:
        assert set(language.seed_names(kind)) <= words


def test_speech_phrases_are_single_lowercase_words_sorted_without_repeats():
    words = language.speech_phrases()
    assert words == sorted(set(words))
    assert all(re.fullmatch(r"[a-z]+", w) for w in words), [w for w in words if not re.fullmatch(r"[a-z]+", w)]


@pytest.mark.parametrize("said, numbers", [
    ("pluck plot number seven", [7]),
    ("could you plant all but beds numbered six ten twelve and fourteen with tulips", [6, 10, 12, 14]),
    ("alright so water the fourteenth spot", [14]),
    ("kindly stick one tulip into the twenty second patch", [22]),
    ("would you cut the eighth and tenth beds?", [8, 10]),
    ("kindly pluck plot no. 11.", [11]),
    ("Bring in the flowers from patch #3 and sow numbers 9, 4, 3 and 6 with rose seeds", [3, 9, 4, 6]),
    ("water every plot from 2 to 3", [2, 3]),
    ("sunflowers into spot 6 and one daisy into bed 8", [6, 8]),  # "one daisy" is a count
    ("daisies on numbers three thirteen and thirty won", [3, 13, 31]),  # as a recogniser writes 31
    ("gather number seven", [7]),
    # rows, columns and places in them are not plot numbers
    ("water rows numbered one and two and four", []),
    ("get some tulips going in columns numbered one and three", []),
    ("sow the first square within row 1 and the 2nd cell within row 3", []),
    ("a tulip in the first plot of the second row", []),
    ("the 3rd patch of the forth row needs sunflowers", []),
    ("let's sprinkle row two, bed three", []),
    ("row won column one could use a drink", []),
    ("how about daisies in r4 c2", []),
    ("bring in the flowers from the top row and the bottom one", []),
    ("harvest plot 3 then the 2nd row", [3]),
    ("plant sunflowers in the top row and water them", []),
])
def test_plot_numbers_said_are_the_numbers_that_name_plots(said, numbers):
    assert language.plot_numbers_said(said) == numbers
