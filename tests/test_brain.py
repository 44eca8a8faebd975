"""The brain on real parts: the embedded base's tokenizer, a tiny random Gemma 3, the real model."""

import json
import re

import pytest

from garden import tools
from garden.brain import format as fg
from garden.brain import models
from garden.brain import prompt as garden_prompt
from garden.brain.interpret import ModelInterpreter, looks_english
from garden.engine import Garden
from garden.session import Session


@pytest.fixture(scope="session")
def base_dir():
    """The embedded base converted once (about a minute the first time, cached after)."""
    return models.convert_embedded(progress=False)


@pytest.fixture(scope="session")
def tokenizer(base_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(base_dir))


@pytest.mark.slow
def test_control_tokens_have_functiongemma_ids_on_the_embedded_base(tokenizer):
    assert models.check_control_tokens(tokenizer) == []
    text = fg.render_call("water_plots", {"plots": [{"row": 1, "col": 2}]})
    ids = tokenizer.encode(text, add_special_tokens=False)
    assert ids[0] == 48 and ids[-1] == 49 and 52 not in ids
    assert tokenizer.decode(ids) == text


def _tiny_gemma(tokenizer, seed):
    import torch
    from transformers import Gemma3ForCausalLM, Gemma3TextConfig

    torch.manual_seed(seed)
    config = Gemma3TextConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                              num_attention_heads=2, num_key_value_heads=1, head_dim=16, sliding_window=64,
                              max_position_embeddings=2048)
    return Gemma3ForCausalLM(config).eval()


@pytest.mark.slow
@pytest.mark.parametrize("rows,cols", [(2, 2), (3, 3), (5, 4), (6, 6)])
def test_constrained_decoding_of_a_random_model_only_produces_valid_calls(tokenizer, rows, cols):
    model = _tiny_gemma(tokenizer, seed=rows * 7 + cols)
    loaded = models.LoadedModel(model, tokenizer, "tiny-random")
    interpreter = ModelInterpreter(loaded, mode="fast", temperature=1.0, seed=rows + cols, allow_text=False,
                                   max_new_tokens=90)
    garden = Garden(rows=rows, cols=cols)
    seen = set()
    for i in range(12):
        meaning = interpreter.interpret(f"do something nice {i}", garden, [])
        assert meaning.error is None, meaning.raw
        assert meaning.calls, meaning.raw
        for call in meaning.calls:
            assert tools.validate_call(call["name"], call["arguments"], rows, cols) == [], meaning.raw
            seen.add(call["name"])
    assert len(seen) >= 2  # sampling really explores the grammar


@pytest.mark.slow
def test_random_model_with_text_allowed_gives_valid_calls_or_a_reply_within_the_budget(tokenizer):
    model = _tiny_gemma(tokenizer, seed=1)
    interpreter = ModelInterpreter(models.LoadedModel(model, tokenizer, "tiny-random"), mode="plain", temperature=0)
    meaning = interpreter.interpret("hello there", Garden(), [])
    assert meaning.error is None, meaning.raw
    assert meaning.calls or meaning.text, meaning.raw
    assert all(tools.validate_call(c["name"], c["arguments"], 3, 3) == [] for c in meaning.calls)
    assert meaning.stats["new_tokens"] <= interpreter.budget(3, 3)


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["cache", "subset"])
def test_prefix_cache_and_logit_subset_do_not_change_greedy_output(tokenizer, mode):
    """Exact levers: same tokens as plain generate even on a random model's near-ties.
    (Jump-forward is checked against plain on the trained adapter in test_fast.py.)"""
    model = _tiny_gemma(tokenizer, seed=3)
    loaded = models.LoadedModel(model, tokenizer, "tiny-random")
    lever = ModelInterpreter(loaded, mode=mode, allow_text=False, max_new_tokens=60)
    plain = ModelInterpreter(loaded, mode="plain", allow_text=False, max_new_tokens=60)
    for utterance in ["plant roses", "water plot 2", "harvest the top row"]:
        assert lever.interpret(utterance, Garden(), []).raw == plain.interpret(utterance, Garden(), []).raw


