"""Train the garden adapter: LoRA on a Gemma 3 / FunctionGemma base, loss on the model turn only.

    python -m training.train                  # the default recipe (under an hour on 2 CPU cores)
    python -m training.train --steps 20 --out /tmp/a   # a quick smoke run
    python -m training.train --resume         # continue the last run from its checkpoint

Read it top to bottom: config, data, the loss, the loop, the report.

Why it is fast enough for a laptop CPU:
* Every prompt starts with the same developer turn (garden description + tool declarations,
  ~510 tokens) for a given grid size. Each batch holds one grid size; the developer turn is run
  once per step without gradients and its KV cache is shared by the whole batch, so the model
  only does real work on the history, the utterance and the answer (~100 tokens per example).
  The forward pass is exact (the cache comes from the current weights); only the gradient
  through the developer turn is dropped.
* Logits are computed only where there are labels, and inside a call only for the tokens the
  garden grammar allows there: the constrained decoder never lets the model pick anything
  else, so that softmax is exactly the choice the model makes at inference. The first answer
  token (call or text?) and text replies use the full 262,144-token softmax.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import random
import shutil
import sys
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from garden import tools
from training.average import dedupe, read_report, widen

REPO = Path(__file__).resolve().parents[1]


def _opt(default, help: str):
    """A Config field whose help text `garden train --help` shows (with its default)."""
    return field(default=default, metadata={"help": help})


@dataclass
class Config:
    base: str = _opt("gemma3-270m", "the base model: gemma3-270m (embedded), functiongemma (Hugging Face), or a folder")
    run_dir: str = _opt("", "this run's folder: checkpoints (for --resume) and the adapter "
                            "(default: a new folder under training/runs/; with --resume, the last one)")
    out: str = _opt("", "where to write the adapter, its report and loss plot (default: RUN_DIR/adapter); "
                        "the installed adapter is only ever replaced by `garden train`'s install step")
    data_dir: str = _opt(str(REPO / "training" / "data" / "generated"), "where the generated train/val/test data go")
    cases_dir: str = _opt(str(REPO / "training" / "data"), "the hand-written cases (*.jsonl but test.jsonl) trained on")
    test_cases: str = _opt(str(REPO / "training" / "data" / "test.jsonl"), "the test split scored at the end")
    seed: int = _opt(0, "picks the generated conversations and their order: the same seed repeats a run")
    # LoRA on every linear layer of the decoder
    lora_r: int = _opt(16, "LoRA rank (every linear layer of the decoder)")
    lora_alpha: int = _opt(32, "LoRA alpha")
    # optimisation
    steps: int = _opt(700, "optimizer steps, unless the time budget stops the run first")
    batch: int = _opt(8, "conversations a step (each batch shares one grid size)")
    lr: float = _opt(5e-4, "peak learning rate (linear warmup, then cosine down to a tenth)")
    warmup: int = _opt(20, "warmup steps")
    weight_decay: float = _opt(0.0, "AdamW weight decay")
    grad_clip: float = _opt(1.0, "gradient norm clip")
    # bookkeeping
    eval_every: int = _opt(100, "validation loss and exact match every this many steps")
    val_examples: int = _opt(48, "validation conversations for the validation loss")
    val_cases: int = _opt(40, "validation cases decoded (with the real constrained decoder) for exact match")
    checkpoint_every: int = _opt(25, "save a checkpoint every this many steps")
    test_limit: int | None = _opt(None, "score only this many test cases at the end (default: all)")
    max_minutes: float = _opt(56.0, "the whole command (loading, data, training, test scoring) ends within this many "
                                    "minutes: training stops in time for the scoring and its learning-rate schedule "
                                    "follows the clock; 0 = no limit")
    threads: int = _opt(0, "CPU threads for torch (0 = torch's default)")
    bf16: int = _opt(-1, "bfloat16 autocast for training: 1 on, 0 off, -1 when the CPU/GPU has it")
    init_adapter: str = _opt("", "start from this adapter's LoRA weights (continue training) instead of zero")
    weights: str = _opt("", "the train split's category weights where they differ from the generator's, "
                            "e.g. large_grid=26,everything=16")
    focus_cases: str = _opt("", "a cases file (JSONL) to draw more often than the rest, e.g. a player's new phrases")
    focus_share: float = _opt(0.15, "the share of training examples drawn from --focus-cases")
    plot_form: str = _opt(tools.PLOT_FORM, "how the model writes a plot: pair ([row,column]) or object "
                                           "({col:1,row:1}, what adapters trained before 2026-12-08 learnt)")


def parser() -> argparse.ArgumentParser:
    """The training loop's options, one for each Config field, with its help and default."""
    cfg = Config()
    p = argparse.ArgumentParser(prog="python -m training.train", description=__doc__.split("\n\n")[0])
    for f in fields(Config):
        value = getattr(cfg, f.name)
        kind = type(value) if value is not None else int
        shown = f" (default: {value})" if value not in ("", None) else ""
        p.add_argument("--" + f.name.replace("_", "-"), type=kind, default=value, help=f.metadata["help"] + shown)
    p.add_argument("--resume", action="store_true", help="continue a run from its checkpoint (default: the last run)")
    p.add_argument("--fresh", action="store_true",
                   help="start over even if --run-dir holds an unfinished run (its checkpoint is deleted)")
    p.add_argument("--no-test", action="store_true", help="skip the test-split evaluation at the end")
    # what continues this run, for the messages (the recipe runs its stages through here)
    p.add_argument("--resume-command", default="garden train --resume", help=argparse.SUPPRESS)
    return p


