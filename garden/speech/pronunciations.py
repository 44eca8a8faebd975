"""Phones for words the PocketSphinx (CMU) dictionary lacks, and second pronunciations it needs:
`pronunciations(lookup, words)` and `alternate_pronunciations(words)`."""

from __future__ import annotations

import re
from typing import Callable, Iterable


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
