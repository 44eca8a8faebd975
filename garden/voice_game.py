"""Voice in the game window: push-to-talk on SPACE, or hands-free with end-of-speech detection.

Glue over several layers (speech, session, the window), so it lives next to the CLI, not in speech/.

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

`garden play` does this through game_hooks(session, args).
"""

from __future__ import annotations

import atexit
import collections
import inspect
import queue
import sys
import threading
import time
import traceback
from typing import Callable

from garden.session import Preparing
from garden.speech.audio import BYTES_PER_SECOND
from garden.speech.capture import CaptureError, Microphone
from garden.speech.endpoint import EndOfSpeech
from garden.speech.recognisers import Recogniser, RecogniserError, open_recogniser
from garden.speech.whisper import steady_in_noise

PRE_ROLL_SECONDS = 0.3  # audio from just before the key press: people start talking as they press
TAIL_SECONDS = 0.15  # audio after the release: people let go as the last word ends
MAX_UTTERANCE_SECONDS = 15.0
# A partial transcript unchanged this long is taken as the command so far, and its answer decoded
# before the key is let go (ModelInterpreter.prepare(answer=True)); a pause mid-command costs one
# decode that the next word interrupts.
ANSWER_AFTER_SECONDS = 0.2
NOTHING_HEARD = "I didn't catch a command; hold SPACE while you speak, then let go."


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
            lambda: steady_in_noise(open_recogniser(engine, vosk_model, open_vocabulary,
                                                    announce=lambda text: setattr(self.voice, "message", text))))
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
        # The latest partial transcript for the model to start on. A thread of its own, because a
        # prepare step (50-300 ms) must not hold up reading the microphone.
        self.preparing = Preparing(session, ANSWER_AFTER_SECONDS)
        self._heard_changed = threading.Condition()
        self._preparer = threading.Thread(target=self._prepare_loop, name="garden-prepare", daemon=True)

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

    @property
    def prepared_tokens(self) -> int:
        """Prompt tokens run while the player spoke (tests, benches)."""
        return self.preparing.tokens

    def _offer(self, partial: str | None) -> None:
        """A new partial transcript; None: the final text is on its way, do not hold the model up."""
        if self._preparer.is_alive():
            self.preparing.offer(partial or "")
            with self._heard_changed:
                self._heard_changed.notify()

    def _prepare_loop(self) -> None:
        while not self._stop.is_set():
            due = self.preparing.due_in()
            # Wait for new words, or for these to stay long enough; and while the final text is on
            # its way, do not hold the model up.
            if due is None or due > 0 or self._working:
                with self._heard_changed:
                    self._heard_changed.wait(0.5 if due is None else max(due, 0.02))
                continue
            try:  # an answer gives way to a newer partial, and to the command itself if it differs
                self.preparing.step()
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
        self.preparing.forget()  # the same words as last time are a new command on a changed garden
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


def game_hooks(session, args) -> dict:
    """Keyword arguments for garden.ui.play that add voice to the window (on_event: SPACE is
    push-to-talk; on_frame). A headless run has no keyboard, so it only listens with --listen."""
    if getattr(args, "headless", False) and not getattr(args, "listen", False):
        return {}
    engine = None if args.voice in (None, "auto") else args.voice
    game = VoiceGame(session, engine=engine, vosk_model=args.vosk_model, open_vocabulary=args.open_vocabulary,
                     input_device=args.input_device, listen=args.listen)
    game.start()
    if engine is None:  # the first voice use without a Vosk model: say so and download it
        from garden.speech.fetch import offer_download

        def offer() -> None:
            if game.ready.wait(120) and not game.failed and game.recogniser.name != "vosk":
                offer_download(session.voice, args.vosk_model)
        threading.Thread(target=offer, name="garden-vosk-offer", daemon=True).start()
    atexit.register(game.close)
    hooks = {"on_event": game.on_event, "on_frame": game.on_frame}
    from garden import ui

    accepted = inspect.signature(ui.play).parameters
    return {name: hook for name, hook in hooks.items() if name in accepted}
