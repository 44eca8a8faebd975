"""`garden eval`: exact-match accuracy of an interpreter on a cases file."""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections import Counter

from garden.brain.cases import calls_match, load_cases, replay, show_calls


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def plot_outcomes(case: dict, calls: list[dict]) -> Counter:
    """What `calls` do on the case's board, plot by plot: Counter of the engine's outcomes
    ("harvested", "destroyed", "planted", "occupied", "grew", ...). Exact match says whether an
    answer is right; this says what a wrong one costs the player (a destroyed sprout, a planting
    refused)."""
    garden, _ = replay(case)
    counts: Counter = Counter()
    for call in calls:
        for plot in garden.apply(call.get("name"), call.get("arguments")).get("plots", []):
            counts[f"{call.get('name')}: {plot['outcome']}"] += 1
    return counts


def evaluate(interpreter, cases: list[dict], progress: bool = False) -> dict:
    """Run every case; returns the report with per-case outcomes under "cases"."""
    outcomes, latencies = [], []
    on_board: dict[str, Counter] = {"got": Counter(), "expected": Counter()}
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(cases), desc="eval", unit="case", file=sys.stderr, leave=False)
    for case in cases:
        garden, history = replay(case)
        t0 = time.perf_counter()
        meaning = interpreter.interpret(case["utterance"], garden, history)
        latencies.append((time.perf_counter() - t0) * 1000)
        ok = calls_match(case["calls"], meaning.calls)
        on_board["got"].update(plot_outcomes(case, meaning.calls))
        on_board["expected"].update(plot_outcomes(case, case["calls"]))
        outcomes.append({"id": case.get("id"), "category": case.get("category", "uncategorised"), "ok": ok,
                         "utterance": case["utterance"], "expected": case["calls"], "got": meaning.calls,
                         "raw": meaning.raw, "stats": meaning.stats})
        if bar:
            bar.update(1)
            bar.set_postfix(acc=f"{sum(o['ok'] for o in outcomes) / len(outcomes):.3f}")
    if bar:
        bar.close()
    by_cat: dict[str, list[bool]] = {}
    for o in outcomes:
        by_cat.setdefault(o["category"], []).append(o["ok"])
    n = len(outcomes)
    return {
        "n": n,
        "exact_match": round(sum(o["ok"] for o in outcomes) / n, 4) if n else 0.0,
        "by_category": {k: round(sum(v) / len(v), 4) for k, v in sorted(by_cat.items())},
        "latency_ms": {"p50": round(percentile(latencies, 0.5), 1), "p95": round(percentile(latencies, 0.95), 1),
                       "mean": round(statistics.fmean(latencies), 1) if latencies else 0.0},
        "plot_outcomes": {k: dict(sorted(v.items())) for k, v in on_board.items()},
        "cases": outcomes,
    }


def print_report(report: dict, show_failures: bool = True) -> None:
    if show_failures:
        for o in report["cases"]:
            if not o["ok"]:
                print(f"FAIL {o['id']} [{o['category']}] {o['utterance']!r}")
                print(f"  expected: {show_calls(o['expected'])}")
                print(f"  got:      {show_calls(o['got'])}")
                print(f"  raw:      {o['raw']}")
    print(f"exact match: {report['exact_match']:.3f} ({sum(o['ok'] for o in report['cases'])}/{report['n']})")
    for cat, acc in report["by_category"].items():
        count = sum(1 for o in report["cases"] if o["category"] == cat)
        print(f"  {cat:<16} {acc:.3f}  (n={count})")
    lat = report["latency_ms"]
    print(f"latency: p50 {lat['p50']:.0f} ms, p95 {lat['p95']:.0f} ms")
    got, expected = report["plot_outcomes"]["got"], report["plot_outcomes"]["expected"]
    print("on the board (right answers in brackets): " + ", ".join(
        f"{k} {got.get(k, 0)} ({expected.get(k, 0)})" for k in sorted(set(got) | set(expected))))


def write_outcomes(report: dict, path: str) -> None:
    """One JSON line per case, for tools that ask which cases were missed (training/held_out_misses.py)."""
    with open(path, "w", encoding="utf-8") as out:
        for o in report["cases"]:
            out.write(json.dumps({k: o[k] for k in ("id", "category", "ok", "utterance", "expected", "got", "raw")},
                                 ensure_ascii=False) + "\n")


def summary(report: dict) -> dict:
    return {k: report[k] for k in ("n", "exact_match", "by_category", "latency_ms", "plot_outcomes")}


def run_eval(args) -> int:
    from garden.brain.loader import load_interpreter

    try:
        cases = load_cases(args.cases)
    except ValueError as exc:
        print(f"garden eval: {exc}", file=sys.stderr)
        return 2
    if args.limit:
        cases = cases[: args.limit]
    outcomes_path = getattr(args, "outcomes", None)
    if outcomes_path:  # find out now, not after minutes of model runs, that the file cannot be written
        try:
            open(outcomes_path, "a", encoding="utf-8").close()
        except OSError as exc:
            print(f"garden eval: cannot write {outcomes_path}: {exc}", file=sys.stderr)
            return 2
    interpreter = load_interpreter(base=args.base, adapter=None if args.no_adapter else args.adapter, mode=args.mode,
                                   precision=args.precision, runtime=getattr(args, "runtime", "auto"))
    print(f"model: {interpreter.description}", file=sys.stderr)
    report = evaluate(interpreter, cases, progress=True)
    print_report(report, show_failures=not args.quiet)
    if outcomes_path:
        write_outcomes(report, outcomes_path)
    if args.json:
        print(json.dumps(summary(report)))
    return 0
