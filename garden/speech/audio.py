"""Audio as the recognisers want it (16 kHz mono int16 bytes), and the helpers around it:
reading sound files, resampling, levels, synthetic speech (espeak-ng) and noise for tests and benches."""

from __future__ import annotations

import io
import shutil
import subprocess
import wave
from pathlib import Path

import numpy as np
import soundfile

RATE = 16000
BYTES_PER_SECOND = RATE * 2
# 100 ms of audio: the block size a microphone stream delivers, and the one recognisers are fed in.
BLOCK_BYTES = BYTES_PER_SECOND // 10


class AudioError(Exception):
    """A sound file or tool the player pointed us at is unusable: one clear sentence."""


def to_mono_int16(samples: np.ndarray, rate: int, target_rate: int = RATE) -> bytes:
    """Any (frames,) or (frames, channels) int16/float array at `rate` -> mono int16 bytes at target_rate."""
    data = np.asarray(samples)
    if data.ndim == 2:
        data = data.astype(np.float32).mean(axis=1)
    data = data.astype(np.float32)
    if rate != target_rate and len(data):
        data = resample(data, rate, target_rate)
    return np.clip(np.round(data), -32768, 32767).astype(np.int16).tobytes()


def low_pass(rate: int, cutoff: float, taps: int = 63) -> np.ndarray:
    """A windowed-sinc FIR low-pass filter (Hamming window) with unit gain at 0 Hz."""
    n = np.arange(taps) - (taps - 1) / 2
    kernel = np.sinc(2 * cutoff / rate * n) * np.hamming(taps)
    return (kernel / kernel.sum()).astype(np.float32)


def resample(data: np.ndarray, rate: int, target_rate: int) -> np.ndarray:
    """Linear interpolation; going down, a low-pass first, so what lies above the new Nyquist
    frequency does not fold back into the speech band as noise."""
    if rate > target_rate:
        data = np.convolve(data, low_pass(rate, 0.45 * target_rate), mode="same")
    count = int(round(len(data) * target_rate / rate))
    return np.interp(np.arange(count) * (rate / target_rate), np.arange(len(data)), data).astype(np.float32)


class StreamResampler:
    """Resamples a stream block by block without clicks at block edges (keeps the fractional
    position and the last input sample between calls)."""

    def __init__(self, rate: int, target_rate: int = RATE):
        self.rate, self.target_rate = rate, target_rate
        self.step = rate / target_rate
        self._pos = 0.0  # position of the next output sample, in input samples, relative to _tail
        self._tail = np.zeros(0, dtype=np.float32)
        self._kernel = low_pass(rate, 0.45 * target_rate) if rate > target_rate else None
        self._history = np.zeros(0 if self._kernel is None else len(self._kernel) - 1, dtype=np.float32)

    def process(self, block: np.ndarray) -> np.ndarray:
        block = block.astype(np.float32)
        if self.rate == self.target_rate:
            return block
        if self._kernel is not None:  # low-pass across block edges: the filter delays by half its length
            padded = np.concatenate([self._history, block])
            self._history = padded[len(padded) - len(self._history):]
            block = np.convolve(padded, self._kernel, mode="valid").astype(np.float32)
        data = np.concatenate([self._tail, block])
        if len(data) < 2:
            self._tail = data
            return np.zeros(0, dtype=np.float32)
        positions = np.arange(self._pos, len(data) - 1, self.step)
        out = np.interp(positions, np.arange(len(data)), data)
        next_pos = self._pos + len(positions) * self.step
        keep = min(int(next_pos), len(data) - 1)  # from the sample just before the next output position
        self._tail = data[keep:]
        self._pos = next_pos - keep
        return out.astype(np.float32)


def level(pcm: bytes) -> float:
    """Loudness 0..1 for a meter: RMS in dBFS mapped from -60..0 dB."""
    data = np.frombuffer(pcm, dtype=np.int16)
    if not len(data):
        return 0.0
    rms = float(np.sqrt(np.mean(data.astype(np.float32) ** 2))) / 32768
    db = 20 * np.log10(max(rms, 1e-6))
    return float(min(1.0, max(0.0, (db + 60) / 60)))


