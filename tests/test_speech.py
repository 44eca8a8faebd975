"""Speech without a sound card: vocabulary, PocketSphinx on espeak-ng speech, capture errors,
push-to-talk and hands-free listening, `garden say` and the voice bench (the Vosk download: test_speech_fetch.py)."""

import json
import math
import queue
import shutil
import threading
import time
import types
from argparse import Namespace
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from garden import language
from garden.engine import Garden
from garden.session import Session
from garden.speech import audio, capture, corpus, language_model, pronunciations, vocab
from garden.speech.endpoint import EndOfSpeech
from garden.voice_game import VoiceGame
from garden.speech.recognisers import (PocketSphinxRecogniser, RecogniserError, clean_transcript, find_vosk_model,
                                       open_recogniser)

from tests.doubles import RecordingInterpreter

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")

# The three commands the issue measured, which must be heard exactly ...
SPOKEN = ["plant sunflowers in the top row", "water plots one and two", "plant a rose at row two column three"]
# ... and more plain shapes, of which a few may be misheard: synthetic speech sits near PocketSphinx's
# decision boundaries, where any change to the language model moves one or two sentences either way.
PLAIN = ["harvest the bottom row", "give the left column a drink", "plant daisies everywhere",
         "plant roses in the bottom row and water them", "water everything", "harvest plot five",
         "plant tulips in the corners", "now water them", "plant daisies in the middle", "harvest everything",
         "water the centre", "plant roses on the left"]


@pytest.fixture(scope="module")
def sphinx():
    return PocketSphinxRecogniser()  # with conftest's empty data folder, as on a fresh machine


def tone(seconds: float, amplitude: int = 8000, freq: float = 220.0) -> bytes:
    t = np.arange(int(16000 * seconds)) / 16000
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.int16).tobytes()


# --- the vocabulary --------------------------------------------------------------------------

def test_recogniser_words_are_speech_phrases_spelled_as_the_training_transcripts_spell_them():
    words = set(vocab.recogniser_words())
    assert {"let's", "i'd", "what's", "isn't", "you're"} <= words
    assert not {"lets", "id", "isnt", "youre"} & words  # only ever written with the apostrophe
    misheard = {w for variant in vocab.misheard_forms() for w in variant.replace("'", "").split()}
    for word in language.speech_phrases():
        assert word in words or any(w.replace("'", "") == word for w in words) or word in misheard, word
    assert {"trees", "carrots"} <= words  # "how about some trees" must not come out as "threes"


def test_the_recognisers_write_the_word_said_not_what_other_recognisers_mishear():
    forms = vocab.misheard_forms()
    assert forms["tu lips"] == "tulips" and forms["roe"] == "row" and forms["daisy's"] == "daisies"
    assert not {"to", "too", "for", "so"} & set(forms)  # words players say, as well as homophones
    words = set(vocab.recogniser_words())
    assert not {"tu", "roe", "rho", "won", "daisys", "daisy's", "plot's"} & words
    assert {"to", "for", "so", "tulips", "row", "daisies"} <= words
    assert vocab.unmishear("plant tu lips in roe won to") == "plant tulips in row one to"
    assert vocab.unmishear("sun flowers on plot's for daisy's") == "sunflowers on plots for daisies"
    # the language model learns the training transcripts with them written back
    sentences = corpus.training_sentences()
    assert not any(set(s.split()) & {"tu", "roe", "won", "daisys"} for s in sentences)


def test_the_grammar_uses_only_recogniser_words():
    assert corpus.grammar_words() <= set(vocab.recogniser_words()), corpus.grammar_words() - set(vocab.recogniser_words())


def test_the_language_model_also_says_save_for_wherever_it_says_except():
    said = corpus.said_also(["water everything except row one", "harvest all except for plot two",
                            "plant roses except in the corners except plot five", "plant roses"])
    assert said == ["water everything save for row one",
                    "plant roses save for in the corners save for plot five"]
    assert set(" ".join(said).split()) <= set(vocab.recogniser_words())


def test_the_language_model_hears_repeat_counts_after_a_single_watering():
    from garden import repeats

    from garden import language

    waterings = ["water the top row please", "give row two a drink"]
    waterings += [f"soak plot {language.number_word(n)}" for n in range(1, 4 * corpus.REPEATED_EVERY - 1)]
    others = ["plant roses", "water row one and plant roses", "water it again", "harvest plot two twice"]
    said = corpus.repeated(others + waterings)
    assert len(said) == 4  # one single watering in REPEATED_EVERY, nothing else
    assert said[0] == "water the top row twice please"  # the count before a thank-you, as the game reads it
    for sentence in said:
        assert repeats.split(sentence)[1] > 1
        assert set(sentence.split()) <= set(vocab.recogniser_words())


def test_sampled_sentences_are_lowercase_vocabulary_and_deterministic():
    sentences = corpus.sample_sentences(300, seed=3)
    assert sentences == corpus.sample_sentences(300, seed=3)
    words = set(vocab.recogniser_words())
    for sentence in sentences:
        assert sentence and set(sentence.split()) <= words, sentence
    assert any(s.startswith(("plant", "sow")) for s in sentences)


def test_the_language_model_hears_the_training_phrasings_but_not_the_test_split():
    from garden.brain.cases import load_cases

    sentences = corpus.training_sentences()
    assert len(sentences) >= 20000  # follow-ups bring their history's utterances too
    words = set(vocab.recogniser_words())
    assert all(set(s.split()) <= words for s in sentences)
    assert any(s.startswith("now ") for s in sentences)  # follow-ups, which the grammar rules lack
    # Train-split phrasings only: the voice bench speaks test-split commands, whose held-out
    # phrasings must reach the recogniser as new sentences, as they reach the model.
    cases = load_cases(Path(__file__).parents[1] / "training" / "data" / "test.jsonl")
    test = {vocab.spoken_form(c["utterance"]) for c in cases}
    assert len(test) > 400 and not test & set(sentences)


