"""The llama.cpp runtime for the fast path: the embedded GGUF as shipped, plus the garden adapter.

Why: on this 2-core CPU a decoding step in PyTorch eager mode costs 40-55 ms, mostly framework
overhead and fp32 weight traffic; llama.cpp runs the same Q4_K_M file with quantised kernels and
no Python in the layer loop. The decoding logic stays ours (garden.brain.interpret: grammar,
jump-forward, drafting); llama.cpp only runs forward passes and keeps the KV cache.

* The base is the embedded Q4_K_M GGUF itself: exactly the weights the PyTorch path dequantises.
* The LoRA adapter (PEFT safetensors) is written once as a GGUF LoRA adapter (tensor names of
  llama.cpp's gemma3 architecture, `blk.N.attn_q.weight.lora_a` ...) into the user cache dir and
  applied by llama.cpp at run time with PEFT's scale alpha / r.
* Prefix reuse: sequence 0 of the KV cache holds the current prompt and answer; each grid size's
  developer turn is kept in a sequence of its own (cells shared, so copying it into sequence 0
  costs nothing) and a new prompt only runs from the first token it does not share. Speculative
  tokens the model rejects are removed with llama_memory_seq_rm.
* Logits are requested only at the positions the decoder needs (the last pending token and
  each guessed token), not for the whole prompt.
* Where the grammar allows only a few tokens, llama.cpp stops before its output matrix (262,144
  rows, 178 MB of Q8_0 read on every pass: 9 of a one-token pass's 15 ms here) and the decoder
  scores just the allowed rows (OutputRows), with the same Q8_0 arithmetic, so the scores agree
  with llama.cpp's own to about 1e-6.

The binding is llama-cpp-python (optional extra `garden[llama]`, built from source by pip).
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import mmap
import os
import re
import struct
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from garden.paths import cache_dir

# PEFT module name -> llama.cpp gemma3 tensor name inside block N.
_TENSOR_NAMES = {
    "self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k", "self_attn.v_proj": "attn_v",
    "self_attn.o_proj": "attn_output", "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down",
}
N_BATCH = 512
MAX_PREFIXES = 6  # developer turns kept, one per grid size in use (sequences 1..6)
# Saved developer turns kept in the state folder (about 10 MB each; every adapter and grid size
# leaves one, and each retrained adapter is a new one): the most recently used.
MAX_STATE_FILES = 24
# How merge_adapter stores the matrices the adapter changes, and how many merged models (one per
# adapter, about 290 MB each) the cache keeps.
MERGED_TYPE = "Q8_0"
MAX_MERGED_FILES = 3


class LlamaUnavailable(Exception):
    """llama-cpp-python is not installed or cannot run this model; the caller falls back."""


def available() -> bool:
    try:
        import llama_cpp  # noqa: F401
    except Exception:  # an ImportError, or a shared library that fails to load
        return False
    return True


def adapter_to_gguf(adapter: Path, target_dir: Path) -> Path:
    """Write a PEFT LoRA adapter as a llama.cpp GGUF LoRA adapter, once per adapter content: applied
    at run time (`garden bench`'s fast-lora mode; the game merges it, merge_adapter)."""
    import gguf

    adapter = Path(adapter)
    config = json.loads((adapter / "adapter_config.json").read_text())
    weights_file = adapter / "adapter_model.safetensors"
    digest = hashlib.sha256(weights_file.read_bytes() + json.dumps(config, sort_keys=True).encode()).hexdigest()[:16]
    out = Path(target_dir) / f"garden-lora-{digest}.gguf"
    if out.exists():
        return out
    pairs, _ = _lora_pairs(adapter)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    writer = gguf.GGUFWriter(str(tmp), arch="gemma3")
    writer.add_type(gguf.GGUFType.ADAPTER)
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, float(config["lora_alpha"]))
    for key in sorted(pairs):
        # Same layout as llama.cpp's convert_lora_to_gguf.py: A is (r, in), B is (out, r).
        writer.add_tensor(key + ".lora_a", pairs[key]["lora_a"])
        writer.add_tensor(key + ".lora_b", pairs[key]["lora_b"])
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    tmp.rename(out)
    return out


_QUIET = None


def _silence(lc) -> None:
    """llama.cpp logs every load to stderr; the game has its own messages."""
    global _QUIET
    if _QUIET is None:
        _QUIET = lc.llama_log_callback(lambda level, text, user_data: None)
        lc.llama_log_set(_QUIET, ctypes.c_void_p(0))


