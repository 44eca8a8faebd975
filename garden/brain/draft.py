"""Draft tokens for speculative decoding: cheap guesses that one forward pass then checks.

Greedy decoding spends one forward pass per choice the grammar leaves open. Garden answers are
very repetitive, so a guess of what comes next is often right:

* lookup:  the last few tokens already occurred in the prompt's history or the answer so far;
           guess that what followed them then follows again. "plant roses in the top row and
           water them" repeats the first call's plot list in the second call; "now water them"
           repeats the list from the history.
* pattern: inside a plot list, continue the step between the last two plots ([1,1],[1,2] ->
           [1,3]), in reading order for a single plot.
* places:  the command's own turn lists the places it names ("Places: top row [1,1],[1,2],[1,3]",
           "Plot numbers: 4 [2,1]; 9 [3,3]");
           once the answer's plot list has begun like one of those lists, guess the rest of it
           and the closing bracket, however long: a whole row of a 6x6 garden in one pass.

The decoder feeds the guess together with the next token, keeps the longest prefix the model
agrees with (its own constrained greedy choice at every position), and rolls the KV cache back
over the rest, so the output is exactly what one-token-at-a-time decoding gives.
"""

from __future__ import annotations

import copy
import re

MAX_DRAFT = 24  # tokens per guess: a whole plot list of a row or two, or a repeated call
MAX_LIST_DRAFT = 240  # a list the command's turn gives is a surer guess: all but one plot of 5x5
LOOKUP_NGRAMS = (4, 3, 2)  # longest match first

# A plot as the model writes it, in either plot form (garden.tools.PLOT_FORMS): [row,col], or
# {col:c,row:r} for adapters trained before the pair form.
_LAST_PLOT = re.compile(r"(?:\[(?P<r>\d+),(?P<c>\d+)\]?|\{col:(?P<oc>\d+),row:(?P<or>\d+)\}?)$")
_PLOTS = re.compile(r"\[(?P<r>\d+),(?P<c>\d+)|\{col:(?P<oc>\d+),row:(?P<or>\d+)")
_PLACE = re.compile(r"\[\d+,\d+\]|\{col:\d+,row:\d+\}")
_OPEN_LIST = "plots:["


def _row_col(found: re.Match) -> tuple[int, int]:
    return (int(found["r"]), int(found["c"])) if found["r"] else (int(found["or"]), int(found["oc"]))


def _closed(inside: str) -> bool:
    """Whether a plot list (the text after its "plots:[") is closed: a "]" that ends no plot."""
    return "]" in _PLACE.sub("", inside)


def lookup(context: list[int], limit: int = MAX_DRAFT) -> list[int]:
    """Prompt-lookup drafting: the tokens that followed the most recent earlier occurrence of
    the context's last n tokens (n from LOOKUP_NGRAMS, longest first)."""
    for n in LOOKUP_NGRAMS:
        if len(context) <= n:
            continue
        tail = context[-n:]
        for start in range(len(context) - n - 1, -1, -1):
            if context[start:start + n] == tail:
                follow = context[start + n:start + n + limit]
                if follow:
                    return follow
    return []


def next_plots(call_text: str, rows: int, cols: int, count: int = 4) -> str:
    """If the call text ends with a plot's column number (or the plot's closing bracket) inside a
    plot list, guess the next plots (after closing that one)."""
    last = _LAST_PLOT.search(call_text)
    if not last or _OPEN_LIST not in call_text:
        return ""
    pair = last["r"] is not None
    end = "]" if pair else "}"
    close = "" if call_text.endswith(end) else end
    plots = [_row_col(m) for m in _PLOTS.finditer(call_text[call_text.rfind(_OPEN_LIST) + len(_OPEN_LIST):])]
    if not plots:
        return ""
    (r, c) = plots[-1]
    step = (plots[-1][0] - plots[-2][0], plots[-1][1] - plots[-2][1]) if len(plots) > 1 else None
    out = []
    for _ in range(count):
        if step and step != (0, 0) and 1 <= r + step[0] <= rows and 1 <= c + step[1] <= cols:
            r, c = r + step[0], c + step[1]
        elif c < cols:
            r, c = r, c + 1  # reading order
        elif r < rows:
            r, c = r + 1, 1
        else:
            break
        if (r, c) in plots:
            break
        plots.append((r, c))
        out.append(f",[{r},{c}]" if pair else f",{{col:{c},row:{r}}}")
    return close + "".join(out) if out else ""


_PLACES_LINE = re.compile(r"^(Places|Plot numbers): (.*)\.(?:<end_of_turn>)?$", re.M)


def place_lists(turn: str) -> list[list[str]]:
    """The plot lists a command's own turn gives (garden.brain.prompt.user_text): each entry of
    its places line, and all the plots its plot-number line names, as the turn writes them ("[r,c]"
    or "{col:c,row:r}"), in reading order."""
    lists = []
    for kind, body in _PLACES_LINE.findall(turn):
        if kind == "Places":
            lists += [found for part in body.split("; ") if (found := _PLACE.findall(part))]
        elif found := _PLACE.findall(body):
            lists.append(found)
    return lists


def rest_of_list(call_text: str, lists: list[list[str]]) -> str:
    """If the call text is inside a plot list that has begun like one of `lists`, the rest of
    that list and the "]" that closes it, from wherever the text stops (a plot may be half
    written: decoding asks for a guess after the tokens the grammar forces, such as "[").
    Before the first plot's first number is chosen, only when the turn gives one list: with several,
    the model's first choice says which."""
    open_at = call_text.rfind(_OPEN_LIST)
    inside = call_text[open_at + len(_OPEN_LIST):]
    if open_at < 0 or _closed(inside):
        return ""
    written = _PLACE.findall(inside)
    tail = inside[sum(len(p) for p in written) + max(0, len(written) - 1):]  # after the last whole plot
    if not written and not re.search(r"\d", tail) and len(lists) != 1:
        return ""
    for found in lists:
        if len(found) > len(written) and found[:len(written)] == written:
            rest = ("," if written else "") + ",".join(found[len(written):]) + "]"
            if rest.startswith(tail) and len(rest) > len(tail):
                return rest[len(tail):]
    return ""


def within_grammar(constraint, tokens: list[int]) -> list[int]:
    """The longest prefix of `tokens` that the constraint allows, token by token."""
    probe = copy.copy(constraint)
    kept = []
    for token in tokens:
        if probe.done or probe.mode != "call" or token not in probe.allowed():
            break
        probe.advance(token)
        kept.append(token)
    return kept
