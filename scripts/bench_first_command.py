"""How well PocketSphinx hears a player's first command ever (no saved microphone estimate), in one
process: the old single live pass against the recogniser as shipped (PocketSphinxRecogniser.FIRST_LW:
a second pass at a heavier language-model weight), with a warmed-up estimate as the reference.

    python scripts/bench_first_command.py [--limit 20]

Each sample is a fresh estimate: test-split commands spoken by espeak-ng in three voices, each after
0.3, 0.6 and 0.9 s of lead-in silence (how long a player waits after pressing SPACE changes what the
live estimate has seen when the words begin). Prints exact sentences per mode and the time finish()
takes after the last audio (what the player waits for before the model starts).
"""
import argparse
import json
import time

from garden.brain.evaluate import percentile
from garden.speech import audio
from garden.voice_bench import CONDITIONS, load_bench_cases
from garden.speech.recognisers import PocketSphinxRecogniser

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--limit", type=int, default=20)
args = parser.parse_args()

cases, _ = load_bench_cases("training/data/test.jsonl", args.limit)
rec = PocketSphinxRecogniser(remember=False)
generic = rec.decoder.get_cmn()


def hear(pcm: bytes, cmn: str, first: bool) -> tuple[str, float]:
    """Decode as a microphone delivers (40 ms at a time) from estimate `cmn`; first: as a first command."""
    rec.decoder.set_cmn(cmn)
    rec.calibrated = not first
    if not first:
        rec.decoder.activate_search("garden")
    rec.start()
    for at in range(0, len(pcm), 1280):
        rec.accept(pcm[at:at + 1280])
    started = time.perf_counter()
    text = rec.finish()
    return text, (time.perf_counter() - started) * 1000


warm_up = audio.silence(0.5) + audio.espeak("water the plants in the middle column please") + audio.silence(0.7)
hear(warm_up, generic, first=False)
warmed = rec.decoder.get_cmn()
modes = {"one pass (before)": dict(cmn=generic, first=False), "first command (shipped)": dict(cmn=generic, first=True),
         "warmed estimate, one pass": dict(cmn=warmed, first=False)}
right = {mode: 0 for mode in modes}
waits = {mode: [] for mode in modes}
total = 0
for name in ("clean", "gb", "female"):
    condition = CONDITIONS[name]
    for case in cases:
        speech = audio.espeak(case["reference"], voice=condition.voice, speed=condition.speed, pitch=condition.pitch)
        for lead in (0.3, 0.6, 0.9):
            pcm = audio.silence(lead) + speech + audio.silence(0.7)
            total += 1
            for mode, how in modes.items():
                text, ms = hear(pcm, **how)
                right[mode] += text == case["reference"]
                waits[mode].append(ms)
print(json.dumps({"samples": total, **{mode: {"exact": right[mode], "finish_p50_ms": round(percentile(waits[mode], .5)),
                                               "finish_max_ms": round(max(waits[mode]))} for mode in modes}}, indent=1))
