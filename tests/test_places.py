"""garden.places: the places a command names by their shape, read from the words for one grid."""

from garden.places import named_places


def names(text: str, rows: int = 3, cols: int = 3) -> list[tuple[str, str]]:
    """(name, plots as "col row" pairs) of each place read, in order."""
    return [(p.name, " ".join(f"{c}{r}" for r, c in p.plots)) for p in named_places(text, rows, cols)]


def test_lines_are_read_for_the_grid_they_are_on():
    assert names("water the middle row", 5, 5) == [("middle row", "13 23 33 43 53")]
    assert names("water the middle row", 4, 4) == []  # no single middle row: the model must say so
    assert names("plant daisies in the leftmost column") == [("left column", "11 12 13")]
    assert names("water the lowest row", 4, 3) == [("bottom row", "14 24 34")]
    assert names("put roses in the last column", 3, 5) == [("right column", "51 52 53")]
    assert names("put roses in the top row and the bottom one") == [("top and bottom rows", "11 21 31 13 23 33")]
    assert names("water rows 1 and 3", 4, 4) == [("rows 1 3", "11 21 31 41 13 23 33 43")]
    assert names("harvest the second and third columns", 2, 4) == [("columns 2 3", "21 31 22 32")]
    assert names("water row 5", 4, 4) == []  # not in this garden: the plot-number line and the model say so


def test_regions_are_read_with_the_words_players_use():
    assert names("plant tulips into each diagonal") == [("diagonals", "11 31 22 13 33")]
    assert names("water an x shape", 4, 4)[0][1] == "11 41 22 32 23 33 14 44"
    assert names("water the diagonal from the bottom left to the top right") == [("other diagonal", "31 22 13")]
    assert names("water the diagonal", 3, 4) == []  # a garden that is not square has no corner-to-corner diagonal
    assert names("water the rim of the garden") == [("border", "11 21 31 12 32 13 23 33")]
    assert names("spray the inner squares", 4, 3) == [("inside", "22 23")]
    assert names("harvest the corner at the top right", 5, 5) == [("top right corner", "51")]
    assert names("water the north west corner and the lower right one") == [
        ("top left corner", "11"), ("bottom right corner", "33")]
    assert names("water the corners", 2, 3) == [("corners", "11 31 12 32")]
    assert names("plant roses on the left and tulips on the right") == [("left side", "11 12 13"),
                                                                       ("right side", "31 32 33")]
    assert names("water the top half", 4, 2) == [("top half", "11 21 12 22")]
    assert names("water the middle plot of the bottom row", 5, 5) == [("bottom middle", "35")]
    assert names("water the very middle", 5, 5) == [("centre", "33")]


def test_what_a_recogniser_writes_is_read_as_meant():
    assert names("okay now give each spot in roe three and the central column a drink") == [
        ("row 3", "13 23 33"), ("middle column", "21 22 23")]
    assert names("um water the diagonal from from the bottom left to um the top right") == [
        ("other diagonal", "31 22 13")]
    assert names("reap the flowers from the hole garden but the lowest row") == [("all but bottom row",
                                                                                  "11 21 31 12 22 32")]
    assert names("and the first column too", 5, 5) == [("column 1", "11 12 13 14 15")]  # "too" is not two


def test_single_plots_by_coordinates_are_left_to_the_words():
    # the call writes them as said; only an "except" needs them listed
    assert names("water row 2 column 3") == []
    assert names("plant a rose in row too col won") == []
    assert names("harvest the first patch within row three") == []
    assert names("water everything but row 2 column 3") == [("all but row 2 column 3", "11 21 31 12 22 13 23 33")]


def test_an_except_lists_what_is_left():
    assert names("everything but the corners") == [("all but corners", "21 12 22 32 23")]
    assert names("water all but the bottom right corner", 4, 5) == [
        ("all but bottom right corner", "11 21 31 41 51 12 22 32 42 52 13 23 33 43 53 14 24 34 44")]
    assert names("plant all but beds numbered six ten twelve and fourteen", 4, 5) == [
        ("all but plots 6 10 12 14", "11 21 31 41 51 22 32 42 13 33 53 14 24 34 44 54")]
    assert names("water the top row except the corners") == [("top row but corners", "21")]
    assert names("give all cells save for cells 1, 2 and 9 some water") == [("all but plots 1 2 9",
                                                                            "31 12 22 32 13 23")]
    # "but" without a word for the whole garden is not an except
    assert names("water the top row but not too much") == [("top row", "11 21 31")]
    # an except ends with its clause: the next action's places are its own
    assert names("harvest everything except row 1 and then water row 1") == [
        ("all but row 1", "12 22 32 13 23 33"), ("row 1", "11 21 31")]


def test_every_place_read_from_a_generated_command_is_one_it_means():
    """Over generated commands of every category (held-out phrasings included), a place the
    reader lists never holds a plot the expected calls leave out: the line may say less than the
    answer (plot numbers have their own line), never something else."""
    from training import generate as gen

    cases = gen.generate("test", 600, seed=21) + gen.generate("train", 1500, seed=22)
    listed = 0
    for case in cases:
        if not case.get("calls"):
            continue  # chit-chat and things the game cannot do: a place named is still that place
        rows, cols = case["grid"]["rows"], case["grid"]["cols"]
        calls = [{(p["row"], p["col"]) for p in call["arguments"]["plots"]} for call in case["calls"]]
        for place in named_places(case["utterance"], rows, cols):
            listed += 1
            assert any(set(place.plots) <= plots for plots in calls), (case["utterance"], place, case["calls"])
    assert listed > 500
