"""Phrasing pools of the generated cases: every way the data may say one thing, and which of them only the
test split may use (`Pool.held_out`), so that no test utterance can appear in training."""

from __future__ import annotations

from dataclasses import dataclass

from garden import language


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
