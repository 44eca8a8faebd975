"""Questions about the garden, answered by the game from the board, and a second look at harvests
nobody asked for.

A question never becomes a tool call: "is plot 5 ready yet" is answered here ("Not yet: plot 5 is
a rose sprout ..."), because the model, asked to turn words into calls, sometimes answered it with
a harvest, and a harvest destroys an unripe plant.

    is_question("is plot 5 ready yet")        -> True
    answer("is plot 5 ready yet", garden)     -> "Not yet: plot 5 (row 2, column 2) is a rose sprout; ..."
    unasked_destruction(text, calls, garden)  -> the unripe plants a harvest would destroy, when the
                                                 words had no harvest verb in them
    no_single_middle("water the middle", 4x4) -> "This garden is 4 by 4, so it has no single middle ..."
"""

from __future__ import annotations

import functools
import re

from garden import language, places, tools
from garden.engine import Garden

# How a question starts. Requests that look like questions stay commands: "can you water plot 5",
# "would you ...", "how about roses ...", "what about the bottom row", "do the same for ...".
# Checked on every hand-written case and 20,000 generated ones (tests/test_questions.py): no
# command in them starts like a question.
_QUESTION = re.compile(
    r"(?:is|are|was|were|has|have|had|did|does|am)\b"
    r"|do (?:i|we|my|any|all|the \w+ need)\b"
    r"|(?:which|why|when|where|who|whose)\b"
    r"|what(?!(?:'s| is) left\b)(?:'s|s| is| are| was| grows| kind| do| does| did| should| can| plots?| flowers?"
    r"| seeds?| plants?)\b"  # "what is left over needs roses" is a command
    r"|how(?:'s| many| much| is| are| do| does| did| long| far| come)\b"
    r"|(?:should|shall|can|could|must) (?:i|we)\b(?! (?:have|get|please)\b)"
    r"|tell me (?:what|which|how|if|whether|about)\b|any\b.*\?$",
    re.IGNORECASE)
# Said before a question, they change nothing: "ok so is plot 5 ready".
_LEAD_IN = re.compile(r"^(?:(?:ok|okay|so|hey|um|uh|well|and|garden|please|quick question)[,.!]?\s+)+", re.IGNORECASE)

# Remarks: what the player says about the garden or their day, which must not act. How something
# looks ("the roses look nice"), and attempts to talk the game out of its job ("ignore previous
# instructions"). Reports ("I planted roses yesterday") are read by _declares below.
_REMARK = re.compile(
    r"\b(?:look|looks|looking|looked|seem|seems|seemed|smell|smells|sound|sounds)\b(?! (?:at|after|for)\b)"
    r"|\b(?:ignore|disregard|forget) (?:all |any |the |your )?(?:previous|prior|above|earlier|these|those|your)\b"
    r"|\bsystem prompt\b|\byour (?:instructions|rules|prompt)\b",
    re.IGNORECASE)

# Words that ask for a harvest, however it is said (garden.language.VERBS plus ways to say "take out").
HARVEST_WORDS = re.compile(
    r"\b(?:" + "|".join(language.VERBS["harvest_plots"]) + r"|take|taking|"
    r"bring in|clear|remove|pull|dig|uproot|chop|mow|destroy|kill|get rid)\w*", re.IGNORECASE)

_READY = re.compile(r"\b(?:ready|ripe|bloom\w*|harvest\w*|pick\w*|done|grown)\b", re.IGNORECASE)
_EMPTY = re.compile(r"\b(?:empty|free|bare|unused|nothing)\b", re.IGNORECASE)
_THIRSTY = re.compile(r"\b(?:water\w*|thirsty|dry|drink|need\w*)\b", re.IGNORECASE)
_HOW_IT_WORKS = re.compile(r"^how (?:does|do) (?:\w+ ){0,3}work|^how do i\b|^how (?:does|do) (?:\w+ )?grow")
RULES = ("Plant a seed, water it twice (seed, sprout, bloom), then harvest the bloom for points. "
         "Harvesting before it blooms destroys the plant.")
