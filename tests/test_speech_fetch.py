"""`garden models fetch vosk` without the internet: a small model zip served from this machine by a
local HTTP server that can drop or stall the connection, or ignore Range requests."""

import hashlib
import http.server
import io
import re
import socket
import threading
import time
import zipfile

import pytest

from garden import cli
from garden.session import Session
from garden.speech import fetch
from garden.speech.recognisers import VOSK_MODEL_NAME, find_vosk_model


def model_zip(name="vosk-model-test", extra=None, filler=0) -> bytes:
    """A zip that unpacks to a Vosk-shaped folder; filler adds incompressible bytes, so that a
    download has a middle to be cut in."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr(f"{name}/am/final.mdl", b"model")
        z.writestr(f"{name}/conf/model.conf", b"--beam=10")
        if filler:
            z.writestr(f"{name}/graph/HCLr.fst", hashlib.shake_256(b"garden").digest(filler))
        for member, data in (extra or {}).items():
            z.writestr(member, data)
    return buffer.getvalue()


def archive_of(data: bytes, url: str, name="vosk-model-test") -> fetch.Archive:
    return fetch.Archive(name, url, len(data), hashlib.sha256(data).hexdigest())


def fake_model_zip(tmp_path, name="vosk-model-test", extra=None) -> fetch.Archive:
    data = model_zip(name, extra)
    path = tmp_path / "model.zip"
    path.write_bytes(data)
    return archive_of(data, path.as_uri(), name)


class ModelServer(http.server.ThreadingHTTPServer):
    """Serves `data` at any path, with Range requests. Its next response can be cut: after
    `drop_after` bytes the connection closes; after `stall_after` bytes it waits until released."""

    daemon_threads = True

    def __init__(self, data: bytes):
        super().__init__(("127.0.0.1", 0), ModelHandler)
        self.data, self.ranges = data, []  # ranges: each request's Range header (None: none)
        self.honour_range = True
        self.drop_after: int | None = None
        self.stall_after: int | None = None
        self.released = threading.Event()

    def handle_error(self, request, client_address):
        pass  # the client hung up on a response it did not want (a file too large, a stall): expected here

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/{VOSK_MODEL_NAME}.zip"


class ModelHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        server, data = self.server, self.server.data
        asked = self.headers.get("Range")
        server.ranges.append(asked)
        start = int(re.fullmatch(r"bytes=(\d+)-", asked).group(1)) if asked and server.honour_range else 0
        if start and start >= len(data):
            self.send_response(416)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(206 if start else 200)
        if start:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        body = data[start:]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        cut, server.drop_after = server.drop_after, None
        stall, server.stall_after = server.stall_after, None
        if cut is not None:
            body, self.close_connection = body[:cut], True
        if stall is not None:
            self.wfile.write(body[:stall])
            self.wfile.flush()
            server.released.wait(10)
            body = body[stall:]
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    started = []

    def serve(data: bytes) -> ModelServer:
        s = ModelServer(data)
        threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        started.append(s)
        return s
    yield serve
    for s in started:
        s.released.set()
        s.shutdown()
        s.server_close()


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/{VOSK_MODEL_NAME}.zip"


@pytest.fixture
def only_our_models_dir(monkeypatch):
    """Models elsewhere on this machine (VOSK_MODEL_PATH, ~/.cache/vosk) must not count."""
    monkeypatch.setattr("garden.speech.recognisers.vosk_search_dirs", lambda: [fetch.models_dir()])


# --- downloading -----------------------------------------------------------------------------

def test_fetch_downloads_checks_and_unpacks_into_the_data_dir(tmp_path):
    archive = fake_model_zip(tmp_path)
    seen = []
    path = fetch.download(archive, progress=lambda got, total: seen.append((got, total)))
    assert path == fetch.models_dir() / "vosk-model-test"
    assert (path / "am" / "final.mdl").read_bytes() == b"model"
    assert seen[-1] == (archive.size, archive.size)
    assert not list(path.parent.glob("*.part")) and not list(path.parent.glob(".unpack-*"))
    assert find_vosk_model() == path  # the data dir is searched (any model folder there)


def test_fetch_deletes_a_download_whose_checksum_differs(tmp_path):
    archive = fake_model_zip(tmp_path)
    bad = fetch.Archive(archive.name, archive.url, archive.size, "0" * 64)
    with pytest.raises(fetch.FetchError, match="damaged"):
        fetch.download(bad)
    assert not (fetch.models_dir() / archive.name).exists() and not list(fetch.models_dir().glob("*.part"))


def test_fetch_refuses_archives_that_write_outside_their_folder(tmp_path):
    archive = fake_model_zip(tmp_path, extra={"../evil.txt": b"x"})
    with pytest.raises(fetch.FetchError, match="unexpected path"):
        fetch.download(archive)
    assert not (fetch.models_dir().parent / "evil.txt").exists()


def test_fetch_offline_is_one_clear_sentence_and_the_command_exits_1(capsys):
    offline = fetch.Archive("vosk-model-x", "http://127.0.0.1:9/vosk-model-x.zip", 10, "0" * 64)
    with pytest.raises(fetch.FetchError, match=r"no network\?.*PocketSphinx"):
        fetch.download(offline, timeout=5)
    assert fetch.fetch_vosk(offline) == 1
    err = capsys.readouterr().err
    assert "garden: Could not download http://127.0.0.1:9/vosk-model-x.zip" in err


# --- continuing a download -------------------------------------------------------------------

def test_a_dropped_download_keeps_its_part_and_the_next_attempt_asks_only_for_the_rest(server):
    data = model_zip(filler=200_000)
    s = server(data)
    archive = archive_of(data, s.url)
    s.drop_after = 80_000
    with pytest.raises(fetch.FetchError, match=r"^The download stopped at 0\.1 of 0\.2 MB \(connection lost\); "
                                               r"`garden models fetch vosk` continues from there\.$"):
        fetch.download(archive)
    part = fetch.part_path(archive)
    assert part.stat().st_size == 80_000 and part.read_bytes() == data[:80_000]
    seen = []
    path = fetch.download(archive, progress=lambda got, total: seen.append(got))
    assert s.ranges == [None, "bytes=80000-"]
    assert seen[0] == 80_000 and seen[-1] == len(data)  # the progress bar starts where the part ends
    assert (path / "am" / "final.mdl").read_bytes() == b"model" and not part.exists()


def test_a_stalled_download_keeps_its_part(server):
    data = model_zip(filler=200_000)
    s = server(data)
    archive = archive_of(data, s.url)
    s.stall_after = 50_000
    with pytest.raises(fetch.FetchError, match=r"stopped at 0\.1 of 0\.2 MB \(timed out\); .* continues"):
        fetch.download(archive, timeout=0.5)
    assert fetch.part_path(archive).read_bytes() == data[:50_000]
    s.released.set()
    assert fetch.download(archive).is_dir() and s.ranges[-1] == "bytes=50000-"


def test_a_server_that_ignores_range_sends_everything_again_and_the_part_starts_over(server):
    data = model_zip(filler=200_000)
    s = server(data)
    archive = archive_of(data, s.url)
    s.honour_range, s.drop_after = False, 80_000
    with pytest.raises(fetch.FetchError, match="stopped"):
        fetch.download(archive)
    seen = []
    path = fetch.download(archive, progress=lambda got, total: seen.append(got))
    assert s.ranges == [None, "bytes=80000-"]  # asked for the rest, was sent the whole file (200)
    assert seen[0] == 0 and seen[-1] == len(data)
    assert (path / "am" / "final.mdl").read_bytes() == b"model"  # appended, it would fail the checksum


def test_the_checksum_covers_the_bytes_an_earlier_attempt_left(server):
    data = model_zip(filler=200_000)
    s = server(data)
    archive = archive_of(data, s.url)
    s.drop_after = 80_000
    with pytest.raises(fetch.FetchError, match="stopped"):
        fetch.download(archive)
    part = fetch.part_path(archive)
    part.write_bytes(b"X" + part.read_bytes()[1:])  # damaged on disk between attempts
    with pytest.raises(fetch.FetchError) as failed:
        fetch.download(archive)
    assert re.fullmatch(r"The download from \S+ was damaged \(its checksum differs\), "
                        r"so it was deleted: `garden models fetch vosk` starts again\.", str(failed.value))
    assert s.ranges == [None, "bytes=80000-"] and not part.exists()
    assert fetch.download(archive).is_dir()  # and the next attempt starts from the beginning
    assert s.ranges[-1] is None


def test_a_file_larger_than_the_pinned_size_is_cut_off_and_deleted(server):
    data = model_zip(filler=50_000)
    s = server(data + bytes(100_000))
    with pytest.raises(fetch.FetchError, match=r"was damaged \(\d+ bytes, expected \d+"):
        fetch.download(archive_of(data, s.url))
    assert not list(fetch.models_dir().glob("*.part"))


def test_a_part_longer_than_the_file_on_the_server_is_deleted_with_one_sentence(server):
    data = model_zip(filler=200_000)
    s = server(data[:50_000])  # the server's file changed under us
    archive = archive_of(data, s.url)
    fetch.models_dir().mkdir(parents=True)
    fetch.part_path(archive).write_bytes(data[:80_000])
    with pytest.raises(fetch.FetchError, match=r"^The partial download of \S+ does not match the file on the server; "
                                               r"it was deleted, so try again\.$"):
        fetch.download(archive)
    assert s.ranges == ["bytes=80000-"] and not fetch.part_path(archive).exists()


def test_a_complete_part_left_behind_is_checked_without_downloading_again(server):
    data = model_zip()
    s = server(data)
    archive = archive_of(data, s.url)
    fetch.models_dir().mkdir(parents=True)
    fetch.part_path(archive).write_bytes(data)
    assert fetch.download(archive).is_dir() and s.ranges == []


def test_the_command_says_where_it_continues(server, capsys):
    data = model_zip(filler=200_000)
    s = server(data)
    archive = archive_of(data, s.url)
    s.drop_after = 80_000
    assert fetch.fetch_vosk(archive) == 1
    assert "continues from there" in capsys.readouterr().err
    assert fetch.fetch_vosk(archive) == 0
    out = capsys.readouterr().out
    assert "continuing at 0.1 MB" in out and "Installed and checked" in out


# --- `garden models fetch vosk --if-online` (what `make play` runs) -------------------------

def test_if_online_without_a_network_says_one_line_and_exits_0_at_once(monkeypatch, capsys, only_our_models_dir):
    monkeypatch.setenv(fetch.URL_VARIABLE, closed_port_url())
    started = time.monotonic()
    assert cli.main(["models", "fetch", "vosk", "--if-online"]) == 0
    assert time.monotonic() - started < 2
    out, err = capsys.readouterr()
    assert out == fetch.OFFLINE + "\n" and err == ""
    assert "PocketSphinx" in out and "garden models fetch vosk" in out
    assert not fetch.models_dir().exists()


def test_the_network_check_gives_up_on_a_name_lookup_that_hangs(monkeypatch):
    hung = threading.Event()

    def lookup_that_hangs(*args, **kwargs):
        hung.wait(10)
        raise socket.gaierror("Temporary failure in name resolution")
    monkeypatch.setattr(socket, "create_connection", lookup_that_hangs)
    started = time.monotonic()
    assert not fetch.reachable("https://alphacephei.com/vosk/models/x.zip", timeout=0.3)
    assert time.monotonic() - started < 1
    hung.set()


def test_if_online_does_nothing_when_the_model_is_installed(server, monkeypatch, capsys, only_our_models_dir):
    s = server(model_zip())
    monkeypatch.setenv(fetch.URL_VARIABLE, s.url)
    (fetch.models_dir() / VOSK_MODEL_NAME / "am").mkdir(parents=True)
    (fetch.models_dir() / VOSK_MODEL_NAME / "am" / "final.mdl").write_bytes(b"model")
    assert cli.main(["models", "fetch", "vosk", "--if-online"]) == 0
    assert capsys.readouterr() == ("", "") and s.ranges == []


def test_if_online_fetches_a_missing_model_and_a_failure_still_exits_0(server, monkeypatch, capsys,
                                                                       only_our_models_dir):
    data = model_zip(filler=200_000)
    s = server(data)
    archive = archive_of(data, s.url)
    s.drop_after = 80_000
    assert fetch.fetch_vosk_if_online(archive) == 0  # the game starts anyway ...
    assert "continues from there" in capsys.readouterr().err
    assert fetch.fetch_vosk_if_online(archive) == 0  # ... and the next `make play` finishes the download
    assert find_vosk_model() == fetch.models_dir() / archive.name and s.ranges == [None, "bytes=80000-"]


def test_the_mirror_url_keeps_the_pinned_size_and_checksum(monkeypatch):
    monkeypatch.setenv(fetch.URL_VARIABLE, "http://mirror.example/v.zip")
    assert fetch.vosk_archive() == fetch.Archive(VOSK_MODEL_NAME, "http://mirror.example/v.zip",
                                                 fetch.VOSK_SMALL_EN.size, fetch.VOSK_SMALL_EN.sha256)
    monkeypatch.delenv(fetch.URL_VARIABLE)
    assert fetch.vosk_archive() == fetch.VOSK_SMALL_EN
    assert fetch.VOSK_SMALL_EN.url == f"https://alphacephei.com/vosk/models/{VOSK_MODEL_NAME}.zip"


# --- the game's own offer (`garden play` run directly) ---------------------------------------

def test_the_first_voice_use_without_a_model_downloads_it_once(server, only_our_models_dir):
    data = model_zip(VOSK_MODEL_NAME)
    archive = archive_of(data, server(data).url, VOSK_MODEL_NAME)
    voice = Session().voice
    results = []
    thread = fetch.offer_download(voice, on_done=lambda path, error: results.append((path, error)), archive=archive)
    thread.join(10)
    assert results == [(fetch.models_dir() / VOSK_MODEL_NAME, None)]
    assert voice.message == "Vosk model installed: restart the game to use it"
    assert fetch.offer_download(voice, archive=archive) is None  # a model is there now


def test_a_failed_first_voice_download_is_said_once(server, only_our_models_dir):
    data = model_zip(filler=200_000)
    s = server(data)
    archive = archive_of(data, s.url)
    s.drop_after = 80_000
    voice = Session().voice
    results = []
    fetch.offer_download(voice, on_done=lambda path, error: results.append((path, error)), archive=archive).join(10)
    assert results[0][0] is None and "continues from there" in results[0][1]
    assert "could not download the Vosk model; PocketSphinx is listening" in voice.message
    assert fetch.offer_download(voice, archive=archive) is None  # once per data folder


def test_the_first_voice_use_offline_stays_quiet_and_offers_again_next_game(only_our_models_dir):
    offline = fetch.Archive("vosk-model-x", closed_port_url(), 10, "0" * 64)
    voice = Session().voice
    before = voice.message
    results = []
    fetch.offer_download(voice, on_done=lambda path, error: results.append((path, error)), archive=offline).join(10)
    assert voice.message == before and results == []
    assert not (fetch.models_dir() / fetch.ATTEMPT_MARKER).exists()
    assert fetch.offer_download(voice, archive=offline) is not None
