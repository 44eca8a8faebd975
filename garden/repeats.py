"""Repeat counts, read by the game: "water plot 5 twice" is the command "water plot 5" and its last
call made twice. Two waterings make a seed bloom, so this is the most natural command in the game,
and the model, trained on single calls, answered it with one.

    split("water the top row three times please")  -> ("water the top row please", 3)
    repeat(calls, 3)                               -> the calls, the last one three times
"""

from __future__ import annotations

import re

from garden import language

COUNTS = language.REPEAT_COUNTS
MOST = max(COUNTS.values())
# The count ends the command (a thank-you may follow): "... twice", "... two times please".
_AT_END = re.compile(r"^(?P<command>.*?\S)[\s,]+(?P<count>" + "|".join(map(re.escape, COUNTS)) + r")"
                     r"(?P<tail>(?:[\s,]+(?:please|thanks|thank you|over|in a row))?[\s.!]*)$", re.IGNORECASE)


def split(text: str) -> tuple[str, int]:
    """(the command without its repeat count, how many times its last action is to happen)."""
    found = _AT_END.match(text.strip())
    if not found:
        return text, 1
    return found.group("command") + found.group("tail").rstrip(), COUNTS[found.group("count").lower()]


def repeat(calls: list[dict], times: int) -> list[dict]:
    """`calls` with the last one made `times` times in all, in order: "plant roses and water them
    twice" plants once and waters twice."""
    if times < 2 or not calls:
        return calls
    return calls[:-1] + [calls[-1]] * times
