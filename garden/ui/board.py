"""The garden itself: lawn, fence, the raised bed, and every plot with its number, coordinates and plant.

The board keeps what the *screen* shows per plot (a Growth easing from the old sprite to the new
one, soil that is still wet from a recent watering); the engine's state changes at once and
arrives as GardenViews. `changes()` compares two views and the turn between them and says what
to animate.
"""

from __future__ import annotations

import random
from typing import Callable

import pygame

from garden.session import Turn
from garden.ui import text
from garden.ui.effects import GROW_SECONDS, Effect, FlyingFlower, Growth, Puff, Watering
from garden.ui.layout import FENCE, FRAME, BoardGeometry
from garden.ui.sprites import SpriteBook
from garden.ui.view import GardenView

WET_SECONDS = 2.4  # how long a watered plant's soil stays dark on screen
BED = (96, 64, 42)
BED_EDGE = (128, 84, 48)
BED_DARK = (70, 44, 28)
PLAQUE = (232, 206, 160)


def plot_outcomes(turn: Turn) -> dict[tuple[int, int], list[tuple[str, str, str]]]:
    """(row, col) -> [(tool, outcome, note), ...] for every plot the turn's calls touched."""
    found: dict[tuple[int, int], list[tuple[str, str, str]]] = {}
    for result in turn.results:
        for entry in result.get("plots", []):
            key = (entry.get("row"), entry.get("col"))
            found.setdefault(key, []).append((result.get("tool", ""), entry.get("outcome", ""), entry.get("note", "")))
    return found