def test_the_shipped_training_sentences_are_what_the_training_generator_writes_now():
    """garden/speech/training-sentences.txt is data the game reads so that it never imports
    training/; this fails when the generator or the language tables changed without rewriting it."""
    from training import speech_sentences

    assert corpus.TRAINING_SENTENCES.read_text(encoding="utf-8") == speech_sentences.text(), (
        "garden/speech/training-sentences.txt is stale: run python -m training.speech_sentences")


def test_the_language_models_file_name_changes_when_its_training_sentences_change(monkeypatch):
    from garden.speech import recognisers

    before = recognisers.arpa_key()
    monkeypatch.setattr(corpus, "training_sentences", lambda: ["plant roses in row one"])
    assert recognisers.arpa_key() != before


def _arpa(text):
    probs, backoffs, order = defaultdict(dict), defaultdict(dict), 0
    for line in text.splitlines():
        if line.startswith("\\") and line.endswith("-grams:"):
            order = int(line[1])
        elif order and line.strip() and not line.startswith("\\"):
            parts = line.split("\t")
            gram = tuple(parts[1].split())
            probs[order][gram] = 10 ** float(parts[0])
            if len(parts) > 2:
                backoffs[order][gram] = 10 ** float(parts[2])
    return probs, backoffs


def test_the_language_model_is_a_proper_distribution_after_every_context():
    sentences = ["plant roses in the top row", "water the top row", "plant daisies in row two", "harvest row two"]
    vocabulary = {"plant", "roses", "daisies", "in", "the", "top", "row", "two", "water", "harvest", "tulips"}
    probs, backoffs = _arpa(language_model.arpa_model(sentences, vocabulary))
    events = vocabulary | {"</s>"}

    def p(word, context):
        for n in range(len(context), -1, -1):
            ctx = context[len(context) - n:]
            if ctx + (word,) in probs[n + 1]:
                weight = 1.0
                for m in range(len(context), n, -1):  # back-off weights of the longer contexts skipped
                    weight *= backoffs[m].get(context[len(context) - m:], 1.0)
                return weight * probs[n + 1][ctx + (word,)]
        raise AssertionError(word)

    assert math.isclose(sum(p(w, ()) for w in events), 1.0, rel_tol=1e-3)
    for context in [("<s>",), ("plant",), ("the", "top"), ("in", "row"), ("tulips",), ("<s>", "plant")]:
        assert math.isclose(sum(p(w, context) for w in events), 1.0, rel_tol=2e-3), context
    assert p("tulips", ("plant",)) > 0  # never seen after "plant", still possible


def test_vosk_phrases_keep_known_words_drop_the_rest_and_add_unk_when_the_model_has_it():
    known = {"plant", "roses", "[unk]"}
    phrases, dropped = vocab.vosk_phrases(known.__contains__, ["plant", "roses", "daisys"])
    assert phrases == ["plant", "roses", "[unk]"] and dropped == ["daisys"]
    phrases, _ = vocab.vosk_phrases({"plant"}.__contains__, ["plant"])
    assert phrases == ["plant"]


def test_missing_pronunciations_come_from_apostrophes_spelling_and_compounds():
    dictionary = {"isn't": "IH Z AH N T", "left": "L EH F T", "most": "M OW S T", "fertilize": "F ER T AH L AY Z"}
    added, missing = pronunciations.pronunciations(dictionary.get, ["isnt", "leftmost", "fertilise", "left", "qqq"])
    assert added == {"isnt": "IH Z AH N T", "leftmost": "L EH F T M OW S T", "fertilise": "F ER T AH L AY Z"}
    assert missing == ["qqq"]


def test_transcripts_lose_recogniser_markers_and_keep_words_as_trained():
    assert clean_transcript("[unk] Plant  ROSES in row two(2) <sil>") == "plant roses in row two"
    # homophones, fillers and number words stay as heard: the model was trained on them
    assert clean_transcript("um water roe to won") == "um water roe to won"
    assert clean_transcript("i'd like daisy's") == "i'd like daisy's"


# --- PocketSphinx on synthetic speech --------------------------------------------------------

def test_every_recogniser_word_has_a_pocketsphinx_pronunciation(sphinx):
    assert sphinx.missing == []
    assert "garden words" in sphinx.description  # limited to the garden language, not the open vocabulary


@needs_espeak
@pytest.mark.parametrize("said", SPOKEN)
def test_pocketsphinx_with_the_garden_language_hears_espeak_commands_exactly(sphinx, said):
    pcm = audio.espeak_command(said)
    assert sphinx.transcribe(pcm) == said


# Plot numbers at the end of a command, as espeak-ng's Klatt voice says them. Its default voice
# says them in a way PocketSphinx's model (trained on people) mostly does not match: "water plot
# seven" -> "water plot two please", "water plot one" -> "water plot twenty" (checked 2026-12-01).
# The voice bench speaks both voices (conditions "clean" and "klatt").
NUMBERED = ["water plot seven", "harvest plot ten", "water plot one", "plant a tulip in cell seven",
            "water plot eight"]


@pytest.fixture(scope="module")
def klatt_sphinx():
    """A recogniser of its own: its running microphone estimate learns this voice, and would
    otherwise carry over to the other voice's tests (as it would for a new speaker)."""
    return PocketSphinxRecogniser(remember=False)


