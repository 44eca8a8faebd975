"""Speech recognisers behind one small interface: 16 kHz mono int16 PCM in, text out.

    rec = open_recogniser()          # Vosk when a model is found, else PocketSphinx; rec.note says why
    rec.start()
    partial = rec.accept(pcm_bytes)  # call as audio arrives; returns the transcript so far
    text = rec.finish()              # the final transcript, e.g. "plant roses in the top row"

Transcripts come out the way the training data spells speech: lowercase words, in-word
apostrophes, numbers as words, no punctuation and no [unk] markers.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import math
import os
import re
import tempfile
import threading
from pathlib import Path
from typing import Callable

from garden.paths import data_dir
from garden.speech import audio, corpus, language_model, pronunciations, vocab

SAMPLE_RATE = 16000
VOSK_MODEL_NAME = "vosk-model-small-en-us-0.15"
FETCH_HINT = "`garden models fetch vosk` downloads one (40 MB)"


class RecogniserError(Exception):
    """A recogniser cannot start for a reason the player can fix: one clear sentence."""


_JUNK = re.compile(r"^(\[unk\]|<unk>|<s>|</s>|<sil>|\[noise\]|\+\+.*\+\+|\[.*\])$")


def clean_transcript(text: str) -> str:
    """Lowercase words separated by single spaces; recogniser markers and alternate-pronunciation
    suffixes ("two(2)") removed."""
    words = []
    for word in text.lower().split():
        word = re.sub(r"\(\d+\)$", "", word)
        if word and not _JUNK.match(word):
            words.append(word)
    return " ".join(words)


class Recogniser:
    name = "none"
    description = ""  # for the HUD and reports, e.g. "vosk (vosk-model-small-en-us-0.15, garden words)"
    note: str | None = None  # why this engine was chosen, when the player should know
    sample_rate = SAMPLE_RATE

    def start(self) -> None:
        raise NotImplementedError

    def accept(self, pcm: bytes) -> str:
        raise NotImplementedError

    def finish(self) -> str:
        raise NotImplementedError

    def transcribe(self, pcm: bytes, chunk_bytes: int = audio.BLOCK_BYTES, pad_seconds: float = 0.3) -> str:
        """A whole recording at once, fed in 100 ms chunks as a microphone would. Recordings often
        start on the first word; the padding gives the recogniser the lead-in a microphone would."""
        pad = bytes(2 * int(self.sample_rate * pad_seconds))
        pcm = pad + pcm + pad
        self.start()
        for i in range(0, len(pcm), chunk_bytes):
            self.accept(pcm[i:i + chunk_bytes])
        return self.finish()


# --- Vosk ------------------------------------------------------------------------------------

def vosk_search_dirs() -> list[Path]:
    """Folders that may hold Vosk models: VOSK_MODEL_PATH, ours in the data dir, then Vosk's own
    cache folders."""
    dirs = [data_dir() / "vosk", Path("/usr/share/vosk"), Path.home() / "AppData" / "Local" / "vosk",
            Path.home() / ".cache" / "vosk"]
    env = os.environ.get("VOSK_MODEL_PATH")
    return ([Path(env)] if env else []) + dirs


def is_vosk_model(path: Path) -> bool:
    return (path / "am" / "final.mdl").is_file() or (path / "final.mdl").is_file()


def find_vosk_model(explicit: str | Path | None = None) -> Path | None:
    """An explicit folder wins (checked when loaded). Else the first of vosk_search_dirs() that is a
    model or holds one: the model we fetch first, then any English one; in Vosk's shared cache
    folders, models in other languages are only used when named explicitly."""
    if explicit:
        return Path(explicit).expanduser()
    for folder in vosk_search_dirs():
        if is_vosk_model(folder):
            return folder
        try:
            children = sorted(p for p in folder.iterdir() if p.is_dir() and is_vosk_model(p))
        except OSError:  # missing or unreadable
            continue
        ours = _is_ours(folder)
        english = re.compile(r"vosk-model(-small)?-en-us")
        children.sort(key=lambda p: (p.name != VOSK_MODEL_NAME, not english.match(p.name), p.name))
        for child in children:
            if ours or english.match(child.name):
                return child
    return None


def _is_ours(folder: Path) -> bool:
    """The garden's own data folder, or the folder VOSK_MODEL_PATH names: any model there is wanted."""
    env = os.environ.get("VOSK_MODEL_PATH")
    return folder == data_dir() / "vosk" or (env is not None and folder == Path(env))


_models: dict[Path, object] = {}
_models_lock = threading.Lock()


