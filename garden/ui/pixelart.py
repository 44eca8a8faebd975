"""The game's pixel art, drawn with pygame primitives: no image files needed.

Every sprite is a small Surface (16x16, droplets 8x8) made from a character map and a palette, or
from a few rects and lines. `assets/make_sprites.py` writes these to PNG files; the game loads the
PNGs when present and calls `draw()` for anything missing, so a lost asset never stops it.
Sprites are scaled up at draw time with nearest-neighbour, which keeps the pixels crisp.
"""

from __future__ import annotations

import colorsys
import hashlib
import random

import pygame

from garden.engine.rules import STAGES

TILE = 16
OUTLINE = (52, 36, 34)

# --- palettes ----------------------------------------------------------------------------------

GREENS = {
    "G": (96, 182, 74), "g": (52, 126, 58), "L": (150, 214, 104),
    "S": (72, 150, 62), "s": (48, 108, 48),
}
SOIL = {"m": (134, 88, 52), "M": (196, 146, 92), "n": (222, 178, 120)}
WOOD = {"w": (226, 198, 150), "W": (184, 150, 104), "b": (140, 96, 58)}

# P petal, p petal shade, H petal highlight, C centre, c centre shade, e seed
KINDS: dict[str, dict[str, tuple[int, int, int]]] = {
    "sunflower": {"P": (255, 206, 46), "p": (232, 148, 24), "H": (255, 236, 140),
                  "C": (136, 82, 38), "c": (88, 52, 26), "e": (70, 62, 58)},
    "daisy": {"P": (252, 252, 248), "p": (196, 204, 226), "H": (255, 255, 255),
              "C": (255, 204, 46), "c": (226, 150, 30), "e": (196, 170, 120)},
    "rose": {"P": (228, 54, 76), "p": (156, 24, 54), "H": (255, 132, 140),
             "C": (196, 36, 64), "c": (120, 16, 44), "e": (150, 96, 60)},
    "tulip": {"P": (240, 104, 176), "p": (176, 50, 128), "H": (255, 176, 214),
              "C": (250, 220, 90), "c": (200, 150, 40), "e": (178, 120, 80)},
}


def kind_palette(kind: str) -> dict[str, tuple[int, int, int]]:
    """The palette of a seed kind; kinds without one get colours generated from their name."""
    if kind in KINDS:
        return KINDS[kind]
    hue = int(hashlib.md5(kind.encode()).hexdigest()[:6], 16) / 0xFFFFFF
    rgb = lambda s, v: tuple(round(255 * x) for x in colorsys.hsv_to_rgb(hue, s, v))  # noqa: E731
    return {"P": rgb(0.55, 0.98), "p": rgb(0.75, 0.70), "H": rgb(0.25, 1.0),
            "C": (255, 204, 46), "c": (226, 150, 30), "e": (160, 120, 80)}


def kind_colour(kind: str) -> tuple[int, int, int]:
    """One colour that stands for a kind in text and icons."""
    return kind_palette(kind)["p" if kind == "daisy" else "P"]


# --- character maps --------------------------------------------------------------------------
# '.' is transparent; other characters are looked up in the palette passed to paint().

