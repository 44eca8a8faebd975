"""Grids and targets of the generated cases: which plots a command is about, and the words that name them
("the top row", "every plot but the corners")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from garden import places, tools
from training.pools import (ANTI_DIAGONAL, AROUND_STYLE, BORDER, BOTH_DIAGONALS, BOTTOM, CENTRE, COLUMN, COLUMN_PREP,
                            COMPASS, COORD, CORNER, CORNERS, CORNER_PAIR, EDGE_MIDDLE, EVERYTHING, EVERYWHERE, EXCEPT,
                            HALF, INSIDE, IT, LEFT, LINES, MAIN_DIAGONAL, MIDDLE, NAMED_LINE, NAMED_PAIR, PLOT_LIST,
                            PLOT_ORDINALS, PLOT_PAIR, PLOT_RANGE, PREP, Pool, RIGHT, ROW, ROW_PREP, SIDE, SIDE_WHERE,
                            SINGLE, THEM, THERE, TOP, UPPER_LOWER)
from training.wording import Say


Plots = tuple  # of (row, col) in reading order, no repeats


@dataclass(frozen=True)
class Grid:
    rows: int
    cols: int

    @property
    def size(self) -> int:
        return self.rows * self.cols

    def plots(self, keep: Callable[[int, int], bool] = lambda r, c: True) -> Plots:
        return places.grid(self.rows, self.cols, keep)


DEFAULT_GRID = Grid(tools.DEFAULT_ROWS, tools.DEFAULT_COLS)


@dataclass
class Target:
    """Some plots and how to name them: `np` as an object ("the top row"), `where` as a place to
    plant in ("on the left", "everywhere"; by default `prep` + np). When a target has its own
    `where`, its noun phrase is a function, said only if a frame asks for it: a phrasing picked
    but never said must not count as what makes a test utterance new."""

    says: str | Callable[[], str]
    plots: Plots
    where: str | Callable[[Say], str] | None = None
    prep: Pool = PREP
    pronoun: bool = False

    @property
    def np(self) -> str:
        if callable(self.says):
            self.says = self.says()
        return self.says


def where(say: Say, target: Target) -> str:
    if isinstance(target.where, str):
        return target.where
    if target.where is not None:
        return target.where(say)
    return f"{say.pick(target.prep)} {target.np}"


union = places.union


def one_plot(say: Say, g: Grid) -> Target:
    n = say.rng.randint(1, g.size)
    np = say.fill(say.pick(SINGLE), n=say.num(n), o=lambda: say.ordinal(n))
    return Target(np, (tools.plot_coords(n, g.cols),))


def coordinate_text(say: Say, template: str, r: int, c: int) -> str:
    return say.fill(template, r=say.num(r), c=say.num(c), ro=lambda: say.ordinal(r), co=lambda: say.ordinal(c))


def coordinate(say: Say, g: Grid) -> Target:
    r, c = say.rng.randint(1, g.rows), say.rng.randint(1, g.cols)
    return Target(coordinate_text(say, say.pick(COORD), r, c), ((r, c),))


def plot_numbers(say: Say, g: Grid, most: int = 4) -> list[int]:
    numbers = sorted(say.rng.sample(range(1, g.size + 1), say.rng.randint(2, min(most, g.size - 1))))
    if say.chance(0.4):  # the seventh run mixed up 4 of its 11 plot-list misses when the numbers were not in order
        say.rng.shuffle(numbers)  # people do not always say them in order; the call is in reading order
    return numbers


def plot_list(say: Say, g: Grid) -> Target:
    numbers = plot_numbers(say, g)
    spoken = [say.num(n) for n in numbers]
    if len(numbers) == 2 and say.chance(0.3):
        np = say.fill(say.pick(PLOT_PAIR), a=spoken[0], b=spoken[1])
    else:
        np = say.fill(say.pick(PLOT_LIST), list=say.list(spoken))
    return Target(np, union(tuple(tools.plot_coords(n, g.cols) for n in numbers)))


def plot_ordinals(say: Say, g: Grid) -> Target:
    numbers = sorted(plot_numbers(say, g, most=3))
    np = say.fill(say.pick(PLOT_ORDINALS), olist=say.list([say.ordinal(n) for n in numbers]))
    return Target(np, union(tuple(tools.plot_coords(n, g.cols) for n in numbers)))


def plot_range(say: Say, g: Grid) -> Target:
    a = say.rng.randint(1, g.size - 1)
    b = say.rng.randint(a + 1, min(g.size, a + 5))
    np = say.fill(say.pick(PLOT_RANGE), a=say.num(a), b=say.num(b))
    return Target(np, tuple(tools.plot_coords(n, g.cols) for n in range(a, b + 1)))


def coordinate_list(say: Say, g: Grid) -> Target:
    spots = sorted(say.rng.sample(g.plots(), say.rng.randint(2, 3)))
    template = say.pick(COORD)  # one style per list, as people keep to one
    return Target(say.list([coordinate_text(say, template, r, c) for r, c in spots], commas=False), tuple(spots))


def plots_together(say: Say, g: Grid) -> Target | None:
    """Two different kinds of target joined: 'the top row and plot 9' (one call, their union)."""
    parts = [pick_target(say, g, (row_line, column_line, one_plot, corner, centre)) for _ in range(2)]
    if not set(parts[1].plots) - set(parts[0].plots) or not set(parts[0].plots) - set(parts[1].plots):
        return None
    return Target(say.list([p.np for p in parts], commas=False), union(*(p.plots for p in parts)))


PLAIN_POSITIONS = ("top", "bottom", "left", "right", "middle")


def line_names(count: int, axis: str) -> dict[int, Pool]:
    """Named rows or columns: top/bottom (left/right), and middle when there is one."""
    first, last = (TOP, BOTTOM) if axis == "row" else (LEFT, RIGHT)
    names = {1: first, count: last}
    if places.middle_line(count):
        names[places.middle_line(count)] = MIDDLE
    return names


def line(say: Say, g: Grid, axis: str) -> Target:
    count = g.rows if axis == "row" else g.cols
    i = say.rng.randint(1, count)
    plots = g.plots(lambda r, c: (r if axis == "row" else c) == i)
    names = line_names(count, axis)
    prep = ROW_PREP if axis == "row" else COLUMN_PREP
    if i in names and say.chance(0.6):
        template = say.pick(NAMED_LINE)
        # "the last row" and "the upper row" read well; "the row at the last" and "the very upper row" do not.
        plain = template == "the {pos} {line}"
        pos = say.pick(names[i], keep=lambda p: plain or p in PLAIN_POSITIONS)
        return Target(say.fill(template, pos=pos, line=axis), plots, prep=prep)
    numbered = ROW if axis == "row" else COLUMN
    np = say.fill(say.pick(numbered), r=say.num(i), c=say.num(i), ro=lambda: say.ordinal(i), co=lambda: say.ordinal(i))
    return Target(np, plots, prep=prep)


def row_line(say: Say, g: Grid) -> Target:
    return line(say, g, "row")


def column_line(say: Say, g: Grid) -> Target:
    return line(say, g, "column")


def several_lines(say: Say, g: Grid) -> Target:
    axis = say.rng.choice(("row", "column"))
    count = g.rows if axis == "row" else g.cols
    pick_of = (lambda r, c: r) if axis == "row" else (lambda r, c: c)
    if count >= 3 and say.chance(0.35):
        p1, p2 = ("top", "bottom") if axis == "row" else ("left", "right")
        np = say.fill(say.pick(NAMED_PAIR), p1=p1, p2=p2, line=axis, lines=axis + "s")
        return Target(np, g.plots(lambda r, c: pick_of(r, c) in (1, count)), prep=PREP)
    chosen = sorted(say.rng.sample(range(1, count + 1), say.rng.randint(2, max(2, count - 1))))
    np = say.fill(say.pick(LINES), lines=axis + "s", list=lambda: say.list([say.num(i) for i in chosen]),
                  olist=lambda: say.list([say.ordinal(i) for i in chosen]))
    return Target(np, g.plots(lambda r, c: pick_of(r, c) in chosen))


def around(say: Say, *directions: str, adjective: bool = True) -> list[str]:
    """Words for top/bottom/left/right, all in one style: plain, compass, or (where an adjective
    fits: "the upper left corner", "the lower half", "the right-hand side") upper/lower. Only the
    plain style goes with the held-out frames, whose words are checked against the plain ones."""
    style = say.pick(AROUND_STYLE)
    if style == "compass":
        return [COMPASS[d] for d in directions]
    if style == "upper/lower" and adjective:
        # "the upper left corner": upper/lower for the vertical word, plain left/right beside it
        return [UPPER_LOWER[d] if d in ("top", "bottom") or len(directions) == 1 else d for d in directions]
    return list(directions)


def held_out_if(plain: bool, pool: Pool) -> Callable[[str], bool]:
    """Say.pick's keep for a frame around direction words: the pool's held-out frames only with the
    plain words, so a held-out frame is new in itself and not also for its words."""
    return lambda frame: plain or frame in pool.seen


def side(say: Say, g: Grid) -> Target:
    pos = say.rng.choice(("left", "right", "top", "bottom"))
    plots = places.side(g.rows, g.cols, pos)
    (word,) = around(say, pos, adjective=False)  # "on the {pos}" takes a noun: "on the west", not "on the upper"
    return Target(lambda: say.fill(say.pick(SIDE, keep=held_out_if(word == pos, SIDE)), pos=word), plots,
                  where=lambda s: s.fill(s.pick(SIDE_WHERE, keep=held_out_if(word == pos, SIDE_WHERE)), pos=word))


def corner(say: Say, g: Grid) -> Target:
    v, h = say.rng.choice(("top", "bottom")), say.rng.choice(("left", "right"))
    vw, hw = around(say, v, h)
    return Target(say.fill(say.pick(CORNER, keep=held_out_if((vw, hw) == (v, h), CORNER)), v=vw, h=hw),
                  places.corner(g.rows, g.cols, v, h))


def corners(say: Say, g: Grid) -> Target:
    return Target(say.fill(say.pick(CORNERS)), places.corners(g.rows, g.cols))


def corner_pair(say: Say, g: Grid) -> Target:
    where_ = say.rng.choice(("top", "bottom", "left", "right"))
    (word,) = around(say, where_)
    return Target(say.fill(say.pick(CORNER_PAIR, keep=held_out_if(word == where_, CORNER_PAIR)), side=word),
                  places.corner_pair(g.rows, g.cols, where_))


def centre(say: Say, g: Grid) -> Target | None:
    spot = places.centre(g.rows, g.cols)
    if not spot:
        return None  # an even side has no single middle plot
    return Target(say.fill(say.pick(CENTRE)), spot)


def edge_middle(say: Say, g: Grid) -> Target | None:
    sides = [s for s in ("top", "bottom", "left", "right") if places.edge_middle(g.rows, g.cols, s)]
    if not sides:
        return None
    pos = say.rng.choice(sides)
    np = say.fill(say.pick(EDGE_MIDDLE), pos=pos, line="row" if pos in ("top", "bottom") else "column")
    return Target(np, places.edge_middle(g.rows, g.cols, pos))


def diagonal(say: Say, g: Grid) -> Target | None:
    if g.rows != g.cols:
        return None  # only a square garden has corner-to-corner diagonals of whole plots
    which = say.rng.choice(("main", "anti", "both"))
    phrases = {"main": MAIN_DIAGONAL, "anti": ANTI_DIAGONAL, "both": BOTH_DIAGONALS}[which]
    return Target(say.pick(phrases), places.diagonal(g.rows, g.cols, which))


def border(say: Say, g: Grid) -> Target | None:
    if not places.border(g.rows, g.cols):
        return None  # on a thin garden every plot is on the border
    return Target(say.fill(say.pick(BORDER)), places.border(g.rows, g.cols))


def inside(say: Say, g: Grid) -> Target | None:
    if not places.border(g.rows, g.cols):
        return None
    return Target(say.fill(say.pick(INSIDE)), places.inside(g.rows, g.cols))


def half(say: Say, g: Grid) -> Target | None:
    options = [p for p in ("top", "bottom", "left", "right") if places.half(g.rows, g.cols, p)]
    if not options:
        return None  # an odd side has no clean half
    pos = say.rng.choice(options)
    (word,) = around(say, pos)
    return Target(say.fill(say.pick(HALF), pos=word), places.half(g.rows, g.cols, pos))


def everything(say: Say, g: Grid) -> Target:
    return Target(lambda: say.fill(say.pick(EVERYTHING)), g.plots(), where=lambda s: s.fill(s.pick(EVERYWHERE)))


EXCEPTABLE = (one_plot, coordinate, row_line, column_line, centre, corners, diagonal, side, corner, plot_list)


def all_except(say: Say, g: Grid) -> Target | None:
    x = pick_target(say, g, EXCEPTABLE)
    rest = tuple(p for p in g.plots() if p not in x.plots)
    if not rest:
        return None
    template = say.pick(EXCEPT)

    def np() -> str:  # x.np is said once and kept, so both namings leave out the same words
        return say.fill(template, all=lambda: say.fill(say.pick(EVERYTHING)), x=x.np)

    if "{all}" not in template:
        return Target(np, rest)  # "all but row 2": planted "in all but row 2"
    return Target(np, rest, where=lambda s: s.fill(template, all=lambda: s.fill(s.pick(EVERYWHERE)), x=x.np))


TargetFn = Callable[[Say, Grid], "Target | None"]
SIMPLE_TARGETS: tuple[TargetFn, ...] = (one_plot, coordinate, row_line, column_line, corner, centre, side, plot_list,
                                        corners, diagonal)
FAMILIES: dict[str, tuple[TargetFn, ...]] = {
    "single_plot": (one_plot,),
    "coordinates": (coordinate,),
    "several_plots": (plot_list, plot_list, plot_range, plot_ordinals, coordinate_list, plots_together),
    "row_column": (row_line, column_line, row_line, column_line, several_lines),
    "region": (corner, corners, corner_pair, centre, edge_middle, diagonal, diagonal, border, inside, side, side, half),
    "everything": (everything, all_except, all_except),
}


def pick_target(say: Say, g: Grid, families: tuple[TargetFn, ...]) -> Target:
    for _ in range(50):
        mark = say.mark()
        target = say.rng.choice(families)(say, g)
        if target is not None and target.plots:
            return target
        say.undo(mark)
    raise RuntimeError(f"no target of {[f.__name__ for f in families]} fits a {g.rows}x{g.cols} garden")


def pronoun(say: Say, plots: Plots) -> Target:
    """'them' / 'it': the plots of an earlier call; planting there is 'there'."""
    return Target(lambda: say.pick(IT if len(plots) == 1 else THEM), plots, where=lambda s: s.pick(THERE), pronoun=True)
