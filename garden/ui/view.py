"""A frozen copy of what the screen shows, taken right after each Turn.

The window never reads `session.garden` while drawing: a command may be changing it on the worker
thread. A GardenView is taken in the thread that ran the turn (inside the session listener, when
the garden is consistent), handed to the window through a queue, and only read from then on.
Comparing two views tells the window what to animate.
"""

from __future__ import annotations

from dataclasses import dataclass

from garden import tools
from garden.engine import Garden


@dataclass(frozen=True)
class PlotView:
    plant: str | None
    stage: str | None
    wet: bool

    @property
    def sprite(self) -> str | None:
        """The sprite name of what grows here, or None for bare soil."""
        return f"{self.plant}_{self.stage}" if self.plant and self.stage else None


@dataclass(frozen=True)
class GardenView:
    rows: int
    cols: int
    plots: tuple[tuple[PlotView, ...], ...]
    basket: tuple[tuple[str, int], ...]
    score: int
    unlocked: tuple[str, ...]
    order_seed: str
    order_count: int
    order_bonus: int
    order_progress: int
    orders_done: int

    @classmethod
    def of(cls, garden: Garden) -> "GardenView":
        order = garden.order
        return cls(
            rows=garden.rows, cols=garden.cols,
            plots=tuple(tuple(PlotView(p.plant, p.stage, p.wet) for p in row) for row in garden.plots),
            basket=tuple(sorted(dict(garden.basket).items())), score=garden.score,
            unlocked=tuple(garden.unlocked), order_seed=order["seed"], order_count=order["count"],
            order_bonus=order["bonus"], order_progress=garden.order_progress, orders_done=garden.order_index,
        )

    def plot(self, row: int, col: int) -> PlotView:
        return self.plots[row - 1][col - 1]

    def number(self, row: int, col: int) -> int:
        return tools.plot_number(row, col, self.cols)

    def coords(self):
        """Every (row, col), row by row from the top left, 1-based."""
        return [(r, c) for r in range(1, self.rows + 1) for c in range(1, self.cols + 1)]

    def in_basket(self, kind: str) -> int:
        return dict(self.basket).get(kind, 0)

    @property
    def seeds(self) -> tuple[str, ...]:
        """Every kind worth a basket slot: the known seeds, then anything else that was harvested."""
        extra = tuple(k for k, _ in self.basket if k not in tools.SEEDS)
        return tuple(tools.SEEDS) + extra