@pytest.mark.slow
@pytest.mark.parametrize("rows,cols", [(3, 3), (5, 5), (6, 6)])
def test_the_output_budget_fits_planting_and_watering_every_plot(tokenizer, rows, cols):
    # A fixed 160-token budget made the grammar close "water the whole garden" after 17 plots.
    interpreter = ModelInterpreter(models.LoadedModel(_tiny_gemma(tokenizer, seed=0), tokenizer, "tiny-random"))
    every = [{"row": r, "col": c} for r in range(1, rows + 1) for c in range(1, cols + 1)]
    target = garden_prompt.render_target([{"name": "plant_seed", "arguments": {"seed": "sunflower", "plots": every}},
                                          {"name": "water_plots", "arguments": {"plots": every}}])
    constraint = interpreter.constraint(rows, cols)
    for token in tokenizer.encode(target, add_special_tokens=False):
        assert token in constraint.allowed(), f"budget closed the output with {constraint.budget} tokens left"
        constraint.advance(token)
    assert constraint.done


@pytest.mark.parametrize("rows,cols", [(3, 3), (4, 5), (6, 6)])
def test_the_developer_turn_says_where_every_plot_number_is_as_a_call_writes_it(rows, cols):
    text = garden_prompt.developer_text(rows, cols)
    for r in range(1, rows + 1):
        for c in range(1, cols + 1):
            call = fg.render_call("water_plots", tools.to_model("water_plots", {"plots": [{"row": r, "col": c}]}))
            plot = call[call.index("[[") + 1:call.index("]]") + 1]  # the call's own spelling of the plot
            assert re.search(rf"[:;] {tools.plot_number(r, c, cols)} {re.escape(plot)}[;.]", text), (r, c)
    assert f" {rows * cols + 1} [" not in text


def test_non_english_and_empty_input_get_a_clear_reply_without_a_model():
    assert looks_english("plant roses in the top row")
    assert not looks_english("положи розы в верхний ряд")
    assert not looks_english("在上面一排种玫瑰")
    no_model = ModelInterpreter.__new__(ModelInterpreter)  # nothing loaded: touching a model would raise
    for said, reply in [("   ", "Say or type a garden command."),
                        ("положи розы в верхний ряд", "I only understand garden commands in English")]:
        meaning = no_model.interpret(said, Garden(), [])
        assert meaning.calls == [] and meaning.text.startswith(reply)


@pytest.mark.slow
def test_the_real_embedded_model_interprets_a_command_end_to_end():
    """Loads the real Gemma 3 270M (with the garden adapter when installed) and runs a command
    through the session into the engine."""
    from garden.brain.loader import load_interpreter

    interpreter = load_interpreter(progress=False)
    session = Session(Garden(), interpreter=interpreter)
    turn = session.handle("plant sunflowers in the top row")
    assert turn.error is None, turn.raw
    assert turn.raw
    for call in turn.calls:
        assert tools.validate_call(call["name"], call["arguments"], 3, 3) == []
    if interpreter.loaded.adapter:
        assert [c["name"] for c in turn.calls] == ["plant_seed"]
        assert turn.calls[0]["arguments"]["seed"] == "sunflower"
        assert {(p["row"], p["col"]) for p in turn.calls[0]["arguments"]["plots"]} == {(1, 1), (1, 2), (1, 3)}
        assert [p.plant for p in session.garden.plots[0]] == ["sunflower"] * 3
    reply = session.handle("what's the capital of France?")
    assert reply.error is None


@pytest.mark.slow
def test_the_shipped_adapter_answers_chit_chat_after_a_command_with_words_not_calls():
    """Found by playing: "what a lovely day" right after "now plant roses in the corners" made the
    fourth run's adapter plant the roses again (2 of these 16 right). The generator now writes
    chit-chat after commands into training; the committed test split predates that, so this
    checks it on hand-made cases (held-out chat lines after test-split commands)."""
    from pathlib import Path

    from garden.brain.cases import load_cases
    from garden.brain.evaluate import evaluate
    from garden.brain.loader import load_interpreter

    interpreter = load_interpreter(progress=False)
    if not interpreter.loaded.adapter:
        pytest.skip("no garden adapter installed")
    cases = load_cases(Path(__file__).parents[1] / "training" / "checks" / "chat_after_command.jsonl")
    report = evaluate(interpreter, cases)
    wrong = [(o["utterance"], o["got"]) for o in report["cases"] if not o["ok"]]
    assert len(wrong) <= 2, wrong


