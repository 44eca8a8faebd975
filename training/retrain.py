"""`garden train`: teach the installed adapter what is new in training/data/, and install it only if it is better.

    garden train                 # learn the new cases in training/data/*.jsonl (30 minutes on 2 cores)
    garden train --resume        # continue the last run after Ctrl+C or a crash
    garden train --rollback      # go back to the adapter installed before
    garden train --from-base     # the whole recipe from the base model (training/recipe.py; hours)

Read it top to bottom: what is new, the time budget, the run, old against new, the install.

What is new: every hand-written case in training/data/*.jsonl (not the test split) whose hash the
installed adapter's garden-adapter.json does not list. The run continues the installed adapter on
a new seed's generated data (the replay of what it learnt before) with the new cases drawn often
(train.py's --focus-cases), for STEPS steps. That alone learns the new cases and forgets a little
elsewhere (pond-side example: new cases 0/12 -> 12/12, test split 567 -> 557 of 600), and the mean
of it and the installed adapter, a "model soup" like the shipped adapter itself, still lost 2-4
test cases. So the new adapter is the installed one moved the least way towards the continued run
(STEPS_TOWARDS_RUN) that still answers the new cases as well as the run does: the new words are a
small, specific change; the drift of the replay is spread over everything. Old and new are then
scored side by side on the test split, on a fresh sample drawn with a new seed, and on the new
cases; the new one is installed only if it is no worse on the first two (within TOLERANCE) and
better on the new cases. The run folder keeps everything: the adapters, their reports, the data,
the comparison.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import time
from pathlib import Path

from garden.brain import adapters
from garden.brain.models import DEFAULT_ADAPTER
from training import train

REPO = train.REPO
TEST_CASES = REPO / "training" / "data" / "test.jsonl"
MINUTES = 30.0  # the whole command, scoring included
STEPS = 120  # enough for a dozen new cases (12/12 after 106); more steps only drift further
FRESH_CASES = 300  # the fresh sample: a new seed's test-style cases (25 per category)
# "No worse": within half a point on the test split (3 of 600 cases) and the fresh sample (1 of 300):
# llama.cpp's near-ties alone move a score by a case or two between runs.
TOLERANCE = 0.005
SCORE_SETUP_SECONDS = 45  # converting an adapter for llama.cpp and loading it
SECONDS_PER_CASE = 0.55  # llama.cpp, 2 threads: 600 test cases in 4.9 min here (AMD EPYC)
COMPARISON = "comparison.json"


def parse_args(argv):
    loop = train.parser().format_help().split("options:", 1)[-1].split("\n", 2)[-1]  # less its usage and -h
    p = argparse.ArgumentParser(prog="garden train", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="options of the training loop (passed on to it; the defaults shown are its own, "
                                       f"where `garden train` itself uses a learning rate of 1e-4, 10 warmup steps and "
                                       f"{STEPS} steps):\n{loop}")
    p.add_argument("--install", dest="install", action="store_const", const=True, default=None,
                   help="install the new adapter whatever the scores say")
    p.add_argument("--no-install", dest="install", action="store_const", const=False,
                   help="never install it (it stays in its run folder)")
    p.add_argument("--minutes", type=float, default=MINUTES, help=f"the whole command's budget (default {MINUTES:.0f})")
    p.add_argument("--fresh-cases", type=int, default=FRESH_CASES,
                   help=f"size of the fresh sample (default {FRESH_CASES})")
    p.add_argument("--resume", action="store_true", help="continue the last run (training, then scoring)")
    p.add_argument("--rollback", action="store_true", help="go back to the adapter installed before the last install")
    p.add_argument("--from-base", action="store_true", help="run the whole recipe from the base (training/recipe.py)")
    p.add_argument("--installed", default=str(DEFAULT_ADAPTER), help=argparse.SUPPRESS)  # tests use their own
    p.add_argument("--test-cases", default=str(TEST_CASES), help=argparse.SUPPRESS)
    p.add_argument("--cases-dir", default=str(REPO / "training" / "data"), help=argparse.SUPPRESS)
    p.add_argument("--runs-dir", default=str(train.RUNS), help=argparse.SUPPRESS)
    return p.parse_known_args(argv)


def main(argv=None) -> int:
    opts, loop_args = parse_args(sys.argv[1:] if argv is None else argv)
    installed = Path(opts.installed)
    if opts.rollback:
        try:
            adapters.rollback(installed)
        except adapters.InstallError as exc:
            print(f"garden train: {exc}", file=sys.stderr)
            return 1
        print(f"The adapter installed before is back in {installed}; `garden train --rollback` again undoes this.")
        return 0
    missing = train.missing_extra()
    if missing:
        print(missing, file=sys.stderr)
        return 2
    if opts.from_base:
        from training import recipe

        return recipe.main(loop_args + (["--resume"] if opts.resume else []) + (["--install"] if opts.install else []))
    if opts.resume:
        return resume(opts, loop_args)
    return update(opts, loop_args, command=" ".join(["garden train", *(sys.argv[1:] if argv is None else argv)]))


# --- what is new --------------------------------------------------------------------------------

def new_cases(installed: Path, cases_dir: Path) -> tuple[list[dict], int]:
    """The hand-written cases the installed adapter has not learnt, and how many it has.
    A malformed line anywhere stops here, with its file, line and what is wrong."""
    from training import generate

    known = adapters.learnt_cases(installed)
    return [c for c in generate.handwritten(cases_dir) if adapters.case_hash(c) not in known], len(known)


# --- the run --------------------------------------------------------------------------------------

def update(opts, loop_args, command: str) -> int:
    from garden.brain.cases import CaseError, load_cases
    from training.generate import write_cases

    t0 = time.time()
    train.parser().parse_args(loop_args)  # a mistyped option is said now (and exits 2), not after minutes
    problem = adapters.problem(opts.installed)
    if problem:
        print(f"garden train: no adapter to update ({problem}) `garden train --from-base` makes one.", file=sys.stderr)
        return 2
    try:
        new, known = new_cases(Path(opts.installed), Path(opts.cases_dir))
        test = load_cases(opts.test_cases)
    except CaseError as exc:
        print(f"garden train: {exc}", file=sys.stderr)
        return 2
    if not new:
        print(f"Nothing new to learn: the installed adapter has learnt all {known} hand-written cases in "
              "training/data/. Add your own in a new training/data/*.jsonl file (see the README), then run "
              "`garden train` again.")
        return 0
    run = train.new_run_dir("update", Path(opts.runs_dir))
    write_cases(run / "new-cases.jsonl", new)
    seed = int(t0) % 1_000_000  # a new seed's data each run: replay that is not the same 6,000 cases again
    plan = {"command": command, "installed": opts.installed, "test_cases": opts.test_cases,
            "cases_dir": opts.cases_dir, "seed": seed, "fresh_seed": seed + 1, "fresh_cases": opts.fresh_cases,
            "install": opts.install, "minutes": opts.minutes, "loop_args": loop_args, "started": t0}
    (run / "plan.json").write_text(json.dumps(plan, indent=1), encoding="utf-8")
    print(f"{len(new)} new case{'s' if len(new) != 1 else ''} to learn (the installed adapter knows {known}); "
          f"run folder {run.relative_to(REPO) if run.is_relative_to(REPO) else run}.", file=sys.stderr)
    scoring = scoring_seconds(plan, len(test), len(new))
    train_minutes = opts.minutes - (time.time() - t0 + scoring) / 60
    print(f"Budget: {opts.minutes:.0f} min in all, {scoring / 60:.1f} of them for scoring old and new.",
          file=sys.stderr)
    code = train.main(training_args(run, plan, train_minutes))
    if code != 0:
        return code
    return compare_and_install(run, plan)


STEPS_TOWARDS_RUN = (0.25, 0.5)  # candidate shares of the continued run in the new adapter, smallest first


def soup(run: Path, plan: dict, new: list[dict]) -> tuple[Path, dict]:
    """The new adapter: the installed one moved the least way towards the continued run that still
    answers the new cases as well as the run does (see the docstring), and its score on them."""
    from training import average

    installed, continued = Path(plan["installed"]), run / "continued"
    target = score(continued, {"your new cases": new}, "continued")["your new cases"]
    best = None
    for share in STEPS_TOWARDS_RUN:
        folder = run / f"towards-{share}"
        if not (folder / "report.json").exists():
            report = average.average([installed, continued], folder, shares=[1 - share, share])
            (folder / "report.json").write_text(json.dumps(average.dedupe(report), indent=1), encoding="utf-8")
            average.write_card(folder, report)
        got = score(folder, {"your new cases": new}, f"{share:.0%} towards the run")["your new cases"]
        if best is None or got["exact_match"] > best[1]["exact_match"]:
            best = (folder, got, share)
        if got["exact_match"] >= target["exact_match"]:
            break
    folder, got, share = best
    print(f"The new adapter is the installed one moved {share:.0%} of the way to the continued run "
          f"(new cases: {got['exact_match']:.3f}, the run itself {target['exact_match']:.3f}).", file=sys.stderr)
    new_adapter = run / "adapter"
    shutil.rmtree(new_adapter, ignore_errors=True)
    shutil.copytree(folder, new_adapter)
    return new_adapter, {"share": share, "new_cases": got, "continued_new_cases": target}


def resume(opts, loop_args) -> int:
    run = train.last_run_dir(Path(opts.runs_dir))
    if run is not None and (run / "recipe.json").exists():
        from training import recipe

        return recipe.main(["--resume", "--runs-dir", opts.runs_dir, *loop_args])
    if run is None or not (run / "plan.json").exists():
        if run is not None and (run / train.CONFIG_FILE).exists():
            return train.main(["--resume", "--run-dir", str(run), *loop_args])  # a run of the training loop alone
        print("garden train: there is no run to resume.", file=sys.stderr)
        return 1
    plan = json.loads((run / "plan.json").read_text(encoding="utf-8"))
    if not (run / train.FINISHED).exists():
        code = train.main(["--resume", "--run-dir", str(run)])
        if code != 0:
            return code
    return compare_and_install(run, plan)


def scoring_seconds(plan: dict, n_test: int, n_new: int) -> float:
    """What scoring old and new will take: the old adapter's test-split score is cached with it."""
    old_test = 0 if cached_score(Path(plan["installed"]), Path(plan["test_cases"])) else n_test
    candidates = 1 + len(STEPS_TOWARDS_RUN)  # each scored on the new cases (soup)
    cases = n_test + old_test + 2 * plan["fresh_cases"] + (1 + candidates) * n_new
    return (1 + candidates) * SCORE_SETUP_SECONDS + SECONDS_PER_CASE * cases