def load_vosk_model(path: str | Path):
    """vosk.Model from a folder, cached per folder. Only ever by path: Model(lang=...) goes to the
    network and can sys.exit. Every failure becomes a RecogniserError."""
    path = Path(path).expanduser().resolve()
    with _models_lock:
        if path in _models:
            return _models[path]
        if not path.exists():
            raise RecogniserError(f"There is no Vosk model at {path}; {FETCH_HINT}.")
        if not is_vosk_model(path):
            raise RecogniserError(f"{path} is not a Vosk model folder (it has no am/final.mdl); "
                                  f"point --vosk-model at the unpacked model, or {FETCH_HINT}.")
        try:
            import vosk
        except (ImportError, OSError) as exc:
            raise RecogniserError(f"The vosk package is not usable ({exc}); pip install vosk.") from exc
        vosk.SetLogLevel(-1)
        try:
            model = vosk.Model(model_path=str(path))
        except Exception as exc:  # vosk raises a bare Exception("Failed to create a model")
            raise RecogniserError(f"The Vosk model at {path} could not be loaded (incomplete or corrupt?); "
                                  f"delete it and run `garden models fetch vosk`.") from exc
        _models[path] = model
        return model


def vosk_has_word(model, word: str) -> bool:
    find = getattr(model, "find_word", None) or model.vosk_model_find_word
    return find(word) >= 0


class VoskRecogniser(Recogniser):
    name = "vosk"

    def __init__(self, model_path: str | Path, open_vocabulary: bool = False, words: list[str] | None = None,
                 sample_rate: int = SAMPLE_RATE):
        import vosk

        self.model_path = Path(model_path)
        self.model = load_vosk_model(model_path)
        self.sample_rate = sample_rate
        self.phrases: list[str] | None = None
        self.dropped: list[str] = []
        kind = "open vocabulary"
        if not open_vocabulary:
            phrases, self.dropped = vocab.vosk_phrases(lambda w: vosk_has_word(self.model, w), words)
            if any(p != vocab.UNK for p in phrases):
                self.phrases, kind = phrases, "garden words"
            else:
                self.note = (f"the Vosk model at {self.model_path} knows none of the garden's words (is it English?); "
                             "listening with its open vocabulary")
        try:
            if self.phrases is None:
                self.recognizer = vosk.KaldiRecognizer(self.model, sample_rate)
            else:
                self.recognizer = vosk.KaldiRecognizer(self.model, sample_rate,
                                                       json.dumps(self.phrases, ensure_ascii=False))
        except Exception as exc:
            raise RecogniserError(f"Vosk could not start a recogniser with the model at {self.model_path} ({exc}).") from exc
        self.description = f"vosk ({self.model_path.name}, {kind})"
        self._segments: list[str] = []

    def start(self) -> None:
        self.recognizer.Reset()
        self._segments = []

    def accept(self, pcm: bytes) -> str:
        if not pcm:
            return self._joined("")
        if self.recognizer.AcceptWaveform(pcm):  # an endpoint: Vosk closes a segment
            self._segments.append(json.loads(self.recognizer.Result()).get("text", ""))
            return self._joined("")
        return self._joined(json.loads(self.recognizer.PartialResult()).get("partial", ""))

    def finish(self) -> str:
        self._segments.append(json.loads(self.recognizer.FinalResult()).get("text", ""))
        text = self._joined("")
        self._segments = []
        return text

    def _joined(self, partial: str) -> str:
        return clean_transcript(" ".join([*self._segments, partial]))


# --- PocketSphinx ----------------------------------------------------------------------------

_arpa_lock = threading.Lock()
_arpa_texts: dict[str, str] = {}  # per process, for when the data folder changes (tests)
LM_SENTENCES = 60000


BUILD_NOTE = "building the garden's speech model (the first time only, about 15 seconds)…"


def arpa_key() -> str:
    """Names the language model's recipe: the grammar, the vocabulary, the misheard forms it writes
    back, the training sentences, corpus.SAID_ALSO and the repeat counts said (corpus.repeated)."""
    recipe = json.dumps([corpus.grammar(), vocab.recogniser_words(), vocab.misheard_forms(), LM_SENTENCES, 2,
                         corpus.training_sentences(), corpus.SAID_ALSO, corpus.REPEAT_SAID, corpus.REPEATED_EVERY])
    return hashlib.sha1(recipe.encode()).hexdigest()[:12]


