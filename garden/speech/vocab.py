"""What the recognisers may hear: the garden's words, a command grammar, and a small language model.

Everything here comes from garden.language, the same tables the training generator writes its
sentences from, so a recogniser limited to these words hears every word the model was trained on.

    recogniser_words()        the vocabulary, as a recogniser should write it ("let's", not "lets")
    vosk_phrases(has_word)    that vocabulary minus the words a Vosk model lacks, plus "[unk]"
    grammar()                 the shapes of garden commands, as weighted rules
    sample_sentences(n)       random sentences from the grammar
    training_sentences()      how the training data phrases commands, as a recogniser writes them
    said_also(sentences)      those sentences again with the other words players use (SAID_ALSO)
    arpa_model()              a trigram language model (ARPA text) trained on sentences
    pronunciations(lookup)    phones for words the PocketSphinx dictionary lacks
"""

from __future__ import annotations

import functools
import math
import random
import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Callable, Iterable

from garden import language, tools

UNK = "[unk]"


# --- the vocabulary ----------------------------------------------------------------------------

def _table_words(skip: tuple[str, ...] = ()) -> set[str]:
    """Every word the language tables write, with in-word apostrophes kept ("let's", "you're"),
    leaving out the tables named in `skip`."""
    found: set[str] = set()

    def walk(value) -> None:
        if isinstance(value, str):
            text = re.sub(r"\{\w+\}", " ", value.lower()).replace("-", " ")
            found.update(re.findall(r"[a-z]+(?:'[a-z]+)?", text))
        elif isinstance(value, dict):
            for key, item in value.items():
                walk(key)
                walk(item)
        elif isinstance(value, (tuple, list, set, frozenset)):
            for item in value:
                walk(item)

    for name, value in vars(language).items():
        if name.isupper() and not name.startswith("_") and name not in skip:
            walk(value)
    return found


@functools.lru_cache(maxsize=None)
def _misheard(seeds: tuple[str, ...]) -> tuple[dict[str, str], re.Pattern]:
    garden_words = set(_recogniser_words(seeds))  # the vocabulary built without HOMOPHONES
    forms = {variant: word for word, variants in language.HOMOPHONES.items() for variant in variants
             if not set(variant.split()) <= garden_words}
    # One pass over a sentence, longest first ("tu lips" before "tu lip"): the language model
    # writes back some 25,000 sentences, and a pass per form took 1.5 s of its 15 s build.
    alternatives = "|".join(re.escape(v) for v in sorted(forms, key=len, reverse=True))
    return forms, re.compile(rf"(?<![a-z'])(?:{alternatives})(?![a-z'])")


def misheard_forms() -> dict[str, str]:
    """{what a recogniser may write: the word said} for the homophones and split compounds of
    language.HOMOPHONES that are no garden word of their own: "tu lips" -> "tulips", "roe" -> "row",
    "daisy's" -> "daisies" (but not "to" for "two": "to" is a word players say). The model is
    trained on these because other recognisers write them; the garden's own recognisers, limited
    to the garden's words, have no reason to, so they leave them out and write the word itself."""
    return dict(_misheard(tools.SEEDS)[0])


def unmishear(sentence: str) -> str:
    """A transcript with the misheard forms written as the words said ("plant tu lips in roe one"
    -> "plant tulips in row one")."""
    forms, pattern = _misheard(tools.SEEDS)
    return pattern.sub(lambda m: forms[m.group()], sentence)


@functools.lru_cache(maxsize=None)
def _recogniser_words(seeds: tuple[str, ...]) -> tuple[str, ...]:
    words = set(language.speech_phrases(misheard=False))
    words.update(language.plural(p) for p in language.other_plants() if " " not in p)  # "how about some trees"
    written = _table_words(skip=("HOMOPHONES",))
    plain = {w for w in written if "'" not in w}
    for word in written - plain:
        bare = word.replace("'", "")
        words.add(word)
        if bare not in plain:  # "id" is only ever "i'd"; the model was trained on "i'd"
            words.discard(bare)
    return tuple(sorted(words))


def recogniser_words() -> list[str]:
    """language.speech_phrases() as a recogniser writes it: lowercase words with their in-word
    apostrophes ("let's", "i'd", "what's"), which is how the training transcripts spell them,
    and without misheard_forms() ("roe", "tu")."""
    return list(_recogniser_words(tools.SEEDS))