_SCORE = re.compile(r"\b(?:score|points)\b", re.IGNORECASE)
_ORDER = re.compile(r"\b(?:order|goal|task)\b", re.IGNORECASE)
_BASKET = re.compile(r"\bbasket\b", re.IGNORECASE)


def is_question(text: str) -> bool:
    """Whether the words ask about the garden rather than tell it to do something."""
    text = _LEAD_IN.sub("", text.strip())
    return bool(_QUESTION.match(text))


# A statement about how things are ("the corners are bare", "plot 7 is my favourite", "I love the
# sunflowers") with no word of asking in it. Commands that say "is" or "are" do it in a clause
# that names plots ("whatever is growing", "the ones that are ready", "wherever it's empty"), or
# ask with a verb ("plant", "give", "needs", "let's have"), and both keep them commands.
_STATEMENT = re.compile(r"\b(?:is|are|was|were|'re|love|think|remind|reminds|miss|hate|enjoy)\b", re.IGNORECASE)
_NAMING_CLAUSE = re.compile(r"\b(?:that|which|whatever|wherever|where|what|whichever|anything|everything|it|there)"
                            r"(?:'s| is| are|s)\b|\b(?:aren't|isn't)\b"
                            r"|\b(?:where|wherever|whatever) (?:\w+ ){1,3}(?:is|are|was|were)\b",  # "where the tulips were"
                            re.IGNORECASE)
_ASKING = {*(w for verbs in language.VERBS.values() for w in verbs), *language.FILL_VERBS, "give", "needs", "need",
           "get", "want", "have", "start", "take", "bring", "pour", "let's", "lets", "could", "should", "would",
           "can", "please", "do", "make", "undo", "same", "i'd", "we'd"}


# Praise with no request in it: "nice work on the left column", "great job".
_PRAISE = re.compile(r"^(?:nice|great|good|lovely|well done|wow|awesome|amazing|cool)\b", re.IGNORECASE)
_DETERMINER = {"the", "that", "this", "a", "an", "my", "our", "your", "his", "her", "their", "last", "next"}


def _asks(text: str) -> bool:
    """Whether a word of asking is used as one: not as a noun after "the", "that", "a" ("that
    harvest was great"), and "need" only of water, seeds or an action."""
    words = re.findall(r"[a-z']+", text.lower())
    for i, word in enumerate(words):
        if word in ("need", "needs"):  # only of what the game gives: not "the roses need more time"
            if _NEEDED.search(" ".join(words[i + 1:])):
                return True
        elif word in _ASKING and not (i and words[i - 1] in _DETERMINER):
            return True
    return False


# --- A sentence that tells rather than asks ---------------------------------------------------
# "a squirrel dug around in the bottom row", "the top row gets the morning light", "nobody waters
# the garden on sundays": a subject, then a verb with a tense. A command is an imperative ("water
# the top row"), a request ("the top row needs water", "plot 4 gets a rose", "I'd like ..."), or no
# verb at all ("roses in the corners"). Which words can be verbs, and in which tense, comes from
# lemminflect's English lexicon: a word list written here missed most verbs of new remarks.
_OPENING = re.compile(
    r"^(?:(?:now|first|next|then|also|kindly|um|uh|ok|okay|alright|so|yesterday|today|tonight|usually|always|"
    r"often|never|sometimes|honestly|actually|apparently|(?:last|this|every|next) (?:spring|summer|autumn|fall|"
    r"winter|week|year|month|night|morning|afternoon|evening|time))[,]?\s+)+", re.IGNORECASE)
_PRONOUNS = {"i", "we", "you", "he", "she", "they", "it", "i've", "we've", "they've", "you've"}
_SUBJECTS = _PRONOUNS | {"nobody", "someone", "somebody", "everyone", "everybody", "people"}
_ADVERBS = {"once", "always", "usually", "often", "never", "sometimes", "really", "just", "also", "still", "already",
            "finally", "quickly", "slowly", "mostly", "even"}
_RELATIVE = {"that", "which", "who", "whatever", "wherever", "where", "what", "whichever", "when", "if", "as",
             "than", "because", "so", "to"}
