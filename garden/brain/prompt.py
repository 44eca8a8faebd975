"""The garden's conversation with the model: developer turn, history, utterance, and targets.

The interpreter, the eval harness and the training data all build prompts here, so the model
is trained on exactly the text it later sees. The developer turn depends only on the grid size,
which is what lets the fast path cache it as a KV prefix once per size.
"""

from __future__ import annotations

import re

from garden import language, places, tools
from garden.engine import rules
from garden.brain import format as fg

ESSENTIAL = "You are a model that can do function calling with the following functions"
# The reply a past no-call exchange shows when none was recorded (eval cases, training data).
DEFAULT_REPLY = "I can only plant, water and harvest flowers in the garden."


# Every function that writes plots for the model takes the adapter's plot form (tools.PLOT_FORMS):
# "pair" writes plot 8 on 3 wide as [3,2], "object" as {col:2,row:3}, the text adapters trained
# before the pair form learnt, byte for byte.

_SEPARATOR = {"pair": ",", "object": " "}  # between the plots of a listed place


def pair(row: int, col: int, form: str = tools.PLOT_FORM) -> str:
    """A plot written as a call writes it (tools.model_tools): "[3,2]" for row 3, column 2."""
    return fg.render_value(tools.model_plot(row, col, form))


def place(number: int, cols: int, form: str = tools.PLOT_FORM) -> str:
    """A plot's place, written as a call writes a plot: "[3,2]" for plot 8 on 3 wide."""
    return pair(*tools.plot_coords(number, cols), form)


def pairs(plots, form: str = tools.PLOT_FORM) -> str:
    """Places written as a call's plot list writes them, without its brackets: "[1,1],[1,2]", so
    that the answer copies the tokens as they stand (the object form parts them with spaces)."""
    return _SEPARATOR[form].join(pair(r, c, form) for r, c in plots)


def plot_place(number: int, cols: int, form: str = tools.PLOT_FORM) -> str:
    """A plot number and its place: "8 [3,2]" on 3 wide."""
    return f"{number} {place(number, cols, form)}"


def board_cells(board: list[list[str]] | None, rows: int, cols: int) -> list[tuple[str, str] | None]:
    """Each plot's (kind, stage) in reading order, None where nothing grows ("empty", "wet soil").
    board: Garden.board() ("empty", "wet soil" or "<kind> <stage>" per plot, row by row); None is
    an empty garden."""
    cells = [cell for row in board for cell in row] if board else ["empty"] * (rows * cols)
    parsed = [cell.rpartition(" ")[::2] for cell in cells]
    return [(kind, stage) if kind and stage in rules.STAGES else None for kind, stage in parsed]


def developer_text(rows: int, cols: int, form: str = tools.PLOT_FORM) -> str:
    """A short description of the garden, then FunctionGemma's essential sentence.

    It lists where every plot number is, written as the calls write a plot, so that "plot 8" is a
    look-up in the prompt rather than arithmetic the 270M model gets wrong on grids that are not
    3 wide. The turn is a KV prefix cached once per grid size (and computed without gradients in
    training), so the map costs little: about 60 tokens on 3x3, 170 on 5x5."""
    where = "; ".join(plot_place(n, cols, form) for n in range(1, rows * cols + 1))
    written = "; a plot is written [row,column]. " if form == "pair" else ". "
    return (f"You tend a garden of {rows} rows and {cols} columns. Row 1 is the top row, column 1 the left column"
            f"{written}"
            f"Plots are numbered row by row from the top left: {where}. "
            f"Turn the gardener's words into function calls; answer in a short sentence when no call fits. "
            f"{ESSENTIAL}")


def outside_reply(rows: int, cols: int, what: str) -> str:
    """The reply to a command about a place the garden does not have (what: "plot 12", "row 4",
    "row 2, column 5"). The training data teaches it; outside_claim_is_false checks it."""
    return f"This garden has {rows} rows and {cols} columns, so there is no {what}."


_OUTSIDE = re.compile(r"has (\d+) rows and (\d+) columns, so there is no (?:(?:plot|tile|cell|spot|square|bed|patch) "
                      r"(\d+)|row (\d+), column (\d+)|row (\d+)|column (\d+))\b")


def outside_claim_is_false(text: str, rows: int, cols: int, utterance: str = "") -> bool:
    """True when a reply says the garden lacks a place it has, or misstates its size ("...3 rows
    and 3 columns, so there is no plot 7"). The model sometimes refuses a plain in-range command
    this way (3 of the shipped adapter's 600 test commands), and the claim is checkable against
    the game, so the interpreter decodes such a command again as calls (ModelInterpreter.interpret).
    With the utterance, a claim is also false when the row or column it says is missing is a plot
    number the player said and the garden has: "cell 7" on 3x3 answered "...so there is no row 3,
    column 7"."""
    found = _OUTSIDE.search(text)
    if not found:
        return False
    said_rows, said_cols, plot, r, c, row, col = (int(g) if g else None for g in found.groups())
    if (said_rows, said_cols) != (rows, cols):
        return True
    if plot is not None:
        return plot <= rows * cols
    missing = [n for n, top in ((r, rows), (c, cols), (row, rows), (col, cols)) if n is not None and n > top]
    if not missing:
        return True
    plots_said = language.plot_numbers_said(utterance) if utterance else []
    return all(n in plots_said and n <= rows * cols for n in missing)


