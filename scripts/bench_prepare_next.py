"""Typed-command latency with and without ModelInterpreter.prepare_next, in one process, on the same
40 test-split cases over random planted boards: python scripts/bench_prepare_next.py"""
import json
import random
import time

from garden.brain.cases import load_cases, replay
from garden.brain.evaluate import percentile
from garden.brain.loader import load_interpreter
from training.categories import random_board
from training.targets import Grid

brain = load_interpreter(runtime="llama", progress=False)
rng = random.Random(4)
cases = rng.sample(load_cases("training/data/test.jsonl"), 40)
cold_ms, warm_ms, same = [], [], 0
for case in cases:
    garden, history = replay(case)
    for (r, c), (kind, stage) in random_board(rng, Grid(garden.rows, garden.cols)).items():
        if garden.plot(r, c).plant is None:
            garden.place(r, c, kind, stage)
    brain.model.truncate(0)
    brain.prepare_next(garden, history)  # warm the developer turn either way
    brain.model.truncate(0)
    t = time.perf_counter(); cold = brain.interpret(case["utterance"], garden, history); cold_ms.append((time.perf_counter() - t) * 1000)
    brain.model.truncate(0)
    brain.prepare_next(garden, history)
    t = time.perf_counter(); warm = brain.interpret(case["utterance"], garden, history); warm_ms.append((time.perf_counter() - t) * 1000)
    same += (cold.calls, cold.text) == (warm.calls, warm.text)
print(json.dumps({"cases": len(cases), "cold_p50": round(percentile(cold_ms, .5)), "cold_p95": round(percentile(cold_ms, .95)),
                  "next_p50": round(percentile(warm_ms, .5)), "next_p95": round(percentile(warm_ms, .95)),
                  "p50_ratio": round(percentile(cold_ms, .5) / percentile(warm_ms, .5), 2), "same_answers": same}))
