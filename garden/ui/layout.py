"""Where everything goes on the screen, computed from the window size and the grid size."""

from __future__ import annotations

from dataclasses import dataclass

import pygame

from garden.ui.pixelart import TILE

TOP_BAR = 46
HUD = 96
INPUT = 38
MAX_SCALE = 10  # screen pixels per art pixel for the biggest plots (2x2 garden)
FENCE = 32  # the picket fence along the top of the lawn: 16-pixel art at scale 2
FRAME = 6  # the wooden frame around the raised bed


@dataclass(frozen=True)
class Layout:
    size: tuple[int, int]
    top: pygame.Rect
    garden: pygame.Rect
    panel: pygame.Rect
    hud: pygame.Rect
    input: pygame.Rect
    console: pygame.Rect

    @classmethod
    def of(cls, size: tuple[int, int]) -> "Layout":
        w, h = size
        panel_w = max(236, min(280, w // 4 + 20))
        middle = h - TOP_BAR - HUD - INPUT
        return cls(
            size=size,
            top=pygame.Rect(0, 0, w, TOP_BAR),
            garden=pygame.Rect(0, TOP_BAR, w - panel_w, middle),
            panel=pygame.Rect(w - panel_w, TOP_BAR, panel_w, middle),
            hud=pygame.Rect(0, h - HUD - INPUT, w, HUD),
            input=pygame.Rect(0, h - INPUT, w, INPUT),
            console=pygame.Rect(0, 0, w, max(160, int(h * 0.66))),
        )


@dataclass(frozen=True)
class BoardGeometry:
    """The raised bed and its plots inside the garden area, for a rows x cols grid."""

    rows: int
    cols: int
    area: pygame.Rect
    tile: int  # plot side in screen pixels, a multiple of TILE so art pixels stay square
    gap: int
    label: int  # height of the coordinates plaque under each plot
    pad: int  # bed border around the plots
    origin: tuple[int, int]

    @classmethod
    def fit(cls, area: pygame.Rect, rows: int, cols: int) -> "BoardGeometry":
        """The biggest whole-number scale at which the bed fits below the fence."""
        dense = max(rows, cols)
        gap, label, pad = (14, 22, 12) if dense <= 3 else (10, 20, 10) if dense == 4 else (4, 15, 6)
        for scale in range(MAX_SCALE, 0, -1):
            tile = scale * TILE
            grid_w = cols * tile + (cols - 1) * gap
            grid_h = rows * (tile + label) + (rows - 1) * gap
            bed_w, bed_h = grid_w + 2 * (pad + FRAME), grid_h + 2 * (pad + FRAME) + 4
            if bed_w <= area.w - 24 and bed_h <= area.h - FENCE - 6 or scale == 1:
                break
        x = area.x + (area.w - grid_w) // 2
        y = area.y + FENCE + (area.h - FENCE - bed_h) // 2 + pad + FRAME
        return cls(rows, cols, area, tile, gap, label, pad, (x, y))

    def plot(self, row: int, col: int) -> pygame.Rect:
        x0, y0 = self.origin
        return pygame.Rect(x0 + (col - 1) * (self.tile + self.gap),
                           y0 + (row - 1) * (self.tile + self.label + self.gap), self.tile, self.tile)

    def plaque(self, row: int, col: int) -> pygame.Rect:
        tile = self.plot(row, col)
        return pygame.Rect(tile.x, tile.bottom + 1, tile.w, self.label - 2)

    def bed(self) -> pygame.Rect:
        """The soil of the raised bed: every plot and plaque, plus the border (the frame is outside)."""
        first, last = self.plot(1, 1), self.plaque(self.rows, self.cols)
        return pygame.Rect(first.x - self.pad, first.y - self.pad, last.right - first.x + 2 * self.pad,
                           last.bottom - first.y + 2 * self.pad + 4)