BLOOMS = {
    "sunflower": [
        ".....P.PP.P.....",
        "....PPPPPPPP....",
        "...PPpccccpPP...",
        "..PPpcCCCCcpPP..",
        "..PPpcCcCCcpPP..",
        "..PPpcCCCcCpPP..",
        "...PPpccccpPP...",
        "....PPPPPPPP....",
        ".....P.SS.P.....",
        "..LG...SS.......",
        ".LGGG..SS...GL..",
        "..gGGG.SS..GGGL.",
        "....ggGSS.GGGg..",
        ".......SSGgg....",
        ".......SS.......",
        "................",
    ],
    "daisy": [
        "................",
        "................",
        ".......PP.......",
        "...PP..PP..PP...",
        "...PPPpPPpPPP...",
        "....PpCCCCpP....",
        "..PPPPCcCCPPPP..",
        "..PPPPCCcCPPPP..",
        "....PpCCCCpP....",
        "...PPPpPPpPPP...",
        "...PP..SS..PP...",
        ".......SS.GL....",
        "...LGG.SSGGG....",
        "....gGGSSgg.....",
        ".......SS.......",
        "................",
    ],
    "rose": [
        "................",
        "................",
        "......pPPp......",
        "....pPPHHPPp....",
        "...pPPppppPPp...",
        "...PPpPPPPpPP...",
        "...PPpPppPpPP...",
        "...pPPpPPpPPp...",
        "....pPPppPPp....",
        ".....ppSSpp.....",
        "...GG..SS.......",
        "..GLGG.Ss..GG...",
        "...gGGGSS.GLGG..",
        ".......SSGGGg...",
        ".......SS.......",
        "................",
    ],
    "tulip": [
        "................",
        "................",
        "....P..PP..P....",
        "....PP.PP.PP....",
        "....PPPPPPPP....",
        "....PHPPPPPp....",
        "....PHPPPPpp....",
        ".....PPPPPp.....",
        "......pppp......",
        "..G....SS....G..",
        "..GG...SS...GL..",
        "..LGG..SS..GGG..",
        "...gGG.SS.GGg...",
        "....gGGSSGGg....",
        ".......SS.......",
        "................",
    ],
}
GENERIC_BLOOM = BLOOMS["daisy"]

SPROUT = [
    "................",
    "................",
    "................",
    "................",
    "................",
    ".......pp.......",
    "......pPPp......",
    ".......SS.......",
    "..LGG..SS..GGL..",
    ".LGGGG.SS.GGGGL.",
    "..gGGGGSSGGGGg..",
    "....ggGSSGgg....",
    ".......SS.......",
    ".......SS.......",
    ".......SS.......",
    "................",
]

SEED = [
    "................",
    "................",
    "................",
    "..........wwwww.",
    "..........wwPww.",
    "..........wPCPw.",
    "..........wwPww.",
    "..........WWWWW.",
    "............b...",
    "............b...",
    "............b...",
    "...nnnn.....b...",
    "..nMeMMn....b...",
    ".nMMMMeMn...b...",
    ".mmmmmmmm...b...",
    "................",
]

DROPLET = [
    "...DD...",
    "...DD...",
    "..DDDD..",
    ".DDDDHD.",
    ".DDDDHD.",
    ".DDDDDD.",
    "..dDDd..",
    "...dd...",
]
WATER = {"D": (86, 168, 240), "d": (46, 108, 200), "H": (214, 238, 255)}

WATERING_CAN = [
    "................",
    "................",
    "....hhhhh.......",
    "...h.....h......",
    "...h.....h....rr",
    "...h.....h...rrr",
    ".BBBBBBBBBB..rr.",
    ".BHHBBBBBBB.SS..",
    ".BHBBBBBBBBSS...",
    ".BHBBBBBBBSS....",
    ".BHBBBBBBBS.....",
    ".BBBBBBBBBB.....",
    ".BBBBBBBBBB.....",
    ".bbbbbbbbbb.....",
    "................",
    "................",
]
CAN = {"B": (96, 160, 214), "b": (58, 104, 164), "H": (176, 214, 244), "h": (58, 104, 164),
       "S": (76, 136, 196), "r": (150, 186, 220)}

BASKET = [
    "................",
    ".....hhhhhh.....",
    "....h......h....",
    "...h........h...",
    "...h........h...",
    "...h........h...",
    ".RRRRRRRRRRRRRR.",
    ".RrrrrrrrrrrrrR.",
    "..TtTtTtTtTtTt..",
    "..tTtTtTtTtTtT..",
    "..TtTtTtTtTtTt..",
    "...tTtTtTtTtT...",
    "...TtTtTtTtTt...",
    "....bbbbbbbb....",
    "................",
    "................",
]
WICKER = {"h": (150, 98, 52), "R": (176, 118, 62), "r": (214, 160, 96),
          "T": (206, 150, 84), "t": (164, 108, 56), "b": (128, 82, 44)}

