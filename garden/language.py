"""The garden's spoken vocabulary, in one place.

Two things are built from these tables and must agree: the training data (training/generate.py
writes sentences out of these words) and the speech recogniser's phrase list (a recogniser limited
to speech_phrases() can hear every word the model was trained on). Seed names come from
garden.tools.SEEDS, so a new seed kind is spoken with its name and a regular plural without any
change here. This module holds words only: which phrasings are held out for testing, and how
sentences are put together, is the generator's business.
"""

from __future__ import annotations

import re

from garden import tools

# --- actions ---------------------------------------------------------------------------------

# Single verbs per tool, the plain one first. "put" and "pick" mean planting or harvesting only
# with the right object; "put water on ..." is watering, so the model learns to read the object.
VERBS: dict[str, tuple[str, ...]] = {
    "plant_seed": ("plant", "sow", "put", "grow", "seed", "place", "pop", "stick"),
    "water_plots": ("water", "sprinkle", "soak", "spray", "wet", "drench", "hydrate", "douse"),
    "harvest_plots": ("harvest", "pick", "collect", "gather", "cut", "reap", "pluck"),
}
# Verbs that take the plots as their object and the seed after "with": "fill the top row with roses".
FILL_VERBS: tuple[str, ...] = ("fill", "plant", "sow", "cover")

# Whole ways to say an action, the plainest first. Slots: {verb} one of VERBS, {fill} one of
# FILL_VERBS, {np} the plots as an object ("the top row"), {where} the plots as a place ("in the top
# row", "everywhere"), {seed} the seed ("roses", "a daisy").
ACTION_PHRASES: dict[str, tuple[str, ...]] = {
    "plant_seed": ("{verb} {seed} {where}", "{where}, {verb} {seed}", "{fill} {np} with {seed}", "{seed} {where}",
                   "i want {seed} {where}", "start {seed} {where}", "{np} needs {seed}", "let's have {seed} {where}",
                   "i'd like {seed} {where}",
                   "how about {seed} {where}", "get some {seed} going {where}", "{np} should get {seed}"),
    "water_plots": ("{verb} {np}", "give {np} a drink", "give {np} some water", "sprinkle water on {np}",
                    "put water on {np}", "get some water on {np}", "{np} needs water", "{verb} {np} well",
                    "pour some water over {np}", "give {np} a good soak", "{np} could use a drink"),
    "harvest_plots": ("{verb} {np}", "{verb} the flowers in {np}", "{verb} the flowers from {np}",
                      "{verb} the blooms in {np}", "take the flowers from {np}", "{verb} everything in {np}",
                      "{verb} all the flowers in {np}", "bring in the flowers from {np}",
                      "{verb} whatever is growing in {np}"),
}

# What is on the board: ways to name plots by what grows in them, the plainest first. The model
# reads them against the prompt's board line ("Garden: bloom rose 1, daisy 5; seed tulip 6; empty 2 3 4").
# {p} is a seed kind's plural, {s} its singular. "kind_bloom" is what "harvest the roses" means:
# harvesting destroys a rose that is not in bloom yet.
BOARD_PHRASES: dict[str, tuple[str, ...]] = {
    "bloom": ("the blooms", "the flowers in bloom", "everything in bloom", "the ripe flowers", "whatever is ready",
              "the flowers that are ready", "all the blooming flowers", "the ready ones", "everything that's blooming",
              "everything that's in bloom", "the ones that are ready to pick"),
    "kind_bloom": ("the {p} in bloom", "the ripe {p}", "the {p} that are ready", "the {p}", "all the ripe {p}",
                   "the {p} that are ripe", "the {p} that have bloomed"),
    "seed": ("the seeds", "the new seeds", "the plots with seeds", "the freshly planted seeds", "the seeds in the ground",
             "the unsprouted seeds", "the fresh seeds"),
    "sprout": ("the sprouts", "the sprouting plants", "the seedlings", "the plants that have sprouted",
               "the little sprouts", "the shoots"),
    "growing": ("everything that's growing", "the plants that aren't ready yet", "whatever isn't in bloom",
                "the unripe plants", "the young plants", "everything not in bloom yet", "everything still growing",
                "the plants that are not ready"),
    "kind": ("the {p}", "all the {p}", "every {s}", "each {s}", "all of the {p}", "all my {p}"),
    "planted": ("all the plants", "everything that's planted", "every planted plot", "all the plots with plants",
                "all the occupied plots", "everything i've planted"),
    "empty": ("the empty plots", "every empty plot", "the free plots", "the empty spots", "all the empty plots",
              "the bare plots", "the unused plots"),
}
# Planting "where" for empty plots: "plant roses in the empty plots", "wherever it's empty".
EMPTY_WHERE: tuple[str, ...] = (
    "in the empty plots", "in every empty plot", "wherever it's empty", "in the free plots", "everywhere that's empty",
    "in the gaps", "in all the empty spots", "in the empty ones", "in the bare plots", "wherever there's room",
    "anywhere that's free")

