"""Write the game's sprites to assets/sprites/*.png.

The art itself lives in garden/ui/pixelart.py (pygame primitives and character maps), so the game
can redraw any sprite whose file is missing. This script only saves them:

    python assets/make_sprites.py            # writes assets/sprites/*.png (16x16 pixel art)
    python assets/make_sprites.py --sheet sheet.png   # also a scaled-up contact sheet to look at
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pygame  # noqa: E402

from garden.tools import SEEDS  # noqa: E402
from garden.ui import pixelart  # noqa: E402

HERE = Path(__file__).resolve().parent


def write_sprites(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in pixelart.sprite_names(SEEDS):
        path = out / f"{name}.png"
        pygame.image.save(pixelart.draw(name), str(path))
        written.append(path)
    return written


def contact_sheet(path: Path, scale: int = 6, per_row: int = 8) -> None:
    """All sprites side by side on grass, scaled up, for looking at the art."""
    names = pixelart.sprite_names(SEEDS)
    cell = pixelart.TILE * scale + 8
    rows = -(-len(names) // per_row)
    sheet = pygame.Surface((per_row * cell, rows * cell))
    sheet.fill((124, 192, 84))
    for i, name in enumerate(names):
        sprite = pixelart.draw(name)
        big = pygame.transform.scale(sprite, (sprite.get_width() * scale, sprite.get_height() * scale))
        sheet.blit(big, ((i % per_row) * cell + 4, (i // per_row) * cell + 4))
    pygame.image.save(sheet, str(path))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=HERE / "sprites", help="folder for the PNGs")
    parser.add_argument("--sheet", type=Path, help="also write a scaled-up contact sheet here")
    args = parser.parse_args(argv)
    written = write_sprites(args.out)
    print(f"wrote {len(written)} sprites to {args.out}")
    if args.sheet:
        contact_sheet(args.sheet)
        print(f"wrote contact sheet {args.sheet}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