def parse_args(argv) -> tuple[Config, argparse.Namespace]:
    cfg = Config()
    args = parser().parse_args(argv)
    given = {name for name in asdict(cfg) if getattr(args, name) != getattr(cfg, name)}
    if args.resume:
        run_dir = Path(args.run_dir) if args.run_dir else last_run_dir()
        if run_dir is None:
            raise SystemExit("garden train: there is no run to resume (training/runs/ has none).")
        saved = run_dir / CONFIG_FILE
        if saved.exists():  # a resumed run is the run it was, except for what is said again now
            # a run begun before --plot-form learnt the form a run that does not say learnt
            config = {"plot_form": tools.UNSAID_PLOT_FORM} | json.loads(saved.read_text(encoding="utf-8"))
            for name, value in config.items():
                if name not in given and hasattr(cfg, name):
                    setattr(args, name, value)
            args.no_test = args.no_test or config.get("_no_test", False)
        args.run_dir = str(run_dir)
    for name in asdict(cfg):
        setattr(cfg, name, getattr(args, name))
    if cfg.plot_form not in tools.PLOT_FORMS:
        raise SystemExit(f"garden train: --plot-form must be {' or '.join(tools.PLOT_FORMS)}, not {cfg.plot_form!r}.")
    return cfg, args


# --- data ------------------------------------------------------------------------------------

def ensure_data(cfg: Config) -> tuple[list[dict], list[dict]]:
    """Generate train/val (deterministic for the seed; a few seconds) with the hand-written cases
    in training/data/*.jsonl mixed in, so phrases a player adds there are always trained on.
    --focus-cases are repeated until they make up --focus-share of the train split: a dozen new
    phrases among 6,000 generated ones would otherwise be seen once or twice in a short run."""
    from garden.brain.cases import CaseError, load_cases
    from training import generate

    try:  # every training file is checked before anything slow starts
        generate.handwritten(Path(cfg.cases_dir))
        focus = load_cases(cfg.focus_cases) if cfg.focus_cases else []
    except CaseError as exc:
        raise SystemExit(f"garden train: {exc}") from None
    data = Path(cfg.data_dir)
    generate_data(data, cfg.seed, cfg.weights, cfg.cases_dir)
    train = load_cases(data / "train.jsonl")
    if focus and 0 < cfg.focus_share < 1:
        copies = max(1, round(cfg.focus_share * len(train) / ((1 - cfg.focus_share) * len(focus))))
        train += [dict(case, id=f"{case['id']}-{i}") for i in range(copies) for case in focus]
        random.Random(f"garden-{cfg.seed}-focus").shuffle(train)
    return train, load_cases(data / "val.jsonl")


def generate_data(data: Path, seed: int, weights: str, cases_dir: str) -> None:
    """train/val/test for one seed into `data`; the same seed, weights and files give the same bytes."""
    from training import generate

    print(f"Generating training data into {data} ...", file=sys.stderr)
    if generate.main(["--out", str(data), "--seed", str(seed), "--weights", weights, "--cases-dir", cases_dir]) != 0:
        raise SystemExit("garden train: the training data could not be generated (see the message above).")


def inputs_hash(examples: list) -> str:
    """What the model is trained on, as tokens: every example's developer turn, conversation and answer.
    A run resumed after the generator, a training file or the prompt changed would train on something
    else than it began with; the checkpoint keeps this hash so --resume can tell."""
    from garden.brain import prompt as garden_prompt

    digest = hashlib.sha256()
    for grid, form in sorted({(ex.grid, ex.form) for ex in examples}):
        digest.update(garden_prompt.prefix(*grid, form).encode())
    for ex in examples:
        digest.update(repr((ex.grid, ex.suffix)).encode())
    return digest.hexdigest()[:16]


def inputs_changed(state: dict, hashed: str) -> str | None:
    """A sentence when the examples (their inputs_hash) differ from those the checkpoint's run began
    with, else None."""
    recorded = state.get("inputs_hash")
    if recorded is None:  # a checkpoint from before the hash was kept
        return None
    if recorded != hashed:
        return ("this run's training examples are not the ones it began with (the data generator, a file in "
                "training/data or the prompt changed since), so resuming would train on something else.")
    return None


def data_hash(cases: list[dict]) -> str:
    digest = hashlib.sha256()
    for case in cases:
        digest.update(json.dumps(case, sort_keys=True).encode())
    return digest.hexdigest()[:16]


@dataclass
class Example:
    grid: tuple[int, int]
    suffix: list[int]  # token ids after the developer turn
    targets: list[tuple[int, int, list[int] | None]] = field(default_factory=list)
    # (position in suffix whose hidden state predicts it, target id, allowed ids or None = full softmax)
    form: str = tools.PLOT_FORM  # how the prompt and answer write a plot (garden.tools.PLOT_FORMS)