ICONS = {
    "icon_star": ([
        "................",
        ".......YY.......",
        ".......YY.......",
        "......YYYY......",
        "......YHYY......",
        "YYYYYYYHYYYYYYYY",
        ".YYYYYHYYYYYYYY.",
        "..YYYYYYYYYYYy..",
        "...YYYYYYYYYy...",
        "....YYYYYYYy....",
        "....YYYYYYYy....",
        "...YYYYyyYYYy...",
        "...YYYy..yYYy...",
        "..YYy......yYy..",
        "..Yy........yY..",
        "................",
    ], {"Y": (255, 208, 48), "y": (222, 150, 24), "H": (255, 246, 180)}),
    "icon_lock": ([
        "................",
        "................",
        ".....gggggg.....",
        "....g......g....",
        "....g......g....",
        "....g......g....",
        "...LLLLLLLLLL...",
        "...LllllllllL...",
        "...LlllkklllL...",
        "...LlllkklllL...",
        "...LlllkklllL...",
        "...LllllllllL...",
        "...LLLLLLLLLL...",
        "................",
        "................",
        "................",
    ], {"g": (150, 150, 160), "L": (120, 110, 100), "l": (214, 176, 80), "k": (70, 50, 30)}),
    "icon_order": ([
        "................",
        "......bbbb......",
        "..pppbBBBBbppp..",
        "..pwwwwwwwwwwp..",
        "..pwkkwwkkkkwp..",
        "..pwwwwwwwwwwp..",
        "..pwkkwwkkkwwp..",
        "..pwwwwwwwwwwp..",
        "..pwkkwwkkkkwp..",
        "..pwwwwwwwwwwp..",
        "..pwkkwwkkwwwp..",
        "..pwwwwwwwwwwp..",
        "..pwwwwwwwwwwp..",
        "..pppppppppppp..",
        "................",
        "................",
    ], {"p": (170, 112, 60), "w": (252, 246, 228), "k": (120, 110, 100),
        "b": (120, 120, 130), "B": (190, 190, 200)}),
    "icon_mic": ([
        "................",
        "......mmmm......",
        ".....mMMMMm.....",
        ".....mMHMMm.....",
        ".....mMHMMm.....",
        "...k.mMMMMm.k...",
        "...k.mMMMMm.k...",
        "...k..mmmm..k...",
        "....k......k....",
        ".....kkkkkk.....",
        ".......kk.......",
        ".......kk.......",
        ".....kkkkkk.....",
        "................",
        "................",
        "................",
    ], {"m": (90, 90, 100), "M": (150, 150, 164), "H": (220, 220, 230), "k": (70, 70, 80)}),
    "icon_check": ([
        "................",
        "................",
        "............KK..",
        "...........KK...",
        "..........KK....",
        ".........KK.....",
        "..KK....KK......",
        "...KK..KK.......",
        "....KKKK........",
        ".....KK.........",
        "................",
        "................",
        "................",
        "................",
        "................",
        "................",
    ], {"K": (60, 170, 80)}),
}


def paint(rows: list[str], palette: dict) -> pygame.Surface:
    """A Surface from a character map: one pixel per character, '.' transparent."""
    surface = pygame.Surface((len(rows[0]), len(rows)), pygame.SRCALPHA)
    for y, line in enumerate(rows):
        for x, ch in enumerate(line):
            if ch != "." and ch in palette:
                surface.set_at((x, y), palette[ch])
    return surface


def outlined(surface: pygame.Surface, colour=OUTLINE) -> pygame.Surface:
    """The sprite with a 1-pixel outline around its opaque pixels: reads well on any ground."""
    w, h = surface.get_size()
    out = surface.copy()
    for y in range(h):
        for x in range(w):
            if surface.get_at((x, y)).a:
                continue
            near = ((x + dx, y + dy) for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1)))
            if any(0 <= nx < w and 0 <= ny < h and surface.get_at((nx, ny)).a for nx, ny in near):
                out.set_at((x, y), colour)
    return out


# --- ground tiles ----------------------------------------------------------------------------