def garden_arpa_file(announce: Callable[[str], None] | None = None) -> Path:
    """The garden language model as an ARPA file: sentences sampled from the command grammar plus
    the training generator's sentences (corpus.training_sentences), and those again in the other
    words players use for some (corpus.said_also), and waterings with a repeat count
    (corpus.repeated). Built once (15-19 s on a 2-core AMD EPYC;
    announce(BUILD_NOTE) first, so the player knows why the wait) and kept in the data folder
    under a name that changes with its recipe (arpa_key)."""
    key = arpa_key()
    path = data_dir() / "speech" / f"garden-{key}.arpa"
    with _arpa_lock:
        if not path.exists():
            if key not in _arpa_texts:
                if announce:
                    announce(BUILD_NOTE)
                sentences = corpus.sample_sentences(LM_SENTENCES) + corpus.training_sentences()
                _arpa_texts[key] = language_model.arpa_model(
                    sentences + corpus.said_also(sentences) + corpus.repeated(sentences))
            text = _arpa_texts[key]
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                for old in path.parent.glob("garden-*.arpa"):
                    old.unlink(missing_ok=True)
                tmp = path.with_suffix(".tmp")
                tmp.write_text(text, encoding="utf-8")
                os.replace(tmp, path)
            except OSError:  # a read-only data folder: a temporary file does for this run
                fd, name = tempfile.mkstemp(prefix="garden-", suffix=".arpa")
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    f.write(text)
                path = Path(name)
                atexit.register(path.unlink, missing_ok=True)
        return path


class PocketSphinxRecogniser(Recogniser):
    """The embedded fallback (the US-English model ships inside the pocketsphinx wheel), limited to
    the garden's words by a trigram language model of garden commands (garden_arpa_file); or, with
    open_vocabulary, the wheel's general English model."""

    name = "pocketsphinx"

    def __init__(self, open_vocabulary: bool = False, remember: bool = True,
                 announce: Callable[[str], None] | None = None, decoder_options: dict | None = None):
        """remember: start from (and keep) the microphone estimate in the data folder; benches
        turn it off so their numbers do not depend on who used the machine before. announce:
        told when the first start builds the garden language model (garden_arpa_file).
        decoder_options: PocketSphinx settings over the ones below (the voice bench's --sphinx)."""
        self.remember = remember
        try:
            import pocketsphinx
        except (ImportError, OSError) as exc:
            raise RecogniserError(f"PocketSphinx is not usable ({exc}); pip install pocketsphinx.") from exc
        # topn 16: Gaussians scored per frame (the default 4 suits slow machines; 16 hears better
        # at about a tenth of real time). fwdflat off: the second, flat-lexicon pass rescored
        # garden commands worse and costs time. dither: recordings have exact zeros, which upset
        # the features; seeded, so it stays deterministic. lw 5 (default 6.5): the language model
        # knows the training phrasings and players say others, so it is trusted a little less.
        # docs/speech-tuning.md has the measurements behind each.
        options = dict(loglevel="FATAL", dither=True, seed=1, topn=16, fwdflat=False, lw=5.0) | (decoder_options or {})
        self.missing: list[str] = []
        try:
            if open_vocabulary:
                self.decoder = pocketsphinx.Decoder(**options)
                kind = "open vocabulary"
            else:
                self.decoder = pocketsphinx.Decoder(lm=None, **options)
                words = vocab.recogniser_words()
                added, self.missing = pronunciations.pronunciations(self.decoder.lookup_word, words)
                added |= pronunciations.alternate_pronunciations(words)
                for word, phones in added.items():
                    self.decoder.add_word(word, phones, False)
                self.decoder.add_lm_file("garden", str(garden_arpa_file(announce)))
                self.decoder.activate_search("garden")
                kind = "garden words"
        except (RuntimeError, ValueError, OSError, KeyError) as exc:
            raise RecogniserError(f"PocketSphinx could not start ({exc}).") from exc
        self.description = f"pocketsphinx (en-us, {kind})" + "".join(
            f", {k}={v}" for k, v in (decoder_options or {}).items())
        self._started, self._pending = False, b""
        self.calibrated = remember and self._restore_cmn()
        self._utterance: list[bytes] = []  # the first utterance's audio, for its second pass
        self._first_search = not self.calibrated and not open_vocabulary
        if self._first_search:
            try:  # the first utterance's own search (see FIRST_LW); a search takes its weight when added
                self.decoder.config["lw"] = self.FIRST_LW
                self.decoder.add_lm_file(self.FIRST_SEARCH, str(garden_arpa_file(announce)))
                self.decoder.config["lw"] = options["lw"]
            except (RuntimeError, ValueError, OSError, KeyError) as exc:
                raise RecogniserError(f"PocketSphinx could not start ({exc}).") from exc

    # PocketSphinx normalises each utterance by a running estimate of the microphone's cepstral
    # mean (live CMN). It starts from the model's generic guess, so the first command of a
    # session is heard worst. Keeping the estimate in the data folder lets the next session start
    # where this one ended.
    CMN_FILE = "pocketsphinx-cmn.txt"
    # A first command ever (no saved estimate) is heard twice: live, for the partial text, then
    # again from its start with the estimate the live pass ended with, both times with the
    # language model weighted FIRST_LW instead of 5 (a generic estimate makes the sounds less
    # sure, so word order counts for more). It costs a second decode of that command only
    # (about a seventh of its length); docs/speech-tuning.md has the measurements.
    FIRST_LW = 6.5
    FIRST_SEARCH = "garden-first"
    # PocketSphinx updates that estimate per block it is given, so the same audio in other block
    # sizes can be heard differently, and a PulseAudio microphone delivers blocks of varying size.
    # It is always fed 100 ms blocks, as the voice bench and `garden say` feed it.
    BLOCK_BYTES = audio.BLOCK_BYTES

    def _cmn_path(self) -> Path:
        return data_dir() / "speech" / self.CMN_FILE

    def _restore_cmn(self) -> bool:
        """True when a saved estimate was restored."""
        try:
            saved = self._cmn_path().read_text(encoding="utf-8").strip()
            values = [float(v) for v in saved.split(",")]
        except (OSError, ValueError):
            return False  # none yet, or unreadable: the model's own starting point
        if len(values) == len(self.decoder.get_cmn().split(",")) and all(map(math.isfinite, values)):
            self.decoder.set_cmn(saved)
            return True
        return False

    def _save_cmn(self) -> None:
        path = self._cmn_path()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(self.decoder.get_cmn(), encoding="utf-8")
            os.replace(tmp, path)
        except OSError:
            pass  # a read-only data folder: the estimate is kept for this session only

    def start(self) -> None:
        if self._started:
            self.decoder.end_utt()
        if not self.calibrated and self._first_search:
            self.decoder.activate_search(self.FIRST_SEARCH)
        self.decoder.start_utt()
        self._started, self._pending, self._utterance = True, b"", []

    def _feed(self, pcm: bytes) -> None:
        whole = len(pcm) - len(pcm) % self.BLOCK_BYTES
        for at in range(0, whole, self.BLOCK_BYTES):
            self.decoder.process_raw(pcm[at:at + self.BLOCK_BYTES], False, False)

    def accept(self, pcm: bytes) -> str:
        self._pending += pcm
        whole = len(self._pending) - len(self._pending) % self.BLOCK_BYTES
        self._feed(self._pending[:whole])
        if not self.calibrated:
            self._utterance.append(self._pending[:whole])
        self._pending = self._pending[whole:]
        hyp = self.decoder.hyp()
        return clean_transcript(hyp.hypstr) if hyp else ""

    def finish(self) -> str:
        if self._started:
            if self._pending:
                self.decoder.process_raw(self._pending, False, False)
            self.decoder.end_utt()
            if not self.calibrated:  # the second pass (see FIRST_LW), with the estimate just learnt
                self.decoder.start_utt()
                self._feed(b"".join(self._utterance))
                if self._pending:
                    self.decoder.process_raw(self._pending, False, False)
                self.decoder.end_utt()
            self._started, self._pending, self._utterance = False, b"", []
        hyp = self.decoder.hyp()
        text = clean_transcript(hyp.hypstr) if hyp else ""
        if text and not self.calibrated:
            self.calibrated = True
            if self._first_search:
                self.decoder.activate_search("garden")
        if text and self.remember:
            self._save_cmn()
        return text


