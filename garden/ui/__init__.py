"""The Pygame game: draws the garden, turns keys into commands for the session. No rules live here.

    play(session)                                    # a window; returns the exit code
    play(session, headless=True, script="demo.txt", screenshot="out.png")

Modules: pixelart (the art, drawn with primitives), sprites (loaded once, redrawn if missing),
view (a frozen copy of the garden to draw from), layout, board, panel, hud, console, effects,
worker (commands and model loading off the main thread), app (the loop).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Callable

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")


def script_lines(path: str | Path) -> list[str]:
    """The commands in a script file: one per line; blank lines and '#' comments skipped."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]


def play(session, *, headless: bool = False, script: str | Path | None = None, screenshot: str | Path | None = None,
         window_size: tuple[int, int] = (960, 640), load_interpreter: Callable[[], object] | None = None,
         max_seconds: float | None = None, on_event: Callable | None = None, sprite_dir: str | Path | None = None,
         console: bool = False, on_frame: Callable | None = None) -> int:
    """Run the game for `session` until the window closes (or, headless, until the script is done).

    headless: no real window (SDL_VIDEODRIVER=dummy unless set), simulated clock; run `script`'s lines
      as console input one after another, let the animations finish, print every turn's lines to
      stdout, and write the final frame to `screenshot` (PNG).
    load_interpreter: called once on a background thread; its result becomes session.interpreter.
      If it raises, the HUD says why and the game goes on with /call.
    max_seconds: stop after this much real time (headless: exit code 1 if the script was unfinished).
    on_event(event, session) -> bool: sees events first (True = consumed), except key presses while
      the input line has text, so SPACE on an empty line can be push-to-talk. From another thread,
      text is handed to the game with pygame.event.post(Event(garden.ui.app.COMMAND, text=..., source="voice")).
    on_frame(session) -> bool: called once a frame; True means work is under way (voice listening or
      recognising), so a headless run does not end while it lasts.
    sprite_dir: where the PNGs are (default assets/sprites); missing ones are drawn in memory.
    console: start with the debug console open (toggle with the backtick key).
    Returns 0, 1 when a headless script ran out of time, 2 when the script file cannot be read.
    """
    lines = None
    if script is not None:
        try:
            lines = script_lines(script)
        except (OSError, UnicodeDecodeError) as exc:
            print(f"Cannot read the script {script}: {exc}", file=sys.stderr)
            return 2
    if headless:
        os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    import pygame

    from garden.ui.app import App

    app = App(session, window_size=tuple(window_size), headless=headless,
              sprite_dir=Path(sprite_dir) if sprite_dir else None, on_event=on_event, load_interpreter=load_interpreter,
              on_frame=on_frame)
    app.console_open = console
    try:
        return app.run(lines, Path(screenshot) if screenshot else None, max_seconds)
    finally:
        app.close()
        pygame.quit()