def encode_case(case: dict, tokenizer, token_grammar, text_ids, form: str = tools.PLOT_FORM) -> Example:
    from garden.brain import prompt as garden_prompt
    from garden.brain.cases import grid_of, replay
    from garden.brain.grammar import Constraint

    DEFAULT_REPLY = garden_prompt.DEFAULT_REPLY
    rows, cols = grid_of(case)
    garden, history = replay(case)
    past = [(h.utterance, h.calls, h.results, h.reply or DEFAULT_REPLY) for h in history]
    prompt = garden_prompt.render_prompt(rows, cols, past, case["utterance"], garden.board(), form)
    target = garden_prompt.render_target(case["calls"], case.get("reply") or DEFAULT_REPLY, form)
    enc = lambda s: tokenizer.encode(s, add_special_tokens=False)  # noqa: E731
    # Only what follows the developer turn is encoded: it ends a turn and the rest starts with
    # <start_of_turn>, a control token the tokenizer always splits at, so the ids are those of the
    # whole text (tests/test_train.py checks), at a fifth of the work (the turn is ~580 tokens).
    head = garden_prompt.prefix(rows, cols, form)
    if not prompt.startswith(head) or not prompt[len(head):].startswith("<start_of_turn>"):
        raise ValueError(f"case {case.get('id')}: the prompt does not start with the developer turn")
    prompt_ids, suffix = enc(prompt[len(head):]), enc(prompt[len(head):] + target)
    if suffix[: len(prompt_ids)] != prompt_ids:
        raise ValueError(f"tokenization is not stable at a turn boundary for {case.get('id')}")
    start = len(prompt_ids)
    constraint = Constraint(token_grammar, text_ids, max_tokens=10_000)
    example = Example((rows, cols), suffix, form=form)
    for i, token in enumerate(suffix[start:]):
        restricted = not constraint.text_allowed()
        allowed = constraint.allowed()
        if token not in allowed and not constraint.text_allowed():
            raise ValueError(f"case {case.get('id')}: target token {token} is outside the grammar")
        example.targets.append((start + i - 1, token, list(allowed) if restricted else None))
        constraint.advance(token)
    return example


def encode_cases(cases: list[dict], tokenizer, grammars: dict | None = None,
                 form: str = tools.PLOT_FORM) -> list[Example]:
    """encode_case for every case, with a progress bar; `grammars` keeps the token grammar of each
    grid size and plot form (building one takes a while) for the next call."""
    from tqdm import tqdm

    from garden.brain.cases import grid_of
    from garden.brain.grammar import TokenGrammar, garden_grammar, text_reply_ids, vocabulary_pieces

    grammars = {} if grammars is None else grammars
    pieces, text_ids = vocabulary_pieces(tokenizer), text_reply_ids(tokenizer)
    encode = lambda s: tokenizer.encode(s, add_special_tokens=False)  # noqa: E731
    out = []
    for case in tqdm(cases, desc="tokenizing", unit="case", leave=False, file=sys.stderr):
        grid = grid_of(case)
        if (grid, form) not in grammars:
            grammars[grid, form] = TokenGrammar(garden_grammar(*grid, form), pieces, encode)
        out.append(encode_case(case, tokenizer, grammars[grid, form], text_ids, form))
    return out


def batches(examples: list[Example], batch: int, seed: int, skip: int = 0):
    """Endless batches, each from one grid size (so they share a developer-turn cache), grid
    sizes drawn in proportion to their data. Within a grid, each pass over the data is cut into
    windows of 32 batches whose examples are sorted by length before batching, so a batch pads
    little (right padding is wasted work). Deterministic for a seed; `skip` resumes."""
    rng = random.Random(seed)
    by_grid: dict[tuple[int, int], list[Example]] = {}
    for ex in examples:
        by_grid.setdefault(ex.grid, []).append(ex)
    grids = sorted(by_grid)
    weights = [len(by_grid[g]) for g in grids]
    queues: dict[tuple[int, int], list[list[Example]]] = {g: [] for g in grids}

    def refill(grid):
        pool = rng.sample(by_grid[grid], len(by_grid[grid]))
        window = batch * 32
        for i in range(0, len(pool), window):
            chunk = sorted(pool[i:i + window], key=lambda ex: len(ex.suffix))
            group = [chunk[j:j + batch] for j in range(0, len(chunk), batch)]
            rng.shuffle(group)
            queues[grid].extend(group)

    step = 0
    while True:
        grid = rng.choices(grids, weights)[0]
        if not queues[grid]:
            refill(grid)
        out = queues[grid].pop()
        if step >= skip:
            yield out
        step += 1


# --- the loss --------------------------------------------------------------------------------

def prefix_cache(model, tokenizer, grid, batch_size: int, form: str = tools.PLOT_FORM):
    """KV cache of the developer turn from the current weights, shared by the batch (no grad)."""
    import torch

    from garden.brain import prompt as garden_prompt
    from garden.brain.interpret import inner_model

    ids = tokenizer.encode(garden_prompt.prefix(*grid, form), add_special_tokens=False)
    device = model.get_output_embeddings().weight.device
    with torch.no_grad():
        cache = inner_model(model)(input_ids=torch.tensor([ids], device=device), use_cache=True).past_key_values
    for layer in cache.layers:
        layer.keys = layer.keys.expand(batch_size, -1, -1, -1).contiguous()
        layer.values = layer.values.expand(batch_size, -1, -1, -1).contiguous()
    return cache


