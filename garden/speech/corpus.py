"""The corpus the garden's speech language model is trained on: command rules, sentences sampled from
them, the training data's sentences, and copies in the other words players use.

    grammar()                 the shapes of garden commands, as weighted rules
    sample_sentences(n)       random sentences from the grammar
    training_sentences()      how the training data phrases commands, as a recogniser writes them
    said_also(sentences)      those sentences again with the other words players use (SAID_ALSO)
    repeated(sentences)       watering sentences again with a repeat count ("... twice")
"""

from __future__ import annotations

import functools
import random
import re
from pathlib import Path
from typing import Iterable

from garden import language, tools


# Rules map a name to alternatives; an alternative is words, <rule> references and [optional]
# parts, and "N*" in front makes it N times as likely. Sampled, the rules are the training text of
# a trigram language model: PocketSphinx's n-gram search then also allows word orders the rules
# never wrote. (The same rules as a JSGF grammar are too big for PocketSphinx's FSG compiler: it
# inlines every rule and runs out of memory.)


def _alts(words: Iterable[str]) -> list[str]:
    return sorted(set(words))


def _grammar() -> dict[str, list[str]]:
    seeds = [*tools.SEEDS]
    one = [language.seed_names(kind)[0] for kind in seeds]
    many = _alts(w for kind in seeds for w in (language.seed_names(kind)[1], *language.seed_synonyms(kind)))
    other_one = list(language.other_plants())
    other_many = [language.plural(p) for p in other_one]
    top = language.largest_plot_number()
    side = max(tools.MAX_SIZE, 4)
    verbs = {name: list(v) for name, v in language.VERBS.items()}
    nouns = list(language.PLOT_NOUNS)
    rules: dict[str, list[str]] = {
        # Most commands start with their verb: a flat start would let "right so the flowers" beat
        # "plant sunflowers" on a first word the recogniser is unsure of.
        "utterance": ["12* <body>", "3* <start> <body>", "2* <body> <end>", "<start> <body> <end>"],
        "body": ["10* <simple>", "8* <command>", "3* <simple> and <simple>", "3* <command> <join> <command>",
                 "<command> <join> <command> <join> <command>", "2* <chat>"],
        # What players say most: the plain verb, a seed, a plain place. Weighted up so that the
        # recogniser leans to these when the sound is unclear.
        "simple": ["3* plant <seed_many> <simple_where>", "plant a <seed_one> <simple_where>",
                   "3* water <simple_place>", "2* harvest <simple_place>", "give <simple_place> a drink",
                   "water them", "harvest them", "plant <seed_many> everywhere", "water everything",
                   "harvest everything"],
        "simple_where": ["4* in <simple_place>", "at <simple_place>", "on <simple_place>"],
        "simple_place": ["3* the <simple_position> row", "3* the <simple_position> column", "2* row <small>",
                         "2* column <small>", "3* plot <number>", "2* plots <number> and <number>",
                         "plots <number> <number> and <number>", "row <small> column <small>",
                         "the <simple_position> <simple_position> corner", "the corners", "the middle", "the diagonal"],
        "simple_position": ["top", "bottom", "middle", "left", "right"],
        "start": _alts(language.FILLERS) + ["um so", "okay so", "uh okay", "so um", "first", "ok now", "okay now",
                                            "um now", "and", "and then", "then", "now", "alright so", "right so"],
        "end": ["please", "thanks", "thank you", "cheers", "for me", "for me please", "if you can", "now", "again",
                "too", "as well", "then"],
        "join": ["and", "and then", "then", "and also", "after that", "and after that", "and finally", "plus",
                 "then also", "and next", "also"],
        # Small boards are the common case: plots one to nine are said far more often than thirty two.
        "number": [language.number_word(n) for n in range(1, top + 1) for _ in range(4 if n <= 9 else 1)],
        "small": [language.number_word(n) for n in range(1, side + 1)],
        "ordinal": [language.ordinal_word(n) for n in range(1, top + 1) for _ in range(4 if n <= 9 else 1)],
        "small_ordinal": [language.ordinal_word(n) for n in range(1, side + 1)],
        "noun": nouns,
        "nouns": [language.plural(n) for n in nouns],
        "row": ["row", "row", "line"],
        "column": ["column", "column", "col"],
        "seed_one": [f"4* {w}" for w in one] + other_one,
        "seed_many": [f"4* {w}" for w in many] + other_many,
        "seed_word": ["<seed_one>", "2* <seed_many>"],
        "seed": ["6* <seed_many>", "2* a <seed_one>", "an <seed_one>", "some <seed_many>", "<small> <seed_many>",
                 "one <seed_one>", "<seed_one> seeds", "<seed_one> seed", "<seed_one> plants", "some <seed_one> seeds",
                 "a few <seed_many>", "a single <seed_one>", "<seed_one> bulbs", "<seed_one> bushes",
                 "a <seed_one> seed"],
        "numbers": ["<number> and <number>", "<number> <number> and <number>", "<number> <number> <number>",
                    "<number> to <number>", "<number> through <number>", "<number> thru <number>",
                    "<number> <number> <number> and <number>", "<number> and <number> and <number>"],
        "position": ["top", "bottom", "middle", "centre", "center", "central", "left", "right", "upper", "lower",
                     "last", "leftmost", "rightmost", "uppermost", "lowest", "very top", "very bottom", "very left",
                     "very right", "left hand", "right hand", "outer", "inner"],
        "corner": ["top left", "top right", "bottom left", "bottom right", "upper left", "upper right", "lower left",
                   "lower right", "top left hand", "top right hand", "bottom left hand", "bottom right hand"],
        "line": ["4* the <position> <row>", "3* the <position> <column>", "3* <row> <small>", "3* <column> <small>",
                 "2* the <small_ordinal> <row>", "2* the <small_ordinal> <column>", "rows <small> and <small>",
                 "columns <small> and <small>", "the <position> two rows", "the <position> two columns",
                 "the <small_ordinal> and <small_ordinal> rows", "the <small_ordinal> and <small_ordinal> columns",
                 "<row> number <small>", "<column> number <small>", "the <row> at the <position>",
                 "the <column> at the <position>", "the <row> on the <position>", "the <column> on the <position>",
                 "both the <position> and <position> rows",
                 "the <position> and <position> rows", "the <position> and <position> columns"],
        "one_plot": ["8* <noun> <number>", "3* <noun> number <number>", "3* the <ordinal> <noun>", "number <number>",
                     "4* <row> <small> <column> <small>", "<row> <small> <noun> <small>",
                     "the <noun> at <row> <small> <column> <small>",
                     "the <noun> in <row> <small> <column> <small>", "<row> <small> and <column> <small>",
                     "the <small_ordinal> <row> <small_ordinal> <column>",
                     "<small_ordinal> <row> <small_ordinal> <column>",
                     "the <small_ordinal> <noun> of the <small_ordinal> <row>", "the <position> <noun> of <line>",
                     "the <small_ordinal> <noun> in <line>", "the <corner> corner", "the <corner> <noun>",
                     "the <corner>", "the <noun> in the <corner> corner", "the <position> <noun>",
                     "the <noun> in the <position>", "the centre", "the middle", "the very middle",
                     "the dead centre", "the middle <noun>", "the centre <noun>", "the middle of <line>",
                     "the <noun> in the middle of <line>", "<column> <small> <row> <small>",
                     "the <noun> at <column> <small> <row> <small>",
                     # the singular of "<nouns> numbered", and coordinates joined with "by" and "of"
                     "the <noun> numbered <number>", "<row> <small> by <column> <small>",
                     "the <noun> in <column> <small> of <row> <small>"],
        "many_plots": ["16* <nouns> <numbers>", "4* the <nouns> <numbers>", "2* numbers <numbers>", "the two diagonals",
                       "the two <position> corners", "the corner <nouns>", "the edge <nouns>",
                       "the <position> edge <nouns>",
                       "everything on the <position>",
                       "the <small_ordinal> and <small_ordinal> and <small_ordinal> <nouns>",
                       "<nouns> number <numbers>", "<nouns> numbered <numbers>",
                       "the <ordinal> and <ordinal> <nouns>",
                       "the <small_ordinal> <small_ordinal> and <small_ordinal> <nouns>",
                       "the corners", "all the corners", "all four corners", "the four corners", "every corner",
                       "each corner", "both corners", "the <position> corners", "both <position> corners",
                       "the diagonal", "the main diagonal", "the anti diagonal", "the other diagonal",
                       "both diagonals", "both the diagonals", "the diagonals",
                       "the diagonal going down from the top <position>",
                       "the diagonal from <corner> to <corner>", "the <corner> to <corner> diagonal",
                       "the <position> edge", "the edges", "the <position> side", "the sides", "the border", "the rim",
                       "the outside", "the outer ring", "the ring", "the inside", "the interior", "the <position> half",
                       "<row> <small> <column> <small> and <row> <small> <column> <small>",
                       "everything", "the whole garden", "the entire garden", "the whole thing", "all the <nouns>",
                       "all <nouns>", "every <noun>", "each <noun>", "every single <noun>", "the garden",
                       "all of them", "the rest", "the remaining <nouns>", "the other <nouns>",
                       "everything else"],
        "place": ["10* <line>", "12* <one_plot>", "10* <many_plots>",
                  "every <noun> in <line>", "each <noun> in <line>", "all of <line>", "the whole of <line>",
                  "the whole <position> <row>", "the entire <line>",
                  "the <nouns> in <line>", "the <nouns> on <line>", "<line> and <line>", "<one_plot> and <one_plot>",
                  "<many_plots> except <one_plot>", "<many_plots> except for <one_plot>",
                  "<many_plots> but <one_plot>", "<many_plots> apart from <line>", "<many_plots> other than <line>",
                  "<many_plots> excluding <one_plot>", "everything except <line>", "everything but <one_plot>",
                  "all but <line>", "all but <one_plot>",
                  "every <noun> but <line>", "every <noun> except <one_plot>", "the whole garden except <line>"],
        "np": ["12* <place>", "2* them", "them all", "all of them", "those", "these", "it",
               "those ones", "these ones", "those <nouns>", "the same <nouns>", "the same ones",
               "the flowers in <place>", "whatever is growing in <place>"],
        "prep": ["4* in", "into", "3* on", "at", "across", "along", "down", "over", "through", "throughout",
                 "around", "to", "up", "within", "all along", "all over", "all across"],
        "where": ["12* <prep> <np>", "2* everywhere", "everywhere else", "all over the garden",
                  "everywhere except <np>", "everywhere but <np>", "there", "in there", "in them", "in those",
                  "in the rest"],
        "chat": ["hello", "hi", "hi there", "hey there", "hello garden", "hey garden", "good morning", "good evening",
                 "good night", "good afternoon", "how are you", "how are you doing", "what's my score",
                 "what is my score",
                 "what can you do", "what can i do", "help", "help me", "bye", "see you later", "thank you", "thanks",
                 "nice", "lovely", "great", "cool", "i love you", "tell me a joke", "sing a song",
                 "what's the weather today", "is it ready yet", "when will it bloom", "how long does it take to grow",
                 "what needs watering", "what's in <np>", "what is in <np>", "which <nouns> need water",
                 "do they need water", "what's next",
                 "yes", "no", "ok", "<chat_verb> <np>", "<chat_verb> the <seed_word>",
                 "mow the lawn", "undo that", "buy more seeds", "sell my <seed_word>", "build a fence around <np>",
                 "move the <seed_word> to <np>", "dig up <np>", "trim the <seed_word> in <np>"],
        "chat_verb": ["dig", "weed", "prune", "remove", "fertilise", "fertilize", "feed", "trim", "move", "sell",
                      "buy"],
    }
    for tool, rule in (("plant_seed", "plant_verb"), ("water_plots", "water_verb"), ("harvest_plots", "harvest_verb")):
        plain, *others_ = verbs[tool]  # the plain verb first, and said most
        rules[rule] = [f"6* {plain}", *others_]
    rules["fill_verb"] = [f"3* {language.FILL_VERBS[0]}", *language.FILL_VERBS[1:]]
    command: list[str] = []
    slot_rule = {"plant_seed": "<plant_verb>", "water_plots": "<water_verb>", "harvest_plots": "<harvest_verb>"}
    for tool, phrases in language.ACTION_PHRASES.items():
        for i, phrase in enumerate(phrases):  # the plainest first, and said most
            text = phrase.replace(",", "")
            text = (text.replace("{verb}", slot_rule[tool]).replace("{fill}", "<fill_verb>").replace("{np}", "<np>")
                    .replace("{where}", "<where>").replace("{seed}", "<seed>"))
            command.append(f"{12 if i == 0 else 2 if i == 1 else 1}* {text}")
    command += ["<plant_verb> <seed>", "<water_verb> them", "<harvest_verb> them", "now <water_verb> <np>",
                "<water_verb> them all", "<harvest_verb> them all", "do the same for <np>", "same for <np>",
                "the same for <np>", "do the same thing for <np>", "same thing for <np>",
                "do the same to <np>", "do the same thing <where>", "same again <where>", "do it again",
                "repeat that <where>", "<water_verb> <np> again", "<water_verb> <np> one more time",
                "<plant_verb> <where>",
                "<plant_verb> <seed> there", "make <np> <seed_word>", "try <seed> <where>", "wait <water_verb> <np>",
                "no <plant_verb> <seed> <where> instead", "wait <plant_verb> <seed> <where> instead",
                "i want to <plant_verb> <seed> <where>", "can you <water_verb> <np>", "could you <harvest_verb> <np>",
                "would you <plant_verb> <seed> <where>", "<np> please"]
    rules["command"] = command
    return rules


