"""The PyTorch fast path returns exactly what plain generate returns; the llama.cpp runtime, whose
arithmetic is not PyTorch's, the same but for a few near-ties (no timing here: CI does not time)."""

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from garden.brain import llamacpp, models
from garden.brain.cases import load_cases, replay

ROOT = Path(__file__).resolve().parents[1]
HAVE_ADAPTER = (models.DEFAULT_ADAPTER / "adapter_config.json").exists()
# llama.cpp's arithmetic (8-bit activations, a float16 KV cache) can tip a near-tie the other way:
# on the 16 sampled cases, adapters so far have had up to two such answers (a plot number read
# differently, a refusal instead of a call). More than two would be a runtime bug, not ties.
LLAMA_CHANGES_ALLOWED = 2


def _hint_tokens(brain, case: dict, garden) -> int:
    """Tokens of the lines that end a command's turn when its words name plots by number or by
    what grows in them (they depend on the words, so they cannot be prepared)."""
    from garden.brain import prompt

    lines = [prompt.plot_numbers_text(case["utterance"], garden.rows, garden.cols, brain.form),
             prompt.places_text(case["utterance"], garden.board(), garden.rows, garden.cols, brain.form)]
    return sum(len(brain.tokenizer.encode("\n" + line, add_special_tokens=False)) for line in lines if line)


needs_adapter = pytest.mark.skipif(not HAVE_ADAPTER, reason="no trained adapter in models/garden-adapter yet")


@pytest.fixture(scope="module")
def interpreters():
    import torch

    from garden.brain.interpret import ModelInterpreter

    loaded = models.load(progress=False)
    plain = ModelInterpreter(loaded, mode="plain")
    fast_fp32 = ModelInterpreter(loaded, mode="fast")
    torch.set_num_threads(2)
    return plain, fast_fp32


def _sample(n, seed=0):
    cases = load_cases(ROOT / "training" / "data" / "test.jsonl")
    return random.Random(seed).sample(cases, n)


_PLAIN_ANSWERS: dict = {}  # plain generate is the slow side (about 6 s a case): each case runs once a session


def _plain_answer(plain, case: dict):
    if case["id"] not in _PLAIN_ANSWERS:
        garden, history = replay(case)
        _PLAIN_ANSWERS[case["id"]] = plain.interpret(case["utterance"], garden, history)
    return _PLAIN_ANSWERS[case["id"]]


def _differences(plain, other, cases):
    """(utterance, plain's raw output, the other's) wherever calls or text differ."""
    found = []
    for case in cases:
        garden, history = replay(case)
        expected = _plain_answer(plain, case)
        got = other.interpret(case["utterance"], garden, history)
        if got.calls != expected.calls or got.text != expected.text:
            found.append((case["utterance"], expected.raw, got.raw))
    return found


@pytest.mark.slow
@needs_adapter
def test_fast_path_returns_the_same_calls_as_plain_generate(interpreters):
    """The decoding levers are exact: same weights, same calls and text. (Weight precision is
    another matter: `garden bench` scores bf16 and int8.)"""
    plain, fast_fp32 = interpreters
    differences = _differences(plain, fast_fp32, _sample(16))
    assert not differences, differences


@pytest.mark.slow
@needs_adapter
def test_fast_path_uses_fewer_forward_passes_than_tokens(interpreters):
    _, fast = interpreters
    case = next(c for c in _sample(60, seed=1) if c["calls"])
    garden, history = replay(case)
    meaning = fast.interpret(case["utterance"], garden, history)
    assert meaning.stats["forward_passes"] < meaning.stats["new_tokens"]
    assert meaning.stats["forced_tokens"] > 0