def read_wav(path: str | Path, max_seconds: float | None = None) -> bytes:
    """A sound file as 16 kHz mono int16 bytes. Any WAV layout (8/16/24/32-bit PCM, 32/64-bit float,
    WAVE_FORMAT_EXTENSIBLE), any rate and channel count, and whatever else libsndfile reads
    (FLAC, Ogg, MP3, AIFF...). max_seconds: refuse longer recordings before decoding them, so a
    file of hours does not fill the memory."""
    if not Path(path).is_file():  # libsndfile would say only "System error"
        raise AudioError(f"There is no file {path}.")
    try:
        with soundfile.SoundFile(str(path)) as f:
            seconds = f.frames / f.samplerate
            if max_seconds is not None and seconds > max_seconds:
                raise AudioError(f"{path} lasts {seconds:.0f} s, more than the {max_seconds:.0f} s read at most; cut "
                                 f"out the part with the command, e.g. `sox {path} part.wav trim 0 {max_seconds:.0f}`.")
            return _decode(f)
    except soundfile.LibsndfileError as exc:
        raise AudioError(f"{path} is not a sound file I can read ({exc.error_string.rstrip('.')}); convert it to WAV, "
                         f"e.g. `sox in.m4a out.wav`.") from exc


def wav_bytes_to_pcm(data: bytes) -> bytes:
    """WAV file contents (espeak-ng's output) as 16 kHz mono int16 bytes."""
    with soundfile.SoundFile(io.BytesIO(data)) as f:
        return _decode(f)


def _decode(f) -> bytes:
    """An open soundfile.SoundFile -> 16 kHz mono int16 bytes. libsndfile converts every sample
    format to float in -1..1 (integers divided by 2^(bits-1), so 16-bit samples come back exactly)."""
    samples = f.read(dtype="float32", always_2d=True) * 32768
    return to_mono_int16(samples, f.samplerate)


def write_wav(path: str | Path, pcm: bytes, rate: int = RATE) -> Path:
    path = Path(path)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm)
    return path


def silence(seconds: float) -> bytes:
    return bytes(2 * int(RATE * seconds))


# --- synthetic speech and noise (tests and `garden bench voice`) -------------------------------

def have_espeak() -> bool:
    return shutil.which("espeak-ng") is not None


def espeak(text: str, voice: str = "en-us", speed: int = 160, pitch: int = 50, timeout: float = 30) -> bytes:
    """`text` spoken by espeak-ng, as 16 kHz mono int16 bytes."""
    if not have_espeak():
        raise AudioError("espeak-ng is not installed (Debian/Ubuntu: sudo apt install espeak-ng).")
    try:
        done = subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "--stdout", text],
                              capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        raise AudioError(f"espeak-ng took longer than {timeout:g} s.") from exc
    if done.returncode != 0 or not done.stdout:
        raise AudioError(f"espeak-ng failed: {done.stderr.decode(errors='replace').strip() or done.returncode}")
    return wav_bytes_to_pcm(done.stdout)


def espeak_command(text: str, voice: str = "en-us", speed: int = 160, pitch: int = 50, pad: float = 0.3) -> bytes:
    """espeak(text) with `pad` seconds of silence before and after: a command as the voice bench
    and the tests play it to a recogniser (a player holds the key a moment before speaking and lets
    go a moment after; Recogniser.transcribe adds the same to a recording)."""
    return silence(pad) + espeak(text, voice=voice, speed=speed, pitch=pitch) + silence(pad)


def mix_noise(pcm: bytes, snr_db: float, seed: int = 0) -> bytes:
    """Add white noise (flat up to 8 kHz, like a fan's hiss) at a signal-to-noise ratio measured
    over the speech."""
    noise = np.random.default_rng(seed).standard_normal(len(pcm) // 2).astype(np.float32)
    return mix_at_snr(pcm, noise, snr_db)


def mix_at_snr(pcm: bytes, noise: np.ndarray, snr_db: float) -> bytes:
    """pcm plus `noise` (as many samples) scaled so that speech power / noise power is snr_db."""
    speech = np.frombuffer(pcm, dtype=np.int16).astype(np.float32)
    if not len(speech):
        return pcm
    loud = np.abs(speech) > 0.05 * np.max(np.abs(speech))  # power of the speech, not of its pauses
    power = np.mean(speech[loud] ** 2) if loud.any() else np.mean(speech ** 2)
    noise = noise.astype(np.float32) * np.sqrt(power / (10 ** (snr_db / 10)) / max(np.mean(noise ** 2), 1e-12))
    return np.clip(np.round(speech + noise), -32768, 32767).astype(np.int16).tobytes()