def _shared(a: list[int], b: list[int]) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


# ggml_tensor field offsets (ggml.h, 64-bit): type+pad 8, buffer 8, ne 4x8, nb 4x8, op 4,
# op_params 64, flags 4, src 10x8, view_src 8, view_offs 8, then data and name.
_NE_OFFSET = 16
_DATA_OFFSET = 8 + 8 + 32 + 32 + 4 + 64 + 4 + 80 + 8 + 8
_NAME_OFFSET = _DATA_OFFSET + 8
_HIDDEN_NAME = b"result_norm\x00"  # the final norm's output in llama.cpp's graph: the lm_head's input
_GGUF_SIZES = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
_Q8_0 = 8  # ggml type id
_Q8_0_BLOCK = 34  # fp16 scale + 32 int8


@dataclass
class GGUFLayout:
    """Where things are in a GGUF file: its metadata block (kept as raw bytes) and every tensor's
    shape, ggml type and byte offset in the file."""
    version: int
    n_kv: int
    metadata: bytes
    alignment: int
    tensors: dict[str, tuple[tuple[int, ...], int, int]]


def gguf_layout(path: Path) -> GGUFLayout:
    """Read a GGUF file's layout. Why not gguf.GGUFReader: it decodes all metadata, the
    262,144-token vocabulary included (10 s here); this only steps over it (35 ms)."""
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
        if m[:4] != b"GGUF":
            raise ValueError(f"{path} is not a GGUF file")
        version, n_tensors, n_kv = struct.unpack_from("<IQQ", m, 4)
        pos, align = 24, 32
        length = struct.Struct("<Q").unpack_from

        def string(at: int) -> tuple[bytes, int]:
            n = length(m, at)[0]
            return m[at + 8:at + 8 + n], at + 8 + n

        for _ in range(n_kv):
            key, pos = string(pos)
            kind, = struct.unpack_from("<I", m, pos)
            pos += 4
            if kind == 9:  # array: item type, count, items
                item, n = struct.unpack_from("<IQ", m, pos)
                pos += 12
                if item == 8:
                    for _ in range(n):
                        pos += 8 + length(m, pos)[0]
                else:
                    pos += _GGUF_SIZES[item] * n
            elif kind == 8:
                _, pos = string(pos)
            else:
                if key == b"general.alignment":
                    align, = struct.unpack_from("<I", m, pos)
                pos += _GGUF_SIZES[kind]
        metadata = m[24:pos]
        tensors = {}
        for _ in range(n_tensors):
            name, pos = string(pos)
            dims, = struct.unpack_from("<I", m, pos)
            shape = struct.unpack_from(f"<{dims}Q", m, pos + 4)
            kind, offset = struct.unpack_from("<IQ", m, pos + 4 + 8 * dims)
            pos += 4 + 8 * dims + 12
            tensors[name.decode()] = (shape, kind, offset)
    start = (pos + align - 1) // align * align
    return GGUFLayout(version, n_kv, metadata, align,
                      {name: (shape, kind, start + offset) for name, (shape, kind, offset) in tensors.items()})


def _lora_pairs(adapter: Path) -> tuple[dict[str, dict[str, np.ndarray]], dict]:
    """llama.cpp tensor name -> {"lora_a": (r, in), "lora_b": (out, r)} of a PEFT LoRA adapter, and
    its config. Raises LlamaUnavailable for a tensor the runtime cannot map."""
    from safetensors.numpy import load_file

    config = json.loads((adapter / "adapter_config.json").read_text())
    pairs: dict[str, dict[str, np.ndarray]] = {}
    for name, value in load_file(str(adapter / "adapter_model.safetensors")).items():
        # base_model.model.model.layers.3.self_attn.q_proj.lora_A.weight
        parts = name.split(".")
        if "layers" not in parts or parts[-2] not in ("lora_A", "lora_B"):
            raise LlamaUnavailable(f"adapter tensor {name} is not a LoRA A/B matrix of a decoder layer")
        block = int(parts[parts.index("layers") + 1])
        module = ".".join(parts[parts.index("layers") + 2:-2])
        if module not in _TENSOR_NAMES:
            raise LlamaUnavailable(f"adapter targets {module}, which the llama.cpp runtime does not map")
        key = f"blk.{block}.{_TENSOR_NAMES[module]}.weight"
        pairs.setdefault(key, {})["lora_a" if parts[-2] == "lora_A" else "lora_b"] = value.astype(np.float32)
    return pairs, config


