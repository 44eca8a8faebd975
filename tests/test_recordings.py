"""Recordings as players make them: sound files of any common layout read as 16 kHz mono, the speech
found in them, and `garden say` on recordings with nothing said (no recogniser or model needed)."""

import json
import re
import shutil
import struct
import subprocess
import time
from argparse import Namespace

import numpy as np
import pytest
import soundfile

from garden.speech import audio, recognisers
from garden.speech.endpoint import speech_span

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")


def tone_level(samples: np.ndarray, freq: float, rate: int = audio.RATE) -> float:
    """Amplitude (full scale 1) of a sine at freq in the middle half second (a whole number of
    periods of the test tones, so other tones there do not leak in)."""
    middle = samples[len(samples) // 2 - rate // 4:len(samples) // 2 + rate // 4].astype(np.float64) / 32768
    t = np.arange(len(middle)) / rate
    return float(2 * abs(np.mean(middle * np.exp(-2j * np.pi * freq * t))))


def two_tones(rate: int, seconds: float = 1.0) -> np.ndarray:
    """Stereo: 440 Hz at 0.4 on the left, 660 Hz at 0.4 on the right."""
    t = np.arange(int(rate * seconds)) / rate
    return np.stack([0.4 * np.sin(2 * np.pi * 440 * t), 0.4 * np.sin(2 * np.pi * 660 * t)], axis=1)


def white_noise(seconds: float, dbfs: float = -30, seed: int = 0) -> bytes:
    noise = np.random.default_rng(seed).standard_normal(int(audio.RATE * seconds)) * 32768 * 10 ** (dbfs / 20)
    return np.clip(noise, -32768, 32767).astype(np.int16).tobytes()


# --- reading ---------------------------------------------------------------------------------

@pytest.mark.parametrize("rate, fmt, subtype", [
    (8000, "WAV", "PCM_16"), (11025, "WAV", "PCM_U8"), (22050, "WAV", "PCM_24"), (44100, "WAV", "PCM_32"),
    (48000, "WAV", "FLOAT"), (16000, "WAV", "DOUBLE"), (8000, "WAVEX", "PCM_16"), (44100, "WAVEX", "FLOAT"),
    (48000, "WAVEX", "PCM_24"), (32000, "FLAC", "PCM_16")])
def test_any_common_layout_becomes_16_khz_mono_with_both_channels_at_their_pitch_and_level(tmp_path, rate, fmt,
                                                                                          subtype):
    path = tmp_path / f"tones.{'flac' if fmt == 'FLAC' else 'wav'}"
    soundfile.write(path, two_tones(rate), rate, subtype=subtype, format=fmt)
    samples = np.frombuffer(audio.read_wav(path), dtype=np.int16)
    assert abs(len(samples) - audio.RATE) <= 1
    # Mixed to mono: each channel at half its level. Linear interpolation up from 8 kHz costs 660 Hz 2%.
    assert tone_level(samples, 440) == pytest.approx(0.2, rel=0.03)
    assert tone_level(samples, 660) == pytest.approx(0.2, rel=0.03)
    assert tone_level(samples, 550) < 0.005  # no other pitch appears


def extensible_wav(channels: int, rate: int, samples: np.ndarray, float_samples: bool) -> bytes:
    """A WAVE_FORMAT_EXTENSIBLE file as sox writes one, header written by hand."""
    data = samples.astype("<f4" if float_samples else "<i2").tobytes()
    bits = 32 if float_samples else 16
    subformat = struct.pack("<I", 3 if float_samples else 1) + bytes.fromhex("00001000800000aa00389b71")
    fmt = struct.pack("<HHIIHHHHI", 0xFFFE, channels, rate, rate * channels * bits // 8, channels * bits // 8, bits,
                      22, bits, (1 << channels) - 1) + subformat
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


@pytest.mark.parametrize("float_samples", [False, True])
def test_a_stereo_8_khz_extensible_wav_is_read_not_refused(tmp_path, float_samples):
    """The issue's file: a stereo 8 kHz WAV from sox was refused with "unknown format: 65534"."""
    tones = two_tones(8000)
    data = extensible_wav(2, 8000, tones if float_samples else tones * 32767, float_samples)
    path = tmp_path / "sox.wav"
    path.write_bytes(data)
    for samples in (audio.read_wav(path), audio.wav_bytes_to_pcm(data)):
        samples = np.frombuffer(samples, dtype=np.int16)
        assert abs(len(samples) - audio.RATE) <= 1
        assert tone_level(samples, 440) == pytest.approx(0.2, rel=0.03)
        assert tone_level(samples, 660) == pytest.approx(0.2, rel=0.03)


@pytest.mark.skipif(shutil.which("sox") is None, reason="sox is not installed")
def test_the_issues_sox_command_makes_a_file_that_is_read(tmp_path):
    path = tmp_path / "x.wav"
    subprocess.run(["sox", "-n", "-r", "8000", "-c", "2", str(path), "synth", "1", "sine", "440"], check=True)
    samples = np.frombuffer(audio.read_wav(path), dtype=np.int16)
    assert abs(len(samples) - audio.RATE) <= 1
    assert tone_level(samples, 440) > 0.5  # sox's sine is at -3 dB on both channels


def test_a_recording_longer_than_asked_is_refused_before_it_is_decoded(tmp_path):
    path = tmp_path / "long.wav"
    soundfile.write(path, np.zeros((3 * 8000, 2)), 8000)
    assert len(audio.read_wav(path, max_seconds=5)) == 3 * audio.BYTES_PER_SECOND
    with pytest.raises(audio.AudioError, match=r"long.wav lasts 3 s, more than the 2 s read at most; .*trim 0 2`\.$"):
        audio.read_wav(path, max_seconds=2)


# --- finding the speech ----------------------------------------------------------------------

@needs_espeak
def test_speech_is_found_clean_and_under_noise_at_10_db_where_it_was_said():
    command = audio.espeak_command("plant sunflowers in the top row", voice="en-us+klatt")
    loud = np.flatnonzero(np.abs(np.frombuffer(command, dtype=np.int16)) > 1000) / audio.RATE
    said = loud[0], loud[-1]  # about 0.35 to 2.25 s: espeak-ng's silence and the 0.3 s padding around
    assert speech_span(command) == pytest.approx(said, abs=0.06)
    assert speech_span(audio.mix_noise(command, 10)) == pytest.approx(said, abs=0.1)
    noise = np.frombuffer(white_noise(60), dtype=np.int16).copy()
    noise[20 * audio.RATE:20 * audio.RATE + len(command) // 2] += np.frombuffer(command, dtype=np.int16)
    assert speech_span(noise.tobytes()) == pytest.approx((20 + said[0], 20 + said[1]), abs=0.06)


def test_silence_and_noises_hold_no_speech():
    rng = np.random.default_rng(1)
    t = np.arange(5 * audio.RATE) / audio.RATE
    swelling = rng.standard_normal(len(t)) * (0.5 + 0.5 * np.sin(2 * np.pi * 4 * t)) * 3000  # at a syllable rate
    claps = rng.standard_normal(len(t)) * 30
    for at in (1, 2, 3):
        claps[at * audio.RATE:at * audio.RATE + 800] += rng.standard_normal(800) * np.exp(-np.arange(800) / 200) * 10000
    hum = 3000 * np.sin(2 * np.pi * 50 * t)  # steady: loud, but never above its own floor
    for sound in (audio.silence(5), white_noise(5, -40), white_noise(5, -10), swelling.astype(np.int16).tobytes(),
                  claps.astype(np.int16).tobytes(), hum.astype(np.int16).tobytes(), audio.silence(0.01)):
        assert speech_span(sound) is None


def test_a_vowel_like_buzz_is_speech_to_the_test():
    """The positive case without espeak-ng: a 120 Hz buzz with harmonics, one second, after silence."""
    t = np.arange(audio.RATE) / audio.RATE
    buzz = sum(np.sin(2 * np.pi * 120 * k * t) / k for k in range(1, 20)) * 3000
    start, end = speech_span(audio.silence(1) + buzz.astype(np.int16).tobytes() + audio.silence(1))
    assert 0.95 <= start <= 1.0 and 2.0 <= end <= 2.05


# --- garden say ------------------------------------------------------------------------------

class GuessingRecogniser(recognisers.Recogniser):
    """Hears a command in anything, as PocketSphinx heard "fill" in white noise; records what it got."""

    name, description = "guessing", "guessing"

    def __init__(self):
        self.heard: list[bytes] = []

    def transcribe(self, pcm: bytes, **_) -> str:
        self.heard.append(pcm)
        return "water everything"


def say(tmp_path, monkeypatch, capsys, pcm: bytes, model=None):
    """garden say --json on this audio with GuessingRecogniser: (exit code, stdout lines, stderr,
    recogniser). model: say's _session; by default, asking for the model fails the test."""
    from garden import say as say_command

    rec = GuessingRecogniser()
    monkeypatch.setattr(recognisers, "open_recogniser", lambda *a, **k: rec)
    monkeypatch.setattr("garden.speech.whisper.steady_in_noise", lambda rec: rec)  # this recogniser alone
    monkeypatch.setattr(say_command, "_session", model or (lambda args: pytest.fail("nothing heard asked the model")))
    wav = audio.write_wav(tmp_path / "clip.wav", pcm)
    args = Namespace(wav=str(wav), rows=3, cols=3, json=True, engine=None, vosk_model=None, open_vocabulary=False)
    code = say_command.main(args)
    captured = capsys.readouterr()
    return code, captured.out.strip().splitlines(), captured.err, rec


@pytest.mark.parametrize("pcm", [audio.silence(5), white_noise(5), white_noise(60)], ids=["silence", "noise", "minute"])
def test_say_on_silence_or_noise_hears_nothing_and_makes_no_call(tmp_path, monkeypatch, capsys, pcm):
    t0 = time.perf_counter()
    code, out, err, rec = say(tmp_path, monkeypatch, capsys, pcm)
    assert code == 0 and err == "" and rec.heard == []  # the recogniser is not asked to guess
    assert out[0] == f"heard nothing: {tmp_path / 'clip.wav'} holds no speech, only silence or noise."
    assert json.loads(out[-1]) == {"text": "", "engine": "guessing", "calls": [], "results": []}
    assert time.perf_counter() - t0 < 5  # a minute of noise: 0.03 s to find no speech in it


@needs_espeak
def test_say_hears_only_the_speech_in_a_minute_of_noise(tmp_path, monkeypatch, capsys):
    command = audio.espeak_command("plant sunflowers in the top row", voice="en-us+klatt")
    noise = np.frombuffer(white_noise(60), dtype=np.int16).copy()
    noise[20 * audio.RATE:20 * audio.RATE + len(command) // 2] += np.frombuffer(command, dtype=np.int16)
    code, out, err, rec = say(tmp_path, monkeypatch, capsys, noise.tobytes(), model=lambda args: (None, "stop here"))
    assert (code, err.strip()) == (2, "garden: stop here")  # past the recogniser, on its way to the model
    heard = len(rec.heard[0]) / audio.BYTES_PER_SECOND
    assert len(rec.heard) == 1 and 2.7 < heard < 3.1  # 1.9 s of speech and 0.5 s either side
    assert out[0].startswith("heard (guessing, ") and ", the speech in 60.0 s): water everything" in out[0]


@needs_espeak
def test_say_refuses_more_speech_than_a_command_in_one_sentence(tmp_path, monkeypatch, capsys):
    talk = audio.espeak("plant sunflowers in the top row and water them") * 20  # about 45 s without a pause
    code, out, err, rec = say(tmp_path, monkeypatch, capsys, audio.silence(2) + talk)
    assert code == 2 and out == [] and rec.heard == []
    assert err.startswith(f"garden: {tmp_path / 'clip.wav'} holds ") and "up to 30 s" in err
    assert re.search(r"trim 1\.[56] 30`\.$", err.strip()) and err.count("\n") == 1
