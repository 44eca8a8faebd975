"""The side panel: score, the current order, the basket and the seeds (unlocked or not)."""

from __future__ import annotations

import pygame

from garden.engine.rules import UNLOCKS
from garden.ui import text
from garden.ui.pixelart import kind_colour
from garden.ui.sprites import SpriteBook
from garden.ui.view import GardenView

WOOD = (120, 78, 44)
WOOD_LIGHT = (160, 112, 66)
CARD = (250, 240, 214)
LINE = (214, 196, 160)
PAD = 14
SLOT = 34  # size of a flower icon in the basket


class Panel:
    def __init__(self, sprites: SpriteBook, fonts: text.Fonts, rect: pygame.Rect):
        self.sprites, self.fonts, self.rect = sprites, fonts, rect
        self.card = rect.inflate(-16, -16)
        self._basket_top = self.card.y + 200  # the real values are known after the first draw
        self._score_rect = pygame.Rect(self.card.x + PAD + 40, self.card.y + PAD + 12, 30, 26)

    def basket_slot(self, kind: str, view: GardenView | None = None, seeds=None) -> pygame.Rect:
        """Where a kind's flower sits in the basket: harvested flowers fly there."""
        seeds = list(seeds or (view.seeds if view else ()))
        i = seeds.index(kind) if kind in seeds else 0
        col_w = (self.card.w - 2 * PAD) // 2
        x = self.card.x + PAD + (i % 2) * col_w
        y = self._basket_top + (i // 2) * (SLOT + 8)
        return pygame.Rect(x, y, SLOT, SLOT)

    def score_anchor(self) -> tuple[int, int]:
        """Just right of the score number: where '+15' rises from."""
        return self._score_rect.right + 30, self._score_rect.centery

    def draw(self, screen: pygame.Surface, view: GardenView, now: float, arriving: dict[str, int],
             bumps: dict[str, float]) -> None:
        pygame.draw.rect(screen, (86, 140, 60), self.rect)
        pygame.draw.rect(screen, WOOD, self.card.move(0, 3), border_radius=12)
        pygame.draw.rect(screen, WOOD_LIGHT, self.card, border_radius=12)
        pygame.draw.rect(screen, CARD, self.card.inflate(-8, -8), border_radius=9)
        y = self.card.y + PAD
        y = self._score(screen, view, y)
        y = self._order(screen, view, self._rule(screen, y))
        y = self._basket(screen, view, self._rule(screen, y), now, arriving, bumps)
        y = self._seeds(screen, view, self._rule(screen, y))
        self._tips(screen, y + 10)

    def _rule(self, screen, y: int) -> int:
        pygame.draw.line(screen, LINE, (self.card.x + PAD, y + 6), (self.card.right - PAD, y + 6), 2)
        return y + 14

    def _heading(self, screen, icon: str, words: str, y: int) -> int:
        screen.blit(self.sprites.scaled(icon, 28), (self.card.x + PAD, y))
        text.write(screen, self.fonts.heading, words, (self.card.x + PAD + 36, y + 14), text.INK, anchor="midleft")
        return y + 34

    def _score(self, screen, view: GardenView, y: int) -> int:
        screen.blit(self.sprites.scaled("icon_star", 32), (self.card.x + PAD, y))
        text.write(screen, self.fonts.small, "SCORE", (self.card.x + PAD + 40, y - 1), text.MUTED)
        self._score_rect = text.write(screen, self.fonts.title, str(view.score), (self.card.x + PAD + 40, y + 12),
                                      text.INK)
        return y + 42

    def _order(self, screen, view: GardenView, y: int) -> int:
        text.write(screen, self.fonts.small, f"{view.orders_done} done", (self.card.right - PAD, y + 14), text.MUTED,
                   anchor="midright")
        y = self._heading(screen, "icon_order", "Order", y)
        kind, count = view.order_seed, view.order_count
        screen.blit(self.sprites.scaled(f"{kind}_bloom", 32), (self.card.x + PAD - 2, y - 4))
        words = f"Harvest {count} {text.plural(kind, count)}"
        text.write(screen, self.fonts.body, text.fit(self.fonts.body, words, self.card.w - 2 * PAD - 40),
                   (self.card.x + PAD + 36, y + 2), text.INK)
        y += 32
        bar = pygame.Rect(self.card.x + PAD, y, self.card.w - 2 * PAD - 56, 14)
        pygame.draw.rect(screen, LINE, bar, border_radius=7)
        filled = bar.copy()
        filled.w = round(bar.w * min(1.0, view.order_progress / max(1, count)))
        if filled.w:
            pygame.draw.rect(screen, kind_colour(kind), filled, border_radius=7)
        pygame.draw.rect(screen, text.MUTED, bar, 1, border_radius=7)
        text.write(screen, self.fonts.body, f"{view.order_progress}/{count}", (self.card.right - PAD, bar.centery),
                   text.INK, anchor="midright")
        text.write(screen, self.fonts.small, f"bonus +{view.order_bonus}", (self.card.x + PAD, bar.bottom + 5),
                   text.MUTED)
        return bar.bottom + 22

    def _basket(self, screen, view: GardenView, y: int, now: float, arriving: dict[str, int],
                bumps: dict[str, float]) -> int:
        y = self._heading(screen, "basket", "Basket", y)
        self._basket_top = y
        for kind in view.seeds:
            slot = self.basket_slot(kind, view)
            pop = max(0.0, bumps.get(kind, 0) - now) / 0.3  # a little bounce when a flower lands
            size = round(SLOT * (1 + 0.25 * pop))
            icon = self.sprites.scaled(f"{kind}_bloom", size, cache=not pop)
            screen.blit(icon, icon.get_rect(center=slot.center))
            count = max(0, view.in_basket(kind) - arriving.get(kind, 0))
            colour = text.INK if count else text.MUTED
            text.write(screen, self.fonts.heading, f"× {count}", (slot.right + 6, slot.centery), colour,
                       anchor="midleft")
        rows = (len(view.seeds) + 1) // 2
        return y + rows * (SLOT + 8) - 4

    def _seeds(self, screen, view: GardenView, y: int) -> int:
        text.write(screen, self.fonts.heading, "Seeds", (self.card.x + PAD, y), text.INK)
        y += 24
        col_w = (self.card.w - 2 * PAD) // 2
        for i, kind in enumerate(view.seeds):
            x, top = self.card.x + PAD + (i % 2) * col_w, y + (i // 2) * 24
            locked = kind not in view.unlocked
            screen.blit(self.sprites.scaled("icon_lock" if locked else "icon_check", 20), (x, top))
            text.write(screen, self.fonts.small, kind, (x + 24, top + 4), text.MUTED if locked else text.INK)
        y += ((len(view.seeds) + 1) // 2) * 24
        hint = next((u for u in UNLOCKS if u["seed"] not in view.unlocked), None)
        if hint:
            kinds, n = text.plural(hint["seed"]), hint["harvested"]
            room = self.card.w - 2 * PAD
            words = next((w for w in (f"{kinds} unlock after {n} harvests", f"{kinds}: after {n} harvests")
                          if self.fonts.small.size(w)[0] <= room), f"{kinds}: {n} harvests")
            text.write(screen, self.fonts.small, text.fit(self.fonts.small, words, room), (self.card.x + PAD, y + 2),
                       text.MUTED)
            y += 20
        return y

    def _tips(self, screen, y: int) -> None:
        """How to play, when the panel has room for it."""
        tips = ["Water a seed twice to bloom.", "Harvest blooms for points;", "unripe plants are lost."]
        step = self.fonts.small.get_linesize()
        if y + (len(tips) + 1) * step > self.card.bottom - PAD:
            return
        y = self._rule(screen, y - 10)
        for i, tip in enumerate(tips):
            text.write(screen, self.fonts.small, text.fit(self.fonts.small, tip, self.card.w - 2 * PAD),
                       (self.card.x + PAD, y + i * step), text.MUTED)
