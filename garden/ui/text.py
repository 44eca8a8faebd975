"""Fonts, loaded once, and the few ways the game writes text."""

from __future__ import annotations

import pygame

from garden import tools

INK = (52, 36, 30)
PAPER = (252, 244, 222)
MUTED = (128, 108, 90)


def _mono(size: int) -> pygame.font.Font:
    """A monospaced font for the console; the default font when none is installed."""
    path = pygame.font.match_font("dejavusansmono,liberationmono,couriernew,monospace")
    return pygame.font.Font(path, size) if path else pygame.font.Font(None, size + 4)


class Fonts:
    def __init__(self, scale: float = 1.0):
        size = lambda n: max(10, round(n * scale))  # noqa: E731
        self.title = pygame.font.Font(None, size(38))
        self.heading = pygame.font.Font(None, size(26))
        self.body = pygame.font.Font(None, size(23))
        self.small = pygame.font.Font(None, size(19))
        self.badge = pygame.font.Font(None, size(22))
        self.tiny = pygame.font.Font(None, size(17))
        self.mono = _mono(size(14))


def plural(kind: str, count: int = 2) -> str:
    """'1 rose', '2 roses', '2 daisies'."""
    return kind if count == 1 else tools.plural(kind)


def fit(font: pygame.font.Font, text: str, width: int) -> str:
    """The text, cut with an ellipsis so that it fits in width pixels."""
    if font.size(text)[0] <= width:
        return text
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if font.size(text[:mid] + "…")[0] <= width:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo].rstrip() + "…"


def wrap(font: pygame.font.Font, text: str, width: int) -> list[str]:
    """Words laid out in lines of at most width pixels (a too-long word is cut)."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            if font.size(candidate)[0] <= width or not line:
                line = candidate
            else:
                lines.append(line)
                line = word
        lines.append(fit(font, line, width))
    return lines


def write(surface: pygame.Surface, font: pygame.font.Font, text: str, pos, colour=INK,
          shadow=None, anchor: str = "topleft") -> pygame.Rect:
    """Draw text with an optional 1-pixel drop shadow; returns the rect it covers."""
    image = font.render(text, True, colour)
    rect = image.get_rect(**{anchor: pos})
    if shadow:
        surface.blit(font.render(text, True, shadow), rect.move(1, 2))
    surface.blit(image, rect)
    return rect
