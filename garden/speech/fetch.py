"""`garden models fetch vosk`: download Vosk's small English model into the data folder, checked.

The archive's size and SHA-256 are pinned; a download that does not match is deleted, never
unpacked. A dropped or stalled connection keeps the partial file, and the next attempt asks the
server for the rest (an HTTP Range request); the checksum always covers the whole file. Offline,
the player gets one sentence and voice keeps working with PocketSphinx.

GARDEN_VOSK_URL names another place to fetch the same archive from (a mirror; tests point it at a
local server). The size and checksum stay pinned, so it can never install a different file.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import shutil
import socket
import sys
import tempfile
import threading
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from dataclasses import dataclass, replace
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
URL_VARIABLE = "GARDEN_VOSK_URL"
# How long `--if-online` waits for the server (name lookup and connection) before it calls the
# machine offline: an offline player should not wait for the game.
CHECK_SECONDS = 5.0
# A connection that drops, stalls or breaks mid-download: the partial file is kept for next time.
NETWORK_ERRORS = (urllib.error.URLError, http.client.HTTPException, ConnectionError, TimeoutError, socket.timeout)


class FetchError(Exception):
    """The download failed for a reason the player can act on: one clear sentence."""


def vosk_archive() -> Archive:
    """The pinned English model, fetched from GARDEN_VOSK_URL when that is set."""
    url = os.environ.get(URL_VARIABLE)
    return replace(VOSK_SMALL_EN, url=url) if url else VOSK_SMALL_EN


def models_dir() -> Path:
    return data_dir() / "vosk"


def part_path(archive: Archive, dest: Path | None = None) -> Path:
    """Where the download grows until it is complete and checked."""
    return (Path(dest) if dest else models_dir()) / f"{archive.name}.zip.part"


def download(archive: Archive | None = None, dest: Path | None = None,
             progress: Callable[[int, int], None] | None = None, timeout: float = 30) -> Path:
    """Download (or continue downloading), check and unpack `archive` into dest/archive.name;
    returns that folder. progress(bytes so far, archive size) starts at the resumed position."""
    archive = archive or vosk_archive()
    dest = Path(dest) if dest else models_dir()
    target = dest / archive.name
    if is_vosk_model(target):
        return target
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FetchError(f"Cannot create {dest} ({exc.strerror or exc}).") from exc
    part = part_path(archive, dest)
    have = _size(part)
    if have < archive.size:
        _receive(archive, part, have, progress, timeout)
    _check(archive, part)
    try:
        _unpack(archive, part, target)
    finally:
        part.unlink(missing_ok=True)  # it passed the checksum: fetching it again would not help
    return target


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _receive(archive: Archive, part: Path, have: int, progress, timeout: float) -> None:
    """Append the rest of the archive to `part`, which holds its first `have` bytes (or start again
    when the server cannot send just the rest). A connection that drops keeps what arrived."""
    headers = {"Range": f"bytes={have}-"} if have else {}
    try:
        response = urllib.request.urlopen(urllib.request.Request(archive.url, headers=headers), timeout=timeout)
    except urllib.error.HTTPError as exc:
        raise _refused(archive, part, exc) from exc
    except NETWORK_ERRORS as exc:
        reason = getattr(exc, "reason", exc)
        raise FetchError(f"Could not download {archive.url} (no network? {reason}). Voice still works with the "
                         f"built-in PocketSphinx; or unzip that file into {part.parent} yourself.") from exc
    with response:
        if have and getattr(response, "status", None) != 206:
            have = 0  # the server sent the whole file instead of the rest: start again
        length = response.headers.get("Content-Length")
        expected = have + int(length) if length else None
        got = _append(archive, part, have, response, progress)
    if got < archive.size and (expected is None or got < expected):
        raise _stopped(archive, got, "connection lost")


def _append(archive: Archive, part: Path, have: int, response, progress) -> int:
    """Copy the response onto part (from byte `have`); returns the file's size. Stops once past the
    pinned size: the checksum then rejects the file."""
    got = have
    try:
        with open(part, "ab" if have else "wb") as out:
            if progress:
                progress(got, archive.size)
            while got <= archive.size:
                chunk = response.read1(1 << 16)  # what has arrived: a timeout then loses nothing
                if not chunk:
                    break
                out.write(chunk)
                got += len(chunk)
                if progress:
                    progress(min(got, archive.size), archive.size)
    except NETWORK_ERRORS as exc:  # before OSError: these are OSErrors too
        raise _stopped(archive, got, str(getattr(exc, "reason", exc)) or type(exc).__name__) from exc
    except OSError as exc:
        raise FetchError(f"Could not save the download in {part.parent} ({exc.strerror or exc}).") from exc
    return got


def _stopped(archive: Archive, got: int, why: str) -> FetchError:
    return FetchError(f"The download stopped at {got / 1e6:.1f} of {archive.size / 1e6:.1f} MB ({why}); "
                      "`garden models fetch vosk` continues from there.")


def _refused(archive: Archive, part: Path, exc: urllib.error.HTTPError) -> FetchError:
    if exc.code == 416:  # the server's file is no longer than our partial one: that cannot be continued
        part.unlink(missing_ok=True)
        return FetchError(f"The partial download of {archive.url} does not match the file on the server; "
                          "it was deleted, so try again.")
    return FetchError(f"The server answered {exc.code} {exc.reason} for {archive.url}; try again later.")


def _check(archive: Archive, part: Path) -> None:
    """The whole file, earlier attempts' bytes included, against the pinned size and SHA-256."""
    size = _size(part)
    if size == archive.size and _sha256(part) == archive.sha256:
        return
    part.unlink(missing_ok=True)
    problem = "its checksum differs" if size == archive.size else f"{size} bytes, expected {archive.size}"
    raise FetchError(f"The download from {archive.url} was damaged ({problem}), so it was deleted: "
                     "`garden models fetch vosk` starts again.")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


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


