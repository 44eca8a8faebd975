"""Recordings as players make them: sound files of any common layout read as 16 kHz mono."""

import shutil
import struct
import subprocess

import numpy as np
import pytest
import soundfile

from garden.speech import audio



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
