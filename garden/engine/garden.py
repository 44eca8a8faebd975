"""Garden state and the rules that change it. Pure Python: no pygame, no models.

`Garden.apply(name, arguments)` is the only way a tool call changes the state. It validates
first (nothing is applied when the arguments are malformed), then acts plot by plot and says,
for every plot, what happened or why not. Results are small JSON-able dicts because they go
back to the model as FunctionGemma function responses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from garden import tools
from garden.engine import rules


@dataclass
class Plot:
    plant: str | None = None  # a seed kind, or None when empty
    stage: str | None = None  # one of rules.STAGES while planted
    wet: bool = False  # watered while empty: the next seed starts as if watered once

    def describe(self) -> str:
        if self.plant is None:
            return "wet soil" if self.wet else "empty"
        return f"{self.plant} {self.stage}"


@dataclass
class Garden:
    rows: int = tools.DEFAULT_ROWS
    cols: int = tools.DEFAULT_COLS
    plots: list[list[Plot]] = field(default_factory=list)
    basket: dict[str, int] = field(default_factory=dict)
    score: int = 0
    harvested: int = 0  # blooms harvested over the whole game; drives unlocks
    unlocked: list[str] = field(default_factory=lambda: list(rules.STARTING_SEEDS))
    order_index: int = 0
    order_progress: int = 0

    def __post_init__(self) -> None:
        problem = tools.check_grid_size(self.rows, self.cols)
        if problem:
            raise ValueError(problem)
        if not self.plots:
            self.plots = [[Plot() for _ in range(self.cols)] for _ in range(self.rows)]

    # --- reading -------------------------------------------------------------------------

    def plot(self, row: int, col: int) -> Plot:
        return self.plots[row - 1][col - 1]

    @property
    def order(self) -> dict:
        return rules.order_at(self.order_index)

    def board(self) -> list[list[str]]:
        """The board as text, row by row: 'empty', 'wet soil' or '<kind> <stage>'."""
        return [[p.describe() for p in row] for row in self.plots]

    def summary(self) -> dict:
        order = self.order
        return {
            "rows": self.rows,
            "cols": self.cols,
            "board": self.board(),
            "basket": dict(self.basket),
            "score": self.score,
            "unlocked": list(self.unlocked),
            "order": {**order, "progress": self.order_progress},
        }

    def place(self, row: int, col: int, plant: str, stage: str) -> None:
        """Set up a plot directly (eval cases that start from a planted board); raises ValueError
        for a plot outside the garden, an unknown kind or an unknown stage. Play goes through apply()."""
        if not (1 <= row <= self.rows and 1 <= col <= self.cols):
            raise ValueError(f"row {row}, column {col} is outside the {self.rows}x{self.cols} garden")
        if plant not in tools.SEEDS or stage not in rules.STAGES:
            raise ValueError(f"no such plant as {plant} {stage}")
        self.plots[row - 1][col - 1] = Plot(plant, stage)

    # --- acting --------------------------------------------------------------------------

    def apply(self, name: Any, arguments: Any) -> dict:
        """Run one tool call. Never raises for bad input; returns a result dict:
        {"tool": name, "status": "ok" | "partial" | "refused" | "error", "plots": [...], "message": str}
        where each plot entry is {"row", "col", "plot", "outcome", "note"}."""
        errors = tools.validate_arguments(name, arguments)
        if errors:
            return {"tool": str(name), "status": "error", "plots": [], "message": "; ".join(errors)}
        if name == "plant_seed" and arguments["seed"] not in self.unlocked:
            unlock = next((u for u in rules.UNLOCKS if u["seed"] == arguments["seed"]), None)
            how = f" Harvest {unlock['harvested']} flowers to unlock them." if unlock else ""
            return {"tool": name, "status": "refused", "plots": [],
                    "message": f"{tools.plural(arguments['seed']).capitalize()} are still locked.{how}"}
        act = {"plant_seed": self._plant, "water_plots": self._water, "harvest_plots": self._harvest}[name]
        entries, seen = [], set()
        for spot in arguments["plots"]:
            row, col = spot["row"], spot["col"]
            if (row, col) in seen:
                continue  # saying a plot twice in one call means it once
            seen.add((row, col))
            if not (1 <= row <= self.rows and 1 <= col <= self.cols):
                entries.append(self._entry(row, col, "outside", f"outside the {self.rows}x{self.cols} garden", done=False))
                continue
            entries.append(act(row, col, arguments))
        events = self._after_harvest() if name == "harvest_plots" else []
        done = sum(e.pop("_done") for e in entries)
        status = "ok" if done == len(entries) else ("partial" if done else "refused")
        message = "; ".join([_sentence(name, entries)] + events)
        return {"tool": name, "status": status, "plots": entries, "message": message}

    def _entry(self, row: int, col: int, outcome: str, note: str, done: bool) -> dict:
        inside = 1 <= row <= self.rows and 1 <= col <= self.cols
        return {"row": row, "col": col, "plot": tools.plot_number(row, col, self.cols) if inside else None,
                "outcome": outcome, "note": note, "_done": done}

    def _plant(self, row: int, col: int, arguments: dict) -> dict:
        plot, seed = self.plot(row, col), arguments["seed"]
        if plot.plant is not None:
            return self._entry(row, col, "occupied", f"already has a {plot.plant} {plot.stage}", done=False)
        plot.plant, plot.stage = seed, ("sprout" if plot.wet else "seed")
        plot.wet = False
        return self._entry(row, col, "planted", f"{seed} planted" + (" in wet soil, sprouting" if plot.stage == "sprout" else ""), done=True)

    def _water(self, row: int, col: int, arguments: dict) -> dict:
        plot = self.plot(row, col)
        if plot.plant is None:
            if plot.wet:
                return self._entry(row, col, "wet", "soil is already wet", done=False)
            plot.wet = True
            return self._entry(row, col, "wet", "soil watered, ready for a seed", done=True)
        if plot.stage == "bloom":
            return self._entry(row, col, "blooming", f"{plot.plant} is already in bloom", done=False)
        plot.stage = rules.STAGES[rules.STAGES.index(plot.stage) + 1]
        return self._entry(row, col, "grew", f"{plot.plant} grew to a {plot.stage}", done=True)

    def _harvest(self, row: int, col: int, arguments: dict) -> dict:
        plot = self.plot(row, col)
        if plot.plant is None:
            return self._entry(row, col, "empty", "nothing to harvest", done=False)
        kind, stage = plot.plant, plot.stage
        plot.plant, plot.stage, plot.wet = None, None, False
        if stage != "bloom":
            return self._entry(row, col, "destroyed", f"{kind} {stage} was not ripe and was destroyed", done=False)
        self.basket[kind] = self.basket.get(kind, 0) + 1
        self.harvested += 1
        self.score += rules.POINTS.get(kind, 0)
        if kind == self.order["seed"]:
            self.order_progress += 1
        return self._entry(row, col, "harvested", f"{kind} harvested (+{rules.POINTS.get(kind, 0)})", done=True)

    def _after_harvest(self) -> list[str]:
        """Unlocks and finished orders, as sentences for the result message."""
        events = []
        for unlock in rules.UNLOCKS:
            if unlock["seed"] not in self.unlocked and self.harvested >= unlock["harvested"]:
                self.unlocked.append(unlock["seed"])
                events.append(unlock["message"])
        if self.order_progress >= self.order["count"]:
            done = self.order
            self.score += done["bonus"]
            self.order_progress = 0  # extra flowers do not count towards the next order
            self.order_index += 1
            events.append(f"Order done: {tools.count_of(done['count'], done['seed'])} (+{done['bonus']} bonus). "
                          f"Next: {tools.count_of(self.order['count'], self.order['seed'])}.")
        return events

    # --- saving --------------------------------------------------------------------------

    def to_dict(self) -> dict:
        return {
            "rows": self.rows, "cols": self.cols,
            "plots": [[{"plant": p.plant, "stage": p.stage, "wet": p.wet} for p in row] for row in self.plots],
            "basket": dict(self.basket), "score": self.score, "harvested": self.harvested,
            "unlocked": list(self.unlocked), "order_index": self.order_index, "order_progress": self.order_progress,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Garden":
        """Rebuild a garden from to_dict() output; raises ValueError on anything inconsistent."""
        try:
            rows, cols = data["rows"], data["cols"]
            plots = [[Plot(p["plant"], p["stage"], bool(p["wet"])) for p in row] for row in data["plots"]]
            garden = cls(rows=rows, cols=cols, plots=plots, basket=dict(data["basket"]), score=int(data["score"]),
                         harvested=int(data["harvested"]), unlocked=list(data["unlocked"]),
                         order_index=int(data["order_index"]), order_progress=int(data["order_progress"]))
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"missing or malformed field: {exc}") from exc
        if len(plots) != rows or any(len(r) != cols for r in plots):
            raise ValueError("the plots do not match the garden size")
        for p in (p for r in plots for p in r):
            if (p.plant is None) != (p.stage is None) or (p.plant and (p.plant not in tools.SEEDS or p.stage not in rules.STAGES)):
                raise ValueError(f"impossible plot {p}")
        return garden


def _sentence(name: str, entries: list[dict]) -> str:
    """One line for the HUD: plots grouped by outcome, e.g. 'planted: 1, 2; occupied: 5 (already has ...)'."""
    if not entries:
        return "no plots"
    groups: dict[str, list[dict]] = {}
    for e in entries:
        groups.setdefault(e["outcome"], []).append(e)
    parts = []
    for outcome, items in groups.items():
        plots = ", ".join(str(e["plot"]) if e["outcome"] != "outside" else f"r{e['row']}c{e['col']}" for e in items)
        notes = {e["note"] for e in items}
        parts.append(f"{outcome} {plots}" + (f" ({notes.pop()})" if len(notes) == 1 else ""))
    return "; ".join(parts)
