"""interpret(utterance, garden, history) -> calls: the model, constrained by the garden grammar.

Two decoding paths behind the same API, so they can be compared in one run:

* "plain"  Hugging Face `generate` on the whole prompt with the grammar as a logits processor.
* "fast"   the developer turn's KV cache computed once per grid size and reused; only history and
           utterance are new work. Grammar-forced tokens are appended without asking the model
           (jump-forward) and fed together in the next forward pass; logits are computed only for
           the tokens the grammar allows instead of all 262,144. Guessed continuations
           (garden.brain.draft: repeated plot lists, row/column patterns) are checked in the
           same pass as the next token, and the cache rolled back over what the model rejects.

The fast path runs its forward passes in PyTorch or, by default when llama-cpp-python is
installed, in llama.cpp on the embedded GGUF as shipped (garden.brain.llamacpp). The decoding
logic (grammar, jump-forward) is this file's in both; only the runner differs (garden.brain.runners).
Loading a model and choosing its runtime and precision is garden.brain.loader's job.
"""

from __future__ import annotations

import threading
import time
import unicodedata
from dataclasses import dataclass
from typing import Callable

from garden import tools
from garden.brain import adapters, draft
from garden.brain import format as fg
from garden.brain import prompt as garden_prompt
from garden.brain.api import Exchange, Interpretation
from garden.brain.grammar import Constraint, TokenGrammar, garden_grammar, text_reply_ids, vocabulary_pieces
from garden.brain.runners import CachingRuntime, LlamaRun, TorchRun, choice_points, inner_model
from garden.engine import Garden

MAX_NEW_TOKENS = 160  # the least budget: three calls on a full row each; the grammar closes output in time
FULL_GRID_CALLS = 2  # a bigger grid's budget fits this many calls on every plot ("plant ... everywhere and water them")
HISTORY_TURNS = 2
# Decoding modes: "plain" is Hugging Face generate; the others run the fast loop with these levers.
# "spec" drafts from lookups and plot patterns; "lists" only from the plot lists of the command's own
# turn (the places and plot-number lines), which are sure enough to pay in llama.cpp too.
LEVERS = {"plain": set(), "cache": {"cache"}, "jump": {"jump"}, "subset": {"subset"}, "spec": {"cache", "spec"},
          "fast": {"cache", "jump", "subset", "spec", "lists"}}


