"""Saving and loading the garden: JSON with a version field, written atomically.

A save is written to a temporary file in the same folder, flushed to disk, then renamed over the
old one; rename is atomic on POSIX, so a crash or a full disk leaves the last good save intact.
A save that cannot be read is renamed aside (never deleted) and the game starts fresh.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

from garden.engine.garden import Garden
from garden.paths import data_dir

SAVE_VERSION = 1
SAVE_NAME = "garden.json"


def default_save_path() -> Path:
    return data_dir() / SAVE_NAME


def save(garden: Garden, path: Path | None = None) -> Path:
    path = Path(path or default_save_path())
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = json.dumps({"version": SAVE_VERSION, "garden": garden.to_dict()}, indent=1)
    fd, tmp = tempfile.mkstemp(prefix=".garden-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def keep_aside(label: str, path: Path | None = None) -> Path | None:
    """Rename the save to garden.<label>.json (never overwriting); None when there is no save."""
    path = Path(path or default_save_path())
    if not path.exists():
        return None
    target, n = path.with_name(f"{path.stem}.{label}{path.suffix}"), 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.stem}.{label}-{n}{path.suffix}")
    path.rename(target)
    return target


class LoadResult:
    """What load() found: a garden (fresh when there was no usable save) and a note for the player."""

    def __init__(self, garden: Garden, note: str | None = None, kept_aside: Path | None = None):
        self.garden, self.note, self.kept_aside = garden, note, kept_aside


def load(path: Path | None = None, rows: int | None = None, cols: int | None = None) -> LoadResult:
    path = Path(path or default_save_path())
    fresh = lambda: Garden(rows=rows or 3, cols=cols or 3)  # noqa: E731
    if not path.exists():
        return LoadResult(fresh())
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("version") != SAVE_VERSION:
            raise ValueError(f"unsupported save version {data.get('version') if isinstance(data, dict) else None!r}")
        return LoadResult(Garden.from_dict(data["garden"]), f"Loaded your garden from {path}.")
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        aside = path.with_name(f"{path.stem}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}{path.suffix}")
        try:
            path.rename(aside)
        except OSError:
            aside = None
        where = f" It was kept as {aside}." if aside else ""
        return LoadResult(fresh(), f"Your save {path} could not be read ({exc}); starting a fresh garden.{where}", aside)