# Single words that point at plots by what grows in them, by the set of plots they point at: a
# stage, "growing" (seed or sprout), "planted" (any plant) or "empty". When one is said, the
# prompt lists that set's places next to the words (garden.brain.prompt.board_places).
# Wider than BOARD_PHRASES on purpose: a player's own phrasing ("the shoots", "the gaps") should
# find its plots too. A "not" turns "in bloom" or "ready" into the growing ones ("whatever isn't in
# bloom", "the plants that aren't ready"): the line then lists both sets, and the words say which.
# "ready" alone is only the blooms, so "the ones that are ready to pick" on a garden with no bloom
# gets "bloom none" and a reply, not the growing plants to harvest. "seed" alone is a planting
# verb, so only "seeds".
BOARD_WORDS: dict[str, tuple[str, ...]] = {
    "bloom": ("bloom", "blooms", "blooming", "bloomed", "ripe", "ready", "flowering"),
    "sprout": ("sprout", "sprouts", "sprouting", "sprouted", "seedling", "seedlings", "shoot", "shoots"),
    "seed": ("seeds", "unsprouted"),
    "growing": ("growing", "unripe", "young", "not", "isn", "aren", "hasn", "haven"),
    "planted": ("plants", "planted", "occupied"),
    "empty": ("empty", "free", "bare", "unused", "gaps", "room", "unplanted", "vacant"),
}
# Before a seed kind, these make it name plants already in the ground ("all the roses", "my daisies").
BOARD_DETERMINERS: tuple[str, ...] = ("the", "all", "every", "each", "my", "those", "these", "any", "our")

# --- seeds -----------------------------------------------------------------------------------

# Extra written names for the kinds we know; a new kind simply has none.
SEED_SYNONYMS: dict[str, tuple[str, ...]] = {
    "rose": ("rose bushes",),
    "tulip": ("tulip bulbs",),
}

# Plants the player may ask for that the game does not have; the recogniser should hear them
# as themselves ("tree", not "three") so the model can say it cannot plant them.
OTHER_PLANTS: tuple[str, ...] = ("tree", "oak tree", "cactus", "carrot", "potato", "tomato", "pumpkin",
                                 "lettuce", "apple tree", "grass", "weed", "mushroom", "orchid", "lily")

# --- numbers ---------------------------------------------------------------------------------

_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
         "fifteen sixteen seventeen eighteen nineteen").split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_ORDINAL_ONES = ("zeroth first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth "
                 "thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth").split()


def number_word(n: int) -> str:
    """0..99 as spoken: 5 -> "five", 36 -> "thirty six" (no hyphen: recognisers output words)."""
    if not 0 <= n <= 99:
        raise ValueError(f"number_word covers 0..99, not {n}")
    if n < 20:
        return _ONES[n]
    tens, ones = divmod(n, 10)
    return _TENS[tens] + (f" {_ONES[ones]}" if ones else "")