# Finite verbs that ask, with what they ask for when that matters: "needs water", "gets a rose",
# "could use a drink", "I'd like", "has to be watered".
_REQUEST_LEMMAS = {"want", "deserve", "be", "do", "let"}  # "I'd love" asks by its modal
_MODALS = {"can", "could", "should", "would", "will", "must", "shall", "might", "'ll", "'d"}
# Words of the game that are never its verbs here: places and plot words (garden/language.py).
_GAME_NOUNS = {*language.PLOT_NOUNS, *map(language.plural, language.PLOT_NOUNS), *language.ROW_WORDS,
               *language.COLUMN_WORDS, *(p for p in language.POSITIONS if " " not in p and "-" not in p),
               "seed", "seeds", "flower", "flowers", "bloom", "blooms", "sprout", "sprouts", "water",
               "number", "numbers", "rest"}
_GARDEN_VERBS = {*(w for verbs in language.VERBS.values() for w in verbs), *language.FILL_VERBS}
_SEED_WORDS = {n for kind in tools.SEEDS for n in language.seed_names(kind)}
_SEED_PLURALS = {n for n in _SEED_WORDS if n.endswith("s")}
_NUMBER_WORDS = {language.number_word(n) for n in range(1, 21)}
# "won", "ate": not verbs next to a number, a plot word or a seed ("row won column three", "won rose").
_MISHEARD_NUMBERS = {h for word, heard in language.HOMOPHONES.items() if word in _NUMBER_WORDS for h in heard}
# Never a verb here: seeds ("rose"), politeness, and participles that name ("the plot numbered 5").
_NOT_VERBS = {*_SEED_WORDS, "please", "thanks", "thank", "except", "over", "plus", "numbered", "labelled", "labeled",
              "marked", "called", "named"}
_GROWTH = {"bloom", "sprout", "grow"}  # what plants do, also nouns of the game ("the blooms")
# What the game can give: water, an action, seeds (by name or misheard). "need" asks when it is
# anywhere after ("the corners need a few roses"), "gets", "has", "could use" when it is their object
# ("plot four gets a rose", not "the top row gets the morning light and the roses love it").
_GIVES = r"(?:water\w*|drink|soak\w*|harvest\w*|pick\w*|plant\w*|sow\w*|seeds?|bulbs?|" + "|".join(
    sorted({*_SEED_WORDS, *(h for word in _SEED_WORDS for h in language.HOMOPHONES.get(word, ()))}, key=len,
           reverse=True)) + r")(?!\w)"
_NEEDED = re.compile(r"\b" + _GIVES)
_GIVEN = re.compile(r"(?:some |a |more |another |to be )?(?!plants?\b)" + _GIVES)  # "has plants" tells
# English prepositions and place adverbs, a closed class: after a seed's name they say where, so
# "sunflowers down the left column" asks while "sunflowers turn to the sun" tells.
_PREPOSITIONS = {"about", "above", "across", "after", "against", "along", "alongside", "amid", "among", "around",
                 "at", "before", "behind", "below", "beneath", "beside", "besides", "between", "beyond", "by",
                 "down", "during", "for", "from", "in", "inside", "into", "near", "next", "of", "off", "on", "onto",
                 "opposite", "out", "outside", "over", "past", "round", "through", "throughout", "till", "to",
                 "toward", "towards", "under", "underneath", "until", "up", "upon", "with", "within", "without",
                 "here", "there", "everywhere", "too", "as", "again", "instead", "now", "then", "first", "last",
                 "like"}
# Words after which "the", "my" or "I" do not start a naming clause: they are not nouns.
_NOT_NOUNS = {*_PREPOSITIONS, *_DETERMINER, *_ADVERBS, *_RELATIVE, *_NUMBER_WORDS,
              *(set(language.QUANTIFIERS) - {"everything", "anything"}),  # "everything the rain missed"
              *_PRONOUNS, *_MODALS, "and", "or", ",", "is", "are", "was", "were", "be", "been", "'s", "of", "than"}
