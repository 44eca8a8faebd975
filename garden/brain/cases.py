"""Eval cases: the JSONL format shared by `garden eval`, the training data and the test split.

One JSON object per line:
  {"id": "c1", "category": "row", "grid": {"rows": 3, "cols": 3},
   "history": [{"utterance": "plant roses in the top row", "calls": [...]}],
   "utterance": "now water them",
   "calls": [{"name": "water_plots", "arguments": {"plots": [{"row": 1, "col": 1}, ...]}}]}
`category` and `history` are optional; "calls": [] means a text reply is expected. An independent
test set in this format is used to check the project, so the format must not change. One optional
field was added later and changes nothing for cases without it: "board", what grows where before
the history, by plot number: {"1": "rose bloom", "5": "daisy seed"} (every other plot is empty).
"""

from __future__ import annotations

import json
from pathlib import Path

from garden import tools
from garden.brain.api import Exchange
from garden.engine import Garden


class CaseError(ValueError):
    pass


def load_cases(path: str | Path, check=None) -> list[dict]:
    """The cases in a JSONL file; CaseError names the file and line of the first bad one. `check(case)`
    may add a test of its own (None, or what is wrong)."""
    path = Path(path)
    if not path.exists():
        raise CaseError(f"No cases file at {path}.")
    cases = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            case = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CaseError(f"{path}:{number}: not valid JSON ({exc.msg} at column {exc.colno}).") from exc
        problem = check_case(case) or (check(case) if check else None)
        if problem:
            raise CaseError(f"{path}:{number}: {problem}")
        case.setdefault("id", f"{path.stem}-{number}")
        cases.append(case)
    return cases


def check_case(case) -> str | None:
    if not isinstance(case, dict):
        return "a case must be a JSON object"
    if not isinstance(case.get("utterance"), str):
        return "missing \"utterance\" (a string)"
    if not isinstance(case.get("calls"), list):
        return "missing \"calls\" (a list; [] when no call is expected)"
    grid = case.get("grid", {"rows": 3, "cols": 3})
    if not isinstance(grid, dict) or not isinstance(grid.get("rows"), int) or not isinstance(grid.get("cols"), int):
        return "\"grid\" must be {\"rows\": R, \"cols\": C}"
    for past in case.get("history", []) or []:
        if not isinstance(past, dict) or not isinstance(past.get("utterance"), str) or not isinstance(past.get("calls", []), list):
            return "each history entry needs \"utterance\" and \"calls\""
    board = case.get("board", {})
    if not isinstance(board, dict):
        return "\"board\" must be {\"PLOT NUMBER\": \"KIND STAGE\", ...}"
    if board:
        try:
            garden = Garden(rows=grid["rows"], cols=grid["cols"])
        except ValueError as exc:
            return str(exc)
        try:
            place_board(garden, board)
        except ValueError as exc:
            return f"\"board\": {exc}"
    return None


def place_board(garden: Garden, board: dict) -> None:
    """Plant a case's "board" on a fresh garden; ValueError says what is wrong with it."""
    for number, what in board.items():
        if not str(number).isdigit() or not 1 <= int(number) <= garden.rows * garden.cols:
            raise ValueError(f"{number!r} is not a plot number of a {garden.rows}x{garden.cols} garden")
        kind, _, stage = str(what).partition(" ")
        garden.place(*tools.plot_coords(int(number), garden.cols), kind, stage)


def grid_of(case: dict) -> tuple[int, int]:
    grid = case.get("grid") or {"rows": 3, "cols": 3}
    return grid["rows"], grid["cols"]


def replay(case: dict) -> tuple[Garden, list[Exchange]]:
    """A fresh board of the case's size, its "board" planted and its history applied, and that history as exchanges
    (with the engine's real results, which become the function responses in the prompt)."""
    rows, cols = grid_of(case)
    garden = Garden(rows=rows, cols=cols)
    place_board(garden, case.get("board") or {})
    history = []
    for past in case.get("history", []) or []:
        calls = past.get("calls", [])
        results = [garden.apply(c.get("name"), c.get("arguments")) for c in calls]
        history.append(Exchange(past["utterance"], calls, results, past.get("reply")))
    return garden, history


def _canonical(call: dict):
    args = call.get("arguments") or {}
    plots = args.get("plots")
    plot_set = frozenset((p.get("row"), p.get("col")) for p in plots if isinstance(p, dict)) if isinstance(plots, list) else None
    return call.get("name"), args.get("seed"), plot_set


def calls_match(expected: list[dict], got: list[dict]) -> bool:
    """Same calls in the same order: names equal, seed equal, plots equal as sets of (row, col)."""
    return len(expected) == len(got) and all(_canonical(e) == _canonical(g) for e, g in zip(expected, got))


def show_calls(calls: list[dict]) -> str:
    if not calls:
        return "(no call)"
    out = []
    for call in calls:
        name, seed, plots = _canonical(call)
        where = " ".join(f"r{r}c{c}" for r, c in sorted(plots, key=lambda p: (str(p[0]), str(p[1])))) if plots is not None else "?"
        out.append(f"{name}({seed + ', ' if seed else ''}{where})")
    return "; ".join(out)
