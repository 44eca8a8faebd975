import json
import re
from collections import Counter

import pytest

from garden import language, tools
from garden.brain.cases import check_case, load_cases, replay
from training import categories as cat
from training import generate as gen
from training import targets, wording
from training.phrasings import flat, held_out_patterns, leaks, normal, says, utterances

TEST_PER_CATEGORY = 20


@pytest.fixture(scope="module")
def splits():
    """Small splits without hand-written cases: big enough to touch every pool, quick to make."""
    return gen.build_splits(train=2500, val=60, test=TEST_PER_CATEGORY * len(cat.CATEGORIES), seed=7)


def all_cases(splits):
    return [c for cases in splits.values() for c in cases]


def test_every_generated_case_is_a_valid_eval_case_with_valid_calls(splits):
    for case in all_cases(splits):
        assert check_case(case) is None, case
        assert gen.problems(case) == [], case
        rows, cols = case["grid"]["rows"], case["grid"]["cols"]
        for call in case["calls"] + [c for h in case.get("history", []) for c in h["calls"]]:
            assert tools.validate_call(call["name"], call["arguments"], rows, cols) == []
        replay(case)  # the engine accepts the history


def test_plots_in_calls_are_unique_and_in_reading_order(splits):
    for case in all_cases(splits):
        for call in case["calls"]:
            spots = [(p["row"], p["col"]) for p in call["arguments"]["plots"]]
            assert spots and spots == sorted(set(spots)), case


def test_utterances_are_short_and_history_holds_at_most_two_exchanges(splits):
    for case in all_cases(splits):
        assert 1 <= len(case["utterance"].split()) <= gen.MAX_WORDS, case["utterance"]
        assert len(case.get("history", [])) <= 2


def test_no_call_cases_carry_a_friendly_reply(splits):
    no_calls = [c for c in all_cases(splits) if not c["calls"]]
    assert no_calls
    assert all(c["reply"].endswith((".", "!", "?")) for c in no_calls)


def test_the_same_seed_makes_the_same_cases_and_another_seed_does_not():
    assert gen.generate("train", 150, seed=1) == gen.generate("train", 150, seed=1)
    assert gen.generate("test", 60, seed=1) == gen.generate("test", 60, seed=1)
    assert gen.generate("train", 150, seed=1) != gen.generate("train", 150, seed=2)


def test_every_category_is_covered_and_the_test_split_is_balanced(splits):
    counts = Counter(c["category"] for c in splits["test"])
    assert set(counts) == set(cat.CATEGORIES)
    assert min(counts.values()) >= TEST_PER_CATEGORY
    assert set(Counter(c["category"] for c in splits["train"])) == set(cat.CATEGORIES)


def test_the_test_split_never_repeats_a_training_utterance(splits):
    train = {flat(u) for u in utterances(splits["train"])}
    assert not [c["utterance"] for c in splits["test"] if flat(c["utterance"]) in train]


def test_held_out_phrasings_never_reach_training(splits):
    patterns = held_out_patterns()
    assert len(patterns) > 100
    anything = re.compile("|".join(f"(?:{p.pattern})" for p in patterns.values()))  # one pass, then name the leak
    suspects = [u for u in utterances(splits["train"] + splits["val"]) if says(anything, u)]
    leaked = {(phrasing, u) for u in suspects for phrasing in leaks(u, patterns)}
    assert not leaked, sorted(leaked)[:10]


def test_every_test_utterance_says_something_training_never_saw(splits):
    patterns = held_out_patterns().values()
    plain = [c["utterance"] for c in splits["test"] if not any(says(p, c["utterance"]) for p in patterns)]
    assert not plain, plain[:10]


def test_held_out_phrasings_are_really_used_by_the_test_split():
    test = [c["utterance"] for c in gen.generate("test", 1100, seed=0)]
    unused = [ph for ph, p in held_out_patterns().items() if not any(says(p, u) for u in test)]
    # A few rare ones may miss a sample this size, but most must show up or holding them out means nothing.
    assert len(unused) <= len(held_out_patterns()) // 10, unused


def test_speech_cases_look_like_recogniser_output(splits):
    speech = [c for c in all_cases(splits) if c["category"] == "speech"]
    assert speech
    for case in speech:
        for text in utterances([case]):
            assert re.fullmatch(r"[a-z' ]+", text), text