def model_response(result: dict) -> dict:
    """The function response the model sees for an engine result: just the status. Which plots a
    call touched is already in the model's own call; keeping responses tiny keeps prompts short."""
    return {"status": result.get("status", "error")}


def developer_messages(rows: int, cols: int, form: str = tools.PLOT_FORM) -> list[dict]:
    return [{"role": "developer", "content": developer_text(rows, cols, form)}]


def exchange_messages(utterance: str, calls: list[dict], results: list[dict], reply: str | None = None,
                      form: str = tools.PLOT_FORM) -> list[dict]:
    """One past exchange as HF-style messages: user text, the model's calls, their responses."""
    messages: list[dict] = [{"role": "user", "content": utterance}]
    if calls:
        messages.append({"role": "assistant", "tool_calls": [
            {"type": "function", "function": {"name": c["name"], "arguments": tools.to_model(c["name"], c["arguments"], form)}}
            for c in calls]})
        messages.append({"role": "tool", "content": [
            {"name": c["name"], "response": model_response(r)} for c, r in zip(calls, results)]})
    else:
        messages.append({"role": "assistant", "content": reply or DEFAULT_REPLY})
    return messages


def prefix(rows: int, cols: int, form: str = tools.PLOT_FORM) -> str:
    """The developer turn: identical for every command on a rows x cols garden."""
    return fg.render(developer_messages(rows, cols, form), tools.model_tools(form=form))


def board_text(board: list[list[str]] | None, rows: int, cols: int) -> str:
    """What grows where, for commands that depend on it ("harvest the blooms", "water the seeds",
    "plant roses in the empty plots"): plot numbers grouped by stage, then kind, then the empty
    ones: "Garden: bloom rose 1 7, daisy 5; seed rose 3; empty 2 4 6 8 9." Grouped, the plots a
    board command means stand together (the blooms, the growing ones after them, the empty ones
    last); listed plot by plot ("1 rose bloom, 3 rose seed, 5 daisy bloom, ..."), the 270M model
    had to pick them out of a mixed list and got 24 of 60 board checks right. Stages go bloom,
    sprout, seed, so "whatever isn't in bloom" is one stretch too. About 32 tokens on a
    half-planted 3x3 garden (37 plot by plot). board: as board_cells takes it."""
    cells = board_cells(board, rows, cols)
    groups: dict[str, dict[str, list[str]]] = {stage: {} for stage in reversed(rules.STAGES)}
    empty = []
    for n, cell in enumerate(cells, 1):
        if cell:
            kind, stage = cell
            groups[stage].setdefault(kind, []).append(str(n))
        else:
            empty.append(str(n))
    if len(empty) == len(cells):
        return "Garden: all empty."
    parts = [stage + " " + ", ".join(f"{kind} {' '.join(nums)}" for kind, nums in kinds.items())
             for stage, kinds in groups.items() if kinds]
    return f"Garden: {'; '.join(parts)}; " + (f"empty {' '.join(empty)}." if empty else "none empty.")


# Which plots each set that language.board_named finds holds, by a plot's (kind, stage); kind and
# stage are None for an empty plot.
BOARD_SETS = {
    "bloom": lambda kind, stage: stage == "bloom",
    "sprout": lambda kind, stage: stage == "sprout",
    "seed": lambda kind, stage: stage == "seed",
    "growing": lambda kind, stage: stage in ("seed", "sprout"),
    "planted": lambda kind, stage: kind is not None,
    "empty": lambda kind, stage: kind is None,
}


