"""The game window: one main loop at a fixed frame rate, events, update, then draw.

Drawing reads a GardenView (a frozen copy of the garden taken after each turn) and never changes
anything; every change goes through session.handle, on the worker thread. Headless runs (tests,
demos) use a simulated clock, so animations play out in full without waiting in real time.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Callable

import pygame

from garden.engine.rules import order_at
from garden.session import Session, Turn
from garden.ui import hud, text
from garden.ui.board import Board
from garden.ui.console import ConsoleLog, TextInput, draw_console
from garden.ui.effects import Effect, FloatingText, FlyingFlower, Toast
from garden.ui.layout import Layout
from garden.ui.panel import Panel
from garden.ui.sprites import SpriteBook
from garden.ui.text import Fonts
from garden.ui.view import GardenView
from garden.ui.worker import ModelLoader, Worker

FPS = 30
HINT = "Type a command and press Enter, e.g. plant sunflowers in the top row   (Ctrl+Z undoes; /help lists commands)"
# Other threads (the voice recogniser) hand text to the window with
#   pygame.event.post(pygame.event.Event(COMMAND, text="water plot 5", source="voice"))
# which is thread-safe; the window runs it on its worker like a typed line.
COMMAND = pygame.event.custom_type()

EventHandler = Callable[[pygame.event.Event, Session], bool]


class App:
    def __init__(self, session: Session, *, window_size=(960, 640), headless=False, sprite_dir: Path | None = None,
                 on_event: EventHandler | None = None, load_interpreter=None,
                 on_frame: Callable[[Session], bool] | None = None):
        self.session, self.headless, self.on_event = session, headless, on_event
        self.on_frame, self.hook_busy = on_frame, False  # on_frame: voice, True while it is working
        pygame.display.init()
        pygame.font.init()
        self.screen = pygame.display.set_mode(window_size)
        pygame.display.set_caption("Tiny Garden")
        pygame.key.set_repeat(400, 35)
        self.clock = pygame.time.Clock()
        self.layout = Layout.of(window_size)
        self.fonts = Fonts()
        self.sprites = SpriteBook(sprite_dir)
        self.board = Board(self.sprites, self.fonts, self.layout.garden)
        self.panel = Panel(self.sprites, self.fonts, self.layout.panel)
        self.entry, self.log = TextInput(), ConsoleLog()
        self.console_open, self.console_rows = False, 10
        self.worker = Worker(session)
        self.loader = ModelLoader(session, load_interpreter)
        self.view = GardenView.of(session.garden)
        self.last_turn: Turn | None = None
        self.notice = hud.Notice("loading model…") if load_interpreter else None
        self.effects: list[Effect] = []
        self.bumps: dict[str, float] = {}
        self.now, self.running = 0.0, True
        self._loader_reported = load_interpreter is None  # not loader.loading: a fast loader may be done already
        self.log.add("Tiny Garden console. /help lists the commands.", "note")

    # --- input ---------------------------------------------------------------------------

    def handle_event(self, event: pygame.event.Event) -> None:
        if event.type == pygame.QUIT:
            self.running = False
        elif event.type == COMMAND:
            self.submit(getattr(event, "text", ""), getattr(event, "source", "voice"))
        elif self._offer(event):
            return
        elif event.type == pygame.KEYDOWN:
            self._key(event)
        elif event.type == pygame.MOUSEWHEEL and self.console_open:
            self.log.page(event.y * 3, self.console_rows)

    def _offer(self, event: pygame.event.Event) -> bool:
        """Give the extra handler (push-to-talk) the event first, except key presses while the
        player is typing: SPACE on an empty line is the handler's, in a sentence it is a space."""
        if self.on_event is None or (event.type == pygame.KEYDOWN and self.entry.line):
            return False
        return bool(self.on_event(event, self.session))

    def _key(self, event: pygame.event.Event) -> None:
        if event.key == pygame.K_BACKQUOTE or event.unicode == "`":
            self.console_open = not self.console_open
        elif event.key == pygame.K_ESCAPE and self.console_open:
            self.console_open = False
        elif event.key == pygame.K_ESCAPE:
            self.entry.set("")
        elif event.key == pygame.K_z and event.mod & pygame.KMOD_CTRL:
            self.submit("/undo")
        elif event.key in (pygame.K_PAGEUP, pygame.K_PAGEDOWN) and self.console_open:
            step = max(1, self.console_rows - 1)
            self.log.page(step if event.key == pygame.K_PAGEUP else -step, self.console_rows)
        else:
            before = self.entry.line
            line = self.entry.key(event)
            if line:
                self.submit(line)
            if self.entry.line != before:
                self.worker.typing(self.entry.line)

    def submit(self, line: str, source: str = "typed") -> None:
        """Send a line to the session on the worker thread; its turn comes back through the queue."""
        line = line.strip()
        if line:
            self.worker.submit(line, source)

    # --- update --------------------------------------------------------------------------

    def update(self, dt: float) -> None:
        self.now += dt
        if self.on_frame is not None:
            self.hook_busy = bool(self.on_frame(self.session))
        while not self.worker.turns.empty():
            self._on_turn(*self.worker.turns.get())
        self._report_loader()
        for effect in [e for e in self.effects if e.done(self.now)]:
            if isinstance(effect, FlyingFlower):
                self.bumps[effect.kind] = self.now + 0.3
            self.effects.remove(effect)

    def _on_turn(self, turn: Turn, view: GardenView) -> None:
        self.log.add_turn(turn)
        if self.headless:
            print("\n".join(turn.lines()), flush=True)
        self.last_turn, self.notice = turn, self.notice if self.loader.loading else None
        slot = lambda kind: self.panel.basket_slot(kind, view)  # noqa: E731
        self.effects += self.board.changes(self.view, view, turn, self.now, slot)
        self.effects += self._news(self.view, view)
        self.view = view

    def _news(self, before: GardenView, after: GardenView) -> list[Effect]:
        """Banners for unlocks and finished orders."""
        if (before.rows, before.cols) != (after.rows, after.cols):
            return []
        news = [(f"{text.plural(k).capitalize()} unlocked!", f"{k}_bloom")
                for k in after.unlocked if k not in before.unlocked]
        done = after.orders_done - before.orders_done
        if done > 0:
            bonus = sum(order_at(i)["bonus"] for i in range(before.orders_done, after.orders_done))
            news.append((f"{'Order' if done == 1 else f'{done} orders'} done! +{bonus} bonus", "icon_check"))
        anchor = (self.layout.garden.centerx, self.layout.garden.y + 24)
        effects: list[Effect] = [Toast(start=self.now + 1.0 + 1.2 * i, duration=2.2, words=w, anchor=anchor, icon=icon)
                                 for i, (w, icon) in enumerate(news)]
        if after.score > before.score:  # rises from the score as the flowers land
            effects.append(FloatingText(start=self.now + 1.0, duration=1.2, words=f"+{after.score - before.score}",
                                        pos=self.panel.score_anchor(), colour=(255, 214, 60)))
        return effects

    def _report_loader(self) -> None:
        if self._loader_reported or self.loader.loading:
            return
        self._loader_reported = True
        if self.loader.error:
            self.notice = hud.Notice(f"could not be loaded: {self.loader.error}. Typed /call commands still work.",
                                     error=True)
            self.log.add(f"model failed to load: {self.loader.error}", "error")
            if self.headless:
                print(f"Could not load the model: {self.loader.error}", file=sys.stderr)
        else:
            self.notice = None
            self.log.add(f"model ready: {self.model_words()}", "note")

    def model_words(self) -> str:
        if self.loader.loading:
            return "model: loading…"
        interpreter = self.session.interpreter
        if interpreter is None and self.loader.error:
            return "no model (it failed to load)"
        if interpreter is None:
            return "no language model: use /call … (see /help)"
        return "model: " + str(getattr(interpreter, "description", type(interpreter).__name__))

    def busy(self) -> bool:
        """Something is still happening: a command running or an animation playing."""
        blocking = any(e.blocking and not e.done(self.now) for e in self.effects)
        return (blocking or self.board.busy(self.now) or not self.worker.idle or not self.worker.turns.empty()
                or self.hook_busy)

    # --- drawing -------------------------------------------------------------------------

    def draw(self) -> None:
        layout, screen = self.layout, self.screen
        hud.draw_top_bar(screen, self.fonts, self.sprites, layout.top, self.model_words(), self.session.voice, self.now)
        self.board.draw(screen, self.view, self.now)
        self.panel.draw(screen, self.view, self.now, self._arriving(), self.bumps)
        hud.draw_hud(screen, self.fonts, layout.hud, self.last_turn, self.notice, self.session.voice)
        hint = "the console is open: type there (` closes it)" if self.console_open else HINT
        line = "" if self.console_open else self.entry.line
        hud.draw_input(screen, self.fonts, layout.input, line, self.entry.cursor, self.now, hint,
                       busy=not self.worker.idle)
        for effect in self.effects:
            effect.draw(screen, self.now, self.sprites, self.fonts)
        if self.console_open:
            self.console_rows = draw_console(screen, self.fonts, layout.console, self.log, self.entry, self.now)

    def _arriving(self) -> dict[str, int]:
        """Flowers still in the air: the basket shows them once they land."""
        counts: dict[str, int] = {}
        for effect in self.effects:
            if isinstance(effect, FlyingFlower):
                counts[effect.kind] = counts.get(effect.kind, 0) + 1
        return counts

    # --- the loop ------------------------------------------------------------------------

    def run(self, script: list[str] | None = None, screenshot: Path | None = None,
            max_seconds: float | None = None) -> int:
        pending = list(script or [])
        started = time.monotonic()
        code = 0
        while self.running:
            dt = self._tick()
            for event in pygame.event.get():
                self.handle_event(event)
            self.update(dt)
            if self.headless and self.loader.loaded and not self.busy():
                if not pending:
                    self.running = False
                else:
                    self.submit(pending.pop(0))
            self.draw()
            pygame.display.flip()
            if max_seconds is not None and time.monotonic() - started > max_seconds:
                if self.headless and (pending or self.busy()):
                    print(f"Stopped after {max_seconds:g} s with the script unfinished.", file=sys.stderr)
                    code = 1
                break
        if screenshot:
            self.save_screenshot(screenshot)
        return code

    def _tick(self) -> float:
        if not self.headless:
            return min(0.1, self.clock.tick(FPS) / 1000)
        if not self.worker.idle or self.loader.loading:
            time.sleep(0.005)  # waiting on a real thread; the game clock still advances one frame
        return 1 / FPS

    def save_screenshot(self, path: Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        pygame.image.save(self.screen, str(path))
        return path

    def close(self) -> None:
        self.worker.close()