def vosk_phrases(has_word: Callable[[str], bool], words: Iterable[str] | None = None) -> tuple[list[str], list[str]]:
    """(phrases, dropped): the recogniser words the model knows plus "[unk]" when it has it, for
    KaldiRecognizer's grammar argument. A word the model lacks would only make Vosk warn."""
    words = list(recogniser_words() if words is None else words)
    kept = [w for w in words if has_word(w)]
    dropped = [w for w in words if w not in kept]
    if has_word(UNK):
        kept.append(UNK)
    return kept, dropped


# --- the command grammar -----------------------------------------------------------------------
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


SHORTHAND = re.compile(r"[#()&]|\d\s*-\s*\d|\b[rc]\d|\bno\.")  # typed only; nobody says "r2c3"


def spoken_form(utterance: str) -> str | None:
    """The utterance as a recogniser would write it (lowercase words, numbers as words), or None
    when it is written shorthand nobody would say. The voice bench's reference for WER."""
    if SHORTHAND.search(utterance.lower()):
        return None
    ordinal = lambda m: language.ordinal_word(int(m.group(1))) if int(m.group(1)) else m.group()  # noqa: E731
    text = re.sub(r"\b(\d{1,2})(st|nd|rd|th)\b", ordinal, utterance.lower())  # "2nd" -> "second"
    text = re.sub(r"\b\d{1,2}\b", lambda m: language.number_word(int(m.group())), text)
    text = re.sub(r"[^a-z' ]", " ", text.replace("-", " "))
    words = re.sub(r"(?<![a-z])'|'(?![a-z])", " ", text).split()
    return " ".join(words) if words and not re.search(r"\d", " ".join(words)) else None


TRAINING_SENTENCES = Path(__file__).with_name("training-sentences.txt")


def training_sentences() -> list[str]:
    """How the training data phrases commands, as a recogniser writes them: the sentences of
    TRAINING_SENTENCES, which `python -m training.speech_sentences` writes from the training
    generator's train split. [] when the file is missing."""
    try:
        return TRAINING_SENTENCES.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []


# --- a small n-gram language model -------------------------------------------------------------

def arpa_model(sentences: Iterable[str] | None = None, vocabulary: Iterable[str] | None = None,
               order: int = 3, discount: float = 0.7, unigram_floor: float = 0.5) -> str:
    """An ARPA language model with absolute discounting and back-off. Every vocabulary word gets
    at least `unigram_floor` counts, so words the sentences never used can still be heard."""
    if sentences is None:
        sentences = sample_sentences(20000)
    vocabulary = set(recogniser_words() if vocabulary is None else vocabulary)
    counts: list[Counter] = [Counter() for _ in range(order + 1)]
    for sentence in sentences:
        words = ["<s>", *sentence.split(), "</s>"]
        for n in range(1, order + 1):
            for i in range(len(words) - n + 1):
                gram = tuple(words[i:i + n])
                if gram != ("<s>",):
                    counts[n][gram] += 1
    unigrams = counts[1]
    for word in vocabulary:
        unigrams[(word,)] += unigram_floor
    total = sum(unigrams.values())
    prob: list[dict[tuple, float]] = [{} for _ in range(order + 1)]
    prob[1] = {g: c / total for g, c in unigrams.items()}
    prob[1][("<s>",)] = 0.0  # only ever a context
    backoff: list[dict[tuple, float]] = [{} for _ in range(order + 1)]
    for n in range(2, order + 1):
        by_context: dict[tuple, list[tuple[tuple, int]]] = defaultdict(list)
        for gram, c in counts[n].items():
            by_context[gram[:-1]].append((gram, c))
        for context, grams in by_context.items():
            context_total = sum(c for _, c in grams)
            for gram, c in grams:
                prob[n][gram] = (c - discount) / context_total
            left = discount * len(grams) / context_total  # mass freed by discounting
            lower = sum(_lower_prob(prob, gram[1:]) for gram, _ in grams)
            backoff[n - 1][context] = left / max(1e-12, 1 - lower)
    lines = ["\\data\\"] + [f"ngram {n}={len(prob[n])}" for n in range(1, order + 1)] + [""]
    for n in range(1, order + 1):
        lines.append(f"\\{n}-grams:")
        for gram in sorted(prob[n]):
            p = prob[n][gram]
            logp = -99.0 if p <= 0 else math.log10(p)
            entry = f"{logp:.4f}\t{' '.join(gram)}"
            if n < order:
                entry += f"\t{math.log10(backoff[n].get(gram, 1.0)):.4f}"
            lines.append(entry)
        lines.append("")
    lines.append("\\end\\")
    return "\n".join(lines) + "\n"


