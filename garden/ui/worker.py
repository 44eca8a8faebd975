"""Work that must not freeze the window: running commands, loading the model.

Lines go to one worker thread, in order, so commands never overlap. Every finished turn, from this
worker or from any other thread that calls session.handle (voice), reaches the window through the
session listener as (turn, view) on `turns`: the view is taken right after the turn, in the thread
that ran it, while nothing else is changing the garden.
"""

from __future__ import annotations

import queue
import sys
import threading
import traceback
from typing import Callable

from garden.session import Preparing, Session, Turn
from garden.ui.view import GardenView

# While the player types, the worker runs the prompt up to the words typed so far, as voice does
# with partial transcripts (garden.session.Preparing); when the line has not changed for
# TYPING_PAUSE_S it decodes the answer too, and Enter on that same line uses it.
TYPING_POLL_S = 0.05
TYPING_PAUSE_S = 0.3


class Worker:
    def __init__(self, session: Session):
        self.session = session
        self.turns: queue.Queue[tuple[Turn, GardenView]] = queue.Queue()
        self._lines: queue.Queue[tuple[str, str]] = queue.Queue()
        self._pending = 0
        self._lock = threading.Lock()
        self.preparing = Preparing(session, TYPING_PAUSE_S)  # the input line as the player edits it
        session.listeners.append(self._on_turn)
        threading.Thread(target=self._run, name="garden-commands", daemon=True).start()

    def close(self) -> None:
        """Stop listening to the session (the session may outlive the window)."""
        if self._on_turn in self.session.listeners:
            self.session.listeners.remove(self._on_turn)
        self._lines.put(("", "stop"))

    def submit(self, line: str, source: str = "typed") -> None:
        with self._lock:
            self._pending += 1
        self._lines.put((line, source))

    def typing(self, line: str) -> None:
        """The input line changed (the window calls this on every edit); see TYPING_PAUSE_S."""
        self.preparing.offer("" if line.lstrip().startswith("/") else line)

    @property
    def idle(self) -> bool:
        with self._lock:
            return self._pending == 0

    def _on_turn(self, turn: Turn) -> None:
        try:
            view = GardenView.of(self.session.garden)
        except Exception:  # a listener must never break session.handle; the window keeps its old view
            traceback.print_exc()
            return
        self.turns.put((turn, view))

    def _run(self) -> None:
        while True:
            try:
                line, source = self._lines.get(timeout=TYPING_POLL_S)
            except queue.Empty:
                self._prepare_typed()
                continue
            if source == "stop":
                return
            try:
                self._handle(line, source)
                self.preparing.forget()
                if self._lines.empty():
                    self._prepare_next()
            finally:
                with self._lock:
                    self._pending -= 1

    def _prepare_next(self) -> None:
        """Run the next prompt's start (history and board line) while the player reads the result;
        it only saves time, so a failure is printed and forgotten."""
        try:
            self.session.prepare_next()
        except Exception:
            traceback.print_exc(file=sys.stderr)

    def _prepare_typed(self) -> None:
        """Prepare the command being typed (only saves time: a failure is printed and forgotten).
        It gives way as soon as a line is sent or the typed line changes."""
        if self.session.interpreter is None:
            return
        try:
            self.preparing.step(give_way=lambda: not self._lines.empty())
        except Exception:
            traceback.print_exc(file=sys.stderr)

    def _handle(self, line: str, source: str) -> None:
        voice = self.session.voice
        natural = not line.startswith("/")
        if natural:
            voice.status = "thinking"
        try:
            self.session.handle(line, source)
        except Exception as exc:  # a bug, but the window must say so and keep running
            traceback.print_exc(file=sys.stderr)
            turn = Turn(input=line, source=source, error=f"Something went wrong: {type(exc).__name__}: {exc}")
            self._on_turn(turn)
        finally:
            if natural and voice.status == "thinking":
                voice.status = "idle"


class ModelLoader:
    """Calls load_interpreter() once in the background and hands the result to the session."""

    def __init__(self, session: Session, load_interpreter: Callable[[], object] | None):
        self.session = session
        self.error: str | None = None
        self.loaded = load_interpreter is None
        if load_interpreter is not None:
            session.interpreter_note = "the language model is still loading"
            threading.Thread(target=self._load, args=(load_interpreter,), name="garden-model", daemon=True).start()

    @property
    def loading(self) -> bool:
        return not self.loaded

    def _load(self, load_interpreter) -> None:
        try:
            self.session.interpreter = load_interpreter()
        except Exception as exc:  # a missing or broken model is the player's problem to fix, not a crash
            self.error = f"{type(exc).__name__}: {exc}" if not str(exc) else str(exc)
            self.session.interpreter_note = f"the model could not be loaded: {self.error}"
        finally:
            self.loaded = True
