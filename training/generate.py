"""Training and evaluation cases for the garden model, generated from the game's own definitions.

    python -m training.generate --out training/data/generated --train 6000 --val 300 --test 600 --seed 0

writes train.jsonl, val.jsonl and test.jsonl in the eval case format of garden/brain/cases.py. The
committed test split (the default cases file of `garden eval`) is the test.jsonl of a default run of an
earlier version of this file; it stays fixed so that every training run is scored on the same cases, while
training pools grow. Making a new one (and starting the run history afresh) is

    python -m training.generate && cp training/data/generated/test.jsonl training/data/test.jsonl

Seed kinds and tool names come from garden.tools and the words from garden.language, so a new seed
kind appears in the data without touching this file. Hand-written cases in training/data/*.jsonl
(all but test.jsonl) are added to the train split.

Why the test split is honest: every list of phrasings below is a Pool whose `held_out` part only the
test split may draw from (held-out verbs, fillers, homophones and whole sentence shapes), and every
test utterance contains at least one held-out phrasing. So no test utterance can appear in training,
whatever the seed or size of the training run.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from garden import language, tools
from garden.brain import prompt as garden_prompt
from garden.brain.cases import CaseError, check_case, load_cases
from garden.engine import rules

DATA_DIR = Path(__file__).resolve().parent / "data"
SPLITS = ("train", "val", "test")
DEFAULT_SIZES = {"train": 6000, "val": 300, "test": 600}

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

MAX_WORDS = 24  # short utterances keep prompts (and CPU training) cheap; players talk in short bursts
HELD_OUT_CHANCE = 0.35  # how often the test split takes the held-out part of a pool
TOOL_WEIGHTS = {"plant_seed": 0.45, "water_plots": 0.35, "harvest_plots": 0.20}


# --- phrasing pools ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pool:
    """Ways to say one thing. `held_out` phrasings are used only by the test split. Repeating an
    item in `seen` makes it more common. Slots in {braces} are filled by Say.fill."""

    seen: tuple[str, ...]
    held_out: tuple[str, ...] = ()


POOLS: dict[str, Pool] = {}  # every pool by name, so tests can check that held-out phrasings stay out of train


def pool(name: str, seen, held_out=()) -> Pool:
    POOLS[name] = Pool(tuple(seen), tuple(held_out))
    return POOLS[name]


def language_pool(name: str, words: tuple[str, ...], held_out: tuple[str, ...], plain_weight: int = 4) -> Pool:
    """A pool over a list from garden.language, whose first (plainest) item is the most common."""
    missing = set(held_out) - set(words)
    if missing:
        raise ValueError(f"held-out {name} phrasings {missing} are not in garden.language")
    return pool(name, [words[0]] * plain_weight + [w for w in words[1:] if w not in held_out], held_out)


# Actions: verbs and whole phrasings come from garden.language; here we only choose what is held out.
PLANT_VERB = language_pool("plant verb", language.VERBS["plant_seed"], held_out=("pop", "stick"))
WATER_VERB = language_pool("water verb", language.VERBS["water_plots"], held_out=("hydrate", "douse"))
HARVEST_VERB = language_pool("harvest verb", language.VERBS["harvest_plots"], held_out=("reap", "pluck"))
FILL_VERB = language_pool("fill verb", language.FILL_VERBS, held_out=("cover",), plain_weight=1)
PLANT = language_pool("plant", language.ACTION_PHRASES["plant_seed"], held_out=(
    "how about {seed} {where}", "get some {seed} going {where}", "{np} should get {seed}"))
WATER = language_pool("water", language.ACTION_PHRASES["water_plots"], plain_weight=5, held_out=(
    "pour some water over {np}", "give {np} a good soak", "{np} could use a drink"))
HARVEST = language_pool("harvest", language.ACTION_PHRASES["harvest_plots"], plain_weight=5, held_out=(
    "bring in the flowers from {np}", "{verb} whatever is growing in {np}"))
VERB_SLOTS = ("{verb}", "{fill}", "give", "sprinkle", "put", "pour", "bring")  # frames that can follow "could you"

SEED_ONE = pool("one seed", ("{an} {s}", "{an} {s}", "{p}", "one {s}", "{an} {s} seed", "{s}"), ("a single {s}",))
SEED_MANY = pool("many seeds", ("{p}", "{p}", "{p}", "some {p}", "{s} seeds"), ("a few {p}", "{s} plants"))

# Politeness around a whole command. Verbless commands ("roses in row 1") only take the second pool.
WRAP = pool("wrap", (
    "{cmd}", "{cmd}", "{cmd}", "{cmd}", "{cmd}", "{cmd}", "{cmd}", "{cmd}", "please {cmd}", "{cmd} please",
    "could you {cmd}", "can you {cmd}", "i want to {cmd}", "let's {cmd}", "now {cmd}", "ok {cmd}",
), ("would you {cmd}", "go ahead and {cmd}", "{cmd} for me", "i'd like you to {cmd}", "kindly {cmd}"))
WRAP_VERBLESS = pool("wrap verbless", ("{cmd}", "{cmd}", "{cmd}", "{cmd} please", "ok {cmd}"), ("{cmd} if you can",))

# Targets. {n} a plot number, {r} {c} row and column, {ro} {co} {o} ordinals, {plot} a plot noun.
PLOT_NOUN = pool("plot noun", ("plot", "plot", "plot", "plot", "plot", "square", "spot", "patch", "bed"),
                 ("tile", "cell"))
SINGLE = pool("single plot", (
    "{plot} {n}", "{plot} {n}", "{plot} {n}", "{plot} number {n}", "the {o} {plot}", "{plot} #{n}", "number {n}",
), ("the {plot} numbered {n}", "{plot} no. {n}"))
COORD = pool("coordinates", (
    "row {r} column {c}", "row {r} column {c}", "row {r}, column {c}", "row {r} col {c}", "the {ro} row, {co} column",
    "{ro} row {co} column", "r{r} c{c}", "r{r}c{c}", "({r},{c})", "column {c} row {r}", "the {co} {plot} in row {r}",
    "the {co} {plot} of the {ro} row", "the {plot} at row {r}, column {c}", "row {r}, {plot} {c}",
), ("row {r} by column {c}", "the {plot} in column {c} of row {r}", "the {co} {plot} within row {r}", "c{c} r{r}"))
PLOT_PAIR = pool("plot pair", ("{plot} {a} and {plot} {b}", "{plot} {a} and {b}"),
                 ("{plot} {a} as well as {plot} {b}",))
PLOT_LIST = pool("plot list", ("{plots} {list}", "{plots} {list}", "numbers {list}"), ("{plots} numbered {list}",))
PLOT_ORDINALS = pool("plot ordinals", ("the {olist} {plots}",))
PLOT_RANGE = pool("plot range", (
    "{plots} {a} through {b}", "{plots} {a} to {b}", "{plots} {a}-{b}", "from {plot} {a} to {plot} {b}",
    "{plot} {a} through {plot} {b}", "{plots} {a} through to {b}",
), ("{plots} {a} thru {b}", "{plots} {a} up to {b}", "every {plot} from {a} to {b}"))
ROW = pool("row", (
    "row {r}", "row {r}", "row {r}", "the {ro} row", "the {ro} row", "all of row {r}", "the whole of row {r}",
    "every {plot} in row {r}", "row number {r}", "all the {plots} in row {r}",
), ("the entire {ro} row", "each {plot} in row {r}"))
COLUMN = pool("column", (
    "column {c}", "column {c}", "column {c}", "the {co} column", "the {co} column", "col {c}", "all of column {c}",
    "every {plot} in column {c}", "column number {c}", "all the {plots} in column {c}",
), ("the entire {co} column", "each {plot} in column {c}"))
NAMED_LINE = pool("named line", ("the {pos} {line}",), ("the {line} at the {pos}", "the very {pos} {line}"))
TOP = pool("top", ("top", "top", "upper", "topmost", "highest", "north"), ("uppermost",))
BOTTOM = pool("bottom", ("bottom", "bottom", "last", "bottommost", "final", "lower", "south"), ("lowest",))
MIDDLE = pool("middle", ("middle", "middle", "centre", "center"), ("central",))
LEFT = pool("left", ("left", "left", "left-hand", "first", "far left", "west"), ("leftmost",))
RIGHT = pool("right", ("right", "right", "right-hand", "last", "far right", "east"), ("rightmost",))
# The same four directions where a side, a corner or a half is named ("the lower right corner", "the
# north-west corner", "the upper half", "the west side"). Players say these; an adapter trained
# only on top/bottom/left/right read "the lower right corner" as the top right one. Compass words
# go with compass words ("the north east corner", not "the upper east corner").
COMPASS = {"top": "north", "bottom": "south", "left": "west", "right": "east"}
AROUND_STYLE = pool("around style", ("plain", "plain", "plain", "compass", "upper/lower"))
UPPER_LOWER = {"top": "upper", "bottom": "lower", "left": "left-hand", "right": "right-hand"}
LINES = pool("lines", ("{lines} {list}", "{lines} {list}", "the {olist} {lines}"), ("{lines} numbered {list}",))
NAMED_PAIR = pool("named pair", ("the {p1} and {p2} {lines}", "both the {p1} and {p2} {lines}"),
                  ("the {p1} {line} and the {p2} one",))
ROW_PREP = pool("row prep", ("in", "in", "in", "along"), ("across",))
COLUMN_PREP = pool("column prep", ("in", "in", "in", "down"))
PREP = pool("prep", ("in", "in", "in", "into", "on"))
SIDE = pool("side", ("the {pos} side", "the {pos} side", "the {pos} edge", "everything on the {pos}"),
            ("the {pos} border", "all the {plots} on the {pos}"))
SIDE_WHERE = pool("side where", ("on the {pos}", "on the {pos}", "on the {pos} side", "along the {pos} edge"),
                  ("over on the {pos}",))
CORNER = pool("corner", (
    "the {v} {h} corner", "the {v} {h} corner", "the {v}-{h} corner", "the {v} {h}", "the {v} {h} {plot}",
), ("the corner at the {v} {h}", "the {plot} in the {v} {h} corner"))
CORNERS = pool("corners", (
    "the corners", "the corners", "all four corners", "every corner", "the four corners", "the corner {plots}",
    "all the corners",
), ("each of the corners", "all of the corners"))
CORNER_PAIR = pool("corner pair", ("the {side} corners", "both {side} corners", "the two {side} corners"),
                   ("both corners on the {side}",))
CENTRE = pool("centre", (
    "the centre", "the center", "the middle", "the middle {plot}", "the centre {plot}", "the center {plot}",
    "the {plot} in the middle",
), ("dead centre", "the central {plot}", "the very middle"))
EDGE_MIDDLE = pool("edge middle", ("the middle of the {pos} {line}", "the {pos} middle", "the {pos} middle {plot}",
                                   "the middle {plot} of the {pos} {line}"), ("the centre of the {pos} {line}",))
MAIN_DIAGONAL = pool("main diagonal", (
    "the diagonal", "the main diagonal", "the diagonal from top left to bottom right",
    "the diagonal from the top left to the bottom right", "the top left to bottom right diagonal",
), ("the diagonal going down from the top left",))
ANTI_DIAGONAL = pool("anti diagonal", (
    "the other diagonal", "the anti diagonal", "the diagonal from top right to bottom left",
    "the diagonal from the bottom left to the top right", "the top right to bottom left diagonal",
), ("the diagonal going down from the top right",))
BOTH_DIAGONALS = pool("both diagonals", ("both diagonals", "the diagonals", "the two diagonals", "both the diagonals",
                                           "both of the diagonals", "all the diagonals"),
                      ("an x shape", "each diagonal"))
BORDER = pool("border", ("the edges", "the border", "all the edge {plots}", "the outside {plots}", "the outer {plots}",
                         "the edge {plots}", "the perimeter"), ("the outer ring", "the rim of the garden"))
INSIDE = pool("inside", ("the inside", "the inner {plots}", "the inside {plots}", "the inner part",
                         "the inner part of the garden", "everything inside the border"), ("the interior",))
HALF = pool("half", ("the {pos} half", "the {pos} half of the garden"))
EVERYTHING = pool("everything", (
    "the whole garden", "the whole garden", "all plots", "all the plots", "every {plot}", "everything", "everything",
    "the entire garden", "all {plots}", "every single {plot}", "each {plot}", "the garden", "all of the garden",
    "the whole thing", "all of it", "every one of the {plots}", "each and every {plot}",
), ("the lot", "the full garden", "every last {plot}"))
EVERYWHERE = pool("everywhere", ("everywhere", "everywhere", "all over the garden", "in every {plot}",
                                 "in the whole garden", "in all the {plots}"),
                  ("across the whole garden", "throughout the garden"))
EXCEPT = pool("except", (
    "{all} except {x}", "{all} except {x}", "{all} but {x}", "{all} except for {x}", "all but {x}",
    "{all} apart from {x}",
), ("{all} other than {x}", "{all} excluding {x}", "{all} save for {x}"))

# Several actions in one utterance, in order.
JOIN2 = pool("join two", (
    "{first} and {second}", "{first} and {second}", "{first}, then {second}", "{first} and then {second}",
    "first {first}, then {second}", "{first}. {second}", "{first}, and {second}", "{first} then {second}",
), ("{first}, after that {second}", "{first} and afterwards {second}", "{first}, next {second}"))
JOIN3 = pool("join three", ("{first}, {second} and {third}", "{first}, then {second}, then {third}",
                            "{first}, {second}, then {third}", "first {first}, then {second} and then {third}"),
             ("{first}, {second}, and finally {third}",))
TWO_SEEDS = pool("two seeds", ("{verb} {seed1} {where1} and {seed2} {where2}",
                               "{verb} {seed1} {where1}, and {seed2} {where2}",
                               "{verb} {seed1} {where1}, {seed2} {where2}", "{seed1} {where1} and {seed2} {where2}"),
                 ("{verb} {seed1} {where1} plus {seed2} {where2}", "{seed1} {where1}, plus {seed2} {where2}"))
THEM = pool("them", ("them", "them", "them", "those", "them all", "these", "all of them", "each of them",
                     "those plots", "the same plots"),
            ("those ones", "the lot of them"))
IT = pool("it", ("it",), ("that one",))
THERE = pool("there", ("there", "there", "in them", "in those"), ("in their place",))

# Follow-ups that need the history.
FOLLOW_OPENER = pool("follow opener", ("{cmd}", "{cmd}", "now {cmd}", "ok now {cmd}", "and now {cmd}", "then {cmd}",
                                       "ok {cmd}", "{cmd} now"), ("next, {cmd}", "and next {cmd}"))
SAME_FOR = pool("same for", ("same for {np}", "now do the same for {np}", "do the same for {np}", "do the same to {np}",
                             "and {np} too", "{np} as well", "now {np}", "same thing for {np}"),
                ("repeat that for {np}", "likewise for {np}", "the same again for {np}"))
AGAIN = pool("again", ("again", "do that again", "again please", "once more", "one more time", "repeat that",
                       "do it again", "{verb} them again"), ("same again", "another round", "and once again"))
SAME_WITH = pool("same with", ("do the same with {seed}", "same with {seed}", "same but with {seed}", "now {seed}",
                               "try {seed} instead", "{seed} this time"),
                 ("repeat that with {seed}", "make that {seed}"))
NEXT_PLANT = pool("next plant", ("{seed} {where}", "and {seed} {where}", "now {seed} {where}", "then {seed} {where}",
                                 "{seed} {where} too"), ("also {seed} {where}",))
REST = pool("rest", ("the rest", "the rest", "the other {plots}", "all the others", "the rest of the garden",
                     "the others", "the leftover {plots}", "everything else", "what is left over"),
            ("the remaining {plots}", "whatever is left"))
REST_WHERE = pool("rest where", ("everywhere else", "everywhere else", "in the rest", "in the other {plots}"),
                  ("in the remaining {plots}",))

# Inputs that need words, not calls.
CHAT = pool("chat", (
    "hello", "hi there", "hey", "thanks", "thank you", "good morning", "how are you?", "you're doing great",
    "what a lovely garden", "bye", "good night", "ok", "cool", "nice", "i love flowers", "tell me a joke",
    "what's the weather like today?",
), ("cheers", "good evening", "what's up?", "see you later", "sing me a song"))
QUESTION = pool("question", (
    "what can you do?", "how do i plant something?", "what seeds do i have?", "what's in {plot} {n}?",
    "how many plots are there?", "what should i plant?", "how do flowers grow?", "do {p} need water?",
    "when can i harvest?", "what's my score?", "which flowers are ready?", "how long do {p} take to bloom?",
    "is row {r} watered?", "help",
), ("how does watering work?", "are the {p} ready yet?", "what is growing in row {r}?", "why did my {s} not grow?"))
UNSUPPORTED = pool("unsupported", (
    "dig up {np}", "sell my {p}", "buy more seeds", "weed {np}", "fertilise {np}", "move the {p} to {np}",
    "undo that", "mow the lawn", "prune the {p}", "rake {np}", "mulch {np}", "paint {np}", "put compost on {np}",
    "pull the weeds in {np}", "put a scarecrow in {np}", "spray weedkiller on {np}", "cut the grass in {np}",
    "build a shed on {np}", "pick a fight with {np}", "give {np} some plant food", "nourish {np}",
), ("feed {np}", "trim the {p} in {np}", "build a fence around {np}"))
OTHER_PLANT = pool("other plant", ("tree", "cactus", "carrot", "potato", "tomato", "grass", "mushroom", "apple tree"),
                   ("pumpkin", "lettuce", "oak tree", "orchid"))

# Speech recognisers: fillers, stutters, homophones. "rho" and "sew" are never heard in training.
FILLER_START = pool("filler start", ("um", "um", "uh", "uh", "so", "okay", "okay so", "hey garden", "um so", "well",
                                     "uh okay"), ("er", "erm", "hmm", "alright so"))
FILLER_MID = pool("filler mid", ("um", "uh"), ("er",))
FILLER_END = pool("filler end", ("please", "thanks", "thank you"), ("cheers",))
HELD_OUT_HEARINGS = ("rho", "sew")
HEARD = {word: pool(f"heard {word}", [v for v in heard if v not in HELD_OUT_HEARINGS],
                    [v for v in heard if v in HELD_OUT_HEARINGS])
         for word, heard in language.HOMOPHONES.items()}

# Plots named by what grows in them (garden.language.BOARD_PHRASES), read against the board line of the prompt.
BOARD_HELD_OUT = {
    "bloom": ("everything that's in bloom", "the ones that are ready to pick"),
    "kind_bloom": ("the {p} that are ripe", "the {p} that have bloomed"),
    "seed": ("the unsprouted seeds", "the fresh seeds"),
    "sprout": ("the little sprouts", "the shoots"),
    "growing": ("everything still growing", "the plants that are not ready"),
    "kind": ("all my {p}",),
    "planted": ("all the occupied plots", "everything i've planted"),
    "empty": ("the bare plots", "the unused plots"),
}
BOARD_NP = {name: language_pool(f"board {name}", phrases, plain_weight=2, held_out=BOARD_HELD_OUT.get(name, ()))
            for name, phrases in language.BOARD_PHRASES.items()}
EMPTY_WHERE = language_pool("empty where", language.EMPTY_WHERE, plain_weight=2,
                            held_out=("in the bare plots", "wherever there's room", "anywhere that's free"))

REPLIES = {
    "chat": ("Hello! Tell me what to plant, water or harvest.", "Happy gardening!", "Thanks! What shall we grow next?"),
    "question": ("I can plant, water and harvest. Try \"plant roses in the top row\".",
                 "Have a look at the board for that.", "Flowers need water twice to bloom; then harvest them."),
    "unsupported": ("I can only plant, water and harvest.", "Sorry, I can't do that; I plant, water and harvest."),
}


# --- choosing words ----------------------------------------------------------------------------------------------

# Written shorthand (#5, r2c3, (2,3), 4-6, "no. 5") never comes out of a speech recogniser, and is
# only typed with digits.
WRITTEN_ONLY = re.compile(r"[#()&]|\}-\{|\b[rc]\{|\bno\. ")


class Say:
    """Chooses the words of one case. Train and val draw only the seen part of each pool; the
    test split also draws held-out phrasings and records them in `novel`."""

    def __init__(self, rng: random.Random, split: str, spoken: bool, digits: bool | None = None):
        self.rng, self.split, self.spoken = rng, split, spoken
        # Typed commands mostly use digits; within one utterance the style stays the same.
        self.digits = (not spoken and rng.random() < 0.85) if digits is None else digits
        self.novel: list[str] = []

    def twin(self) -> "Say":
        """Same style, fresh record: for history, whose phrasings do not count as the utterance's."""
        return Say(self.rng, self.split, self.spoken, self.digits)

    def pick(self, pool: Pool, keep: Callable[[str], bool] = lambda item: True) -> str:
        seen = [p for p in pool.seen if keep(p) and self.sayable(p)]
        held = [p for p in pool.held_out if keep(p) and self.sayable(p)] if self.split == "test" else []
        if held and (not seen or self.rng.random() < HELD_OUT_CHANCE):
            item = self.rng.choice(held)
            self.novel.append(item)
            return item
        return self.rng.choice(seen)

    def mark(self) -> int:
        return len(self.novel)

    def undo(self, mark: int) -> None:
        """Forget held-out picks of an attempt that was thrown away: they never reach the text."""
        del self.novel[mark:]

    def sayable(self, phrase: str) -> bool:
        return self.digits or not WRITTEN_ONLY.search(phrase)

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def num(self, n: int) -> str:
        return str(n) if self.digits else language.number_word(n)

    def ordinal(self, n: int) -> str:
        return language.ordinal_suffix(n) if self.digits and self.chance(0.3) else language.ordinal_word(n)

    def list(self, items: list[str], commas: bool = True) -> str:
        """'1, 3 and 7' or '1 and 3 and 7'; commas=False when the items hold commas themselves."""
        if len(items) == 1:
            return items[0]
        if commas and self.chance(0.15) and not self.spoken:
            return ", ".join(items)
        if commas and self.chance(0.7):
            return ", ".join(items[:-1]) + " and " + items[-1]
        return " and ".join(items)

    def fill(self, template: str, **slots) -> str:
        """Fill {slots}; a slot value may be a function, called only when the template uses it, so
        nothing is picked (or recorded as held out) for words that never reach the text."""
        for name in dict.fromkeys(re.findall(r"\{(\w+)\}", template)):
            if name in slots:
                value = slots[name]
            elif name in ("plot", "plots"):
                noun = self.pick(PLOT_NOUN)
                value = language.plural(noun) if name == "plots" else noun
            else:
                raise KeyError(f"no value for {{{name}}} in {template!r}")
            template = template.replace("{" + name + "}", value() if callable(value) else value)
        return template


