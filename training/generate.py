"""Training and evaluation cases for the garden model, generated from the game's own definitions.

    python -m training.generate --out training/data/generated --train 6000 --val 300 --test 600 --seed 0

writes train.jsonl, val.jsonl and test.jsonl in the eval case format of garden/brain/cases.py. The
committed test split (the default cases file of `garden eval`) is the test.jsonl of a default run of an
earlier version of this file; it stays fixed so that every training run is scored on the same cases, while
training pools grow. Making a new one (and starting the run history afresh) is

    python -m training.generate && cp training/data/generated/test.jsonl training/data/test.jsonl

Seed kinds and tool names come from garden.tools and the words from garden.language, so a new seed
kind appears in the data without touching these files. Hand-written cases in training/data/*.jsonl
(all but test.jsonl) are added to the train split.

The parts: phrasing pools (training/pools.py), choosing words and how they are typed or heard
(training/wording.py), targets (training/targets.py), commands (training/actions.py), the categories
(training/categories.py), and here the splits and this command.

Why the test split is honest: every list of phrasings in training/pools.py is a Pool whose `held_out` part only the
test split may draw from (held-out verbs, fillers, homophones and whole sentence shapes), and every
test utterance contains at least one held-out phrasing. So no test utterance can appear in training,
whatever the seed or size of the training run.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from pathlib import Path

from garden import tools
from garden.brain.cases import CaseError, check_case, load_cases
from training.categories import CATEGORIES, Draft, TRAIN_WEIGHTS, draft_case
from training.targets import DEFAULT_GRID, Grid

DATA_DIR = Path(__file__).resolve().parent / "data"
SPLITS = ("train", "val", "test")
DEFAULT_SIZES = {"train": 6000, "val": 300, "test": 600}
MAX_WORDS = 24  # short utterances keep prompts (and CPU training) cheap; players talk in short bursts


# --- splits ------------------------------------------------------------------------------------------------------


def to_case(made: Draft, grid: Grid, category: str) -> dict:
    case = {"category": category, "grid": {"rows": grid.rows, "cols": grid.cols}}
    if made.board:
        case["board"] = {str(tools.plot_number(r, c, grid.cols)): f"{kind} {stage}"
                         for (r, c), (kind, stage) in sorted(made.board.items())}
    if made.history:
        case["history"] = made.history
    case.update(utterance=made.utterance, calls=made.calls)
    if made.reply:
        case["reply"] = made.reply
    return case


def problems(case: dict) -> list[str]:
    """Why a case is not a valid expectation (a bug in the generator if not empty)."""
    rows, cols = case["grid"]["rows"], case["grid"]["cols"]
    found = [] if tools.check_grid_size(rows, cols) is None else ["bad grid"]
    problem = check_case(case)
    if problem:
        found.append(problem)
    for calls in [case["calls"]] + [h["calls"] for h in case.get("history", [])]:
        for c in calls:
            found += tools.validate_call(c["name"], c["arguments"], rows, cols)
            spots = [(p["row"], p["col"]) for p in c["arguments"]["plots"]]
            if spots != sorted(set(spots)):
                found.append(f"plots not unique and in reading order: {spots}")
    return found


def key(case: dict) -> tuple:
    history = tuple(h["utterance"] for h in case.get("history", []))
    board = tuple(sorted((case.get("board") or {}).items()))
    return case["utterance"], case["grid"]["rows"], case["grid"]["cols"], history, board


def generate(split: str, count: int, seed: int, avoid: set[str] = frozenset(),
             balanced: bool | None = None, weights: dict[str, float] | None = None,
             categories: tuple[str, ...] = CATEGORIES) -> list[dict]:
    """`count` distinct cases of one split. `avoid`: utterances the split must not contain (the
    test split avoids every train utterance). Test is balanced over `categories`, the others weighted
    by TRAIN_WEIGHTS, or by `weights` where it names a category."""
    rng = random.Random(f"garden-{seed}-{split}")
    weights = TRAIN_WEIGHTS | (weights or {})
    balanced = split == "test" if balanced is None else balanced
    cases, keys = [], set()
    for i in range(count):
        category = categories[i % len(categories)] if balanced else rng.choices(
            list(weights), weights=list(weights.values()))[0]
        for _ in range(500):
            made, grid, say = draft_case(rng, split, category)
            if made is None or len(made.utterance.split()) > MAX_WORDS:
                continue
            if split == "test" and not say.novel:
                continue  # every test utterance says something training never heard
            case = to_case(made, grid, category)
            if key(case) in keys or case["utterance"] in avoid:
                continue
            found = problems(case)
            if found:
                raise AssertionError(f"generated an invalid case {case}: {found}")
            cases.append(case)
            keys.add(key(case))
            break
        else:
            raise RuntimeError(f"could not make a new {category} case for {split}; the pools are too small")
    rng.shuffle(cases)
    for i, case in enumerate(cases, 1):
        case["id"] = f"{split}-{i:05d}"
    return cases


def handwritten(data_dir: Path = DATA_DIR) -> list[dict]:
    """Cases people wrote by hand in data_dir/*.jsonl (never the test split), checked like generated ones."""
    cases = []
    for path in sorted(data_dir.glob("*.jsonl")):
        if path.name == "test.jsonl":
            continue
        for case in load_cases(path, check=_problems_in_default_grid):
            case.setdefault("grid", {"rows": DEFAULT_GRID.rows, "cols": DEFAULT_GRID.cols})
            cases.append(case)
    return cases


def _problems_in_default_grid(case: dict) -> str | None:
    found = problems({"grid": {"rows": DEFAULT_GRID.rows, "cols": DEFAULT_GRID.cols}} | case)
    return f"{case['utterance']!r}: {'; '.join(found)}." if found else None


def build_splits(train: int, val: int, test: int, seed: int, extra: list[dict] | None = None,
                 weights: dict[str, float] | None = None) -> dict[str, list[dict]]:
    """All three splits. `extra` (hand-written cases) joins train only; val and test avoid repeating train.
    `weights` changes the mix of the train split only (val keeps TRAIN_WEIGHTS, so runs compare)."""
    splits = {"train": generate("train", train, seed, weights=weights)}
    if extra:
        splits["train"] += extra
        random.Random(f"garden-{seed}-mix").shuffle(splits["train"])
    seen = {c["utterance"] for c in splits["train"]}
    splits["val"] = generate("val", val, seed, avoid=seen)
    splits["test"] = generate("test", test, seed, avoid=seen)
    return splits


def write_cases(path: Path, cases: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    order = ("id", "category", "grid", "board", "history", "utterance", "calls", "reply")
    lines = [json.dumps({k: c[k] for k in order if k in c} | {k: v for k, v in c.items() if k not in order},
                        ensure_ascii=False) for c in cases]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def parse_weights(text: str) -> dict[str, float]:
    """"large_grid=26,everything=16" -> {"large_grid": 26.0, "everything": 16.0}, or a CaseError that says why."""
    weights = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, _, value = item.partition("=")
        if name not in TRAIN_WEIGHTS:
            raise CaseError(f"--weights: no category {name!r}; the categories are {', '.join(TRAIN_WEIGHTS)}")
        try:
            weights[name] = float(value)
        except ValueError:
            raise CaseError(f"--weights: {item!r} is not CATEGORY=NUMBER") from None
        if weights[name] < 0:
            raise CaseError(f"--weights: {name}'s weight must not be negative")
    return weights


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.generate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DATA_DIR / "generated", help="folder for train/val/test.jsonl")
    for split in SPLITS:
        parser.add_argument(f"--{split}", type=int, default=DEFAULT_SIZES[split], help=f"{split} cases to generate")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-handwritten", action="store_true", help=f"leave out the cases in {DATA_DIR}/*.jsonl")
    parser.add_argument("--cases-dir", type=Path, default=DATA_DIR, help="where the hand-written *.jsonl files are")
    parser.add_argument("--weights", default="", metavar="CAT=W,...",
                        help="change the train split's category weights, e.g. large_grid=26,everything=16")
    args = parser.parse_args(argv)
    try:
        extra = [] if args.no_handwritten else handwritten(args.cases_dir)
        weights = parse_weights(args.weights)
    except CaseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    splits = build_splits(args.train, args.val, args.test, args.seed, extra, weights)
    for split, cases in splits.items():
        write_cases(args.out / f"{split}.jsonl", cases)
        counts = Counter(c.get("category", "-") for c in cases)
        print(f"{split}: {len(cases)} cases -> {args.out / f'{split}.jsonl'}  "
              + ", ".join(f"{k} {counts[k]}" for k in sorted(counts)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
