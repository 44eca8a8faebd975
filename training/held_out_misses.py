"""Where a `garden eval` run's misses are: test commands that use a place phrasing held out of
training ("the lowest row", "each diagonal", "the rim of the garden", "every last plot", ...)
against the rest.

    garden eval --outcomes eval.jsonl && python -m training.held_out_misses eval.jsonl

(or the printed output of `garden eval`, whose FAIL lines name the misses).

The test split was written by an earlier version of the generator, so which held-out phrasings a
test case used is not recorded; this finds them in the text, from the `held_out` part of the
generator's place pools, matched as the leak checks match them (training/phrasings.py)."""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from garden.brain.cases import load_cases
from training import generate as gen
from training import pools
from training.phrasings import held_out_patterns, says

PLACE_POOLS = ("top", "bottom", "middle", "left", "right", "lines", "named pair", "named line", "row", "column",
               "side", "side where", "corner", "corners", "corner pair", "centre", "edge middle", "main diagonal",
               "anti diagonal", "both diagonals", "border", "inside", "everything", "everywhere")


def held_out_places() -> dict[str, re.Pattern]:
    """The held-out place phrasings, compiled once for the leak checks (training.phrasings)."""
    patterns = held_out_patterns()
    return {h: patterns[h] for name in PLACE_POOLS for h in pools.POOLS[name].held_out}


def read_misses(text: str) -> set[str]:
    """The ids of the missed cases, from `--outcomes` JSONL or from the FAIL lines of the printout."""
    if text.lstrip().startswith("{"):
        return {o["id"] for o in map(json.loads, filter(str.strip, text.splitlines())) if not o["ok"]}
    return set(re.findall(r"^FAIL (\S+) ", text, re.M))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("log", help="`garden eval --outcomes` JSONL, or the printed output of `garden eval`")
    parser.add_argument("--cases", default=str(gen.DATA_DIR / "test.jsonl"))
    args = parser.parse_args(argv)
    try:
        missed = read_misses(Path(args.log).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"error: cannot read {args.log}: {exc}", file=sys.stderr)
        return 2
    patterns = held_out_places()
    groups: dict[bool, list[tuple[dict, list[str]]]] = {True: [], False: []}
    for case in load_cases(args.cases):
        found = [h for h, p in patterns.items() if says(p, case["utterance"])]
        groups[bool(found)].append((case, found))
    for held, label in ((True, "with a held-out place phrasing"), (False, "without")):
        cases = groups[held]
        misses = [(c, f) for c, f in cases if c["id"] in missed]
        right = len(cases) - len(misses)
        print(f"{label}: {right} of {len(cases)} right ({right / max(1, len(cases)):.3f}), {len(misses)} misses")
        for case, found in misses if held else []:
            print(f"  {case['id']} [{case['category']}] {case['utterance']!r}: {', '.join(found)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
