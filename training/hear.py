"""Training commands as a real speech recogniser hears them: `python -m training.hear`.

The generator's transcripts (training/wording.py, `transcript`) imitate a recogniser with rules:
lowercase, number words, fillers, a table of homophones. What PocketSphinx really writes down is
messier, and no table predicts it: "the tile numbered one" comes out "numbered ones", "fill the
bottom row with tulips" as "the bottom row with tulips", "now give the diagonal some water" as "will
you the diagonal some water". This script speaks train-split commands with espeak-ng (a mix of
voices and speeds), runs them through the game's own PocketSphinx recogniser (the fallback engine a
player without a Vosk model uses), and writes the commands heard differently from what was said to
training/data/heard.jsonl, with the calls of what was said. `python -m training.generate` mixes that
file into the train split like the hand-written cases, so the model learns to get the command right
from what the recogniser wrote.

Left out: hearings that lost, changed or added a word the meaning hangs on (a number, a seed, a
place, "row", "except"...: "plot nine" heard as "plot five", "roses" lost, "a drink" heard as "and
eight"), that turned one action into another ("wet" heard as "collect") or lost it, or that changed
more than a third of the words: nothing in the text says what was meant, and training on them would
teach the model to guess. The test split is never spoken here (its commands are generated with its
own held-out phrasings), and a hearing that happens to say a held-out phrasing ("harvest" heard as
"pluck") or to equal a test command is dropped too.

    python -m training.hear --cases 3600 --seed 41        # ~19 min on 2 cores

A rerun writes nearly the same file, not always the same: like the game's, each worker's recogniser
keeps a running estimate of the microphone from the commands it heard before, and which worker
hears which command depends on timing.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import sys
import time
from collections import Counter
from pathlib import Path

from garden import language, tools
from garden.speech.wer import word_errors
from garden.speech.vocab import spoken_form, unmishear
from training import generate as gen
from training.phrasings import held_out_patterns, leaks

OUT = gen.DATA_DIR / "heard.jsonl"
# espeak-ng voices and speeds the commands are said in. They include the two the voice bench
# scores (en-us and en-us+klatt at 160 wpm), at other speeds and pitches too; the bench's
# commands are the test split's, which are never spoken here.
VOICES = ("en-us", "en-us+klatt", "en-us+klatt2", "en-us+klatt3", "en-us+m3", "en-us+f3", "en-gb", "en-us+m7")
SPEEDS = (140, 150, 160, 170, 185)
# Words that carry the command's meaning: numbers and ordinals, seeds and other plants, places, rows,
# columns and plots, what grows there, the words of set arithmetic, and of follow-ups. A hearing
# must keep every one that was said and add none. Words of one class count as one word (a plot
# "bed" heard as "spot" is still a plot; "them" heard as "it" still points back).
SAME = {**dict.fromkeys(language.PLOT_NOUNS, "plot"), **dict.fromkeys(("them", "those", "these", "it"), "them")}
KEY_WORDS = ({language.number_word(n) for n in range(1, 21)} | {language.ordinal_word(n) for n in range(1, 21)}
             | set(tools.SEEDS) | {w for plant in language.OTHER_PLANTS for w in plant.split()}
             | {w for p in language.POSITIONS for w in p.split()} | set(language.ROW_WORDS) | set(language.COLUMN_WORDS)
             | {"except", "but", "apart", "other", "excluding", "save", "all", "every", "each", "both", "rest", "whole"}
             | {"bloom", "blooming", "bloomed", "ripe", "unripe", "ready", "sprout", "sprouting", "sprouted",
                "unsprouted", "seedling", "shoot", "young", "growing", "empty", "free", "bare", "gap", "room",
                "fresh", "planted", "same", "again"}
             | set(SAME))


def key_word(word: str) -> str:
    """"daisies" -> "daisy", "ones" -> "one", "rows" -> "row", "beds" -> "plot": a key word as
    KEY_WORDS and SAME have it (other words come back as they are)."""
    if word.endswith("ies") and word[:-3] + "y" in KEY_WORDS:
        word = word[:-3] + "y"
    elif word.endswith("s") and word[:-1] in KEY_WORDS:
        word = word[:-1]
    return SAME.get(word, word)


# The words that say which action: a hearing must keep the actions said, in whatever words ("harvest"
# heard as "pluck" is kept, "wet all the plants" heard as "collect all the plants" is not).
ACTION_WORDS = {tool: set(verbs) for tool, verbs in language.VERBS.items()}
ACTION_WORDS["water_plots"] |= {"water", "drink"}
ACTION_WORDS["harvest_plots"] |= {"blooms", "flowers"}
SEEDS = set(tools.SEEDS)
MOST_WORD_ERRORS = 0.34  # of the words said: more than that and the hearing is mostly noise


def meaning_kept(said: str, heard: str) -> bool:
    """The key words said are the key words heard, as often; no action heard that was not said;
    and at most a third of the words changed."""
    def keys(text: str) -> Counter:
        return Counter(k for k in map(key_word, text.split()) if k in KEY_WORDS)

    def actions(text: str) -> set[str]:  # a seed named says "plant" on its own
        words = set(map(key_word, text.split()))
        return {tool for tool, verbs in ACTION_WORDS.items() if words & verbs} | ({"plant_seed"} if words & SEEDS else set())

    return (keys(said) == keys(heard) and actions(heard) == actions(said)
            and word_errors(said, heard) <= MOST_WORD_ERRORS * len(said.split()))


_recogniser = None  # one a worker process, kept between commands as the game keeps one


def _hear(job: tuple[int, str, str, int, int]) -> tuple[int, str, str]:
    """(index, words, voice, speed, pitch) -> (index, how it was said, what PocketSphinx heard)."""
    global _recogniser
    from garden.speech.audio import espeak
    from garden.speech.recognisers import PocketSphinxRecogniser

    if _recogniser is None:
        _recogniser = PocketSphinxRecogniser(remember=False)
    i, reference, voice, speed, pitch = job
    # transcribe: 0.3 s of silence either side, fed in 100 ms blocks as the microphone delivers them
    heard = _recogniser.transcribe(espeak(reference, voice=voice, speed=speed, pitch=pitch))
    return i, f"{voice} {speed} wpm pitch {pitch}", heard


def file_hearing(i: int, case: dict, voice: str, heard: str, kept: list[dict], counts: Counter, test: set[str],
                 held_out: dict) -> None:
    """Count the hearing of cases[i], and keep it as a training case if it passes."""
    said = unmishear(spoken_form(case["utterance"]))
    if heard == said:
        counts["heard as said"] += 1
    elif not heard:
        counts["heard nothing"] += 1
    elif not meaning_kept(said, heard):
        counts["a key word lost or changed (left out)"] += 1
    elif heard in test or leaks(heard, held_out):
        counts["a test command or held-out phrasing (left out)"] += 1
    else:
        counts["heard differently (kept)"] += 1
        kept.append({**{k: v for k, v in case.items() if k != "id"}, "id": f"heard-{i:05d}",
                     "utterance": heard, "said": said, "voice": voice})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.hear", description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=3600, help="train-split commands to speak")
    parser.add_argument("--seed", type=int, default=41, help="seed of the generated commands and of the voices")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    from garden.speech.audio import have_espeak
    if not have_espeak():
        print("error: espeak-ng is not installed (Debian/Ubuntu: sudo apt install espeak-ng).", file=sys.stderr)
        return 1

    rng = random.Random(f"garden-hear-{args.seed}")
    cases = gen.generate("train", args.cases, args.seed)
    test = {spoken_form(c["utterance"]) for c in gen.generate("test", 600, args.seed)}
    test_path = gen.DATA_DIR / "test.jsonl"
    if test_path.exists():
        test |= {spoken_form(c["utterance"]) for c in gen.load_cases(test_path)}
    held_out = held_out_patterns()
    jobs = []
    for i, case in enumerate(cases):
        reference = spoken_form(case["utterance"])
        if reference:
            jobs.append((i, reference, rng.choice(VOICES), rng.choice(SPEEDS), rng.choice((40, 50, 60))))

    from tqdm import tqdm

    from garden.speech.audio import AudioError
    from garden.speech.recognisers import RecogniserError
    heard_cases, counts, t0 = [], Counter(), time.time()
    try:
        with multiprocessing.get_context("spawn").Pool(args.workers) as pool:
            for i, voice, heard in tqdm(pool.imap_unordered(_hear, jobs, chunksize=4), total=len(jobs),
                                        desc="speaking and hearing", unit="cmd"):
                file_hearing(i, cases[i], voice, heard, heard_cases, counts, test, held_out)
    except (AudioError, RecogniserError) as exc:  # espeak-ng or PocketSphinx failed in a worker
        print(f"error: {exc}", file=sys.stderr)
        return 1
    heard_cases.sort(key=lambda c: c["id"])
    header = (f"# Train-split commands (training.generate seed {args.seed}) spoken by espeak-ng and written down by\n"
              f"# PocketSphinx, where it heard something else: `python -m training.hear --cases {args.cases} "
              f"--seed {args.seed}`.\n# \"said\" is what was spoken; \"calls\" are its calls. Mixed into the "
              f"train split by training.generate.\n")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(header + "".join(json.dumps(c, ensure_ascii=False) + "\n" for c in heard_cases), encoding="utf-8")
    print(f"{len(jobs)} commands spoken in {(time.time() - t0) / 60:.1f} min: "
          + ", ".join(f"{k} {v}" for k, v in counts.most_common()) + f" -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