@pytest.mark.slow
@needs_adapter
def test_garden_bench_json_reports_every_requested_mode(tmp_path):
    cases = tmp_path / "cases.jsonl"
    cases.write_text("\n".join(json.dumps(c) for c in _sample(2, seed=2)) + "\n")
    # --against: the same adapter again under its folder's name, so old and new share one run
    proc = subprocess.run([sys.executable, "-m", "garden.cli", "bench", "--cases", str(cases), "--modes", "fast", "--json",
                           "--against", str(ROOT / "models" / "garden-adapter")],
                          capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["default"] == "fast"
    rows = {(m["mode"], m["adapter"]): m for m in report["modes"]}
    assert set(rows) == {("plain", "installed"), ("fast", "installed"), ("fast", "garden-adapter")}
    assert rows["plain", "installed"]["speedup"] == 1.0
    for m in rows.values():
        assert {"p50_ms", "p95_ms", "forward_passes", "peak_rss_mb", "exact_match", "speedup"} <= set(m)
    assert rows["fast", "installed"]["exact_match"] == rows["fast", "garden-adapter"]["exact_match"]


def test_garden_bench_against_a_folder_that_is_not_an_adapter_says_so(tmp_path, capsys):
    import argparse

    from garden.bench import main

    args = argparse.Namespace(modes="fast", no_adapter=False, adapter="default", against=str(tmp_path),
                              cases="unused", base="gemma3-270m", limit=None, json=False)
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "--against" in err and str(tmp_path) in err and "Traceback" not in err


def test_the_games_bench_times_what_the_game_does_with_a_typed_line():
    """`garden bench`'s game figure goes through the game's Session, so what the game does before
    and after the model is timed too: a question is answered from the board without the model, and
    "twice" is taken off before the model hears the command."""
    from garden.bench import game_latencies
    from tests.doubles import RecordingInterpreter

    brain = RecordingInterpreter()
    lines = ["plant sunflowers in the top row", "is plot 2 ready", "plant sunflowers in the top row twice"]
    latencies = game_latencies(brain, [{"utterance": line} for line in lines], typing="prepared")
    assert len(latencies) == 3 and all(ms >= 0 for ms in latencies)
    assert brain.heard == ["plant sunflowers in the top row", "plant sunflowers in the top row"]


@pytest.mark.slow
@needs_adapter
def test_speculative_guesses_save_passes_without_changing_the_answer(interpreters):
    """A repeated plot list ("... and water them") is guessed and checked in one pass."""
    from garden.brain.interpret import ModelInterpreter
    from garden.engine import Garden

    _, fast = interpreters
    no_spec = ModelInterpreter(fast.loaded, mode="fast")
    no_spec.levers -= {"spec", "lists"}  # "lists" would guess the top row from the places line too
    utterance = "plant roses in the top row and water them"
    with_spec, without = fast.interpret(utterance, Garden(), []), no_spec.interpret(utterance, Garden(), [])
    assert with_spec.calls == without.calls
    assert with_spec.stats["forward_passes"] < without.stats["forward_passes"], (with_spec.stats, without.stats)


@pytest.mark.slow
@needs_adapter
@pytest.mark.skipif(not llamacpp.available(), reason="llama-cpp-python is not installed")
def test_llama_cpp_drafts_the_places_lines_lists_without_changing_the_answer():
    """The game's runtime drafts only the plot lists of the command's own turn: "the middle row"
    of 5x5 is listed there, so once the answer begins it the rest is checked in one pass."""
    from garden.brain.loader import load_interpreter
    from garden.engine import Garden

    drafting = load_interpreter(runtime="llama", progress=False)
    assert "lists" in drafting.levers and "spec" not in drafting.levers
    with_lists = drafting.interpret("water the middle row", Garden(5, 5), [])
    drafting.levers.discard("lists")
    without = drafting.interpret("water the middle row", Garden(5, 5), [])
    assert with_lists.calls == without.calls
    assert [(p["row"], p["col"]) for p in with_lists.calls[0]["arguments"]["plots"]] == [(3, c) for c in range(1, 6)]
    assert with_lists.stats["forward_passes"] < without.stats["forward_passes"], (with_lists.stats, without.stats)


@pytest.mark.slow
@needs_adapter
@pytest.mark.skipif(not llamacpp.available(), reason="llama-cpp-python is not installed")
def test_llama_runtime_returns_the_calls_of_plain_generate_but_for_near_ties(interpreters):
    """The game's default runtime: llama.cpp on the GGUF as shipped (the weights PyTorch
    dequantises) with the adapter merged into it, against plain PyTorch generate with the
    merged adapter. Its arithmetic is not PyTorch's (8-bit activations in the quantised matrix
    products, a float16 KV cache), so this is where an answer could change."""
    from garden.brain.loader import load_interpreter

    plain, _ = interpreters
    fast = load_interpreter(runtime="llama", progress=False)
    assert fast.runtime == "llama"
    differences = _differences(plain, fast, _sample(16))
    assert len(differences) <= LLAMA_CHANGES_ALLOWED, differences


@pytest.mark.slow
@needs_adapter
@pytest.mark.skipif(not llamacpp.available(), reason="llama-cpp-python is not installed")
def test_the_merged_adapter_and_scoring_allowed_rows_only_keep_the_answers():
    """The game's two llama.cpp levers: the adapter merged into the weights (requantised to Q8_0)
    against llama.cpp applying it at run time; and scores for the allowed tokens only against
    llama.cpp's full logits (the same arithmetic: only exact ties could differ)."""
    from garden.brain.loader import load_interpreter

    merged = load_interpreter(runtime="llama", progress=False)
    applied = load_interpreter(runtime="llama", progress=False, merge=False)
    assert Path(merged.model.model_path).name.startswith("garden-merged-") and applied.model.adapter is not None
    cases = _sample(16, seed=3)
    assert len(_differences(applied, merged, cases)) <= LLAMA_CHANGES_ALLOWED
    full_logits = load_interpreter(runtime="llama", progress=False)
    full_logits.levers.discard("subset")
    # Scoring a gather of the allowed rows sums in another order than the full output matrix, so
    # only a near-tie can flip: with the adapter shipped 2026-12-07, "bring in the flowers from the
    # corner at the top right" (planting against harvesting, see the next test) flipped in one CI
    # run and not when run again alone.
    assert len(_differences(merged, full_logits, cases)) <= 1


@pytest.mark.slow
@needs_adapter
@pytest.mark.skipif(not llamacpp.available(), reason="llama-cpp-python is not installed")
def test_preparing_on_partial_transcripts_changes_no_answer_and_leaves_little_to_run():
    """Voice runs the prompt on each partial transcript while the player speaks; when speech ends
    only the last words are new. The answers must be those of a cold start, including when the
    recogniser revised a word ("the sun" -> "the sunflowers"). llama.cpp's arithmetic depends a little
    on how a prompt is split into passes (README, Speed), and prepared prompts are split word by word:
    with run 7's adapter one of these 8 answers, "bring in the flowers from the corner at the top
    right" (a phrasing training never saw), is a near-tie between planting and harvesting that the
    split flips. One such flip is allowed; the token accounting must hold for all."""
    from garden.brain.loader import load_interpreter

    brain = load_interpreter(runtime="llama", progress=False)
    cases = [c for c in _sample(40, seed=3) if len(c["utterance"].split()) >= 4][:8]
    assert len(cases) >= 6
    flipped = []
    for case in cases:
        words = case["utterance"].split()
        garden, history = replay(case)
        brain.model.truncate(0)  # cold: only the developer turns are cached
        cold = brain.interpret(case["utterance"], garden, history)
        brain.model.truncate(0)
        prepared = 0
        for n in range(1, len(words)):
            partial = words[:n] + (["sun"] if n == len(words) // 2 else [])  # a word heard wrong, then fixed
            prepared += brain.prepare(" ".join(partial), garden, history)
        warm = brain.interpret(case["utterance"], garden, history)
        if (warm.calls, warm.text) != (cold.calls, cold.text):
            flipped.append((case["utterance"], cold.calls, warm.calls))
        assert prepared > 0 and warm.stats["prepared_tokens"] == prepared
        # What is left: the last word or two, the plot-number line when the words name plots (it
        # follows them, so it can only be run once they are known) and the turn's closing tokens.
        line = _hint_tokens(brain, case, garden)
        assert warm.stats["prompt_tokens_run"] <= 10 + line < cold.stats["prompt_tokens_run"], (warm.stats, cold.stats)
    assert len(flipped) <= 1, flipped


@pytest.mark.slow
@needs_adapter
@pytest.mark.skipif(not llamacpp.available(), reason="llama-cpp-python is not installed")
def test_an_answer_decoded_before_speech_ends_is_used_only_for_the_same_words_and_board():
    """Once a partial transcript stops changing, voice decodes its answer early; the command then
    returns it without decoding, with the calls a cold start gives. Another text, the same text on
    another board, or a decode told to give way must not get it."""
    from garden.brain.loader import load_interpreter
    from garden.engine import Garden

    brain = load_interpreter(runtime="llama", progress=False)
    flipped = []
    for case in _sample(40, seed=7)[:4]:
        garden, history = replay(case)
        brain.model.truncate(0)
        cold = brain.interpret(case["utterance"], garden, history)
        brain.model.truncate(0)
        assert brain.prepare(case["utterance"], garden, history, answer=True) > 0
        early = brain.interpret(case["utterance"], garden, history)
        assert early.stats["answered_early"] and not cold.stats["answered_early"]
        if (early.calls, early.text) != (cold.calls, cold.text):
            flipped.append((case["utterance"], cold.calls, early.calls))
    assert len(flipped) <= 1, flipped

    garden = Garden()
    assert brain.prepare("water plot one", garden, [], answer=True) > 0
    other = brain.interpret("water plot two", garden, [])
    assert not other.stats["answered_early"]
    assert other.calls == [{"name": "water_plots", "arguments": {"plots": [{"row": 1, "col": 2}]}}]

    assert brain.prepare("water plot one", garden, [], answer=True) > 0
    garden.place(1, 1, "rose", "seed")  # the board line changes the prompt
    moved = brain.interpret("water plot one", garden, [])
    assert not moved.stats["answered_early"] and moved.calls[0]["name"] == "water_plots"

    brain.prepare("harvest plot three", garden, [], answer=True, give_way=lambda: True)  # stops at once
    assert not brain.interpret("harvest plot three", garden, []).stats["answered_early"]


@pytest.mark.slow
@needs_adapter
@pytest.mark.skipif(not llamacpp.available(), reason="llama-cpp-python is not installed")
def test_preparing_the_next_prompt_between_commands_leaves_only_the_words_to_run():
    """After a command the game runs the next prompt up to where its words go (history and the
    board line); the next command then runs little more than its own words, with a cold start's
    answer (one near-tie flip allowed, as above)."""
    from garden.brain.loader import load_interpreter

    brain = load_interpreter(runtime="llama", progress=False)
    cases = _sample(40, seed=5)[:6]
    flipped = []
    for case in cases:
        garden, history = replay(case)
        garden.place(1, 1, "rose", "bloom")  # a planted board makes the line longer than "all empty"
        brain.model.truncate(0)
        cold = brain.interpret(case["utterance"], garden, history)
        brain.model.truncate(0)
        prepared = brain.prepare_next(garden, history)
        warm = brain.interpret(case["utterance"], garden, history)
        if (warm.calls, warm.text) != (cold.calls, cold.text):
            flipped.append((case["utterance"], cold.calls, warm.calls))
        words = len(brain.tokenizer.encode(case["utterance"], add_special_tokens=False))
        assert prepared > 10 and warm.stats["prepared_tokens"] == prepared
        line = _hint_tokens(brain, case, garden)
        assert warm.stats["prompt_tokens_run"] <= words + line + 8 < cold.stats["prompt_tokens_run"], (warm.stats, cold.stats)
    assert len(flipped) <= 1, flipped


@pytest.mark.slow
@needs_adapter
@pytest.mark.skipif(not llamacpp.available(), reason="llama-cpp-python is not installed")
def test_a_plain_command_is_never_answered_with_a_false_claim_that_the_plot_is_missing():
    """The shipped adapter refused these test-split commands with "This garden has 3 rows and 3
    columns, so there is no plot 7"; the interpreter checks such a claim against the garden and
    decodes again with calls only, so the plot named is acted on."""
    from garden.brain.loader import load_interpreter
    from garden.engine import Garden
    from garden.session import Session

    brain = load_interpreter(runtime="llama", progress=False)
    for words, number in (("get some a tulip seed going in cell 7", 7), ("Water the seventh tile", 7)):
        turn = Session(Garden(), interpreter=brain).handle(words)
        assert turn.calls, (words, turn.raw, turn.reply)
        assert turn.calls[0]["arguments"]["plots"] == [{"row": (number - 1) // 3 + 1, "col": (number - 1) % 3 + 1}]
        if turn.rejected:
            assert "no " in turn.rejected and "rejected:" in "\n".join(turn.lines())
    outside = Session(Garden(), interpreter=brain).handle("water plot 12")
    assert not outside.calls and not outside.rejected, (outside.raw, outside.calls)
