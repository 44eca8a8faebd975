"""End-of-speech detection for hands-free listening: when speech starts and when it has ended."""

from __future__ import annotations

import numpy as np


class EndOfSpeech:
    """Energy-based voice activity detection for hands-free play.

    feed(pcm) returns "start" when speech begins (after `start_seconds` of loud audio), "end" when
    `end_seconds` of quiet follow speech, else None. Loud means `margin_db` above a noise floor that
    follows the quiet parts of the signal."""

    def __init__(self, start_seconds: float = 0.1, end_seconds: float = 0.6, margin_db: float = 10.0,
                 floor_db: float = -60.0, min_speech_db: float = -45.0, frame_seconds: float = 0.02):
        self.start_frames = max(1, round(start_seconds / frame_seconds))
        self.end_frames = max(1, round(end_seconds / frame_seconds))
        self.margin_db, self.floor_db, self.min_speech_db = margin_db, floor_db, min_speech_db
        self.frame_bytes = int(2 * 16000 * frame_seconds)
        self.in_speech = False
        self._loud = self._quiet = 0
        self._pending = b""

    def feed(self, pcm: bytes) -> str | None:
        event = None
        data = self._pending + pcm
        usable = len(data) - len(data) % self.frame_bytes
        self._pending = data[usable:]
        for i in range(0, usable, self.frame_bytes):
            event = self._frame(data[i:i + self.frame_bytes]) or event
        return event

    def _frame(self, frame: bytes) -> str | None:
        samples = np.frombuffer(frame, dtype=np.int16).astype(np.float32)
        db = 20 * np.log10(max(float(np.sqrt(np.mean(samples ** 2))) / 32768, 1e-6))
        loud = db > max(self.floor_db + self.margin_db, self.min_speech_db)
        if not self.in_speech:
            if not loud:  # the floor follows quiet frames fast going down, slowly going up
                rate = 0.3 if db < self.floor_db else 0.02
                self.floor_db += rate * (db - self.floor_db)
            self._loud = self._loud + 1 if loud else 0
            if self._loud >= self.start_frames:
                self.in_speech, self._quiet = True, 0
                return "start"
            return None
        self._quiet = 0 if loud else self._quiet + 1
        if self._quiet >= self.end_frames:
            self.in_speech, self._loud = False, 0
            return "end"
        return None

    def reset(self) -> None:
        self.in_speech, self._loud, self._quiet, self._pending = False, 0, 0, b""