# --- grids and targets --------------------------------------------------------------------------------------------

Plots = tuple  # of (row, col) in reading order, no repeats


@dataclass(frozen=True)
class Grid:
    rows: int
    cols: int

    @property
    def size(self) -> int:
        return self.rows * self.cols

    def plots(self, keep: Callable[[int, int], bool] = lambda r, c: True) -> Plots:
        return tuple((r, c) for r in range(1, self.rows + 1) for c in range(1, self.cols + 1) if keep(r, c))


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


def union(*groups: Plots) -> Plots:
    return tuple(sorted(set().union(*groups)))


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
    if count % 2 == 1 and count > 2:
        names[(count + 1) // 2] = MIDDLE
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
    plots = g.plots({"left": lambda r, c: c == 1, "right": lambda r, c: c == g.cols,
                     "top": lambda r, c: r == 1, "bottom": lambda r, c: r == g.rows}[pos])
    (word,) = around(say, pos, adjective=False)  # "on the {pos}" takes a noun: "on the west", not "on the upper"
    return Target(lambda: say.fill(say.pick(SIDE, keep=held_out_if(word == pos, SIDE)), pos=word), plots,
                  where=lambda s: s.fill(s.pick(SIDE_WHERE, keep=held_out_if(word == pos, SIDE_WHERE)), pos=word))


def corner(say: Say, g: Grid) -> Target:
    v, h = say.rng.choice(("top", "bottom")), say.rng.choice(("left", "right"))
    spot = (1 if v == "top" else g.rows, 1 if h == "left" else g.cols)
    vw, hw = around(say, v, h)
    return Target(say.fill(say.pick(CORNER, keep=held_out_if((vw, hw) == (v, h), CORNER)), v=vw, h=hw), (spot,))


def corners(say: Say, g: Grid) -> Target:
    return Target(say.fill(say.pick(CORNERS)), union(((1, 1), (1, g.cols), (g.rows, 1), (g.rows, g.cols))))


def corner_pair(say: Say, g: Grid) -> Target:
    where_ = say.rng.choice(("top", "bottom", "left", "right"))
    rows = {"top": (1,), "bottom": (g.rows,)}.get(where_, (1, g.rows))
    cols = {"left": (1,), "right": (g.cols,)}.get(where_, (1, g.cols))
    (word,) = around(say, where_)
    return Target(say.fill(say.pick(CORNER_PAIR, keep=held_out_if(word == where_, CORNER_PAIR)), side=word),
                  union(tuple((r, c) for r in rows for c in cols)))


def centre(say: Say, g: Grid) -> Target | None:
    if g.rows % 2 == 0 or g.cols % 2 == 0:
        return None  # an even side has no single middle plot
    return Target(say.fill(say.pick(CENTRE)), (((g.rows + 1) // 2, (g.cols + 1) // 2),))


def edge_middle(say: Say, g: Grid) -> Target | None:
    sides = [s for s, count in (("top", g.cols), ("bottom", g.cols), ("left", g.rows), ("right", g.rows))
             if count % 2 == 1 and count > 2]
    if not sides:
        return None
    pos = say.rng.choice(sides)
    mid_row, mid_col = (g.rows + 1) // 2, (g.cols + 1) // 2
    spot = {"top": (1, mid_col), "bottom": (g.rows, mid_col), "left": (mid_row, 1), "right": (mid_row, g.cols)}[pos]
    np = say.fill(say.pick(EDGE_MIDDLE), pos=pos, line="row" if pos in ("top", "bottom") else "column")
    return Target(np, (spot,))


def diagonal(say: Say, g: Grid) -> Target | None:
    if g.rows != g.cols:
        return None  # only a square garden has corner-to-corner diagonals of whole plots
    main = g.plots(lambda r, c: r == c)
    anti = g.plots(lambda r, c: r + c == g.cols + 1)
    which = say.rng.choice(("main", "anti", "both"))
    phrases, plots = {"main": (MAIN_DIAGONAL, main), "anti": (ANTI_DIAGONAL, anti),
                      "both": (BOTH_DIAGONALS, union(main, anti))}[which]
    return Target(say.pick(phrases), plots)


def border(say: Say, g: Grid) -> Target | None:
    if g.rows < 3 or g.cols < 3:
        return None  # on a thin garden every plot is on the border
    return Target(say.fill(say.pick(BORDER)), g.plots(lambda r, c: r in (1, g.rows) or c in (1, g.cols)))


def inside(say: Say, g: Grid) -> Target | None:
    if g.rows < 3 or g.cols < 3:
        return None
    return Target(say.fill(say.pick(INSIDE)), g.plots(lambda r, c: 1 < r < g.rows and 1 < c < g.cols))


def half(say: Say, g: Grid) -> Target | None:
    options = [p for p, size in (("top", g.rows), ("bottom", g.rows), ("left", g.cols), ("right", g.cols))
               if size % 2 == 0]
    if not options:
        return None  # an odd side has no clean half
    pos = say.rng.choice(options)
    keep = {"top": lambda r, c: r <= g.rows // 2, "bottom": lambda r, c: r > g.rows // 2,
            "left": lambda r, c: c <= g.cols // 2, "right": lambda r, c: c > g.cols // 2}[pos]
    (word,) = around(say, pos)
    return Target(say.fill(say.pick(HALF), pos=word), g.plots(keep))


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


# --- actions -----------------------------------------------------------------------------------------------------


@dataclass
class Command:
    text: str
    calls: list[dict]
    verb_first: bool = True  # "could you <text>" reads well


def call(name: str, plots: Plots, seed: str | None = None) -> dict:
    arguments: dict = {"seed": seed} if seed is not None else {}
    arguments["plots"] = [{"row": r, "col": c} for r, c in plots]
    return {"name": name, "arguments": arguments}


def seed_words(say: Say, singular: str, plural: str, count: int, synonyms: tuple[str, ...] = (),
               after_seed_verb: bool = False) -> str:
    if count > 1 and synonyms and say.chance(0.15):
        return say.rng.choice(synonyms)
    # After the verb "seed", "seed a rose seed" would be clumsy.
    keep = (lambda t: "seed" not in t) if after_seed_verb else (lambda t: True)
    template = say.pick(SEED_ONE if count == 1 else SEED_MANY, keep)
    return say.fill(template, s=singular, p=plural, an=language.article(singular))


def seed_of(say: Say, kind: str, count: int, after_seed_verb: bool = False) -> str:
    return seed_words(say, *language.seed_names(kind), count, language.seed_synonyms(kind), after_seed_verb)


def frame_keep(target: Target, verb_first: bool) -> Callable[[str], bool]:
    """Frames a target can take: a pronoun cannot be a subject ('them could use a drink')."""
    def keep(frame: str) -> bool:
        if target.pronoun and frame.startswith("{np}"):
            return False
        return frame.startswith(VERB_SLOTS) or not verb_first
    return keep


def plant(say: Say, target: Target, kind: str, verb_first: bool = False, seed: str | None = None) -> Command:
    frame = say.pick(PLANT, frame_keep(target, verb_first))
    verb = say.pick(PLANT_VERB) if "{verb}" in frame else ""
    text = say.fill(frame, verb=verb, fill=lambda: say.pick(FILL_VERB), np=lambda: target.np,
                    where=lambda: where(say, target),
                    seed=seed or (lambda: seed_of(say, kind, len(target.plots), after_seed_verb=verb == "seed")))
    return Command(text, [call("plant_seed", target.plots, kind)], frame.startswith(VERB_SLOTS))


def water(say: Say, target: Target, verb_first: bool = False) -> Command:
    frame = say.pick(WATER, frame_keep(target, verb_first))
    text = say.fill(frame, verb=lambda: say.pick(WATER_VERB), np=target.np)
    return Command(text, [call("water_plots", target.plots)], frame.startswith(VERB_SLOTS))


def harvest(say: Say, target: Target, verb_first: bool = False) -> Command:
    frame = say.pick(HARVEST, frame_keep(target, verb_first))
    text = say.fill(frame, verb=lambda: say.pick(HARVEST_VERB), np=target.np)
    return Command(text, [call("harvest_plots", target.plots)], frame.startswith(VERB_SLOTS))


def some_tool(say: Say) -> str:
    return say.rng.choices(list(TOOL_WEIGHTS), weights=list(TOOL_WEIGHTS.values()))[0]


def some_seed(say: Say, other_than: str | None = None) -> str:
    return say.rng.choice([s for s in tools.SEEDS if s != other_than] or list(tools.SEEDS))


def act(say: Say, tool: str, target: Target, verb_first: bool = False, kind: str | None = None) -> Command:
    if tool == "plant_seed":
        return plant(say, target, kind or some_seed(say), verb_first)
    return (water if tool == "water_plots" else harvest)(say, target, verb_first)


def wrap(say: Say, cmd: Command) -> str:
    return say.fill(say.pick(WRAP if cmd.verb_first else WRAP_VERBLESS), cmd=cmd.text)


# --- how it is typed or heard ------------------------------------------------------------------------------------


def render(say: Say, text: str) -> str:
    return transcript(say, text) if say.spoken else typed(say, text)


def typed(say: Say, text: str) -> str:
    """Typed input: sometimes capitalised, sometimes with an end mark."""
    if text.startswith(("could you", "can you", "would you")) and say.chance(0.6):
        text += "?"
    elif not text.endswith("?") and say.chance(0.25):
        text += "." if say.chance(0.85) else "!"
    if say.chance(0.5):
        text = re.sub(r"\bi\b", "I", text[:1].upper() + text[1:])
    return text


def transcript(say: Say, text: str) -> str:
    """What a speech recogniser writes: lowercase words, no punctuation but in-word apostrophes,
    numbers as words (Say already spoke them), homophones, split compounds, fillers and stutters."""
    text = re.sub(r"[^a-z' ]", " ", text.lower().replace("-", " "))
    words = [hear(say, w) for w in re.sub(r"(?<![a-z])'|'(?![a-z])", " ", text).split()]
    if say.chance(0.4):
        words.insert(0, say.pick(FILLER_START))
    if len(words) > 3 and say.chance(0.15):
        words.insert(say.rng.randint(1, len(words) - 1), say.pick(FILLER_MID))
    if say.chance(0.12):
        words.append(say.pick(FILLER_END))
    if len(words) > 2 and say.chance(0.06):
        i = say.rng.randrange(len(words))
        words.insert(i, words[i])  # a stutter: "water water row two"
    return " ".join(words)


def hear(say: Say, word: str) -> str:
    heard = HEARD.get(word)
    if heard is None or not say.chance(0.22):
        return word
    if not heard.seen and say.split != "test":
        return word
    return say.pick(heard)


# --- categories --------------------------------------------------------------------------------------------------


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
    return Draft(render(say, wrap(say, cmd)), cmd.calls)


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
    return Draft(render(say, text), [c for step in steps for c in step.calls])


def two_seeds(say: Say, g: Grid, a: Target) -> Draft | None:
    b = pick_target(say, g, SIMPLE_TARGETS)
    if set(a.plots) & set(b.plots):
        return None  # two kinds cannot share a plot
    first = some_seed(say)
    second = some_seed(say, other_than=first)
    text = say.fill(say.pick(TWO_SEEDS), verb=lambda: say.pick(PLANT_VERB),
                    seed1=seed_of(say, first, len(a.plots)), where1=where(say, a),
                    seed2=seed_of(say, second, len(b.plots)), where2=where(say, b))
    return Draft(render(say, text), [call("plant_seed", a.plots, first), call("plant_seed", b.plots, second)])


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
        return {"utterance": render(say, text), "calls": [c for s in steps for c in s.calls]}
    tool = "plant_seed" if roll < 0.65 else ("water_plots" if roll < 0.9 else "harvest_plots")
    cmd = act(say, tool, target)
    return {"utterance": render(say, wrap(say, cmd)), "calls": cmd.calls}


def chat_exchange(say: Say) -> dict:
    return {"utterance": render(say, say.pick(CHAT)), "calls": [], "reply": say.rng.choice(REPLIES["chat"])}


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
            history.append({"utterance": render(past, text), "calls": calls})
    text, calls = follow_up_step(say, g, history)
    return Draft(render(say, text), calls, history)


def no_call(say: Say, g: Grid, outside_weight: float = 3) -> Draft:
    kind = say.rng.choices(("chat", "question", "unknown_plant", "outside", "unsupported"),
                           weights=(2, 2.5, 2, outside_weight, 2))[0]
    return {"chat": chat, "question": question, "unknown_plant": unknown_plant,
            "outside": outside, "unsupported": unsupported}[kind](say, g)


def chat(say: Say, g: Grid) -> Draft:
    return Draft(render(say, say.pick(CHAT)), [], reply=say.rng.choice(REPLIES["chat"]))


def question(say: Say, g: Grid) -> Draft:
    singular, plural = language.seed_names(some_seed(say))
    text = say.fill(say.pick(QUESTION), n=lambda: say.num(say.rng.randint(1, g.size)), s=singular, p=plural,
                    r=lambda: say.num(say.rng.randint(1, g.rows)))
    return Draft(render(say, text), [], reply=say.rng.choice(REPLIES["question"]))


def seeds_sentence() -> str:
    names = [language.seed_names(s)[1] for s in tools.SEEDS]
    return ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]


def unknown_plant(say: Say, g: Grid) -> Draft:
    """'plant a tree in plot 5': not a seed kind of this game."""
    thing = say.pick(OTHER_PLANT, keep=lambda p: p not in tools.SEEDS)
    target = pick_target(say, g, SIMPLE_TARGETS)
    cmd = plant(say, target, tools.SEEDS[0], seed=seed_words(say, thing, language.plural(thing), len(target.plots)))
    return Draft(render(say, wrap(say, cmd)), [], reply=f"I can only plant {seeds_sentence()}.")


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
    return Draft(render(say, wrap(say, cmd)), [], reply=garden_prompt.outside_reply(g.rows, g.cols, what))


def unsupported(say: Say, g: Grid) -> Draft:
    singular, plural = language.seed_names(some_seed(say))
    text = say.fill(say.pick(UNSUPPORTED), np=lambda: pick_target(say, g, SIMPLE_TARGETS).np, s=singular, p=plural)
    return Draft(render(say, text), [], reply=say.rng.choice(REPLIES["unsupported"]))


# --- commands about what is on the board ---------------------------------------------------------------------------

# Which plots a BOARD_PHRASES entry names: (kind, stage) of a planted plot, or None for an empty one.
SELECTIONS: dict[str, Callable[[tuple | None, str | None], bool]] = {
    "bloom": lambda plot, kind: plot is not None and plot[1] == "bloom",
    "kind_bloom": lambda plot, kind: plot == (kind, "bloom"),
    "seed": lambda plot, kind: plot is not None and plot[1] == "seed",
    "sprout": lambda plot, kind: plot is not None and plot[1] == "sprout",
    "growing": lambda plot, kind: plot is not None and plot[1] != "bloom",
    "kind": lambda plot, kind: plot is not None and plot[0] == kind,
    "planted": lambda plot, kind: plot is not None,
    "empty": lambda plot, kind: plot is None,
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
        return Draft(render(say, wrap(say, cmd)), [], reply=NOTHING[name], board=board)
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
    return Draft(render(say, text), [c for step in steps for c in step.calls], board=board)


BUILDERS: dict[str, Callable[[Say, Grid], "Draft | None"]] = {
    **{name: (lambda fams: lambda say, g: command(say, g, fams))(fams) for name, fams in FAMILIES.items()},
    "multi_action": multi_action,
    "follow_up": follow_up,
    "no_call": no_call,
    "board_state": board_state,
}


def draft(rng: random.Random, split: str, category: str) -> tuple[Draft | None, Grid, Say]:
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
        # (Not in the test split yet, so the committed one stays the default run's; see this file's docstring.)
        made.history = [opening(say.twin(), grid)]
    if made is not None and made.board is None and not made.history and split != "test" and rng.random() < BOARD_CHANCE:
        made.board = random_board(rng, grid)  # a command about plots, said over a planted garden
    return made, grid, say


# --- splits ------------------------------------------------------------------------------------------------------


def to_case(made: Draft, grid: Grid, category: str) -> dict:
    case = {"category": category, "grid": {"rows": grid.rows, "cols": grid.cols}}
    if made.board:
        case["board"] = {str(tools.plot_number(r, c, grid.cols)): f"{kind} {stage}"
                         for (r, c), (kind, stage) in sorted(made.board.items())}
    if made.history:
        case["history"] = made.history
    case.update(utterance=made.utterance, calls=made.calls)
    if made.reply:
        case["reply"] = made.reply
    return case


def problems(case: dict) -> list[str]:
    """Why a case is not a valid expectation (a bug in this file if not empty)."""
    rows, cols = case["grid"]["rows"], case["grid"]["cols"]
    found = [] if tools.check_grid_size(rows, cols) is None else ["bad grid"]
    problem = check_case(case)
    if problem:
        found.append(problem)
    for calls in [case["calls"]] + [h["calls"] for h in case.get("history", [])]:
        for c in calls:
            found += tools.validate_call(c["name"], c["arguments"], rows, cols)
            spots = [(p["row"], p["col"]) for p in c["arguments"]["plots"]]
            if spots != sorted(set(spots)):
                found.append(f"plots not unique and in reading order: {spots}")
    return found


def key(case: dict) -> tuple:
    history = tuple(h["utterance"] for h in case.get("history", []))
    board = tuple(sorted((case.get("board") or {}).items()))
    return case["utterance"], case["grid"]["rows"], case["grid"]["cols"], history, board


def generate(split: str, count: int, seed: int, avoid: set[str] = frozenset(),
             balanced: bool | None = None, weights: dict[str, float] | None = None,
             categories: tuple[str, ...] = CATEGORIES) -> list[dict]:
    """`count` distinct cases of one split. `avoid`: utterances the split must not contain (the
    test split avoids every train utterance). Test is balanced over `categories`, the others weighted
    by TRAIN_WEIGHTS, or by `weights` where it names a category."""
    rng = random.Random(f"garden-{seed}-{split}")
    weights = TRAIN_WEIGHTS | (weights or {})
    balanced = split == "test" if balanced is None else balanced
    cases, keys = [], set()
    for i in range(count):
        category = categories[i % len(categories)] if balanced else rng.choices(
            list(weights), weights=list(weights.values()))[0]
        for _ in range(500):
            made, grid, say = draft(rng, split, category)
            if made is None or len(made.utterance.split()) > MAX_WORDS:
                continue
            if split == "test" and not say.novel:
                continue  # every test utterance says something training never heard
            case = to_case(made, grid, category)
            if key(case) in keys or case["utterance"] in avoid:
                continue
            found = problems(case)
            if found:
                raise AssertionError(f"generated an invalid case {case}: {found}")
            cases.append(case)
            keys.add(key(case))
            break
        else:
            raise RuntimeError(f"could not make a new {category} case for {split}; the pools are too small")
    rng.shuffle(cases)
    for i, case in enumerate(cases, 1):
        case["id"] = f"{split}-{i:05d}"
    return cases


def handwritten(data_dir: Path = DATA_DIR) -> list[dict]:
    """Cases people wrote by hand in data_dir/*.jsonl (never the test split), checked like generated ones."""
    cases = []
    for path in sorted(data_dir.glob("*.jsonl")):
        if path.name == "test.jsonl":
            continue
        for case in load_cases(path, check=_problems_in_default_grid):
            case.setdefault("grid", {"rows": DEFAULT_GRID.rows, "cols": DEFAULT_GRID.cols})
            cases.append(case)
    return cases


def _problems_in_default_grid(case: dict) -> str | None:
    found = problems({"grid": {"rows": DEFAULT_GRID.rows, "cols": DEFAULT_GRID.cols}} | case)
    return f"{case['utterance']!r}: {'; '.join(found)}." if found else None


def build_splits(train: int, val: int, test: int, seed: int, extra: list[dict] | None = None,
                 weights: dict[str, float] | None = None) -> dict[str, list[dict]]:
    """All three splits. `extra` (hand-written cases) joins train only; val and test avoid repeating train.
    `weights` changes the mix of the train split only (val keeps TRAIN_WEIGHTS, so runs compare)."""
    splits = {"train": generate("train", train, seed, weights=weights)}
    if extra:
        splits["train"] += extra
        random.Random(f"garden-{seed}-mix").shuffle(splits["train"])
    seen = {c["utterance"] for c in splits["train"]}
    splits["val"] = generate("val", val, seed, avoid=seen)
    splits["test"] = generate("test", test, seed, avoid=seen)
    return splits


def write_cases(path: Path, cases: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    order = ("id", "category", "grid", "board", "history", "utterance", "calls", "reply")
    lines = [json.dumps({k: c[k] for k in order if k in c} | {k: v for k, v in c.items() if k not in order},
                        ensure_ascii=False) for c in cases]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def parse_weights(text: str) -> dict[str, float]:
    """"large_grid=26,everything=16" -> {"large_grid": 26.0, "everything": 16.0}, or a CaseError that says why."""
    weights = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, _, value = item.partition("=")
        if name not in TRAIN_WEIGHTS:
            raise CaseError(f"--weights: no category {name!r}; the categories are {', '.join(TRAIN_WEIGHTS)}")
        try:
            weights[name] = float(value)
        except ValueError:
            raise CaseError(f"--weights: {item!r} is not CATEGORY=NUMBER") from None
        if weights[name] < 0:
            raise CaseError(f"--weights: {name}'s weight must not be negative")
    return weights


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.generate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DATA_DIR / "generated", help="folder for train/val/test.jsonl")
    for split in SPLITS:
        parser.add_argument(f"--{split}", type=int, default=DEFAULT_SIZES[split], help=f"{split} cases to generate")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-handwritten", action="store_true", help=f"leave out the cases in {DATA_DIR}/*.jsonl")
    parser.add_argument("--cases-dir", type=Path, default=DATA_DIR, help="where the hand-written *.jsonl files are")
    parser.add_argument("--weights", default="", metavar="CAT=W,...",
                        help="change the train split's category weights, e.g. large_grid=26,everything=16")
    args = parser.parse_args(argv)
    try:
        extra = [] if args.no_handwritten else handwritten(args.cases_dir)
        weights = parse_weights(args.weights)
    except CaseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    splits = build_splits(args.train, args.val, args.test, args.seed, extra, weights)
    for split, cases in splits.items():
        write_cases(args.out / f"{split}.jsonl", cases)
        counts = Counter(c.get("category", "-") for c in cases)
        print(f"{split}: {len(cases)} cases -> {args.out / f'{split}.jsonl'}  "
              + ", ".join(f"{k} {counts[k]}" for k in sorted(counts)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