def soil(wet: bool) -> pygame.Surface:
    """A tilled plot with three furrows; wet soil is darker and glints."""
    base, edge, furrow, ridge = (((104, 70, 48), (66, 42, 28), (80, 52, 36), (128, 90, 66)) if wet
                                 else ((160, 110, 66), (106, 68, 40), (126, 84, 48), (186, 136, 88)))
    s = pygame.Surface((TILE, TILE), pygame.SRCALPHA)
    pygame.draw.rect(s, base, (0, 0, TILE, TILE))
    for y in (4, 8, 12):
        pygame.draw.line(s, ridge, (2, y - 1), (13, y - 1))
        pygame.draw.line(s, furrow, (2, y), (13, y))
    rng = random.Random(7 if wet else 3)
    for _ in range(10):
        s.set_at((rng.randrange(1, 15), rng.randrange(1, 15)), ridge if rng.random() < 0.5 else furrow)
    if wet:
        for x, y in ((4, 6), (10, 10), (7, 2), (12, 5)):
            s.set_at((x, y), (140, 186, 230))
        pygame.draw.line(s, (96, 140, 190), (5, 13), (9, 13))
    pygame.draw.rect(s, edge, (0, 0, TILE, TILE), 1)
    for x, y in ((0, 0), (15, 0), (0, 15), (15, 15)):
        s.set_at((x, y), (0, 0, 0, 0))
    return s


def grass() -> pygame.Surface:
    s = pygame.Surface((TILE, TILE))
    s.fill((124, 192, 84))
    rng = random.Random(11)
    for _ in range(9):
        x, y = rng.randrange(0, 15), rng.randrange(1, 16)
        s.set_at((x, y), (98, 166, 68))
        s.set_at((x + 1, y - 1), (98, 166, 68))
    for _ in range(6):
        s.set_at((rng.randrange(16), rng.randrange(16)), (152, 212, 104))
    return s


def fence() -> pygame.Surface:
    """Two white pickets on two rails; tiles side by side along the garden's top edge."""
    s = pygame.Surface((TILE, TILE), pygame.SRCALPHA)
    light, shade = (246, 238, 220), (206, 192, 166)
    for y in (5, 11):
        pygame.draw.rect(s, shade, (0, y, TILE, 2))
    for x in (2, 10):
        pygame.draw.rect(s, light, (x, 3, 4, 13))
        pygame.draw.line(s, shade, (x + 3, 3), (x + 3, 15))
        pygame.draw.rect(s, light, (x + 1, 1, 2, 2))
    return outlined(s)


def flower_tuft(kind: str) -> pygame.Surface:
    """A tiny wild flower for decorating the lawn."""
    pal = kind_palette(kind)
    rows = [
        "................", "................", "................", "................",
        "................", "................", "................", "................",
        "......P.........", ".....PCP....P...", "......P....PCP..", "......S.....P...",
        "....G.S.G...S...", ".....GSG...GSG..", "......S.....S...", "................",
    ]
    return paint(rows, {**pal, **GREENS})


# --- plants ----------------------------------------------------------------------------------

def plant(kind: str, stage: str) -> pygame.Surface:
    pal = {**GREENS, **SOIL, **WOOD, **kind_palette(kind)}
    rows = {"seed": SEED, "sprout": SPROUT}.get(stage) or BLOOMS.get(kind, GENERIC_BLOOM)
    return outlined(paint(rows, pal))


# --- catalogue -------------------------------------------------------------------------------

def sprite_names(seeds) -> list[str]:
    names = ["soil_dry", "soil_wet", "grass", "fence", "droplet", "watering_can", "basket", *ICONS]
    names += [f"{kind}_{stage}" for kind in seeds for stage in STAGES]
    names += [f"tuft_{kind}" for kind in seeds]
    return names


def draw(name: str) -> pygame.Surface:
    """The sprite called `name`; raises KeyError for a name that means nothing."""
    fixed = {
        "soil_dry": lambda: soil(False),
        "soil_wet": lambda: soil(True),
        "grass": grass,
        "fence": fence,
        "droplet": lambda: paint(DROPLET, WATER),
        "watering_can": lambda: outlined(paint(WATERING_CAN, CAN)),
        "basket": lambda: outlined(paint(BASKET, WICKER)),
    }
    if name in fixed:
        return fixed[name]()
    if name in ICONS:
        rows, pal = ICONS[name]
        return outlined(paint(rows, pal))
    if name.startswith("tuft_"):
        return flower_tuft(name[5:])
    kind, _, stage = name.rpartition("_")
    if kind and stage in STAGES:
        return plant(kind, stage)
    raise KeyError(name)
