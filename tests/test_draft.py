"""Speculative drafting: the guesses, and the KV-cache rollback that keeps the output exact."""

import pytest

from garden.brain import draft


def test_lookup_copies_what_followed_the_last_tokens_before():
    context = [5, 6, 7, 8, 9, 1, 2, 5, 6, 7]
    assert draft.lookup(context) == [8, 9, 1, 2, 5, 6, 7]
    assert draft.lookup(context, limit=2) == [8, 9]
    assert draft.lookup([1, 2, 3, 4]) == []


def test_next_plots_continues_rows_columns_and_reading_order():
    row = "call:water_plots{plots:[[2,1],[2,2"  # the model just chose the column number
    assert draft.next_plots(row, 3, 3, count=1) == "],[2,3]"
    assert draft.next_plots(row + "]", 3, 3, count=1) == ",[2,3]"
    assert draft.next_plots(row + "],", 3, 3) == ""  # not at the end of a plot
    column = "call:water_plots{plots:[[1,3],[2,3"
    assert draft.next_plots(column, 4, 3, count=2) == "],[3,3],[4,3]"
    single = "call:plant_seed{plots:[[1,3"
    assert draft.next_plots(single, 3, 3, count=2) == "],[2,1],[2,2]"
    assert draft.next_plots("call:plant_seed{plots:[[3,3", 3, 3) == ""  # nothing left
    assert draft.next_plots("call:water_plots{plots:[", 3, 3) == ""


def test_a_plot_list_the_turn_gives_is_guessed_whole_once_the_answer_begins_it():
    turn = ("<start_of_turn>user\nGarden: all empty.\nwater plot 4 and the top row, and the top left corner\n"
            "Plot numbers: 4 [2,1].\n"
            "Places: top row [1,1],[1,2],[1,3]; top left corner [1,1]."
            "<end_of_turn>\n<start_of_turn>model\n")
    lists = draft.place_lists(turn)
    assert lists == [["[2,1]"], ["[1,1]", "[1,2]", "[1,3]"], ["[1,1]"]]
    begun = "call:water_plots{plots:[[1,1]"
    assert draft.rest_of_list(begun, lists) == ",[1,2],[1,3]]"
    assert draft.rest_of_list(begun + ",[1,2]", lists) == ",[1,3]]"
    # decoding asks after the tokens the grammar forces, so a plot may be half written
    assert draft.rest_of_list(begun + ",[", lists) == "1,2],[1,3]]"
    assert draft.rest_of_list("call:water_plots{plots:[[2,", lists) == "1]]"  # plot 4 is the first list
    assert draft.rest_of_list("call:water_plots{plots:[[1,1", lists) == "],[1,2],[1,3]]"
    assert draft.rest_of_list("call:water_plots{plots:[[", lists) == ""  # no choice yet: which list is open
    assert draft.rest_of_list("call:water_plots{plots:[", lists) == ""
    assert draft.rest_of_list("call:water_plots{plots:[[", lists[1:2]) == "1,1],[1,2],[1,3]]"
    assert draft.rest_of_list("call:water_plots{plots:[[2,2]", lists) == ""  # none begins so
    assert draft.rest_of_list("call:water_plots{plots:[[1,1]]}", lists) == ""  # closed
    assert draft.place_lists("<start_of_turn>user\nhello") == []


@pytest.mark.parametrize("keep", [0, 2, 4])
def test_rollback_leaves_the_cache_as_if_the_rejected_tokens_were_never_fed(keep):
    """Past the sliding window (the garden prompt always is) and on a full-attention layer."""
    import torch
    from transformers import Gemma3TextConfig, Gemma3TextModel

    from garden.brain.kv_cache import rollback, snapshot

    torch.manual_seed(0)
    config = Gemma3TextConfig(vocab_size=100, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                              num_attention_heads=2, num_key_value_heads=1, head_dim=16, sliding_window=8,
                              layer_types=["sliding_attention", "full_attention"], max_position_embeddings=256)
    model = Gemma3TextModel(config).eval()
    a, guess, d = list(range(10, 22)), [40, 41, 42, 43], [60, 61]
    ids = lambda xs: torch.tensor([xs])  # noqa: E731
    with torch.no_grad():
        cache = model(input_ids=ids(a), use_cache=True).past_key_values
        saved = snapshot(cache)
        assert saved is not None
        model(input_ids=ids(guess), past_key_values=cache, use_cache=True)
        rollback(saved, fed=len(guess), keep=keep)
        spec = model(input_ids=ids(d), past_key_values=cache, use_cache=True).last_hidden_state

        ref_cache = model(input_ids=ids(a + guess[:keep]), use_cache=True).past_key_values
        ref = model(input_ids=ids(d), past_key_values=ref_cache, use_cache=True).last_hidden_state
    assert torch.allclose(spec, ref, atol=1e-5)


def test_the_turns_of_an_object_form_adapter_are_drafted_too():
    turn = "Places: top row {col:1,row:1} {col:2,row:1} {col:3,row:1}.<end_of_turn>"
    lists = draft.place_lists(turn)
    assert lists == [["{col:1,row:1}", "{col:2,row:1}", "{col:3,row:1}"]]
    assert draft.rest_of_list("call:water_plots{plots:[{col:1,row:1}", lists) == ",{col:2,row:1},{col:3,row:1}]"
    assert draft.rest_of_list("call:water_plots{plots:[{col:1,row:1}]}", lists) == ""  # closed
    assert draft.next_plots("call:water_plots{plots:[{col:1,row:2},{col:2,row:2", 3, 3, count=1) == "},{col:3,row:2}"