def batch_loss(model, tokenizer, examples: list[Example]):
    """Mean cross-entropy over the answer tokens of a batch (see the module docstring)."""
    import torch
    import torch.nn.functional as F

    from garden.brain.interpret import inner_model

    cache = prefix_cache(model, tokenizer, examples[0].grid, len(examples), examples[0].form)
    weight = model.get_output_embeddings().weight
    device = weight.device
    width = max(len(ex.suffix) for ex in examples)
    # Right padding needs no attention mask: causal attention never looks at later positions.
    input_ids = torch.zeros((len(examples), width), dtype=torch.long)
    for b, ex in enumerate(examples):
        input_ids[b, : len(ex.suffix)] = torch.tensor(ex.suffix)
    hidden = inner_model(model)(input_ids=input_ids.to(device), past_key_values=cache, use_cache=True).last_hidden_state

    full_rows, full_targets, sub_rows, sub_targets, sub_allowed = [], [], [], [], []
    for b, ex in enumerate(examples):
        for pos, token, allowed in ex.targets:
            if allowed is None:
                full_rows.append((b, pos))
                full_targets.append(token)
            else:
                sub_rows.append((b, pos))
                sub_targets.append(token)
                sub_allowed.append(allowed)
    total, count = hidden.new_zeros(()), 0
    if full_rows:
        h = hidden[[b for b, _ in full_rows], [p for _, p in full_rows]]
        total = total + F.cross_entropy(h @ weight.T, torch.tensor(full_targets, device=device), reduction="sum")
        count += len(full_rows)
    if sub_rows:
        vocab = sorted({i for allowed in sub_allowed for i in allowed})
        column = {token: j for j, token in enumerate(vocab)}
        mask = torch.full((len(sub_rows), len(vocab)), float("-inf"), device=device)
        for r, allowed in enumerate(sub_allowed):
            mask[r, [column[i] for i in allowed]] = 0
        h = hidden[[b for b, _ in sub_rows], [p for _, p in sub_rows]]
        logits = h @ weight[torch.tensor(vocab, device=device)].T + mask
        targets = torch.tensor([column[t] for t in sub_targets], device=device)
        total = total + F.cross_entropy(logits, targets, reduction="sum")
        count += len(sub_rows)
    return total / max(count, 1)


# --- the loop --------------------------------------------------------------------------------

def build_model(cfg: Config):
    import torch
    from peft import LoraConfig, get_peft_model

    from garden.brain import models

    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    base, tokenizer, base_id = models.load_base(cfg.base)
    lora = LoraConfig(r=cfg.lora_r, lora_alpha=cfg.lora_alpha, lora_dropout=0.0, target_modules="all-linear",
                      task_type="CAUSAL_LM")
    model = get_peft_model(base, lora)
    if torch.cuda.is_available():
        model.to("cuda")
    return model, tokenizer, base_id


def autocast(cfg: Config):
    """bfloat16 matmuls where the hardware has them: ~1.5x faster steps on a recent CPU, with the
    LoRA weights, optimizer and gradients still in float32."""
    import contextlib

    import torch

    device = "cuda" if torch.cuda.is_available() else "cpu"
    on = cfg.bf16 == 1 or (cfg.bf16 == -1 and (torch.cuda.is_available() or _cpu_has_bf16()))
    return torch.autocast(device, dtype=torch.bfloat16) if on else contextlib.nullcontext()


def _cpu_has_bf16() -> bool:
    try:
        return "avx512_bf16" in Path("/proc/cpuinfo").read_text() or "amx_bf16" in Path("/proc/cpuinfo").read_text()
    except OSError:
        return False


# Scoring the 600-case test split with llama.cpp took 7.6 min here (0.76 s a case) after 0.5 min of
# converting the adapter; training leaves that much of the budget free (a little more, for safety).
SCORE_SECONDS_PER_CASE = 0.85
SCORE_SETUP_SECONDS = 45


def scoring_reserve_seconds(cfg: Config, args) -> float:
    """How much of the time budget to keep for scoring the test split after training."""
    from garden.brain.cases import load_cases

    if args.no_test or not Path(cfg.test_cases).exists():
        return 0.0
    n = len(load_cases(cfg.test_cases)[: cfg.test_limit])  # the cases write_adapter will score
    return SCORE_SETUP_SECONDS + SCORE_SECONDS_PER_CASE * n


def lr_at(cfg: Config, step: int, time_progress: float = 0.0) -> float:
    """Linear warmup, then cosine down to 10% of `lr`. Progress is whichever is further along:
    the steps done of `steps`, or the training time spent of what the budget allows (so a run the
    clock stops still ends its schedule at the low learning rate instead of being cut off midway)."""
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    progress = max((step - cfg.warmup) / max(1, cfg.steps - cfg.warmup), time_progress)
    return cfg.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress))))  # cosine down to 10%