# Before these a past participle describes ("the freshly planted seeds", "the ones that have sprouted").
_BEFORE_PARTICIPLE = {"have", "has", "had", "'s", "that's", "is", "are", "was", "were", "been", "be",
                      "every", "all", "each", "any", "newly", "freshly"}


def warm() -> None:
    """Read the English word list now (~0.35 s, ~50 MB) rather than on the first remark."""
    _tenses("came")


@functools.lru_cache(maxsize=4096)
def _reading(word: str) -> tuple[frozenset[str], frozenset[str]]:
    """What lemminflect's lexicon says of `word`: the finite or participle tags (VBD, VBZ, VBP, VBN)
    it has as a verb, with NOUN or ADJ if it can also be one; and its lemmas as a verb. Cached: a
    command's words come back on every command."""
    import lemminflect

    readings = lemminflect.getAllLemmas(word)
    lemmas = frozenset(readings.get("VERB", ()) + readings.get("AUX", ()))
    tags = {pos for pos in ("NOUN", "ADJ") if pos in readings}
    for lemma in lemmas:
        for tag, forms in lemminflect.getAllInflections(lemma, upos="VERB").items():
            if word in forms and tag in ("VBD", "VBZ", "VBP", "VBN"):
                tags.add(tag)
    return frozenset(tags), lemmas


def _tenses(word: str) -> frozenset[str]:
    return _reading(word)[0]


def _is_adverb(word: str) -> bool:
    """"freshly", "newly": -ly and no noun ("butterfly")."""
    return word.endswith("ly") and "NOUN" not in _tenses(word)


def _main_verb(words: list[str]) -> tuple[int, str] | None:
    """Where the first clause's verb is and its tag, skipping relative clauses ("the ones I planted
    need water": "need"), or None when the clause has none before its end (a comma, "and", "then")
    or is an imperative ("now put tulips in the rest")."""
    relative = False  # inside a clause that names something; its verb is not the sentence's
    for i, word in enumerate(words):
        if word in (",", "and", "then", "but"):
            return None
        before = words[i - 1] if i else ""
        if i == 0 and word in _MODALS:
            return None  # "could you ..."
        if i == 0 and word not in _SUBJECTS | _GAME_NOUNS:
            continue
        # right after the subject, or after an adverb after it: "I usually water", "my roses never grow"
        after_subject = before in _SUBJECTS or (before in _ADVERBS and i >= 2)
        # A clause that names something opens with a relative word ("everything that bloomed",
        # "roses where the sunflowers were"), or with a subject right after a noun ("the ones I
        # planted", "the plots the cat dug up need new seeds").
        if i and (word in _RELATIVE or (word in _PRONOUNS and before not in _ADVERBS | {","})
                  or (word in _DETERMINER and before not in _NOT_NOUNS)):
            relative = True
            continue
        if word in _MODALS:
            return i, "MD"
        number_before = before.isdigit() or before in _NUMBER_WORDS
        after = words[i + 1] if i + 1 < len(words) else ""
        if word in _NOT_VERBS or (word in _MISHEARD_NUMBERS and (number_before or before in _GAME_NOUNS or not after
                                                                  or after in _GAME_NOUNS | _SEED_WORDS | {"and", "of"})):
            continue  # "number ate", "row won column three", "won rose": a number misheard
        if word in _GROWTH and before in _SEED_PLURALS:
            return i, "VBP"  # "tulips grow from bulbs", "roses bloom in june"
        if word in _GAME_NOUNS:
            if after_subject:
                return i, "VBP"  # "I usually water in the evening"
            continue
        if word in _GARDEN_VERBS and not after_subject:
            return None  # an imperative
        tags = _tenses(word)
        if not tags & {"VBD", "VBZ", "VBP"} or before in _DETERMINER:
            continue  # "the spread", "a face"
        if relative:
            relative = False
            continue
        if tags & {"VBD", "VBN"} and (before in _BEFORE_PARTICIPLE or _is_adverb(before)):
            continue
        if before in _SEED_PLURALS and (i == 1 or words[i - 2] in _DETERMINER) and word not in _PREPOSITIONS:
            return i, "VBD" if "VBD" in tags else "VBP"  # a seed's name as the subject: "tulips close at night"
        if "VBD" in tags:
            return i, "VBD"
        if "VBZ" in tags and ("NOUN" not in tags or after_subject or number_before or before in _GAME_NOUNS
                              or word == "needs"):  # "needs" after a noun is its verb
            return i, "VBZ"  # "the top left plot stays wet"
        if after_subject or word == "need":  # "the bees need flowers"
            return i, "VBP"
        # a bare verb after a plural noun or a number ("the sunflowers in row three lean"); a
        # garden verb there is an imperative ("in column two plant a daisy"), returned above.
        if not tags & {"NOUN", "ADJ"} and (before.endswith("s") or number_before):
            return i, "VBP"
    return None