def test_a_recogniser_limited_to_speech_phrases_can_hear_every_command(splits):
    vocabulary = set(language.speech_phrases())
    for case in all_cases(splits):
        if not case["calls"]:
            continue  # small talk may use any words
        words = {re.sub("[^a-z]", "", w) for w in flat(case["utterance"]).split() if not re.search(r"\d", w)}
        assert words - {""} <= vocabulary, (case["utterance"], words - vocabulary)


def test_tool_names_and_seed_kinds_come_from_the_tool_definition(splits):
    calls = [c for case in all_cases(splits) for c in case["calls"]]
    assert {c["name"] for c in calls} == set(tools.TOOL_NAMES)
    assert {c["arguments"]["seed"] for c in calls if "seed" in c["arguments"]} == set(tools.SEEDS)


def test_a_new_seed_kind_appears_in_the_data(monkeypatch):
    monkeypatch.setattr(tools, "SEEDS", tools.SEEDS + ("lily",))
    plant_schema = tools.tool_schema("plant_seed")
    monkeypatch.setitem(plant_schema["properties"]["seed"], "enum", list(tools.SEEDS))
    cases = gen.generate("train", 400, seed=0)
    lilies = [c for c in cases for call in c["calls"] if call["arguments"].get("seed") == "lily"]
    assert lilies and all(gen.problems(c) == [] for c in cases)
    assert any(re.search(r"\blil(y|ies)\b", c["utterance"].lower()) for c in lilies)
    assert "lilies" in cat.seeds_sentence()


def test_grids_are_mostly_three_by_three_and_others_are_large_grid_cases(splits):
    for case in all_cases(splits):
        square3 = (case["grid"]["rows"], case["grid"]["cols"]) == (3, 3)
        assert square3 == (case["category"] != "large_grid"), case
        assert tools.check_grid_size(case["grid"]["rows"], case["grid"]["cols"]) is None
    train = splits["train"]
    assert sum(c["category"] != "large_grid" for c in train) > 0.7 * len(train)


def test_the_command_line_writes_three_loadable_splits(tmp_path, capsys):
    assert gen.main(["--out", str(tmp_path), "--train", "60", "--val", "11", "--test", "22", "--seed", "4"]) == 0
    sizes = {split: len(load_cases(tmp_path / f"{split}.jsonl")) for split in gen.SPLITS}
    assert sizes["val"] == 11 and sizes["test"] == 22
    assert sizes["train"] == 60 + len(gen.handwritten())  # hand-written cases join train only
    assert "test: 22 cases" in capsys.readouterr().out


def test_weights_change_the_training_mix_only_and_bad_ones_are_refused(tmp_path, capsys):
    args = ["--train", "400", "--val", "30", "--test", "22", "--seed", "5", "--no-handwritten"]
    assert gen.main(["--out", str(tmp_path / "a"), *args]) == 0
    assert gen.main(["--out", str(tmp_path / "b"), *args, "--weights", "large_grid=80, everything=0"]) == 0
    a, b = ({s: load_cases(tmp_path / d / f"{s}.jsonl") for s in gen.SPLITS} for d in "ab")
    share = {d: sum(c["category"] == "large_grid" for c in s["train"]) / len(s["train"]) for d, s in zip("ab", (a, b))}
    assert share["b"] > 0.4 > 0.25 > share["a"]
    assert not any(c["category"] == "everything" for c in b["train"])
    assert Counter(c["category"] for c in a["test"]) == Counter(c["category"] for c in b["test"])  # still balanced
    for bad, why in (("roses=3", "no category 'roses'"), ("speech=lots", "is not CATEGORY=NUMBER"),
                     ("speech=-1", "must not be negative")):
        assert gen.main(["--out", str(tmp_path / "c"), *args, "--weights", bad]) == 1
        assert why in capsys.readouterr().err


def test_handwritten_cases_are_valid_and_keep_out_of_the_test_phrasings():
    cases = gen.handwritten()
    assert len(cases) >= 50
    assert all(check_case(c) is None and gen.problems(c) == [] for c in cases)
    patterns = held_out_patterns()
    leaked = [(ph, u) for u in utterances(cases) for ph in leaks(u, patterns)]
    assert not leaked, f"hand-written cases use phrasings held out for the test split: {leaked}"