def validate(model, tokenizer, val_examples, interpreter, val_cases) -> dict:
    import torch

    from garden.brain.evaluate import evaluate

    model.eval()
    with torch.no_grad():
        groups: dict = {}
        for ex in val_examples:
            groups.setdefault(ex.grid, []).append(ex)
        losses = [batch_loss(model, tokenizer, exs[i:i + 8]).item() * len(exs[i:i + 8])
                  for exs in groups.values() for i in range(0, len(exs), 8)]
    interpreter.forget_prefix_cache()  # weights changed: the cached developer turns are stale
    report = evaluate(interpreter, val_cases)
    model.train()
    return {"val_loss": sum(losses) / max(1, len(val_examples)), "val_exact_match": report["exact_match"]}


FINISHED = "finished"  # in the run directory once the adapter is written: its checkpoint is no longer needed
CONFIG_FILE = "config.json"  # the run's Config, so --resume continues the same run
RUNS = REPO / "training" / "runs"
LAST_RUN = "LAST"  # in a runs folder: names its newest run, for --resume


def new_run_dir(kind: str = "run", runs: Path = RUNS) -> Path:
    """A new folder under `runs`, named by the time it starts, remembered as the last run."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path, n = runs / f"{stamp}-{kind}", 1
    while path.exists():
        n += 1
        path = runs / f"{stamp}-{kind}-{n}"
    path.mkdir(parents=True)
    (runs / LAST_RUN).write_text(path.name + "\n", encoding="utf-8")
    return path


def last_run_dir(runs: Path = RUNS) -> Path | None:
    try:
        path = runs / (runs / LAST_RUN).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return path if path != runs and path.is_dir() else None


MOMENTS = ("exp_avg", "exp_avg_sq")  # AdamW's per-weight state, kept in moments.safetensors


def save_checkpoint(model, optimizer, state: dict, run_dir: Path, plot_form: str = tools.PLOT_FORM) -> None:
    """The adapter (float32), AdamW's moments in bfloat16 (moments.safetensors) and the rest in trainer.pt.
    In bfloat16 the moments of a rank-16 adapter weigh 15 MB, not 30, so every file of a checkpoint stays
    under the 20 MB a file in this repository may weigh and a long recipe run can be committed between
    sittings (docs/retraining.md); the moments are running averages, and their rounding (0.4%) is far below
    the noise of the batches that make them. Its garden-adapter.json says the plot form, so that a copy of
    the checkpoint's adapter files is scored as it was trained (garden.brain.adapters.plot_form)."""
    import torch
    from safetensors.torch import save_file

    tmp = run_dir / "checkpoint.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    (tmp / "garden-adapter.json").write_text(json.dumps({"plot_form": plot_form}))
    saved = optimizer.state_dict()  # its per-weight dicts are the optimizer's own: copied, not changed
    moments = {f"{index}.{name}": slots[name].to(torch.bfloat16).contiguous()
               for index, slots in saved["state"].items() for name in MOMENTS if name in slots}
    saved["state"] = {index: {k: v for k, v in slots.items() if k not in MOMENTS}
                      for index, slots in saved["state"].items()}
    save_file(moments, tmp / "moments.safetensors")
    torch.save({"optimizer": saved, "state": state, "rng": torch.get_rng_state()}, tmp / "trainer.pt")
    final = run_dir / "checkpoint"
    shutil.rmtree(final, ignore_errors=True)
    tmp.rename(final)  # a crash mid-save leaves the previous checkpoint intact


def missing_extra() -> str | None:
    """Training draws its loss plot with matplotlib, which only the `train` extra installs: said before
    any work, not after an hour of it."""
    import importlib.util

    if importlib.util.find_spec("matplotlib") is None:
        return ("garden train: training needs matplotlib (for its loss plot), which is not installed: "
                "pip install -e '.[train]' in your checkout (make test installs it too).")
    return None


