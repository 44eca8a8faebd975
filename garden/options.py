"""Command-line options that several garden commands share, and the model loader they describe.

Used by garden.cli and by the voice commands beside it (garden.say, garden.voice_bench).
"""

from __future__ import annotations

import argparse

from garden import tools


def model_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("model")
    g.add_argument("--base", default="gemma3-270m",
                   help="gemma3-270m (embedded, default), functiongemma (Hugging Face, needs network), or a folder")
    g.add_argument("--adapter", default="default", help="LoRA adapter folder (default: models/garden-adapter)")
    g.add_argument("--no-adapter", action="store_true", help="run the base zero-shot")
    g.add_argument("--mode", default="fast", choices=["fast", "plain"], help="decoding path (default fast)")
    g.add_argument("--precision", default=None, choices=["fp32", "bf16", "int8"],
                   help="PyTorch weights for inference (default fp32; int8 is faster but changes some answers)")
    g.add_argument("--runtime", default="auto", choices=["auto", "llama", "torch"],
                   help="where the fast path runs: llama.cpp (the embedded GGUF as shipped, when llama-cpp-python "
                        "is installed) or PyTorch; auto picks llama.cpp when it can (default)")


def grid_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--rows", type=int, default=None, help="garden rows (2-6, default 3 or your save's)")
    p.add_argument("--cols", type=int, default=None, help="garden columns (2-6, default 3 or your save's)")


def grid(args) -> tuple[int, int]:
    return args.rows or tools.DEFAULT_ROWS, args.cols or tools.DEFAULT_COLS


def adapter_arg(args) -> str | None:
    return None if args.no_adapter else args.adapter


def interpreter_factory(args):
    """A zero-argument loader, so the UI can load the model in the background."""
    def load():
        import threading

        from garden import questions
        from garden.brain.loader import load_interpreter

        interpreter = load_interpreter(base=args.base, adapter=adapter_arg(args), mode=args.mode,
                                       precision=args.precision, runtime=args.runtime)
        # The remark reader's word list takes ~0.4 s to read: after the model (read alongside, it
        # slowed loading from 1.7 to 2.6 s), before the first command needs it.
        threading.Thread(target=questions.warm, name="garden-words", daemon=True).start()
        return interpreter
    return load