@functools.lru_cache(maxsize=None)
def _grammar_for(seeds: tuple[str, ...]) -> dict[str, list[str]]:
    return _grammar()


def grammar() -> dict[str, list[str]]:
    """The command rules (rebuilt when garden.tools.SEEDS changes)."""
    return _grammar_for(tools.SEEDS)


# Other words players use for a grammar word, said wherever the grammar says it. They are added as
# copies of the sampled sentences (said_also), not as rules: a new rule changes every random draw
# after it, and with the draws PocketSphinx's near-ties elsewhere ("plots numbered three" heard as
# "three eight"). On 300 spoken dev commands (Klatt voice, recognition only) rules for "save for"
# cost the model two commands; these copies heard three more sentences exactly (191 -> 194, WER
# 5.0% -> 4.8%), and "save for" right where it had been "same for", a follow-up. The voice bench
# on the whole test split: 477 -> 482 of 566 commands right (docs/voice-bench.md).
SAID_ALSO = {"except": ("save for",)}


def said_also(sentences: Iterable[str]) -> list[str]:
    """The sentences that use a SAID_ALSO word again, once with each of its other words ("all but
    the corners" stays; "all except row one" -> "all save for row one"; "except for" is left
    alone, "save for for" being nobody's English)."""
    out = []
    for sentence in sentences:
        words = sentence.split()
        for word, others in SAID_ALSO.items():
            at = [i for i, w in enumerate(words) if w == word and (i + 1 == len(words) or words[i + 1] != "for")]
            if at:
                out += [" ".join(other if i in at else w for i, w in enumerate(words)) for other in others]
    return out


