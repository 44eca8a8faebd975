"""The FunctionGemma prompt format: renderer parity with Google's template, and the parser."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from garden.brain import format as fg
from garden.brain.format import Call, FormatError, parse_call_text, parse_model_output, parse_value

# --- the two references, rendered by Google's official template --------------------------------
# Inputs are verbatim from the spec (with the display fold "te\nmperature" undone); the expected
# strings drop the newline that print() added after the last token.

REFERENCE_WEATHER = json.loads(r"""
{"tools": [{"type": "function", "function": {"name": "get_current_weather", "description": "Gets the current weather in a given location.", "parameters": {"type": "object", "properties": {"location": {"type": "string", "description": "The city and state, e.g. \"San Francisco, CA\" or \"Tokyo, JP\""}, "unit": {"type": "string", "enum": ["celsius", "fahrenheit"], "description": "The unit to return the temperature in."}}, "required": ["location"]}}}], "messages": [{"role": "developer", "content": "You are a model that can do function calling with the following functions"}, {"role": "user", "content": "Hey, what's the weather in Tokyo right now?"}, {"role": "assistant", "tool_calls": [{"type": "function", "function": {"name": "get_current_weather", "arguments": {"location": "Tokyo, Japan"}}}]}, {"role": "tool", "content": [{"name": "get_current_weather", "response": {"temperature": 15, "weather": "sunny"}}]}, {"role": "assistant", "content": "The current weather in Tokyo is sunny with a temperature of 15 degrees Celsius."}]}
""")

EXPECTED_WEATHER = (
    "<bos><start_of_turn>developer\n"
    "You are a model that can do function calling with the following functions"
    "<start_function_declaration>declaration:get_current_weather{description:<escape>Gets the current weather in a given location.<escape>,"
    "parameters:{properties:{location:{description:<escape>The city and state, e.g. \"San Francisco, CA\" or \"Tokyo, JP\"<escape>,type:<escape>STRING<escape>},"
    "unit:{description:<escape>The unit to return the temperature in.<escape>,enum:[<escape>celsius<escape>,<escape>fahrenheit<escape>],type:<escape>STRING<escape>}},"
    "required:[<escape>location<escape>],type:<escape>OBJECT<escape>}}<end_function_declaration><end_of_turn>\n"
    "<start_of_turn>user\n"
    "Hey, what's the weather in Tokyo right now?<end_of_turn>\n"
    "<start_of_turn>model\n"
    "<start_function_call>call:get_current_weather{location:<escape>Tokyo, Japan<escape>}<end_function_call>"
    "<start_function_response>response:get_current_weather{temperature:15,weather:<escape>sunny<escape>}<end_function_response>"
    "The current weather in Tokyo is sunny with a temperature of 15 degrees Celsius.<end_of_turn>\n"
)

REFERENCE_SEARCH = json.loads(r"""
{"tools": [{"type": "function", "function": {"description": "Search internal company documents, policies and project data.", "name": "search_knowledge_base", "parameters": {"properties": {"query": {"description": "query string", "type": "string"}}, "required": ["query"], "type": "object"}}}, {"type": "function", "function": {"description": "Search public information.", "name": "search_google", "parameters": {"properties": {"query": {"description": "query string", "type": "string"}}, "required": ["query"], "type": "object"}}}], "messages": [{"content": "You are a model that can do function calling with the following functions", "role": "developer"}, {"content": "What is the reimbursement limit for travel meals?", "role": "user"}, {"role": "assistant", "tool_calls": [{"function": {"arguments": {"query": "travel meal reimbursement limit policy"}, "name": "search_knowledge_base"}, "type": "function"}]}]}
""")

EXPECTED_SEARCH = (
    "<bos><start_of_turn>developer\n"
    "You are a model that can do function calling with the following functions"
    "<start_function_declaration>declaration:search_knowledge_base{description:<escape>Search internal company documents, policies and project data.<escape>,"
    "parameters:{properties:{query:{description:<escape>query string<escape>,type:<escape>STRING<escape>}},required:[<escape>query<escape>],type:<escape>OBJECT<escape>}}<end_function_declaration>"
    "<start_function_declaration>declaration:search_google{description:<escape>Search public information.<escape>,"
    "parameters:{properties:{query:{description:<escape>query string<escape>,type:<escape>STRING<escape>}},required:[<escape>query<escape>],type:<escape>OBJECT<escape>}}<end_function_declaration><end_of_turn>\n"
    "<start_of_turn>user\n"
    "What is the reimbursement limit for travel meals?<end_of_turn>\n"
    "<start_of_turn>model\n"
    "<start_function_call>call:search_knowledge_base{query:<escape>travel meal reimbursement limit policy<escape>}<end_function_call><start_function_response>"
)


def test_reference_weather_conversation_renders_byte_for_byte():
    assert fg.render(REFERENCE_WEATHER["messages"], REFERENCE_WEATHER["tools"]) == EXPECTED_WEATHER


def test_reference_search_conversation_ending_in_a_call_renders_byte_for_byte():
    assert fg.render(REFERENCE_SEARCH["messages"], REFERENCE_SEARCH["tools"]) == EXPECTED_SEARCH


def test_generation_prompt_is_not_added_while_the_model_turn_is_open():
    # After calls the model's turn stays open: the template adds nothing more.
    assert fg.render(REFERENCE_SEARCH["messages"], REFERENCE_SEARCH["tools"], add_generation_prompt=True) == EXPECTED_SEARCH
    after_responses = REFERENCE_WEATHER["messages"][:-1]
    text = fg.render(after_responses, REFERENCE_WEATHER["tools"], add_generation_prompt=True)
    assert text.endswith("<end_function_response>")


def test_generation_prompt_opens_a_model_turn_after_a_user_turn():
    messages = REFERENCE_WEATHER["messages"][:2]
    text = fg.render(messages, REFERENCE_WEATHER["tools"], add_generation_prompt=True)
    assert text.endswith("Hey, what's the weather in Tokyo right now?<end_of_turn>\n<start_of_turn>model\n")
    assert fg.render(messages, REFERENCE_WEATHER["tools"]).endswith("right now?<end_of_turn>\n")


def test_system_role_is_rendered_as_the_developer_turn():
    as_system = [{"role": "system", "content": "  Be brief.\n"}, {"role": "user", "content": "hi"}]
    assert fg.render(as_system) == "<bos><start_of_turn>developer\nBe brief.<end_of_turn>\n<start_of_turn>user\nhi<end_of_turn>\n"


def test_tools_without_a_developer_message_still_get_a_developer_turn():
    tool = REFERENCE_SEARCH["tools"][1]
    text = fg.render([{"role": "user", "content": "hi"}], [tool])
    assert text == ("<bos><start_of_turn>developer\n" + fg.render_declaration(tool)
                    + "<end_of_turn>\n<start_of_turn>user\nhi<end_of_turn>\n")


def test_no_developer_turn_without_developer_message_or_tools():
    text = fg.render([{"role": "user", "content": " hi "}, {"role": "assistant", "content": "hello"}])
    assert text == "<bos><start_of_turn>user\nhi<end_of_turn>\n<start_of_turn>model\nhello<end_of_turn>\n"


def test_each_tool_response_opens_with_its_own_start_token():
    messages = [
        {"role": "user", "content": "water and harvest"},
        {"role": "assistant", "tool_calls": [
            {"type": "function", "function": {"name": "water_plots", "arguments": {"plots": [{"row": 1, "col": 1}]}}},
            {"type": "function", "function": {"name": "harvest_plots", "arguments": '{"plots": [{"row": 2, "col": 1}]}'}},
        ]},
        {"role": "tool", "content": [
            {"name": "water_plots", "response": {"status": "ok"}},
            {"name": "harvest_plots", "response": {"status": "error"}},
        ]},
    ]
    assert fg.render(messages).endswith(
        "<start_of_turn>model\n"
        "<start_function_call>call:water_plots{plots:[{col:1,row:1}]}<end_function_call>"
        "<start_function_call>call:harvest_plots{plots:[{col:1,row:2}]}<end_function_call>"
        "<start_function_response>response:water_plots{status:<escape>ok<escape>}<end_function_response>"
        "<start_function_response>response:harvest_plots{status:<escape>error<escape>}<end_function_response>")


def test_hf_style_tool_messages_are_named_by_their_calls_and_wrap_plain_values():
    messages = [
        {"role": "user", "content": "go"},
        {"role": "assistant", "tool_calls": [{"function": {"name": "a", "arguments": {}}},
                                             {"function": {"name": "b", "arguments": {}}}]},
        {"role": "tool", "content": "done"},
        {"role": "tool", "name": "b", "content": {"n": 2}},
    ]
    assert fg.render(messages).endswith(
        "<start_function_call>call:a{}<end_function_call><start_function_call>call:b{}<end_function_call>"
        "<start_function_response>response:a{value:<escape>done<escape>}<end_function_response>"
        "<start_function_response>response:b{n:2}<end_function_response>")


def test_user_message_after_tool_responses_closes_the_model_turn():
    messages = REFERENCE_WEATHER["messages"][1:4] + [{"role": "user", "content": "And Osaka?"}]
    text = fg.render(messages, add_generation_prompt=True)
    assert text.endswith("<end_function_response><end_of_turn>\n<start_of_turn>user\nAnd Osaka?<end_of_turn>\n<start_of_turn>model\n")


def test_assistant_text_with_calls_comes_before_the_calls():
    messages = [{"role": "user", "content": "x"},
                {"role": "assistant", "content": "On it.", "tool_calls": [{"function": {"name": "f", "arguments": {"a": 1}}}]}]
    assert fg.render(messages).endswith("<start_of_turn>model\nOn it.<start_function_call>call:f{a:1}<end_function_call><start_function_response>")


def test_malformed_conversations_are_refused():
    calls = {"role": "assistant", "tool_calls": [{"function": {"name": "f", "arguments": {}}}]}
    with pytest.raises(ValueError, match="must be followed"):
        fg.render([{"role": "user", "content": "x"}, calls, {"role": "user", "content": "y"}])
    with pytest.raises(ValueError, match="must follow"):
        fg.render([{"role": "user", "content": "x"}, {"role": "tool", "name": "f", "content": "r"}])
    with pytest.raises(ValueError, match="not valid JSON"):
        fg.render_call("f", "{oops")


# --- tool declarations ---------------------------------------------------------------------------


def _declare(properties: dict, required: list | None = None, **function) -> str:
    parameters = {"type": "object", "properties": properties}
    if required is not None:
        parameters["required"] = required
    return fg.render_declaration({"type": "function", "function": {"name": "f", "description": "d", "parameters": parameters, **function}})


def test_declaration_sorts_properties_and_keeps_required_order():
    text = _declare({"zeta": {"type": "integer"}, "Beta": {"type": "number"}, "alpha": {"type": "boolean"}}, ["zeta", "alpha"])
    # Sorted like Jinja's dictsort: case-insensitively.
    assert text == ("<start_function_declaration>declaration:f{description:<escape>d<escape>,parameters:{properties:{"
                    "alpha:{description:<escape><escape>,type:<escape>BOOLEAN<escape>},"
                    "Beta:{description:<escape><escape>,type:<escape>NUMBER<escape>},"
                    "zeta:{description:<escape><escape>,type:<escape>INTEGER<escape>}},"
                    "required:[<escape>zeta<escape>,<escape>alpha<escape>],type:<escape>OBJECT<escape>}}<end_function_declaration>")


def test_declaration_renders_enum_only_for_strings():
    text = _declare({"n": {"type": "integer", "enum": [1, 2]}, "s": {"type": "string", "enum": ["a", "b"]}})
    assert "n:{description:<escape><escape>,type:<escape>INTEGER<escape>}" in text
    assert "s:{description:<escape><escape>,enum:[<escape>a<escape>,<escape>b<escape>],type:<escape>STRING<escape>}" in text


def test_declaration_renders_array_items_and_nested_objects():
    plots = {"type": "array", "description": "Plots.", "items": {
        "type": "object", "required": ["row", "col"],
        "properties": {"row": {"type": "integer", "description": "Row."}, "col": {"type": "integer", "description": "Col."}}}}
    where = {"type": "object", "description": "Where.", "required": ["x"], "properties": {"x": {"type": "string"}}}
    text = _declare({"plots": plots, "where": where, "tags": {"type": "array", "items": {"type": "string"}}}, ["plots"])
    assert text == (
        "<start_function_declaration>declaration:f{description:<escape>d<escape>,parameters:{properties:{"
        "plots:{description:<escape>Plots.<escape>,items:{properties:{col:{description:<escape>Col.<escape>,type:<escape>INTEGER<escape>},"
        "row:{description:<escape>Row.<escape>,type:<escape>INTEGER<escape>}},required:[<escape>row<escape>,<escape>col<escape>],"
        "type:<escape>OBJECT<escape>},type:<escape>ARRAY<escape>},"
        "tags:{description:<escape><escape>,items:{type:<escape>STRING<escape>},type:<escape>ARRAY<escape>},"
        "where:{description:<escape>Where.<escape>,properties:{x:{description:<escape><escape>,type:<escape>STRING<escape>}},"
        "required:[<escape>x<escape>],type:<escape>OBJECT<escape>}},"
        "required:[<escape>plots<escape>],type:<escape>OBJECT<escape>}}<end_function_declaration>")


@pytest.mark.parametrize("parameters", [None, {"type": "object"}, {"type": "object", "properties": {}}])
def test_function_without_parameters_declares_an_empty_object(parameters):
    function = {"name": "reset", "description": "Start over."}
    if parameters is not None:
        function["parameters"] = parameters
    assert fg.render_declaration({"type": "function", "function": function}) == (
        "<start_function_declaration>declaration:reset{description:<escape>Start over.<escape>,"
        "parameters:{type:<escape>OBJECT<escape>}}<end_function_declaration>")


def test_declaration_refuses_property_names_the_template_would_drop():
    with pytest.raises(ValueError, match="may not be called 'type'"):
        _declare({"type": {"type": "string"}})


# --- values ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("value, expected", [
    ("rose", "<escape>rose<escape>"),
    ("", "<escape><escape>"),
    (15, "15"),
    (-3, "-3"),
    (0.5, "0.5"),
    (15.0, "15.0"),
    (1e-07, "1e-07"),
    (True, "true"),
    (False, "false"),
    (None, "null"),
    ([1, "a", [True]], "[1,<escape>a<escape>,[true]]"),
    ({"row": 1, "col": 2}, "{col:2,row:1}"),
    ({"b": {"y": 1, "x": [None]}, "A": "z"}, "{A:<escape>z<escape>,b:{x:[null],y:1}}"),
    ([], "[]"),
    ({}, "{}"),
])
def test_render_value(value, expected):
    assert fg.render_value(value) == expected


def test_render_call_and_response_match_the_spec_example():
    assert fg.render_call("plant_seed", {"seed": "rose", "plots": [{"row": 1, "col": 1}, {"row": 1, "col": 2}]}) == (
        "<start_function_call>call:plant_seed{plots:[{col:1,row:1},{col:2,row:1}],seed:<escape>rose<escape>}<end_function_call>")
    assert fg.render_response("water_plots", {"status": "ok"}) == "response:water_plots{status:<escape>ok<escape>}<end_function_response>"


def test_render_value_refuses_unknown_types():
    with pytest.raises(TypeError):
        fg.render_value({1, 2})


def test_control_tokens_have_functiongemma_ids():
    assert fg.CONTROL_TOKENS == {
        "<start_function_declaration>": 46, "<end_function_declaration>": 47, "<start_function_call>": 48,
        "<end_function_call>": 49, "<start_function_response>": 50, "<end_function_response>": 51, "<escape>": 52}
    assert (fg.START_DECL, fg.END_DECL, fg.START_CALL, fg.END_CALL) == (
        "<start_function_declaration>", "<end_function_declaration>", "<start_function_call>", "<end_function_call>")


# --- parsing -----------------------------------------------------------------------------------------


def test_parse_value_reads_every_value_kind():
    text = '{a:<escape>x, "y"}<escape>,b:-1.5e2,c:[true,false,null],d:{e:"q\\"t"},f:\'s\',g:-7, h : [ ] }'
    assert parse_value(text) == {"a": 'x, "y"}', "b": -150.0, "c": [True, False, None], "d": {"e": 'q"t'}, "f": "s", "g": -7, "h": []}


def test_parse_value_raises_a_format_error_with_the_position():
    with pytest.raises(FormatError) as caught:
        parse_value("{seed<escape>rose<escape>}")
    assert caught.value.position == 5
    assert str(caught.value) == "expected ':' after key 'seed' at position 5: {seed<escape>rose<esc..."


def test_parse_model_output_reads_several_calls_with_text_around_them():
    output = ("Sure! <start_function_call>call:water_plots{plots:[{col:1,row:1}]}<end_function_call>"
              "<start_function_call>call:plant_seed{plots:[{col:2,row:1}],seed:<escape>rose<escape>}<end_function_call>"
              "<start_function_response>")
    parsed = parse_model_output(output)
    assert parsed.error is None
    assert [c.to_dict() for c in parsed.calls] == [
        {"name": "water_plots", "arguments": {"plots": [{"col": 1, "row": 1}]}},
        {"name": "plant_seed", "arguments": {"plots": [{"col": 2, "row": 1}], "seed": "rose"}}]
    assert parsed.text == "Sure!"


def test_parse_model_output_returns_plain_text_without_control_tokens():
    parsed = parse_model_output("  I can only plant, water and harvest.<end_of_turn>\n")
    assert parsed == fg.ParsedOutput([], "I can only plant, water and harvest.", None)


def test_parse_model_output_tolerates_a_call_cut_off_at_its_end_token():
    parsed = parse_model_output("<start_function_call>call:water_plots{plots:[{col:1,row:1}]}")
    assert parsed.ok and parsed.calls == [Call("water_plots", {"plots": [{"col": 1, "row": 1}]})]


def test_parse_model_output_reports_unclosed_braces():
    parsed = parse_model_output("<start_function_call>call:water_plots{plots:[{col:1,row:1}")
    assert parsed.calls == []
    assert parsed.error == ("'[' opened at position 44 is never closed; the text ends at position 58: ...1,row:1}")


def test_parse_model_output_reports_junk_after_a_call():
    parsed = parse_model_output("<start_function_call>call:f{a:1} and more")
    assert parsed.error.startswith("expected <end_function_call> after the call to 'f' at position 33")


def test_parse_model_output_keeps_calls_parsed_before_an_error():
    parsed = parse_model_output(fg.render_call("f", {"a": 1}) + "<start_function_call>call:g{a:rose}")
    assert parsed.calls == [Call("f", {"a": 1})]
    assert "unquoted text 'rose'" in parsed.error


def test_parse_model_output_ignores_what_follows_a_stop_marker():
    parsed = parse_model_output(fg.render_call("f", {}) + "<start_function_response>response:f{}<end_function_response>Done")
    assert parsed == fg.ParsedOutput([Call("f", {})], "", None)


@pytest.mark.parametrize("text", [
    "call:plant_seed{plots:[{col:1,row:1}],seed:<escape>rose<escape>}",
    "plant_seed{plots:[{col:1,row:1}],seed:<escape>rose<escape>}",
    'plant_seed{seed:"rose", plots:[{col:1, row:1}]}',
    "plant_seed { seed : 'rose' , plots : [ { row : 1 , col : 1 } ] }",
    '  call: plant_seed{"seed": "rose", "plots": [{"row": 1, "col": 1}]}  ',
    "<start_function_call>call:plant_seed{plots:[{col:1,row:1}],seed:<escape>rose<escape>}<end_function_call>",
])
def test_console_call_forms(text):
    parsed = parse_call_text(text)
    assert parsed.error is None
    assert parsed.calls == [Call("plant_seed", {"plots": [{"col": 1, "row": 1}], "seed": "rose"})]


def test_console_reads_several_calls_and_python_literals():
    parsed = parse_call_text("water_plots{plots:[{row:1,col:1}]}; call:f{on:True,off:False,x:None}")
    assert parsed.error is None
    assert [c.name for c in parsed.calls] == ["water_plots", "f"]
    assert parsed.calls[1].arguments == {"on": True, "off": False, "x": None}


def test_console_quoted_strings_understand_backslash_escapes():
    parsed = parse_call_text(r"""f{a:"say \"hi\"\n", b:'it\'s', c:"\u00e9", d:"C:\path"}""")
    assert parsed.calls[0].arguments == {"a": 'say "hi"\n', "b": "it's", "c": "é", "d": "C:\\path"}


@pytest.mark.parametrize("text, message", [
    ("water_plots", "expected '{' after the function name 'water_plots' at position 11"),
    ("!!", "expected a function name, like call:water_plots{...} at position 0"),
    ("f{seed:rose}", "unquoted text 'rose'; write strings as <escape>rose<escape> or \"rose\" at position 7"),
    ("f{a:1 b:2}", "expected ',' or '}' after the value of 'a' at position 6"),
    ("f{a:1,a:2}", "duplicate key 'a' at position 6"),
    ("f{a:\"open}", "a string opened with \" is never closed at position 4"),
    ("f{a:<escape>open}", "a string opened with <escape> is never closed at position 4"),
    ("f{,}", "expected a key, found ',' at position 2"),
    ("f{a:[1,]}", "expected a value, found ']' at position 7"),
])
def test_console_errors_say_what_and_where(text, message):
    parsed = parse_call_text(text)
    assert parsed.error.startswith(message + ": ")


def test_deep_nesting_is_an_error_not_a_crash():
    parsed = parse_call_text("f{a:" + "[" * 5000)
    assert "nested deeper than" in parsed.error


def test_huge_integer_is_an_error_not_a_crash():
    assert "number too long" in parse_call_text("f{a:" + "9" * 5000 + "}").error


# --- properties ------------------------------------------------------------------------------------

IDENTIFIERS = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,10}", fullmatch=True)
STRINGS = st.text(max_size=20).filter(lambda s: fg.ESCAPE not in s)
SCALARS = (st.none() | st.booleans() | st.integers() | STRINGS
           | st.floats(allow_nan=False, allow_infinity=False))
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(IDENTIFIERS, inner, max_size=4),
                      max_leaves=20)
ARGUMENTS = st.dictionaries(IDENTIFIERS, VALUES, max_size=5)
CALLS = st.builds(Call, IDENTIFIERS, ARGUMENTS)
MARKERS = (*fg.CONTROL_TOKENS, fg.BOS, fg.EOS, fg.START_TURN, fg.END_TURN)
PROSE = st.text(max_size=30).filter(lambda s: not any(m in s for m in MARKERS))


def canonical(value) -> str:
    # == would call True equal to 1 and 1.0 equal to 1; JSON text keeps them apart.
    return json.dumps(value, sort_keys=True)


@given(CALLS)
def test_any_rendered_call_parses_back_to_the_same_call(call):
    parsed = parse_model_output(fg.render_call(call.name, call.arguments))
    assert parsed.error is None
    assert [(c.name, canonical(c.arguments)) for c in parsed.calls] == [(call.name, canonical(call.arguments))]


@given(VALUES)
def test_any_rendered_value_parses_back(value):
    assert canonical(parse_value(fg.render_value(value))) == canonical(value)


@given(st.lists(CALLS, min_size=1, max_size=4), PROSE, PROSE, st.booleans())
def test_several_calls_with_text_around_them_parse_back(calls, before, after, stopped):
    output = before + "".join(fg.render_call(c.name, c.arguments) for c in calls) + after
    output += fg.END_TURN if stopped else ""
    parsed = parse_model_output(output)
    assert parsed.error is None
    assert [c.to_dict() for c in parsed.calls] == [c.to_dict() for c in calls]
    assert parsed.text == " ".join(p.strip() for p in (before, after) if p.strip())


@given(st.lists(CALLS, min_size=1, max_size=3))
def test_calls_in_a_model_target_parse_back(calls):
    # What the model is trained to emit: calls then <start_function_response>.
    target = "".join(fg.render_call(c.name, c.arguments) for c in calls) + fg.START_RESPONSE
    parsed = parse_model_output(target)
    assert parsed.ok and [c.name for c in parsed.calls] == [c.name for c in calls]


POSITIONED = re.compile(r" at position \d+: ")


@given(st.text(max_size=60))
def test_arbitrary_text_never_raises(text):
    for parse in (parse_model_output, parse_call_text):
        parsed = parse(text)
        assert parsed.error is None or POSITIONED.search(parsed.error)
        parsed = parse(fg.START_CALL + text)
        assert parsed.error is None or POSITIONED.search(parsed.error)


@settings(max_examples=300)
@given(CALLS, st.data())
def test_damaged_calls_never_raise_and_errors_have_a_position(call, data):
    text = fg.render_call(call.name, call.arguments)
    cut = data.draw(st.integers(0, len(text)))
    damage = data.draw(st.sampled_from(["drop", "insert", "truncate"]))
    if damage == "drop":
        text = text[:cut] + text[cut + 1:]
    elif damage == "insert":
        text = text[:cut] + data.draw(st.sampled_from(list("{}[],:\"' x") + [fg.ESCAPE])) + text[cut:]
    else:
        text = text[:cut]
    for parse in (parse_model_output, parse_call_text):
        parsed = parse(text)
        assert parsed.error is None or POSITIONED.search(parsed.error)
