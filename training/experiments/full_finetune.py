"""A lever measured for the recipe (docs/retraining.md): full fine-tuning of every linear weight
of the decoder (the embeddings frozen) instead of LoRA, with training/train.py's data, batch, loss
and clock-bound cosine schedule. At the end the change to each weight is cut to rank r by SVD and
saved as a LoRA adapter, so it is scored as the game runs it:

    python -m training.experiments.full_finetune --minutes 20 --lr 5e-5 --data DIR --out OUT
    garden eval --adapter OUT-r64 --cases DIR/val.jsonl

DIR holds the train.jsonl that `python -m training.train --data-dir DIR --seed 1 ...` generated.
Not part of `garden train`: on 2 cores it lost to LoRA in the same wall time (docs/retraining.md).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

LINEAR = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")  # what LoRA adapts


def fine_tune(model, tokenizer, examples: list, minutes: float, lr: float) -> tuple[int, list[float]]:
    """train.py's loop without LoRA: every parameter that requires grad, until the clock runs out."""
    import torch

    from training import train

    params = [p for p in model.parameters() if p.requires_grad]
    cfg = train.Config(lr=lr, warmup=20, steps=10**6)
    optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=0.0)
    stream, window, losses = train.batches(examples, cfg.batch, 1), minutes * 60, []
    model.train()
    start, warm = time.time(), None
    while time.time() - start < window:
        if len(losses) == cfg.warmup:
            warm = time.time() - start
        progress = 0.0 if warm is None else (time.time() - start - warm) / max(1.0, window - warm)
        for group in optimizer.param_groups:
            group["lr"] = train.lr_at(cfg, len(losses), progress)
        loss = train.batch_loss(model, tokenizer, next(stream))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, cfg.grad_clip)
        optimizer.step()
        losses.append(loss.item())
        if len(losses) % 20 == 0:
            print(f"step {len(losses)} {time.time() - start:.0f}s loss {sum(losses[-20:]) / 20:.4f}", file=sys.stderr)
    return len(losses), losses


def save_low_rank(deltas: dict, ranks: list[int], out: str, base_id: str) -> None:
    """Each weight's change cut to its top `r` singular directions, written as a LoRA adapter."""
    import torch
    from peft import LoraConfig, get_peft_model

    from garden.brain import models
    from training import train

    fresh, _, _ = models.load_base("gemma3-270m")
    for r in ranks:
        model = get_peft_model(fresh, LoraConfig(r=r, lora_alpha=r, lora_dropout=0.0, target_modules="all-linear",
                                                 task_type="CAUSAL_LM"))
        weights, kept = dict(model.named_parameters()), []
        for name, delta in deltas.items():
            u, s, vh = torch.linalg.svd(delta, full_matrices=False)
            kept.append(float((s[:r] ** 2).sum() / (s ** 2).sum()))
            stem = "base_model.model." + name[: -len(".weight")]
            with torch.no_grad():  # alpha = r: the adapter adds B @ A, exactly the cut change
                weights[stem + ".lora_A.default.weight"].copy_(vh[:r])
                weights[stem + ".lora_B.default.weight"].copy_(u[:, :r] * s[:r])
        model.save_pretrained(f"{out}-r{r}")
        train.set_stable_base(Path(f"{out}-r{r}"), base_id)
        print(f"rank {r}: {sum(kept) / len(kept):.3f} of the change's energy kept on average (least "
              f"{min(kept):.3f}) -> {out}-r{r}", file=sys.stderr)
        fresh = model.unload()


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m training.experiments.full_finetune",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--data", required=True, help="a folder with the train.jsonl of training.train --data-dir")
    p.add_argument("--out", required=True, help="adapters are written to OUT-r16, OUT-r64, ...")
    p.add_argument("--minutes", type=float, default=20, help="training time")
    p.add_argument("--lr", type=float, default=5e-5, help="peak learning rate")
    p.add_argument("--ranks", default="16,64", help="ranks of the adapters cut from the change")
    args = p.parse_args(argv)
    import torch

    from garden.brain import models
    from garden.brain.cases import load_cases
    from training import train

    torch.set_num_threads(2)
    torch.manual_seed(1)
    model, tokenizer, base_id = models.load_base("gemma3-270m")
    names = {n for n, _ in model.named_parameters() if n.endswith(".weight") and n.split(".")[-2] in LINEAR}
    before = {n: p.detach().clone() for n, p in model.named_parameters() if n in names}
    for name, param in model.named_parameters():
        param.requires_grad = name in names
    steps, losses = fine_tune(model, tokenizer, train.encode_cases(load_cases(Path(args.data) / "train.jsonl"), tokenizer),
                              args.minutes, args.lr)
    print(f"{steps} steps in {args.minutes} min", file=sys.stderr)
    deltas = {n: p.detach() - before[n] for n, p in model.named_parameters() if n in names}
    save_low_rank(deltas, [int(r) for r in args.ranks.split(",")], args.out, base_id)
    Path(f"{args.out}-log.json").write_text(json.dumps({"steps": steps, "lr": args.lr, "losses": losses}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
