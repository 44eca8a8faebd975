"""The text input line (with history) and the debug console drawn inside the window."""

from __future__ import annotations

import pygame

from garden.session import Turn
from garden.ui import text

MAX_LOG_LINES = 3000
COLOURS = {
    "input": (250, 250, 236), "raw": (160, 168, 184), "call": (120, 200, 250), "ok": (140, 220, 120),
    "partial": (250, 200, 90), "refused": (250, 130, 110), "error": (255, 110, 100),
    "reply": (226, 220, 200), "time": (130, 140, 130), "note": (200, 170, 250),
}


class TextInput:
    """One editable line with a cursor and an up/down history of sent lines."""

    def __init__(self):
        self.line, self.cursor = "", 0
        self.history: list[str] = []
        self._back = 0  # 0 = editing a new line; n = showing the n-th most recent sent line
        self._draft = ""

    def set(self, line: str) -> None:
        self.line, self.cursor = line, len(line)

    def key(self, event: pygame.event.Event) -> str | None:
        """Edit the line for a KEYDOWN; returns the line when Enter sends it."""
        k = event.key
        if k in (pygame.K_RETURN, pygame.K_KP_ENTER):
            return self.submit()
        edits = {
            pygame.K_BACKSPACE: self._backspace, pygame.K_DELETE: self._delete,
            pygame.K_LEFT: lambda: self._move(-1), pygame.K_RIGHT: lambda: self._move(1),
            pygame.K_HOME: lambda: self._move(-len(self.line)), pygame.K_END: lambda: self._move(len(self.line)),
            pygame.K_UP: lambda: self._browse(1), pygame.K_DOWN: lambda: self._browse(-1),
        }
        if k in edits:
            edits[k]()
        elif k == pygame.K_u and event.mod & pygame.KMOD_CTRL:
            self.set("")
        elif event.unicode and event.unicode.isprintable() and not event.mod & pygame.KMOD_CTRL:
            self.line = self.line[:self.cursor] + event.unicode + self.line[self.cursor:]
            self.cursor += len(event.unicode)
        return None

    def submit(self) -> str:
        line = self.line.strip()
        if line and (not self.history or self.history[-1] != line):
            self.history.append(line)
        self.set("")
        self._back, self._draft = 0, ""
        return line

    def _backspace(self) -> None:
        if self.cursor:
            self.line = self.line[:self.cursor - 1] + self.line[self.cursor:]
            self.cursor -= 1

    def _delete(self) -> None:
        self.line = self.line[:self.cursor] + self.line[self.cursor + 1:]

    def _move(self, step: int) -> None:
        self.cursor = max(0, min(len(self.line), self.cursor + step))

    def _browse(self, step: int) -> None:
        """Up goes back through sent lines, down comes forward to the line being written."""
        if self._back == 0:
            self._draft = self.line
        self._back = max(0, min(len(self.history), self._back + step))
        self.set(self.history[-self._back] if self._back else self._draft)


def classify(line: str) -> str:
    """The colour class of one of Turn.lines()."""
    body = line.strip()
    if line.startswith("> "):
        return "input"
    for prefix, kind in (("raw:", "raw"), ("call:", "call"), ("error:", "error"), ("time:", "time")):
        if body.startswith(prefix):
            return kind
    if body.startswith("->"):
        status = body[2:].split(":", 1)[0].strip()
        return status if status in COLOURS else "reply"
    return "reply"


class ConsoleLog:
    """Everything that happened, as coloured lines, scrolled from the bottom."""

    def __init__(self):
        self.lines: list[tuple[str, str]] = []
        self.scroll = 0  # lines hidden below the view; 0 follows the newest line

    def add_turn(self, turn: Turn) -> None:
        for line in turn.lines():
            self.add(line, classify(line))

    def add(self, line: str, kind: str = "note") -> None:
        for part in line.splitlines() or [""]:
            self.lines.append((part, kind))
        del self.lines[:-MAX_LOG_LINES]

    def page(self, steps: int, visible: int) -> None:
        """Scroll by steps (positive = back in time), staying within the log."""
        self.scroll = max(0, min(max(0, len(self.lines) - visible), self.scroll + steps))


def draw_console(screen, fonts: text.Fonts, rect: pygame.Rect, log: ConsoleLog, entry: TextInput,
                 now: float) -> int:
    """The console overlay; returns how many log lines fit, for paging."""
    layer = pygame.Surface(rect.size, pygame.SRCALPHA)
    layer.fill((18, 22, 20, 236))
    screen.blit(layer, rect)
    pygame.draw.line(screen, (120, 200, 110), rect.bottomleft, (rect.right, rect.bottom - 1), 2)
    font = fonts.mono
    step = font.get_linesize() + 1
    text.write(screen, fonts.small, "console · ` closes · PgUp/PgDn or mouse wheel scrolls · Up/Down recalls",
               (rect.right - 12, rect.y + 6), (120, 140, 120), anchor="topright")
    input_y = rect.bottom - step - 10
    rows = _wrapped(font, log, rect.w - 24)
    visible = max(1, (input_y - rect.y - 28) // step)
    end = len(rows) - min(log.scroll, max(0, len(rows) - visible))
    for i, (line, kind) in enumerate(rows[max(0, end - visible):end]):
        screen.blit(font.render(line, True, COLOURS.get(kind, COLOURS["reply"])), (rect.x + 12, rect.y + 26 + i * step))
    if log.scroll:
        text.write(screen, fonts.small, f"{log.scroll} newer lines below (PgDn)", (rect.right - 12, input_y - 4),
                   (250, 200, 90), anchor="bottomright")
    _draw_entry(screen, font, rect, entry, input_y, now)
    return visible


def _draw_entry(screen, font, rect: pygame.Rect, entry: TextInput, y: int, now: float) -> None:
    pygame.draw.line(screen, (60, 80, 60), (rect.x + 8, y - 5), (rect.right - 8, y - 5))
    prompt = font.render("> ", True, (140, 220, 120))
    screen.blit(prompt, (rect.x + 12, y))
    x = rect.x + 12 + prompt.get_width()
    screen.blit(font.render(entry.line, True, (250, 250, 236)), (x, y))
    if int(now * 2) % 2 == 0:
        cx = x + font.size(entry.line[:entry.cursor])[0]
        pygame.draw.rect(screen, (250, 250, 236), (cx, y + 1, 2, font.get_height() - 2))


def _wrapped(font, log: ConsoleLog, width: int) -> list[tuple[str, str]]:
    """Log lines broken to the console's width, continuation lines indented."""
    out = []
    per_line = max(10, width // max(1, font.size("m")[0]))
    for line, kind in log.lines:
        out.append((line[:per_line], kind))
        rest = line[per_line:]
        while rest:
            out.append(("    " + rest[:per_line - 4], kind))
            rest = rest[per_line - 4:]
    return out
