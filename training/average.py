"""Average garden adapters that continued the same adapter on different data: a "model soup".

    python -m training.average models/garden-adapter training/runs/other-adapter --out /tmp/soup
    garden eval --adapter /tmp/soup          # then compare with each parent before shipping it

Runs 7 and 8 both started from run 6's line of adapters but leant on different categories (run 8
gave plot lists, out-of-grid requests and regions more weight, and rows, columns and coordinates
less) and each was better where its data leant. The mean of their weights kept most of both
(see docs/training-runs.md). Each LoRA matrix is averaged on its own (A with A, B with B):
the exact mean of the two updates B·A would need twice the rank, and twice the size, over the
20 MB a shipped adapter may have; with parents this close (their weights differ by about a tenth)
the two are near each other, and `garden eval` is the judge either way.

Writes the averaged adapter_model.safetensors with the parents' config, the parents' loss plots, and
a report.json that lists the parents' reports and the averaged adapter's score on the validation and
test cases.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
from pathlib import Path

from garden.tools import plot_form_of

REPO = Path(__file__).resolve().parents[1]
SAME_CONFIG = ("target_modules", "peft_type", "use_rslora", "use_dora")


class AverageError(Exception):
    """Adapters that cannot be averaged, said in one sentence."""


def _read(folder: Path) -> tuple[dict, dict, dict]:
    """(adapter config, garden meta, report) of one adapter folder."""
    if not (folder / "adapter_model.safetensors").exists():
        raise AverageError(f"{folder}: no adapter_model.safetensors there.")
    config = json.loads((folder / "adapter_config.json").read_text())
    meta_path, report_path = folder / "garden-adapter.json", folder / "report.json"
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    return config, meta, read_report(folder)


def read_report(folder: Path) -> dict:
    """An adapter's report.json as written (before dedupe): {} when it has none."""
    path = folder / "report.json"
    return expand(json.loads(path.read_text())) if path.exists() else {}


def _same(value):
    """A config value in a form that compares equal when it means the same: peft writes
    target_modules from a set, so two runs list the same layers in different orders."""
    return sorted(value) if isinstance(value, list) else value


def widen(weights: dict, config: dict, widest: dict, widest_config: dict) -> dict:
    """A parent of a smaller LoRA rank in the widest parent's shape (also how `garden train` widens an
    --init-adapter, with the fresh model's weights as `widest`): its A rows and B columns (rescaled to the
    wider alpha/r) in the first slots; the extra B columns zero, so the extra A rows do not change
    what it computes, and they are taken from the widest parent so the mean keeps those rows whole
    and those directions at 1/n of their weight."""
    if all(config.get(k) == widest_config.get(k) for k in ("r", "lora_alpha")):
        return weights
    ratio = (config["lora_alpha"] / config["r"]) / (widest_config["lora_alpha"] / widest_config["r"])
    out = {}
    for key, value in weights.items():
        grown = widest[key].clone()
        if ".lora_A." in key:
            grown[: value.shape[0]] = value
        elif ".lora_B." in key:
            grown.zero_()
            grown[:, : value.shape[1]] = value * ratio
        else:
            grown = value
        out[key] = grown
    return out


def average(folders: list[Path], out: Path, half: bool = False, shares: list[float] | None = None) -> dict:
    """Write the mean of the adapters in `folders` to `out` (weighted by `shares`, which add up to 1,
    when given); returns its report (without scores)."""
    import torch
    from safetensors.torch import load_file, save_file

    if len(folders) < 2:
        raise AverageError("give at least two adapters to average.")
    parents = [_read(f) for f in folders]
    widest = max(range(len(folders)), key=lambda i: parents[i][0].get("r", 0))
    config, meta, _ = parents[widest]
    for folder, (other, other_meta, _) in zip(folders, parents):
        differs = [k for k in SAME_CONFIG if _same(other.get(k)) != _same(config.get(k))]
        if differs:
            raise AverageError(f"{folder} differs from {folders[widest]} in {', '.join(differs)}; only adapters of "
                               "the same shape can be averaged.")
        if other_meta.get("base_id") != meta.get("base_id"):
            raise AverageError(f"{folder} was trained on {other_meta.get('base_id')}, {folders[widest]} on "
                               f"{meta.get('base_id')}.")
        if plot_form_of(other_meta) != plot_form_of(meta):
            raise AverageError(f"{folder} writes a plot as {plot_form_of(other_meta)}, {folders[widest]} "
                               f"as {plot_form_of(meta)}; a mean of the two would write neither.")
    weights = [load_file(f / "adapter_model.safetensors") for f in folders]
    if any(w.keys() != weights[0].keys() for w in weights):
        raise AverageError("the adapters adapt different layers.")
    weights = [widen(w, c, weights[widest], config) for w, (c, _, _) in zip(weights, parents)]
    shares = shares or [1 / len(weights)] * len(weights)
    mean = {k: sum(share * w[k].float() for share, w in zip(shares, weights)) for k in weights[0]}
    dtype = torch.float16 if half else None
    mean = {k: v.to(dtype or weights[0][k].dtype).contiguous() for k, v in mean.items()}

    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    save_file(mean, tmp / "adapter_model.safetensors")
    shutil.copy(folders[widest] / "adapter_config.json", tmp / "adapter_config.json")
    data_hash = "+".join(m.get("data_hash", "?") for _, m, _ in parents)
    for i, folder in enumerate(folders, 1):  # each parent's loss curve, as train.py drew it
        if (folder / "loss.png").exists():
            shutil.copy(folder / "loss.png", tmp / f"loss-parent{i}.png")
        for curve in folder.glob("loss-parent*.png"):  # a parent that is a mean: its parents' curves
            shutil.copy(curve, tmp / curve.name.replace("loss-parent", f"loss-parent{i}.", 1))
    learnt = sorted(set().union(*(m.get("cases", []) for _, m, _ in parents)))  # what any parent learnt
    (tmp / "garden-adapter.json").write_text(json.dumps({"base_id": meta.get("base_id"), "data_hash": data_hash,
                                                         "cases": learnt, "plot_form": plot_form_of(meta)}))
    report = {"base_id": meta.get("base_id"), "averaged": [str(f) for f in folders], "shares": shares,
              "parents": [r for _, _, r in parents], "data_hash": data_hash, "float16": half, "val": None, "test": None}
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    return report