def training_args(run: Path, plan: dict, minutes: float) -> list[str]:
    """Continue the installed adapter on a new seed's data, the new cases a sixth of the examples, for
    STEPS steps or as many as the minutes allow (the learning rate then follows the clock down).
    Options the player gave (--lr, --steps, ...) come last and win. The run writes plots as the installed
    adapter learnt to (its plot form): half an hour on new phrases is no time to learn another form."""
    return ["--run-dir", str(run), "--out", str(run / "continued"), "--data-dir", str(run / "data"),
            "--init-adapter", plan["installed"], "--plot-form", adapters.plot_form(plan["installed"]),
            "--focus-cases", str(run / "new-cases.jsonl"), "--cases-dir", plan["cases_dir"], "--seed", str(plan["seed"]),
            "--lr", "1e-4", "--warmup", "10", "--steps", str(STEPS), "--eval-every", "100000",
            "--max-minutes", f"{max(1.0, minutes):.2f}", "--no-test", *plan["loop_args"]]


# --- old against new ------------------------------------------------------------------------------

def answers_version() -> str:
    """Hash of the code that decides a model's answers (prompt, grammar, decoder, engine, words): a
    cached score counts only while it is the same."""
    root = REPO / "garden"
    digest = hashlib.sha256()
    for path in sorted([*root.glob("brain/*.py"), *root.glob("engine/*.py"), root / "tools.py", root / "language.py"]):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def score_key(adapter: Path, cases_file: Path) -> str:
    return "-".join([adapters.fingerprint(adapter), hashlib.sha256(cases_file.read_bytes()).hexdigest()[:16],
                     answers_version()])