# Repeat counts, said at the end of a watering ("water plot five twice"): the game repeats the
# last action (garden/repeats.py), and two waterings make a bloom. Neither the rules nor the
# training data say them, so without these copies the recognisers could not hear them at all.
# Copies, not rules, for the reason given above SAID_ALSO; "twice" the most, as players say it.
REPEATED_EVERY = 4  # one watering sentence in four gets a copy
REPEAT_SAID = ("twice", "two times", "twice", "three times")
_THANKS = re.compile(r" (?:please|thanks|thank you)$")


def repeated(sentences: Iterable[str]) -> list[str]:
    """Every REPEATED_EVERY-th sentence that is one watering (a water verb, or "give ... water / a
    drink", with no second action joined on), again with a count of REPEAT_SAID at its end, the
    counts in turn."""
    water = set(language.VERBS["water_plots"])
    out, seen = [], 0
    for sentence in sentences:
        words = sentence.split()
        if not words or {"and", "then", "again", "too", "twice", "thrice", "times"} & set(words):
            continue
        if words[0] in water or (words[0] == "give" and {"water", "drink"} & set(words)):
            if seen % REPEATED_EVERY == 0:
                count = REPEAT_SAID[(seen // REPEATED_EVERY) % len(REPEAT_SAID)]
                thanks = _THANKS.search(sentence)  # "water it twice please", as garden/repeats.py reads it
                cut = thanks.start() if thanks else len(sentence)
                out.append(f"{sentence[:cut]} {count}{sentence[cut:]}")
            seen += 1
    return out


_TOKEN = re.compile(r"<\w+>|\[|\]|[a-z']+")
_WEIGHT = re.compile(r"^(\d+)\*\s*")


def _weight(alternative: str) -> tuple[int, str]:
    """An alternative may start with "N*": it is N times as likely as a plain one."""
    match = _WEIGHT.match(alternative)
    return (int(match.group(1)), alternative[match.end():]) if match else (1, alternative)


def _parse(alternative: str) -> list:
    """Tokens of one alternative; an [optional] part becomes a nested list."""
    stack: list[list] = [[]]
    for token in _TOKEN.findall(_weight(alternative)[1]):
        if token == "[":
            stack.append([])
        elif token == "]":
            part = stack.pop()
            stack[-1].append(part)
        else:
            stack[-1].append(token)
    if len(stack) != 1:
        raise ValueError(f"unbalanced brackets in {alternative!r}")
    return stack[0]


def grammar_words() -> set[str]:
    """Every word the rules use (a test keeps these inside recogniser_words())."""
    words: set[str] = set()
    for alternatives in grammar().values():
        for alt in alternatives:
            words.update(t for t in _TOKEN.findall(alt) if t[0] not in "<[]")
    return words


def _expand(tokens: list, rules: dict[str, list], rng: random.Random, out: list[str], depth: int = 0) -> None:
    if depth > 12:
        raise RecursionError("the garden grammar nests too deeply")
    for token in tokens:
        if isinstance(token, list):
            if rng.random() < 0.3:
                _expand(token, rules, rng, out, depth + 1)
        elif token.startswith("<"):
            alternatives, weights = rules[token[1:-1]]
            _expand(rng.choices(alternatives, weights)[0], rules, rng, out, depth + 1)
        else:
            out.append(token)


def sample_sentences(count: int, seed: int = 0) -> list[str]:
    """Random sentences from the rules (deterministic for a seed)."""
    rng = random.Random(seed)
    parsed = {rule: ([_parse(alt) for alt in alts], [_weight(alt)[0] for alt in alts])
              for rule, alts in grammar().items()}
    sentences = []
    for _ in range(count):
        out: list[str] = []
        _expand(["<utterance>"], parsed, rng, out)
        sentences.append(" ".join(out))
    return sentences


TRAINING_SENTENCES = Path(__file__).with_name("training-sentences.txt")


def training_sentences() -> list[str]:
    """How the training data phrases commands, as a recogniser writes them: the sentences of
    TRAINING_SENTENCES, which `python -m training.speech_sentences` writes from the training
    generator's train split. [] when the file is missing."""
    try:
        return TRAINING_SENTENCES.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
