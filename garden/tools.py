"""The one definition of the garden's tools.

Everything that talks about plant_seed / water_plots / harvest_plots derives from TOOLS below:
the engine's dispatch and validation, the FunctionGemma prompt, the constrained decoder and the
training data. Add a seed kind to SEEDS and all of them follow.
"""

from __future__ import annotations

import copy
from typing import Any

SEEDS: tuple[str, ...] = ("sunflower", "daisy", "rose", "tulip")

MIN_SIZE, MAX_SIZE = 2, 6
DEFAULT_ROWS, DEFAULT_COLS = 3, 3

_PLOTS = {
    "type": "array",
    "description": "Plots by row and column, counting from 1.",
    "items": {
        "type": "object",
        "properties": {
            "row": {"type": "integer", "description": "1 is the top row."},
            "col": {"type": "integer", "description": "1 is the left column."},
        },
        "required": ["row", "col"],
    },
}


def _tool(name: str, description: str, properties: dict, required: list[str]) -> dict:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {"type": "object", "properties": properties, "required": required},
        },
    }


TOOLS: list[dict] = [
    _tool(
        "plant_seed",
        "Plant one kind of seed in the given empty plots.",
        {
            "seed": {"type": "string", "enum": list(SEEDS), "description": "The kind of seed to plant."},
            "plots": _PLOTS,
        },
        ["seed", "plots"],
    ),
    _tool("water_plots", "Water the given plots.", {"plots": _PLOTS}, ["plots"]),
    _tool("harvest_plots", "Harvest the flowers in the given plots.", {"plots": _PLOTS}, ["plots"]),
]

TOOL_NAMES: tuple[str, ...] = tuple(t["function"]["name"] for t in TOOLS)

# --- the model's form of a plot ----------------------------------------------------------------
# The engine, the UI and the case files name a plot {"row": r, "col": c}. The model reads and
# writes it as the pair [r,c] ("pair"): in FunctionGemma's text that is 4 tokens a plot in a list
# ("[", "1", ",", "1" and "],["), against 9 for {col:1,row:1} ("object", the form adapters
# trained before 2026-12-08 learnt, which they keep: an adapter's garden-adapter.json says its
# form). Plots are most of an answer's tokens and of the places the prompt lists next to the
# words, and on 2 cores each token costs about 3 ms (docs/speed.md). model_tools() is TOOLS with
# every plot list declared in the form, and to_model / from_model turn a call's arguments from one
# form into the other, so TOOLS stays the one definition: the prompt, the decoder and the training
# targets use model_tools and to_model, the interpreter turns what the model wrote back with
# from_model.

PLOT_FORMS = ("pair", "object")
PLOT_FORM = "pair"  # what a new adapter learns
UNSAID_PLOT_FORM = "object"  # what an adapter or a run that does not say its form learnt
PLOT_PAIR = {"type": "array", "items": {"type": "integer"}}
_MODEL_PLOTS = {"type": "array", "description": "Plots as [row,column], counting from 1: [1,1] is the top left.",
                "items": PLOT_PAIR}


def _is_plot_list(schema: Any) -> bool:
    return schema == _PLOTS


def check_plot_form(form: str) -> str:
    if form not in PLOT_FORMS:
        raise ValueError(f"unknown plot form {form!r} ({', '.join(PLOT_FORMS)})")
    return form


def plot_form_of(meta: dict) -> str:
    """The plot form an adapter's garden-adapter.json (as a dict) says; UNSAID_PLOT_FORM when it
    says none (or none it knows)."""
    form = meta.get("plot_form", UNSAID_PLOT_FORM)
    return form if form in PLOT_FORMS else UNSAID_PLOT_FORM


def model_plot(row: int, col: int, form: str = PLOT_FORM) -> list[int] | dict:
    """One plot as the model writes it: [row, col] in the pair form, {"row", "col"} in the object form."""
    return [row, col] if check_plot_form(form) == "pair" else {"row": row, "col": col}


def model_tools(tool_list: list[dict] | None = None, form: str = PLOT_FORM) -> list[dict]:
    """Tools as the model is told of them: in the pair form each plot list is declared as
    [row,column] pairs; the object form is TOOLS as they are."""
    tool_list = TOOLS if tool_list is None else tool_list
    if check_plot_form(form) == "object":
        return copy.deepcopy(tool_list)
    return [_tool(t["function"]["name"], t["function"]["description"],
                  {key: copy.deepcopy(_MODEL_PLOTS if _is_plot_list(value) else value)
                   for key, value in t["function"]["parameters"]["properties"].items()},
                  list(t["function"]["parameters"]["required"]))
            for t in tool_list]


def to_model(name: str, arguments: dict, form: str = PLOT_FORM) -> dict:
    """A call's arguments as the model writes them: in the pair form each plot {"row": r, "col": c}
    as [r, c]; the object form leaves them as they are."""
    if check_plot_form(form) == "object":
        return arguments
    schema = tool_schema(name) or {}
    return {key: [model_plot(p["row"], p["col"], form) for p in value]
            if _is_plot_list(schema.get("properties", {}).get(key)) and isinstance(value, list)
            and all(isinstance(p, dict) and {"row", "col"} <= set(p) for p in value) else value
            for key, value in arguments.items()}


