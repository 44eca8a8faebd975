"""Loading the garden's model for play: `load_interpreter` picks the runtime (llama.cpp or PyTorch) and the
precision, and wraps the model in a ModelInterpreter."""

from __future__ import annotations

import sys

from garden.brain.interpret import ModelInterpreter
from garden.brain.runners import inner_model

# For the fast path; `garden bench` shows what each precision costs and scores. fp32 gives
# exactly the plain path's answers. int8 is 2x faster here but changed 5 of 16 sampled answers
# (tests/test_fast.py found it), and bf16 is slower than fp32 on a CPU without bfloat16 units.
DEFAULT_PRECISION = "fp32"


def set_precision(model, precision: str):
    """fp32 as loaded; bf16 halves memory (fast one-token passes, but slow multi-token ones on a
    CPU without bfloat16 units); int8 quantises the decoder's linear layers dynamically and keeps
    the tied embedding / output matrix in bfloat16 (its rows are upcast where logits are taken)."""
    import torch

    if precision == "fp32":
        return model
    if precision == "bf16":
        return model if model.dtype == torch.bfloat16 else model.to(torch.bfloat16)
    if precision == "int8":
        decoder = inner_model(model)
        # From float32 weights: quantising weights already rounded to bfloat16 cost 5 more points
        # of exact match on the bench sample.
        torch.ao.quantization.quantize_dynamic(decoder.layers, {torch.nn.Linear}, dtype=torch.qint8, inplace=True)
        decoder.embed_tokens.to(torch.bfloat16)  # also the output matrix: they are tied
        decoder.embed_tokens.register_forward_hook(lambda module, args, output: output.float())
        return model
    raise ValueError(f"unknown precision {precision!r} (fp32, bf16 or int8)")


RUNTIMES = ("auto", "torch", "llama")


def load_interpreter(base: str = "gemma3-270m", adapter="default", mode: str = "fast", precision: str | None = None,
                     progress: bool = True, runtime: str = "auto", merge: bool = True):
    """Load a model and wrap it; raises models.ModelError with a clear message on user errors.
    precision None: DEFAULT_PRECISION on the fast path, fp32 on the plain one.
    runtime "llama" runs the fast path in llama.cpp (the embedded GGUF as shipped plus the adapter);
    "torch" in PyTorch; merge=False applies the adapter in llama.cpp at run time instead of
    merging it into the weights (llamacpp.load). "auto" picks llama.cpp for the fast path on the embedded base when
    llama-cpp-python is installed and no precision is asked for, else PyTorch."""
    from garden.brain import llamacpp, models

    if runtime not in RUNTIMES:
        raise ValueError(f"unknown runtime {runtime!r} ({', '.join(RUNTIMES)})")
    embedded = models.is_embedded(base)
    chosen = runtime
    if runtime == "auto":
        chosen = "llama" if mode == "fast" and embedded and precision is None and llamacpp.available() else "torch"
    if chosen == "llama":
        if mode != "fast" or not embedded or precision is not None:
            raise models.ModelError("the llama.cpp runtime runs the fast path on the embedded base, with its own "
                                    "weights (use --runtime torch for other bases, --mode plain or --precision)")
        try:
            return ModelInterpreter(llamacpp.load(adapter=adapter, progress=progress, merge=merge), mode="fast")
        except llamacpp.LlamaUnavailable as exc:
            if runtime == "llama":
                raise models.ModelError(f"llama.cpp runtime: {exc}") from exc
            print(f"note: llama.cpp runtime unavailable ({exc}); using PyTorch.", file=sys.stderr)
    import torch

    precision = precision or (DEFAULT_PRECISION if mode == "fast" else "fp32")
    torch.set_num_threads(max(1, min(4, torch.get_num_threads())))
    # bf16 comes straight from the merged cache; int8 quantises the fp32 weights after loading.
    loaded = models.load(base=base, adapter=adapter, progress=progress, dtype_name="bf16" if precision == "bf16" else "fp32")
    loaded.model = set_precision(loaded.model, precision)
    interpreter = ModelInterpreter(loaded, mode=mode)
    interpreter.description += f" {precision}" if precision != "fp32" else ""
    return interpreter