def board_places(utterance: str, board: list[list[str]] | None, rows: int, cols: int,
                 form: str = tools.PLOT_FORM) -> list[str]:
    """Where the plots are that the utterance names by what grows in them, each set as one list
    in reading order, written as the calls write plots: "water all the roses" -> ["rose
    [1,1],[2,2]", "rose bloom [2,2]"]. The answer is then one list to
    copy. The board line names plots by number, grouped by stage and kind, so a board command made
    the model turn numbers into places through the plot map far above (the recipe's early
    checkpoints harvested plots 2 3 for blooms at 8 9), and merge groups into one reading order:
    the shipped adapter watered 3 of 8 daisies spread over three stages, and places grouped the
    same way still lost or added plots (39 of 60 board checks). A named set with nothing in it
    says "none" ("Nothing is in bloom yet" is then the answer); on a garden with no plant, "empty
    all" stands for every place (25 on 5x5, 4 tokens each). A kind named gets its plots and its
    blooms: "harvest the roses" means the ripe ones."""
    sets, kinds = language.board_named(utterance)
    if not sets and not kinds:
        return []
    plots = [(place(n, cols, form), *(cell or (None, None))) for n, cell in enumerate(board_cells(board, rows, cols), 1)]
    bare = all(kind is None for _, kind, _ in plots)
    wanted = [(name, BOARD_SETS[name]) for name in sets]
    for kind in kinds:
        wanted.append((kind, lambda k, s, kind=kind: k == kind))
        wanted.append((f"{kind} bloom", lambda k, s, kind=kind: (k, s) == (kind, "bloom")))
    parts = []
    for name, holds in wanted:
        found = [where for where, kind, stage in plots if holds(kind, stage)]
        parts.append(f"{name} " + ("all" if bare and name == "empty" else _SEPARATOR[form].join(found) or "none"))
    return parts


def shape_places(utterance: str, rows: int, cols: int, form: str = tools.PLOT_FORM) -> list[str]:
    """Where the places are that the utterance names by their shape, for this grid, in the order
    said: "water the leftmost column and the rim" -> ["left column [1,1],[2,1],...", "border
    ..."], and "everything but the corners" -> ["all but corners [1,2],..."]
    (garden.places reads them). The 270M model answered "the middle row" on 5x5 with the 3x3 middle
    row, read the held-out "leftmost" as the right column, and dropped or added plots when it had
    to take a place out of a large garden; listed, the answer is a copy."""
    return [f"{p.name} {pairs(p.plots, form)}"
            for p in places.named_places(utterance, rows, cols)]


def places_text(utterance: str, board: list[list[str]] | None, rows: int, cols: int,
                form: str = tools.PLOT_FORM) -> str:
    """The places line: shape_places then board_places, "Places: top row [1,1],[1,2],[1,3]; bloom
    [3,3]." ("" when the utterance names none)."""
    parts = shape_places(utterance, rows, cols, form) + board_places(utterance, board, rows, cols, form)
    return f"Places: {'; '.join(parts)}." if parts else ""


def plot_numbers_text(utterance: str, rows: int, cols: int, form: str = tools.PLOT_FORM) -> str:
    """Where each plot the utterance names by number is, written as the calls write a plot:
    "Plot numbers: 7 [3,1]; 12 not in this garden." ("" when it names none). The developer
    turn's plot map says the same for every plot, but the 270M model still answered "plot 7" on a
    4-wide garden with the 3-wide plot 7, and dropped or swapped numbers in lists; next to the
    words, the places are copied rather than looked up (language.plot_numbers_said finds them).
    The places come in reading order, the order a call lists plots in and the only order the
    decoder allows: said order ("numbers 8, 3, 9 and 5") left the model to sort them, and once it
    had written plot 8 it could no longer add plot 3."""
    said = language.plot_numbers_said(utterance)
    if not said:
        return ""
    places = [plot_place(n, cols, form) if 1 <= n <= rows * cols else f"{n} not in this garden" for n in sorted(said)]
    return "Plot numbers: " + "; ".join(places) + "."


def user_text(utterance: str, rows: int, cols: int, board: list[list[str]] | None = None,
              form: str = tools.PLOT_FORM) -> str:
    """The last user turn: the board line, the utterance, then where the plots it names by number
    and by what grows in them are."""
    hints = [plot_numbers_text(utterance, rows, cols, form), places_text(utterance, board, rows, cols, form)]
    return "\n".join([board_text(board, rows, cols), utterance, *filter(None, hints)])


def render_prompt(rows: int, cols: int, history: list[tuple[str, list[dict], list[dict], str | None]], utterance: str,
                  board: list[list[str]] | None = None, form: str = tools.PLOT_FORM) -> str:
    """The full prompt, ending with the open model turn. history: (utterance, calls, results,
    reply). The last user turn is user_text(): the board line, the utterance, and where the plots
    it names are; past turns are just what was said. form: the adapter's plot form."""
    messages = developer_messages(rows, cols, form)
    for past in history:
        messages += exchange_messages(*past, form=form)
    messages.append({"role": "user", "content": user_text(utterance, rows, cols, board, form)})
    text = fg.render(messages, tools.model_tools(form=form), add_generation_prompt=True)
    assert text.startswith(prefix(rows, cols, form)), "the developer turn must be a stable prefix"
    return text


def render_target(calls: list[dict], reply: str | None = None, form: str = tools.PLOT_FORM) -> str:
    """What the model should emit: calls then <start_function_response>, or a short text."""
    if calls:
        return "".join(fg.render_call(c["name"], tools.to_model(c["name"], c["arguments"], form))
                       for c in calls) + fg.START_RESPONSE
    return (reply or "") + fg.END_TURN