def from_model(name: str, arguments: dict) -> dict:
    """A call's arguments as the model wrote them, back in the engine's form: each plot [r, c]
    as {"row": r, "col": c}. Anything else (a plot already in that form, a malformed pair) is
    left for validate_call to report."""
    schema = tool_schema(name) or {}
    if not isinstance(arguments, dict):
        return arguments
    out = {}
    for key, value in arguments.items():
        if _is_plot_list(schema.get("properties", {}).get(key)) and isinstance(value, list):
            value = [{"row": p[0], "col": p[1]} if isinstance(p, list) and len(p) == 2 else p for p in value]
        out[key] = value
    return out


def plural(word: str) -> str:
    """The regular English plural, the one definition the engine, the UI and the training language
    share: daisy -> daisies, patch -> patches, rose -> roses, oak tree -> oak trees
    (garden.language adds the irregular ones)."""
    if " " in word:
        head, last = word.rsplit(" ", 1)
        return f"{head} {plural(last)}"
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return word[:-1] + "ies"
    if word.endswith(("s", "x", "z", "ch", "sh")):
        return word + "es"
    return word + "s"


def count_of(n: int, seed: str) -> str:
    """'1 sunflower', '2 daisies'."""
    return f"{n} {seed if n == 1 else plural(seed)}"


def tools() -> list[dict]:
    """A deep copy of TOOLS, safe for callers to modify."""
    return copy.deepcopy(TOOLS)


def tool_schema(name: str) -> dict | None:
    for tool in TOOLS:
        if tool["function"]["name"] == name:
            return tool["function"]["parameters"]
    return None


def check_grid_size(rows: Any, cols: Any) -> str | None:
    """None when rows x cols is a playable grid, else one sentence saying why not."""
    for label, value in (("rows", rows), ("cols", cols)):
        if not isinstance(value, int) or isinstance(value, bool) or not MIN_SIZE <= value <= MAX_SIZE:
            return f"The garden must be between {MIN_SIZE}x{MIN_SIZE} and {MAX_SIZE}x{MAX_SIZE}; {label}={value!r} is not allowed."
    return None


# --- validation derived from the schema -------------------------------------------------------

_JSON_TYPES = {
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "array": list,
    "object": dict,
}


def _schema_errors(value: Any, schema: dict, where: str) -> list[str]:
    kind = schema.get("type")
    expected = _JSON_TYPES.get(kind)
    # bool is a subclass of int in Python; JSON keeps them apart and so do we.
    if expected is not None and (not isinstance(value, expected) or (kind != "boolean" and isinstance(value, bool))):
        return [f"{where} must be {'an' if kind[0] in 'aeiou' else 'a'} {kind}, not {type(value).__name__}"]
    if "enum" in schema and value not in schema["enum"]:
        return [f"{where} must be one of {', '.join(map(str, schema['enum']))}, not {value!r}"]
    errors: list[str] = []
    if kind == "object":
        props = schema.get("properties", {})
        for key in schema.get("required", []):
            if key not in value:
                errors.append(f"{where} is missing '{key}'")
        for key, item in value.items():
            if key not in props:
                errors.append(f"{where} has an unknown field '{key}'")
            else:
                errors.extend(_schema_errors(item, props[key], f"{key}" if where == "arguments" else f"{where}.{key}"))
    elif kind == "array":
        if not value:
            errors.append(f"{where} must not be empty")
        for i, item in enumerate(value):
            errors.extend(_schema_errors(item, schema.get("items", {}), f"{where}[{i}]"))
    return errors


def validate_arguments(name: Any, arguments: Any) -> list[str]:
    """Schema errors for a call (empty list = well formed). Grid bounds are the engine's business,
    reported per plot, because a half-right plot list should still be explained plot by plot."""
    if not isinstance(name, str) or tool_schema(name) is None:
        return [f"unknown tool {name!r}; the tools are {', '.join(TOOL_NAMES)}"]
    if not isinstance(arguments, dict):
        return [f"arguments must be an object, not {type(arguments).__name__}"]
    return _schema_errors(arguments, tool_schema(name), "arguments")


def validate_call(name: Any, arguments: Any, rows: int, cols: int) -> list[str]:
    """All errors for a call on a rows x cols garden, grid bounds included. The constrained
    decoder promises calls for which this returns []."""
    errors = validate_arguments(name, arguments)
    if errors:
        return errors
    for i, plot in enumerate(arguments["plots"]):
        if not (1 <= plot["row"] <= rows and 1 <= plot["col"] <= cols):
            errors.append(f"plots[{i}] (row {plot['row']}, col {plot['col']}) is outside the {rows}x{cols} garden")
    return errors


def plot_number(row: int, col: int, cols: int) -> int:
    """Plots are numbered 1..rows*cols row by row from the top left."""
    return (row - 1) * cols + col


def plot_coords(number: int, cols: int) -> tuple[int, int]:
    return (number - 1) // cols + 1, (number - 1) % cols + 1
