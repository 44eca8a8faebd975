"""Voice in the game window: push-to-talk on SPACE, or hands-free with end-of-speech detection.

The window calls on_event (key presses) and on_frame (once a frame); everything else happens on
one voice thread: it reads the microphone, feeds the recogniser, writes session.voice for the HUD
(status, engine, live partial transcript, level, message) and hands the final text to the window
as a COMMAND event, which runs it on the window's worker like a typed line with source="voice".
While the player speaks, a second thread hands each new partial transcript to session.prepare,
so the model has run most of the prompt by the time speech ends; once the transcript has stopped
changing for ANSWER_AFTER_SECONDS it decodes the answer too, which the command uses when the final
text is the same.

    game = VoiceGame(session, engine=None, listen=False)
    game.start()
    garden.ui.play(session, on_event=game.on_event, on_frame=game.on_frame)
    game.close()
"""

from __future__ import annotations

import collections
import queue
import sys
import threading
import time
import traceback
from typing import Callable

import numpy as np

from garden.speech.audio import BYTES_PER_SECOND
from garden.speech.capture import CaptureError, Microphone
from garden.speech.recognisers import Recogniser, RecogniserError, open_recogniser

PRE_ROLL_SECONDS = 0.3  # audio from just before the key press: people start talking as they press
TAIL_SECONDS = 0.15  # audio after the release: people let go as the last word ends
MAX_UTTERANCE_SECONDS = 15.0
# A partial transcript unchanged this long is taken as the command so far, and its answer decoded
# before the key is let go (ModelInterpreter.prepare(answer=True)); a pause mid-command costs one
# decode that the next word interrupts.
ANSWER_AFTER_SECONDS = 0.2
NOTHING_HEARD = "I didn't catch a command; hold SPACE while you speak, then let go."


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


def post_to_window(text: str) -> None:
    """Hand the text to the game window (thread-safe); it runs it like a typed line."""
    import pygame

    from garden.ui.app import COMMAND

    pygame.event.post(pygame.event.Event(COMMAND, text=text, source="voice"))