class Board:
    def __init__(self, sprites: SpriteBook, fonts: text.Fonts, area: pygame.Rect):
        self.sprites, self.fonts, self.area = sprites, fonts, area
        self.geometry: BoardGeometry | None = None
        self.background: pygame.Surface | None = None
        self.growth: dict[tuple[int, int], Growth] = {}
        self.wet_until: dict[tuple[int, int], float] = {}

    # --- keeping up with the engine ------------------------------------------------------

    def fit(self, view: GardenView) -> BoardGeometry:
        g = self.geometry
        if g is None or (g.rows, g.cols) != (view.rows, view.cols):
            self.geometry = BoardGeometry.fit(self.area, view.rows, view.cols)
            self.background = self._paint_background(self.geometry)
            self.growth.clear()
            self.wet_until.clear()
        return self.geometry

    def changes(self, before: GardenView, after: GardenView, turn: Turn, now: float,
                basket_slot: Callable[[str], pygame.Rect]) -> list[Effect]:
        """Animations for going from `before` to `after`; a new grid size just redraws."""
        if (before.rows, before.cols) != (after.rows, after.cols):
            self.fit(after)
            return []
        g = self.fit(after)
        effects: list[Effect] = []
        touched = plot_outcomes(turn)
        for row, col in after.coords():
            old, new, rect = before.plot(row, col), after.plot(row, col), g.plot(row, col)
            events = touched.get((row, col), [])
            watered = any(tool == "water_plots" for tool, _, _ in events)
            harvested = [note for tool, outcome, note in events if outcome == "harvested"]
            if watered:
                effects.append(Watering(start=now, duration=0.9, rect=rect))
                if new.plant:
                    self.wet_until[(row, col)] = now + WET_SECONDS
            for note in harvested:
                kind = old.plant or note.split(" ")[0]
                effects.append(FlyingFlower(start=now + 0.15, duration=0.9, kind=kind, source=rect,
                                            target=basket_slot(kind)))
            if any(outcome == "destroyed" for _, outcome, _ in events):
                effects.append(Puff(start=now, duration=0.7, rect=rect))
            if old.sprite != new.sprite and not (harvested and new.sprite is None):
                delay = 0.45 if watered else 0.0  # let the water land first
                self.growth[(row, col)] = Growth(start=now + delay, duration=GROW_SECONDS,
                                                 old=old.sprite, new=new.sprite)
            elif harvested and new.sprite is None:
                self.growth.pop((row, col), None)
        return effects

    def busy(self, now: float) -> bool:
        return any(not g.done(now) for g in self.growth.values())

    # --- drawing -------------------------------------------------------------------------

    def draw(self, screen: pygame.Surface, view: GardenView, now: float) -> None:
        g = self.fit(view)
        screen.blit(self.background, self.area)
        for row, col in view.coords():
            self._draw_plot(screen, view, row, col, now)

    def _draw_plot(self, screen, view: GardenView, row: int, col: int, now: float) -> None:
        g, plot = self.geometry, view.plot(row, col)
        rect = g.plot(row, col)
        pygame.draw.rect(screen, BED_DARK, rect.move(0, max(2, g.tile // 24)), border_radius=max(2, g.tile // 16))
        screen.blit(self.sprites.scaled("soil_wet" if plot.wet else "soil_dry", g.tile), rect)
        left = self.wet_until.get((row, col), 0) - now
        if left > 0 and not plot.wet:
            wet = self.sprites.scaled("soil_wet", g.tile, cache=False)
            wet.set_alpha(round(255 * min(1.0, left / 0.8)))
            screen.blit(wet, rect)
        growth = self.growth.get((row, col))
        if growth and not growth.done(now):
            growth.draw_in(screen, rect, now, self.sprites)
        elif plot.sprite:
            screen.blit(self.sprites.scaled(plot.sprite, g.tile), rect)
        self._draw_number(screen, view.number(row, col), rect)
        self._draw_plaque(screen, g.plaque(row, col), row, col)

    def _draw_number(self, screen, number: int, rect: pygame.Rect) -> None:
        font = self.fonts.badge if rect.w >= 64 else self.fonts.tiny
        label = font.render(str(number), True, text.PAPER)
        radius = max(label.get_width(), label.get_height()) // 2 + (4 if rect.w >= 64 else 2)
        centre = (rect.x + radius + 2, rect.y + radius + 2)
        pygame.draw.circle(screen, text.INK, (centre[0], centre[1] + 1), radius + 1)
        pygame.draw.circle(screen, (88, 58, 38), centre, radius)
        pygame.draw.circle(screen, (150, 104, 64), centre, radius, 2)
        screen.blit(label, label.get_rect(center=(centre[0], centre[1] + 1)))

    def _draw_plaque(self, screen, rect: pygame.Rect, row: int, col: int) -> None:
        font = self.fonts.small if rect.h >= 17 else self.fonts.tiny
        words = next((w for w in (f"row {row} · col {col}", f"row {row}, col {col}", f"r{row} c{col}")
                      if font.size(w)[0] <= rect.w - 6), f"r{row}c{col}")
        label = font.render(words, True, text.PAPER)
        screen.blit(label, label.get_rect(center=(rect.centerx, rect.centery + 1)))

    # --- the still parts, painted once per grid size --------------------------------------

    def _paint_background(self, g: BoardGeometry) -> pygame.Surface:
        area = pygame.Rect(0, 0, self.area.w, self.area.h)
        bg = pygame.Surface(area.size)
        grass = self.sprites.scaled("grass", 48)
        for y in range(0, area.h, 48):
            for x in range(0, area.w, 48):
                bg.blit(grass, (x, y))
        bed = g.bed().move(-self.area.x, -self.area.y)
        self._paint_decorations(bg, bed)
        fence = self.sprites.scaled("fence", FENCE)
        for x in range(-FENCE // 2, area.w, FENCE):
            bg.blit(fence, (x, 0))
        shadow = pygame.Surface(bed.inflate(2 * FRAME, 2 * FRAME).size, pygame.SRCALPHA)
        pygame.draw.rect(shadow, (30, 60, 20, 90), shadow.get_rect(), border_radius=12)
        bg.blit(shadow, bed.inflate(2 * FRAME, 2 * FRAME).move(3, 5))
        frame = bed.inflate(2 * FRAME, 2 * FRAME)
        pygame.draw.rect(bg, BED_EDGE, frame, border_radius=10)
        pygame.draw.rect(bg, (160, 112, 66), frame, 3, border_radius=10)
        pygame.draw.rect(bg, BED, bed, border_radius=6)
        pygame.draw.rect(bg, BED_DARK, bed, 2, border_radius=6)
        return bg

    def _paint_decorations(self, bg: pygame.Surface, bed: pygame.Rect) -> None:
        """Wild flowers on the lawn, in the same places every time, never under the bed."""
        rng = random.Random(bed.w * 31 + bed.h)
        kinds = [n for n in self.sprites.native if n.startswith("tuft_")]
        keep_out = bed.inflate(40, 40)
        for _ in range(40):
            name = rng.choice(kinds)
            x, y = rng.randrange(0, bg.get_width() - 32), rng.randrange(FENCE + 4, bg.get_height() - 32)
            spot = pygame.Rect(x, y, 32, 32)
            if not spot.colliderect(keep_out):
                bg.blit(self.sprites.scaled(name, 32), spot)
