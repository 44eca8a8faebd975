"""`garden bench`: latency of typed command -> executed calls, per decoding mode, in one run.

Each mode runs in its own worker process, so its peak resident memory and start-up time are its
own; the speed-up column compares every mode with the plain path measured in the same run.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import time

# mode name -> (decoding path, weight precision, runtime). The llama.cpp runtime runs the
# embedded Q4_K_M GGUF with the adapter merged into the matrices it changes (stored as Q8_0:
# "merged"), or applied by llama.cpp at run time ("q4_k_m+lora").
MODES = {
    "plain": ("plain", "fp32", "torch"),
    "cache": ("cache", "fp32", "torch"),
    "jump": ("jump", "fp32", "torch"),
    "subset": ("subset", "fp32", "torch"),
    "spec": ("spec", "fp32", "torch"),
    "fast-torch": ("fast", "fp32", "torch"),
    "fast-bf16": ("fast", "bf16", "torch"),
    "fast-int8": ("fast", "int8", "torch"),
    # llama.cpp with none of the levers: the whole prompt prefilled for every command, one token per
    # pass, all 262,144 logits each time, the grammar still applied. The anchor "plain llama.cpp".
    "llama-plain": ("none", "merged", "llama"),
    "fast-lora": ("fast", "q4_k_m+lora", "llama"),  # the adapter applied at run time, as before merging
    "fast": ("fast", "merged", "llama"),
}
DEFAULT_MODE = "fast"  # what the game uses: the llama.cpp runtime when installed, else "fast-torch"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import torch

    from garden.brain import llamacpp

    llama = ""
    if llamacpp.available():
        import llama_cpp

        llama = f", llama-cpp-python {llama_cpp.__version__} ({llamacpp.default_threads()} threads)"
    return (f"{cpu}, {os.cpu_count()} cores, torch {torch.__version__} ({torch.get_num_threads()} threads){llama}, "
            f"Python {platform.python_version()}")


def worker(mode: str, cases_path: str, limit: int | None, base: str, adapter) -> dict:
    """Load, warm up, run every case (its own board and history) through interpret + engine, then
    the game's typed commands through Session; report."""
    t0 = time.perf_counter()
    from garden.brain.cases import calls_match, load_cases, replay
    from garden.brain.evaluate import percentile
    from garden.brain.loader import load_interpreter

    path, precision, runtime = MODES[mode]
    interpreter = load_interpreter(base=base, adapter=adapter, mode="fast" if path == "none" else path, progress=False,
                                   runtime=runtime, precision=precision if runtime == "torch" else None,
                                   merge=precision == "merged")
    if path == "none":
        interpreter.levers.clear()
    cases = load_cases(cases_path)[:limit]
    from garden.brain.cases import grid_of

    interpreter.warm_up(3, 3)  # "ready": model loaded and the default grid's developer turn cached
    ready_s = time.perf_counter() - t0
    for rows, cols in sorted({grid_of(c) for c in cases}):
        interpreter.warm_up(rows, cols)
    latencies, passes, tokens, right = [], [], [], 0
    for case in cases:
        garden, history = replay(case)
        start = time.perf_counter()
        meaning = interpreter.interpret(case["utterance"], garden, history)
        for call in meaning.calls:  # "executed calls": the engine's work is part of the latency
            garden.apply(call["name"], call["arguments"])
        latencies.append((time.perf_counter() - start) * 1000)
        passes.append(meaning.stats.get("forward_passes", 0))
        tokens.append(meaning.stats.get("new_tokens", 0))
        right += calls_match(case["calls"], meaning.calls)
    game = {typing: game_latencies(interpreter, cases, typing) for typing in GAME_TYPING} if (
        runtime == "llama" and path == "fast") else {}
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    n = max(1, len(cases))
    return {"mode": mode, "path": path, "precision": precision, "runtime": runtime, "n": len(cases),
            **{f"game_{typing}_p50_ms": round(percentile(times, 0.5), 1) for typing, times in game.items() if times},
            "p50_ms": round(percentile(latencies, 0.5), 1), "p95_ms": round(percentile(latencies, 0.95), 1),
            "forward_passes": round(sum(passes) / n, 2), "tokens": round(sum(tokens) / n, 2),
            "peak_rss_mb": round(peak_kb / 1024, 1), "exact_match": round(right / n, 4),
            "ready_s": round(ready_s, 2)}


GAME_TYPING = ("prepared", "typed", "paused")


def adapter_name(adapter) -> str:
    """How a row names its adapter: "installed", "none" (the base zero-shot) or the folder's name."""
    if adapter in (None, "default"):
        return "none" if adapter is None else "installed"
    return os.path.basename(os.path.normpath(str(adapter)))


def game_latencies(interpreter, cases: list[dict], typing: str = "prepared") -> list[float]:
    """A typed command in the game: the cases' 3x3 words typed one after another into one
    garden (its plants and the last two exchanges carry over, as in play), each handled by the
    game's own Session after prepare_next, which the window runs while the player reads the last
    result. Milliseconds from Enter to the turn's end (the remark and question reader, repeats,
    the model, the engine). typing: "prepared" only that; "typed" also the prompt run on the words
    so far, word by word, as the window's worker does while the player types; "paused" also the
    answer decoded when typing stops before Enter (garden.ui.worker.TYPING_PAUSE_S)."""
    from garden.brain.cases import grid_of
    from garden.engine import Garden
    from garden.session import Session

    session, turns, latencies = Session(Garden(), interpreter), 0, []
    for case in cases:
        if grid_of(case) != (3, 3):
            continue
        if turns >= 8:  # a fresh garden now and then, so plots stay free to plant
            session, turns = Session(Garden(), interpreter), 0
        words = case["utterance"].split()
        session.prepare_next()
        if typing in ("typed", "paused"):
            for n in range(1, len(words) + 1):
                session.prepare(" ".join(words[:n]))
            if typing == "paused":
                session.prepare(" ".join(words), answer=True)
        start = time.perf_counter()
        session.handle(case["utterance"])
        latencies.append((time.perf_counter() - start) * 1000)
        turns += 1
    return latencies