def _lower_prob(prob: list[dict[tuple, float]], gram: tuple) -> float:
    """P(gram[-1] | gram[:-1]) from the lower orders already computed (no back-off weight is
    needed: every lower-order gram of a seen gram was seen too)."""
    return prob[len(gram)].get(gram, 0.0)


# --- pronunciations for PocketSphinx -----------------------------------------------------------

# Words no rule below can derive from the CMU dictionary.
EXTRA_PRONUNCIATIONS = {
    "col": "K AA L",
    "cols": "K AA L Z",
    "erm": "ER M",
    "hmm": "HH M",
    "thru": "TH R UW",
    "centre": "S EH N T ER",
}


# Second pronunciations the CMU dictionary (American) lacks, added as "word(2)", "word(3)": the
# recogniser writes the word itself. "tulip" is only "T UW L AH P" there; British speakers and
# espeak-ng say "tj'u:lIp", which the recogniser, lacking it, heard as "two lettuce" or "do it".
#
# "first" with a "th": f and th are the pair of English sounds most often confused (by listeners
# too), and PocketSphinx's phone decoder hears espeak-ng's "first" as "TH ER S (T)" in every voice
# tried; the garden language has "third" (TH ER D) right next to it, so without this variant the
# default voice's "the first plot" was written "the third plot" (9 of 11 times on the dev split).
# "third" said is still heard as "third" (tests/test_speech.py).
#
# "except" and "excluding" with "EH K S": the dictionary has only "IH K S" (though "excepting" is
# "EH K S ..."); espeak-ng, like many speakers, says "Eks", and its Klatt voice was heard as "eight
# except" / "eight excluding", an "eight" the model reads as a plot.
#
# "one", "plot" and "column" also with a final s: espeak-ng's Klatt voice ends them with a release
# PocketSphinx hears as an s, so "plot" came out "plots" (and "one" "ones", "column" "columns") in
# 21 of the 89 dev sentences it got wrong ("the third plots should get...", "the tile numbered
# ones"). Said either way, the word is then the language model's choice: "plot nine", "plots one
# and two", "the ones that are ready". On the 300 dev commands (recognition only) sentences heard
# exactly 194 -> 205; the same for bed, cell, tile, spot and square heard 200, turning true plurals
# singular ("cells one three and five" -> "cell one three and five"), so those are left alone.
ALTERNATE_PRONUNCIATIONS = {
    "one": ("W AH N Z",),
    "plot": ("P L AA T S",),
    "column": ("K AA L AH M Z",),
    "tulip": ("T UW L IH P", "T Y UW L IH P"),
    "tulips": ("T UW L IH P S", "T Y UW L IH P S"),
    "first": ("TH ER S T",),
    "except": ("EH K S EH P T",),
    "excluding": ("EH K S K L UW D IH NG",),
}


def alternate_pronunciations(words: Iterable[str]) -> dict[str, str]:
    """{"tulip(2)": phones, ...} for the words among `words` with ALTERNATE_PRONUNCIATIONS."""
    words = set(words)
    return {f"{word}({i})": phones for word, alternates in ALTERNATE_PRONUNCIATIONS.items() if word in words
            for i, phones in enumerate(alternates, start=2)}


def pronunciations(lookup: Callable[[str], str | None], words: Iterable[str]) -> tuple[dict[str, str], list[str]]:
    """({word: phones} for words `lookup` (the dictionary) lacks, [words with no pronunciation]).
    Tries the spelling with an apostrophe ("isnt" -> "isn't"), American spelling ("fertilise"),
    a compound of two known words ("leftmost" = left + most), then EXTRA_PRONUNCIATIONS."""
    added: dict[str, str] = {}
    missing: list[str] = []
    for word in words:
        if lookup(word):
            continue
        phones = _derive(lookup, word)
        if phones:
            added[word] = phones
        else:
            missing.append(word)
    return added, missing


def _derive(lookup: Callable[[str], str | None], word: str) -> str | None:
    if word in EXTRA_PRONUNCIATIONS:
        return EXTRA_PRONUNCIATIONS[word]
    bare = word.replace("'", "")
    candidates = [bare] + [bare[:i] + "'" + bare[i:] for i in range(1, len(bare))]
    candidates += [re.sub(r"is(e|es|ed|ing)$", r"iz\1", bare), re.sub(r"re$", "er", bare)]
    for candidate in candidates:
        if candidate != word and lookup(candidate):
            return lookup(candidate)
    for i in range(2, len(bare) - 1):
        head, tail = lookup(bare[:i]), lookup(bare[i:])
        if head and tail:
            return f"{head} {tail}"
    return None