def main(argv=None) -> int:
    cfg, args = parse_args(argv if argv is not None else sys.argv[1:])
    missing = missing_extra()
    if missing:
        print(missing, file=sys.stderr)
        return 2
    import torch
    from tqdm import tqdm

    from garden.brain.interpret import ModelInterpreter
    from garden.brain.models import LoadedModel, ModelError

    t_start = time.time()
    run_dir = Path(cfg.run_dir) if cfg.run_dir else new_run_dir()
    cfg.run_dir = str(run_dir)
    cfg.out = cfg.out or str(run_dir / "adapter")
    if (run_dir / "checkpoint").exists() and not args.resume:
        if not (run_dir / FINISHED).exists() and not args.fresh:
            # an interrupted run is hours of a laptop's work: never thrown away without being asked
            print(f"garden train: {run_dir} holds the checkpoint of a run that did not finish; "
                  f"`{args.resume_command}` continues it, `--fresh` discards it and starts over.", file=sys.stderr)
            return 1
        shutil.rmtree(run_dir / "checkpoint")
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / FINISHED).unlink(missing_ok=True)  # a resumed run is unfinished again until it ends
    (run_dir / CONFIG_FILE).write_text(json.dumps(asdict(cfg) | {"_no_test": args.no_test}, indent=1), encoding="utf-8")
    random.seed(cfg.seed)
    train_cases, val_cases = ensure_data(cfg)  # a bad line in a training file stops the run here, before the model
    try:
        model, tokenizer, base_id = build_model(cfg)
    except ModelError as exc:
        print(f"garden train: {exc}", file=sys.stderr)
        return 2
    grammars: dict = {}  # one token grammar a grid size, shared by the train and validation cases
    train = encode_cases(train_cases, tokenizer, grammars, cfg.plot_form)
    val = encode_cases(val_cases[: cfg.val_examples], tokenizer, grammars, cfg.plot_form)
    rng = random.Random(cfg.seed)
    val_decode = rng.sample(val_cases, min(cfg.val_cases, len(val_cases)))
    tokens = sum(len(e.suffix) for e in train) / len(train)
    print(f"{len(train)} training examples ({tokens:.0f} tokens each after the shared developer turn), "
          f"{len(val_cases)} validation cases; base {base_id}", file=sys.stderr)

    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    hashed = inputs_hash(train)
    state = {"step": 0, "losses": [], "evals": [], "elapsed": 0.0, "inputs_hash": hashed}
    if args.resume and (run_dir / "checkpoint").exists():
        from peft import set_peft_model_state_dict
        from safetensors.torch import load_file

        saved = torch.load(run_dir / "checkpoint" / "trainer.pt", weights_only=False)
        set_peft_model_state_dict(model, load_file(run_dir / "checkpoint" / "adapter_model.safetensors"))
        moments = run_dir / "checkpoint" / "moments.safetensors"
        if moments.exists():  # checkpoints before it kept the moments in trainer.pt
            for key, value in load_file(moments).items():
                index, name = key.split(".", 1)
                saved["optimizer"]["state"][int(index)][name] = value.float()
        optimizer.load_state_dict(saved["optimizer"])
        state = saved["state"]
        changed = inputs_changed(state, hashed)
        if changed:
            print(f"garden train: {changed} `--fresh` starts this run over.", file=sys.stderr)
            return 1
        torch.set_rng_state(saved["rng"])
        print(f"Resuming at step {state['step']}.", file=sys.stderr)

    previous = None
    if cfg.init_adapter and not args.resume:
        previous = init_from(model, Path(cfg.init_adapter), base_id)

    interpreter = ModelInterpreter(LoadedModel(model, tokenizer, base_id), mode="fast", plot_form=cfg.plot_form)
    model.train()
    stream = batches(train, cfg.batch, cfg.seed, skip=state["step"])
    t_run = time.time() - state["elapsed"]
    # Training may run until `deadline`; `window` is the training time that allows in all (a resumed
    # run adds what it had already spent), the clock the learning-rate schedule follows.
    deadline = None
    if cfg.max_minutes > 0:
        reserve = scoring_reserve_seconds(cfg, args)
        deadline = t_start + cfg.max_minutes * 60 - reserve
        window = state["elapsed"] + max(1.0, deadline - time.time())
        state["budget"] = {"max_minutes": cfg.max_minutes, "training_window_minutes": round(window / 60, 1),
                           "scoring_reserve_minutes": round(reserve / 60, 1)}
        print(f"Time budget: {cfg.max_minutes:.0f} min in all; training may use {window / 60:.1f} min of it "
              f"({reserve / 60:.1f} min kept for scoring the test split).", file=sys.stderr)
    bar = tqdm(total=cfg.steps, initial=state["step"], desc="training", unit="step", file=sys.stderr)
    stopped_early = False
    with StopRequests() as stop:
        while state["step"] < cfg.steps:
            step = state["step"]
            if step == cfg.warmup:
                state.setdefault("warm_elapsed", state["elapsed"])
            time_progress = 0.0
            if deadline and "warm_elapsed" in state:
                # the share of the post-warmup time spent: behind the step count unless the clock binds, so
                # a run that ends by `steps` inside the budget has the same schedule (and losses) every time
                spent = state["elapsed"] - state["warm_elapsed"]
                time_progress = spent / max(1.0, window - state["warm_elapsed"])
            for group in optimizer.param_groups:
                group["lr"] = lr_at(cfg, step, time_progress)
            with autocast(cfg):
                loss = batch_loss(model, tokenizer, next(stream))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, cfg.grad_clip)
            optimizer.step()
            state["step"] = step + 1
            state["losses"].append(round(loss.item(), 5))
            state["elapsed"] = time.time() - t_run
            if deadline and state["step"] > cfg.warmup:
                # when the clock binds, show the step it will stop at, so the ETA is the real one
                expected = min(cfg.steps, round(state["step"] / max(1e-6, min(1.0, state["elapsed"] / window))))
                if expected != bar.total:
                    bar.total = expected
            bar.update(1)
            bar.set_postfix(loss=f"{loss.item():.4f}", lr=f"{optimizer.param_groups[0]['lr']:.1e}")
            if state["step"] % cfg.eval_every == 0 or (state["step"] == cfg.steps and cfg.eval_every <= cfg.steps):
                result = validate(model, tokenizer, val, interpreter, val_decode)
                state["evals"].append({"step": state["step"], **result})
                bar.write(f"step {state['step']}: val loss {result['val_loss']:.4f}, "
                          f"val exact match {result['val_exact_match']:.3f}")
            if state["step"] % cfg.checkpoint_every == 0:
                save_checkpoint(model, optimizer, state, run_dir, cfg.plot_form)
            if deadline and time.time() > deadline:
                bar.write(f"Stopping at step {state['step']}: the training part of the {cfg.max_minutes:.0f}-minute "
                          "budget is spent.")
                stopped_early = True
                break
            if stop.asked:
                save_checkpoint(model, optimizer, state, run_dir, cfg.plot_form)
                bar.close()
                print(f"Stopped at step {state['step']}; the checkpoint is saved: `{args.resume_command}` continues "
                      "this run. The installed adapter is unchanged.", file=sys.stderr)
                return 130
    bar.close()
    save_checkpoint(model, optimizer, state, run_dir, cfg.plot_form)
    write_adapter(cfg, args, model, tokenizer, base_id, interpreter, state, train_cases, stopped_early, t_start,
                  previous)
    (run_dir / FINISHED).write_text(str(Path(cfg.out).resolve()), encoding="utf-8")  # the next run may start over here
    return 0


