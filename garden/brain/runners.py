"""Where the decoder's forward passes run: a transformers model (TorchRun, holding the KV cache itself) or a
runtime that keeps its own cache (CachingRuntime, such as llama.cpp; LlamaRun). The decoding logic, grammar
and jump-forward, is garden.brain.interpret's for both; only these runners differ."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from garden.brain import kv_cache
from garden.brain.grammar import Constraint

if TYPE_CHECKING:
    from garden.brain.interpret import ModelInterpreter


def inner_model(model):
    """The decoder stack (embeddings .. final norm) of a causal LM, peft-wrapped or not."""
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    return base.model


@runtime_checkable
class CachingRuntime(Protocol):
    """A runtime that keeps its own KV cache and runs forward passes on token ids: the llama.cpp
    runtime (garden.brain.llamacpp.LlamaRuntime). The decoder asks it for logits only where the
    grammar leaves a choice. The other kind of model is a transformers causal LM, whose cache the
    decoder holds itself (TorchRun)."""

    n_vocab: int
    tokens: list[int]  # what the cache holds, in order

    def reuse(self, prompt: list[int], keep: int = 0) -> list[int]: ...  # tokens of prompt not cached yet

    def keep_prefix(self, prefix: list[int]) -> None: ...

    def truncate(self, keep: int) -> None: ...

    def run(self, tokens: list[int], logits_from: int, needed: list[bool] | None = None,
            vocab: bool = True) -> list: ...


class TorchRun:
    """Forward passes of a transformers model, from the cached developer turn when it applies."""

    def __init__(self, interpreter: ModelInterpreter, prompt_ids: list[int], rows: int, cols: int):
        self.interpreter = interpreter
        self.decoder = inner_model(interpreter.model)
        self.cache, skip = None, 0
        if "cache" in interpreter.levers:
            cache, skip = interpreter.prefix_cache(rows, cols)
            if prompt_ids[:skip] == interpreter.developer_ids(rows, cols):
                self.cache = copy.deepcopy(cache)
            else:
                skip = 0  # tokenization across the boundary differed: recompute all
        self.pending = list(prompt_ids[skip:])
        self.can_rollback = self.cache is not None

    def forward(self, tokens: list[int], logits_from: int, needed: list[bool], vocab: bool = True):
        torch = self.interpreter.torch
        hidden = self.decoder(input_ids=torch.tensor([tokens], device=self.interpreter.device),
                              past_key_values=self.cache, use_cache=True)
        self.cache = hidden.past_key_values
        return hidden.last_hidden_state[0, logits_from:]

    def snapshot(self):
        return kv_cache.snapshot(self.cache)

    def rollback(self, saved, fed: int, keep: int) -> None:
        kv_cache.rollback(saved, fed, keep)

    def choose(self, constraint: Constraint, state, use_subset: bool) -> int:
        return self.interpreter._choose(constraint, state, use_subset)


class LlamaRun:
    """Forward passes in llama.cpp; its context keeps the longest prefix this prompt shares with
    the last one (the developer turn, often the history too)."""

    can_rollback = True

    def __init__(self, interpreter: ModelInterpreter, prompt_ids: list[int], rows: int, cols: int):
        self.runtime = interpreter.model
        self.text_mask = interpreter._text_allowed
        if "cache" not in interpreter.levers:
            self.runtime.truncate(0)  # plain llama.cpp (`garden bench`'s llama-plain): the whole prompt every time
        self.pending = self.runtime.reuse(prompt_ids, keep=interpreter.kept_prefix(prompt_ids, rows, cols))
        # "subset": score only the tokens the grammar allows, from the final hidden state
        # (llamacpp.OutputRows), where a runtime can; else full logits from llama.cpp.
        self.subset = "subset" in interpreter.levers and getattr(self.runtime, "output", None) is not None

    def forward(self, tokens: list[int], logits_from: int, needed: list[bool], vocab: bool = True):
        """Logits only where the grammar leaves a choice (needed): each position's cost a pass through
        the 262,144-row output matrix. vocab: the choice may be any text token (a reply may start),
        so it needs every logit; otherwise only the allowed rows are scored and llama.cpp skips the
        output matrix."""
        return self.runtime.run(tokens, logits_from, needed, vocab=vocab or not self.subset)

    def snapshot(self):
        return len(self.runtime.tokens)

    def rollback(self, saved, fed: int, keep: int) -> None:
        self.runtime.truncate(len(self.runtime.tokens) - fed + keep)

    def choose(self, constraint: Constraint, logits, use_subset: bool) -> int:
        """Greedy over what the grammar allows (and the text-reply tokens where a reply may
        start); ties go to the lower token id, as torch.argmax over a masked vector does."""
        import numpy

        allowed = constraint.allowed() if not constraint.done else [0]
        if not constraint.text_allowed():
            if len(allowed) == 1:
                return allowed[0]
            allowed = sorted(allowed)
            if len(logits) != self.runtime.n_vocab:  # a hidden state: score the allowed rows only
                return allowed[int(numpy.argmax(self.runtime.output.logits(logits, allowed)))]
            return allowed[int(numpy.argmax(logits[allowed]))]
        scores = numpy.where(self.text_mask, logits, -numpy.inf)
        scores[allowed] = logits[allowed]
        return int(numpy.argmax(scores))


def choice_points(constraint: Constraint, guess: list[int]) -> list[bool]:
    """For the position after the pending tokens and after each guessed token: does the grammar
    leave a choice there (else the token is forced and no logits are needed)?"""
    probe, points = copy.copy(constraint), []
    for j in range(len(guess) + 1):
        points.append(not probe.done and (probe.text_allowed() or len(probe.allowed()) > 1))
        if j < len(guess) and not probe.done:
            probe.advance(guess[j])
    return points
