"""How a generated case chooses its words (`Say`: seen or held-out phrasings, digits or number words) and
how the finished text comes out typed or as a speech recogniser would hear it."""

from __future__ import annotations

import random
import re
from typing import Callable

from garden import language
from training.pools import FILLER_END, FILLER_MID, FILLER_START, HEARD, PLOT_NOUN, Pool

HELD_OUT_CHANCE = 0.35  # how often the test split takes the held-out part of a pool


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


# --- how it is typed or heard ------------------------------------------------------------------------------------


def typed_or_heard(say: Say, text: str) -> str:
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
    words = [mishear(say, w) for w in re.sub(r"(?<![a-z])'|'(?![a-z])", " ", text).split()]
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


def mishear(say: Say, word: str) -> str:
    heard = HEARD.get(word)
    if heard is None or not say.chance(0.22):
        return word
    if not heard.seen and say.split != "test":
        return word
    return say.pick(heard)