# --- the commands ----------------------------------------------------------------------------

OFFLINE = "No network, so voice uses the built-in PocketSphinx; `garden models fetch vosk` gets Vosk later."


def fetch_vosk(archive: Archive | None = None) -> int:
    """The `garden models fetch vosk` command."""
    archive = archive or vosk_archive()
    target = models_dir() / archive.name
    if is_vosk_model(target):
        print(f"The Vosk model is already installed at {target}.")
        return 0
    resumed = _size(part_path(archive))
    resuming = f", continuing at {resumed / 1e6:.1f} MB" if 0 < resumed < archive.size else ""
    print(f"Downloading {archive.name} ({archive.size / 1e6:.0f} MB, {LICENCE}{resuming}) into {target.parent} ...")
    from tqdm import tqdm

    try:
        with tqdm(total=archive.size, initial=min(resumed, archive.size), unit="B", unit_scale=True,
                  file=sys.stderr) as bar:
            path = download(archive, progress=lambda got, total: _show(bar, got))
    except FetchError as exc:
        print(f"garden: {exc}", file=sys.stderr)
        return 1
    print(f"Installed and checked: {path}. `garden play` now uses Vosk.")
    return 0


def _show(bar, got: int) -> None:
    if got < bar.n:  # the server could not continue the partial file: the bar starts again too
        bar.reset(total=bar.total)
    bar.update(got - bar.n)


def fetch_vosk_if_online(archive: Archive | None = None, timeout: float = CHECK_SECONDS) -> int:
    """`garden models fetch vosk --if-online`, the step `make play` runs before the game: nothing
    when a Vosk model is found, one line when the server cannot be reached within `timeout`
    seconds, else fetch_vosk. Always 0: the game starts whatever happens here."""
    archive = archive or vosk_archive()
    if find_vosk_model() is not None:
        return 0
    if not reachable(archive.url, timeout):
        print(OFFLINE)
        return 0
    fetch_vosk(archive)
    return 0


def reachable(url: str, timeout: float = CHECK_SECONDS) -> bool:
    """Whether a connection to url's server (or to the proxy urllib would go through) opens within
    `timeout` seconds. Not an http(s) URL: True, and urlopen says what is wrong."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return True
    proxy = urllib.request.getproxies().get(parts.scheme)
    if proxy and not urllib.request.proxy_bypass(parts.hostname or ""):
        parts = urllib.parse.urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:  # a malformed port: urlopen says so
        return True
    return _connects(parts.hostname or "", port, timeout)


def _connects(host: str, port: int, timeout: float) -> bool:
    """Name lookup has no timeout of its own and a dead resolver can hold it for 20 s or more, so
    the attempt runs on a daemon thread that is left behind when it takes too long."""
    done, opened = threading.Event(), []

    def attempt() -> None:
        try:
            socket.create_connection((host, port), timeout=timeout).close()
            opened.append(True)
        except OSError:
            pass  # refused, unreachable, no such name: offline, as far as the player is concerned
        finally:
            done.set()

    threading.Thread(target=attempt, name="garden-network-check", daemon=True).start()
    done.wait(timeout)
    return bool(opened)


# --- the first voice use --------------------------------------------------------------------

ATTEMPT_MARKER = ".fetch-attempted"


def offer_download(voice, vosk_model: str | None = None,
                   on_done: Callable[[Path | None, str | None], None] | None = None,
                   archive: Archive | None = None) -> threading.Thread | None:
    """On the first voice use without any Vosk model (a player who runs `garden play` rather than
    `make play`), download it in the background and say so: once per data folder, and only when
    the network is there. Offline it stays quiet (the recogniser's note already names `garden
    models fetch vosk`) and tries again next game. Returns the thread, or None."""
    archive = archive or vosk_archive()
    if vosk_model or find_vosk_model() is not None:
        return None
    marker = models_dir() / ATTEMPT_MARKER
    if marker.exists():
        return None

    def run() -> None:
        if not reachable(archive.url) or not _mark(marker):
            return
        voice.message = f"downloading the Vosk speech model ({archive.size / 1e6:.0f} MB, once); PocketSphinx listens until then"
        try:
            path, error = download(archive), None
            voice.message = "Vosk model installed: restart the game to use it"
        except FetchError as exc:
            path, error = None, str(exc)
            voice.message = "could not download the Vosk model; PocketSphinx is listening. " \
                            "`garden models fetch vosk` tries again"
        if on_done:
            on_done(path, error)

    thread = threading.Thread(target=run, name="garden-vosk-fetch", daemon=True)
    thread.start()
    return thread


def _mark(marker: Path) -> bool:
    """Record that the game tried once; False when the data folder is not writable (nowhere to unpack to either)."""
    try:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
    except OSError:
        return False
    return True
