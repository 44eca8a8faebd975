"""`garden train --from-base`: the whole recipe from the base model, in one resumable command.

    garden train --from-base              # about 11 hours on 2 CPU cores; minutes on a CUDA GPU
    garden train --from-base --resume     # after Ctrl+C, a crash or a reboot: carries on where it stopped
    garden train --from-base --scale 0.01 # the same stages, 1% of the steps (a smoke test)

The stages distil the chain of runs behind the adapters shipped so far (docs/training-runs.md): a
long run from the base at a high learning rate, then continuations at 1e-4 on new seeds' data, each
leaning on different weak categories, and the means of their weights ("model soups"), which beat
every run on its own there. Each stage is one run of training/train.py (or training/average.py)
in the recipe's folder; recipe.json says which are done, so --resume skips them, and a stage cut
off midway resumes from its checkpoint. The candidates are scored on the validation split and the
best there is the recipe's adapter (the test split never chooses); it is then scored on the test
split and on a fresh sample, and report.json records the command, code commit and data hash.
It installs the result only when asked (`--install`); `garden train --rollback` undoes that.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path

from garden import tools
from training import train

# (name, what it starts from, its options). Steps at 4-5 s each on 2 CPU cores. A run records the
# stages it started with (recipe.json), so changing them here does not change a run being resumed.
# The base stage peaks at 3e-4: 1e-3 won a 22-minute race, but over this stage's 3,000 steps its loss
# stalled at twice 3e-4's and it scored 0.24 at step 500 (docs/retraining.md).
STAGES = [
    ("base", None, {"seed": 1, "steps": 3000, "lr": 3e-4, "warmup": 50}),
    ("lean-a", "base", {"seed": 2, "steps": 1200, "lr": 1e-4, "warmup": 10,
                        "weights": "everything=18,large_grid=24,speech=14"}),
    ("lean-b", "base", {"seed": 3, "steps": 1200, "lr": 1e-4, "warmup": 10,
                        "weights": "board_state=20,region=16,follow_up=15"}),
    ("soup", ("lean-a", "lean-b"), {}),
    ("polish", "soup", {"seed": 4, "steps": 420, "lr": 1e-4, "warmup": 10}),
    ("final-soup", ("soup", "polish"), {}),
]
CANDIDATES = ("lean-a", "lean-b", "soup", "polish", "final-soup")


def parse_args(argv):
    p = argparse.ArgumentParser(prog="garden train --from-base", description=__doc__.split("\n\n")[0])
    p.add_argument("--resume", action="store_true", help="continue the last recipe run")
    p.add_argument("--install", action="store_true", help="install the recipe's adapter at the end")
    p.add_argument("--scale", type=float, default=1.0, help="multiply every stage's steps (0.01: a smoke test)")
    p.add_argument("--threads", type=int, default=0, help="CPU threads for torch (0 = torch's default)")
    p.add_argument("--fresh-cases", type=int, default=180, help="size of the fresh sample scored at the end")
    p.add_argument("--val-limit", type=int, default=None, help="score candidates on only this many validation cases")
    p.add_argument("--plot-form", choices=tools.PLOT_FORMS, default=tools.PLOT_FORM,
                   help="how the model writes a plot: pair ([row,column]) or object ({col:1,row:1}, the older form)")
    p.add_argument("--test-limit", type=int, default=None, help="score only this many test cases")
    p.add_argument("--runs-dir", default=str(train.RUNS), help=argparse.SUPPRESS)
    p.add_argument("--cases-dir", default=str(train.REPO / "training" / "data"), help=argparse.SUPPRESS)
    p.add_argument("--test-cases", default=str(train.REPO / "training" / "data" / "test.jsonl"), help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv=None) -> int:
    opts = parse_args(sys.argv[1:] if argv is None else argv)
    runs = Path(opts.runs_dir)
    if opts.resume:
        folder = last_recipe_dir(runs)
        if folder is None:
            print("garden train: there is no recipe run to resume (`garden train --from-base` starts one).",
                  file=sys.stderr)
            return 1
        state = json.loads((folder / "recipe.json").read_text(encoding="utf-8"))
        print(f"Resuming the recipe in {folder}: {', '.join(state['done']) or 'no stage'} done.", file=sys.stderr)
    else:
        folder = train.new_run_dir("recipe", runs)
        state = {"command": "garden train --from-base " + " ".join(argv if argv is not None else sys.argv[1:]),
                 "options": {k: _portable(v) if k in PATHS else v for k, v in vars(opts).items()},
                 "commit": commit(), "started": time.time(), "done": [], "val": {}, "stages": STAGES}
        save(folder, state)
    # a run from before --plot-form trained on the object form, and carries on with it
    recorded = {"plot_form": tools.UNSAID_PLOT_FORM} | {k: _local(v) if k in PATHS else v for k, v in state["options"].items()}
    opts = argparse.Namespace(**(recorded | {"resume": opts.resume, "install": opts.install}))
    stages = run_stages(state)
    for name, start, options in stages:
        if name in state["done"]:
            continue
        print(f"Recipe stage {len(state['done']) + 1} of {len(stages)}: {name}", file=sys.stderr)
        code = run_stage(folder, name, start, options, opts, resume=(folder / name / "config.json").exists())
        if code != 0:
            return code
        state["done"].append(name)
        save(folder, state)
    return finish(folder, state, stages, opts)


# Paths in recipe.json are kept relative to the checkout when they are inside it, so a run carries on
# from another clone (a recipe run is committed between sittings: docs/retraining.md).
PATHS = ("runs_dir", "cases_dir", "test_cases")


def _portable(path: str) -> str:
    try:
        return str(Path(path).resolve().relative_to(train.REPO))
    except ValueError:
        return path


def _local(path: str) -> str:
    return str(train.REPO / path) if not Path(path).is_absolute() else path


def run_stages(state: dict) -> list:
    """The stages this run started with, as recipe.json recorded them: a run resumed after STAGES
    changed in the code carries on with its own, so no stage switches learning rate halfway."""
    recorded = state.get("stages", STAGES)
    return [(name, tuple(start) if isinstance(start, list) else start, dict(options))
            for name, start, options in recorded]


def last_recipe_dir(runs: Path) -> Path | None:
    """The newest recipe run: the last run when it is one, else the newest folder holding a recipe.json,
    so a plain `garden train` (or `garden train --resume`) started meanwhile does not hide it."""
    last = train.last_run_dir(runs)
    if last is not None and (last / "recipe.json").exists():
        return last
    found = sorted((f.parent for f in runs.glob("*/recipe.json")), key=lambda f: f.name)
    return found[-1] if found else None


def run_stage(folder: Path, name: str, start, options: dict, opts, resume: bool) -> int:
    if isinstance(start, tuple):  # a mean of two earlier stages
        from training import average

        return average.main([str(folder / s / "adapter") for s in start] + ["--out", str(folder / name / "adapter"),
                                                                            "--no-score"])
    steps = max(2, round(options["steps"] * opts.scale))
    args = ["--run-dir", str(folder / name), "--out", str(folder / name / "adapter"),
            "--data-dir", str(folder / name / "data"), "--cases-dir", opts.cases_dir,
            "--max-minutes", "0", "--no-test", "--eval-every", str(steps + 1), "--threads", str(opts.threads),
            "--steps", str(steps), "--seed", str(options["seed"]), "--lr", str(options["lr"]),
            "--warmup", str(min(options["warmup"], steps // 2)), "--weights", options.get("weights", ""),
            "--plot-form", opts.plot_form, "--resume-command", "garden train --from-base --resume"]
    if start:
        args += ["--init-adapter", str(folder / start / "adapter")]
    return train.main(["--resume", *args] if resume else args)


def finish(folder: Path, state: dict, stages: list, opts) -> int:
    """Choose on validation, then report the chosen adapter on the test split and a fresh sample."""
    import shutil

    from garden.brain.cases import load_cases
    from training import generate, retrain

    restore_stage_data(folder, stages, opts.cases_dir)
    val_file = folder / "base" / "data" / "val.jsonl"
    val = load_cases(val_file)[: opts.val_limit]
    for name in CANDIDATES:
        if name not in state["val"]:
            state["val"][name] = retrain.score(folder / name / "adapter", {"validation": val}, name)["validation"]
            save(folder, state)
    best = max(CANDIDATES, key=lambda n: (state["val"][n]["exact_match"], -CANDIDATES.index(n)))
    chosen = folder / "adapter"
    shutil.rmtree(chosen, ignore_errors=True)
    shutil.copytree(folder / best / "adapter", chosen)
    test = load_cases(opts.test_cases)[: opts.test_limit]
    seen = {c["utterance"] for c in test}
    for name, _, _ in stages:
        train_file = folder / name / "data" / "train.jsonl"
        if train_file.exists():
            seen |= {c["utterance"] for c in load_cases(train_file)}
    fresh = generate.generate("test", opts.fresh_cases, int(state["started"]) % 1_000_000, avoid=seen)
    generate.write_cases(folder / "fresh.jsonl", fresh)
    scores = retrain.score(chosen, {"test split": test, "fresh sample": fresh}, "chosen")
    if opts.test_limit is None:  # only a whole test split's score stands for the file
        retrain.cache_score(chosen, Path(opts.test_cases), scores["test split"])
    report = {"command": state["command"], "commit": state["commit"], "chosen": best, "chosen_on": "validation",
              "validation": {n: state["val"][n]["exact_match"] for n in CANDIDATES},
              "data_hash": data_hash(folder, stages), "stages": [list(map(str, s[:2])) + [s[2]] for s in stages],
              "scale": opts.scale, "test": scores["test split"], "fresh_sample": scores["fresh sample"],
              "total_wall_hours": round((time.time() - state["started"]) / 3600, 2),
              "stage_reports": {name: _report(folder / name / "adapter") for name, _, _ in stages}}
    (chosen / "report.json").write_text(json.dumps(report, indent=1), encoding="utf-8")
    print(f"\nThe recipe's adapter is {best} (best on validation: {state['val'][best]['exact_match']:.3f}); "
          f"test split {scores['test split']['exact_match']:.3f}, fresh sample "
          f"{scores['fresh sample']['exact_match']:.3f}. It is in {chosen}.")
    if opts.install:
        from garden.brain import adapters

        print(f"Installed it; the adapter before is kept in {adapters.install(chosen)} "
              "(`garden train --rollback` puts it back).")
    return 0


def _report(folder: Path) -> dict:
    try:
        report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    except OSError:
        return {}
    return {k: report.get(k) for k in ("steps", "train_wall_minutes", "data_hash", "averaged")}


def restore_stage_data(folder: Path, stages: list, cases_dir: str) -> None:
    """Generate again the data of finished stages that this checkout lacks. A run carried between
    clones is committed without its data (regenerated from the seed in seconds), but the end needs
    every stage's: the base stage's validation split chooses the adapter, and the fresh sample must
    avoid every utterance trained on. The stage adapter's data_hash says whether it is the same data."""
    from garden.brain.cases import load_cases

    for name, start, options in stages:
        data = folder / name / "data"
        if isinstance(start, tuple) or (data / "train.jsonl").exists():
            continue  # a mean trains on nothing; a stage with its data keeps it
        train.generate_data(data, options["seed"], options.get("weights", ""), cases_dir)
        trained_on = _report(folder / name / "adapter").get("data_hash")
        if trained_on and trained_on != train.data_hash(load_cases(data / "train.jsonl")):
            print(f"garden train: warning: stage {name}'s data, generated again, differs from what it was "
                  "trained on (the generator or training/data changed since); the fresh sample may share "
                  "utterances with its training data.", file=sys.stderr)


def data_hash(folder: Path, stages: list) -> str:
    digest = hashlib.sha256()
    for name, _, _ in stages:
        train_file = folder / name / "data" / "train.jsonl"
        if train_file.exists():
            digest.update(train_file.read_bytes())
    return digest.hexdigest()[:16]


def commit() -> str:
    done = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=train.REPO)
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True,
                           cwd=train.REPO).stdout.strip()
    return (done.stdout.strip() or "unknown") + ("+changes" if dirty else "")


def save(folder: Path, state: dict) -> None:
    tmp = folder / "recipe.json.tmp"
    tmp.write_text(json.dumps(state, indent=1), encoding="utf-8")
    tmp.replace(folder / "recipe.json")


if __name__ == "__main__":
    sys.exit(main())