class VoiceGame:
    def __init__(self, session, *, engine: str | None = None, vosk_model: str | None = None,
                 open_vocabulary: bool = False, input_device: str | None = None, listen: bool = False,
                 recogniser: Recogniser | Callable[[], Recogniser] | None = None,
                 microphone: Microphone | None = None, deliver: Callable[[str], None] | None = None,
                 key: int | None = None):
        """recogniser: a Recogniser, or a function that makes one (default: open_recogniser with
        engine/vosk_model/open_vocabulary). microphone: default Microphone(input_device).
        deliver(text): default posts a COMMAND event to the window."""
        self.session = session
        self.voice = session.voice
        self.listen = listen
        self._make_recogniser = recogniser if callable(recogniser) else (lambda: recogniser) if recogniser else (
            lambda: open_recogniser(engine, vosk_model, open_vocabulary,
                                    announce=lambda text: setattr(self.voice, "message", text)))
        self.microphone = microphone or Microphone(input_device)
        self.deliver = deliver or post_to_window
        if key is None:
            import pygame

            key = pygame.K_SPACE
        self.key = key
        self.recogniser: Recogniser | None = None
        self.ready = threading.Event()  # recogniser loaded and microphone open
        self.failed: str | None = None
        self.window_seen = threading.Event()  # the window exists, so posting events is safe
        self.utterances: list[dict] = []  # text and timings of each finished utterance (tests, benches)
        self._controls: queue.Queue[str] = queue.Queue()
        self._pressed = False
        self._working = False  # between a release and handing the text over
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="garden-voice", daemon=True)
        # The latest partial transcript for the model to start on (None: nothing new). A thread of
        # its own, because a prepare step (50-300 ms) must not hold up reading the microphone.
        self._heard: str | None = None
        self._heard_changed = threading.Condition()
        self._preparer = threading.Thread(target=self._prepare_loop, name="garden-prepare", daemon=True)
        self.prepared_tokens = 0  # prompt tokens run while the player spoke (tests, benches)

    # --- the window's hooks (main thread) ---------------------------------------------------

    def on_event(self, event, session) -> bool:
        import pygame

        if event.type == pygame.KEYDOWN and event.key == self.key:
            if self.failed:
                return True  # SPACE stays push-to-talk (the HUD says why voice is off), and nothing waits
            if not self._pressed:  # key repeat sends more KEYDOWNs while held
                self._pressed = True
                self._controls.put("press")
            return True
        if event.type == pygame.KEYUP and event.key == self.key:
            if self._pressed:
                self._pressed = False
                self._controls.put("release")
                return True
            return False
        if event.type in (pygame.WINDOWFOCUSLOST, pygame.WINDOWHIDDEN) and self._pressed:
            self._pressed = False  # the KEYUP will never come
            self._controls.put("release")
        return False

    def on_frame(self, session) -> bool:
        """True while voice work is under way, so a headless window keeps running for it; hands-free,
        listening never ends (until the window's max_seconds)."""
        self.window_seen.set()
        busy = self.busy or (self.listen and not self.failed)
        if busy or not self.ready.is_set():
            # A headless window does not wait between frames; without a pause here its loop would
            # hold the GIL and starve the voice thread. (A real window sleeps 30 ms a frame anyway.)
            time.sleep(0.002)
        return busy

    @property
    def busy(self) -> bool:
        if self.failed:
            return False
        return self._pressed or self._working or self.voice.status != "idle" or not self._controls.empty()

    # --- life cycle --------------------------------------------------------------------------

    def start(self) -> "VoiceGame":
        self._thread.start()
        self._preparer.start()  # the model may still be loading; session.prepare waits for none
        return self

    def close(self, timeout: float = 3.0) -> None:
        self._stop.set()
        self._controls.put("stop")
        with self._heard_changed:
            self._heard_changed.notify_all()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout)
        self.microphone.close()

    # --- the voice thread --------------------------------------------------------------------

    def _run(self) -> None:
        try:
            self._listen()
        except Exception as exc:  # a bug; the window says so and typed commands go on
            traceback.print_exc(file=sys.stderr)
            self._give_up(f"voice stopped after an error ({type(exc).__name__}: {exc}); typed commands still work")

    def _listen(self) -> None:
        if not self._setup():
            return
        pre_roll: collections.deque[bytes] = collections.deque(maxlen=max(1, round(PRE_ROLL_SECONDS / 0.05)))
        vad = EndOfSpeech()
        heard: list[bytes] = []  # the current utterance, kept for tests and benches
        listening = False
        while not self._stop.is_set():
            action = self._next_control()
            if action == "stop":
                break
            if action == "press" and not listening:
                listening = True
                heard = self._begin(list(pre_roll))
            elif action == "release" and listening:
                listening = False
                self._end(heard, tail=True)
                vad.reset()
                continue
            try:
                pcm = self.microphone.read(timeout=0.05)
            except CaptureError as exc:
                self._give_up(str(exc))
                return
            if not pcm:
                continue
            if listening:
                heard.append(pcm)
                partial = self.recogniser.accept(pcm)
                if partial != self.voice.partial:
                    self._offer(partial)
                self.voice.partial = partial
                self.voice.level = self.microphone.level
                if len(heard) * len(pcm) > MAX_UTTERANCE_SECONDS * BYTES_PER_SECOND:
                    listening = False
                    self._pressed = False
                    self._end(heard, tail=False)
                elif self.listen and not self._pressed and vad.feed(pcm) == "end":
                    listening = False
                    self._end(heard, tail=False)
                continue
            pre_roll.append(pcm)
            if self.listen and self.voice.status == "idle" and vad.feed(pcm) == "start":
                listening = True
                heard = self._begin(list(pre_roll))

    def _setup(self) -> bool:
        self.voice.message = "starting speech recognition…"
        try:
            self.recogniser = self._make_recogniser()
        except RecogniserError as exc:
            return self._give_up(str(exc))
        try:
            self.microphone.open()
        except CaptureError as exc:
            return self._give_up(str(exc))
        self.voice.engine = self.recogniser.name
        self.voice.message = self.recogniser.note
        self.voice.status = "idle"
        self.ready.set()
        return True

    def _give_up(self, message: str) -> bool:
        self.failed = message
        self._pressed = False
        self.voice.engine = None
        self.voice.status, self.voice.partial, self.voice.level = "idle", "", 0.0
        self.voice.message = message
        self._working = False
        self.microphone.close()
        self.ready.set()  # waiting is over, with an answer
        return False

    def _offer(self, partial: str | None) -> None:
        if self._preparer.is_alive():
            with self._heard_changed:
                self._heard = partial
                self._heard_changed.notify()

    def _prepare_loop(self) -> None:
        steady = ""  # the partial prepared last; once it stops changing, its answer is decoded
        while not self._stop.is_set():
            answer = False
            with self._heard_changed:
                if self._heard is None and steady:
                    self._heard_changed.wait(ANSWER_AFTER_SECONDS)
                    answer = self._heard is None
                while self._heard is None and not answer and not self._stop.is_set():
                    self._heard_changed.wait(0.5)
                heard, self._heard = (steady, None) if answer else (self._heard, None)
            steady = "" if answer else (heard or "")
            if not heard or self._working:  # the final text is on its way: do not hold the model up
                steady = ""
                continue
            try:  # an answer gives way to a newer partial, and to the command itself if it differs
                self.prepared_tokens += self.session.prepare(heard, answer=answer,
                                                             give_way=lambda: self._heard is not None)
            except Exception:  # a bug: say it once and stop preparing; commands still work without it
                traceback.print_exc(file=sys.stderr)
                return

    def _next_control(self) -> str | None:
        try:
            return self._controls.get_nowait()
        except queue.Empty:
            return None

    def _begin(self, pre_roll: list[bytes]) -> list[bytes]:
        self.recogniser.start()
        self.voice.status, self.voice.partial = "listening", ""
        for pcm in pre_roll:
            self.voice.partial = self.recogniser.accept(pcm)
        return list(pre_roll)

    def _end(self, heard: list[bytes], tail: bool) -> None:
        """The speech is over: feed what is queued (and a short tail), finish, hand the text over."""
        self._working = True
        self._offer(None)
        released = time.perf_counter()
        try:
            pending = self.microphone.drain()
            if tail:
                wanted = int(TAIL_SECONDS * BYTES_PER_SECOND)
                deadline = time.monotonic() + TAIL_SECONDS + 0.2
                while len(pending) < wanted and time.monotonic() < deadline:
                    pending += self.microphone.read(timeout=0.05)
            if pending:
                heard.append(pending)
                self.recogniser.accept(pending)
        except CaptureError as exc:
            self._give_up(str(exc))
            return
        finished = time.perf_counter()
        text = self.recogniser.finish()
        recognised = time.perf_counter()
        self.voice.partial, self.voice.level = text, 0.0
        self.utterances.append({"text": text, "audio": b"".join(heard), "released": released,
                                "recognise_ms": (recognised - finished) * 1000,
                                "end_to_text_ms": (recognised - released) * 1000,
                                "overflows": self.microphone.overflows})
        if not text:
            self.voice.status = "idle"
            self.voice.message = NOTHING_HEARD
        else:
            self.voice.status = "thinking"  # the window's worker sets it back to idle when the turn is done
            if self.voice.message == NOTHING_HEARD:
                self.voice.message = self.recogniser.note
            self.window_seen.wait(timeout=5)
            try:
                self.deliver(text)
            except Exception as exc:  # the window is gone or not up yet: say so, keep listening
                self.voice.status, self.voice.message = "idle", f"could not hand over what I heard ({exc})"
        self._working = False