def test_a_broken_handwritten_case_is_reported_in_one_sentence(tmp_path):
    outside = {"name": "water_plots", "arguments": {"plots": [{"row": 4, "col": 3}]}}
    bad = {"utterance": "water plot 12", "calls": [outside]}
    (tmp_path / "mine.jsonl").write_text(json.dumps(bad) + "\n")
    with pytest.raises(gen.CaseError, match="mine.jsonl.*outside the 3x3 garden"):
        gen.handwritten(tmp_path)


def test_the_committed_test_split_is_the_default_generated_one():
    committed = load_cases(gen.DATA_DIR / "test.jsonl")
    counts = Counter(c["category"] for c in committed)
    assert len(committed) == gen.DEFAULT_SIZES["test"] and min(counts.values()) >= 30
    assert all(gen.problems(c) == [] for c in committed)


def test_training_has_chit_chat_after_a_command_and_it_stays_a_text_reply():
    cases = gen.generate("train", 1500, seed=2)
    after = [c for c in cases if c["category"] == "no_call" and c.get("history")]
    assert len(after) >= 15, len(after)
    assert all(c["calls"] == [] and c["reply"] and c["history"][0]["calls"] for c in after)


def test_large_grid_training_leans_on_plot_numbers_whose_place_depends_on_the_width():
    assert set(cat.LARGE_GRID_BASES) == set(cat.BUILDERS)
    cases = [c for c in gen.generate("train", 3000, seed=3) if c["category"] == "large_grid"]
    numbered = [c for c in cases if c["grid"]["cols"] != 3 and len(c["calls"]) == 1
                and re.search(r"\b(plot|bed|patch|tile|spot|square|cell|number)s?\b", c["utterance"].lower())
                and not re.search(r"\b(row|column|col)\b", c["utterance"].lower())]
    assert len(numbered) > 0.28 * len(cases), (len(numbered), len(cases))


def test_board_state_cases_name_the_plots_whose_plants_fit_the_words(splits):
    """Run on the engine, a board-state command does what its words say to exactly the plots that
    fit: harvesting only blooms, watering only plants still growing, planting only empty plots."""
    cases = [c for cases in splits.values() for c in cases if c["category"] == "board_state"]
    assert len(cases) >= 100
    bare = [c for c in cases if not c.get("board")]  # said over a new, all-empty garden
    assert 0 < len(bare) < 0.3 * len(cases)
    planted_everywhere = [c for c in bare if c["calls"] and c["calls"][0]["name"] == "plant_seed"]
    assert planted_everywhere and all(
        len(c["calls"][0]["arguments"]["plots"]) == c["grid"]["rows"] * c["grid"]["cols"] for c in planted_everywhere)
    held = {"test": 0, "other": 0}
    for case in cases:
        garden, _ = replay(case)
        said = normal(case["utterance"])
        if not case["calls"]:
            assert case["reply"]
            continue
        first = case["calls"][0]
        result = garden.apply(first["name"], first["arguments"])
        outcomes = {p["outcome"] for p in result["plots"]}
        if first["name"] == "harvest_plots":
            assert outcomes == {"harvested"}, (said, result["message"])
        elif first["name"] == "plant_seed":
            assert result["status"] == "ok" or "locked" in result["message"], (said, result["message"])
        elif re.search(r"\b(seeds?|sprouts?|seedlings|shoots|growing|young|unripe|not|isn't|aren't)\b", said):
            assert outcomes == {"grew"}, (said, result["message"])
        held["test" if case["id"].startswith("test") else "other"] += 1
    assert held["test"] and held["other"]


def test_other_commands_are_also_said_over_planted_gardens_in_training_only(splits):
    boards = Counter(c["category"] for c in splits["train"] if c.get("board") and c["category"] != "board_state")
    assert sum(boards.values()) > 0.2 * len(splits["train"]) and len(boards) >= 8
    # In the test split only board-state commands have a board (also as speech or on large grids).
    assert {c["category"] for c in splits["test"] if c.get("board")} <= {"board_state", "speech", "large_grid"}