def _declares(text: str) -> bool:
    """Whether the sentence's first clause tells (a subject and a verb with a tense that does not
    ask), and no later clause asks ("the bottom row is thirsty, water it")."""
    text = _OPENING.sub("", _LEAD_IN.sub("", text.strip()))
    words = [w for w in re.findall(r"[a-z']+|[0-9]+|,", text.lower().replace("'d ", " 'd ").replace("'ll ", " 'll "))
             if w not in ("um", "uh", "er", "erm")]
    if not words or words[0] in _ASKING:
        return False
    found = _main_verb(words)
    if found is None:
        return False
    i, tag = found
    word, rest = words[i], " ".join(words[i + 1:])
    if any(words[j - 1] in (",", "then", "and", "so") and words[j] in _ASKING for j in range(i + 1, len(words))):
        return False  # a request follows the remark
    if tag == "MD":  # "could use some water" asks; "should have planted" looks back
        return bool(re.match(r"(?:not )?have [a-z]+(?:ed|en|wn|ung)\b", rest))
    lemmas = _reading(word)[1]
    if tag != "VBD" and "need" in lemmas:  # asks only for what the game gives: "needs a few roses", not "needs a fence"
        return not _NEEDED.search(rest)
    if tag != "VBD" and lemmas & _REQUEST_LEMMAS:
        return False  # "wants ..." and "is ..." are read by the rules below
    if tag != "VBD" and lemmas & {"get", "have", "use", "take"}:  # asks when it gets what the game gives
        return not (re.match(r"to\b", rest) or _GIVEN.match(rest))
    return True


def is_remark(text: str) -> bool:
    """Whether the words remark on the garden (or try to talk the game out of its job) rather than
    tell it to do something: the game then never acts on them."""
    if _REMARK.search(text) or _declares(text):
        return True
    if _NAMING_CLAUSE.search(text):
        return False
    return (bool(_STATEMENT.search(text)) or bool(_PRAISE.match(text.strip()))) and not _asks(text)


