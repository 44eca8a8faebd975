"""One game session: a garden, its history, and the handling of one line of input.

Both consoles (the Pygame window's and the terminal's) and the voice path send text here and
get back a Turn that says everything that happened: what came in, what the model emitted, the
calls, the engine's results, and how long each part took. The UI only renders Turns.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from garden import questions, repeats, tools
from garden.brain.api import Exchange, Interpretation, Interpreter  # noqa: F401  (the session's vocabulary)
from garden.engine import Garden
from garden.engine import save as saving

HISTORY_KEPT = 2  # exchanges fed back to the model so follow-ups ("now water them") resolve
MAX_INPUT_CHARS = 300  # longer input is refused with a clear reply, never sent to the model
UNDO_KEPT = 20  # changes /undo can take back, newest first
# After the game held back a harvest nobody asked for (questions.unasked_destruction), these run it.
YES_WORDS = re.compile(r"(?:ok |okay )?(?:yes|yeah|yep|sure|do it|go ahead|harvest them|harvest it)(?: please| do it)?[.!]?",
                       re.IGNORECASE)
# Said or typed, these undo rather than go to the model: the model gets some commands wrong (the
# README's accuracy table says how many; more by voice), and a wrong harvest destroys sprouts, so
# taking a command back must not depend on the model understanding "undo".
UNDO_WORDS = re.compile(r"(?:please |ok |okay |oops )?(?:undo|take (?:that|it) back)"
                        r"(?: that| it| the last (?:one|command))?(?: please)?[.!]?", re.IGNORECASE)

HELP = """Commands:
  <anything else>       a garden command in plain English, e.g. "plant roses in the top row"
  /call <call text>     run FunctionGemma call syntax, e.g.
                        /call call:plant_seed{plots:[[1,1]],seed:<escape>rose<escape>}
                        (quotes work for strings too: seed:"rose")
  /help                 this help
  /undo                 take back the last change (also Ctrl+Z in the window, or say "undo that")
  /reset                start a fresh garden of the same size
  /save, /load          save to / load from your data folder
  /size R C             start a fresh R x C garden (2..6 each)"""


@dataclass
class VoiceState:
    status: str = "idle"  # "idle", "listening" or "thinking"
    engine: str | None = None  # e.g. "vosk" or "pocketsphinx"; None when voice is off
    partial: str = ""  # the live transcript while listening
    level: float = 0.0  # input level 0..1 for the meter
    message: str | None = None  # e.g. "no microphone found; typed commands still work"


@dataclass
class Turn:
    input: str
    source: str  # "typed", "voice", "call" or "command"
    calls: list[dict] = field(default_factory=list)
    results: list[dict] = field(default_factory=list)
    raw: str | None = None
    reply: str | None = None
    error: str | None = None
    timings: dict[str, float] = field(default_factory=dict)
    rejected: str | None = None  # a first model answer the brain found false and decoded again

    def to_dict(self) -> dict:
        return {"input": self.input, "source": self.source, "raw": self.raw, "rejected": self.rejected, "calls": self.calls,
                "results": self.results, "reply": self.reply, "error": self.error,
                "timings_ms": {k: round(v, 1) for k, v in self.timings.items()}}

    def lines(self) -> list[str]:
        """The turn as log lines for a console."""
        out = [f"> {self.input}"]
        if self.rejected:
            out.append(f"  rejected: {self.rejected} (false about this garden; decoded again as calls)")
        if self.raw:
            out.append(f"  raw: {self.raw}")
        for call, result in zip(self.calls, self.results):
            out.append(f"  call: {describe_call(call)}")
            out.append(f"    -> {result['status']}: {result['message']}")
        if self.reply:
            out.extend("  " + line for line in self.reply.splitlines())
        if self.error:
            out.append(f"  error: {self.error}")
        if self.timings:
            out.append("  time: " + ", ".join(f"{k} {v:.0f} ms" for k, v in self.timings.items()))
        return out


def describe_call(call: dict) -> str:
    """A call in FunctionGemma-like syntax, readable in a HUD: plant_seed{seed:rose,plots:[r1c1,r1c2]}."""
    args = call.get("arguments", {})
    parts = []
    for key in sorted(args):
        value = args[key]
        if key == "plots" and isinstance(value, list):
            value = "[" + ",".join(f"r{p.get('row')}c{p.get('col')}" if isinstance(p, dict) else str(p) for p in value) + "]"
        parts.append(f"{key}:{value}")
    return f"{call.get('name')}{{{','.join(parts)}}}"


class Session:
    def __init__(self, garden: Garden | None = None, interpreter: Interpreter | None = None,
                 save_path: Path | None = None, autosave: bool = False):
        self.garden = garden or Garden()
        self.interpreter = interpreter
        self.interpreter_note = "no language model loaded: type /call ... or /help"
        self.save_path = save_path
        self.autosave = autosave
        self.history: list[Exchange] = []
        # Before each change: (what changed it, the garden as it was, the history as it was).
        self.undo_stack: list[tuple[str, dict, list[Exchange]]] = []
        self.held: list[dict] | None = None  # a harvest waiting for the player's yes
        self.listeners: list[Callable[[Turn], None]] = []
        # Voice state for the HUD; the speech package writes it, the UI only reads it.
        self.voice = VoiceState()

    # --- entry point ---------------------------------------------------------------------

    def handle(self, line: str, source: str = "typed") -> Turn:
        line = line.strip()
        if line.startswith("/"):
            self.held = None
            turn = self._command(line)
        elif UNDO_WORDS.fullmatch(line):
            self.held = None
            turn = Turn(input=line, source=source)
            self._undo(turn, "")
        else:
            turn = self._natural(line, source)
        for listener in self.listeners:
            listener(turn)
        return turn

    def prepare(self, heard_so_far: str, answer: bool = False, give_way: Callable[[], bool] | None = None) -> int:
        """Let the interpreter start on a command the player is still saying (voice calls this
        with each new partial transcript, and with answer=True once it has stopped changing; see
        ModelInterpreter.prepare). Returns tokens run."""
        prepare = getattr(self.interpreter, "prepare", None)
        if not prepare:
            return 0
        heard_so_far = repeats.split(heard_so_far)[0]  # the model is asked without the count (see _natural)
        return prepare(heard_so_far, self.garden, self.history[-HISTORY_KEPT:], answer=answer, give_way=give_way)

    def prepare_next(self) -> int:
        """Let the interpreter run the next command's prompt up to its words (history and board
        line) while nobody is typing or speaking; see ModelInterpreter.prepare_next."""
        prepare = getattr(self.interpreter, "prepare_next", None)
        return prepare(self.garden, self.history[-HISTORY_KEPT:]) if prepare else 0

    def run_calls(self, calls: list[dict]) -> list[dict]:
        """Apply calls in order; each gets a result even if an earlier one failed."""
        return [self.garden.apply(c.get("name"), c.get("arguments")) for c in calls]

    # --- natural language ----------------------------------------------------------------

    def _natural(self, text: str, source: str) -> Turn:
        turn = Turn(input=text, source=source)
        if not text:
            turn.reply = "Say or type a garden command, e.g. \"plant sunflowers in the top row\"."
            return turn
        if len(text) > MAX_INPUT_CHARS:
            turn.reply = f"That is too long for one command ({len(text)} characters; the limit is {MAX_INPUT_CHARS}). Try one or two actions at a time."
            return turn
        held, self.held = self.held, None
        if held and YES_WORDS.fullmatch(text):
            turn.calls = held
            self._execute(turn)
            return turn
        asks = questions.is_question(text)
        if asks:  # answered from the board by the game, never by a call
            turn.reply = questions.answer(text, self.garden)
            if turn.reply:
                return turn
        middle = questions.no_single_middle(text, self.garden)
        if middle:  # "the middle" of a 4 x 4 garden is four plots: asked back, never guessed
            turn.reply = middle
            return turn
        if self.interpreter is None:
            turn.reply = f"I can't understand plain language yet ({self.interpreter_note})."
            return turn
        command, times = repeats.split(text)
        t0 = time.perf_counter()
        meaning = self.interpreter.interpret(command, self.garden, self.history[-HISTORY_KEPT:])
        turn.timings.update(meaning.timings)
        turn.timings.setdefault("interpret", (time.perf_counter() - t0) * 1000)
        turn.raw, turn.calls, turn.error = meaning.raw, repeats.repeat(meaning.calls, times), meaning.error
        turn.rejected = meaning.stats.get("false_refusal")
        turn.reply = meaning.text
        if turn.calls and (asks or questions.is_remark(text)):
            turn.calls, turn.reply = [], (f"That sounds like a {'question' if asks else 'remark'}, so nothing changed. "
                                          "Ask about the board "
                                          "(\"which plots are empty?\", \"is plot 5 ready?\") or say what to do.")
        lost = questions.unasked_destruction(text, turn.calls, self.garden)
        if lost:
            self.held, turn.calls = turn.calls, []
            turn.reply = (f"That would destroy {', '.join(lost)}, and you did not say harvest, so I waited. "
                          "Say \"yes\" to do it anyway.")
            return turn
        self._execute(turn)
        return turn

    def _execute(self, turn: Turn) -> None:
        if turn.calls:
            self._remember(turn.input)
        t0 = time.perf_counter()
        turn.results = self.run_calls(turn.calls)
        turn.timings["engine"] = (time.perf_counter() - t0) * 1000
        self.history.append(Exchange(turn.input, turn.calls, turn.results, turn.reply))
        del self.history[:-HISTORY_KEPT]
        if self.autosave and turn.calls:
            self._save_quietly(turn)

    def _save_quietly(self, turn: Turn) -> None:
        try:
            saving.save(self.garden, self.save_path)
        except OSError as exc:
            turn.error = f"Could not save the garden ({exc}); your last good save is untouched."

    def _remember(self, label: str) -> None:
        """Keep the garden and history as they are now, for /undo."""
        self.undo_stack.append((label, self.garden.to_dict(), list(self.history)))
        del self.undo_stack[:-UNDO_KEPT]

    # --- slash commands ------------------------------------------------------------------

    def _command(self, line: str) -> Turn:
        word, _, rest = line.partition(" ")
        turn = Turn(input=line, source="command")
        handler = {
            "/help": self._help, "/reset": self._reset, "/save": self._save, "/load": self._load,
            "/size": self._size, "/call": self._call, "/undo": self._undo,
        }.get(word.lower())
        if handler is None:
            turn.reply = f"Unknown command {word}. Type /help for the list."
            return turn
        handler(turn, rest.strip())
        return turn

    def _help(self, turn: Turn, rest: str) -> None:
        turn.reply = HELP

    def _undo(self, turn: Turn, rest: str) -> None:
        if not self.undo_stack:
            turn.reply = "Nothing to undo."
            return
        label, garden, history = self.undo_stack.pop()
        self.garden, self.history = Garden.from_dict(garden), history
        turn.reply = f"Undone: {label}"
        if self.autosave:
            self._save_quietly(turn)

    def _replace_garden(self, turn: Turn, garden: Garden) -> None:
        """/reset, /size and /load: a new garden and no history, the old ones kept for /undo."""
        self._remember(turn.input)
        self.garden = garden
        self.history.clear()

    def _reset(self, turn: Turn, rest: str) -> None:
        self._replace_garden(turn, Garden(rows=self.garden.rows, cols=self.garden.cols))
        turn.reply = f"Fresh {self.garden.rows}x{self.garden.cols} garden."

    def _size(self, turn: Turn, rest: str) -> None:
        parts = rest.replace("x", " ").split()
        try:
            rows, cols = (int(p) for p in parts)
        except ValueError:
            turn.reply = "Usage: /size R C, for example /size 4 4."
            return
        problem = tools.check_grid_size(rows, cols)
        if problem:
            turn.reply = problem
            return
        self._replace_garden(turn, Garden(rows=rows, cols=cols))
        turn.reply = f"Fresh {rows}x{cols} garden."

    def _save(self, turn: Turn, rest: str) -> None:
        try:
            turn.reply = f"Saved to {saving.save(self.garden, self.save_path)}."
        except OSError as exc:
            turn.error = f"Could not save ({exc}); your last good save is untouched."

    def _load(self, turn: Turn, rest: str) -> None:
        loaded = saving.load(self.save_path)
        self._replace_garden(turn, loaded.garden)
        turn.reply = loaded.note or "No save yet; this is a fresh garden."

    def _call(self, turn: Turn, rest: str) -> None:
        from garden.brain.format import parse_call_text

        turn.source = "call"
        turn.raw = rest
        if not rest:
            turn.reply = "Usage: /call call:water_plots{plots:[[1,1]]}  (a plot is [row,column])"
            return
        t0 = time.perf_counter()
        parsed = parse_call_text(rest)
        turn.timings["parse"] = (time.perf_counter() - t0) * 1000
        if parsed.error:
            turn.error = f"Could not parse the call: {parsed.error}"
            return
        if not parsed.calls:
            turn.error = "No call found. Write it like call:water_plots{plots:[[1,1]]}, a plot as [row,column]."
            return
        # As the model writes them ([row,column]) or as the engine names them ({col:1,row:1}).
        turn.calls = [{"name": c.name, "arguments": tools.from_model(c.name, c.arguments)} for c in parsed.calls]
        self._execute(turn)


def board_text(garden: Garden) -> str:
    """The board, basket, score and order as lines for a terminal (the console, `garden say`)."""
    width = 14
    lines = []
    for r, row in enumerate(garden.board(), 1):
        cells = [f"{tools.plot_number(r, c, garden.cols)}:{cell}"[:width].ljust(width) for c, cell in enumerate(row, 1)]
        lines.append("  " + " | ".join(cells))
    basket = ", ".join(f"{k} {v}" for k, v in garden.basket.items()) or "empty"
    order = garden.order
    lines.append(f"  basket: {basket}   score: {garden.score}   order: {garden.order_progress}/{tools.count_of(order['count'], order['seed'])}")
    return "\n".join(lines)


class Preparing:
    """The words a player is still typing or saying, and what the model does with them meanwhile:
    it runs the prompt up to them each time they change, and decodes their answer once they have
    stayed the same for `pause_s`; the command then uses that answer if its words match (see
    ModelInterpreter.prepare). The window's worker (typed lines) and the voice thread (partial
    transcripts) each offer words from one thread and step from another; work gives way as soon
    as newer words arrive, or when `give_way` says so."""

    def __init__(self, session: "Session", pause_s: float):
        self.session, self.pause_s = session, pause_s
        self.tokens = 0  # prompt tokens run ahead of the commands (tests, benches)
        self._lock = threading.Lock()
        self._words, self._since = "", 0.0
        self._done = ("", False)  # (words, answered) last prepared

    def offer(self, words: str) -> None:
        """The newest words ("" when there are none to work on: a /command, or the final text is
        on its way)."""
        words = " ".join(words.split())
        with self._lock:
            if words != self._words:
                self._words, self._since = words, time.monotonic()

    def forget(self) -> None:
        """The garden or the history changed: the same words need preparing again."""
        self._done = ("", False)

    def due_in(self) -> float | None:
        """Seconds until the newest words' answer is due; None when there is nothing to do."""
        with self._lock:
            words, still = self._words, time.monotonic() - self._since
        if not words or self._done == (words, True):
            return None
        return 0.0 if self._done != (words, False) else max(0.0, self.pause_s - still)

    def step(self, give_way: Callable[[], bool] = lambda: False) -> bool:
        """Do the next thing for the newest words, if there is one; False when there was none."""
        with self._lock:
            words, answer = self._words, time.monotonic() - self._since >= self.pause_s
        if not words or self._done in ((words, True), (words, answer)):
            return False
        self.tokens += self.session.prepare(words, answer=answer, give_way=lambda: give_way() or self._words != words)
        self._done = (words, answer)
        return True