def test_the_last_user_turn_starts_with_what_grows_where_grouped_by_stage_and_kind():
    garden = Garden(rows=3, cols=4)
    assert "user\nGarden: all empty.\nwater plot 1" in ModelInterpreter.prompt_text("water plot 1", garden, [])
    garden.apply("plant_seed", {"seed": "rose", "plots": [{"row": 1, "col": 2}, {"row": 3, "col": 4}]})
    garden.apply("water_plots", {"plots": [{"row": 1, "col": 2}, {"row": 2, "col": 1}]})  # 5 is wet soil: empty
    text = ModelInterpreter.prompt_text("harvest the blooms", garden, [])
    assert "user\nGarden: sprout rose 2; seed rose 12; empty 1 3 4 5 6 7 8 9 10 11.\nharvest the blooms" in text
    garden.place(3, 1, "tulip", "bloom")
    garden.place(1, 4, "rose", "bloom")
    garden.place(2, 2, "tulip", "bloom")
    text = ModelInterpreter.prompt_text("harvest the blooms", garden, [])
    # blooms first, each kind's plots together in reading order; kinds in the order they first appear
    assert "user\nGarden: bloom rose 4, tulip 6 9; sprout rose 2; seed rose 12; empty 1 3 5 7 8 10 11.\n" in text
    for r in range(1, 4):
        for c in range(1, 5):
            garden.place(r, c, "daisy", "bloom")
    assert "user\nGarden: bloom daisy 1 2 3 4 5 6 7 8 9 10 11 12; none empty.\n" in ModelInterpreter.prompt_text("hi", garden, [])
    with pytest.raises(ValueError):
        garden.place(4, 1, "daisy", "bloom")


def test_eval_counts_what_the_answers_do_on_each_cases_board(capsys, tmp_path):
    """A wrong answer to "harvest the blooms" that also cuts a sprout shows up as a destroyed plant."""
    from garden.brain.evaluate import evaluate, print_report, write_outcomes
    from garden.session import Interpretation

    case = {"id": "b1", "category": "board_state", "board": {"1": "rose bloom", "2": "rose sprout"},
            "utterance": "harvest the blooms",
            "calls": [{"name": "harvest_plots", "arguments": {"plots": [{"row": 1, "col": 1}]}}]}

    class HarvestsTheTopRow:  # stands in for the model: always the same answer
        def interpret(self, utterance, garden, history):
            return Interpretation([{"name": "harvest_plots", "arguments": {
                "plots": [{"row": 1, "col": c} for c in (1, 2, 3)]}}], raw="", stats={})

    report = evaluate(HarvestsTheTopRow(), [case])
    assert report["exact_match"] == 0.0
    assert report["plot_outcomes"]["got"] == {"harvest_plots: destroyed": 1, "harvest_plots: empty": 1,
                                              "harvest_plots: harvested": 1}
    assert report["plot_outcomes"]["expected"] == {"harvest_plots: harvested": 1}
    print_report(report)
    assert "harvest_plots: destroyed 1 (0)" in capsys.readouterr().out
    write_outcomes(report, tmp_path / "outcomes.jsonl")  # `garden eval --outcomes`
    (line,) = (tmp_path / "outcomes.jsonl").read_text().splitlines()
    assert json.loads(line) | {"got": None} == {"id": "b1", "category": "board_state", "ok": False, "got": None,
                                                "utterance": "harvest the blooms", "expected": case["calls"], "raw": ""}


def test_a_refusal_is_found_false_only_when_the_garden_has_the_place_it_names():
    false = garden_prompt.outside_claim_is_false
    reply = garden_prompt.outside_reply
    # What the training data teaches for real outside places is never found false.
    assert not false(reply(3, 3, "plot 10"), 3, 3)
    assert not false(reply(4, 5, "row 5"), 4, 5)
    assert not false(reply(4, 5, "column 6"), 4, 5)
    assert not false(reply(3, 3, "row 2, column 4"), 3, 3)
    # The model's false refusals: a place the garden has, or the wrong size.
    assert false("This garden has 3 rows and 3 columns, so there is no plot 7.", 3, 3)
    assert false("This garden has 3 rows and 3 columns, so there is no tile 7.", 3, 3)
    assert false(reply(3, 3, "row 2, column 3"), 3, 3)
    assert false(reply(4, 4, "column 4"), 4, 4)
    assert false(reply(3, 3, "plot 12"), 4, 4)  # 16 plots, and not 3 x 3
    # A plot number the player said, read as a column: "cell 7" -> "no row 3, column 7".
    assert false(reply(3, 3, "row 3, column 7"), 3, 3, "get some a tulip seed going in cell 7")
    assert not false(reply(3, 3, "row 3, column 7"), 3, 3, "water row 3, column 7")
    assert not false(reply(3, 3, "row 3, column 12"), 3, 3, "water plot 12")
    # Other replies are not claims about the garden's places.
    assert not false("Sorry, I can't do that; I plant, water and harvest.", 3, 3)
    assert not false(garden_prompt.DEFAULT_REPLY, 3, 3)