@needs_espeak
@pytest.mark.parametrize("said", NUMBERED)
def test_pocketsphinx_hears_plot_numbers_in_a_voice_like_a_persons(klatt_sphinx, said):
    pcm = audio.espeak_command(said, voice="en-us+klatt")
    # "plot"/"plots" are both words the model was trained to read
    assert klatt_sphinx.transcribe(pcm).replace("plots", "plot") == said


@needs_espeak
@pytest.mark.parametrize("said", ["harvest the tulips", "sow all the cells in column seven with a few tulips"])
def test_pocketsphinx_hears_tulips_said_the_british_way(klatt_sphinx, said):
    # espeak-ng says "tj'u:lIps"; with only the CMU dictionary's "T UW L AH P S" this was heard
    # as "harvest that do it" and "... with a few few lettuce"
    pcm = audio.espeak_command(said, voice="en-us+klatt")
    assert klatt_sphinx.transcribe(pcm) == said


@needs_espeak
@pytest.mark.parametrize("said", ["water the first plot", "reap the first patch in row three",
                                  "plant roses in the third row", "pick the first and third plots"])
def test_pocketsphinx_tells_first_from_third_in_espeaks_default_voice(sphinx, said):
    # espeak-ng's f is heard as th; with only "F ER S T" for "first" the first two were heard with
    # "third", and the last as "pick the third and third plots" (pronunciations.ALTERNATE_PRONUNCIATIONS)
    pcm = audio.espeak_command(said)
    assert sphinx.transcribe(pcm) == said


@needs_espeak
def test_pocketsphinx_hears_most_plain_commands_exactly(sphinx):
    heard = {said: sphinx.transcribe(audio.espeak_command(said)) for said in PLAIN}
    wrong = {said: text for said, text in heard.items() if text != said}
    assert len(wrong) <= 2, wrong


@needs_espeak
def test_pocketsphinx_partials_grow_while_the_speech_streams_in(sphinx):
    pcm = audio.espeak("plant sunflowers in the top row") + audio.silence(0.3)
    sphinx.start()
    partials = [sphinx.accept(pcm[i:i + 3200]) for i in range(0, len(pcm), 3200)]
    assert sphinx.finish() == "plant sunflowers in the top row"
    heard = [p for p in partials if p]
    # How the first words are heard mid-stream depends on what the recogniser heard before (its
    # running cepstral mean); that the transcript grows to the end of the command does not.
    assert heard and heard[0] != heard[-1] and heard[-1].endswith("in the top row")


@needs_espeak
def test_pocketsphinx_keeps_its_microphone_estimate_for_the_next_session():
    first = PocketSphinxRecogniser()  # a fresh data folder (conftest): the model's starting point
    generic = first.decoder.get_cmn()
    assert first.transcribe(audio.espeak("water plots one and two")) == "water plots one and two"
    learnt = first.decoder.get_cmn()
    assert learnt != generic and first._cmn_path().read_text() == learnt
    assert PocketSphinxRecogniser().decoder.get_cmn() == learnt
    first._cmn_path().write_text("not, numbers")
    assert PocketSphinxRecogniser().decoder.get_cmn() == generic  # a damaged file is ignored


@needs_espeak
def test_the_open_vocabulary_option_hears_words_the_garden_language_lacks():
    said = audio.espeak("hello computer, tomorrow it will rain")
    words = set(vocab.recogniser_words())
    garden_only = PocketSphinxRecogniser(remember=False).transcribe(said)
    heard = PocketSphinxRecogniser(open_vocabulary=True, remember=False).transcribe(said)
    assert set(garden_only.split()) <= words
    assert {"computer", "tomorrow"} & (set(heard.split()) - words), heard


