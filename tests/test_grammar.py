"""The garden grammar and the token-level constraint, without any model."""

import itertools
import random

import pytest

from garden import tools
from garden.brain import format as fg
from garden.brain.grammar import (CONTROL_IDS, SYMBOL, Constraint, Grammar, TokenGrammar, calls_tree, from_symbols, garden_grammar,
                                  to_symbols)

GOOD = ("<start_function_call>call:plant_seed{plots:[[1,1],[1,2]],seed:<escape>rose<escape>}"
        "<end_function_call><start_function_call>call:water_plots{plots:[[3,3]]}<end_function_call>"
        "<start_function_response>")


def test_grammar_accepts_well_formed_garden_calls():
    assert garden_grammar(3, 3).matches(GOOD)


@pytest.mark.parametrize("bad", [
    GOOD.replace("[3,3]", "[3,4]"),  # outside a 3x3 grid
    GOOD.replace("rose", "oak"),  # not a seed kind
    GOOD.replace("[1,1]", "{col:1,row:1}"),  # a plot is a [row,column] pair, as the model is told
    GOOD.replace("call:water_plots", "call:dig_plots"),  # unknown tool
    GOOD.replace("<start_function_response>", ""),  # must end with the response marker
    GOOD.replace("plots:[[3,3]]", "plots:[]"),  # at least one plot
    GOOD.replace("[1,1],[1,2]", "[1,2],[1,1]"),  # plots in reading order
    GOOD.replace("[1,1],[1,2]", "[1,1],[1,1]"),  # each plot once
    GOOD.replace("[1,1]", "[1,1,1]"),  # two numbers a plot
])
def test_grammar_rejects_anything_else(bad):
    assert not garden_grammar(3, 3).matches(bad)


def test_coordinates_follow_the_grid_size():
    call = "<start_function_call>call:harvest_plots{plots:[[2,5]]}<end_function_call><start_function_response>"
    assert garden_grammar(2, 5).matches(call)
    assert not garden_grammar(5, 4).matches(call)
    assert garden_grammar(6, 6).matches(call.replace("[2,5]", "[2,6]"))


def test_a_new_seed_kind_in_the_tool_definition_reaches_the_grammar():
    extended = tools.tools()
    extended[0]["function"]["parameters"]["properties"]["seed"]["enum"].append("lily")
    grammar = Grammar.from_tree(calls_tree(tools.model_tools(extended), 3, 3))
    assert grammar.matches(GOOD.replace("rose", "lily"))
    assert not garden_grammar(3, 3).matches(GOOD.replace("rose", "lily"))


def test_a_list_of_plots_is_any_set_of_plots_written_in_reading_order():
    grammar = garden_grammar(2, 2)
    cells = [(1, 1), (1, 2), (2, 1), (2, 2)]
    accepted = set()
    for length in range(1, 5):
        for seq in itertools.product(cells, repeat=length):
            plots = ",".join(f"[{r},{c}]" for r, c in seq)
            if grammar.matches(f"<start_function_call>call:water_plots{{plots:[{plots}]}}<end_function_call>"
                               "<start_function_response>"):
                accepted.add(seq)
    assert accepted == {seq for length in range(1, 5) for seq in itertools.combinations(cells, length)}


def test_forced_text_runs_up_to_the_next_choice():
    g = garden_grammar(3, 3)
    state = g.walk(0, to_symbols("<start_function_call>call:water"))
    assert from_symbols(g.forced_text(state)) == "_plots{plots:[["


def _toy_pieces(grammar):
    """A vocabulary with single characters plus a few merged pieces, like a BPE tokenizer's."""
    merged = ["call", ":", "plant", "_", "seed", "{", "plots", ":[", "[[", "],[", "]],", "]]}", "water",
              "harvest", "sun", "flower", "rose", "da", "isy", "tul", "ip", "hello", " world"]
    pieces = [""] * 110  # control tokens sit at their real ids, as in Gemma's vocabulary
    for text, token_id in CONTROL_IDS.items():
        pieces[token_id] = SYMBOL[text]
    return pieces + sorted(ch for ch in grammar.alphabet if ch not in SYMBOL.values()) + merged


@pytest.mark.parametrize("rows,cols", [(2, 2), (3, 3), (4, 5), (6, 6)])
def test_random_walks_through_allowed_tokens_always_give_valid_calls(rows, cols):
    grammar = garden_grammar(rows, cols)
    pieces = _toy_pieces(grammar)
    tg = TokenGrammar(grammar, pieces)
    rng = random.Random(rows * 10 + cols)
    for trial in range(150):
        budget = rng.choice([60, 80, 120, 200])  # the shortest call is ~45 characters
        c = Constraint(tg, None, max_tokens=budget)
        out = []
        while not c.done:
            token = rng.choice(c.allowed())
            c.advance(token)
            out.append(pieces[token])
        assert len(out) <= budget
        text = from_symbols("".join(out))
        parsed = fg.parse_model_output(text)
        assert parsed.error is None, text
        assert parsed.calls
        for call in parsed.calls:
            assert tools.validate_call(call.name, tools.from_model(call.name, call.arguments), rows, cols) == [], text


def test_the_constraint_refuses_tokens_outside_the_grammar():
    grammar = garden_grammar(3, 3)
    pieces = _toy_pieces(grammar)
    c = Constraint(TokenGrammar(grammar, pieces), None, max_tokens=50)
    c.advance(c.allowed()[0])  # <start_function_call>
    with pytest.raises(ValueError):
        c.advance(pieces.index("hello"))


def test_text_replies_are_capped_and_closed_with_end_of_turn():
    grammar = garden_grammar(3, 3)
    pieces = _toy_pieces(grammar)
    hello = pieces.index("hello")
    c = Constraint(TokenGrammar(grammar, pieces), [hello], max_tokens=50, max_text_tokens=5)
    assert c.text_allowed()
    steps = 0
    while not c.done:
        c.advance(hello if c.text_allowed() else c.allowed()[0])
        steps += 1
    assert steps == 6  # five words, then <end_of_turn>


def test_an_adapter_trained_on_the_object_form_keeps_its_grammar():
    old = GOOD.replace("[[1,1],[1,2]]", "[{col:1,row:1},{col:2,row:1}]").replace("[[3,3]]", "[{col:3,row:3}]")
    assert garden_grammar(3, 3, "object").matches(old)
    assert not garden_grammar(3, 3, "object").matches(GOOD)
    assert not garden_grammar(3, 3, "pair").matches(old)
