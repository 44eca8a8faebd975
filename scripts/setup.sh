#!/usr/bin/env bash
# Set up .venv with everything garden needs. Safe to re-run: each step skips what is done.
# Usage: scripts/setup.sh [--dev]     (--dev adds the test tools)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=.venv

if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
  echo "garden needs Python 3.10 or newer (found: $("$PY" --version 2>&1))." >&2; exit 1
fi
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
pip() { "$VENV/bin/python" -m pip "$@"; }

# torch: keep one that is already there; else a local CPU build if the machine has one (instant);
# else the CPU wheel index. A bare `pip install torch` would pull a multi-GB CUDA build.
if ! "$VENV/bin/python" -c 'import torch' 2>/dev/null; then
  # --no-deps: the local file is found without an index; torch's own dependencies come from
  # PyPI with the project below.
  if pip install -q --no-index --no-deps torch==2.13.0 2>/dev/null; then
    pip install -q torch==2.13.0
  else
    echo "Installing the CPU build of PyTorch from download.pytorch.org ..."
    pip install -q torch --index-url https://download.pytorch.org/whl/cpu
  fi
fi

extras="[whisper]"  # Whisper for noisy rooms (pyproject.toml says why)
[ "${1:-}" = "--dev" ] && extras="[dev]"
pip install -q -e ".${extras}"

# The llama.cpp runtime for the fast path (garden[llama]). llama-cpp-python ships as source on
# PyPI: it is built once with cmake and a C++ compiler (several minutes on 2 cores), for this CPU,
# library only. AMX is left out: virtual machines (Firecracker, some clouds) report AMX in cpuid
# but fault on its first tile instruction, which kills the game with "Illegal instruction"; on
# 2 cores and a 270M model AVX-512/AVX2 lose little. The wheel is kept in garden's own cache under
# a name that includes these flags, so a fresh .venv (CI, a clean clone) installs it in seconds and
# a change of flags builds anew (pip's own wheel cache would reuse an old build whatever the flags).
LLAMA_VERSION=0.3.36
LLAMA_CMAKE="-DLLAVA_BUILD=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_SERVER=OFF -DLLAMA_CURL=OFF"
LLAMA_CFLAGS=""
case "$(uname -m)" in x86_64|amd64) LLAMA_CFLAGS="-mno-amx-tile -mno-amx-int8 -mno-amx-bf16" ;; esac
llama_works() {  # a real Q4_K matrix product, in a child process so a crash cannot take setup down
  "$VENV/bin/python" -m garden.brain.llamacpp --self-test >/dev/null 2>&1
}
key=$(printf '%s|%s|%s|%s' "$LLAMA_VERSION" "$LLAMA_CMAKE" "$LLAMA_CFLAGS" "$("$VENV/bin/python" -c 'import sys; print(sys.version_info[:2])')" | sha1sum | cut -c1-12)
CHECKED="$VENV/.llama-ok-$key"  # this build passed the check here: later runs skip its 1-2 s
need_llama=""
if ! "$VENV/bin/python" -c 'import llama_cpp' 2>/dev/null; then
  need_llama=1
elif [ ! -e "$CHECKED" ]; then
  if llama_works; then touch "$CHECKED"; else need_llama=1; fi
fi
if [ -n "$need_llama" ]; then
  WHEELS="${XDG_CACHE_HOME:-$HOME/.cache}/garden/wheels/llama-$key"
  if ! ls "$WHEELS"/llama_cpp_python-*.whl >/dev/null 2>&1; then
    echo "Building the llama.cpp runtime (llama-cpp-python, once; a few minutes) ..."
    CMAKE_ARGS="$LLAMA_CMAKE" CFLAGS="$LLAMA_CFLAGS" CXXFLAGS="$LLAMA_CFLAGS" \
      CMAKE_BUILD_PARALLEL_LEVEL="$(nproc 2>/dev/null || echo 2)" \
      pip wheel -q --no-deps --no-cache-dir -w "$WHEELS" "llama-cpp-python==$LLAMA_VERSION" ||
      echo "Could not build llama-cpp-python (needs cmake and a C++ compiler); garden will use its PyTorch fast path." >&2
  fi
  if ls "$WHEELS"/llama_cpp_python-*.whl >/dev/null 2>&1; then
    pip install -q --force-reinstall --no-deps "$WHEELS"/llama_cpp_python-*.whl
    pip install -q "llama-cpp-python==$LLAMA_VERSION"  # its dependencies (numpy, jinja2, ...)
    if llama_works; then
      touch "$CHECKED"
    else
      echo "The llama.cpp runtime does not run on this machine ('garden.brain.llamacpp --self-test' fails);" \
           "removing it, garden will use its PyTorch fast path." >&2
      pip uninstall -q -y llama-cpp-python
    fi
  fi
fi

# System libraries for voice: PortAudio (microphone), espeak-ng and PulseAudio (voice tests).
missing=()
ldconfig -p 2>/dev/null | grep -q libportaudio.so.2 || missing+=(libportaudio2)
if [ "${1:-}" = "--dev" ]; then
  command -v espeak-ng >/dev/null || missing+=(espeak-ng)
  command -v pulseaudio >/dev/null || missing+=(pulseaudio)
  command -v pactl >/dev/null || missing+=(pulseaudio-utils)
fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing system packages: ${missing[*]}"
    (apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1 ||
      { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null; }) ||
      echo "Could not install ${missing[*]}; voice will be off until they are installed." >&2
  else
    echo "Voice needs these system packages: ${missing[*]}. Install them with:" >&2
    echo "  sudo apt-get install ${missing[*]}" >&2
    echo "(The game works without them, with typed commands.)" >&2
  fi
fi
