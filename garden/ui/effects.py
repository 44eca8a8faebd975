"""Short animations: growth between stages, water, flowers flying to the basket, puffs, toasts.

Each one is a plain object with a start time and a duration on the game clock (seconds; in
headless runs the clock is simulated, so tests never sleep) and a draw() that only reads.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pygame

from garden.ui import text
from garden.ui.sprites import SpriteBook

GROW_SECONDS = 0.6


def clamp01(x: float) -> float:
    return 0.0 if x < 0 else 1.0 if x > 1 else x


def ease_out_back(t: float) -> float:
    """0 -> 1 with a small overshoot: a plant that pops into its new stage."""
    c = 1.70158
    return 1 + (c + 1) * (t - 1) ** 3 + c * (t - 1) ** 2


def ease_in_out(t: float) -> float:
    return t * t * (3 - 2 * t)


@dataclass
class Effect:
    start: float
    duration: float
    blocking = True  # headless runs wait for blocking effects before the next script line

    def t(self, now: float) -> float:
        return clamp01((now - self.start) / self.duration)

    def done(self, now: float) -> bool:
        return now >= self.start + self.duration

    def draw(self, screen: pygame.Surface, now: float, sprites: SpriteBook, fonts) -> None:
        raise NotImplementedError


@dataclass
class Growth(Effect):
    """A plot eases from its old sprite to its new one: the old shrinks away, the new pops in."""

    old: str | None = None
    new: str | None = None

    def draw_in(self, screen, rect: pygame.Rect, now: float, sprites: SpriteBook) -> None:
        t = self.t(now)
        if self.old and t < 0.5:
            _blit_scaled(screen, sprites, self.old, rect, 1 - ease_in_out(t * 2), alpha=1 - t * 2)
        if self.new and t > 0.25:
            _blit_scaled(screen, sprites, self.new, rect, ease_out_back(clamp01((t - 0.25) / 0.75)))

    def draw(self, screen, now, sprites, fonts) -> None:  # drawn by the board, inside its plot
        pass


def _blit_scaled(screen, sprites: SpriteBook, name: str, rect: pygame.Rect, scale: float, alpha: float = 1.0) -> None:
    """A sprite scaled about the bottom centre of rect (plants grow up from the soil)."""
    if scale <= 0.02 or alpha <= 0.02:
        return
    image = sprites.scaled(name, round(rect.w * scale), round(rect.h * scale), cache=False)
    if alpha < 1:
        image.set_alpha(round(255 * alpha))
    screen.blit(image, image.get_rect(midbottom=(rect.centerx, rect.bottom - round(rect.h * 0.06 * (1 - scale)))))


@dataclass
class Watering(Effect):
    """A watering can tips over the plot and droplets fall onto it."""

    rect: pygame.Rect = field(default_factory=pygame.Rect)

    def draw(self, screen, now, sprites, fonts) -> None:
        t = self.t(now)
        if t <= 0 or t >= 1:
            return
        r = self.rect
        size = max(24, r.w // 2)
        can = sprites.scaled("watering_can", size)
        tilt = -30 * math.sin(math.pi * min(1.0, t * 1.4))
        can = pygame.transform.rotate(can, tilt)
        can.set_alpha(round(255 * min(1.0, (1 - t) * 4)))
        screen.blit(can, can.get_rect(bottomleft=(r.x - size // 6, r.y + size // 4)))
        drop = sprites.scaled("droplet", max(8, r.w // 8))
        for i in range(7):
            phase = (t * 2.2 + i / 7) % 1.0
            if t > 0.8 and phase < 0.3:
                continue  # the can has stopped pouring: no new drops
            x = r.x + r.w * (0.18 + 0.64 * ((i * 0.37) % 1.0))
            y = r.y - r.h * 0.15 + r.h * 0.95 * phase
            screen.blit(drop, drop.get_rect(center=(round(x), round(y))))


@dataclass
class FlyingFlower(Effect):
    """A harvested bloom arcs from its plot into its basket slot."""

    kind: str = ""
    source: pygame.Rect = field(default_factory=pygame.Rect)
    target: pygame.Rect = field(default_factory=pygame.Rect)

    def position(self, now: float) -> tuple[float, float, float]:
        t = ease_in_out(self.t(now))
        (x0, y0), (x1, y1) = self.source.center, self.target.center
        cx, cy = (x0 + x1) / 2, min(y0, y1) - 120  # control point above both ends: an arc
        x = (1 - t) ** 2 * x0 + 2 * (1 - t) * t * cx + t * t * x1
        y = (1 - t) ** 2 * y0 + 2 * (1 - t) * t * cy + t * t * y1
        size = self.source.w + (self.target.w - self.source.w) * t
        return x, y, size

    def draw(self, screen, now, sprites, fonts) -> None:
        if now < self.start:
            _blit_scaled(screen, sprites, f"{self.kind}_bloom", self.source, 1.0)
            return
        x, y, size = self.position(now)
        image = sprites.scaled(f"{self.kind}_bloom", round(size), cache=False)
        image = pygame.transform.rotate(image, 360 * self.t(now))
        screen.blit(image, image.get_rect(center=(round(x), round(y))))


@dataclass
class Puff(Effect):
    """Dust where an unripe plant was pulled up."""

    rect: pygame.Rect = field(default_factory=pygame.Rect)

    def draw(self, screen, now, sprites, fonts) -> None:
        t = self.t(now)
        if t <= 0 or t >= 1:
            return
        layer = pygame.Surface(self.rect.size, pygame.SRCALPHA)
        cx, cy = self.rect.w / 2, self.rect.h * 0.7
        for i in range(6):
            angle = i * math.pi / 3 + 0.4
            dist = self.rect.w * 0.35 * ease_in_out(t)
            radius = max(2, round(self.rect.w * 0.12 * (1 - t * 0.6)))
            pos = (round(cx + math.cos(angle) * dist), round(cy + math.sin(angle) * dist * 0.6))
            pygame.draw.circle(layer, (214, 200, 180, round(220 * (1 - t))), pos, radius)
        screen.blit(layer, self.rect)


@dataclass
class FloatingText(Effect):
    """A few words that rise and fade, e.g. '+15' over the score."""

    words: str = ""
    pos: tuple[int, int] = (0, 0)
    colour: tuple[int, int, int] = (255, 255, 255)

    def draw(self, screen, now, sprites, fonts) -> None:
        t = self.t(now)
        if t <= 0 or t >= 1:
            return
        image = fonts.heading.render(self.words, True, self.colour)
        shadow = fonts.heading.render(self.words, True, text.INK)
        alpha = round(255 * min(1.0, (1 - t) * 3))
        image.set_alpha(alpha)
        shadow.set_alpha(alpha)
        x, y = self.pos[0], self.pos[1] - round(34 * ease_in_out(t))
        screen.blit(shadow, shadow.get_rect(center=(x + 1, y + 2)))
        screen.blit(image, image.get_rect(center=(x, y)))


@dataclass
class Toast(Effect):
    """A banner for news: an unlock, a finished order."""

    words: str = ""
    anchor: tuple[int, int] = (0, 0)
    icon: str | None = None

    def draw(self, screen, now, sprites, fonts) -> None:
        t = self.t(now)
        if t <= 0 or t >= 1:
            return
        slide = ease_out_back(clamp01(t * 6)) if t < 0.5 else 1.0
        alpha = clamp01((1 - t) * 6)
        label = fonts.heading.render(self.words, True, text.INK)
        icon = sprites.scaled(self.icon, 32) if self.icon else None
        w = label.get_width() + 36 + (40 if icon else 0)
        box = pygame.Surface((w, 48), pygame.SRCALPHA)
        pygame.draw.rect(box, (120, 78, 44), box.get_rect(), border_radius=10)
        pygame.draw.rect(box, text.PAPER, box.get_rect().inflate(-6, -6), border_radius=8)
        x = 18
        if icon:
            box.blit(icon, icon.get_rect(midleft=(x, 24)))
            x += 40
        box.blit(label, label.get_rect(midleft=(x, 24)))
        box.set_alpha(round(255 * alpha))
        rect = box.get_rect(midtop=(self.anchor[0], self.anchor[1] - 60 + round(60 * slide)))
        screen.blit(box, rect)
