"""The `garden` command as a player or a developer runs it (real subprocesses)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_format import EXPECTED_SEARCH, EXPECTED_WEATHER, REFERENCE_SEARCH, REFERENCE_WEATHER

ROOT = Path(__file__).resolve().parents[1]


def garden(*args, stdin=None, env=None, timeout=120):
    return subprocess.run([sys.executable, "-m", "garden.cli", *args], input=stdin, capture_output=True, text=True,
                          cwd=ROOT, timeout=timeout, env={**os.environ, **(env or {})})


@pytest.mark.parametrize("reference,expected", [(REFERENCE_WEATHER, EXPECTED_WEATHER), (REFERENCE_SEARCH, EXPECTED_SEARCH)])
def test_garden_prompt_renders_the_official_references_byte_for_byte(tmp_path, reference, expected):
    messages, tools = tmp_path / "messages.json", tmp_path / "tools.json"
    messages.write_text(json.dumps(reference["messages"]))
    tools.write_text(json.dumps(reference["tools"]))
    proc = garden("prompt", "--messages", str(messages), "--tools", str(tools))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == expected


def test_garden_prompt_shows_the_garden_developer_turn_and_an_open_model_turn():
    proc = garden("prompt", "--rows", "4", "--cols", "5", "--utterance", "water plot 7", "--plot-form", "pair")
    assert proc.returncode == 0
    assert "4 rows and 5 columns" in proc.stdout
    assert proc.stdout.count("<start_function_declaration>") == 3
    assert proc.stdout.endswith("<start_of_turn>user\nGarden: all empty.\nwater plot 7\n"
                                "Plot numbers: 7 [2,2].<end_of_turn>\n<start_of_turn>model\n")
    # without the option, the prompt the installed adapter sees: plots written as it learnt to
    from garden.brain import adapters
    from garden.brain.models import DEFAULT_ADAPTER

    installed = adapters.plot_form(DEFAULT_ADAPTER if not adapters.problem(DEFAULT_ADAPTER) else None)
    seen = garden("prompt", "--rows", "4", "--cols", "5", "--utterance", "water plot 7").stdout
    assert seen.endswith({"pair": "7 [2,2].", "object": "7 {col:2,row:2}."}[installed] + "<end_of_turn>\n<start_of_turn>model\n")


CALLS = [
    "/call call:plant_seed{plots:[{col:1,row:1},{col:2,row:1}],seed:<escape>rose<escape>}",
    "/call call:water_plots{plots:[{col:1,row:1},{col:2,row:1}]}",
    '/call water_plots{plots:[{col:1,row:1},{col:2,row:1}]}',
    "/call call:harvest_plots{plots:[{col:1,row:1}]}",
    '/call call:plant_seed{plots:[{col:3,row:3}],seed:"daisy"}',
    "/call call:plant_seed{plots:[{col:3,row:3",
]


def test_console_json_runs_calls_and_prints_the_board_per_line():
    proc = garden("console", "--json", "--no-model", stdin="\n".join(CALLS) + "\n")
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(lines) == len(CALLS)
    assert [line["input"] for line in lines] == CALLS
    assert lines[0]["calls"] == [{"name": "plant_seed", "arguments": {
        "plots": [{"col": 1, "row": 1}, {"col": 2, "row": 1}], "seed": "rose"}}]
    assert lines[0]["results"][0]["status"] == "ok"
    board = lines[-1]["board"]
    assert board["basket"] == {"rose": 1}
    assert board["board"][0] == ["empty", "rose bloom", "empty"]
    assert board["board"][2][2] == "daisy seed"
    assert "position" in lines[-1]["error"]  # the unclosed call is explained, not executed


def test_the_console_board_names_the_order_in_english():
    """The text console's status line said "0/2 daisys"; the order's seed is now counted by the
    same plural the engine and the window use."""
    grow = "/call call:{}{{plots:[{{col:1,row:1}}]{}}}"
    script = [grow.format("plant_seed", ",seed:<escape>sunflower<escape>"), grow.format("water_plots", ""),
              grow.format("water_plots", ""), grow.format("harvest_plots", "")]
    proc = garden("console", "--no-model", stdin="\n".join(script) + "\n")
    orders = [line.split("order: ")[1] for line in proc.stdout.splitlines() if "order: " in line]
    assert orders == ["0/1 sunflower"] * 3 + ["0/2 daisies"], proc.stdout


def test_console_json_without_a_model_explains_natural_language_politely():
    proc = garden("console", "--json", "--no-model", stdin="plant roses everywhere\n/size 9 9\n/size 4 4\n")
    first, size_bad, size_ok = (json.loads(line) for line in proc.stdout.splitlines())
    assert first["calls"] == [] and "plain language" in first["reply"]
    assert "between" in size_bad["reply"]
    assert size_ok["board"]["rows"] == 4


def test_headless_play_runs_a_script_and_writes_the_screenshot(tmp_path):
    script = tmp_path / "script.txt"
    script.write_text("\n".join(CALLS[:4]) + "\n")
    shot = tmp_path / "shot.png"
    proc = garden("play", "--headless", "--no-model", "--script", str(script), "--screenshot", str(shot),
                  env={"SDL_VIDEODRIVER": "dummy"})
    assert proc.returncode == 0, proc.stderr
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "harvested" in proc.stdout


def test_a_bad_grid_size_is_one_clear_sentence():
    proc = garden("console", "--rows", "9", "--json", "--no-model", stdin="")
    assert proc.returncode == 2 and "between 2x2 and 6x6" in proc.stderr and "Traceback" not in proc.stderr


def test_eval_with_a_missing_cases_file_is_a_clear_error(tmp_path):
    proc = garden("eval", "--cases", str(tmp_path / "nope.jsonl"))
    assert proc.returncode == 2 and "No cases file" in proc.stderr and "Traceback" not in proc.stderr
    out = tmp_path / "no-such-folder" / "outcomes.jsonl"  # refused before the model loads
    proc = garden("eval", "--outcomes", str(out), "--limit", "1")
    assert proc.returncode == 2 and "cannot write" in proc.stderr and "Traceback" not in proc.stderr
    assert "model:" not in proc.stderr


def test_garden_train_passes_its_options_to_the_trainer():
    # Options first (`garden train --steps 10 ...`) is how the README and players call it.
    proc = garden("train", "--help")
    assert proc.returncode == 0 and "--init-adapter" in proc.stdout and "--resume" in proc.stdout
    proc = garden("train", "--steps", "ten")
    assert proc.returncode == 2 and "--steps" in proc.stderr and "Traceback" not in proc.stderr


def test_garden_train_help_explains_every_option_and_the_time_budget():
    """A tinkerer retraining on a laptop reads `garden train --help`: every option says what it does."""
    import re

    from training.train import Config

    text = " ".join(garden("train", "--help").stdout.split())
    for name in Config.__dataclass_fields__:
        option = "--" + name.replace("_", "-")
        said = re.search(re.escape(option) + r" [A-Z0-9_]+ (.{12})", text)
        assert said and not said.group(1).startswith(("--", "(default")), f"{option} has no help"
    assert "--max-minutes MAX_MINUTES the whole command" in text and "test scoring" in text
    assert "(default: 56.0)" in text and "(default: 700)" in text
