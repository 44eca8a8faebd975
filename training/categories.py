"""The categories of generated cases (single plots, follow-ups, chit-chat, commands about the board...), each a
builder that drafts one utterance with its expected calls, and `draft_case` that picks one."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Callable

from garden import language, tools
from garden.brain import prompt as garden_prompt
from garden.engine import rules
from training.actions import (Command, act, call, frame_keep, harvest, plant, seed_of, seed_words, some_seed,
                              some_tool, water, wrap)
from training.pools import (AGAIN, BOARD_NP, CHAT, COLUMN, COORD, EMPTY_WHERE, FOLLOW_OPENER, HARVEST, HARVEST_VERB,
                            JOIN2, JOIN3, NEXT_PLANT, OTHER_PLANT, PLANT_VERB, QUESTION, REPLIES, REST, REST_WHERE,
                            ROW, SAME_FOR, SAME_WITH, SINGLE, TWO_SEEDS, UNSUPPORTED, VERB_SLOTS, WATER_VERB)
from training.targets import (DEFAULT_GRID, FAMILIES, Grid, Plots, SIMPLE_TARGETS, Target, TargetFn, coordinate_text,
                              pick_target, pronoun, union, where)
from training.wording import Say, typed_or_heard

CATEGORIES = ("single_plot", "coordinates", "several_plots", "row_column", "region", "everything",
              "multi_action", "follow_up", "no_call", "speech", "large_grid", "board_state")
# Training leans on what is hard for a small model: other grid sizes, "all except" sets, follow-ups,
# lists of plots (the weakest categories of the shipped adapter), and speech. Single plots and
# coordinates are learnt early and appear inside the other categories too. The eighth run gave lists of
# plots more weight and rows, columns and coordinates less (8 -> 6, 4 -> 3) than the seventh: lists went
# 0.80 -> 0.85, but coordinates and rows/columns fell 1.00 -> 0.93, so those weights are as low as they go.
# The test split is balanced instead, so every category's score rests on as many cases.
TRAIN_WEIGHTS = {"single_plot": 4, "coordinates": 3, "several_plots": 14, "row_column": 6, "region": 10,
                 "everything": 13, "multi_action": 10, "follow_up": 13, "no_call": 7, "speech": 12, "large_grid": 18,
                 "board_state": 14}
# Self-contained commands of the other categories are given a planted board this often (train and val
# only), so that a board in the prompt does not mean "this command is about the board".
BOARD_CHANCE = 0.35
# Grids other than 3x3 (rows, cols, weight): mostly up to 5x5, a few of the extremes the game allows.
LARGE_GRIDS = ((4, 4, 5), (5, 5, 5), (4, 3, 3), (3, 4, 3), (4, 5, 2), (5, 4, 2), (3, 5, 2), (5, 3, 2),
               (2, 2, 2), (2, 3, 1), (3, 2, 1), (2, 4, 1), (6, 6, 1), (5, 6, 1))
# What a large-grid training case is about. Plot numbers lean heaviest: the sixth run answered "plot 7" on a
# 4-wide garden with the 3-wide plot 7 (row 3, column 1) in 8 of its 19 large-grid misses, so the model must
# see many numbers whose place depends on the width. The test split keeps drawing the builders evenly.
LARGE_GRID_BASES = {"single_plot": 3, "coordinates": 1, "several_plots": 2.5, "row_column": 1, "region": 1.5,
                    "everything": 1.5, "multi_action": 1, "follow_up": 1, "no_call": 1, "board_state": 1}


@dataclass
class Draft:
    utterance: str
    calls: list[dict]
    history: list[dict] = field(default_factory=list)
    reply: str | None = None
    board: dict | None = None  # {(row, col): (kind, stage)} planted before the history


def command(say: Say, g: Grid, families: tuple[TargetFn, ...]) -> Draft:
    target = pick_target(say, g, families)
    cmd = act(say, some_tool(say), target)
    return Draft(typed_or_heard(say, wrap(say, cmd)), cmd.calls)


def multi_action(say: Say, g: Grid) -> Draft | None:
    shape = say.rng.choices(("then_them", "two", "two_seeds", "three", "replant"), weights=(3, 4, 2, 1.5, 1.5))[0]
    a = pick_target(say, g, SIMPLE_TARGETS)
    if shape == "then_them":  # "plant roses in the top row and water them"
        steps = [plant(say, a, some_seed(say), verb_first=True), water(say, pronoun(say, a.plots), verb_first=True)]
    elif shape == "replant":  # "harvest row 1 and plant tulips there"
        steps = [harvest(say, a, verb_first=True), plant(say, pronoun(say, a.plots), some_seed(say), verb_first=True)]
    elif shape == "two_seeds":  # "plant daisies on the left and tulips on the right"
        return two_seeds(say, g, a)
    else:
        names = ["plant_seed", "water_plots", "harvest_plots"]
        say.rng.shuffle(names)
        count = 3 if shape == "three" else 2
        targets = [a] + [pick_target(say, g, SIMPLE_TARGETS) for _ in range(count - 1)]
        steps = [act(say, name, t, verb_first=True) for name, t in zip(names, targets)]
    join = say.pick(JOIN3 if len(steps) == 3 else JOIN2)
    text = say.fill(join, first=steps[0].text, second=steps[1].text, third=lambda: steps[2].text)
    if ". " not in join:  # "could you" cannot reach across two sentences
        text = wrap(say, Command(text, []))
    return Draft(typed_or_heard(say, text), [c for step in steps for c in step.calls])


def two_seeds(say: Say, g: Grid, a: Target) -> Draft | None:
    b = pick_target(say, g, SIMPLE_TARGETS)
    if set(a.plots) & set(b.plots):
        return None  # two kinds cannot share a plot
    first = some_seed(say)
    second = some_seed(say, other_than=first)
    text = say.fill(say.pick(TWO_SEEDS), verb=lambda: say.pick(PLANT_VERB),
                    seed1=seed_of(say, first, len(a.plots)), where1=where(say, a),
                    seed2=seed_of(say, second, len(b.plots)), where2=where(say, b))
    return Draft(typed_or_heard(say, text), [call("plant_seed", a.plots, first), call("plant_seed", b.plots, second)])


# Follow-ups: each takes the calls of the last exchange that had calls and says something about them.


def plots_of(calls: list[dict]) -> Plots:
    return union(*(tuple((p["row"], p["col"]) for p in c["arguments"]["plots"]) for c in calls))


def retarget(calls: list[dict], plots: Plots) -> list[dict]:
    return [call(c["name"], plots, c["arguments"].get("seed")) for c in calls]


def opener(say: Say, cmd: Command) -> str:
    if cmd.verb_first and say.chance(0.25):
        return wrap(say, cmd)
    return say.fill(say.pick(FOLLOW_OPENER), cmd=cmd.text)


def about_them(say: Say, g: Grid, last: list[dict]) -> tuple[str, list[dict]] | None:
    """'now water them', 'harvest those', 'plant tulips there'."""
    done = {c["name"] for c in last}
    if done == {"harvest_plots"}:
        tool = "plant_seed"
    elif "plant_seed" in done and "water_plots" not in done:
        tool = "water_plots" if say.chance(0.8) else "harvest_plots"
    else:
        tool = "harvest_plots" if say.chance(0.6) else "water_plots"
    cmd = act(say, tool, pronoun(say, plots_of(last)), verb_first=True)
    return opener(say, cmd), cmd.calls


def same_for(say: Say, g: Grid, last: list[dict]) -> tuple[str, list[dict]] | None:
    """'same for the bottom row': the last calls again on a new target."""
    target = pick_target(say, g, SIMPLE_TARGETS)
    if set(target.plots) == set(plots_of(last)):
        return None
    return say.fill(say.pick(SAME_FOR), np=target.np), retarget(last, target.plots)


def again(say: Say, g: Grid, last: list[dict]) -> tuple[str, list[dict]] | None:
    """'again' after watering: plants need water twice. (Planting twice in a row makes no sense.)"""
    if {c["name"] for c in last} != {"water_plots"}:
        return None
    return say.fill(say.pick(AGAIN), verb=lambda: say.pick(WATER_VERB)), [dict(c) for c in last]


def other_seed(say: Say, g: Grid, last: list[dict]) -> tuple[str, list[dict]] | None:
    """'do the same with daisies' after one planting (say the first kind was still locked)."""
    if len(last) != 1 or last[0]["name"] != "plant_seed":
        return None
    kind = some_seed(say, other_than=last[0]["arguments"]["seed"])
    return say.fill(say.pick(SAME_WITH), seed=language.seed_names(kind)[1]), [call("plant_seed", plots_of(last), kind)]


def next_planting(say: Say, g: Grid, last: list[dict]) -> tuple[str, list[dict]] | None:
    """'and daisies in the bottom row' after a planting: the verb carries over."""
    if last[-1]["name"] != "plant_seed":
        return None
    target = pick_target(say, g, SIMPLE_TARGETS)
    if set(target.plots) & set(plots_of(last)):
        return None
    kind = some_seed(say)
    text = say.fill(say.pick(NEXT_PLANT), seed=lambda: seed_of(say, kind, len(target.plots)),
                    where=lambda: where(say, target))
    return text, [call("plant_seed", target.plots, kind)]


def the_rest(say: Say, g: Grid, last: list[dict]) -> tuple[str, list[dict]] | None:
    """'now daisies everywhere else', 'water the rest': everything the last calls did not touch."""
    rest = tuple(p for p in g.plots() if p not in plots_of(last))
    if not rest:
        return None
    target = Target(lambda: say.fill(say.pick(REST)), rest, where=lambda s: s.fill(s.pick(REST_WHERE)))
    tool = "plant_seed" if last[-1]["name"] == "plant_seed" else some_tool(say)
    cmd = act(say, tool, target)
    return opener(say, cmd), cmd.calls


FOLLOW_UPS = ((about_them, 3), (same_for, 3), (again, 2), (other_seed, 1.5), (next_planting, 1.5), (the_rest, 1.5))


def opening(say: Say, g: Grid) -> dict:
    """A first exchange to follow up on: mostly a planting, sometimes planting and watering."""
    target = pick_target(say, g, SIMPLE_TARGETS)
    roll = say.rng.random()
    if roll < 0.15:
        steps = [plant(say, target, some_seed(say), True), water(say, pronoun(say, target.plots), True)]
        text = say.fill(say.pick(JOIN2), first=steps[0].text, second=steps[1].text)
        return {"utterance": typed_or_heard(say, text), "calls": [c for s in steps for c in s.calls]}
    tool = "plant_seed" if roll < 0.65 else ("water_plots" if roll < 0.9 else "harvest_plots")
    cmd = act(say, tool, target)
    return {"utterance": typed_or_heard(say, wrap(say, cmd)), "calls": cmd.calls}


def chat_exchange(say: Say) -> dict:
    return {"utterance": typed_or_heard(say, say.pick(CHAT)), "calls": [], "reply": say.rng.choice(REPLIES["chat"])}


def follow_up_step(say: Say, g: Grid, history: list[dict]) -> tuple[str, list[dict]]:
    last = next(h["calls"] for h in reversed(history) if h["calls"])
    for _ in range(30):
        fn = say.rng.choices([f for f, _ in FOLLOW_UPS], weights=[w for _, w in FOLLOW_UPS])[0]
        mark = say.mark()
        made = fn(say, g, last)
        if made:
            return made
        say.undo(mark)
    raise RuntimeError("no follow-up fits")  # about_them always fits, so this is a bug


def follow_up(say: Say, g: Grid) -> Draft:
    past = say.twin()  # history phrasings do not make the utterance novel
    history = [opening(past, g)]
    if past.chance(0.35):
        if past.chance(0.4):
            history.append(chat_exchange(past))  # the follow-up must look past small talk
        else:
            text, calls = follow_up_step(past, g, history)
            history.append({"utterance": typed_or_heard(past, text), "calls": calls})
    text, calls = follow_up_step(say, g, history)
    return Draft(typed_or_heard(say, text), calls, history)


def no_call(say: Say, g: Grid, outside_weight: float = 3) -> Draft:
    kind = say.rng.choices(("chat", "question", "unknown_plant", "outside", "unsupported"),
                           weights=(2, 2.5, 2, outside_weight, 2))[0]
    return {"chat": chat, "question": question, "unknown_plant": unknown_plant,
            "outside": outside, "unsupported": unsupported}[kind](say, g)


def chat(say: Say, g: Grid) -> Draft:
    return Draft(typed_or_heard(say, say.pick(CHAT)), [], reply=say.rng.choice(REPLIES["chat"]))


def question(say: Say, g: Grid) -> Draft:
    singular, plural = language.seed_names(some_seed(say))
    text = say.fill(say.pick(QUESTION), n=lambda: say.num(say.rng.randint(1, g.size)), s=singular, p=plural,
                    r=lambda: say.num(say.rng.randint(1, g.rows)))
    return Draft(typed_or_heard(say, text), [], reply=say.rng.choice(REPLIES["question"]))


def seeds_sentence() -> str:
    names = [language.seed_names(s)[1] for s in tools.SEEDS]
    return ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]


def unknown_plant(say: Say, g: Grid) -> Draft:
    """'plant a tree in plot 5': not a seed kind of this game."""
    thing = say.pick(OTHER_PLANT, keep=lambda p: p not in tools.SEEDS)
    target = pick_target(say, g, SIMPLE_TARGETS)
    cmd = plant(say, target, tools.SEEDS[0], seed=seed_words(say, thing, language.plural(thing), len(target.plots)))
    return Draft(typed_or_heard(say, wrap(say, cmd)), [], reply=f"I can only plant {seeds_sentence()}.")


def outside(say: Say, g: Grid) -> Draft:
    """'water plot 12' on a 3x3 garden: nothing there to act on."""
    kind = say.rng.choice(("plot", "row", "column", "coordinates"))
    if kind == "plot":
        n = say.rng.randint(g.size + 1, g.size + 6)
        np, what = say.fill(say.pick(SINGLE), n=say.num(n), o=lambda: say.ordinal(n)), f"plot {n}"
    elif kind in ("row", "column"):
        i = say.rng.randint((g.rows if kind == "row" else g.cols) + 1, tools.MAX_SIZE + 1)
        np = say.fill(say.pick(ROW if kind == "row" else COLUMN), r=say.num(i), c=say.num(i),
                      ro=lambda: say.ordinal(i), co=lambda: say.ordinal(i))
        what = f"{kind} {i}"
    else:
        r, c = say.rng.randint(1, g.rows + 2), say.rng.randint(1, g.cols + 2)
        if r <= g.rows and c <= g.cols:
            c = g.cols + 1
        np, what = coordinate_text(say, say.pick(COORD), r, c), f"row {r}, column {c}"
    cmd = act(say, some_tool(say), Target(np, ()))
    return Draft(typed_or_heard(say, wrap(say, cmd)), [], reply=garden_prompt.outside_reply(g.rows, g.cols, what))


def unsupported(say: Say, g: Grid) -> Draft:
    singular, plural = language.seed_names(some_seed(say))
    text = say.fill(say.pick(UNSUPPORTED), np=lambda: pick_target(say, g, SIMPLE_TARGETS).np, s=singular, p=plural)
    return Draft(typed_or_heard(say, text), [], reply=say.rng.choice(REPLIES["unsupported"]))


# --- commands about what is on the board ---------------------------------------------------------------------------

# Which plots a BOARD_PHRASES entry names: (kind, stage) of a planted plot, or None for an empty one. The
# sets are the prompt's (garden_prompt.BOARD_SETS), so the places line lists exactly what the data expects.
SELECTIONS: dict[str, Callable[[tuple | None, str | None], bool]] = {
    **{name: (lambda plot, kind, holds=holds: holds(*(plot or (None, None))))
       for name, holds in garden_prompt.BOARD_SETS.items()},
    "kind_bloom": lambda plot, kind: plot == (kind, "bloom"),
    "kind": lambda plot, kind: plot is not None and plot[0] == kind,
}
# What is done to them, with weights: blooms are harvested, growing plants watered, empty plots planted.
SELECTION_TOOLS = {"bloom": {"harvest_plots": 5, "water_plots": 1}, "kind_bloom": {"harvest_plots": 1},
                   "seed": {"water_plots": 1}, "sprout": {"water_plots": 1}, "growing": {"water_plots": 1},
                   "kind": {"water_plots": 1}, "planted": {"water_plots": 1},
                   "empty": {"plant_seed": 4, "water_plots": 1}}
SELECTION_WEIGHTS = {"bloom": 4, "kind_bloom": 2, "seed": 1.5, "sprout": 1, "growing": 1.5, "kind": 1.5,
                     "planted": 1, "empty": 4}
NOTHING = {"bloom": "Nothing is in bloom yet.", "seed": "There are no seeds in the ground right now.",
           "sprout": "There are no sprouts right now.", "empty": "Every plot is taken already."}


# A board command said over a garden with nothing in it: how a game starts ("plant roses in the empty
# plots" means every plot then; "harvest the blooms" gets the reply that nothing is in bloom). Random
# boards are never all empty, and without these the shipped adapter answered "plant daisies in the
# empty plots" on a new game with one plot.
EMPTY_BOARD_CHANCE = 0.15


def random_board(rng: random.Random, g: Grid) -> dict:
    """Some plots planted with one to three kinds at any stage, the rest empty."""
    empty = rng.uniform(0.15, 0.6)
    kinds = rng.sample(tools.SEEDS, rng.randint(1, min(3, len(tools.SEEDS))))
    return {spot: (rng.choice(kinds), rng.choice(rules.STAGES)) for spot in g.plots() if rng.random() >= empty}


def board_command(say: Say, tool: str, target: Target, kind: str, verb_first: bool) -> Command:
    if tool == "harvest_plots":  # "harvest the flowers in the blooms" is not English
        keep = frame_keep(target, verb_first)
        frame = say.pick(HARVEST, lambda f: keep(f) and "in {np}" not in f and "from {np}" not in f)
        text = say.fill(frame, verb=lambda: say.pick(HARVEST_VERB), np=target.np)
        return Command(text, [call("harvest_plots", target.plots)], frame.startswith(VERB_SLOTS))
    return act(say, tool, target, verb_first=verb_first, kind=kind)


def board_state(say: Say, g: Grid) -> Draft | None:
    """'harvest the blooms', 'water the seeds', 'plant roses in the empty plots': plots chosen by
    what grows in them on a random board; sometimes followed by a second action on the same plots."""
    board = {} if say.chance(EMPTY_BOARD_CHANCE) else random_board(say.rng, g)
    name = say.rng.choices(list(SELECTION_WEIGHTS), weights=list(SELECTION_WEIGHTS.values()))[0]
    kind = None
    if name in ("kind", "kind_bloom"):
        kinds = sorted({k for k, stage in board.values() if name == "kind" or stage == "bloom"})
        if not kinds:
            return None
        kind = say.rng.choice(kinds)
    plots = tuple(spot for spot in g.plots() if SELECTIONS[name](board.get(spot), kind))
    tools_ = SELECTION_TOOLS[name]
    tool = say.rng.choices(list(tools_), weights=list(tools_.values()))[0]
    singular, plural = language.seed_names(kind) if kind else ("", "")
    np = lambda: say.fill(say.pick(BOARD_NP[name]), s=singular, p=plural)  # noqa: E731
    target = Target(np, plots, where=(lambda s: s.pick(EMPTY_WHERE)) if name == "empty" else None)
    seed = some_seed(say)
    if not plots:
        if name not in NOTHING or not say.chance(0.5):
            return None
        target.plots = ((1, 1),)  # words only: nothing there to act on
        cmd = board_command(say, tool, target, seed, verb_first=False)
        return Draft(typed_or_heard(say, wrap(say, cmd)), [], reply=NOTHING[name], board=board)
    two = tool != "water_plots" and say.chance(0.2)
    cmd = board_command(say, tool, target, seed, verb_first=two)
    steps = [cmd]
    if two and tool == "harvest_plots":  # "harvest the blooms and plant tulips there"
        steps.append(plant(say, pronoun(say, plots), some_seed(say), verb_first=True))
    elif two:  # "plant roses in the empty plots and water them"
        steps.append(water(say, pronoun(say, plots), verb_first=True))
    if len(steps) == 2:
        text = wrap(say, Command(say.fill(say.pick(JOIN2, lambda j: ". " not in j),
                                          first=steps[0].text, second=steps[1].text), []))
    else:
        text = wrap(say, cmd)
    return Draft(typed_or_heard(say, text), [c for step in steps for c in step.calls], board=board)


BUILDERS: dict[str, Callable[[Say, Grid], "Draft | None"]] = {
    **{name: (lambda fams: lambda say, g: command(say, g, fams))(fams) for name, fams in FAMILIES.items()},
    "multi_action": multi_action,
    "follow_up": follow_up,
    "no_call": no_call,
    "board_state": board_state,
}


def draft_case(rng: random.Random, split: str, category: str) -> tuple[Draft | None, Grid, Say]:
    """One draft of a category: speech and large_grid wrap another category's builder."""
    grid, spoken, base = DEFAULT_GRID, False, category
    if category == "speech":
        spoken, base = True, rng.choice(list(BUILDERS))
    elif category == "large_grid":
        rows, cols, _ = rng.choices(LARGE_GRIDS, weights=[w for *_, w in LARGE_GRIDS])[0]
        grid, spoken = Grid(rows, cols), rng.random() < 0.25
        if split == "test":
            base = rng.choice(list(BUILDERS))
        else:
            base = rng.choices(list(LARGE_GRID_BASES), weights=list(LARGE_GRID_BASES.values()))[0]
    say = Say(rng, split, spoken)
    if base == "no_call" and category == "large_grid":
        made = no_call(say, grid, outside_weight=9)  # out-of-grid requests are what other sizes teach
    else:
        made = BUILDERS[base](say, grid)
    if made is not None and not made.history and base in FAMILIES and rng.random() < 0.12:
        # Now and then an unrelated exchange before a self-contained command: history is not always relevant.
        past = say.twin()
        made.history = [opening(past, grid) if rng.random() < 0.7 else chat_exchange(past)]
    elif made is not None and not made.history and base == "no_call" and split != "test" and rng.random() < 0.4:
        # Chit-chat after a command is still chit-chat: without these, the shipped adapter answered
        # "what a lovely day" after "plant roses in the corners" by planting the roses again.
        # (Not in the test split yet, so the committed one stays the default run's; see the docstring of
        # training/generate.py.)
        made.history = [opening(say.twin(), grid)]
    if made is not None and made.board is None and not made.history and split != "test" and rng.random() < BOARD_CHANCE:
        made.board = random_board(rng, grid)  # a command about plots, said over a planted garden
    return made, grid, say