def score(out: Path, cases_file: Path) -> dict:
    """Exact match of the adapter in `out` on a cases file, as `garden eval` runs it."""
    from garden.brain.cases import load_cases
    from garden.brain.evaluate import evaluate, print_report, summary
    from garden.brain.loader import load_interpreter

    interpreter = load_interpreter(adapter=str(out), progress=False)
    result = evaluate(interpreter, load_cases(cases_file), progress=True)
    print_report(result, show_failures=False)
    return summary(result)


def write_card(out: Path, report: dict) -> None:
    test = report.get("test") or {}
    lines = ["# garden adapter (averaged)", "",
             "The mean of the weights of these garden adapters, each made by `training/train.py` in this",
             "repository on the embedded Gemma 3 270M; made by `training/average.py`. `report.json` has",
             "each parent's report (hyperparameters, data hash, loss curve, test results) and this one's scores;",
             "`loss-parent1.png`, `loss-parent2.png`... the parents' loss curves (for a parent that is itself a",
             "mean, `loss-parent1.1.png`, `loss-parent1.2.png`... its parents' curves). A report that appears",
             "more than once is written once; later places say `{\"same_as\": \"report.parents[0]...\"}`.", ""]
    for folder, parent in zip(report["averaged"], report["parents"]):
        seed = (parent.get("config") or {}).get("seed")
        made = (f"the mean of {len(parent['averaged'])} adapters (" if parent.get("averaged")  # a mean of means
                else f"{parent.get('steps')} steps (seed {seed}, data hash {parent.get('data_hash')}, ")
        lines.append(f"- {made}from `{Path(folder).name}`), test exact match "
                     f"{(parent.get('test') or {}).get('exact_match', 'not scored')}")
    lines += ["", f"- test split exact match of the mean: {test.get('exact_match', 'not scored')}", "",
              "Gemma models and adapters trained on them are subject to the Gemma Terms of Use:",
              "https://ai.google.dev/gemma/terms", ""]
    (out / "README.md").write_text("\n".join(lines))


def dedupe(report, seen: dict | None = None, path: str = "report"):
    """The report with each repeated earlier report written once. A run that continued a mean
    carries that mean's report under "previous", so the mean of the two would hold it twice (and
    each of those its own parents' reports): the second mean of this kind came to 7.4 MB, 98%
    of it copies. A later copy becomes {"same_as": "<where the first one is>"}; the first copy
    met in reading order stays whole, so nothing is lost."""
    seen = {} if seen is None else seen
    if isinstance(report, dict):
        if "data_hash" in report and ("previous" in report or "parents" in report):
            key = json.dumps(report, sort_keys=True)
            if key in seen:
                return {"same_as": seen[key]}
            seen[key] = path
        return {k: dedupe(v, seen, f"{path}.{k}") for k, v in report.items()}
    if isinstance(report, list):
        return [dedupe(v, seen, f"{path}[{i}]") for i, v in enumerate(report)]
    return report


def expand(report, root=None):
    """Undo dedupe: each {"same_as": path} becomes the report at that path (read_report does
    this, so a report nested into another never carries paths into a report it is not in)."""
    root = report if root is None else root
    if isinstance(report, dict):
        if set(report) == {"same_as"}:
            target = root
            for name, index in re.findall(r"\.(\w+)|\[(\d+)\]", report["same_as"][len("report"):]):
                target = target[name] if name else target[int(index)]
            return expand(target, root)
        return {k: expand(v, root) for k, v in report.items()}
    if isinstance(report, list):
        return [expand(v, root) for v in report]
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.average", description=__doc__.split("\n\n")[0])
    parser.add_argument("adapters", nargs="+", type=Path,
                        help="adapter folders (same base and layers; a smaller LoRA rank is widened to the largest)")
    parser.add_argument("--out", type=Path, required=True, help="folder for the averaged adapter")
    parser.add_argument("--val-cases", type=Path, default=REPO / "training" / "data" / "generated" / "val.jsonl",
                        help="validation cases to score it on, to choose between it and its parents")
    parser.add_argument("--test-cases", type=Path, default=REPO / "training" / "data" / "test.jsonl")
    parser.add_argument("--no-score", action="store_true", help="only write the adapter")
    parser.add_argument("--half", action="store_true",
                        help="store the weights in float16: half the size, so a rank-32 adapter fits the 20 MB a "
                             "shipped one may take (both runtimes compute in float32 from them)")
    args = parser.parse_args(argv)
    try:
        report = average(args.adapters, args.out, half=args.half)
    except (AverageError, OSError, ValueError) as exc:
        print(f"garden average: {exc}", file=sys.stderr)
        return 1
    if not args.no_score:
        for split, path in (("val", args.val_cases), ("test", args.test_cases)):
            if path.exists():
                print(f"Scoring the averaged adapter on {path}...", file=sys.stderr)
                report[split] = score(args.out, path)
    (args.out / "report.json").write_text(json.dumps(dedupe(report), indent=1))
    write_card(args.out, report)
    print(f"Averaged adapter written to {args.out}.", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
