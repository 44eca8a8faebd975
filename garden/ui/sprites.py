"""Sprites, loaded once: PNGs from assets/sprites when present, drawn in memory otherwise."""

from __future__ import annotations

from pathlib import Path

import pygame

from garden.tools import SEEDS
from garden.ui import pixelart

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "assets" / "sprites"


class SpriteBook:
    """Every sprite by name, at its native pixel size, plus a cache of scaled copies."""

    def __init__(self, folder: Path | None = None):
        self.folder = Path(folder) if folder else DEFAULT_DIR
        self.native: dict[str, pygame.Surface] = {}
        self.drawn: list[str] = []  # names that had no usable file and were drawn in memory
        self._scaled: dict[tuple[str, int, int], pygame.Surface] = {}
        for name in pixelart.sprite_names(SEEDS):
            self.native[name] = self._load(name)

    def _load(self, name: str) -> pygame.Surface:
        path = self.folder / f"{name}.png"
        try:
            surface = pygame.image.load(str(path))
            return surface.convert_alpha() if pygame.display.get_surface() else surface
        except (FileNotFoundError, pygame.error, OSError):
            self.drawn.append(name)
            return pixelart.draw(name)

    def get(self, name: str) -> pygame.Surface:
        """The native sprite; kinds the game has never seen are drawn on first use."""
        if name not in self.native:
            self.native[name] = pixelart.draw(name)
            self.drawn.append(name)
        return self.native[name]

    def scaled(self, name: str, width: int, height: int | None = None, cache: bool = True) -> pygame.Surface:
        """The sprite scaled with nearest-neighbour (crisp pixels). Fixed sizes are cached;
        animation frames pass cache=False so the cache does not grow with every in-between size."""
        native = self.get(name)
        width = max(1, width)
        height = max(1, height or width * native.get_height() // native.get_width())
        if not cache:
            return pygame.transform.scale(native, (width, height))
        key = (name, width, height)
        if key not in self._scaled:
            self._scaled[key] = pygame.transform.scale(self.get(name), (width, height))
        return self._scaled[key]
