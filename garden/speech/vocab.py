"""What the recognisers may hear: the garden's words, as a recogniser writes them.

Everything here comes from garden.language, the same tables the training generator writes its
sentences from, so a recogniser limited to these words hears every word the model was trained on.
The sentences a recogniser's language model is trained on are in garden/speech/corpus.py, the
model itself in language_model.py, and phones for PocketSphinx in pronunciations.py.

    recogniser_words()        the vocabulary, as a recogniser should write it ("let's", not "lets")
    vosk_phrases(has_word)    that vocabulary minus the words a Vosk model lacks, plus "[unk]"
    misheard_forms()          homophones and split compounds a recogniser may write ("tu lips")
    spoken_form(utterance)    a typed utterance as a recogniser would write it
"""

from __future__ import annotations

import functools
import re
from typing import Callable, Iterable

from garden import language, tools

UNK = "[unk]"


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