def places_named(text: str, garden: Garden) -> list[tuple[int, int]]:
    """The plots a question names, in reading order: plot numbers, places by shape (rows,
    columns, corners, coordinates...: garden.places) and kinds of seed."""
    named: set[tuple[int, int]] = set()
    for number in language.plot_numbers_said(text):
        if 1 <= number <= garden.rows * garden.cols:
            named.add(((number - 1) // garden.cols + 1, (number - 1) % garden.cols + 1))
    for place in places.named_places(text, garden.rows, garden.cols, singles=True):
        named |= set(place.plots)
    for kind in tools.SEEDS:
        if _names(kind, text):
            named |= {(r, c) for r in range(1, garden.rows + 1) for c in range(1, garden.cols + 1)
                      if garden.plot(r, c).plant == kind}
    return sorted(named)


def _names(kind: str, text: str) -> bool:
    """Whether `text` names the seed kind ("rose", "roses", "rose bushes")."""
    names = (*language.seed_names(kind), *language.seed_synonyms(kind))
    return any(re.search(rf"\b{re.escape(name)}\b", text.lower()) for name in names)


def _plot_name(garden: Garden, row: int, col: int) -> str:
    return f"plot {tools.plot_number(row, col, garden.cols)} (row {row}, column {col})"


def _state(garden: Garden, row: int, col: int) -> str:
    plot = garden.plot(row, col)
    if plot.plant is None:
        return "empty, the soil wet" if plot.wet else "empty"
    if plot.stage == "bloom":
        return f"a {plot.plant} in bloom, ready to harvest"
    return f"a {plot.plant} {plot.stage} ({'one watering' if plot.stage == 'sprout' else 'two waterings'} from bloom)"


def _numbers(garden: Garden, places) -> str:
    numbers = [str(tools.plot_number(r, c, garden.cols)) for r, c in places]
    return (", ".join(numbers[:-1]) + " and " + numbers[-1]) if len(numbers) > 1 else numbers[0]


def _where(garden: Garden, test) -> list[tuple[int, int]]:
    return [(r, c) for r in range(1, garden.rows + 1) for c in range(1, garden.cols + 1) if test(garden.plot(r, c))]


def answer(text: str, garden: Garden) -> str | None:
    """The game's answer to a question about the board, or None when it is not one the game can
    answer from the board (the model answers those in words; see Session)."""
    question = _LEAD_IN.sub("", text.strip())
    named = places_named(question, garden)
    lower = question.lower()
    if lower.startswith("how many"):
        return _how_many(lower, garden)
    if _HOW_IT_WORKS.search(lower):
        return RULES
    kinds = [kind for kind in tools.SEEDS if _names(kind, question)]
    if kinds and not named:  # "are the sunflowers blooming" with no sunflower planted
        return " ".join(_how_many(language.seed_names(kind)[1], garden) for kind in kinds)
    if named:
        states = "; ".join(f"{_plot_name(garden, r, c)} is {_state(garden, r, c)}" for r, c in named)
        if _READY.search(question):
            blooming = sum(garden.plot(r, c).stage == "bloom" for r, c in named)
            lead = "Yes" if blooming == len(named) else "Not yet" if not blooming else f"{blooming} of {len(named)}"
            return f"{lead}: {states}."
        return f"{states[0].upper()}{states[1:]}."
    if _EMPTY.search(question):
        empty = _where(garden, lambda p: p.plant is None)
        return f"Empty: plot{'s' if len(empty) > 1 else ''} {_numbers(garden, empty)}." if empty else "No plot is empty."
    if _READY.search(question):
        ready = _where(garden, lambda p: p.stage == "bloom")
        return (f"Ready to harvest: plot{'s' if len(ready) > 1 else ''} {_numbers(garden, ready)}." if ready
                else "Nothing is in bloom yet: water a plant twice and it blooms.")
    if _THIRSTY.search(question):
        growing = _where(garden, lambda p: p.stage in ("seed", "sprout"))
        return (f"Still growing, and glad of water: plot{'s' if len(growing) > 1 else ''} {_numbers(garden, growing)}."
                if growing else "Nothing planted needs water now.")
    if _SCORE.search(question) or _BASKET.search(question) or _ORDER.search(question):
        order = garden.order
        basket = ", ".join(f"{tools.count_of(n, kind)}" for kind, n in garden.basket.items()) or "nothing yet"
        return (f"Score {garden.score}; in the basket: {basket}; the order: "
                f"{tools.count_of(order['count'], order['seed'])} ({garden.order_progress} so far).")
    return None


def _how_many(question: str, garden: Garden) -> str:
    for kind in tools.SEEDS:
        if _names(kind, question):
            growing = _where(garden, lambda p: p.plant == kind)
            blooms = sum(garden.plot(r, c).stage == "bloom" for r, c in growing)
            picked = garden.basket.get(kind, 0)
            if not growing:
                return f"No {language.seed_names(kind)[1]} are growing; {picked} in the basket."
            return (f"{tools.count_of(len(growing), kind).capitalize()} growing ({blooms} in bloom), "
                    f"and {picked} in the basket.")
    if _EMPTY.search(question):
        return f"{len(_where(garden, lambda p: p.plant is None))} of {garden.rows * garden.cols} plots are empty."
    planted = _where(garden, lambda p: p.plant is not None)
    return f"{len(planted)} of {garden.rows * garden.cols} plots are planted."


# "The middle" of a side with an even count of plots is two plots (or rows, or columns) wide. The
# model was never taught those (training/targets.py makes a middle only where there is one), so it
# guessed; the game asks instead. Singular only: "the middle rows" or "the middle four" name a set.
_MIDDLE = re.compile(
    r"\b(?:(?P<side>top|bottom|upper|lower|left|right|left-hand|right-hand)[ -])?"
    r"(?:very |dead |exact |exactly )?(?P<word>middle|centre|center|central)\b"
    r"(?: (?P<line>row|line|column|col)\b(?!s))?"
    r"(?: (?:plot|patch|spot|square|bed|tile|space|cell)\b(?!s))?"
    r"(?: (?:of|in|on) (?:the )?(?P<of>top|bottom|upper|lower|left|right|first|last)?[ -]?(?P<of_line>row|line|column|col)\b)?"
    r"(?! (?:rows|columns|lines|two|four|plots|patches|spots|squares|beds|ones)\b)",
    re.IGNORECASE)


_WHICH = "Which one? Say it again with its number."


def no_single_middle(text: str, garden: Garden) -> str | None:
    """What the game says when the words name "the middle" (plot, row, column, or of a row or
    column) and this garden has two: a question back, which plots to choose from. None otherwise."""
    rows, cols = garden.rows, garden.cols
    size = f"This garden is {rows} by {cols}"
    for found in _MIDDLE.finditer(text):
        side, line = (found.group("side") or found.group("of") or "").lower(), (found.group("line") or "").lower()
        of_line = (found.group("of_line") or "").lower()
        # counted down the rows: a middle row, or the middle of a column ("the left middle")
        down = line in ("row", "line") or side.startswith(("left", "right")) or of_line in ("column", "col")
        # counted along the columns: a middle column, or the middle of a row ("the top middle")
        along = line in ("column", "col") or side in ("top", "bottom", "upper", "lower", "first", "last") or (
            of_line in ("row", "line"))
        if not down and not along:  # the middle plot of the garden
            down = along = True
        mid_rows, mid_cols = places.middle_lines(rows), places.middle_lines(cols)
        two_rows, two_cols = down and len(mid_rows) == 2, along and len(mid_cols) == 2
        if not two_rows and not two_cols:
            continue
        if line in ("row", "line"):
            return f"{size}, so it has no single middle row: rows {mid_rows[0]} and {mid_rows[1]} are the middle two. {_WHICH}"
        if line in ("column", "col"):
            return (f"{size}, so it has no single middle column: columns {mid_cols[0]} and {mid_cols[1]} are the "
                    f"middle two. {_WHICH}")
        if down and along:
            numbers = _numbers(garden, [(r, c) for r in mid_rows for c in mid_cols])
            return f"{size}, so it has no single middle plot: plots {numbers} are the middle. {_WHICH}"
        what = ("column", f"rows {mid_rows[0]} and {mid_rows[1]}") if down else ("row", f"columns {mid_cols[0]} and {mid_cols[1]}")
        return f"{size}, so a {what[0]} has no single middle plot: {what[1]} are its middle two. {_WHICH}"
    return None


def unasked_destruction(text: str, calls: list[dict], garden: Garden) -> list[str]:
    """The unripe plants `calls` would destroy, as "plot 5's rose sprout", when `text` says no
    harvest word: such a harvest is worth asking about before it runs. Empty otherwise."""
    if HARVEST_WORDS.search(text) or not any(c.get("name") == "harvest_plots" for c in calls):
        return []
    trial = Garden.from_dict(garden.to_dict())  # the calls in order, as they would run
    lost = []
    for call in calls:
        before = trial.board()
        result = trial.apply(call.get("name"), call.get("arguments"))
        lost += [f"plot {e['plot']}'s {before[e['row'] - 1][e['col'] - 1]}" for e in result["plots"]
                 if e["outcome"] == "destroyed"]
    return lost