def ordinal_word(n: int) -> str:
    """1..99 as an ordinal: 5 -> "fifth", 20 -> "twentieth", 32 -> "thirty second"."""
    if not 1 <= n <= 99:
        raise ValueError(f"ordinal_word covers 1..99, not {n}")
    if n < 20:
        return _ORDINAL_ONES[n]
    tens, ones = divmod(n, 10)
    if ones == 0:
        return _TENS[tens][:-1] + "ieth"  # twenty -> twentieth
    return f"{_TENS[tens]} {_ORDINAL_ONES[ones]}"


def ordinal_suffix(n: int) -> str:
    """Written ordinals: 1st, 2nd, 3rd, 11th, 22nd."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


# --- places ----------------------------------------------------------------------------------

PLOT_NOUNS: tuple[str, ...] = ("plot", "square", "spot", "patch", "tile", "cell", "bed")
ROW_WORDS: tuple[str, ...] = ("row", "rows", "line")
COLUMN_WORDS: tuple[str, ...] = ("column", "columns", "col", "cols")
POSITIONS: tuple[str, ...] = (
    "top", "bottom", "middle", "centre", "center", "central", "left", "right", "left-hand", "right-hand",
    "leftmost", "rightmost", "uppermost", "lowest", "upper", "lower", "last", "topmost", "highest",
    "bottommost", "final", "far", "north", "south", "east", "west", "corner", "corners", "diagonal",
    "diagonals", "anti diagonal", "main diagonal", "side", "sides", "edge", "edges", "border", "rim", "ring",
    "outer", "outside", "inner", "inside", "interior", "perimeter", "part", "half", "end", "very", "dead")
QUANTIFIERS: tuple[str, ...] = (
    "whole", "entire", "full", "every", "everything", "everywhere", "all", "each", "both", "lot", "rest",
    "remaining", "other", "others", "leftover", "else", "single", "except", "except for", "but", "apart from",
    "other than", "excluding", "save", "only", "just", "number", "numbers", "numbered", "no")

# --- talking ---------------------------------------------------------------------------------

FILLERS: tuple[str, ...] = (
    "um", "uh", "er", "erm", "hmm", "so", "okay", "ok", "alright", "well", "right so", "hey garden", "please",
    "thanks", "thank you", "cheers", "could you", "can you", "would you", "will you", "i want to",
    "i'd like to", "i'd like you to", "let's", "go ahead and", "kindly", "for me", "now", "just", "then",
    "next", "also", "and", "maybe")

# Words that hold commands together: articles, prepositions, pronouns, sequencing and follow-ups.
GLUE: tuple[str, ...] = (
    "the", "a", "an", "of", "in", "into", "on", "at", "to", "from", "through", "thru", "up", "until", "with",
    "along", "across", "down", "over", "around", "throughout", "between", "by", "going", "hand", "shape", "x",
    "and", "then", "first", "after", "that", "afterwards", "finally", "plus", "too", "as", "well", "once",
    "more", "time", "again", "same", "thing", "do", "it", "them", "they", "those", "these", "ones", "one",
    "there", "their", "place", "instead", "this", "likewise", "repeat", "another", "round", "make", "try",
    "some", "few", "good", "drink", "water", "flowers", "blooms", "whatever", "is", "growing", "garden",
    "should", "get", "could", "use", "have", "want", "like", "needs", "take", "well", "i", "you", "me", "my",
    "wait", "also",
    "start", "bring", "pour", "give", "seeds", "seed", "bulbs", "bushes", "plants", "if", "can", "for", "within",
    "not", "something")

# How many times the last action is to happen: "water plot 5 twice" (read by garden/repeats.py).
# Two waterings make a seed bloom, so players say it.
REPEAT_COUNTS: dict[str, int] = {"twice": 2, "two times": 2, "2 times": 2, "thrice": 3, "three times": 3,
                                 "3 times": 3, "four times": 4, "4 times": 4}

# Small talk and questions the player may say to the garden (answered in words, no call).
CHAT: tuple[str, ...] = (
    "hello", "hi", "hey", "there", "good", "morning", "evening", "night", "afternoon", "how", "are", "you",
    "what", "whats", "what's", "can", "do", "does", "did", "is", "isn't", "my", "score", "help", "bye",
    "see", "later", "nice", "lovely", "great", "cool", "love", "thanks", "up", "which", "when", "where", "why",
    "who", "long", "take", "ready", "yet", "need", "needs", "many", "watering", "work", "grow", "bloom", "next",
    "doing", "yes", "no", "ok", "sell", "buy", "dig", "weed", "prune", "move", "undo", "remove", "mow", "lawn",
    "paint", "pull", "compost", "rake", "weedkiller", "scarecrow", "shed", "fight", "mulch",
    "fertilise", "fertilize", "feed", "trim", "name", "sing", "song", "joke", "tell", "weather", "today",
    "watered", "you're", "build", "fence", "nourish", "food")

# What speech recognisers write instead of the word that was said: homophones and split compounds.
# Keyed by the intended word; the generator swaps these into speech-style transcripts.
HOMOPHONES: dict[str, tuple[str, ...]] = {
    "row": ("roe", "rho"),
    "rows": ("roes",),
    "one": ("won",),
    "two": ("to", "too"),
    "four": ("for",),
    "eight": ("ate",),
    "fourth": ("forth",),
    "sow": ("so", "sew"),
    "whole": ("hole",),
    "right": ("write",),
    "plots": ("plot's",),
    "sunflower": ("sun flower",),
    "sunflowers": ("sun flowers",),
    "daisies": ("daisy's", "daisys"),
    "tulip": ("tu lip",),
    "tulips": ("tu lips",),
}


# --- derived ---------------------------------------------------------------------------------


# Only for words the regular rule gets wrong; seed kinds normally need no entry here.
IRREGULAR_PLURALS: dict[str, str] = {"cactus": "cacti", "potato": "potatoes", "tomato": "tomatoes",
                                     "grass": "grass", "lettuce": "lettuce"}


def plural(word: str) -> str:
    """The English plural: daisy -> daisies, patch -> patches, rose -> roses, potato -> potatoes."""
    head, space, last = word.rpartition(" ")  # the last word decides: "sweet potato" -> "sweet potatoes"
    if last in IRREGULAR_PLURALS:
        return head + space + IRREGULAR_PLURALS[last]
    return tools.plural(word)


def article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def seed_names(kind: str) -> tuple[str, str]:
    """(singular, plural) for a seed kind, e.g. ("daisy", "daisies")."""
    return kind, plural(kind)


def seed_synonyms(kind: str) -> tuple[str, ...]:
    return SEED_SYNONYMS.get(kind, ())


def other_plants() -> tuple[str, ...]:
    """Plants the game does not grow (anything that became a seed kind drops out)."""
    return tuple(p for p in OTHER_PLANTS if p not in tools.SEEDS)


def board_named(text: str) -> tuple[list[str], list[str]]:
    """The sets of plots (BOARD_WORDS' keys) and the seed kinds that what was said names plots by,
    in BOARD_WORDS' and tools.SEEDS' order:
    board_named("water the roses that aren't ready") -> (["bloom", "growing"], ["rose"]).
    A kind names plots only a word or two after one like "the" or "all" ("water all the roses",
    "the ripe roses"); "plant roses" and "a rose" name a seed to plant."""
    words = re.findall(r"[a-z]+", text.lower())
    plants = {name for kind in tools.SEEDS for name in seed_names(kind)} | {w for p in OTHER_PLANTS for w in p.split()}
    # after a plant's name, "plants" and "seeds" are what to plant: "pop daisy plants in them", "pumpkin seeds";
    # "whatever is growing in row 2" is all of row 2, not the unripe plants there
    said = {word for before, word, after in zip(["", *words], words, [*words[1:], ""])
            if before not in plants and not (word == "growing" and after in ("in", "on", "at", "along", "down"))}
    sets = [name for name, group in BOARD_WORDS.items() if said & set(group)]
    after = {word for i, word in enumerate(words) if set(words[max(0, i - 2):i]) & set(BOARD_DETERMINERS)}
    kinds = [kind for kind in tools.SEEDS if after & set(seed_names(kind))]
    return sets, kinds


def largest_plot_number() -> int:
    return tools.MAX_SIZE * tools.MAX_SIZE


def _words(phrase: str) -> list[str]:
    """Recogniser words of a phrase, slots left out: lowercase letters only ("daisy's" -> "daisys",
    "left-hand" -> "left hand")."""
    return re.sub(r"[^a-z ]", "", re.sub(r"\{\w+\}", " ", phrase.lower()).replace("-", " ")).split()


def speech_phrases(misheard: bool = True) -> list[str]:
    """Every single word the garden language uses, lowercase, without punctuation, sorted: the
    vocabulary for a speech recogniser's grammar. Covers every number and ordinal up to the
    largest garden's plot count and every seed kind in garden.tools.SEEDS, and (unless
    `misheard` is false) the HOMOPHONES other recognisers write."""
    phrases: list[str] = []
    for table in (VERBS, ACTION_PHRASES, BOARD_PHRASES):
        for group in table.values():
            phrases += group
    phrases += [*FILL_VERBS, *EMPTY_WHERE]
    for kind in tools.SEEDS:
        phrases += [*seed_names(kind), *seed_synonyms(kind)]
    top = largest_plot_number()
    phrases += [number_word(n) for n in range(top + 1)] + [ordinal_word(n) for n in range(1, top + 1)]
    phrases += [*OTHER_PLANTS, *PLOT_NOUNS, *map(plural, PLOT_NOUNS), *ROW_WORDS, *COLUMN_WORDS]
    phrases += [*POSITIONS, *QUANTIFIERS, *FILLERS, *GLUE, *CHAT, *REPEAT_COUNTS]
    for word, heard in HOMOPHONES.items():
        phrases += [word, *heard] if misheard else [word]
    return sorted({w for phrase in phrases for w in _words(phrase)})


# --- plot numbers in what was said ------------------------------------------------------------


def _number_tables() -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    """The one-word numbers number_word and ordinal_word write, read back."""
    ones = {number_word(n): n for n in range(1, 20)}
    tens = {number_word(n): n for n in range(20, 100, 10)}
    ordinals = {ordinal_word(n): n for n in (*ones.values(), *tens.values())}  # "first" .. "ninetieth"
    # What recognisers write for them ("twenty won", "the forth row"); "to", "for" and "won" alone
    # are words, so they count only after a tens word.
    ordinals |= {h: ordinals[word] for word, heard in HOMOPHONES.items() if word in ordinals for h in heard}
    return ones, tens, ordinals


_CARDINALS, _TENS_WORDS, _ORDINALS = _number_tables()
_HEARD_ONES = {h: word for word, heard in HOMOPHONES.items() if word in _CARDINALS for h in heard}
_DIGITS = re.compile(r"#?(\d+)(st|nd|rd|th)?")


def number_at(tokens: list[str], i: int) -> tuple[int, bool, int] | None:
    """The number that starts at tokens[i] as (value, is_ordinal, tokens used), or None:
    "7", "#3", "22nd", "seven", "twenty two", "twenty second", "fourteenth"."""
    token = tokens[i]
    found = _DIGITS.fullmatch(token)
    if found:
        return int(found.group(1)), bool(found.group(2)), 1
    if token in _TENS_WORDS:
        after = tokens[i + 1] if i + 1 < len(tokens) else ""
        after = _HEARD_ONES.get(after, after)
        if _CARDINALS.get(after, 99) <= 9:
            return _TENS_WORDS[token] + _CARDINALS[after], False, 2
        if _ORDINALS.get(after, 99) <= 9:
            return _TENS_WORDS[token] + _ORDINALS[after], True, 2
        return _TENS_WORDS[token], False, 1
    if token in _CARDINALS:
        return _CARDINALS[token], False, 1
    if token in _ORDINALS:
        return _ORDINALS[token], True, 1
    return None


def plot_numbers_said(text: str) -> list[int]:
    """The plot numbers a command names, in the order said, each once: "tiles 1, 3 and 7", "cell
    number seven", "patch #3", "the fourteenth spot", "beds numbered six ten and twelve", "the
    eighth and tenth beds". Numbers of rows and columns are not plot numbers ("row 2", "the
    second column", "rows numbered one and three", "the first patch within row three", "r2 c3"),
    nor are counts ("one tulip"). The prompt shows where each named plot is (garden.brain.prompt),
    so the model copies a plot's place instead of working it out, which it gets wrong on grids
    that are not 3 wide. Words only, no grid: the same rule for the training data and the game.

    Each number belongs to the last head word before it: a plot noun or "number(ed)" makes what
    follows plot numbers, a row or column word makes them line numbers, and any other word ends
    the list ("and", "the", "from", "to" carry it on). An ordinal also looks at the noun after it."""
    tokens = re.findall(r"[a-z0-9#]+", text.lower())
    nouns = {*PLOT_NOUNS, *map(plural, PLOT_NOUNS)}
    numbering = {"number", "numbers", "numbered", "no", "nos"}
    lines = {*ROW_WORDS, *COLUMN_WORDS, "lines", *HOMOPHONES["row"], *HOMOPHONES["rows"]}
    seed_words = {w for kind in tools.SEEDS for name in (*seed_names(kind), *seed_synonyms(kind)) for w in name.split()}
    carry = {"and", "or", "then", "plus", "also", "as", "well", "from", "through", "till", "until", "the", "to"}

    def noun_after(j: int) -> str:
        """What an ordinal counts: "plot", "line", or "" ("the eighth and tenth beds" -> plot,
        "the first patch within row three" -> line, "the second row" -> line)."""
        while j < len(tokens):
            number = number_at(tokens, j)
            if not number and tokens[j] not in ("and", "or"):
                break
            j += number[2] if number else 1
        noun = tokens[j] if j < len(tokens) else ""
        if noun in lines:
            return "line"
        if noun in nouns:  # "the first plot within row 3", "the 3rd patch of the third row"
            rest = [t for t in tokens[j + 1:j + 6] if t != "the" and not number_at([t], 0)]
            within = len(rest) >= 2 and rest[0] in ("in", "within", "of", "on", "along", "by") and rest[1] in lines
            return "line" if within else "plot"
        return ""

    found: list[int] = []
    mode, i = None, 0
    while i < len(tokens):
        number = number_at(tokens, i)
        if number is None:
            word = tokens[i]
            if word in nouns and mode == "line" and i and number_at(tokens, i - 1):
                pass  # "row 2, plot 3": the plot in row 2's third column
            elif word in nouns or (word in numbering and mode != "line"):
                mode = "plot"
            elif word in lines:
                mode = "line"
            elif word not in carry and word not in numbering:
                mode = None
            i += 1
            continue
        value, ordinal, used = number
        if not ordinal and i + used < len(tokens) and tokens[i + used] in seed_words:
            i += used  # a count: "spot 6 and one daisy in bed 8"
            continue
        if ordinal:
            mode = noun_after(i + used) or mode
        if mode == "plot" and value not in found:
            found.append(value)
        i += used
    return found
