"""The microphone: a sounddevice input stream whose callback only enqueues bytes.

    mic = Microphone(device=None)   # None: the system's default input
    mic.open()                      # CaptureError with one clear sentence if it cannot
    pcm = mic.read(timeout=0.1)     # 16 kHz mono int16 bytes, or b"" if nothing arrived yet
    mic.level                       # 0..1, the loudness of the last block (for the meter)
    mic.close()

The device's own rate is used when it cannot do 16 kHz, and resampled here, outside the callback.
"""

from __future__ import annotations

import importlib
import queue
import time

import numpy as np

from garden.speech.audio import RATE, StreamResampler, level

BLOCK_SECONDS = 0.05
# No audio for this long from a running stream, over at least STALL_READS reads that each waited
# and found nothing, means the device went away. Both, because a busy process (a model loading
# beside the voice thread, on 2 cores) can hold back the audio callback and this reader together
# for seconds: waking up, the first read finds the clock far ahead and the blocks not yet queued.
# (CI saw "stopped sending sound" that way with a 2 s wall-clock limit alone.) A device that is
# unplugged usually ends the stream at once (the "stopped" message); this is the fallback.
STALL_SECONDS = 5.0
STALL_READS = 10
STILL_WORKS = "typed commands still work"


class CaptureError(Exception):
    """No PortAudio, no microphone, or a device error: one sentence for the player."""


def import_sounddevice():
    """sounddevice, or a CaptureError that says what to install. (Importing it loads PortAudio.)"""
    try:
        return importlib.import_module("sounddevice")
    except OSError as exc:  # sounddevice raises OSError("PortAudio library not found")
        raise CaptureError("Voice needs the PortAudio library, which is not installed "
                           f"(Debian/Ubuntu: sudo apt install libportaudio2); {STILL_WORKS}.") from exc
    except ImportError as exc:
        raise CaptureError(f"Voice needs the sounddevice package (pip install sounddevice); {STILL_WORKS}.") from exc


def input_device(sd, device: str | int | None) -> tuple[int | str | None, dict]:
    """(device for sounddevice, its info), or a CaptureError naming the problem."""
    if isinstance(device, str) and device.strip().isdigit():
        device = int(device)
    try:
        if device is None or device == "":
            info = sd.query_devices(kind="input")
            device = None
        else:
            info = sd.query_devices(device, "input")
    except (ValueError, sd.PortAudioError) as exc:
        if device is None:
            raise CaptureError(f"No microphone found; {STILL_WORKS}.") from exc
        raise CaptureError(f"No input device matches {device!r} (`python -m sounddevice` lists them); {STILL_WORKS}.") from exc
    if int(info.get("max_input_channels", 0)) < 1:
        raise CaptureError(f"The device {info.get('name', device)!r} has no microphone input; {STILL_WORKS}.")
    return device, info


class Microphone:
    def __init__(self, device: str | int | None = None, block_seconds: float = BLOCK_SECONDS):
        self.device = device
        self.block_seconds = block_seconds
        self.level = 0.0
        self.name = ""
        self.device_rate = RATE
        self.channels = 1
        self._queue: queue.Queue = queue.Queue()
        self._stream = None
        self._resampler: StreamResampler | None = None
        self._last_audio = 0.0
        self._empty_reads = 0
        self._failed: str | None = None
        self.overflows = 0  # blocks the host dropped because the callback came too late (a busy machine)

    # --- the audio thread: enqueue and nothing else -------------------------------------

    def _callback(self, indata, frames, time_info, status) -> None:
        if status and status.input_overflow:
            self.overflows += 1
        self._queue.put(bytes(indata))

    def _finished(self) -> None:
        self._queue.put(None)  # the stream stopped; read() decides whether that was expected

    # --- the consumer side ---------------------------------------------------------------

    def open(self) -> None:
        sd = import_sounddevice()
        device, info = input_device(sd, self.device)
        self.name = str(info.get("name", "microphone"))
        rate = RATE
        try:
            sd.check_input_settings(device=device, channels=1, dtype="int16", samplerate=RATE)
        except Exception:  # the device cannot do 16 kHz mono itself: take its own rate and resample
            rate = int(info.get("default_samplerate") or 48000)
        channels = 1
        try:
            sd.check_input_settings(device=device, channels=1, dtype="int16", samplerate=rate)
        except Exception:
            channels = max(1, min(2, int(info.get("max_input_channels", 1))))
        self.device_rate, self.channels = rate, channels
        self._resampler = StreamResampler(rate, RATE)
        try:
            self._stream = sd.RawInputStream(samplerate=rate, blocksize=int(rate * self.block_seconds), device=device,
                                             channels=channels, dtype="int16", callback=self._callback,
                                             # the host's larger buffer: on a busy machine a late callback
                                             # then delays a block instead of dropping the words in it
                                             latency="high",
                                             finished_callback=self._finished)
            self._stream.start()
        except Exception as exc:  # PortAudioError, or an OSError from the host API
            self._stream = None
            raise CaptureError(f"The microphone {self.name!r} could not be opened ({_short(exc)}); {STILL_WORKS}.") from exc
        self._last_audio = time.monotonic()

    @property
    def is_open(self) -> bool:
        return self._stream is not None

    def read(self, timeout: float = 0.1) -> bytes:
        """The next block as 16 kHz mono int16 bytes (b"" after `timeout` with nothing new).
        Raises CaptureError when the device stopped or went silent mid-stream."""
        if self._failed:
            raise CaptureError(self._failed)
        try:
            block = self._queue.get(timeout=timeout)
        except queue.Empty:
            self._empty_reads += 1
            if (self._stream is not None and self._empty_reads >= STALL_READS
                    and time.monotonic() - self._last_audio > STALL_SECONDS):
                self._fail("stopped sending sound")
            return b""
        if block is None:
            if self._stream is None:
                return b""  # closed on purpose
            self._fail("stopped")
        self._last_audio, self._empty_reads = time.monotonic(), 0
        return self._convert(block)

    def drain(self) -> bytes:
        """Everything queued right now, converted (used when a key is released)."""
        out = []
        while True:
            try:
                block = self._queue.get_nowait()
            except queue.Empty:
                return b"".join(out)
            if block is None:
                self._queue.put(None)
                return b"".join(out)
            out.append(self._convert(block))

    def _convert(self, block: bytes) -> bytes:
        data = np.frombuffer(block, dtype=np.int16)
        if self.channels > 1:
            data = data.reshape(-1, self.channels).astype(np.float32).mean(axis=1)
        if self._resampler is not None and self.device_rate != RATE:
            data = self._resampler.process(data)
        pcm = np.clip(np.round(data), -32768, 32767).astype(np.int16).tobytes()
        self.level = level(pcm)
        return pcm

    def _fail(self, what: str) -> None:
        self._failed = f"The microphone {what} (device error or unplugged?); {STILL_WORKS}."
        self.close()
        raise CaptureError(self._failed)

    def close(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.stop()
                stream.close()
            except Exception:  # closing a device that already vanished may fail; nothing to do
                pass
        self.level = 0.0


def _short(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
