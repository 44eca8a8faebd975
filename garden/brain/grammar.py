"""Constrained decoding for the garden: a small state machine compiled once from the tool schemas.

Two layers, both testable without a model:

* `Grammar`  a character-level DFA over the model's output for one grid size. Control tokens
  (<start_function_call>, <escape>, ...) are single symbols, written here as private-use
  characters. The language is: one or more well-formed calls to the tools, each argument allowed
  by its schema (seed from the enum, every row/col inside the grid), then
  <start_function_response>. A list of plots names each plot once, in reading order (the order
  of the training targets). Compiled schema -> NFA (Thompson) -> DFA (subset construction).
* `TokenGrammar`  the DFA lifted onto a tokenizer's vocabulary: for each DFA state, which token
  ids may come next and where each leads, and which tokens are forced (jump-forward).

`Constraint` walks both for one generation: it also allows a short text reply instead of calls,
and closes the output before the token budget runs out, so every output parses and validates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from garden import tools as garden_tools
from garden.brain import format as fg

# Control tokens as one private-use character each, so the DFA can treat them as symbols.
CONTROL_IDS = {**fg.CONTROL_TOKENS, "<start_of_turn>": 105, "<end_of_turn>": 106}
SYMBOL = {text: chr(0xE000 + i) for text, i in CONTROL_IDS.items()}
TEXT_OF_SYMBOL = {v: k for k, v in SYMBOL.items()}

START_CALL, END_CALL = SYMBOL[fg.START_CALL], SYMBOL[fg.END_CALL]
START_RESPONSE, ESC = SYMBOL[fg.START_RESPONSE], SYMBOL[fg.ESCAPE]
END_TURN = SYMBOL[fg.END_TURN]

MAX_TEXT_TOKENS = 48  # a text reply is one short sentence


def to_symbols(text: str) -> str:
    for name, sym in SYMBOL.items():
        text = text.replace(name, sym)
    return text


def from_symbols(text: str) -> str:
    return "".join(TEXT_OF_SYMBOL.get(ch, ch) for ch in text)


# --- schema -> regular expression tree -----------------------------------------------------
# A node is ("lit", str) | ("alt", [nodes]) | ("seq", [nodes]) | ("star", node)
#         | ("ascending", [nodes]): one or more of the nodes, comma-separated, each used at most
#           once and in the given order (a set of plots written in reading order)

def _lit(s: str):
    return ("lit", s)


def _seq(*nodes):
    return ("seq", list(nodes))


def _alt(nodes):
    return ("alt", list(nodes))


def _value(schema: dict, key: str, bounds: dict[str, int]):
    kind = schema.get("type")
    if kind == "string":
        if "enum" not in schema:
            raise ValueError(f"'{key}': free strings are not part of the garden grammar; give an enum")
        return _seq(_lit(ESC), _alt([_lit(v) for v in schema["enum"]]), _lit(ESC))
    if kind == "integer":
        if key not in bounds:
            raise ValueError(f"'{key}': integers need a bound (known: {', '.join(bounds)})")
        return _alt([_lit(str(n)) for n in range(1, bounds[key] + 1)])
    if kind == "array":
        cells = _grid_cells(schema["items"], bounds)
        if cells is not None:
            return _seq(_lit("["), ("ascending", cells), _lit("]"))
        item = _value(schema["items"], key, bounds)
        return _seq(_lit("["), item, ("star", _seq(_lit(","), item)), _lit("]"))
    if kind == "object":
        return _object(schema, bounds)
    raise ValueError(f"'{key}': unsupported type {kind!r}")


def _grid_cells(schema: dict, bounds: dict[str, int]):
    """A list item that is a plot (a [row,col] pair, tools.PLOT_PAIR, or a {row, col} object,
    both bounded): every plot as a literal, in reading order, or None for other items. The
    training targets always list plots this way, so the decoder may insist on it: that rules out
    repeats and a plot forgotten then added out of place, at the cost of nothing the model was
    taught. (The schema itself stays as declared in the prompt; this is only the decoder's
    canonical form.)"""
    cells = [(r, c) for r in range(1, bounds["row"] + 1) for c in range(1, bounds["col"] + 1)]
    if schema == garden_tools.PLOT_PAIR:
        return [_lit(f"[{r},{c}]") for r, c in cells]
    props = schema.get("properties", {}) if schema.get("type") == "object" else {}
    if set(props) != {"row", "col"} or any(props[k].get("type") != "integer" for k in props):
        return None
    return [_lit(f"{{col:{c},row:{r}}}") for r, c in cells]  # keys sorted, as FunctionGemma writes them


def _object(schema: dict, bounds: dict[str, int]):
    props = schema.get("properties", {})
    if set(schema.get("required", [])) != set(props):
        raise ValueError("every property must be required: the garden grammar has no optional arguments")
    parts = [_lit("{")]
    for i, key in enumerate(sorted(props)):  # FunctionGemma renders keys sorted
        parts += [_lit(("," if i else "") + key + ":"), _value(props[key], key, bounds)]
    return _seq(*parts, _lit("}"))


def calls_tree(tool_list: list[dict], rows: int, cols: int):
    bounds = {"row": rows, "col": cols}
    one = _alt([_seq(_lit(t["function"]["name"]), _object(t["function"]["parameters"], bounds)) for t in tool_list])
    call = _seq(_lit(START_CALL + "call:"), one, _lit(END_CALL))
    return _seq(call, ("star", call), _lit(START_RESPONSE))


# --- tree -> NFA -> DFA ----------------------------------------------------------------------

class _NFA:
    def __init__(self):
        self.edges: list[list[tuple[str | None, int]]] = []

    def state(self) -> int:
        self.edges.append([])
        return len(self.edges) - 1

    def build(self, node, start: int) -> int:
        """Add node after `start`; return its end state (Thompson construction)."""
        kind, arg = node
        if kind == "lit":
            for ch in arg:
                nxt = self.state()
                self.edges[start].append((ch, nxt))
                start = nxt
            return start
        if kind == "seq":
            for part in arg:
                start = self.build(part, start)
            return start
        if kind == "alt":
            end = self.state()
            for part in arg:
                self.edges[self.build(part, start)].append((None, end))
            return end
        if kind == "ascending":
            # Shared states instead of a tree: after item i, a comma leads to any later item, so
            # the automaton grows with the number of items, not the number of their subsets.
            end = self.state()
            entries = [self.state() for _ in arg]
            for i, part in enumerate(arg):
                self.edges[start].append((None, entries[i]))
                done = self.build(part, entries[i])
                self.edges[done].append((None, end))
                if i + 1 < len(arg):
                    comma = self.state()
                    self.edges[done].append((",", comma))
                    self.edges[comma].extend((None, later) for later in entries[i + 1:])
            return end
        if kind == "star":
            loop, end = self.state(), self.state()
            self.edges[start].append((None, loop))
            self.edges[loop].append((None, end))
            self.edges[self.build(arg, loop)].append((None, loop))
            return end
        raise ValueError(kind)

    def closure(self, states) -> frozenset:
        seen, todo = set(states), list(states)
        while todo:
            for ch, nxt in self.edges[todo.pop()]:
                if ch is None and nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return frozenset(seen)


@dataclass
class Grammar:
    """A DFA: transitions[state][char] -> state; state 0 is the start."""

    transitions: list[dict[str, int]]
    accepting: set[int]
    distance: list[int] = field(default_factory=list)  # fewest chars from a state to acceptance

    @classmethod
    def from_tree(cls, tree) -> "Grammar":
        nfa = _NFA()
        start = nfa.state()
        final = nfa.build(tree, start)
        first = nfa.closure([start])
        index, transitions, accepting, todo = {first: 0}, [{}], set(), [first]
        while todo:
            current = todo.pop()
            moves: dict[str, set[int]] = {}
            for s in current:
                for ch, nxt in nfa.edges[s]:
                    if ch is not None:
                        moves.setdefault(ch, set()).add(nxt)
            for ch, targets in moves.items():
                target = nfa.closure(targets)
                if target not in index:
                    index[target] = len(transitions)
                    transitions.append({})
                    todo.append(target)
                transitions[index[current]][ch] = index[target]
            if final in current:
                accepting.add(index[current])
        grammar = cls(transitions, accepting)
        grammar.distance = grammar._distances()
        return grammar

    def _distances(self) -> list[int]:
        inf = 10**9
        dist = [0 if s in self.accepting else inf for s in range(len(self.transitions))]
        changed = True
        while changed:  # Bellman-Ford on a small graph; converges in a few passes
            changed = False
            for s, moves in enumerate(self.transitions):
                best = min((dist[t] + 1 for t in moves.values()), default=inf)
                if best < dist[s]:
                    dist[s], changed = best, True
        return dist

    def walk(self, state: int, text: str) -> int | None:
        for ch in text:
            state = self.transitions[state].get(ch)
            if state is None:
                return None
        return state

    def matches(self, text: str) -> bool:
        end = self.walk(0, to_symbols(text))
        return end is not None and end in self.accepting

    def forced_text(self, state: int) -> str:
        """The characters the grammar allows exactly one way from `state`."""
        out = []
        while state not in self.accepting and len(self.transitions[state]) == 1:
            (ch, state), = self.transitions[state].items()
            out.append(ch)
        return "".join(out)

    @property
    def alphabet(self) -> set[str]:
        return {ch for moves in self.transitions for ch in moves}


@lru_cache(maxsize=64)
def garden_grammar(rows: int, cols: int, form: str = garden_tools.PLOT_FORM) -> Grammar:
    """The grammar of garden calls on a rows x cols grid, compiled once per size and plot form."""
    return Grammar.from_tree(calls_tree(garden_tools.model_tools(form=form), rows, cols))


# --- the grammar on a tokenizer's vocabulary --------------------------------------------------

class TokenGrammar:
    """Which tokens may follow each DFA state, computed lazily with a trie walk and cached.

    Only tokens spelled entirely in the grammar's alphabet can ever be allowed in a call, a few
    thousand of Gemma's 262,144, so the trie holds just those."""

    def __init__(self, grammar: Grammar, pieces: list[str], encode=None):
        self.grammar = grammar
        self.encode = encode  # text -> ids, for jump-forward; None disables it
        alphabet = grammar.alphabet
        self.trie: dict = {}
        for token_id, piece in enumerate(pieces):
            if piece and all(ch in alphabet for ch in piece):
                node = self.trie
                for ch in piece:
                    node = node.setdefault(ch, {})
                node.setdefault(None, []).append(token_id)
        self._allowed: dict[int, tuple[list[int], list[int]]] = {}
        self._forced: dict[int, list[tuple[int, int]]] = {}
        self.pieces = pieces

    def allowed(self, state: int) -> tuple[list[int], list[int]]:
        """(token ids, the DFA state each leads to) for every token allowed in `state`."""
        if state not in self._allowed:
            ids, nexts, stack = [], [], [(state, self.trie)]
            while stack:
                s, node = stack.pop()
                for ch, child in node.items():
                    if ch is None:
                        if s != state:
                            ids.extend(child)
                            nexts.extend([s] * len(child))
                        continue
                    t = self.grammar.transitions[s].get(ch)
                    if t is not None:
                        stack.append((t, child))
            self._allowed[state] = (ids, nexts)
        return self._allowed[state]

    def within(self, state: int, budget: int) -> list[int]:
        """Allowed tokens after which acceptance is still reachable in `budget` more tokens
        (a token covers at least one character, and every character has a one-character token)."""
        ids, nexts = self.allowed(state)
        dist = self.grammar.distance
        if all(dist[n] <= budget for n in nexts):
            return ids
        return [i for i, n in zip(ids, nexts) if dist[n] <= budget]

    def forced(self, state: int) -> list[tuple[int, int]]:
        """Jump-forward: tokens to append without asking the model, as (id, state after).

        The grammar fixes the text up to the next choice; the tokens are taken from how the
        tokenizer splits that text followed by each possible choice, keeping only tokens that
        all continuations agree on and that end inside the fixed text. That is the split the
        model saw in training, so jumping does not change what greedy decoding would emit."""
        if self.encode is None:
            return []
        if state in self._forced:
            return self._forced[state]
        fixed = self.grammar.forced_text(state)
        result: list[tuple[int, int]] = []
        if fixed:
            end = self.grammar.walk(state, fixed)
            tails = [ch + self.grammar.forced_text(self.grammar.transitions[end][ch])
                     for ch in self.grammar.transitions[end]] or [""]
            splits = [self.encode(from_symbols(fixed + tail)) for tail in tails]
            s, used = state, 0
            for position, token in enumerate(splits[0]):
                if any(len(sp) <= position or sp[position] != token for sp in splits):
                    break
                piece = self.pieces[token]
                if used + len(piece) > len(fixed) or fixed[used:used + len(piece)] != piece:
                    break
                s = self.grammar.walk(s, piece)
                used += len(piece)
                result.append((token, s))
        self._forced[state] = result
        return result