def test_a_case_board_is_checked_and_planted_before_the_history():
    case = {"utterance": "harvest the blooms", "calls": [], "board": {"2": "rose bloom", "4": "daisy seed"},
            "history": [{"utterance": "water plot 4", "calls": [
                {"name": "water_plots", "arguments": {"plots": [{"row": 2, "col": 1}]}}]}]}
    assert check_case(case) is None
    garden, _ = replay(case)
    assert garden.board()[0][1] == "rose bloom" and garden.board()[1][0] == "daisy sprout"
    assert "plot number" in check_case({**case, "board": {"10": "rose bloom"}})
    assert "no such plant" in check_case({**case, "board": {"1": "oak bloom"}})
    assert "no such plant" in check_case({**case, "board": {"1": "rose flowering"}})


def test_held_out_misses_finds_held_out_place_phrasings_only(tmp_path, capsys):
    from training import held_out_misses

    patterns = held_out_misses.held_out_places()
    found = lambda text: [h for h, p in patterns.items() if p.search(text)]  # noqa: E731
    assert found("water every plot except the lowest row") == ["lowest"]
    assert "every last {plot}" in found("give every last spot some water")
    assert found("water every plot except the bottom row") == []
    cases = tmp_path / "cases.jsonl"
    cases.write_text('{"id": "t1", "category": "x", "utterance": "water the lowest row", "calls": []}\n'
                     '{"id": "t2", "category": "x", "utterance": "water the bottom row", "calls": []}\n')
    log = tmp_path / "eval.log"
    log.write_text("FAIL t1 [x] 'water the lowest row'\n")
    assert held_out_misses.main([str(log), "--cases", str(cases)]) == 0
    out = capsys.readouterr().out
    assert "with a held-out place phrasing: 0 of 1 right (0.000), 1 misses" in out
    assert "without: 1 of 1 right (1.000), 0 misses" in out
    outcomes = tmp_path / "eval.jsonl"  # `garden eval --outcomes`: the same answer from the JSONL
    outcomes.write_text('{"id": "t1", "ok": false}\n{"id": "t2", "ok": true}\n')
    assert held_out_misses.main([str(outcomes), "--cases", str(cases)]) == 0
    assert "with a held-out place phrasing: 0 of 1 right (0.000), 1 misses" in capsys.readouterr().out
    assert held_out_misses.main([str(tmp_path / "missing.log")]) == 2


def test_sides_corners_and_halves_are_also_named_with_upper_lower_and_compass_words():
    """Found by playing: "water the lower right corner" watered the top right plot and "the north
    side" the whole garden. The generator now says these places in those words too, each meaning
    the same plots as its plain name."""
    import random

    g = targets.Grid(4, 4)
    said: dict[str, set] = {}
    rng = random.Random(3)
    for _ in range(600):
        say = wording.Say(rng, "train", spoken=False)
        for make in (targets.corner, targets.side, targets.half, targets.corner_pair):
            target = make(say, g)
            np = target.says() if callable(target.says) else target.says
            said.setdefault(np, set()).add(target.plots)
    meaning = {np: plots.pop() for np, plots in said.items() if len(plots) == 1}
    assert len(meaning) == len(said), "a phrase named two different sets of plots"
    top, bottom = {(1, c) for c in range(1, 5)}, {(4, c) for c in range(1, 5)}
    west = {(r, 1) for r in range(1, 5)}
    assert set(meaning["the lower right corner"]) == {(4, 4)}
    assert set(meaning["the north-west corner"]) == {(1, 1)}
    assert set(meaning["the upper left"]) == {(1, 1)}
    assert set(meaning["the north side"]) == top
    assert set(meaning["the west edge"]) == west
    assert set(meaning["the lower half"]) == {(r, c) for r in (3, 4) for c in range(1, 5)}
    assert set(meaning["both south corners"]) == {(4, 1), (4, 4)}
    assert bottom <= set(meaning["the south half"]) and not top & set(meaning["the south half"])
    # never a mix of styles, and the held-out frames keep the plain words
    assert not [np for np in meaning if re.search(r"\b(upper|lower)\b.*\b(east|west)\b|\b(north|south)\b.*\b(left|right)\b", np)]
