"""`garden models fetch vosk`: download Vosk's small English model into the data folder, checked.

The archive's size and SHA-256 are pinned; a download that does not match is deleted, never
unpacked. Offline, the player gets one sentence and voice keeps working with PocketSphinx.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import sys
import tempfile
import threading
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from garden.paths import data_dir
from garden.speech.recognisers import VOSK_MODEL_NAME, find_vosk_model, is_vosk_model


@dataclass(frozen=True)
class Archive:
    name: str  # the folder inside the zip, and the folder we unpack to
    url: str
    size: int
    sha256: str


VOSK_SMALL_EN = Archive(VOSK_MODEL_NAME, f"https://alphacephei.com/vosk/models/{VOSK_MODEL_NAME}.zip",
                        41_205_931, "30f26242c4eb449f948e42cb302dd7a686cb29a3423a8367f99ff41780942498")
LICENCE = "Apache-2.0, from alphacephei.com"


class FetchError(Exception):
    """The download failed for a reason the player can act on: one clear sentence."""


def models_dir() -> Path:
    return data_dir() / "vosk"


def download(archive: Archive = VOSK_SMALL_EN, dest: Path | None = None,
             progress: Callable[[int, int], None] | None = None, timeout: float = 30) -> Path:
    """Download, check and unpack `archive` into dest/archive.name; returns that folder."""
    dest = Path(dest) if dest else models_dir()
    target = dest / archive.name
    if is_vosk_model(target):
        return target
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FetchError(f"Cannot create {dest} ({exc.strerror or exc}).") from exc
    part = dest / f"{archive.name}.zip.part"
    try:
        _download_to(archive, part, progress, timeout)
        _unpack(archive, part, target)
    finally:
        part.unlink(missing_ok=True)
    return target


def _download_to(archive: Archive, part: Path, progress, timeout: float) -> None:
    digest, got = hashlib.sha256(), 0
    try:
        with urllib.request.urlopen(archive.url, timeout=timeout) as response, open(part, "wb") as out:
            total = int(response.headers.get("Content-Length") or archive.size)
            while True:
                chunk = response.read(1 << 16)
                if not chunk:
                    break
                out.write(chunk)
                digest.update(chunk)
                got += len(chunk)
                if got > archive.size * 2:
                    raise FetchError(f"The download from {archive.url} is far larger than expected; stopped.")
                if progress:
                    progress(got, total)
    except (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError) as exc:
        reason = getattr(exc, "reason", exc)
        raise FetchError(f"Could not download {archive.url} (no network? {reason}). Voice still works with the "
                         f"built-in PocketSphinx; or unzip that file into {part.parent} yourself.") from exc
    except OSError as exc:
        raise FetchError(f"Could not save the download in {part.parent} ({exc.strerror or exc}).") from exc
    if got != archive.size or digest.hexdigest() != archive.sha256:
        raise FetchError(f"The download from {archive.url} is damaged ({got} bytes, expected {archive.size}, "
                         "or its checksum differs); it was deleted. Try again.")


def _unpack(archive: Archive, zip_path: Path, target: Path) -> None:
    staging = Path(tempfile.mkdtemp(prefix=".unpack-", dir=target.parent))
    try:
        with zipfile.ZipFile(zip_path) as z:
            for member in z.namelist():
                parts = Path(member).parts
                if Path(member).is_absolute() or ".." in parts or not parts or parts[0] != archive.name:
                    raise FetchError(f"The archive holds an unexpected path {member!r}; not unpacked.")
            z.extractall(staging)
        unpacked = staging / archive.name
        if not is_vosk_model(unpacked):
            raise FetchError(f"The archive from {archive.url} holds no Vosk model; not installed.")
        if target.exists():
            shutil.rmtree(target)  # an incomplete earlier copy (is_vosk_model said no)
        os.replace(unpacked, target)
    except zipfile.BadZipFile as exc:
        raise FetchError(f"The download from {archive.url} is not a zip file.") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def fetch_vosk(archive: Archive = VOSK_SMALL_EN) -> int:
    """The `garden models fetch vosk` command."""
    target = models_dir() / archive.name
    if is_vosk_model(target):
        print(f"The Vosk model is already installed at {target}.")
        return 0
    print(f"Downloading {archive.name} ({archive.size / 1e6:.0f} MB, {LICENCE}) into {target.parent} ...")
    from tqdm import tqdm

    try:
        with tqdm(total=archive.size, unit="B", unit_scale=True, file=sys.stderr) as bar:
            path = download(archive, progress=lambda got, total: bar.update(got - bar.n))
    except FetchError as exc:
        print(f"garden: {exc}", file=sys.stderr)
        return 1
    print(f"Installed and checked: {path}. `garden play` now uses Vosk.")
    return 0


# --- the first voice use --------------------------------------------------------------------

ATTEMPT_MARKER = ".fetch-attempted"


def offer_download(voice, vosk_model: str | None = None,
                   on_done: Callable[[Path | None, str | None], None] | None = None) -> threading.Thread | None:
    """On the first voice use without any Vosk model, say so and download it in the background
    (once per data folder; `garden models fetch vosk` retries). Returns the thread, or None."""
    if vosk_model or find_vosk_model() is not None:
        return None
    marker = models_dir() / ATTEMPT_MARKER
    if marker.exists():
        return None
    try:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
    except OSError:
        return None
    voice.message = f"downloading the Vosk speech model ({VOSK_SMALL_EN.size / 1e6:.0f} MB, once); PocketSphinx listens until then"

    def run() -> None:
        try:
            path, error = download(), None
            voice.message = "Vosk model installed: restart the game to use it"
        except FetchError as exc:
            path, error = None, str(exc)
            voice.message = "could not download the Vosk model (offline?); PocketSphinx is listening. " \
                            "`garden models fetch vosk` tries again"
        if on_done:
            on_done(path, error)

    thread = threading.Thread(target=run, name="garden-vosk-fetch", daemon=True)
    thread.start()
    return thread