def vocabulary_pieces(tokenizer) -> list[str]:
    """Each token id's text as the grammar sees it: control tokens become their symbols; pieces
    with spaces or byte fallbacks keep characters the call grammar never uses."""
    pieces = tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))
    return [SYMBOL.get(p, p) if p is not None else "" for p in pieces]


# --- one generation ---------------------------------------------------------------------------

class Constraint:
    """The state of one constrained generation: calls or a short text reply, within a budget.

    Use: ids = c.allowed(); pick one; c.advance(id); until c.done."""

    def __init__(self, token_grammar: TokenGrammar, text_ids: list[int] | None, max_tokens: int,
                 max_text_tokens: int = MAX_TEXT_TOKENS):
        self.tg = token_grammar
        self.text_ids = text_ids  # ids allowed in a text reply (None: no text replies)
        self.budget = max_tokens
        self.max_text = max_text_tokens
        self.mode = "start"  # -> "call" or "text"
        self.state = 0
        self.text_len = 0
        self.done = False
        self.start_call_id = CONTROL_IDS[fg.START_CALL]
        self.end_turn_id = CONTROL_IDS[fg.END_TURN]

    def text_allowed(self) -> bool:
        """May the next token be any ordinary text token (text_ids)? Kept apart from allowed()
        because that set is most of the vocabulary: decoders hold it as a precomputed mask."""
        if self.text_ids is None:
            return False
        if self.mode == "start":
            return True
        return self.mode == "text" and self.text_len < min(self.max_text, self.budget - 1)

    def allowed(self) -> list[int]:
        """The grammar's tokens allowed next, besides text tokens when text_allowed()."""
        if self.mode == "start":
            return [self.start_call_id]
        if self.mode == "text":
            return [self.end_turn_id]
        return self.tg.within(self.state, self.budget - 1)

    def advance(self, token_id: int) -> None:
        if self.done:
            raise RuntimeError("the output is already complete")
        self.budget -= 1
        if self.mode == "start":
            if token_id == self.start_call_id:
                self.mode, self.state = "call", self.tg.grammar.transitions[0][START_CALL]
                return
            self.mode = "text"
        if self.mode == "text":
            if token_id == self.end_turn_id:
                self.done = True
            else:
                self.text_len += 1
            return
        ids, nexts = self.tg.allowed(self.state)
        try:
            self.state = nexts[ids.index(token_id)]
        except ValueError:
            raise ValueError(f"token {token_id} ({self.tg.pieces[token_id]!r}) is not allowed here") from None
        self.done = self.state in self.tg.grammar.accepting

    def forced(self) -> list[int]:
        """Tokens that must come next whatever the model says (only inside calls)."""
        if self.mode != "call" or self.done:
            return []
        # Forced tokens lie on the only way forward, so they never overrun the budget.
        return [token_id for token_id, _ in self.tg.forced(self.state)]


def text_reply_ids(tokenizer) -> list[int]:
    """Tokens a text reply may use: ordinary vocabulary, no control or special tokens."""
    special = set(tokenizer.all_special_ids) | set(CONTROL_IDS.values()) | set(tokenizer.added_tokens_decoder)
    pieces = tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))
    # Byte-fallback pieces (<0x0A>...) and newlines have no place in a one-line reply.
    return [i for i, p in enumerate(pieces) if i not in special and p and not p.startswith("<0x") and "\n" not in p]
