"""What a brain takes and gives: the history it reads (Exchange), what it makes of an utterance
(Interpretation), and the one method every brain has (Interpreter). The session imports these;
the brain never imports the session."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from garden.engine import Garden


@dataclass
class Exchange:
    """One finished command: what was said, the calls that ran and the engine's results."""

    utterance: str
    calls: list[dict]
    results: list[dict]
    reply: str | None = None


@dataclass
class Interpretation:
    """What a brain made of an utterance."""

    calls: list[dict]  # [{"name": ..., "arguments": {...}}]
    text: str | None = None  # a short text reply when there is no call
    raw: str = ""  # the model's output, exactly as generated
    error: str | None = None
    timings: dict[str, float] = field(default_factory=dict)  # ms per stage
    stats: dict[str, Any] = field(default_factory=dict)  # tokens, forward passes...


class Interpreter(Protocol):
    description: str  # shown in the HUD, e.g. "gemma3-270m + garden-adapter (fast)"

    def interpret(self, utterance: str, garden: Garden, history: list[Exchange]) -> Interpretation: ...
