"""The voice bench's speech: a neural voice, white noise and babble at a chosen loudness, and the
bench's report of every condition beside the same commands typed."""

import json
import shutil
from argparse import Namespace

import numpy as np
import pytest

from garden.speech import audio, denoise, synthetic
from garden.voice_bench import CONDITIONS

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
needs_piper = pytest.mark.skipif(not synthetic.have_piper(), reason="the dev extra's Piper voice is not installed")


def tone(seconds: float, freq: float = 220.0) -> bytes:
    t = np.arange(int(audio.RATE * seconds)) / audio.RATE
    return (8000 * np.sin(2 * np.pi * freq * t)).astype(np.int16).tobytes()


def snr_db(clean: bytes, noisy: bytes) -> float:
    speech = np.frombuffer(clean, dtype=np.int16).astype(np.float64)
    noise = np.frombuffer(noisy, dtype=np.int16).astype(np.float64) - speech
    return 10 * np.log10(np.mean(speech ** 2) / np.mean(noise ** 2))


@pytest.mark.parametrize("snr", [20, 10, 5])
def test_white_noise_is_mixed_at_the_asked_signal_to_noise_ratio(snr):
    clean = tone(2.0)
    assert snr_db(clean, audio.mix_noise(clean, snr, seed=1)) == pytest.approx(snr, abs=0.3)


@needs_espeak
@pytest.mark.parametrize("snr", [20, 10, 5])
def test_babble_is_mixed_at_the_asked_signal_to_noise_ratio(snr):
    clean = tone(2.0)
    assert snr_db(clean, synthetic.mix_babble(clean, snr, seed=3)) == pytest.approx(snr, abs=0.3)