def test_the_prompt_says_where_the_plots_a_command_numbers_are_on_this_grid():
    # 4 wide: plot 7 is row 2, column 3 (3-wide arithmetic would say row 3, column 1)
    text = garden_prompt.render_prompt(4, 4, [], "pluck plot number seven and tile 20")
    assert text.endswith("pluck plot number seven and tile 20\n"
                         "Plot numbers: 7 [2,3]; 20 not in this garden.<end_of_turn>\n<start_of_turn>model\n")
    assert garden_prompt.plot_numbers_text("plot 7", 3, 4) == "Plot numbers: 7 [2,3]."
    assert garden_prompt.plot_numbers_text("plot 7", 3, 3) == "Plot numbers: 7 [3,1]."
    # in reading order, the order the call must list them in, whatever order they were said in
    assert (garden_prompt.plot_numbers_text("plots numbered 8 and 3 and 12 and 5", 3, 3)
            == "Plot numbers: 3 [1,3]; 5 [2,2]; 8 [3,2]; 12 not in this garden.")
    # nothing is added to a command without plot numbers, and past turns stay as they were said
    text = garden_prompt.render_prompt(3, 3, [("water plot 1", [], [], None)], "water the top row")
    assert "Plot numbers" not in text


def test_the_prompt_says_where_the_plots_a_command_names_by_what_grows_are():
    board = [["rose bloom", "empty", "daisy seed"], ["empty", "daisy sprout", "wet soil"],
             ["rose seed", "empty", "daisy bloom"]]
    places = garden_prompt.places_text
    # each set named is one list in reading order, across kinds and stages: the answer to copy
    assert places("harvest the blooms", board, 3, 3) == "Places: bloom [1,1],[3,3]."
    assert places("water all the daisies", board, 3, 3) == (
        "Places: daisy [1,3],[2,2],[3,3]; daisy bloom [3,3].")
    assert places("water whatever isn't in bloom", board, 3, 3) == (
        "Places: bloom [1,1],[3,3]; growing [1,3],[2,2],[3,1].")
    # wet soil has no plant: it is empty
    assert places("plant roses in the gaps", board, 3, 3) == (
        "Places: empty [1,2],[2,1],[2,3],[3,2].")
    # a named set with nothing in it, and a new garden, are said in a word
    assert places("water the shoots", [["rose bloom", "empty"], ["empty", "empty"]], 2, 2) == "Places: sprout none."
    assert places("sow daisies wherever it's empty", None, 5, 5) == "Places: empty all."
    # a seed to plant is not a plant in the ground: "the top row" is named by its shape only
    assert places("plant roses in the top row", board, 3, 3) == (
        "Places: top row [1,1],[1,2],[1,3].")
    assert places("water plot 5", board, 3, 3) == ""
    assert places("pop daisy plants in them", board, 3, 3) == ""  # after a plant's name, what to plant
    text = garden_prompt.render_prompt(3, 3, [], "pick the ripe roses", board)
    assert text.endswith("pick the ripe roses\nPlaces: bloom [1,1],[3,3]; rose [1,1],"
                         "[3,1]; rose bloom [1,1].<end_of_turn>\n<start_of_turn>model\n")


def test_the_places_line_gives_a_board_command_its_plots_as_one_list():
    """Over generated board commands, held-out phrasings included, the plots the first call
    should touch are one of the places line's lists (or the line says every plot is empty)."""
    from garden.brain.cases import replay
    from training import generate as gen

    cases = gen.generate("test", 300, seed=11, categories=("board_state",))
    cases += gen.generate("train", 1000, seed=12, weights={"board_state": 1000})
    cases = [c for c in cases if c["category"] == "board_state" and c["calls"]]
    assert len(cases) > 800
    for case in cases:
        garden, _ = replay(case)
        line = garden_prompt.places_text(case["utterance"], garden.board(), garden.rows, garden.cols)
        plots = case["calls"][0]["arguments"]["plots"]
        want = garden_prompt.pairs((p["row"], p["col"]) for p in plots)
        lists = [part[part.find("["):] for part in line.removeprefix("Places: ").rstrip(".").split("; ")]
        assert "empty all" in line or want in lists, (case["utterance"], line)