def main(args) -> int:
    modes = args.modes.split(",") if args.modes else list(MODES)
    unknown = [m for m in modes if m not in MODES]
    if unknown:
        print(f"garden bench: unknown mode(s) {', '.join(unknown)}; choose from {', '.join(MODES)}", file=sys.stderr)
        return 2
    from garden.brain import llamacpp

    if not llamacpp.available():
        missing = [m for m in modes if MODES[m][2] == "llama"]
        if missing:
            print(f"bench: skipping {', '.join(missing)}: the llama.cpp runtime is not installed "
                  "(pip install 'garden[llama]')", file=sys.stderr)
            modes = [m for m in modes if m not in missing]
    if "plain" not in modes:
        modes.insert(0, "plain")  # the baseline every speed-up is measured against
    adapter = None if args.no_adapter else args.adapter
    runs = [(mode, adapter) for mode in modes]
    against = args.against
    if against:  # a second adapter, every mode but the baseline, in the same run
        from garden.brain import adapters

        found = adapters.problem(against)
        if found:
            print(f"garden bench: --against: {found}", file=sys.stderr)
            return 2
        runs += [(mode, against) for mode in modes if mode != "plain"]
    rows = []
    for mode, which in runs:
        name = adapter_name(which)
        label = mode if which == adapter else f"{mode} ({name})"
        print(f"bench: {label} ...", file=sys.stderr, flush=True)
        cmd = [sys.executable, "-m", "garden.bench", "--worker", mode, "--cases", args.cases,
               "--base", args.base, "--adapter", json.dumps(which)] + (["--limit", str(args.limit)] if args.limit else [])
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            print(f"bench: {label} failed:\n{proc.stderr[-2000:]}", file=sys.stderr)
            return 1
        rows.append({**json.loads(proc.stdout.strip().splitlines()[-1]), "adapter": name})
    plain = next(r for r in rows if r["mode"] == "plain")
    anchor = next((r for r in rows if r["mode"] == "llama-plain" and r["adapter"] == plain["adapter"]), None)
    for r in rows:
        r["speedup"] = round(plain["p50_ms"] / r["p50_ms"], 2) if r["p50_ms"] else None
        if anchor:  # against plain llama.cpp, measured in the same run
            r["speedup_llama"] = round(anchor["p50_ms"] / r["p50_ms"], 2) if r["p50_ms"] else None
    print(f"machine: {machine()}")
    print(f"cases: {args.cases} ({rows[0]['n']})")
    width = max(len(r["adapter"]) for r in rows)
    header = (f"{'mode':<11} {'adapter':<{width}} {'path':<7} {'runtime':<7} {'weights':<11} {'p50 ms':>8} {'p95 ms':>8} {'passes':>7} {'tokens':>7} "
              f"{'peak MB':>8} {'exact':>6} {'ready s':>7} {'speedup':>8} {'game p50':>8}"
              + (f" {'vs llama':>8}" if anchor else ""))
    print(header)
    print("-" * len(header))
    for r in rows:
        print(f"{r['mode']:<11} {r['adapter']:<{width}} {r['path']:<7} {r['runtime']:<7} {r['precision']:<11} {r['p50_ms']:>8.0f} {r['p95_ms']:>8.0f} "
              f"{r['forward_passes']:>7.1f} {r['tokens']:>7.1f} {r['peak_rss_mb']:>8.0f} {r['exact_match']:>6.3f} "
              f"{r['ready_s']:>7.1f} {r['speedup']:>7.2f}x " + (f"{r['game_prepared_p50_ms']:>8.0f}" if r.get("game_prepared_p50_ms") else f"{'-':>8}")
              + (f" {r['speedup_llama']:>7.2f}x" if anchor else ""))
    for r in rows:
        if r.get("game_typed_p50_ms"):
            print(f"{r['mode']} ({r['adapter']}): a command typed in the game, p50: next prompt prepared {r['game_prepared_p50_ms']:.0f} ms; "
                  f"also its words while typed {r['game_typed_p50_ms']:.0f} ms; also answered in a pause before Enter "
                  f"{r['game_paused_p50_ms']:.0f} ms")
    if args.json:
        default = DEFAULT_MODE if llamacpp.available() else "fast-torch"
        print(json.dumps({"default": default, "machine": machine(), "modes": rows}))
    return 0


if __name__ == "__main__":
    import argparse

    p = argparse.ArgumentParser()
    p.add_argument("--worker", required=True)
    p.add_argument("--cases", required=True)
    p.add_argument("--limit", type=int, default=None)
    p.add_argument("--base", default="gemma3-270m")
    p.add_argument("--adapter", default='"default"')
    a = p.parse_args()
    print(json.dumps(worker(a.worker, a.cases, a.limit, a.base, json.loads(a.adapter))))