def merge_adapter(adapter: Path, base: Path, target_dir: Path, progress: bool = True) -> Path:
    """The base GGUF with a PEFT LoRA adapter merged into its weights, written once per adapter
    content (and base) into target_dir; returns its path.

    Why: applied at run time, the adapter adds four small operations to each of 126 matrix
    products, a third of a one-token pass here. Merged, each changed matrix is stored as
    MERGED_TYPE (the base's own Q5_0/Q4_K/Q6_K blocks are too coarse to carry the adapter's small
    changes: rounding would undo them); the rest of the file, the Q8_0 embeddings and the
    metadata, is copied byte for byte."""
    from gguf import GGML_QUANT_SIZES, GGMLQuantizationType, quants

    adapter = Path(adapter)
    weights = (adapter / "adapter_model.safetensors").read_bytes()
    config_text = (adapter / "adapter_config.json").read_text()
    stat = Path(base).stat()
    digest = hashlib.sha256(weights + config_text.encode() + f"|{Path(base).name}|{stat.st_size}|{MERGED_TYPE}|1"
                            .encode()).hexdigest()[:16]
    out = Path(target_dir) / f"garden-merged-{digest}.gguf"
    if out.exists():
        _touch(out)
        return out
    pairs, config = _lora_pairs(adapter)
    if config.get("use_rslora") or config.get("use_dora"):
        raise LlamaUnavailable("the adapter uses rsLoRA or DoRA, which the llama.cpp runtime does not merge")
    scale = float(config["lora_alpha"]) / float(config["r"])
    layout = gguf_layout(base)
    missing = set(pairs) - set(layout.tensors)
    if missing:
        raise LlamaUnavailable(f"the adapter changes {sorted(missing)[0]}, which the base does not have")
    if progress:
        print("Preparing the garden adapter for llama.cpp (once per adapter, a few seconds)...", file=sys.stderr,
              flush=True)
    merged_type = GGMLQuantizationType[MERGED_TYPE]
    align = layout.alignment
    source = np.memmap(base, dtype=np.uint8, mode="r")
    infos, blobs, offset = [], [], 0
    for name, (shape, kind, at) in layout.tensors.items():  # file order
        block, size = GGML_QUANT_SIZES[GGMLQuantizationType(kind)]
        n_bytes = int(np.prod(shape)) // block * size
        raw = source[at:at + n_bytes]
        if name in pairs:
            pair = pairs[name]
            if kind in (0, 1):  # F32, F16
                weight = raw.view(np.float32 if kind == 0 else np.float16).astype(np.float32)
            else:
                weight = quants.dequantize(raw.reshape(shape[1], -1), GGMLQuantizationType(kind))
            weight = weight.reshape(shape[1], shape[0])
            weight = weight + np.float32(scale) * (pair["lora_b"] @ pair["lora_a"])
            raw = quants.quantize(weight.astype(np.float32), merged_type).reshape(-1)
            kind = int(merged_type)
        infos.append((name, shape, kind, offset))
        blobs.append(raw)
        offset += (len(raw) + align - 1) // align * align
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(f".tmp{os.getpid()}")
    try:
        with open(tmp, "wb") as f:
            f.write(b"GGUF" + struct.pack("<IQQ", layout.version, len(infos), layout.n_kv) + layout.metadata)
            for name, shape, kind, at in infos:
                encoded = name.encode()
                f.write(struct.pack("<Q", len(encoded)) + encoded + struct.pack(f"<I{len(shape)}Q", len(shape), *shape)
                        + struct.pack("<IQ", kind, at))
            f.write(b"\0" * (-f.tell() % align))
            for blob in blobs:
                f.write(memoryview(np.ascontiguousarray(blob)))
                f.write(b"\0" * (-len(blob) % align))
        tmp.replace(out)
    except BaseException:
        tmp.unlink(missing_ok=True)  # a full disk or Ctrl+C leaves no half-written model
        raise
    _prune(target_dir, "garden-merged-*.gguf", MAX_MERGED_FILES)
    return out


def _touch(path: Path) -> None:
    try:
        os.utime(path)  # used: the last to be pruned
    except OSError:
        pass


