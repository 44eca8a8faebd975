"""Speculative decoding's undo for a transformers KV cache: `snapshot` what each layer holds before a pass
that feeds guessed tokens, and `rollback` over the guesses the model rejected."""

from __future__ import annotations


def snapshot(cache) -> list[tuple] | None:
    """What each KV-cache layer holds before a speculative pass (tensors are replaced, not
    written in place, by the cache's update, so keeping references is enough). None when the
    cache is not the layered dynamic kind this knows how to roll back."""
    layers = getattr(cache, "layers", None)
    if not layers or not all(hasattr(layer, "keys") and hasattr(layer, "values") for layer in layers):
        return None
    return [(layer, layer.keys, layer.values, layer.cumulative_length if getattr(layer, "is_sliding", False) else None)
            for layer in layers]


def rollback(saved: list[tuple], fed: int, keep: int) -> None:
    """Drop the last fed - keep tokens of a pass from every layer of the KV cache. This sets the
    layers' fields itself (keys, values, cumulative_length), so pyproject.toml bounds transformers
    to the versions it was tested with; tests/test_draft.py checks it on a tiny model."""
    import torch

    for layer, keys, values, cumulative in saved:
        new_k = layer.keys[:, :, layer.keys.shape[-2] - fed:][:, :, :keep]
        new_v = layer.values[:, :, layer.values.shape[-2] - fed:][:, :, :keep]
        layer.keys, layer.values = torch.cat([keys, new_k], dim=-2), torch.cat([values, new_v], dim=-2)
        if cumulative is not None:  # a sliding-window layer keeps its last window - 1 tokens
            window = layer.sliding_window
            layer.keys, layer.values = layer.keys[:, :, -window + 1:], layer.values[:, :, -window + 1:]
            layer.cumulative_length = cumulative + keep