class StopRequests:
    """Ctrl+C (or a polite kill) asks the loop to stop after the step in progress and save a checkpoint,
    so the run can be resumed; a second Ctrl+C stops at once (the last checkpoint stays)."""

    def __enter__(self):
        import signal

        self.asked = False
        self._previous = {}
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                self._previous[sig] = signal.signal(sig, self._handle)
            except ValueError:  # not the main thread: leave the signals alone
                pass
        return self

    def _handle(self, signum, frame):
        if self.asked:
            raise KeyboardInterrupt
        self.asked = True
        print("\nStopping after this step and saving a checkpoint (Ctrl+C again stops at once) ...", file=sys.stderr)

    def __exit__(self, *exc):
        import signal

        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        return False


def init_from(model, path: Path, base_id: str) -> dict:
    """Load an earlier adapter's LoRA weights to continue from; returns what its report says
    about how it was made, so the new report tells the whole history."""
    from peft import set_peft_model_state_dict
    from safetensors.torch import load_file

    weights = path / "adapter_model.safetensors"
    if not weights.exists():
        raise SystemExit(f"garden train: --init-adapter {path}: no adapter_model.safetensors there.")
    meta = json.loads((path / "garden-adapter.json").read_text()) if (path / "garden-adapter.json").exists() else {}
    if meta.get("base_id") not in (None, base_id):
        raise SystemExit(f"garden train: --init-adapter {path} was trained on {meta['base_id']}, not {base_id}.")
    report = read_report(path)
    set_peft_model_state_dict(model, widened(model, load_file(weights), path))
    # An averaged adapter has no steps of its own: its "parents" (their reports) are its lineage.
    previous = {k: report.get(k) for k in ("steps", "train_wall_minutes", "data_hash", "config", "evals", "previous",
                                           "averaged", "parents")}
    previous["test_exact_match"] = (report.get("test") or {}).get("exact_match")
    earlier = (f"the mean of {len(report['averaged'])} adapters" if report.get("averaged")
               else f"{previous['steps']} earlier steps")
    print(f"Continuing from {path} ({earlier}).", file=sys.stderr)
    return previous


def widened(model, loaded: dict, path: Path) -> dict:
    """An earlier adapter's weights fitted to this run's LoRA rank, when this one is larger: the
    earlier A rows and B columns fill the first slots, the new A rows keep their fresh random start
    and the new B columns start at zero, and B is rescaled from the earlier alpha/r to this run's, so
    the model computes exactly what the earlier adapter did until training moves the new slots."""
    from peft import get_peft_model_state_dict

    target = get_peft_model_state_dict(model)
    old = json.loads((path / "adapter_config.json").read_text())
    new = model.peft_config["default"]
    if old["r"] > new.r:
        raise SystemExit(f"garden train: --init-adapter {path} has LoRA rank {old['r']}; --lora-r {new.r} "
                         "cannot hold it (use at least that rank).")
    # widen() decides, not the tensor shapes: at the same rank a different --lora-alpha still
    # needs B rescaled, or the run would start from a different function than the adapter's.
    out = widen(loaded, old, {k: v.detach() for k, v in target.items()}, {"r": new.r, "lora_alpha": new.lora_alpha})
    if out is not loaded:
        print(f"Fitting {path} (LoRA rank {old['r']}, alpha {old['lora_alpha']}) to rank {new.r}, "
              f"alpha {new.lora_alpha}.", file=sys.stderr)
    return out


# --- the report ------------------------------------------------------------------------------

def write_adapter(cfg, args, model, tokenizer, base_id, interpreter, state, train_cases, stopped_early, t_start,
                  previous=None):
    from garden.brain.cases import load_cases
    from garden.brain.evaluate import evaluate, print_report, summary

    out = Path(cfg.out)
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    set_stable_base(tmp, base_id)
    meta = {"base_id": base_id, "data_hash": data_hash(train_cases), "cases": learnt(cfg), "plot_form": cfg.plot_form}
    (tmp / "garden-adapter.json").write_text(json.dumps(meta))
    train_minutes = state["elapsed"] / 60
    report = {
        "base_id": base_id,
        "base": cfg.base,
        "config": asdict(cfg),
        "data_hash": data_hash(train_cases),
        "train_examples": len(train_cases),
        "steps": state["step"],
        "stopped_early": stopped_early,
        "time_budget": state.get("budget"),
        "train_wall_minutes": round(train_minutes, 1),
        "total_wall_minutes": None,
        "torch_threads": __import__("torch").get_num_threads(),
        "loss_curve": state["losses"],
        "evals": state["evals"],
        "test": None,
        "previous": previous,  # the run this one continued (--init-adapter), if any
    }
    if not args.no_test and Path(cfg.test_cases).exists():
        cases = load_cases(cfg.test_cases)[: cfg.test_limit]
        scorer = test_interpreter(cfg, model, tmp, interpreter)
        print(f"Scoring the test split ({len(cases)} cases, {scorer.description})...", file=sys.stderr)
        result = evaluate(scorer, cases, progress=True)
        print_report(result, show_failures=False)
        report["test"] = summary(result)
    report["total_wall_minutes"] = round((time.time() - t_start) / 60, 1)
    (tmp / "report.json").write_text(json.dumps(dedupe(report), indent=1))
    plot_losses(report, tmp / "loss.png")
    write_card(tmp, report)
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    print(f"Adapter written to {out} ({sum(f.stat().st_size for f in out.iterdir()) / 1e6:.1f} MB); "
          f"training took {train_minutes:.1f} min.", file=sys.stderr)