def _prune(folder: Path, pattern: str, keep: int) -> None:
    """Delete all but the `keep` most recently used files matching pattern (best effort)."""
    try:
        saved = sorted(Path(folder).glob(pattern), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in saved[keep:]:
            old.unlink(missing_ok=True)
    except OSError:
        pass  # another process pruning at the same time, or a read-only folder


class OutputRows:
    """Scores for chosen tokens only: rows of the model's Q8_0 output matrix (Gemma ties it to the
    token embeddings) times the final hidden state, computed as llama.cpp's CPU backend does:
    the hidden state quantised to Q8_0 in blocks of 32, integer dot products per block, scaled
    by both blocks' fp16 scales. The matrix is memory-mapped; only rows asked for are read."""

    def __init__(self, path: Path, offset: int, n_vocab: int, n_embd: int):
        self.blocks = n_embd // 32
        self.rows = np.memmap(path, dtype=np.uint8, mode="r", offset=offset,
                              shape=(n_vocab, self.blocks * _Q8_0_BLOCK))

    @classmethod
    def open(cls, model_path: Path) -> OutputRows | None:
        """None when the GGUF's output matrix is not Q8_0 (another quantisation of the base): the
        decoder then asks llama.cpp for full logits, as before."""
        try:
            tensors = gguf_layout(model_path).tensors
        except (OSError, ValueError, struct.error):
            return None
        shape, kind, offset = tensors.get("output.weight") or tensors.get("token_embd.weight") or ((), -1, 0)
        if kind != _Q8_0 or len(shape) != 2 or shape[0] % 32:
            return None
        return cls(model_path, offset, n_vocab=shape[1], n_embd=shape[0])

    def logits(self, hidden: np.ndarray, ids: list[int]) -> np.ndarray:
        x = hidden.astype(np.float32).reshape(self.blocks, 32)
        amax = np.abs(x).max(axis=1)
        inverse = np.divide(np.float32(127), amax, out=np.zeros_like(amax), where=amax != 0)
        qx = np.round(x * inverse[:, None]).astype(np.int32)  # ties to even, as _mm256_round_ps
        dx = (amax / np.float32(127)).astype(np.float16).astype(np.float32)
        raw = self.rows[ids].reshape(len(ids), self.blocks, _Q8_0_BLOCK)
        dw = raw[:, :, :2].copy().view(np.float16)[..., 0].astype(np.float32)
        qw = raw[:, :, 2:].view(np.int8).astype(np.int32)
        sums = np.einsum("kbj,bj->kb", qw, qx).astype(np.float32)
        return (sums * dw * dx[None, :]).sum(axis=1)


class _HiddenTap:
    """llama.cpp's graph-evaluation callback: copies the final hidden state of the outputs out of
    the graph and, when `stop` is set, ends the pass there, before the output matrix. It is
    called for every node of every pass (about 730 per pass: 0.9 ms), so it does little."""

    def __init__(self, lc):
        self.stop = False
        self.hidden: np.ndarray | None = None
        self.callback = lc.ggml_backend_sched_eval_callback(self)

    def __call__(self, tensor, ask, user_data) -> bool:
        if ask:
            return self.stop and ctypes.string_at(tensor + _NAME_OFFSET, len(_HIDDEN_NAME)) == _HIDDEN_NAME
        width, count = ctypes.cast(tensor + _NE_OFFSET, ctypes.POINTER(ctypes.c_int64))[0:2]
        data = ctypes.cast(tensor + _DATA_OFFSET, ctypes.POINTER(ctypes.c_void_p))[0]
        if count:
            self.hidden = np.ctypeslib.as_array(ctypes.cast(data, ctypes.POINTER(ctypes.c_float)),
                                                shape=(count, width)).copy()
        return False  # stop: the rest of the graph is the output matrix


class LlamaRuntime:
    """One llama.cpp context: forward passes with logits where asked, and a KV cache that
    remembers its tokens."""

    def __init__(self, model_path: Path, lora_path: Path | None = None, n_ctx: int = 4096, threads: int = 2,
                 state_dir: Path | None = None):
        """state_dir: where kept prefixes (developer turns) are saved, so the next start loads
        their KV cache (about 8 MB each) instead of computing it (1.7 s on 2 cores)."""
        try:
            import llama_cpp as lc
        except Exception as exc:
            raise LlamaUnavailable(f"llama-cpp-python is not installed ({exc}); pip install 'garden[llama]'") from exc
        self.lc = lc
        _silence(lc)
        lc.llama_backend_init()
        self.model_path = Path(model_path)
        self.model = lc.llama_model_load_from_file(str(model_path).encode(), lc.llama_model_default_params())
        if not self.model:
            raise LlamaUnavailable(f"llama.cpp could not load {model_path}")
        params = lc.llama_context_default_params()
        params.n_ctx, params.n_batch, params.n_ubatch = n_ctx, N_BATCH, N_BATCH
        params.n_seq_max = 1 + MAX_PREFIXES
        params.kv_unified = True  # one cell pool: a kept prefix is shared by sequence 0, not copied
        params.n_threads = params.n_threads_batch = threads
        params.swa_full = True  # Gemma 3's sliding-window layers must allow removing recent tokens
        params.no_perf = True
        self.tap = _HiddenTap(lc)
        params.cb_eval = self.tap.callback
        self.ctx = lc.llama_init_from_model(self.model, params)
        if not self.ctx:
            raise LlamaUnavailable("llama.cpp could not create a context")
        self.adapter = None
        if lora_path is not None:
            self.adapter = lc.llama_adapter_lora_init(self.model, str(lora_path).encode())
            if not self.adapter:
                raise LlamaUnavailable(f"llama.cpp could not load the adapter {lora_path}")
            adapters = (lc.llama_adapter_lora_p_ctypes * 1)(self.adapter)
            scales = (ctypes.c_float * 1)(1.0)
            lc.llama_set_adapters_lora(self.ctx, adapters, 1, scales)
        self.n_ctx = n_ctx
        self.n_vocab = lc.llama_vocab_n_tokens(lc.llama_model_get_vocab(self.model))
        self.memory = lc.llama_get_memory(self.ctx)
        self.output = OutputRows.open(self.model_path)  # None: only full logits
        self.batch = lc.llama_batch_init(N_BATCH, 0, 1)
        self.state_dir = Path(state_dir) if state_dir else None
        # Saved states are valid for this model, adapter and llama.cpp version only. "from-0": states
        # saved before keep_prefix computed every prefix from position 0 may not be (see there).
        self._state_tag = f"{Path(model_path).name}|{Path(lora_path).name if lora_path else '-'}|{lc.__version__}|from-0"
        self.tokens: list[int] = []  # what sequence 0 holds, in order
        self.prefixes: dict[tuple[int, ...], int] = {}  # kept prefix -> its sequence id (least recently used first)

    def reuse(self, prompt: list[int], keep: int = 0) -> list[int]:
        """Make sequence 0 hold the longest cached prefix of this prompt and return the tokens
        still to run (at least one, so the last token's logits are computed). keep > 0: prompt[:keep]
        (a developer turn) is kept for later prompts too."""
        if keep:
            self.keep_prefix(prompt[:keep])
        return self._reuse(prompt)

    def keep_prefix(self, prefix: list[int]) -> None:
        """Make sequence 0 start with this prefix, kept in a sequence of its own: loaded from the
        state folder, or computed (and saved) the first time."""
        key = tuple(prefix)
        if key in self.prefixes:
            self.prefixes[key] = self.prefixes.pop(key)  # most recently used last: _make_room forgets the first
        else:
            self._make_room(len(key))
            if not self._load_state(key):
                # Always from position 0, never on top of what sequence 0 shares with it (the first
                # tokens of another grid's developer turn): a 3x3 turn recomputed that way after
                # other sizes had pushed it out answered worse for the rest of the session (400
                # test-style commands with no saved states: 317 right; from 0: 354; with the saved
                # states: 357). Recomputing the ~10 shared tokens costs nothing to speak of.
                self.truncate(0)
                self.run(list(key), logits_from=len(key))
                self._keep(key)
                self._save_state(key)
        if _shared(self.tokens, prefix) < len(prefix):
            self.lc.llama_memory_seq_rm(self.memory, 0, -1, -1)
            self.lc.llama_memory_seq_cp(self.memory, self.prefixes[key], 0, -1, -1)
            self.tokens = list(key)

    def _reuse(self, prompt: list[int]) -> list[int]:
        shared = min(_shared(self.tokens, prompt), len(prompt) - 1)
        self.truncate(shared)
        return list(prompt[shared:])

    def _make_room(self, size: int) -> None:
        """Forget the least recently used grid sizes until there is a free sequence and the kept prefixes,
        with this new one of `size` tokens, fill at most half the cell pool: the other half is
        for the conversation itself (a 6x6 whole-garden answer with its history needs ~2,000)."""
        while self.prefixes and (len(self.prefixes) >= MAX_PREFIXES
                                 or sum(map(len, self.prefixes)) + size > self.n_ctx // 2):
            unused = next(iter(self.prefixes))
            self.lc.llama_memory_seq_rm(self.memory, self.prefixes.pop(unused), -1, -1)

    def _free_sequence(self) -> int:
        return min(set(range(1, MAX_PREFIXES + 1)) - set(self.prefixes.values()))

    def _keep(self, key: tuple[int, ...]) -> None:
        free = self._free_sequence()
        self.lc.llama_memory_seq_cp(self.memory, 0, free, 0, len(key))
        self.prefixes[key] = free

    def _state_file(self, key: tuple[int, ...]) -> Path | None:
        if self.state_dir is None:
            return None
        digest = hashlib.sha256((self._state_tag + "|" + ",".join(map(str, key))).encode()).hexdigest()[:20]
        return self.state_dir / f"prefix-{digest}.state"

    def _save_state(self, key: tuple[int, ...]) -> None:
        """Best effort (a full disk only costs the next start 1-2 s); written atomically."""
        path = self._state_file(key)
        if path is None or path.exists():
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".tmp{os.getpid()}")
            tokens = (self.lc.llama_token * len(key))(*key)
            if self.lc.llama_state_seq_save_file(self.ctx, str(tmp).encode(), self.prefixes[key], tokens, len(key)):
                tmp.replace(path)
            else:
                tmp.unlink(missing_ok=True)
        except OSError:
            pass
        self._prune_states()

    def _prune_states(self) -> None:
        _prune(self.state_dir, "prefix-*.state", MAX_STATE_FILES)

    def _load_state(self, key: tuple[int, ...]) -> bool:
        """Load a saved prefix into a free sequence; False when there is none or it does not fit."""
        path = self._state_file(key)
        if path is None or not path.exists():
            return False
        free = self._free_sequence()
        tokens = (self.lc.llama_token * (len(key) + 1))()
        count = ctypes.c_size_t(0)
        read = self.lc.llama_state_seq_load_file(self.ctx, str(path).encode(), free, tokens, len(key) + 1,
                                                 ctypes.byref(count))
        if not read or tuple(tokens[:count.value]) != key:
            self.lc.llama_memory_seq_rm(self.memory, free, -1, -1)
            return False
        self.prefixes[key] = free
        _touch(path)
        return True

    def truncate(self, keep: int) -> None:
        """Drop sequence 0's tokens from position keep on (kept prefixes are untouched)."""
        if keep < len(self.tokens):
            if not self.lc.llama_memory_seq_rm(self.memory, 0, keep, -1):
                self.lc.llama_memory_seq_rm(self.memory, 0, -1, -1)
                self.tokens = []
                return
            del self.tokens[keep:]

    def run(self, tokens: list[int], logits_from: int, needed: list[bool] | None = None,
            vocab: bool = True) -> list[np.ndarray | None]:
        """Append tokens to the cache; logits (float32 copies) for tokens[logits_from:], or only
        where needed[i - logits_from] is true (None elsewhere). vocab=False (only with
        self.output): the final hidden states there instead, for OutputRows.logits, and the
        pass skips the output matrix."""
        if len(self.tokens) + len(tokens) > self.n_ctx:
            raise RuntimeError(f"the prompt needs {len(self.tokens) + len(tokens)} tokens; the context holds {self.n_ctx}")
        if not vocab and self.output is None:
            raise ValueError("this model's output matrix is not Q8_0: ask for full logits")
        lc, batch, out = self.lc, self.batch, []

        def wanted(i: int) -> bool:
            return i >= logits_from and (needed is None or needed[i - logits_from])

        for start in range(0, len(tokens), N_BATCH):
            chunk = tokens[start:start + N_BATCH]
            batch.n_tokens = len(chunk)
            first = len(self.tokens)
            for i, token in enumerate(chunk):
                batch.token[i] = token
                batch.pos[i] = first + i
                batch.n_seq_id[i] = 1
                batch.seq_id[i][0] = 0
                batch.logits[i] = 1 if wanted(start + i) else 0
            self.tap.stop, self.tap.hidden = not vocab, None
            try:
                status = lc.llama_decode(self.ctx, batch)
            finally:
                self.tap.stop = False
            if status != 0:
                raise RuntimeError(f"llama_decode failed with status {status}")
            self.tokens.extend(chunk)
            hidden = iter(self.tap.hidden if self.tap.hidden is not None else ())
            for i in range(len(chunk)):
                if wanted(start + i):
                    if vocab:
                        row = lc.llama_get_logits_ith(self.ctx, i)
                        out.append(np.ctypeslib.as_array(row, shape=(self.n_vocab,)).copy())
                    else:  # outputs come in batch order (one sequence)
                        out.append(next(hidden))
                elif start + i >= logits_from:
                    out.append(None)
        return out

    def tokenizer(self) -> LlamaTokenizer:
        """The model's tokenizer (valid until close()), with FunctionGemma's control-token names."""
        from garden.brain import format as fg

        return LlamaTokenizer(self.lc, self.lc.llama_model_get_vocab(self.model),
                              {i: name for name, i in fg.CONTROL_TOKENS.items()})

    def close(self) -> None:
        if getattr(self, "ctx", None):
            self.lc.llama_batch_free(self.batch)
            self.lc.llama_free(self.ctx)
            self.ctx = None
            self.lc.llama_model_free(self.model)

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


class LlamaTokenizer:
    """The interpreter's tokenizer calls, answered from the vocabulary llama.cpp loaded with the
    model, without transformers or torch (350 MB the llama.cpp path never needs otherwise). Why
    not Hugging Face's `tokenizers` library either: its copy of the 262,144-token vocabulary and
    merges held about 300 MB and took 1-1.7 s to read, half the game's memory and start-up;
    llama.cpp already has the same vocabulary. The ids agree with Hugging Face's
    (tests/test_llamacpp.py tokenizes thousands of prompts both ways). Two differences are
    mended here: the GGUF names FunctionGemma's control tokens <unused40>..<unused46> (their
    names come from format.CONTROL_TOKENS), and stores runs of spaces as spaces where Hugging
    Face writes them with "\u2581" (so a typed "\u2581" is read as a space, as Hugging Face reads it)."""

    def __init__(self, lc, vocab, names: dict[int, str]):
        self.lc, self.vocab = lc, vocab
        self.names = dict(names)
        self.name_ids = {name: i for i, name in self.names.items()}
        self._split = re.compile("(" + "|".join(map(re.escape, sorted(self.name_ids, key=len, reverse=True))) + ")")
        n = lc.llama_vocab_n_tokens(vocab)
        pieces, added, special = [], {}, []
        control = lc.LLAMA_TOKEN_ATTR_CONTROL | lc.LLAMA_TOKEN_ATTR_UNUSED | lc.LLAMA_TOKEN_ATTR_UNKNOWN
        get_text, get_attr = lc.llama_vocab_get_text, lc.llama_vocab_get_attr
        for i in range(n):
            piece, attr = get_text(vocab, i).decode("utf-8", "replace"), get_attr(vocab, i)
            if i in self.names:
                piece = self.names[i]
            elif attr & lc.LLAMA_TOKEN_ATTR_USER_DEFINED and piece.strip(" ") == "":
                piece = piece.replace(" ", "\u2581")  # an ordinary piece in Hugging Face's vocabulary
                attr = lc.LLAMA_TOKEN_ATTR_NORMAL
            pieces.append(piece)
            if attr & (control | lc.LLAMA_TOKEN_ATTR_USER_DEFINED):
                added[i] = piece
            if attr & control and not attr & lc.LLAMA_TOKEN_ATTR_USER_DEFINED:  # </s> is added, not special
                special.append(i)
        self._pieces = pieces
        self.added_tokens_decoder = added
        self.all_special_ids = special
        self._buffer = (lc.llama_token * 4096)()
        self._piece_buffer = ctypes.create_string_buffer(256)

    def __len__(self) -> int:
        return len(self._pieces)

    def encode(self, text: str, add_special_tokens: bool = False) -> list[int]:
        ids: list[int] = [self.lc.llama_vocab_bos(self.vocab)] if add_special_tokens else []
        for part in self._split.split(text):
            if part in self.name_ids:
                ids.append(self.name_ids[part])
            elif part:
                # Hugging Face's normaliser writes spaces as "\u2581", so a "\u2581" typed in the text is a space to it.
                data = part.replace("\u2581", " ").encode()
                count = self.lc.llama_tokenize(self.vocab, data, len(data), self._buffer, len(self._buffer), False, True)
                if count < 0:  # longer than the buffer: -count ids
                    self._buffer = (self.lc.llama_token * (-count))()
                    count = self.lc.llama_tokenize(self.vocab, data, len(data), self._buffer, len(self._buffer), False, True)
                ids.extend(self._buffer[:count])
        return ids

    def decode(self, ids, skip_special_tokens: bool = False) -> str:
        out = bytearray()
        skip = set(self.all_special_ids) if skip_special_tokens else ()
        for i in ids:
            i = int(i)
            if i in skip:
                continue
            if i in self.names:
                out += self.names[i].encode()
                continue
            count = self.lc.llama_token_to_piece(self.vocab, i, self._piece_buffer, 256, 0, True)
            out += self._piece_buffer.raw[:count]
        return out.decode("utf-8", "replace")

    def convert_ids_to_tokens(self, ids) -> list[str | None]:
        return [self._pieces[i] if 0 <= i < len(self._pieces) else None for i in ids]


def default_threads() -> int:
    """GARDEN_THREADS, else the CPU's cores up to 4 (more threads than free cores make llama.cpp's
    spinning workers wait on each other)."""
    try:
        return max(1, int(os.environ["GARDEN_THREADS"]))
    except (KeyError, ValueError):
        return max(1, min(4, os.cpu_count() or 2))


def load(adapter="default", progress: bool = True, threads: int | None = None, merge: bool = True):
    """The embedded base in llama.cpp with the garden adapter: a models.LoadedModel whose model is
    a LlamaRuntime. merge: the adapter merged into the weights (merge_adapter, the game's way), or
    applied by llama.cpp at run time (slower; `garden bench`'s fast-lora mode). Raises
    LlamaUnavailable when llama-cpp-python is missing (callers fall back to PyTorch) and
    models.ModelError for problems the player can fix."""
    from garden.brain import models

    if not available():
        raise LlamaUnavailable("llama-cpp-python is not installed; pip install 'garden[llama]'")
    adapter_dir, note = models._resolve_adapter(adapter)
    weights, lora = models.embedded_gguf(), None
    if adapter_dir is not None:
        trained_on = models.adapter_base_id(adapter_dir)
        if trained_on and trained_on != models.EMBEDDED_ID:
            raise LlamaUnavailable(f"the adapter was trained on {trained_on}; llama.cpp runs only the embedded base")
        if merge:
            weights = merge_adapter(adapter_dir, weights, cache_dir() / "llama", progress=progress)
        else:
            lora = adapter_to_gguf(adapter_dir, cache_dir() / "llama")
    runtime = LlamaRuntime(weights, lora, threads=threads or default_threads(), state_dir=cache_dir() / "llama")
    return models.LoadedModel(runtime, runtime.tokenizer(), models.EMBEDDED_ID, str(adapter_dir) if adapter_dir else None,
                              note)


def self_test(threads: int = 2) -> str:
    """Run a few tokens of the embedded model (real quantised matrix products) and say how it
    went. setup.sh calls this in a child process: a build that uses instructions this machine
    reports but cannot run (AMX in some virtual machines) dies here, not in the game."""
    from garden.brain import models

    runtime = LlamaRuntime(models.embedded_gguf(), None, n_ctx=64, threads=threads)
    try:
        logits = runtime.run([2, 818, 5279, 563, 506], logits_from=4)[-1]
    finally:
        runtime.close()
    if logits is None or not np.isfinite(logits).all():
        raise RuntimeError("llama.cpp returned no usable logits")
    return f"llama.cpp runs the embedded model (next token {int(np.argmax(logits))})"


if __name__ == "__main__":
    import sys

    if sys.argv[1:] != ["--self-test"]:
        sys.exit("usage: python -m garden.brain.llamacpp --self-test")
    try:
        print(self_test())
    except Exception as exc:  # LlamaUnavailable, a missing model: say so, exit non-zero
        sys.exit(f"llama.cpp self-test failed: {exc}")