# --- choosing one ----------------------------------------------------------------------------

ENGINES = ("vosk", "pocketsphinx")


def open_recogniser(engine: str | None = None, vosk_model: str | Path | None = None,
                    open_vocabulary: bool = False, announce: Callable[[str], None] | None = None) -> Recogniser:
    """engine None or "auto": Vosk when a model is found and loads, else PocketSphinx, with the
    reason in .note. "vosk" or "pocketsphinx": that engine or a RecogniserError. announce(text):
    called with a note for the player before a slow first start (see garden_arpa_file)."""
    if engine in (None, "auto"):
        path = find_vosk_model(vosk_model)
        if path is None:
            note = f"no Vosk model found, so the built-in PocketSphinx is listening ({FETCH_HINT}: it hears better)"
        else:
            try:
                return VoskRecogniser(path, open_vocabulary=open_vocabulary)
            except RecogniserError as exc:
                note = f"{str(exc).rstrip('.')}; using the built-in PocketSphinx"
        rec = PocketSphinxRecogniser(open_vocabulary=open_vocabulary, announce=announce)
        rec.note = note
        return rec
    if engine == "vosk":
        path = find_vosk_model(vosk_model)
        if path is None:
            raise RecogniserError(f"No Vosk model found; {FETCH_HINT}, or pass --vosk-model FOLDER.")
        return VoskRecogniser(path, open_vocabulary=open_vocabulary)
    if engine == "pocketsphinx":
        return PocketSphinxRecogniser(open_vocabulary=open_vocabulary, announce=announce)
    raise ValueError(f"unknown speech engine {engine!r}; choose one of {', '.join(ENGINES)}")
