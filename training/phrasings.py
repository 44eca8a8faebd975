"""The test split's held-out phrasings as patterns over transcripts, to find where they leak.

A phrasing held out of training (`Pool.held_out` in training/pools.py) must not reach the train
split in any form a transcript may write it: with fillers, homophones, number words or digits. The
tests check the generated splits and the hand-written cases with these, and `python -m
training.hear` drops a recogniser's hearing that happens to say one.
"""

from __future__ import annotations

import functools
import re

from garden import language, tools
from training import pools


def flat(text: str) -> str:
    """Text as a recogniser writes it: lowercase words, no punctuation."""
    return re.sub(r"\s+", " ", re.sub(r"[^a-z0-9' ]", " ", text.lower().replace("-", " ")))


# What a transcript may put inside a phrasing: fillers, stutters, and unambiguous mishearings.
MISHEARD = {"roe": "row", "rho": "row", "roes": "rows", "plot's": "plots", "forth": "fourth"}


def normal(text: str) -> str:
    words = [MISHEARD.get(w, w) for w in flat(text).split() if w not in ("um", "uh", "er")]
    return " ".join(w for i, w in enumerate(words) if i == 0 or w != words[i - 1])


def says(phrasing: re.Pattern, text: str) -> bool:
    return bool(phrasing.search(flat(text)) or phrasing.search(normal(text)))


def heard(*words: str) -> list[str]:
    """Words and what a recogniser may write for them."""
    return [h for w in words for h in (w, *language.HOMOPHONES.get(w, ()))]


def one_of(words) -> str:
    return "(?:" + "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True)) + ")"


NUMBER = one_of(heard(*map(language.number_word, range(100)), *map(language.ordinal_word, range(1, 100)))
                + [str(n) for n in range(100)] + [language.ordinal_suffix(n) for n in range(1, 100)])
POSITION = one_of(flat(w).strip() for w in language.POSITIONS + ("first", "top", "upper"))
SLOTS = {
    **dict.fromkeys(("n", "r", "c", "a", "b", "o", "ro", "co"), NUMBER),
    "plot": one_of(language.PLOT_NOUNS), "plots": one_of(heard(*map(language.plural, language.PLOT_NOUNS))),
    "verb": one_of(heard(*[w for verbs in language.VERBS.values() for w in verbs])), "fill": r"[a-z]+",
    **dict.fromkeys(("pos", "side", "v", "h", "p1", "p2"), POSITION),
    "line": one_of(heard("row", "column")), "lines": one_of(heard("rows", "columns")),
    "an": r"[a-z']+",
    # A seed or another plant, in any form a transcript may write it ("sun flowers", "daisy's").
    **dict.fromkeys(("s", "p"), r"(?:[a-z']+ )?(?:" + one_of(heard(*[
        w for name in [*(n for k in tools.SEEDS for n in (*language.seed_names(k), *language.seed_synonyms(k))),
                       *language.OTHER_PLANTS, *map(language.plural, language.OTHER_PLANTS)]
        for w in (name, name.split()[-1])])) + ")"),
}
NOUN_POOLS = ("plot noun", "other plant")  # their held-out words are held out in the plural too


def pattern(phrasing: str) -> re.Pattern:
    """A held-out phrasing as a regex over normalised text; other slots match any words."""
    parts = [part for part in re.split(r"(\{\w+\})", phrasing) if part]
    texts = [part if part.startswith("{") else flat(part) for part in parts]
    texts[0], texts[-1] = texts[0].lstrip(), texts[-1].rstrip()  # "what's up?" ends at "up"
    body = "".join(SLOTS.get(t[1:-1], ".+?") if t.startswith("{") else re.escape(t) for t in texts)
    return re.compile(r"(?<![a-z0-9'])" + body + r"(?![a-z0-9'])")


@functools.cache  # compiling them all takes a while, and leaks() is called a text at a time
def held_out_patterns() -> dict[str, re.Pattern]:
    found = {}
    for name, pool in pools.POOLS.items():
        for phrasing in pool.held_out:
            found[phrasing] = pattern(phrasing)
            if name in NOUN_POOLS:
                found[language.plural(phrasing)] = pattern(language.plural(phrasing))
    return found


def utterances(cases):
    for case in cases:
        yield case["utterance"]
        for past in case.get("history", []):
            yield past["utterance"]


def leaks(text: str, patterns: dict[str, re.Pattern] | None = None) -> list[str]:
    """The held-out phrasings `text` says."""
    patterns = held_out_patterns() if patterns is None else patterns
    return [phrasing for phrasing, p in patterns.items() if says(p, text)]
