"""Places a command names by their shape, and which plots they are on a rows x cols garden.

"the top row", "the leftmost column", "both diagonals", "the rim", "the lower left corner",
"everything but the corners": named_places() reads them out of what was said, for the grid the
command is for, so the prompt can list their plots next to the words (garden.brain.prompt). The
geometry is here once: the training generator names its targets with the same functions, so a
line in the prompt and the answer the data expects agree by construction.

Words only, no model: the same reading for the game, the eval and the training data. Plot numbers
are read by language.plot_numbers_said (the prompt lists them on their own line); here they only
count as what an "except" leaves out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from garden import language, tools

Plots = tuple  # of (row, col) in reading order, no repeats

# --- geometry -------------------------------------------------------------------------------------


def grid(rows: int, cols: int, keep=lambda r, c: True) -> Plots:
    return tuple((r, c) for r in range(1, rows + 1) for c in range(1, cols + 1) if keep(r, c))


def union(*groups: Plots) -> Plots:
    return tuple(sorted(set().union(*groups)))


def row(rows: int, cols: int, i: int) -> Plots:
    return grid(rows, cols, lambda r, c: r == i)


def column(rows: int, cols: int, i: int) -> Plots:
    return grid(rows, cols, lambda r, c: c == i)


def side(rows: int, cols: int, pos: str) -> Plots:
    """The plots along one side: "top", "bottom", "left" or "right"."""
    return {"top": row(rows, cols, 1), "bottom": row(rows, cols, rows),
            "left": column(rows, cols, 1), "right": column(rows, cols, cols)}[pos]


def corner(rows: int, cols: int, v: str, h: str) -> Plots:
    return ((1 if v == "top" else rows, 1 if h == "left" else cols),)


def corners(rows: int, cols: int) -> Plots:
    return union(((1, 1), (1, cols), (rows, 1), (rows, cols)))


def corner_pair(rows: int, cols: int, pos: str) -> Plots:
    """The two corners on one side: "the top corners", "both left corners"."""
    return tuple(p for p in corners(rows, cols) if p in side(rows, cols, pos))


def centre(rows: int, cols: int) -> Plots:
    """The middle plot; none on a grid with an even side."""
    return () if rows % 2 == 0 or cols % 2 == 0 else (((rows + 1) // 2, (cols + 1) // 2),)


def middle_lines(count: int) -> list[int]:
    """The middle row or column of `count`, or the middle two where `count` is even."""
    return [(count + 1) // 2] if count % 2 else [count // 2, count // 2 + 1]


def middle_line(count: int) -> int | None:
    """The middle row or column of `count`, when there is a single one."""
    return middle_lines(count)[0] if count % 2 == 1 and count > 2 else None


def edge_middle(rows: int, cols: int, pos: str) -> Plots:
    """The middle plot of one side ("the top middle"); none where that side is even."""
    if pos in ("top", "bottom"):
        mid = middle_line(cols)
        return () if mid is None else ((1 if pos == "top" else rows, mid),)
    mid = middle_line(rows)
    return () if mid is None else ((mid, 1 if pos == "left" else cols),)


def diagonal(rows: int, cols: int, which: str) -> Plots:
    """"main" (top left to bottom right), "anti" or "both"; only a square garden has them."""
    if rows != cols:
        return ()
    main = grid(rows, cols, lambda r, c: r == c)
    anti = grid(rows, cols, lambda r, c: r + c == cols + 1)
    return {"main": main, "anti": anti, "both": union(main, anti)}[which]


def border(rows: int, cols: int) -> Plots:
    """The outer ring; none on a garden so thin that every plot is on it."""
    if rows < 3 or cols < 3:
        return ()
    return grid(rows, cols, lambda r, c: r in (1, rows) or c in (1, cols))


def inside(rows: int, cols: int) -> Plots:
    return grid(rows, cols, lambda r, c: 1 < r < rows and 1 < c < cols)


def half(rows: int, cols: int, pos: str) -> Plots:
    """"top", "bottom", "left" or "right" half; none along an odd side."""
    size = rows if pos in ("top", "bottom") else cols
    if size % 2:
        return ()
    keep = {"top": lambda r, c: r <= rows // 2, "bottom": lambda r, c: r > rows // 2,
            "left": lambda r, c: c <= cols // 2, "right": lambda r, c: c > cols // 2}[pos]
    return grid(rows, cols, keep)


# --- reading what was said ------------------------------------------------------------------------

# Direction words by what they mean (the generator's pools draw on the same words).
DIRECTIONS = {
    "top": ("top", "upper", "uppermost", "topmost", "highest", "north"),
    "bottom": ("bottom", "lower", "lowest", "bottommost", "south"),
    "left": ("left", "leftmost", "west"),
    "right": ("right", "rightmost", "east"),
}
_DIRECTION = {word: pos for pos, words in DIRECTIONS.items() for word in words}
_MIDDLE = ("middle", "centre", "center", "central")
# "first"/"last" name a row or a column by its place: the first row is the top one.
_ENDS = {"first": ("top", "left"), "last": ("bottom", "right"), "final": ("bottom", "right")}
EXCEPT_WORDS = ("except for", "except", "apart from", "other than", "excluding", "save for", "save", "but", "besides")
# Words that make "but" mean "except": "all but row 2", "the whole garden but the lowest row".
_WHOLE = ("all", "every", "everything", "everywhere", "whole", "entire", "garden", "lot", "each", "full")


@dataclass(frozen=True)
class Place:
    name: str  # as the prompt shows it: "row 1", "corners", "all but column 2"
    plots: Plots
    listed: bool = True  # False for single plots named by coordinates: only an "except" lists them


_HESITATIONS = {"um", "uh", "er", "erm", "hmm"}
_PLANTS = {w for kind in tools.SEEDS for name in (*language.seed_names(kind), *language.seed_synonyms(kind))
           for w in name.split()} | {w for p in language.OTHER_PLANTS for w in p.split()}
# Numbers a recogniser writes as other words ("row too", "column won"); read as numbers only after
# a word that counts things, or inside a list of numbers.
_HEARD_NUMBERS = {h: w for w in ("one", "two", "four", "eight") for h in language.HOMOPHONES[w]}
_COUNTED = {*language.ROW_WORDS, *language.COLUMN_WORDS, *language.PLOT_NOUNS,
            *map(language.plural, language.PLOT_NOUNS), "number", "numbers", "numbered", "roe", "roes", "rho"}


def _is_number(token: str) -> bool:
    return token.isdigit() or language.number_at([token], 0) is not None and token not in _HEARD_NUMBERS


def _normal(text: str) -> str:
    """Lowercase words, numbers as n<value> (cardinal) or o<value> (ordinal), what recognisers
    mishear ("roe", "hole") as the word meant, and words that add nothing here dropped."""
    text = re.sub(r"\((\d+)\s*,\s*(\d+)\)", r" row \1 column \2 ", text.lower())  # "(2,3)"
    text = re.sub(r"\b([rc])(\d+)\s*([rc])(\d+)\b",
                  lambda m: " ".join(("row " if k == "r" else "column ") + v for k, v in (m.group(1, 2), m.group(3, 4))),
                  text)  # "r2c3", "c3 r2"
    heard = {h: w for w in ("row", "rows", "whole", "right") for h in language.HOMOPHONES[w]}
    tokens = [heard.get(t, t) for t in re.findall(r"[a-z0-9]+|[.,;]", text.replace("-", " ")) if t not in _HESITATIONS]
    tokens = [t for i, t in enumerate(tokens) if not i or t != tokens[i - 1]]  # "from from", "plot plot"
    for i, token in enumerate(tokens[1:], 1):  # "row too", "column won", "beds nine for and five"
        after = tokens[i + 1] if i + 1 < len(tokens) else ""
        listed = token in ("won", "ate") or after in ("and", ",")  # "nine for and five", not "five too"
        ordinal = i > 1 and language.number_at(tokens, i - 2) and language.number_at(tokens, i - 2)[1]
        if token in _HEARD_NUMBERS and after != "me" and (
                (tokens[i - 1] in _COUNTED and not ordinal)  # "row too", not "the first column too"
                or (listed and (_is_number(tokens[i - 1])
                                or (tokens[i - 1] in ("and", ",") and i > 1 and _is_number(tokens[i - 2]))))):
            tokens[i] = _HEARD_NUMBERS[token]
    out: list[str] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token in ("very", "far", "hand", "dead", "most"):
            i += 1
            continue
        if token == "one" and out and (out[-1] in _DIRECTION or out[-1] in _MIDDLE or out[-1] in _ENDS
                                       or out[-1] in ("other", "same", "this", "that", "each", "the")):
            out.append(token)  # "the bottom one": a pronoun, not a number
            i += 1
            continue
        number = language.number_at(tokens, i) if re.fullmatch(r"[a-z0-9]+", token) else None
        if number and not (not number[1] and tokens[i + number[2]:i + number[2] + 1] and tokens[i + number[2]] in _PLANTS):
            value, ordinal, used = number  # (a count is not a number: "column two and one tulip")
            out.append(("o" if ordinal else "n") + str(value))
            i += used
            continue
        out.append(token)
        i += 1
    return " ".join(out)


_V = "|".join(w for pos in ("top", "bottom") for w in DIRECTIONS[pos])
_H = "|".join(w for pos in ("left", "right") for w in DIRECTIONS[pos])
_POS = f"{_V}|{_H}"
_NOUN = "(?:" + "|".join(sorted({*language.PLOT_NOUNS, *map(language.plural, language.PLOT_NOUNS)}, key=len,
                                 reverse=True)) + ")"
_ROW = r"rows?"
_COL = r"columns?|cols?"
_LINE_END = rf"(?:{_ROW}|{_COL})"
_NUMS = r"n\d+(?:(?: ,)?(?: and| or)? n\d+)*"
_ORDS = r"o\d+(?:(?: ,)?(?: and| or)? o\d+)*"


def _pos(word: str) -> str:
    return _DIRECTION[word]


def _numbers(found: str) -> list[int]:
    return sorted({int(n) for n in re.findall(r"[no](\d+)", found)})


def _lines(rows: int, cols: int, axis: str, numbers: list[int]) -> Place | None:
    count = rows if axis == "row" else cols
    if not numbers or any(not 1 <= n <= count for n in numbers):
        return None  # the plot-number line, and the model, say a place is not in this garden
    pick = row if axis == "row" else column
    name = (axis if len(numbers) == 1 else axis + "s") + " " + " ".join(map(str, numbers))
    return Place(name, union(*(pick(rows, cols, n) for n in numbers)))


def _readers(rows: int, cols: int):
    """(pattern, what it names) in the order they are tried: the longer, more specific namings
    first, so "the top right to bottom left diagonal" is a diagonal, not a corner."""

    def coordinate(r: int, c: int) -> Place | None:
        if not (1 <= r <= rows and 1 <= c <= cols):
            return None
        return Place(f"row {r} column {c}", ((r, c),), listed=False)

    def named_line(word: str, axis: str) -> Place | None:
        count = rows if axis == "row" else cols
        if word in _MIDDLE:
            i = middle_line(count)
            return None if i is None else Place(f"middle {axis}", (row if axis == "row" else column)(rows, cols, i))
        pos = _ENDS[word][0 if axis == "row" else 1] if word in _ENDS else _pos(word)
        if (axis == "row") != (pos in ("top", "bottom")):
            return None  # "the left row"
        return Place(f"{pos} {axis}", side(rows, cols, pos))

    def named_pair(a: str, b: str, axis: str) -> Place | None:
        first, second = named_line(a, axis), named_line(b, axis)
        if not first or not second:
            return None
        return Place(f"{first.name.split()[0]} and {second.name.split()[0]} {axis}s", union(first.plots, second.plots))

    def diag(which: str) -> Place | None:
        plots = diagonal(rows, cols, which)
        return Place({"main": "diagonal", "anti": "other diagonal", "both": "diagonals"}[which], plots) if plots else None

    def named(name: str, plots: Plots) -> Place | None:
        return Place(name, plots) if plots else None

    line_word = rf"(?:{_POS}|{'|'.join(_MIDDLE)}|first|last|final)"
    tl, br = r"(?:top|upper|north) ?(?:left|west)", r"(?:bottom|lower|south) ?(?:right|east)"
    tr, bl = r"(?:top|upper|north) ?(?:right|east)", r"(?:bottom|lower|south) ?(?:left|west)"
    return [
        # coordinates: one plot, listed only as part of an "except"
        (rf"\brows? (?:number )?n(\d+) ,? (?:by )?(?:{_COL}) (?:number )?n(\d+)".replace(" ,?", "(?: ,)?"),
         lambda m: coordinate(int(m[1]), int(m[2]))),
        (rf"\b(?:{_COL}) (?:number )?n(\d+)(?: ,)? (?:of |in )?(?:the )?rows? (?:number )?n(\d+)",
         lambda m: coordinate(int(m[2]), int(m[1]))),
        (rf"\bo(\d+) (?:rows?)(?: ,)? (?:the )?o(\d+) (?:{_COL})", lambda m: coordinate(int(m[1]), int(m[2]))),
        (rf"\bo(\d+) (?:{_NOUN}) (?:in|within|of|on|along) (?:the )?(?:rows? n(\d+)|o(\d+) rows?)",
         lambda m: coordinate(int(m[2] or m[3]), int(m[1]))),
        (rf"\brows? n(\d+)(?: ,)? (?:{_NOUN}) n(\d+)", lambda m: coordinate(int(m[1]), int(m[2]))),
        # diagonals
        (rf"\b(?:x shape|(?:both|each|two|all|every) (?:of )?(?:the )?(?:two )?diagonals?|diagonals)",
         lambda m: diag("both")),
        (rf"\b(?:anti|other|second) diagonal|(?:{tr}|{bl}) to (?:the )?(?:{bl}|{tr}) diagonal|"
         rf"diagonal (?:going down |going up )?from (?:the )?(?:{tr}|{bl})(?: to (?:the )?(?:{bl}|{tr}))?",
         lambda m: diag("anti")),
        (rf"\b(?:(?:{tl}|{br}) to (?:the )?(?:{br}|{tl}) )?diagonal(?: (?:going down |going up )?from (?:the )?"
         rf"(?:{tl}|{br})(?: to (?:the )?(?:{br}|{tl}))?)?", lambda m: diag("main")),
        # halves and corners
        (rf"\b({_POS}) half", lambda m: named(f"{_pos(m[1])} half", half(rows, cols, _pos(m[1])))),
        (rf"\b(?:both |two |the two )?({_POS}) corners|\bcorners on the ({_POS})",
         lambda m: named(f"{_pos(m[1] or m[2])} corners", corner_pair(rows, cols, _pos(m[1] or m[2])))),
        (rf"\bcorner at the ({_V}) ({_H})|\b({_V}) ({_H})(?: corner)?",
         lambda m: named(f"{_pos(m[1] or m[3])} {_pos(m[2] or m[4])} corner",
                         corner(rows, cols, _pos(m[1] or m[3]), _pos(m[2] or m[4])))),
        (rf"\bcorners|\bcorner (?:{_NOUN})|\b(?:every|each) corner", lambda m: named("corners", corners(rows, cols))),
        # middles of sides, then lines named by their place
        (rf"\b(?:middle|centre|center) (?:{_NOUN} )?of the ({_POS})(?: (?:{_LINE_END}|side|edge))?|"
         rf"\b({_POS}) (?:middle|centre|center)(?! (?:{_LINE_END}))",
         lambda m: named(f"{_pos(m[1] or m[2])} middle", edge_middle(rows, cols, _pos(m[1] or m[2])))),
        (rf"\b({line_word}) and (?:the )?({line_word}) (rows|columns)\b",
         lambda m: named_pair(m[1], m[2], m[3][:-1])),
        (rf"\b({line_word}) (row|column) and (?:the )?({line_word}) one\b",
         lambda m: named_pair(m[1], m[3], m[2])),
        (rf"\b({line_word}) (row|column)\b", lambda m: named_line(m[1], m[2])),
        (rf"\b(row|column) at the ({line_word})\b", lambda m: named_line(m[2], m[1])),
        # lines by number
        (rf"\brows? (?:number |numbered )?({_NUMS})", lambda m: _lines(rows, cols, "row", _numbers(m[1]))),
        (rf"\b(?:{_COL}) (?:number |numbered )?({_NUMS})", lambda m: _lines(rows, cols, "column", _numbers(m[1]))),
        (rf"\b({_ORDS}) rows?\b", lambda m: _lines(rows, cols, "row", _numbers(m[1]))),
        (rf"\b({_ORDS}) (?:{_COL})\b", lambda m: _lines(rows, cols, "column", _numbers(m[1]))),
        # inside before border ("everything inside the border"), sides before border ("the left edge")
        (r"\b(?:inside the (?:border|edges?)|inside|inner|interior)",
         lambda m: named("inside", inside(rows, cols) if border(rows, cols) else ())),
        (rf"\b(?:(?:on|along) the )?({_POS}) (?:side|edge|border)s?\b|"
         rf"\b(?:on|along) the ({_POS})\b(?! (?:{_LINE_END}|half|corner|{_NOUN}))",
         lambda m: named(f"{_pos(m[1] or m[2])} side", side(rows, cols, _pos(m[1] or m[2])))),
        (rf"\b(?:edges|border|perimeter|rim|outer|outside (?:{_NOUN})|edge (?:{_NOUN}))",
         lambda m: named("border", border(rows, cols))),
        (r"\b(?:the )?(?:centre|center|middle|central)(?! (?:of|row|column|rows|columns))",
         lambda m: named("centre", centre(rows, cols))),
    ]


def _except_at(words: str) -> list[tuple[int, int]]:
    """(start, end) of each "except" in the normal text: "except", "apart from", and "but" after
    a word for the whole garden ("all but row 2", not "but water it first")."""
    found = []
    for m in re.finditer(r"\b(?:" + "|".join(EXCEPT_WORDS) + r")\b", words):
        if m.group() == "but" and not re.search(r"\b(?:" + "|".join(_WHOLE) + r")\b", _clause(words, m.start())[0]):
            continue
        found.append((m.start(), m.end()))
    return found


_VERB_WORDS = {v for verbs in language.VERBS.values() for v in verbs if v != "seed"} | {
    "give", "pour", "bring", "then", "after", "afterwards", "next", "finally", "fill", "cover", "take"}


def _clause(words: str, at: int) -> tuple[str, int, int]:
    """The clause around character `at`: from the last verb or sentence end before it to the
    next one after it. Returns (its text before `at`, its start, its end)."""
    start = 0
    for m in re.finditer(r"[a-z0-9]+|[.;]", words[:at]):
        if m.group() in _VERB_WORDS or m.group() in (".", ";"):
            start = m.end()
    end = len(words)
    for m in re.finditer(r"[a-z0-9]+|[.;]", words[at:]):
        if m.group() in _VERB_WORDS or m.group() in (".", ";"):
            end = at + m.start()
            break
    return words[start:at], start, end


def named_places(text: str, rows: int, cols: int, singles: bool = False) -> list[Place]:
    """The places what was said names by shape, in the order said, for a rows x cols garden:
    named_places("water the top row and the corners", 3, 3) -> [Place("top row", ((1, 1), (1, 2),
    (1, 3))), Place("corners", ((1, 1), (1, 3), (3, 1), (3, 3)))]. A place this garden lacks (a
    middle row on 4 rows, a diagonal off the square) is left out. After "except" (or "all but",
    "apart from"...), what is named is left out of the clause's other places, or of the whole
    garden: "everything but the corners" -> Place("all but corners", <the five others>). Single
    plots named by coordinates are left out unless `singles` (the prompt leaves them to the words;
    a question about them wants them)."""
    words = _normal(text)
    found: list[tuple[int, int, Place | None]] = []
    taken = [False] * len(words)
    for pattern, make in _readers(rows, cols):
        for m in re.finditer(pattern, words):
            if any(taken[m.start():m.end()]):
                continue
            taken[m.start():m.end()] = [True] * (m.end() - m.start())
            found.append((m.start(), m.end(), make(m)))
    found.sort(key=lambda f: f[0])
    places = [(start, place) for start, _, place in found if place is not None]
    out: list[tuple[int, Place]] = []
    excepts = _except_at(words)
    used: set[int] = set()
    for at, after in excepts:
        before, start, end = _clause(words, at)
        base = [p for s, p in places if start <= s < at and s not in used]
        left_out = [p for s, p in places if after <= s < end]
        numbers = [n for n in language.plot_numbers_said(_spoken(words[after:end])) if 1 <= n <= rows * cols]
        left_plots = union(*(p.plots for p in left_out), tuple(((n - 1) // cols + 1, (n - 1) % cols + 1)
                                                                 for n in numbers))
        if not left_plots:
            continue
        whole = union(*(p.plots for p in base)) if base else grid(rows, cols)
        names = [p.name for p in left_out] + (["plots " + " ".join(map(str, numbers))] if numbers else [])
        head = " and ".join(p.name for p in base) + " but " if base else "all but "
        out.append((start, Place(head + " and ".join(names), tuple(p for p in whole if p not in left_plots))))
        used |= {s for s, _ in places if start <= s < end}
    out += [(s, p) for s, p in places if s not in used and (p.listed or singles)]
    return [p for _, p in sorted(out, key=lambda sp: sp[0])]


def _spoken(words: str) -> str:
    """Normal text back to words plot_numbers_said reads: n7 -> 7, o7 -> 7th."""
    return re.sub(r"\b([no])(\d+)\b", lambda m: m[2] + ("th" if m[1] == "o" else ""), words)