def set_stable_base(folder: Path, base_id: str) -> None:
    """peft writes the local path the base was loaded from; PEFT users expect the base's Hub id there."""
    from garden.brain.models import hub_id

    path = folder / "adapter_config.json"
    config = json.loads(path.read_text())
    config["base_model_name_or_path"] = hub_id(base_id)
    path.write_text(json.dumps(config, indent=2, sort_keys=True))


def learnt(cfg: Config) -> list[str]:
    """The hand-written cases this adapter has been trained on, its starting adapter's included, as
    hashes: `garden train` trains on what is new since (training/retrain.py)."""
    from garden.brain import adapters
    from garden.brain.cases import load_cases
    from training import generate

    known = adapters.learnt_cases(Path(cfg.init_adapter)) if cfg.init_adapter else set()
    cases = generate.handwritten(Path(cfg.cases_dir)) + (load_cases(cfg.focus_cases) if cfg.focus_cases else [])
    return sorted(known | {adapters.case_hash(c) for c in cases})


def test_interpreter(cfg, model, adapter_dir: Path, interpreter):
    """What scores the test split: the saved adapter as the game runs it (llama.cpp on the
    embedded base when installed: the same answers as PyTorch, about twice as fast, so the
    600 cases take minutes less), else the model still in memory."""
    from garden.brain import llamacpp, models
    from garden.brain.interpret import ModelInterpreter

    if models.is_embedded(cfg.base) and llamacpp.available():
        try:
            return ModelInterpreter(llamacpp.load(adapter=adapter_dir, progress=False), mode="fast")
        except llamacpp.LlamaUnavailable as exc:
            print(f"note: scoring with PyTorch ({exc})", file=sys.stderr)
    model.eval()
    interpreter.forget_prefix_cache()
    return interpreter


def write_card(folder: Path, report: dict) -> None:
    """A model card that says what this adapter is (instead of peft's empty template)."""
    test = report.get("test") or {}
    history, previous = [], report.get("previous")
    while previous:
        if previous.get("averaged"):  # made by training/average.py; its README lists the parents
            history.append(f"the mean of {len(previous['averaged'])} adapters")
            break
        history.append(f"{previous.get('steps')} steps ({previous.get('train_wall_minutes')} min)")
        previous = previous.get("previous")
    # oldest run first: history runs from the run this one continued back to the first
    made = " + ".join([*reversed(history), f"{report['steps']} steps ({report['train_wall_minutes']} min)"])
    lines = [
        "# garden adapter",
        "",
        "A LoRA adapter that teaches Gemma 3 270M to turn garden commands into calls to the three",
        "tools of the game `garden` (`plant_seed`, `water_plots`, `harvest_plots`), in FunctionGemma's",
        "format. Made by `training/train.py` in this repository; `report.json` has the hyperparameters,",
        "data hash, loss curve and test results, `loss.png` the curve.",
        "",
        f"- base: `{report['base_id']}` (the embedded Gemma 3 270M, `--base {report['base']}`)",
        f"- training: {made} on {report['train_examples']} generated conversations, "
        f"{report['torch_threads']} CPU threads",
        f"- test split exact match: {test.get('exact_match', 'not scored')}"
        + (f" on {test.get('n')} cases" if test else ""),
        "",
        "Gemma models and adapters trained on them are subject to the Gemma Terms of Use:",
        "https://ai.google.dev/gemma/terms",
        "",
    ]
    (folder / "README.md").write_text("\n".join(lines))


def plot_losses(report: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    losses = report["loss_curve"]
    fig, ax = plt.subplots(figsize=(7, 4), dpi=100)
    ax.plot(range(1, len(losses) + 1), losses, lw=0.8, alpha=0.5, label="train loss (per step)")
    if len(losses) >= 10:
        k = 10
        smooth = [sum(losses[max(0, i - k + 1): i + 1]) / len(losses[max(0, i - k + 1): i + 1]) for i in range(len(losses))]
        ax.plot(range(1, len(losses) + 1), smooth, lw=1.5, label="train loss (10-step mean)")
    if report["evals"]:
        ax.plot([e["step"] for e in report["evals"]], [e["val_loss"] for e in report["evals"]], "o-", label="validation loss")
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("cross-entropy (answer tokens)")
    ax.set_title(f"garden adapter on {report['base_id']}")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    sys.exit(main())