def looks_english(text: str) -> bool:
    """Mostly Latin letters. The garden speaks English; other scripts get a clear reply."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return True
    latin = sum(1 for ch in letters if "LATIN" in unicodedata.name(ch, ""))
    return latin / len(letters) >= 0.8


@dataclass
class DecodeResult:
    ids: list[int]
    forward_passes: int
    forced_tokens: int
    prompt_tokens_run: int | None = None  # prompt tokens this command ran (the rest was cached)


class ModelInterpreter:
    def __init__(self, loaded, mode: str = "fast", max_new_tokens: int | None = None,
                 temperature: float = 0.0, seed: int = 0, allow_text: bool = True, plot_form: str | None = None):
        """temperature > 0 samples instead of greedy decoding (tests use it to explore the
        grammar); allow_text=False permits calls only. max_new_tokens fixes the output budget
        (default: budget(rows, cols), which grows with the grid). loaded.model is a transformers model, or a
        CachingRuntime such as garden.brain.llamacpp.LlamaRuntime (fast path only). plot_form: how
        the model writes a plot (tools.PLOT_FORMS); default: what the loaded adapter learnt."""
        if mode not in LEVERS:
            raise ValueError(f"unknown mode {mode!r}")
        self.levers = set(LEVERS[mode])  # what the fast loop uses; a test may take one away
        self.loaded = loaded
        self.model, self.tokenizer = loaded.model, loaded.tokenizer
        self.form = tools.check_plot_form(plot_form or adapters.plot_form(getattr(loaded, "adapter", None)))
        self.runtime = "llama" if isinstance(self.model, CachingRuntime) else "torch"
        if self.runtime == "llama" and (mode == "plain" or temperature > 0):
            raise ValueError("the llama.cpp runtime decodes greedily on the fast path only")
        self.mode = mode
        self.max_new_tokens = max_new_tokens
        self.pieces = vocabulary_pieces(self.tokenizer)
        self.text_ids = text_reply_ids(self.tokenizer)
        self.allow_text = allow_text
        self.temperature = temperature
        self._grammars: dict[tuple[int, int], TokenGrammar] = {}
        self._prefix: dict[tuple[int, int], tuple[object, int]] = {}
        self._developer_ids: dict[tuple[int, int], list[int]] = {}
        self._start_call_id = fg.CONTROL_TOKENS[fg.START_CALL]
        # One forward pass at a time: voice prepares the prompt from a thread of its own while the
        # window's worker interprets (garden.voice_game).
        self._busy = threading.Lock()
        self._prefilled = 0  # prompt tokens prepare() ran since the last command
        # prepare(answer=True): the answer decoded for a transcript that had stopped changing, kept
        # under the prompt's ids; interpret() uses it when the final text is the same. _wanted is
        # the prompt a command waits to decode: an early answer to another prompt gives way.
        self._early: tuple[tuple[int, ...], DecodeResult] | None = None
        self._wanted: tuple[int, ...] | None = None
        # The HUD shows this in one line: the llama.cpp runtime only has the fast path.
        self.description = f"{loaded.description} [{'llama.cpp' if self.runtime == 'llama' else mode}]" + (
            f" - {loaded.note}" if loaded.note else "")
        if self.runtime == "llama":
            import numpy

            # Drafting pays in PyTorch, where a pass is mostly fixed overhead; in llama.cpp each extra
            # token in a pass costs about a third of a one-token pass, and rejected guesses made
            # commands 2-3x slower (measured on the test split), so this runtime drafts only the
            # plot lists the command's turn gives ("lists"), which are rarely rejected.
            self.levers.discard("spec")

            self._text_allowed = numpy.zeros(self.model.n_vocab, dtype=bool)
            self._text_allowed[self.text_ids] = True
            return
        import torch

        self.torch = torch
        self.generator = torch.Generator().manual_seed(seed)
        # Text replies may use most of the vocabulary: hold that set as an additive mask once.
        self.device = self.model.get_output_embeddings().weight.device
        self._text_mask = torch.full((len(self.pieces),), float("-inf"), device=self.device)
        self._text_mask[torch.tensor(self.text_ids, device=self.device)] = 0

    # --- the API -----------------------------------------------------------------------

    def interpret(self, utterance: str, garden: Garden, history: list[Exchange]) -> Interpretation:
        utterance = " ".join(utterance.split())
        if not utterance:
            return Interpretation([], text="Say or type a garden command.")
        if not looks_english(utterance):
            return Interpretation([], text="I only understand garden commands in English, like \"water plot 5\".")
        t0 = time.perf_counter()
        rows, cols = garden.rows, garden.cols
        ids = self.tokenizer.encode(self.prompt_text(utterance, garden, history, self.form), add_special_tokens=False)
        self._wanted = key = tuple(ids)
        try:
            with self._busy:
                t1 = time.perf_counter()
                early, self._early = self._early, None
                answered_early = early is not None and early[0] == key
                result = early[1] if answered_early else self.decode(ids, rows, cols)
                rejected = self._false_refusal(result, rows, cols, utterance)
                if rejected is not None:  # decoded again with calls only; the debug console shows it
                    result = self.decode(ids, rows, cols, calls_only=True)
                t2 = time.perf_counter()
                prepared, self._prefilled = self._prefilled, 0
        finally:
            self._wanted = None
        raw = self.tokenizer.decode(result.ids, skip_special_tokens=False)
        parsed = fg.parse_model_output(raw)
        calls = [{"name": c.name, "arguments": tools.from_model(c.name, c.arguments)} for c in parsed.calls]
        error = parsed.error
        for call in calls:
            problems = tools.validate_call(call["name"], call["arguments"], rows, cols)
            if problems and not error:
                error = "the model produced an invalid call: " + "; ".join(problems)
        timings = {"prompt": (t1 - t0) * 1000, "model": (t2 - t1) * 1000, "parse": (time.perf_counter() - t2) * 1000}
        stats = {"prompt_tokens": len(ids), "new_tokens": len(result.ids), "forward_passes": result.forward_passes,
                 "forced_tokens": result.forced_tokens, "prompt_tokens_run": result.prompt_tokens_run,
                 "prepared_tokens": prepared, "answered_early": answered_early, "false_refusal": rejected}
        return Interpretation(calls, text=parsed.text or None, raw=raw, error=error, timings=timings, stats=stats)

    def _false_refusal(self, result: DecodeResult, rows: int, cols: int, utterance: str) -> str | None:
        """The raw answer when it is a text reply saying the garden lacks a place it has ("so there
        is no plot 7" on 3x3: prompt.outside_claim_is_false), else None. Calls are not parsed."""
        if result.ids[:1] == [self._start_call_id]:
            return None
        raw = self.tokenizer.decode(result.ids, skip_special_tokens=False)
        text = fg.parse_model_output(raw).text
        return raw if text and garden_prompt.outside_claim_is_false(text, rows, cols, utterance) else None

    def prepare(self, heard_so_far: str, garden: Garden, history: list[Exchange], answer: bool = False,
                give_way: Callable[[], bool] | None = None) -> int:
        """Run the prompt up to the words heard so far, while the player is still speaking, so
        that when speech ends only its last words are new work: with history and utterance, a
        command's prompt is 60-90 tokens past the cached developer turn, 250-400 ms of the ~500 ms
        a command takes on 2 cores. Changes no answer: the next command keeps the longest prefix
        its prompt shares with the cache and recomputes the rest (the recogniser may still revise
        a word). Returns the tokens run; 0 when busy (a command is being decoded), on the
        PyTorch runtime (it keeps only the developer turn) or when there is nothing new.

        answer: the words have stopped changing (the player has paused or finished): decode the
        whole answer to them now and keep it; if the final text is the same, interpret() returns
        it without decoding again (stats["answered_early"]), so speech -> calls is only the
        recogniser's last step. A command for another text stops this decode at its next forward
        pass (40-80 ms) instead of waiting for it, and so does this decode when give_way() says
        so (voice: a newer partial transcript has come)."""
        words = " ".join(heard_so_far.split())
        if self.runtime != "llama" or not words or not looks_english(words):
            return 0
        text = self.prompt_text(words, garden, history, self.form)
        at = text.rfind(words)
        if at < 0:
            return 0
        # Up to the words heard but the last, which may still grow ("sun" -> "sunflowers").
        run = self._prefill(text[:at] + (words.rsplit(" ", 1)[0] if " " in words else ""), garden)
        return run + (self._answer_early(text, garden, give_way) if answer else 0)

    def _answer_early(self, text: str, garden: Garden, give_way: Callable[[], bool] | None) -> int:
        ids = self.tokenizer.encode(text, add_special_tokens=False)
        key = tuple(ids)
        if (self._early is not None and self._early[0] == key) or self._wanted is not None:
            return 0
        if not self._busy.acquire(blocking=False):
            return 0
        try:
            result = self._decode_fast(ids, garden.rows, garden.cols,
                                       stop=lambda: (self._wanted is not None and self._wanted != key)
                                       or (give_way is not None and give_way()))
            if result is None:
                return 0
            self._early = (key, result)
            self._prefilled += result.prompt_tokens_run
            return result.prompt_tokens_run + len(result.ids)
        finally:
            self._busy.release()

    def prepare_next(self, garden: Garden, history: list[Exchange]) -> int:
        """Run the next command's prompt up to where its words will go (the history and the board
        line), while the game waits for the player: the board line is 5-40 tokens on 3x3 and would
        otherwise be run after Enter. The game calls it when a command is done; the next command
        (typed or spoken) keeps what it shares with it. Same returns as prepare()."""
        if self.runtime != "llama":
            return 0
        marker = "water"  # any words: only the text before them is run
        text = self.prompt_text(marker, garden, history, self.form)
        return self._prefill(text[:text.rfind(marker)], garden)

    def _prefill(self, text: str, garden: Garden) -> int:
        ids = self.tokenizer.encode(text, add_special_tokens=False)
        if not self._busy.acquire(blocking=False):
            return 0
        try:
            pending = self.model.reuse(ids, keep=self.kept_prefix(ids, garden.rows, garden.cols))
            if len(pending) <= 1:  # reuse leaves the last token to run; it is already cached
                return 0
            self.model.run(pending[:-1], logits_from=len(pending))
            self._prefilled += len(pending) - 1
            return len(pending) - 1
        finally:
            self._busy.release()

    @staticmethod
    def prompt_text(utterance: str, garden: Garden, history: list[Exchange], form: str = tools.PLOT_FORM) -> str:
        past = [(h.utterance, h.calls, h.results, h.reply) for h in history[-HISTORY_TURNS:]]
        return garden_prompt.render_prompt(garden.rows, garden.cols, past, utterance, garden.board(), form)

    def kept_prefix(self, ids: list[int], rows: int, cols: int) -> int:
        """How many leading ids are the grid's developer turn, kept cached across commands (0
        when the prompt does not start with it or the prefix cache is off)."""
        developer = self.developer_ids(rows, cols)
        return len(developer) if "cache" in self.levers and ids[:len(developer)] == developer else 0

    # --- decoding ------------------------------------------------------------------------

    def warm_up(self, rows: int = 3, cols: int = 3) -> None:
        """Build the grammar and the developer-turn cache for a grid size before the first command."""
        self.token_grammar(rows, cols)
        if self.runtime == "llama":
            self.model.keep_prefix(self.developer_ids(rows, cols))
        elif "cache" in self.levers:
            self.prefix_cache(rows, cols)

    def token_grammar(self, rows: int, cols: int) -> TokenGrammar:
        key = (rows, cols)
        if key not in self._grammars:
            encode = lambda s: self.tokenizer.encode(s, add_special_tokens=False)  # noqa: E731
            self._grammars[key] = TokenGrammar(garden_grammar(rows, cols, self.form), self.pieces, encode)
        return self._grammars[key]

    def budget(self, rows: int, cols: int) -> int:
        """Output tokens allowed for a grid: MAX_NEW_TOKENS, or FULL_GRID_CALLS calls that each name
        every plot if that is more. A fixed 160 cut "water the whole garden" short after 17 plots
        on a 5x5 grid: the grammar closed the list in time, so it parsed, but plots were missing."""
        if self.max_new_tokens is not None:
            return self.max_new_tokens
        every = [{"row": r, "col": c} for r in range(1, rows + 1) for c in range(1, cols + 1)]
        longest = max(tools.SEEDS, key=len)
        call = fg.render_call("plant_seed", tools.to_model("plant_seed", {"seed": longest, "plots": every}, self.form))
        return max(MAX_NEW_TOKENS, FULL_GRID_CALLS * len(self.tokenizer.encode(call, add_special_tokens=False)) + 2)

    def constraint(self, rows: int, cols: int, calls_only: bool = False) -> Constraint:
        return Constraint(self.token_grammar(rows, cols), self.text_ids if self.allow_text and not calls_only else None,
                          self.budget(rows, cols))

    def decode(self, prompt_ids: list[int], rows: int, cols: int, calls_only: bool = False) -> DecodeResult:
        if self.runtime == "llama":
            return self._decode_fast(prompt_ids, rows, cols, calls_only=calls_only)
        with self.torch.inference_mode():
            if self.mode == "plain":
                return self._decode_plain(prompt_ids, rows, cols, calls_only)
            return self._decode_fast(prompt_ids, rows, cols, calls_only=calls_only)

    def _decode_plain(self, prompt_ids: list[int], rows: int, cols: int, calls_only: bool = False) -> DecodeResult:
        torch = self.torch
        from transformers import LogitsProcessor, LogitsProcessorList

        constraint = self.constraint(rows, cols, calls_only)
        steps = {"n": 0}
        interpreter = self

        class GrammarProcessor(LogitsProcessor):
            def __call__(self, input_ids, scores):
                if steps["n"] and not constraint.done:  # once done, only padding follows (stripped below)
                    constraint.advance(int(input_ids[0, -1]))
                steps["n"] += 1
                return scores + interpreter.mask(constraint, scores.shape[-1])

        input_ids = torch.tensor([prompt_ids], device=self.device)
        out = self.model.generate(
            input_ids=input_ids, attention_mask=torch.ones_like(input_ids), max_new_tokens=constraint.budget,
            do_sample=False, logits_processor=LogitsProcessorList([GrammarProcessor()]),
            eos_token_id=[fg.CONTROL_TOKENS[fg.START_RESPONSE], 106], pad_token_id=0)
        new = out[0, len(prompt_ids):].tolist()
        while constraint.done and new and new[-1] == 0:
            new.pop()
        return DecodeResult(new, forward_passes=len(new), forced_tokens=0)

    def _pick(self, logits) -> int:
        if self.temperature <= 0:
            return int(self.torch.argmax(logits))
        probs = self.torch.softmax(logits.float().cpu() / self.temperature, dim=-1)
        return int(self.torch.multinomial(probs, 1, generator=self.generator))

    def mask(self, constraint: Constraint, size: int):
        """Additive logits mask (0 = allowed, -inf = not) for the constraint's next token."""
        torch = self.torch
        if constraint.done:
            mask = torch.full((size,), float("-inf"), device=self.device)
            mask[0] = 0
            return mask
        mask = (self._text_mask[:size].clone() if constraint.text_allowed()
                else torch.full((size,), float("-inf"), device=self.device))
        mask[constraint.allowed()] = 0
        return mask

    def prefix_cache(self, rows: int, cols: int):
        """(KV cache of the developer turn, its length in tokens), computed once per grid size."""
        key = (rows, cols)
        if key not in self._prefix:
            ids = self.developer_ids(rows, cols)
            with self.torch.inference_mode():
                out = inner_model(self.model)(input_ids=self.torch.tensor([ids], device=self.device), use_cache=True)
            self._prefix[key] = (out.past_key_values, len(ids))
        return self._prefix[key]

    def forget_prefix_cache(self) -> None:
        """Drop the cached developer turns (PyTorch runtime): after the model's weights change, as
        in training, they are stale and are computed again on the next command."""
        self._prefix.clear()

    def developer_ids(self, rows: int, cols: int) -> list[int]:
        key = (rows, cols)
        if key not in self._developer_ids:
            self._developer_ids[key] = self.tokenizer.encode(garden_prompt.prefix(rows, cols, self.form),
                                                             add_special_tokens=False)
        return self._developer_ids[key]

    def _start(self, prompt_ids: list[int], rows: int, cols: int):
        """The forward-pass runner for one command (PyTorch or llama.cpp)."""
        if self.runtime == "llama":
            return LlamaRun(self, prompt_ids, rows, cols)
        return TorchRun(self, prompt_ids, rows, cols)

    def _decode_fast(self, prompt_ids: list[int], rows: int, cols: int,
                     stop: Callable[[], bool] | None = None, calls_only: bool = False) -> DecodeResult | None:
        """Greedy decoding with the levers this mode enables (all of them in "fast"). stop: asked
        before each forward pass; None is returned when it says so. calls_only: no text reply."""
        use_jump, use_subset, use_spec = "jump" in self.levers, "subset" in self.levers, "spec" in self.levers
        use_lists = "lists" in self.levers
        constraint = self.constraint(rows, cols, calls_only)
        run = self._start(prompt_ids, rows, cols)
        developer = self.developer_ids(rows, cols)
        skip = len(developer) if prompt_ids[:len(developer)] == developer else 0
        context = list(prompt_ids[skip:])  # what lookup drafting may copy from: history, utterance, answer
        # only the last user turn has place lines; 600 tokens hold it with its longest lines. Read back
        # from the tokens (about 0.3 ms) rather than carried down from the prompt builder.
        lists = draft.place_lists(self.tokenizer.decode(context[-600:])) if use_lists else []
        pending, out, passes, forced_count = run.pending, [], 0, 0
        prompt_run = len(pending)
        while not constraint.done:
            if stop is not None and stop():
                return None
            drafting = (use_spec or lists) and run.can_rollback
            guess = self._guess(constraint, context, out, rows, cols, lists, use_spec) if drafting else []
            saved = run.snapshot() if guess else None
            if saved is None:
                guess = []
            states = run.forward(pending + guess, logits_from=len(pending) - 1, needed=choice_points(constraint, guess),
                                 vocab=constraint.text_allowed())
            passes += 1
            # The model's own choice after the pending tokens, then after each guessed token it
            # agreed with: exactly what one pass per token would choose.
            agreed = 0
            while True:
                choice = run.choose(constraint, states[agreed], use_subset)
                constraint.advance(choice)
                out.append(choice)
                context.append(choice)
                if agreed < len(guess) and choice == guess[agreed] and not constraint.done:
                    agreed += 1
                    continue
                break
            if guess and agreed < len(guess):
                run.rollback(saved, fed=len(pending) + len(guess), keep=len(pending) + agreed)
            forced_count += agreed
            if agreed == len(guess) or choice != guess[agreed]:
                pending = [choice]  # not in the cache yet
            else:
                pending = []  # unreachable: an agreed token ends the output
            # Tokens the grammar leaves no choice about join the next forward pass.
            while use_jump and not constraint.done:
                jump = constraint.forced()
                if not jump and not constraint.text_allowed() and len(constraint.allowed()) == 1:
                    jump = constraint.allowed()
                if not jump:
                    break
                for token in jump:
                    constraint.advance(token)
                    out.append(token)
                    context.append(token)
                    pending.append(token)
                    forced_count += 1
                    if constraint.done:
                        break
        return DecodeResult(out, forward_passes=passes, forced_tokens=forced_count, prompt_tokens_run=prompt_run)

    def _choose(self, constraint: Constraint, h, use_subset: bool) -> int:
        """The constrained greedy (or sampled) choice from one hidden state."""
        torch = self.torch
        allowed = constraint.allowed()
        if len(allowed) == 1 and not constraint.text_allowed():
            return allowed[0]
        weight = self.model.get_output_embeddings().weight
        if use_subset and not constraint.text_allowed():
            rows = weight[torch.tensor(allowed, device=self.device)]
            return allowed[self._pick(rows.to(h.dtype) @ h)]
        logits = (weight @ h.to(weight.dtype)).to(h.dtype)
        return self._pick(logits + self.mask(constraint, logits.shape[-1]))

    def _guess(self, constraint: Constraint, context: list[int], out: list[int], rows: int, cols: int,
               lists: list[list[str]] = (), any_guess: bool = True) -> list[int]:
        """A guess of the next tokens (garden.brain.draft), cut to what the grammar allows. lists:
        the plot lists the command's turn gives (draft.place_lists); any_guess: also lookups and
        plot patterns, else only the rest of such a list."""
        if constraint.mode != "call" or self.temperature > 0:
            return []
        guess = draft.within_grammar(constraint, draft.lookup(context)) if any_guess else []
        start = max((i for i, t in enumerate(out) if t == self._start_call_id), default=-1) + 1
        call_ids = out[start:]
        text = self.tokenizer.decode(call_ids) if call_ids else ""
        listed = draft.rest_of_list(text, lists) if text else ""
        more = listed or (draft.next_plots(text, rows, cols) if text and any_guess else "")
        if more:
            ids = self.tokenizer.encode(text + more, add_special_tokens=False)
            if ids[:len(call_ids)] == call_ids:
                limit = draft.MAX_LIST_DRAFT if listed else draft.MAX_DRAFT
                pattern = draft.within_grammar(constraint, ids[len(call_ids):][:limit])
                if len(pattern) > len(guess):
                    guess = pattern
        return guess