def test_without_a_vosk_model_auto_falls_back_to_pocketsphinx_and_says_how_to_get_one(monkeypatch, tmp_path):
    monkeypatch.delenv("VOSK_MODEL_PATH", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setattr("garden.speech.recognisers.vosk_search_dirs", lambda: [tmp_path / "none"])
    assert find_vosk_model() is None
    rec = open_recogniser()
    assert rec.name == "pocketsphinx"
    assert rec.note == ("no Vosk model found, so the built-in PocketSphinx is listening "
                        "(`garden models fetch vosk` downloads one (40 MB): it hears better)")
    with pytest.raises(RecogniserError, match="garden models fetch vosk"):
        open_recogniser("vosk")


# --- capture errors --------------------------------------------------------------------------

class FakePortAudioError(Exception):
    pass


def fake_sounddevice(devices=None, stream=None, rates=(16000,)):
    devices = devices if devices is not None else [{"name": "Fake Mic", "max_input_channels": 1, "default_samplerate": 48000}]

    def query_devices(device=None, kind=None):
        if not devices:
            raise FakePortAudioError("Error querying device -1")
        if device is None:
            return devices[0]
        for i, d in enumerate(devices):
            if device == i or (isinstance(device, str) and device.lower() in d["name"].lower()):
                return d
        raise ValueError(f"No input device matching {device!r}")

    def check_input_settings(device=None, channels=None, dtype=None, samplerate=None):
        if samplerate not in rates:
            raise FakePortAudioError("Invalid sample rate")

    return types.SimpleNamespace(PortAudioError=FakePortAudioError, query_devices=query_devices,
                                 check_input_settings=check_input_settings, RawInputStream=stream)


def test_no_portaudio_library_is_one_clear_sentence(monkeypatch):
    def missing(name):
        raise OSError("PortAudio library not found")
    monkeypatch.setattr(capture.importlib, "import_module", missing)
    with pytest.raises(capture.CaptureError, match=r"PortAudio library.*libportaudio2.*typed commands still work"):
        capture.Microphone().open()


def test_no_microphone_is_one_clear_sentence(monkeypatch):
    monkeypatch.setattr(capture, "import_sounddevice", lambda: fake_sounddevice(devices=[]))
    with pytest.raises(capture.CaptureError) as caught:
        capture.Microphone().open()
    assert str(caught.value) == "No microphone found; typed commands still work."


def test_an_unknown_input_device_is_named(monkeypatch):
    monkeypatch.setattr(capture, "import_sounddevice", lambda: fake_sounddevice())
    with pytest.raises(capture.CaptureError, match=r"No input device matches 'USB Headset'.*python -m sounddevice"):
        capture.Microphone("USB Headset").open()


class ScriptedStream:
    """A RawInputStream stand-in: delivers `blocks` on a thread, then optionally dies."""

    def __init__(self, blocks, die=False, **kwargs):
        self.blocks, self.die = blocks, die
        self.callback, self.finished = kwargs["callback"], kwargs["finished_callback"]
        self.samplerate, self.channels = kwargs["samplerate"], kwargs["channels"]

    def start(self):
        def run():
            for block in self.blocks:
                self.callback(block, len(block) // 2, None, None)
            if self.die:
                self.finished()
        threading.Thread(target=run, daemon=True).start()

    def stop(self):
        pass

    def close(self):
        pass


def test_a_device_error_mid_stream_is_one_clear_sentence_and_stops_the_microphone(monkeypatch):
    blocks = [tone(0.05)] * 3
    sd = fake_sounddevice(stream=lambda **kw: ScriptedStream(blocks, die=True, **kw))
    monkeypatch.setattr(capture, "import_sounddevice", lambda: sd)
    mic = capture.Microphone()
    mic.open()
    got = b""
    with pytest.raises(capture.CaptureError, match=r"The microphone stopped.*typed commands still work"):
        for _ in range(20):
            got += mic.read(timeout=1)
    assert len(got) == 3 * len(blocks[0]) and not mic.is_open


def test_a_48_khz_device_is_resampled_to_16_khz_mono(monkeypatch):
    t = np.arange(4800) / 48000
    block = (8000 * np.sin(2 * np.pi * 300 * t)).astype(np.int16).tobytes()
    sd = fake_sounddevice(stream=lambda **kw: ScriptedStream([block] * 10, **kw), rates=(48000,))
    monkeypatch.setattr(capture, "import_sounddevice", lambda: sd)
    mic = capture.Microphone()
    mic.open()
    assert mic.device_rate == 48000
    out = b"".join(mic.read(timeout=1) for _ in range(10))
    samples = np.frombuffer(out, dtype=np.int16)
    assert abs(len(samples) - 16000) <= 12  # less the low-pass filter's delay
    spectrum = np.abs(np.fft.rfft(samples[1000:-1000]))
    assert abs(np.argmax(spectrum) * 16000 / len(samples[1000:-1000]) - 300) < 5  # still a 300 Hz tone
    assert 0.6 < mic.level <= 1.0
    mic.close()


def test_the_stream_resampler_gives_the_same_samples_whatever_the_block_size():
    data = (np.sin(np.arange(44100) / 20) * 1000).astype(np.float32)
    whole = audio.StreamResampler(44100, 16000).process(data)
    r = audio.StreamResampler(44100, 16000)
    pieces = np.concatenate([r.process(data[i:i + 997]) for i in range(0, len(data), 997)])
    assert abs(len(whole) - 16000) <= 12  # less the low-pass filter's delay
    assert abs(len(pieces) - len(whole)) <= 1
    n = min(len(pieces), len(whole))
    assert np.max(np.abs(pieces[:n] - whole[:n])) < 0.05


# --- push-to-talk and hands-free -------------------------------------------------------------

class FakeMicrophone:
    """Blocks put in by the test come out of read(); silence is simply nothing."""

    def __init__(self, fail_open: str | None = None):
        self.blocks: queue.Queue = queue.Queue()
        self.level, self.fail_open, self.opened, self.overflows = 0.0, fail_open, False, 0

    def open(self):
        if self.fail_open:
            raise capture.CaptureError(self.fail_open)
        self.opened = True

    def say(self, pcm: bytes, block: int = 1600):
        for i in range(0, len(pcm), block):
            self.blocks.put(pcm[i:i + block])

    def read(self, timeout=0.1):
        try:
            pcm = self.blocks.get(timeout=timeout)
        except queue.Empty:
            return b""
        self.level = audio.level(pcm)
        return pcm

    def drain(self):
        out = b""
        while not self.blocks.empty():
            out += self.blocks.get_nowait()
        return out

    def close(self):
        self.opened = False


def key(kind, k=None):
    import pygame

    return pygame.event.Event(kind, key=pygame.K_SPACE if k is None else k, mod=0, unicode=" ", scancode=44)


def wait_for(condition, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False


def voice_game(recogniser, **kw):
    session = Session(Garden())
    delivered = []
    game = VoiceGame(session, recogniser=recogniser, microphone=FakeMicrophone(), deliver=delivered.append, **kw)
    game.window_seen.set()
    return session, game, delivered


@needs_espeak
def test_push_to_talk_shows_partials_then_hands_the_final_text_to_the_window(sphinx):
    import pygame

    session, game, delivered = voice_game(sphinx)
    game.start()
    try:
        assert game.ready.wait(10) and game.failed is None
        assert session.voice.engine == "pocketsphinx" and session.voice.status == "idle"
        assert game.on_event(key(pygame.KEYDOWN), session) is True
        assert game.on_event(key(pygame.KEYDOWN), session) is True  # key repeat: still one utterance
        assert wait_for(lambda: session.voice.status == "listening")
        game.microphone.say(audio.espeak("plant sunflowers in the top row") + audio.silence(0.2))
        assert wait_for(lambda: session.voice.partial.endswith("top row"))  # live, before the key is let go
        assert game.on_frame(session) is True
        assert game.on_event(key(pygame.KEYUP), session) is True
        assert wait_for(lambda: delivered)
        assert delivered == ["plant sunflowers in the top row"]
        assert session.voice.status == "thinking" and session.voice.partial == delivered[0]
        assert game.utterances[0]["end_to_text_ms"] < 2000
    finally:
        game.close()


@needs_espeak
def test_pocketsphinx_hears_the_same_whatever_block_size_the_microphone_delivers():
    """Fed 4000-byte blocks, PocketSphinx heard this as "right so the flowers in the top row" (it
    updates its normalisation per block), which made the PulseAudio test fail now and then."""
    pcm = audio.silence(0.6) + audio.espeak("plant sunflowers in the top row") + audio.silence(0.3)
    heard = set()
    for block in (800, 1600, 3200, 4000, 4410):
        rec = PocketSphinxRecogniser(remember=False)
        rec.start()
        for at in range(0, len(pcm), block):
            rec.accept(pcm[at:at + block])
        heard.add(rec.finish())
    assert heard == {"plant sunflowers in the top row"}


@needs_espeak
def test_a_first_command_ever_is_heard_whatever_the_silence_before_it():
    """With the model's generic microphone estimate, one live pass at lw 5 heard this command as
    "the sunflowers in the top row", "and sow each plot in the top row" or "um so the outer the
    top row" after these lead-in silences (the PulseAudio test failed now and then that way); a
    first command is now heard a second time with the estimate the first pass ended on."""
    said = "plant sunflowers in the top row"
    speech = audio.espeak(said)
    for lead in (0.38, 0.52, 0.54, 0.70, 0.72):
        rec = PocketSphinxRecogniser(remember=False)  # as with a fresh data folder: nothing saved
        assert not rec.calibrated
        pcm = audio.silence(lead) + speech + audio.silence(0.7)
        rec.start()
        for at in range(0, len(pcm), 1280):
            rec.accept(pcm[at:at + 1280])
        assert (lead, rec.finish()) == (lead, said)
        assert rec.calibrated and rec.decoder.current_search() == "garden"  # later commands: one live pass
    first = PocketSphinxRecogniser()  # a fresh data folder (conftest)
    assert not first.calibrated and first.transcribe(speech) == said
    assert PocketSphinxRecogniser().calibrated  # the estimate was saved: the next session starts calibrated


def test_a_busy_process_is_not_taken_for_a_silent_microphone(monkeypatch):
    """The reader and the audio callback can both be held up for seconds (a model loading on two
    cores); the first read after that finds an old clock and an empty queue, which is not a stall."""
    clock = [100.0]
    monkeypatch.setattr(capture.time, "monotonic", lambda: clock[0])
    mic = capture.Microphone()
    mic._stream = object()  # "running"; close() tolerates what it cannot stop
    mic._last_audio = 100.0
    clock[0] = 110.0  # frozen for 10 s
    assert mic.read(timeout=0.001) == b""  # one empty read: not yet a stall
    mic._queue.put(bytes(640))
    assert len(mic.read(timeout=0.001)) == 640  # the late block arrives; the stall count starts over
    for _ in range(capture.STALL_READS - 1):
        clock[0] += 1
        assert mic.read(timeout=0.001) == b""
    clock[0] += 1
    with pytest.raises(capture.CaptureError, match="stopped sending sound"):
        mic.read(timeout=0.001)  # ten empty reads over more than STALL_SECONDS: the device is gone


def test_other_keys_and_a_stray_release_are_left_to_the_window(sphinx):
    import pygame

    session, game, _ = voice_game(sphinx)
    assert game.on_event(key(pygame.KEYDOWN, pygame.K_a), session) is False
    assert game.on_event(key(pygame.KEYUP), session) is False  # typed "plant " then let go of SPACE
    assert game.on_frame(session) is False


def test_silence_under_the_key_says_how_to_talk(sphinx):
    import pygame

    session, game, delivered = voice_game(sphinx)
    game.start()
    try:
        assert game.ready.wait(10)
        game.on_event(key(pygame.KEYDOWN), session)
        game.microphone.say(audio.silence(0.5))
        time.sleep(0.2)
        game.on_event(key(pygame.KEYUP), session)
        assert wait_for(lambda: game.utterances)
        assert delivered == [] and session.voice.status == "idle"
        assert "hold SPACE while you speak" in session.voice.message
    finally:
        game.close()


def test_without_a_microphone_voice_says_so_and_the_game_goes_on(sphinx):
    import pygame

    session = Session(Garden())
    mic = FakeMicrophone(fail_open="No microphone found; typed commands still work.")
    game = VoiceGame(session, recogniser=sphinx, microphone=mic, deliver=lambda text: None).start()
    try:
        assert game.ready.wait(10)
        assert game.failed == session.voice.message == "No microphone found; typed commands still work."
        assert session.voice.engine is None and session.voice.status == "idle"
        assert game.on_event(key(pygame.KEYDOWN), session) is True  # SPACE does nothing, and nothing breaks
        game.on_event(key(pygame.KEYUP), session)
        assert game.on_frame(session) is False  # a headless run does not wait for voice that will not come
        assert session.handle("/call call:water_plots{plots:[{col:1,row:1}]}").results[0]["status"] == "ok"
    finally:
        game.close()


def test_a_recogniser_that_cannot_start_is_one_message():
    def broken():
        raise RecogniserError("There is no Vosk model at /nowhere; `garden models fetch vosk` downloads one (40 MB).")
    session = Session(Garden())
    game = VoiceGame(session, recogniser=broken, microphone=FakeMicrophone(), deliver=lambda t: None).start()
    assert game.ready.wait(10)
    assert session.voice.message.startswith("There is no Vosk model") and session.voice.engine is None
    game.close()


class ExplodingRecogniser:
    name, note = "broken", None

    def start(self):
        pass

    def accept(self, pcm):
        raise RuntimeError("decoder state corrupted")


def test_a_recogniser_bug_mid_utterance_is_a_message_not_a_dead_voice_thread(capsys):
    import pygame

    session = Session(Garden())
    game = VoiceGame(session, recogniser=ExplodingRecogniser(), microphone=FakeMicrophone(), deliver=lambda t: None)
    game.start()
    try:
        assert game.ready.wait(10)
        game.on_event(key(pygame.KEYDOWN), session)
        game.microphone.say(tone(0.2))
        assert wait_for(lambda: game.failed)
        assert session.voice.message.startswith("voice stopped after an error (RuntimeError: decoder state corrupted)")
        assert session.voice.status == "idle" and game.on_frame(session) is False
        assert "RuntimeError" in capsys.readouterr().err  # the traceback, for the bug report
    finally:
        game.close()


def test_end_of_speech_detection_finds_the_start_and_the_end():
    vad = EndOfSpeech()
    rng = np.random.default_rng(0)
    hiss = lambda s: (rng.standard_normal(int(16000 * s)) * 30).astype(np.int16).tobytes()  # noqa: E731
    assert vad.feed(hiss(1.0)) is None
    assert vad.feed(tone(0.3)) == "start"
    assert vad.feed(tone(0.5)) is None  # still talking
    assert vad.feed(hiss(0.3)) is None  # a pause between words
    assert vad.feed(tone(0.2)) is None
    assert vad.feed(hiss(0.8)) == "end"


@needs_espeak
def test_hands_free_listening_acts_at_the_end_of_speech(sphinx):
    session, game, delivered = voice_game(sphinx, listen=True)
    game.start()
    try:
        assert game.ready.wait(10)
        game.microphone.say(audio.silence(0.5) + audio.espeak("water plots one and two") + audio.silence(1.0))
        assert wait_for(lambda: delivered)
        assert delivered == ["water plots one and two"]
    finally:
        game.close()


# --- the text reaches the brain as heard -----------------------------------------------------

def test_voice_text_reaches_the_brain_unchanged_with_number_words_homophones_and_fillers():
    brain = RecordingInterpreter()
    session = Session(Garden(), interpreter=brain)
    for text in ("um water roe to", "i'd like daisy's in plots won and for please", "water plot thirty six"):
        turn = session.handle(text, source="voice")
        assert turn.source == "voice" and turn.input == text
    assert brain.heard == ["um water roe to", "i'd like daisy's in plots won and for please", "water plot thirty six"]


@needs_espeak
def test_push_to_talk_in_the_headless_window_runs_the_heard_command(sphinx):
    import pygame

    from garden import ui

    brain = RecordingInterpreter()
    session = Session(Garden(), interpreter=brain)
    mic = FakeMicrophone()
    game = VoiceGame(session, recogniser=sphinx, microphone=mic).start()
    done = threading.Event()

    def drive():
        try:
            assert game.ready.wait(20) and game.window_seen.wait(20)
            pygame.event.post(key(pygame.KEYDOWN))
            assert wait_for(lambda: session.voice.status == "listening")
            mic.say(audio.espeak("plant sunflowers in the top row") + audio.silence(0.2))
            time.sleep(0.3)
            pygame.event.post(key(pygame.KEYUP))
            wait_for(lambda: brain.heard and session.voice.status == "idle", timeout=30)
        finally:
            done.set()

    driver = threading.Thread(target=drive, daemon=True)
    driver.start()
    code = ui.play(session, headless=True, on_event=game.on_event, max_seconds=60,
                   on_frame=lambda s: game.on_frame(s) or not done.is_set())
    game.close()
    driver.join(5)
    assert code == 0
    assert brain.heard == ["plant sunflowers in the top row"]
    assert [p.plant for p in session.garden.plots[0]] == ["sunflower"] * 3


class PreparingInterpreter(RecordingInterpreter):
    """Records the partial transcripts the game hands over while the player is still talking."""

    def __init__(self):
        super().__init__()
        self.prepared = []
        self.answered = []  # partials whose answer the game asked for, once they stopped changing

    def prepare(self, heard, garden, history, answer=False, give_way=None):
        if answer:
            self.answered.append(heard)
            return 0
        self.prepared.append(heard)
        return len(heard.split())


@needs_espeak
def test_the_model_starts_on_partial_transcripts_before_the_key_is_released(sphinx):
    import pygame

    brain = PreparingInterpreter()
    session = Session(Garden(), interpreter=brain)
    delivered = []
    game = VoiceGame(session, recogniser=sphinx, microphone=FakeMicrophone(), deliver=delivered.append)
    game.window_seen.set()
    game.start()
    try:
        assert game.ready.wait(10) and game.failed is None
        game.on_event(key(pygame.KEYDOWN), session)
        assert wait_for(lambda: session.voice.status == "listening")
        game.microphone.say(audio.espeak("plant sunflowers in the top row") + audio.silence(0.2))
        assert wait_for(lambda: brain.prepared and brain.prepared[-1].endswith("top row"))
        # The words stop changing in the silence after them: the answer to the last partial is
        # asked for, still before the key is let go (a first command ever is heard again when it
        # ends, so the final text may differ from that partial).
        assert wait_for(lambda: brain.answered and brain.answered[-1] == brain.prepared[-1]), (brain.prepared,
                                                                                            brain.answered)
        assert not delivered  # all of this before the key is let go
        game.on_event(key(pygame.KEYUP), session)
        assert wait_for(lambda: delivered) and delivered == ["plant sunflowers in the top row"]
        # Several growing guesses (the recogniser may revise a word on the way).
        heard = brain.prepared
        assert len(heard) >= 3 and len(heard[0].split()) < len(heard[-1].split())
        assert game.prepared_tokens == sum(len(text.split()) for text in heard)
    finally:
        game.close()


class TimedInterpreter:
    """A model whose prompt steps take 50 ms and whose answers take 300 ms, stopping when told to."""

    runtime = "fake"

    def __init__(self):
        self.log = []

    def prepare(self, heard, garden, history, answer=False, give_way=None):
        start = time.perf_counter()
        if not answer:
            time.sleep(0.05)
            self.log.append(("prompt", heard))
            return 1
        while time.perf_counter() - start < 0.3:
            if give_way():
                self.log.append(("gave way", heard))
                return 0
            time.sleep(0.005)
        self.log.append(("answer", heard))
        return 5


def test_the_voice_bench_replays_the_preparing_thread_on_a_clock_of_audio_time():
    """What the bench adds to a command's latency is the preparing work the game would still be
    doing when speech ends: whole for work on the final words, one step for an early answer to
    words the recogniser then changed (the command stops it)."""
    from garden.voice_bench import Brain

    case = {"id": "t", "grid": {"rows": 3, "cols": 3}, "utterance": "plant sunflowers in the top row"}
    partials = [(0.5, "plant"), (0.6, "plant sun"), (0.7, "plant sunflowers"), (0.8, "plant sunflowers in"),
                (1.6, "plant sunflowers in the top row")]
    brain = TimedInterpreter()
    work, overhang, answers = Brain(brain).speak(case, partials, end=2.0, final=partials[-1][1], asked=2.03)
    # Still 0.2 s after its prompt step (0.85 s): "...in" is answered, done by 1.35 s, before
    # the next words at 1.6 s; the last words are answered from 1.85 s, 0.15 s past the end.
    assert [kind for kind, _ in brain.log] == ["prompt"] * 4 + ["answer", "prompt", "answer"]
    assert answers == 2 and 0.12 < overhang < 0.3 and 0.8 < work < 1.3
    brain.log.clear()
    _, overhang, answers = Brain(brain).speak(case, partials, end=2.0, final="plant sunflowers in the top rows",
                                              asked=2.03)
    assert brain.log[-1] == ("gave way", "plant sunflowers in the top row") and answers == 1
    assert overhang < 0.1


# --- garden say ------------------------------------------------------------------------------

@needs_espeak
def test_say_prints_the_heard_text_calls_and_results_and_json_last(tmp_path, monkeypatch, capsys):
    from garden import say

    wav = audio.write_wav(tmp_path / "plant.wav", audio.espeak("plant sunflowers in the top row"))
    monkeypatch.setattr(say, "_session", lambda args: (Session(Garden(rows=args.rows, cols=args.cols),
                                                               interpreter=RecordingInterpreter()), None))
    args = Namespace(wav=str(wav), rows=3, cols=4, json=True, engine="pocketsphinx", vosk_model=None,
                     open_vocabulary=False)
    assert say.main(args) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out[0].startswith("heard (pocketsphinx") and out[0].endswith(": plant sunflowers in the top row")
    last = json.loads(out[-1])
    assert last["text"] == "plant sunflowers in the top row" and last["engine"] == "pocketsphinx"
    assert last["calls"][0]["arguments"]["plots"] == [{"row": 1, "col": c} for c in (1, 2, 3, 4)]
    assert [r["status"] for r in last["results"]] == ["ok"]


def test_say_with_a_missing_or_broken_file_is_one_clear_sentence(tmp_path, capsys):
    from garden import say

    args = Namespace(wav=str(tmp_path / "none.wav"), rows=3, cols=3, json=True, engine="pocketsphinx",
                     vosk_model=None, open_vocabulary=False)
    assert say.main(args) == 2
    assert capsys.readouterr().err.strip() == f"garden: There is no file {tmp_path / 'none.wav'}."
    (tmp_path / "bad.wav").write_bytes(b"not a wav file at all")
    args.wav = str(tmp_path / "bad.wav")
    assert say.main(args) == 2
    assert capsys.readouterr().err.strip() == (f"garden: {tmp_path / 'bad.wav'} is not a sound file I can read "
                                               "(Format not recognised); convert it to WAV, e.g. `sox in.m4a out.wav`.")


def test_wav_files_of_other_rates_widths_and_channels_become_16_khz_mono(tmp_path):
    import wave

    t = np.arange(44100) / 44100
    stereo = np.stack([np.sin(2 * np.pi * 440 * t)] * 2, axis=1)
    for width, scale, dtype in ((2, 20000, "<i2"), (4, 20000 * 65536, "<i4")):
        path = tmp_path / f"w{width}.wav"
        with wave.open(str(path), "wb") as w:
            w.setnchannels(2)
            w.setsampwidth(width)
            w.setframerate(44100)
            w.writeframes((stereo * scale).astype(dtype).tobytes())
        samples = np.frombuffer(audio.read_wav(path), dtype=np.int16)
        assert abs(len(samples) - 16000) <= 1
        assert 18000 < np.max(np.abs(samples[100:-100])) < 21000


# --- the bench -------------------------------------------------------------------------------

def test_word_errors_count_substitutions_insertions_and_deletions():
    from garden.speech.wer import word_errors

    assert word_errors("plant roses in row two", "plant roses in row two") == 0
    assert word_errors("plant roses in row two", "plant rose in row") == 2
    assert word_errors("water it", "um water it now") == 2


@needs_espeak
def test_bench_voice_reports_recognition_on_the_built_in_commands(capsys, tmp_path):
    from garden import voice_bench

    args = Namespace(cases=str(tmp_path / "missing.jsonl"), limit=3, engines="pocketsphinx", conditions="clean,snr20",
                     no_model=True, json=True, failures=False)
    assert voice_bench.main(args) == 0
    out = capsys.readouterr().out.strip().splitlines()
    result = json.loads(out[-1])
    assert result["cases"] == 3 and result["source"] == "built-in commands"
    assert [r["condition"] for r in result["rows"]] == ["en-us 160 wpm", "en-us 160 wpm, 20 dB SNR"]
    clean = result["rows"][0]
    assert clean["wer"] == 0.0 and clean["command_exact_match"] is None and 0 < clean["rtf"] < 1
    assert "WER" in out[1]


@needs_espeak
def test_bench_voice_tries_other_pocketsphinx_settings_and_refuses_bad_ones(capsys, tmp_path):
    from garden import voice_bench

    def run(*sphinx):
        args = Namespace(cases=str(tmp_path / "missing.jsonl"), limit=2, engines="pocketsphinx", conditions="clean",
                         no_model=True, json=True, failures=False, sphinx=list(sphinx))
        return voice_bench.main(args), capsys.readouterr()

    code, shown = run("lw=1e-9", "bestpath=no")  # a language model with no say: the words fall apart
    assert code == 0
    result = json.loads(shown.out.strip().splitlines()[-1])
    assert result["sphinx"] == {"lw": 1e-9, "bestpath": False} and result["rows"][0]["wer"] > 0.2
    assert "pocketsphinx lw=1e-09; pocketsphinx bestpath=False" in shown.out
    assert run("lw")[0] == 2
    code, shown = run("no_such_setting=1")
    assert code == 2 and "pocketsphinx skipped" in shown.err and "Traceback" not in shown.err


# Last in this file: PocketSphinx keeps some state per process (likely its dither noise generator),
# and with these run before test_pocketsphinx_hears_most_plain_commands_exactly that test heard the
# default voice differently ("now water them" -> "well water them"), though `sphinx` is another recogniser.
@needs_espeak
@pytest.mark.parametrize("said", ["ok hydrate every single square excluding plots five six and nine",
                                  "ok let's have daisies in every square excluding the corner beds",
                                  "ok get some rose seeds going in all the squares excluding column three row three",
                                  "harvest all the flowers in every last cell except the very left column"])
def test_pocketsphinx_hears_no_eight_before_except_in_espeaks_klatt_voice(klatt_sphinx, said):
    # espeak-ng says "ex" as EH K S; with only the dictionary's IH K S the Klatt voice's "except" and
    # "excluding" came with an "eight" in front (9 of the 53 misheard commands of a 300-command dev
    # split), which the model reads as a plot (pronunciations.ALTERNATE_PRONUNCIATIONS)
    pcm = audio.espeak_command(said, voice="en-us+klatt")
    assert "eight" not in klatt_sphinx.transcribe(pcm).split()


# After the test above, for the same reason: it shares klatt_sphinx, whose microphone estimate
# moves with every sentence it hears.
@needs_espeak
@pytest.mark.parametrize("said", ["let's have daisies in all the squares save for the diagonal going down from the top left",
                                  "take the flowers from the whole garden save for plot one"])
def test_pocketsphinx_hears_save_for_not_same_for_in_espeaks_klatt_voice(klatt_sphinx, said):
    # "same for" is a follow-up ("same for the bottom row"); before the language model also said its
    # "except" sentences with "save for" (corpus.SAID_ALSO) the Klatt voice's "save for" was heard as
    # "same for" in both of these (dev split sentences, seed 777)
    pcm = audio.espeak_command(said, voice="en-us+klatt")
    assert "save for" in klatt_sphinx.transcribe(pcm)


# After the tests above, for the same reason.
@needs_espeak
@pytest.mark.parametrize("said", ["the third plot should get a single rose if you can",
                                  "kindly sprinkle the leftmost column",
                                  "i'd like a sunflower in the plot numbered one please",
                                  "go ahead and wet plot seven and plot eight",
                                  "let's have some tulips down the last column if you can",
                                  "plant a single tulip in plot one and then give it a drink",
                                  "harvest the plot in column two of row one please",
                                  "get some grass going in plot two as well as plot nine"])
def test_pocketsphinx_hears_no_plural_s_the_klatt_voice_did_not_say(klatt_sphinx, said):
    # The Klatt voice's release of a final t, n or m was heard as an s: "plots", "columns", "ones"
    # (six of these eight dev-split sentences, run after the tests above, before
    # pronunciations.ALTERNATE_PRONUNCIATIONS said "plot", "column" and "one" with an s too and left the
    # choice to the language model)
    pcm = audio.espeak_command(said, voice="en-us+klatt")
    assert klatt_sphinx.transcribe(pcm) == said
