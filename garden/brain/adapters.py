"""The installed garden adapter: what counts as one, installing a new one, and going back.

The game loads models/garden-adapter (models.DEFAULT_ADAPTER). `garden train` replaces it only
through install(), which never leaves it half-written: the new adapter is first copied beside it
(the step that can run out of disk), then two renames swap them, and the one it replaces stays as
models/garden-adapter.previous, which `garden train --rollback` swaps back.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from garden.brain.models import DEFAULT_ADAPTER, ModelError

WEIGHTS = "adapter_model.safetensors"
CONFIG = "adapter_config.json"
META = "garden-adapter.json"  # base id, data hash, plot form, and the hash of every hand-written case it learnt


class InstallError(ModelError):
    """Installing or rolling back failed; the installed adapter is as it was."""


def previous_of(installed: Path = DEFAULT_ADAPTER) -> Path:
    return installed.with_name(installed.name + ".previous")


def problem(folder: str | Path) -> str | None:
    """None if `folder` holds a LoRA adapter peft can load, else one sentence saying what it is instead."""
    folder = Path(folder)
    if not folder.is_dir():
        return f"{folder} is not a folder."
    if not (folder / CONFIG).exists():
        return f"{folder} is not an adapter: it has no {CONFIG} (`garden train` makes one)."
    try:
        config = json.loads((folder / CONFIG).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return f"{folder}/{CONFIG} cannot be read ({exc})."
    if not isinstance(config, dict) or config.get("peft_type") != "LORA":
        return f"{folder} is not a LoRA adapter ({CONFIG} has no \"peft_type\": \"LORA\")."
    if not (folder / WEIGHTS).is_file() or (folder / WEIGHTS).stat().st_size == 0:
        return f"{folder} has no weights ({WEIGHTS} is missing or empty)."
    return None


def check(folder: str | Path) -> Path:
    """`folder` as a Path, or ModelError with problem()'s sentence."""
    found = problem(folder)
    if found:
        raise ModelError(found)
    return Path(folder)


def fingerprint(folder: Path) -> str:
    """Hash of the bytes that decide the adapter's answers (its config and weights)."""
    digest = hashlib.sha256()
    for name in (CONFIG, WEIGHTS):
        digest.update((folder / name).read_bytes())
    return digest.hexdigest()[:16]


def case_hash(case: dict) -> str:
    """What identifies a hand-written case: everything the model sees and must answer, not its id."""
    keep = {"grid": case.get("grid") or {"rows": 3, "cols": 3}, "board": case.get("board") or {},
            "history": case.get("history") or [], "utterance": case["utterance"], "calls": case["calls"],
            "reply": case.get("reply")}
    return hashlib.sha256(json.dumps(keep, sort_keys=True).encode()).hexdigest()[:12]


def plot_form(folder: str | Path | None) -> str:
    """How the adapter at `folder` writes a plot (garden.tools.PLOT_FORMS), from its META. An
    adapter that does not say was trained before the pair form: "object". No adapter (zero-shot):
    the form a new adapter learns."""
    from garden import tools

    if folder is None:
        return tools.PLOT_FORM
    try:
        return tools.plot_form_of(json.loads((Path(folder) / META).read_text(encoding="utf-8")))
    except (OSError, json.JSONDecodeError, AttributeError):
        return tools.UNSAID_PLOT_FORM


def learnt_cases(folder: Path) -> set[str]:
    """Hashes of the hand-written cases the adapter at `folder` was trained on (empty if it does not say)."""
    try:
        return set(json.loads((folder / META).read_text(encoding="utf-8")).get("cases", []))
    except (OSError, json.JSONDecodeError):
        return set()


def install(new: Path, installed: Path = DEFAULT_ADAPTER) -> Path:
    """Make `new` the installed adapter; the one it replaces becomes previous_of(installed). Returns that."""
    check(new)
    incoming = installed.with_name(installed.name + ".incoming")
    shutil.rmtree(incoming, ignore_errors=True)
    try:
        shutil.copytree(new, incoming, copy_function=shutil.copy2)
    except OSError as exc:  # a full disk, most likely: nothing installed has been touched yet
        shutil.rmtree(incoming, ignore_errors=True)
        raise InstallError(f"could not copy the new adapter next to {installed} ({exc}); "
                           "the installed adapter is unchanged.") from exc
    previous = previous_of(installed)
    if installed.exists():
        shutil.rmtree(previous, ignore_errors=True)
        installed.rename(previous)
    incoming.rename(installed)
    return previous


def rollback(installed: Path = DEFAULT_ADAPTER) -> Path:
    """Swap the installed adapter with the previous one (a second rollback undoes the first)."""
    previous = previous_of(installed)
    if problem(previous):
        raise InstallError(f"there is no previous adapter to go back to ({previous} holds none).")
    swap = installed.with_name(installed.name + ".swap")
    shutil.rmtree(swap, ignore_errors=True)
    if installed.exists():
        installed.rename(swap)
    previous.rename(installed)
    if swap.exists():
        swap.rename(previous)
    return installed
