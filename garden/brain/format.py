"""The FunctionGemma prompt format: a renderer (conversation + tools -> prompt) and a parser
(model output -> calls and text).

The renderer reproduces Google's official FunctionGemma chat template byte for byte, because the
model was trained on exactly that text and the fine-tuned adapter is trained on what we render
here. A prompt looks like this (line breaks only where shown as newlines):

    <bos><start_of_turn>developer
    DEVELOPER TEXT<start_function_declaration>declaration:NAME{...}<end_function_declaration><end_of_turn>
    <start_of_turn>user
    USER TEXT<end_of_turn>
    <start_of_turn>model
    <start_function_call>call:NAME{k:v}<end_function_call><start_function_response>response:NAME{k:v}<end_function_response>MODEL TEXT<end_of_turn>

Every tool response sits in the model's turn, each opened by its own <start_function_response>.
The model stops after its calls by emitting <start_function_response> (a stop token), which is why
a conversation that ends right after calls ends with that token.

Where the official template produces a malformed prompt we choose a well-formed one instead:
- a user or developer message right after tool responses closes the model turn and opens its own
  turn (the official template glues the user's words into the model turn);
- a tool message that does not follow calls, or calls followed by anything but tool responses,
  raise ValueError (the official template emits a broken prompt or raises too).

Pure stdlib on purpose: the console, the eval harness and the training data all import this
without pulling in torch.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, NoReturn

BOS = "<bos>"
EOS = "<eos>"
START_TURN = "<start_of_turn>"
END_TURN = "<end_of_turn>"
START_DECL = "<start_function_declaration>"
END_DECL = "<end_function_declaration>"
START_CALL = "<start_function_call>"
END_CALL = "<end_function_call>"
START_RESPONSE = "<start_function_response>"
END_RESPONSE = "<end_function_response>"
ESCAPE = "<escape>"

# FunctionGemma's single-token control strings at their fixed tokenizer ids. Plain Gemma 3 has
# <unused40>..<unused46> at these ids; the model loader renames them so both bases agree.
CONTROL_TOKENS: dict[str, int] = {
    START_DECL: 46,
    END_DECL: 47,
    START_CALL: 48,
    END_CALL: 49,
    START_RESPONSE: 50,
    END_RESPONSE: 51,
    ESCAPE: 52,
}

# Generation stops at any of these, so nothing after them is part of the model's answer.
STOP_MARKERS: tuple[str, ...] = (START_RESPONSE, END_TURN, EOS, START_TURN)

# The official template skips schema properties with these names (it mistakes them for schema
# keywords), so the model would never see them. We refuse such tools rather than drop a parameter.
RESERVED_PROPERTY_NAMES = frozenset({"description", "type", "properties", "required", "nullable"})

MAX_DEPTH = 64  # deeper nesting is certainly garbage, and the limit keeps the parser off the stack limit


# --- rendering values -----------------------------------------------------------------------------


def _escape(text: Any) -> str:
    return f"{ESCAPE}{text}{ESCAPE}"


def _sorted_items(mapping: dict) -> list[tuple[str, Any]]:
    # Jinja's dictsort compares keys case-insensitively; Python's sorted() would put "B" before
    # "a" and break byte parity with the official template.
    return sorted(((str(k), v) for k, v in mapping.items()), key=lambda kv: kv[0].lower())


def render_value(value: Any, escape_keys: bool = False) -> str:
    """One call/response value: strings in <escape>, numbers bare, true/false/null, [a,b], {k:v}.

    escape_keys wraps object keys in <escape> too; the official template does that only for values
    inside tool declarations (enum lists, array item schemas), never in calls or responses.
    """
    if isinstance(value, str):
        return _escape(value)
    if isinstance(value, bool):  # before int: bool is an int subclass
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        return repr(value)  # what Jinja prints: 15.0, 0.5, 1e-07
    if isinstance(value, dict):
        fields = ((_escape(k) if escape_keys else k) + ":" + render_value(v, escape_keys) for k, v in _sorted_items(value))
        return "{" + ",".join(fields) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(render_value(v, escape_keys) for v in value) + "]"
    raise TypeError(f"cannot render a {type(value).__name__} in a FunctionGemma call: {value!r}")


def _arguments_dict(arguments: Any) -> dict:
    # HF messages may carry arguments as a JSON string (the OpenAI wire format).
    if arguments is None:
        return {}
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments)
        except json.JSONDecodeError as exc:
            raise ValueError(f"tool call arguments are not valid JSON: {exc}") from None
    if not isinstance(arguments, dict):
        raise ValueError(f"tool call arguments must be an object, not {type(arguments).__name__}")
    return arguments


def render_call(name: str, arguments: Any) -> str:
    """<start_function_call>call:NAME{k:v,...}<end_function_call>, keys sorted."""
    return f"{START_CALL}call:{name}{render_value(_arguments_dict(arguments))}{END_CALL}"


def render_response(name: str, response: Any) -> str:
    """response:NAME{k:v,...}<end_function_response>. The <start_function_response> before it is
    the caller's business (render() writes one per response). A response that is not an object is
    wrapped as {value:...}, as the official template does."""
    body = render_value(response) if isinstance(response, dict) else "{value:" + render_value(response) + "}"
    return f"response:{name}{body}{END_RESPONSE}"


# --- rendering tool declarations ------------------------------------------------------------------


def _schema_type(schema: dict) -> str:
    kind = schema.get("type", "")
    if isinstance(kind, list):  # ["string", "null"]: the format has no nullable, keep the real type
        kind = next((k for k in kind if k != "null"), "")
    return str(kind).upper()


def _render_required(names: list) -> str:
    return "required:[" + ",".join(_escape(n) for n in names) + "]"


def _render_properties(properties: dict) -> str:
    """The inside of properties:{...}: each property as name:{description,...,type}, names sorted."""
    rendered = []
    for name, schema in _sorted_items(properties):
        if name in RESERVED_PROPERTY_NAMES:
            raise ValueError(
                f"a tool parameter may not be called {name!r}: FunctionGemma's template drops "
                f"properties named {', '.join(sorted(RESERVED_PROPERTY_NAMES))}; rename it")
        rendered.append(f"{name}:{_render_property(schema if isinstance(schema, dict) else {})}")
    return ",".join(rendered)


def _render_property(schema: dict) -> str:
    kind = _schema_type(schema)
    # The template always writes a description, empty if the schema has none.
    parts = ["description:" + _escape(schema.get("description", ""))]
    if kind == "STRING" and schema.get("enum"):
        parts.append("enum:" + render_value(list(schema["enum"]), escape_keys=True))
    elif kind == "ARRAY" and isinstance(schema.get("items"), dict) and schema["items"]:
        parts.append("items:{" + _render_items(schema["items"]) + "}")
    elif kind == "OBJECT":
        properties = schema.get("properties")
        parts.append("properties:{" + (_render_properties(properties) if isinstance(properties, dict) else "") + "}")
        if schema.get("required"):
            parts.append(_render_required(schema["required"]))
    parts.append("type:" + _escape(kind))
    return "{" + ",".join(parts) + "}"


def _render_items(items: dict) -> str:
    """An array's item schema. Unlike properties, the template walks its keys in sorted order and
    renders unknown keys as plain values (so nested schemas there get escaped keys)."""
    parts = []
    for key, value in _sorted_items(items):
        if value is None:
            continue
        if key == "properties" and isinstance(value, dict):
            parts.append("properties:{" + _render_properties(value) + "}")
        elif key == "required":
            parts.append(_render_required(value))
        elif key == "type":
            parts.append("type:" + _escape(_schema_type(items)))
        else:
            parts.append(f"{key}:{render_value(value, escape_keys=True)}")
    return ",".join(parts)


def render_declaration(tool: dict) -> str:
    """<start_function_declaration>declaration:NAME{description:...,parameters:{...}}<end_function_declaration>
    for one HF-format tool ({"type": "function", "function": {...}}; the bare function dict works too)."""
    function = tool.get("function", tool)
    # A function without parameters still declares an (empty) object, as transformers' schemas do.
    params = function.get("parameters") or {"type": "object"}
    parts = []
    if params.get("properties"):
        parts.append("properties:{" + _render_properties(params["properties"]) + "}")
    if params.get("required"):
        parts.append(_render_required(params["required"]))
    parts.append("type:" + _escape(_schema_type(params) or "OBJECT"))
    description = _escape(function.get("description", ""))
    return f"{START_DECL}declaration:{function['name']}{{description:{description},parameters:{{{','.join(parts)}}}}}{END_DECL}"


# --- rendering conversations ----------------------------------------------------------------------


def _content_text(message: dict) -> str:
    """The message's text, trimmed like the template's `| trim`; content may be a list of parts."""
    content = message.get("content")
    if content is None:
        return ""
    if isinstance(content, str):
        return content.strip()
    if isinstance(content, list):
        return "".join(part.get("text", "").strip() for part in content if isinstance(part, dict) and part.get("type") == "text")
    raise ValueError(f"message content must be text or a list of parts, not {type(content).__name__}")


def _tool_calls(message: dict) -> list[tuple[str, dict]]:
    calls = []
    for tool_call in message.get("tool_calls") or []:
        function = tool_call.get("function", tool_call)
        calls.append((function["name"], _arguments_dict(function.get("arguments"))))
    return calls


def _tool_responses(message: dict, pending: list[str]) -> list[tuple[str, Any]]:
    """(name, response) pairs from a tool message in any of its shapes. pending holds the names of
    calls still awaiting a response, to name responses that do not say whose they are."""
    content = message.get("content")
    if isinstance(content, dict) and "response" in content:
        items = [content]
    elif isinstance(content, list) and content and all(isinstance(i, dict) and "response" in i for i in content):
        items = content
    else:  # HF's {"role": "tool", "name": ..., "content": ...}
        items = [{"name": message.get("name"), "response": content}]
    responses = []
    for item in items:
        name = item.get("name") or (pending[0] if pending else None)
        if not name:
            raise ValueError("a tool response needs a name (no call is waiting for one)")
        if name in pending:
            pending.remove(name)
        responses.append((name, item["response"]))
    return responses


def render(messages: list[dict], tools: list[dict] | None = None, add_generation_prompt: bool = False) -> str:
    """The whole prompt for a conversation in HF message shapes, as the official template renders it.

    Roles: developer (or system), user, assistant (content and/or tool_calls), tool. With
    add_generation_prompt an open <start_of_turn>model\\n is appended unless the model's turn is
    already open (after calls or tool responses the model carries on in the same turn).
    """
    out = [BOS]
    messages = list(messages)
    developer = None
    if messages and messages[0].get("role") in ("developer", "system"):
        developer = _content_text(messages.pop(0))
    if developer is not None or tools:
        declarations = "".join(render_declaration(tool) for tool in tools or [])
        out.append(f"{START_TURN}developer\n{developer or ''}{declarations}{END_TURN}\n")

    state = None  # None: between turns; "calls": calls await responses; "responses": model turn open
    pending: list[str] = []
    for index, message in enumerate(messages):
        role = message.get("role")
        if role == "tool":
            if state is None:
                raise ValueError(f"message {index}: a tool response must follow an assistant message with tool_calls")
            for name, response in _tool_responses(message, pending):
                out.append(START_RESPONSE + render_response(name, response))
            state = "responses"
            continue
        if state == "calls":
            raise ValueError(f"message {index}: tool calls must be followed by their tool responses")
        role = {"assistant": "model", "system": "developer"}.get(role, role)
        if state == "responses" and role != "model":
            out.append(END_TURN + "\n")  # close the model turn the responses left open
            state = None
        if state is None:
            out.append(f"{START_TURN}{role}\n")
        out.append(_content_text(message))
        calls = _tool_calls(message) if role == "model" else []
        if calls:
            out.extend(render_call(name, arguments) for name, arguments in calls)
            pending = [name for name, _ in calls]
            state = "calls"
        else:
            out.append(END_TURN + "\n")
            state = None

    if state == "calls":
        out.append(START_RESPONSE)  # where the model stopped; the tool results come next
    elif state is None and add_generation_prompt:
        out.append(f"{START_TURN}model\n")
    return "".join(out)


# --- parsing --------------------------------------------------------------------------------------


@dataclass(frozen=False)
class Call:
    name: str
    arguments: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"name": self.name, "arguments": self.arguments}


@dataclass
class ParsedOutput:
    calls: list[Call] = field(default_factory=list)
    text: str = ""
    error: str | None = None  # when set, calls holds those parsed before the problem

    @property
    def ok(self) -> bool:
        return self.error is None


class FormatError(ValueError):
    """Malformed FunctionGemma text; the message says what was expected, where, and shows the spot."""

    def __init__(self, message: str, text: str, position: int):
        self.reason, self.position = message, position
        super().__init__(f"{message} at position {position}: {_excerpt(text, position)}")


def _excerpt(text: str, position: int, before: int = 8, after: int = 16) -> str:
    start, end = max(0, position - before), min(len(text), position + after)
    snippet = text[start:end].replace("\n", "\\n")
    if not snippet:
        return "(empty text)"
    return ("..." if start > 0 else "") + snippet + ("..." if end < len(text) else "")


_NUMBER = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
# Python's spellings too: players type them in the debug console.
_LITERALS = {"true": True, "false": False, "null": None, "True": True, "False": False, "None": None}
_QUOTE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "0": "\0", "\\": "\\", "/": "/", '"': '"', "'": "'"}


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


class _Reader:
    """Recursive descent over one text. Never evaluates anything: values are built from tokens."""

    def __init__(self, text: str, pos: int = 0):
        self.text, self.pos = text, pos
        self.open: list[tuple[str, int]] = []  # unclosed brackets, for "never closed" messages

    def fail(self, message: str, pos: int | None = None) -> NoReturn:
        if pos is None and self.at_end() and self.open:
            bracket, opened = self.open[-1]
            message = f"'{bracket}' opened at position {opened} is never closed; the text ends"
        raise FormatError(message, self.text, self.pos if pos is None else pos)

    def at_end(self) -> bool:
        return self.pos >= len(self.text)

    def at(self, token: str) -> bool:
        return self.text.startswith(token, self.pos)

    def eat(self, token: str) -> bool:
        if self.at(token):
            self.pos += len(token)
            return True
        return False

    def skip_ws(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def word(self, extra: str = "") -> str:
        start = self.pos
        while self.pos < len(self.text) and (_is_word_char(self.text[self.pos]) or self.text[self.pos] in extra):
            self.pos += 1
        return self.text[start:self.pos]

    # values

    def value(self) -> Any:
        self.skip_ws()
        if self.at_end():
            self.fail("expected a value")
        char = self.text[self.pos]
        if self.at(ESCAPE):
            return self.escaped_string()
        if char in "\"'":
            return self.quoted_string()
        if char == "{":
            return self.object()
        if char == "[":
            return self.array()
        if char in "-.0123456789":
            return self.number()
        start = self.pos
        word = self.word()
        if word in _LITERALS:
            return _LITERALS[word]
        if word:
            self.fail(f"unquoted text {word!r}; write strings as <escape>{word}<escape> or \"{word}\"", start)
        self.fail(f"expected a value, found {char!r}")

    def escaped_string(self) -> str:
        start = self.pos
        self.pos += len(ESCAPE)
        end = self.text.find(ESCAPE, self.pos)
        if end < 0:
            self.fail("a string opened with <escape> is never closed", start)
        self.pos = end + len(ESCAPE)
        return self.text[start + len(ESCAPE):end]

    def quoted_string(self) -> str:
        start, quote = self.pos, self.text[self.pos]
        self.pos += 1
        chars = []
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == quote:
                self.pos += 1
                return "".join(chars)
            if char == "\\" and self.pos + 1 < len(self.text):
                chars.append(self.backslash_escape())
                continue
            chars.append(char)
            self.pos += 1
        self.fail(f"a string opened with {quote} is never closed", start)

    def backslash_escape(self) -> str:
        code = self.text[self.pos + 1]
        if code == "u":
            digits = self.text[self.pos + 2:self.pos + 6]
            if len(digits) == 4 and all(c in "0123456789abcdefABCDEF" for c in digits):
                self.pos += 6
                return chr(int(digits, 16))
            self.fail("\\u must be followed by four hex digits")
        self.pos += 2
        return _QUOTE_ESCAPES.get(code, "\\" + code)  # unknown escapes stay as typed

    def number(self) -> int | float:
        match = _NUMBER.match(self.text, self.pos)
        if not match:
            self.fail("expected a number")
        self.pos = match.end()
        literal = match.group()
        if any(c in literal for c in ".eE"):
            return float(literal)
        if len(literal) > 1000:  # int() refuses very long digit strings; no call needs one
            self.fail("number too long", match.start())
        return int(literal)

    def enter(self, bracket: str) -> None:
        if len(self.open) >= MAX_DEPTH:
            self.fail(f"values nested deeper than {MAX_DEPTH} levels")
        self.open.append((bracket, self.pos))
        self.pos += 1

    def key(self) -> str:
        if self.at(ESCAPE):
            return self.escaped_string()
        if not self.at_end() and self.text[self.pos] in "\"'":
            return self.quoted_string()
        key = self.word()
        if not key:
            found = f", found {self.text[self.pos]!r}" if not self.at_end() else ""
            self.fail(f"expected a key{found}")
        return key

    def object(self) -> dict:
        self.enter("{")
        result: dict = {}
        self.skip_ws()
        if not self.eat("}"):
            while True:
                self.skip_ws()
                key_pos = self.pos
                key = self.key()
                self.skip_ws()
                if not self.eat(":"):
                    self.fail(f"expected ':' after key {key!r}")
                if key in result:
                    self.fail(f"duplicate key {key!r}", key_pos)
                result[key] = self.value()
                self.skip_ws()
                if self.eat("}"):
                    break
                if not self.eat(","):
                    self.fail(f"expected ',' or '}}' after the value of {key!r}")
        self.open.pop()
        return result

    def array(self) -> list:
        self.enter("[")
        result: list = []
        self.skip_ws()
        if not self.eat("]"):
            while True:
                result.append(self.value())
                self.skip_ws()
                if self.eat("]"):
                    break
                if not self.eat(","):
                    self.fail("expected ',' or ']' in the list")
        self.open.pop()
        return result

    # calls

    def call(self) -> Call:
        """[call:]NAME{args}; the call: prefix is optional so the console can omit it."""
        self.skip_ws()
        self.eat("call:")
        self.skip_ws()
        name = self.word(extra="-.")
        if not name:
            self.fail("expected a function name, like call:water_plots{...}")
        self.skip_ws()
        if not self.at("{"):
            self.fail(f"expected '{{' after the function name {name!r}")
        return Call(name, self.object())

    def end_of_call(self, name: str) -> None:
        self.skip_ws()
        if self.eat(END_CALL) or self.at_end() or any(self.at(m) for m in STOP_MARKERS):
            return  # a missing <end_function_call> just means generation was cut at a stop token
        self.fail(f"expected {END_CALL} after the call to {name!r}")


def parse_value(text: str) -> Any:
    """One value in call syntax (<escape>s<escape>, "s", 's', numbers, true/false/null, [..], {k:v}).
    Raises FormatError, a ValueError saying where the text is malformed."""
    reader = _Reader(text)
    value = reader.value()
    reader.skip_ws()
    if not reader.at_end():
        reader.fail("unexpected text after the value")
    return value


def _first_stop(text: str, pos: int) -> int:
    found = [i for i in (text.find(marker, pos) for marker in STOP_MARKERS) if i >= 0]
    return min(found, default=len(text))


def _join_text(pieces: list[str]) -> str:
    cleaned = []
    for piece in pieces:
        for token in (*CONTROL_TOKENS, BOS, EOS, START_TURN, END_TURN):
            piece = piece.replace(token, "")
        if piece.strip():
            cleaned.append(piece.strip())
    return " ".join(cleaned)


def parse_model_output(text: str) -> ParsedOutput:
    """Calls and text from what the model generated. Reading stops at the first stop marker
    (<start_function_response>, <end_of_turn>, ...). Never raises: problems land in .error."""
    if not isinstance(text, str):
        return ParsedOutput(error=f"expected model output as text, not {type(text).__name__}")
    calls: list[Call] = []
    pieces: list[str] = []
    pos = 0
    while True:
        start, stop = text.find(START_CALL, pos), _first_stop(text, pos)
        if start < 0 or stop < start:
            pieces.append(text[pos:stop])
            return ParsedOutput(calls, _join_text(pieces))
        pieces.append(text[pos:start])
        reader = _Reader(text, start + len(START_CALL))
        try:
            call = reader.call()
            reader.end_of_call(call.name)
        except FormatError as exc:
            return ParsedOutput(calls, _join_text(pieces), str(exc))
        calls.append(call)
        pos = reader.pos


def parse_call_text(text: str) -> ParsedOutput:
    """Calls typed in the debug console, wrappers optional:
    `call:plant_seed{plots:[{col:1,row:1}],seed:<escape>rose<escape>}`, `plant_seed{seed:"rose",...}`,
    several separated by spaces or ';'. Text that holds <start_function_call> is read as model output."""
    if not isinstance(text, str):
        return ParsedOutput(error=f"expected a call as text, not {type(text).__name__}")
    if START_CALL in text:
        return parse_model_output(text)
    reader = _Reader(text)
    calls: list[Call] = []
    try:
        while True:
            reader.skip_ws()
            if reader.at_end():
                return ParsedOutput(calls)
            calls.append(reader.call())
            reader.skip_ws()
            reader.eat(END_CALL)  # pasted from a prompt
            reader.skip_ws()
            reader.eat(";") or reader.eat(",")
    except FormatError as exc:
        return ParsedOutput(calls, "", str(exc))