def cached_score(adapter: Path, cases_file: Path) -> dict | None:
    try:
        scores = json.loads((adapter / "scores.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    return scores.get(score_key(adapter, cases_file))


def cache_score(adapter: Path, cases_file: Path, summary: dict) -> None:
    path = adapter / "scores.json"
    try:
        scores = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    except json.JSONDecodeError:
        scores = {}
    scores[score_key(adapter, cases_file)] = summary
    path.write_text(json.dumps(scores, indent=1), encoding="utf-8")


def score(adapter: Path, sets: dict[str, list[dict]], label: str) -> dict:
    """Each named case set scored with the adapter as the game runs it (llama.cpp when installed)."""
    from garden.brain.evaluate import evaluate, summary
    from garden.brain.loader import load_interpreter

    interpreter = load_interpreter(adapter=adapter, progress=False)
    out = {}
    for name, cases in sets.items():
        print(f"Scoring the {label} adapter on {name} ({len(cases)} cases) ...", file=sys.stderr)
        out[name] = summary(evaluate(interpreter, cases, progress=True))
    return out


def compare_and_install(run: Path, plan: dict) -> int:
    from garden.brain.cases import load_cases
    from training import generate

    installed, test_file = Path(plan["installed"]), Path(plan["test_cases"])
    test, new = load_cases(test_file), load_cases(run / "new-cases.jsonl")
    new_adapter, made = soup(run, plan, new)
    seen = {c["utterance"] for c in load_cases(run / "data" / "train.jsonl")} | {c["utterance"] for c in test}
    fresh = generate.generate("test", plan["fresh_cases"], plan["fresh_seed"], avoid=seen)
    generate.write_cases(run / "fresh.jsonl", fresh)

    old_sets = {"fresh sample": fresh, "your new cases": new}
    old_test = cached_score(installed, test_file)
    if old_test is None:
        old_sets = {"test split": test, **old_sets}
    old = score(installed, old_sets, "installed")
    if old_test is None:
        cache_score(installed, test_file, old["test split"])
    else:
        old = {"test split": old_test, **old}
    newer = score(new_adapter, {"test split": test, "fresh sample": fresh}, "new") | {"your new cases": made["new_cases"]}
    cache_score(new_adapter, test_file, newer["test split"])

    better, reason = verdict(old, newer)
    install = better if plan["install"] is None else plan["install"]
    table = comparison_table(old, newer)
    print("\n" + table + "\n")
    elapsed = (time.time() - plan["started"]) / 60
    record = {"old": old, "new": newer, "made": made, "better": better, "reason": reason, "installed": False,
              "total_wall_minutes": round(elapsed, 1), "fresh_seed": plan["fresh_seed"]}
    if install:
        try:
            previous = adapters.install(new_adapter, installed)
        except adapters.InstallError as exc:
            print(f"garden train: {exc}", file=sys.stderr)
            (run / COMPARISON).write_text(json.dumps(record, indent=1), encoding="utf-8")
            return 1
        record["installed"] = True
        forced = " (--install)" if plan["install"] and not better else ""
        print(f"Installed the new adapter{forced}: {reason} The one before is kept in {previous}; "
              "`garden train --rollback` puts it back.")
    else:
        forced = " (--no-install)" if plan["install"] is False else ""
        print(f"Kept the installed adapter{forced}: {reason} The new one stays in {new_adapter} "
              f"(try it with `garden play --adapter {new_adapter}`).")
    print(f"Took {elapsed:.1f} min in all.")
    (run / COMPARISON).write_text(json.dumps(record, indent=1), encoding="utf-8")
    (run / "comparison.md").write_text(table + "\n", encoding="utf-8")
    return 0


def verdict(old: dict, new: dict) -> tuple[bool, str]:
    """(install?, the reason in one sentence)."""
    def em(scores, name):
        return scores[name]["exact_match"]

    for name in ("test split", "fresh sample"):
        if em(new, name) < em(old, name) - TOLERANCE - 1e-9:
            return False, (f"it is worse on the {name} ({em(new, name):.3f} against {em(old, name):.3f}, "
                           f"more than {TOLERANCE * 100:.1f} points).")
    if em(new, "your new cases") <= em(old, "your new cases"):
        return False, (f"it is no better on your new cases ({em(new, 'your new cases'):.3f} against "
                       f"{em(old, 'your new cases'):.3f}).")
    return True, (f"it is better on your new cases ({em(new, 'your new cases'):.3f} against "
                  f"{em(old, 'your new cases'):.3f}) and no worse on the test split and the fresh sample.")


def comparison_table(old: dict, new: dict) -> str:
    lines = ["| cases | n | installed | new |", "|---|---|---|---|"]
    for name in new:
        n = new[name]["n"]
        a, b = old[name]["exact_match"], new[name]["exact_match"]
        lines.append(f"| {name} | {n} | {a:.3f} ({round(a * n)}/{n}) | {b:.3f} ({round(b * n)}/{n}) |")
    categories = sorted(set(new["test split"]["by_category"]) | set(old["test split"]["by_category"]))
    for cat in categories:
        a, b = old["test split"]["by_category"].get(cat), new["test split"]["by_category"].get(cat)
        lines.append(f"| test: {cat} | | {a if a is not None else '-'} | {b if b is not None else '-'} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
