"""The tool definition and validation: arbitrary arguments never crash and never corrupt state."""

import copy
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from garden import tools
from garden.engine import Garden

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10, 10) | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(["row", "col", "seed", "plots", "x"]) | st.text(max_size=4), inner, max_size=4),
    max_leaves=12,
)
plausible_plots = st.lists(st.fixed_dictionaries({"row": st.integers(-1, 8), "col": st.integers(-1, 8)}), max_size=6)
plausible_args = st.fixed_dictionaries({"plots": plausible_plots | json_values}, optional={
    "seed": st.sampled_from(list(tools.SEEDS) + ["cactus", ""]) | json_values, "extra": json_values})
names = st.sampled_from(list(tools.TOOL_NAMES) + ["dig", ""]) | json_values


def test_there_are_exactly_the_three_garden_tools_in_hugging_face_shape():
    assert tools.TOOL_NAMES == ("plant_seed", "water_plots", "harvest_plots")
    for tool in tools.TOOLS:
        assert tool["type"] == "function"
        assert set(tool["function"]) == {"name", "description", "parameters"}
    assert tools.tool_schema("plant_seed")["properties"]["seed"]["enum"] == list(tools.SEEDS)


def test_validation_accepts_a_good_call_and_explains_bad_ones():
    good = {"seed": "rose", "plots": [{"row": 1, "col": 2}]}
    assert tools.validate_call("plant_seed", good, 3, 3) == []
    assert "outside" in tools.validate_call("plant_seed", {"seed": "rose", "plots": [{"row": 4, "col": 1}]}, 3, 3)[0]
    assert "one of" in tools.validate_arguments("plant_seed", {"seed": "oak", "plots": [{"row": 1, "col": 1}]})[0]
    assert "missing 'seed'" in tools.validate_arguments("plant_seed", {"plots": [{"row": 1, "col": 1}]})[0]
    assert "integer" in tools.validate_arguments("water_plots", {"plots": [{"row": True, "col": 1}]})[0]
    assert "unknown tool" in tools.validate_arguments("dig", {})[0]


@settings(max_examples=400, deadline=None)
@given(name=names, arguments=plausible_args | json_values, rows=st.integers(2, 6), cols=st.integers(2, 6))
def test_arbitrary_calls_never_crash_and_leave_the_state_consistent(name, arguments, rows, cols):
    g = Garden(rows=rows, cols=cols)
    g.apply("plant_seed", {"seed": "rose", "plots": [{"row": 1, "col": 1}]})
    before = copy.deepcopy(g.to_dict())
    snapshot = copy.deepcopy(arguments)
    result = g.apply(name, arguments)
    assert arguments == snapshot or arguments != arguments  # the engine never mutates its input
    assert json.loads(json.dumps(result)) == result
    assert result["status"] in ("ok", "partial", "refused", "error")
    if tools.validate_arguments(name, arguments):
        assert result["status"] == "error" and g.to_dict() == before  # bad arguments apply nothing
    Garden.from_dict(g.to_dict())  # the state is still a valid garden
    assert len(g.plots) == rows and all(len(r) == cols for r in g.plots)


def test_plot_numbers_and_coordinates_round_trip():
    for cols in range(2, 7):
        for n in range(1, cols * 6 + 1):
            r, c = tools.plot_coords(n, cols)
            assert tools.plot_number(r, c, cols) == n


def test_the_model_writes_a_plot_as_a_row_column_pair_and_the_engine_gets_it_back_as_a_plot():
    calls = [("plant_seed", {"seed": "rose", "plots": [{"row": 2, "col": 3}, {"row": 3, "col": 1}]}),
             ("water_plots", {"plots": [{"row": 1, "col": 1}]})]
    for name, arguments in calls:
        written = tools.to_model(name, arguments)
        assert written["plots"] == [[p["row"], p["col"]] for p in arguments["plots"]]
        assert written.get("seed") == arguments.get("seed")
        assert tools.from_model(name, written) == arguments
        assert tools.from_model(name, arguments) == arguments  # already the engine's form
    # a malformed pair is left as it is, for the validator to explain
    bad = tools.from_model("water_plots", {"plots": [[1, 2, 3]]})
    assert tools.validate_call("water_plots", bad, 3, 3)
    # the model is told of pairs; the engine's own definition is unchanged
    declared = {t["function"]["name"]: t["function"]["parameters"]["properties"]["plots"] for t in tools.model_tools()}
    assert all(p["items"] == tools.PLOT_PAIR and "[row,column]" in p["description"] for p in declared.values())
    assert all(t["function"]["parameters"]["properties"]["plots"]["items"]["type"] == "object" for t in tools.TOOLS)


def test_an_adapter_says_how_it_writes_a_plot_and_one_that_does_not_learnt_the_object_form(tmp_path):
    from garden.brain import adapters
    from garden.brain import prompt as garden_prompt

    assert adapters.plot_form(None) == tools.PLOT_FORM  # zero-shot: the form new adapters learn
    assert adapters.plot_form(tmp_path) == "object"  # no garden-adapter.json: trained before the pair form
    (tmp_path / adapters.META).write_text(json.dumps({"base_id": "x"}))
    assert adapters.plot_form(tmp_path) == "object"
    (tmp_path / adapters.META).write_text(json.dumps({"base_id": "x", "plot_form": "pair"}))
    assert adapters.plot_form(tmp_path) == "pair"
    # the object form is the text those adapters learnt, byte for byte
    assert garden_prompt.place(8, 3, "object") == "{col:2,row:3}" and garden_prompt.place(8, 3, "pair") == "[3,2]"
    assert garden_prompt.developer_text(3, 3, "object").startswith(
        "You tend a garden of 3 rows and 3 columns. Row 1 is the top row, column 1 the left column. Plots are "
        "numbered row by row from the top left: 1 {col:1,row:1}; 2 {col:2,row:1};")
    assert garden_prompt.places_text("water the top row", None, 3, 3, "object") == (
        "Places: top row {col:1,row:1} {col:2,row:1} {col:3,row:1}.")
    assert garden_prompt.render_target([{"name": "water_plots", "arguments": {"plots": [{"row": 1, "col": 2}]}}],
                                       form="object") == (
        "<start_function_call>call:water_plots{plots:[{col:2,row:1}]}<end_function_call><start_function_response>")
