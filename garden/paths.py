"""Where garden keeps files on this machine. Every layer may use this module; it imports nothing of garden's.

    data_dir()   the player's things: the save, the Vosk model, the speech model and microphone estimate
    cache_dir()  what can be made again: the converted base model, merged weights, llama.cpp files
"""

from __future__ import annotations

import os
from pathlib import Path


def data_dir() -> Path:
    """The user's data folder; GARDEN_DATA_DIR overrides it (tests, portable installs)."""
    override = os.environ.get("GARDEN_DATA_DIR")
    if override:
        return Path(override)
    from platformdirs import user_data_dir

    return Path(user_data_dir("garden", appauthor=False))


def cache_dir() -> Path:
    """The user's cache folder; GARDEN_CACHE_DIR overrides it."""
    override = os.environ.get("GARDEN_CACHE_DIR")
    if override:
        return Path(override)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("garden", appauthor=False))