@needs_espeak
def test_babble_is_several_talkers_not_one_voice_with_gaps():
    room = synthetic.babble()
    frames = room[: len(room) // 800 * 800].reshape(-1, 800)  # 50 ms frames
    loudness = np.sqrt(np.mean(frames ** 2, axis=1))
    # One talker leaves pauses between words and sentences; six at once almost never fall silent.
    assert np.mean(loudness < 0.1 * np.median(loudness)) < 0.02
    assert synthetic.mix_babble(tone(1.0), 10, seed=1) != synthetic.mix_babble(tone(1.0), 10, seed=2)


def test_the_chatter_holds_no_garden_command_words():
    from garden.speech.vocab import recogniser_words

    garden_words = {"plant", "water", "harvest", "plot", "row", "column", "roses", "daisies", "tulips",
                    "sunflowers"}
    assert garden_words <= set(recogniser_words())  # the list above names real garden words
    said = {w for sentence in synthetic.CHATTER for w in sentence.split()}
    assert not said & garden_words


@needs_piper
def test_the_neural_voice_speaks_a_command_at_the_asked_pace():
    normal = synthetic.piper_command("plant sunflowers in the top row")
    slow = synthetic.piper_command("plant sunflowers in the top row", length_scale=1.25)
    seconds = len(normal) / audio.BYTES_PER_SECOND
    assert 1.5 < seconds < 4.5
    assert len(slow) / len(normal) == pytest.approx(1.2, abs=0.15)  # 1.25 asked; Piper's pauses vary
    assert audio.level(normal[audio.BYTES_PER_SECOND // 2: -audio.BYTES_PER_SECOND // 2]) > 0.5


def test_every_person_like_condition_the_issue_names_is_in_the_bench():
    joe = {c.noise and (c.noise, c.snr_db) for c in CONDITIONS.values() if c.voice == "joe"}
    assert {("white", 20), ("white", 10), ("white", 5), ("babble", 20), ("babble", 10), ("babble", 5)} <= joe
    assert {c.voice for c in CONDITIONS.values()} >= {"joe", "en-us", "en-us+f3"}


@needs_espeak
@needs_piper
def test_bench_voice_reports_each_condition_with_its_own_speech(capsys, tmp_path):
    from garden import voice_bench

    args = Namespace(cases=str(tmp_path / "missing.jsonl"), limit=3, engines="pocketsphinx",
                     conditions="joe,babble5", no_model=True, json=True, failures=False, single_turn=True)
    assert voice_bench.main(args) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    quiet, loud = result["rows"]
    assert [quiet["condition"], loud["condition"]] == [CONDITIONS["joe"].name, CONDITIONS["babble5"].name]
    assert quiet["wer"] < loud["wer"]  # babble at 5 dB costs words; the same voice in quiet does not


class Echo:
    """A recogniser stand-in that keeps what it was fed (the wrapper is under test, not a recogniser)."""
    name, description, note, sample_rate = "echo", "echo", None, audio.RATE

    def start(self):
        self.heard = b""

    def accept(self, pcm):
        self.heard += pcm
        return ""

    def finish(self):
        return ""


@pytest.mark.skipif(not denoise.have_denoiser(), reason="webrtc-noise-gain is not installed")
def test_noise_suppression_quietens_steady_noise_and_passes_every_sample_on():
    noise = (np.random.default_rng(1).standard_normal(audio.RATE * 3) * 2000).astype(np.int16).tobytes()
    inner = Echo()
    rec = denoise.Denoised(inner, level=3)
    rec.start()
    for at in range(0, len(noise), 1234):  # blocks that are not whole 10 ms frames
        rec.accept(noise[at:at + 1234])
    rec.finish()
    assert len(inner.heard) >= len(noise)  # nothing lost, the last part frame padded
    tail = slice(len(noise) - audio.BYTES_PER_SECOND, len(noise))  # after the suppressor learnt the noise
    before = np.frombuffer(noise[tail], dtype=np.int16).astype(float).std()
    after = np.frombuffer(inner.heard[tail], dtype=np.int16).astype(float).std()
    assert after < 0.5 * before


# --- Whisper in noise ----------------------------------------------------------------------------

def test_whisper_text_is_spelled_as_the_garden_spells_speech():
    from garden.speech.whisper import spoken

    assert spoken("Water plot 5, and the 3rd row!") == "water plot five and the third row"
    assert spoken("Plant sunflowers in the top-left corner.") == "plant sunflowers in the top left corner"
    assert spoken("Don't harvest plot 12.") == "don't harvest plot twelve"


@pytest.mark.parametrize("snr", [20, 10, 5])
def test_the_noise_estimate_follows_the_noise_mixed_in(snr):
    from garden.speech.whisper import estimated_snr_db

    command = audio.silence(0.3) + tone(1.5) + audio.silence(0.3)
    assert estimated_snr_db(command) > 60  # digital silence around it
    assert estimated_snr_db(audio.mix_noise(command, snr, seed=1)) == pytest.approx(snr, abs=4)


class Says(Echo):
    def __init__(self, text):
        self.text, self.name, self.heard = text, f"says {text}", b""

    def finish(self):
        return self.text

    def hear(self, pcm):
        self.heard = pcm
        return self.text


def test_a_quiet_command_keeps_the_streaming_text_and_a_noisy_one_gets_whispers():
    from garden.speech.recognisers import Recogniser
    from garden.speech.whisper import QuietOrNoisy

    class Whisper(Says, Recogniser):
        pass

    whisper = Whisper("plant roses")
    pair = QuietOrNoisy(Whisper("plant rose is"), whisper)  # the first one streams
    command = audio.silence(0.3) + tone(1.5) + audio.silence(0.3)
    for noisy, expected in ((False, "plant rose is"), (True, "plant roses")):
        pcm = audio.mix_noise(command, 10, seed=2) if noisy else command
        pair.start()
        for at in range(0, len(pcm), audio.BLOCK_BYTES):
            pair.accept(pcm[at:at + audio.BLOCK_BYTES])
        assert pair.finish() == expected
    assert whisper.heard == audio.mix_noise(command, 10, seed=2)  # the whole command, as said
    # a recording (garden say): judged before Recogniser.transcribe pads it with digital silence
    assert pair.transcribe(audio.mix_noise(command, 10, seed=3)) == "plant roses"
    assert pair.transcribe(command) == "plant rose is"


@pytest.mark.slow
@needs_piper
@pytest.mark.skipif(not __import__("garden.speech.whisper", fromlist=["x"]).have_whisper(),
                    reason="the whisper extra is not installed")
def test_whisper_hears_a_command_through_white_noise_and_babble_at_10_db():
    from garden.speech.whisper import WhisperRecogniser

    from garden.speech.wer import word_errors

    whisper = WhisperRecogniser()
    said = "harvest the bottom row and water the middle column"
    command = synthetic.piper_command(said, vary=False)  # the same take in every run
    # PocketSphinx got about four words in five wrong at 10 dB; Whisper misses at most one of these nine
    assert word_errors(said, whisper.transcribe(audio.mix_noise(command, 10, seed=1))) <= 1
    assert word_errors(said, whisper.transcribe(synthetic.mix_babble(command, 10, seed=1))) <= 1
    assert whisper.transcribe(audio.silence(2.0)) == ""  # nothing said, nothing heard
