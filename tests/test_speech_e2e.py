"""End to end through a real audio server: PulseAudio with a pipe source as the default microphone,
espeak-ng speaking into it, sounddevice capturing from PortAudio's `pulse` device, the headless game
with push-to-talk driven by the test, and the board checked afterwards.

Running PulseAudio here: CI runs as root with no sound card and no D-Bus. A root user daemon still
starts (it only warns "not intended to be run as root"; --system is not needed) as long as HOME,
XDG_RUNTIME_DIR and PULSE_RUNTIME_PATH point at fresh private folders (mode 0700, owned by the
caller), shared memory is off and the protocol socket is anonymous. `-n` loads no default.pa, so no
hardware is probed; the daemon is started with --daemonize=no as our child and torn down after each
test (terminate, then kill); should the test process itself be killed, the orphan exits on its own a
minute after its last client (--exit-idle-time=60). PULSE_SERVER tells the ALSA pulse plugin
(which PortAudio's "pulse" device uses) where the daemon is; PortAudio reads the device list when
it starts, so sounddevice is re-initialised around the test.
"""

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from garden.brain.cases import calls_match
from garden.brain.models import DEFAULT_ADAPTER
from garden.engine import Garden
from garden.session import Session
from garden.speech import audio

from tests.doubles import RecordingInterpreter

pytestmark = [pytest.mark.slow]

MISSING = [tool for tool in ("pulseaudio", "pactl", "espeak-ng") if shutil.which(tool) is None]
needs_audio_server = pytest.mark.skipif(bool(MISSING), reason=f"{', '.join(MISSING)} not installed "
                                        "(Debian: apt install pulseaudio pulseaudio-utils espeak-ng libportaudio2)")
HAS_ADAPTER = (DEFAULT_ADAPTER / "adapter_config.json").exists()
needs_adapter = pytest.mark.skipif(not HAS_ADAPTER, reason=f"no trained garden adapter at {DEFAULT_ADAPTER} yet "
                                   "(`garden train` makes one); the zero-shot model cannot be expected to get this right")
COMMAND = "plant sunflowers in the top row"


class PulseDaemon:
    def __init__(self, root: Path):
        self.root = root
        self.fifo = root / "mic.fifo"
        self.socket = root / "run" / "native"
        self.env = {**os.environ, "HOME": str(root / "home"), "XDG_RUNTIME_DIR": str(root / "run"),
                    "PULSE_RUNTIME_PATH": str(root / "run" / "pulse"), "PULSE_SERVER": f"unix:{self.socket}"}
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 15) -> None:
        for folder in ("home", "run", "run/pulse"):
            (self.root / folder).mkdir(parents=True, exist_ok=True)
            os.chmod(self.root / folder, 0o700)
        self.log = open(self.root / "pulseaudio.log", "w")
        self.process = subprocess.Popen(
            ["pulseaudio", "--daemonize=no", "-n", "--exit-idle-time=60", "--use-pid-file=no", "--disable-shm=yes",
             "--log-target=stderr", f"--load=module-native-protocol-unix auth-anonymous=1 socket={self.socket}",
             f"--load=module-pipe-source source_name=garden_mic file={self.fifo} format=s16le rate=16000 channels=1",
             "--load=module-null-sink sink_name=garden_speakers"],
            env=self.env, stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            ok = subprocess.run(["pactl", "set-default-source", "garden_mic"], env=self.env, capture_output=True,
                                timeout=5).returncode == 0
            if ok and self.fifo.exists():
                return
            time.sleep(0.2)
        self.stop()
        log = (self.root / "pulseaudio.log").read_text(errors="replace")[-2000:]
        raise RuntimeError(f"PulseAudio did not start:\n{log}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.log.close()


class PipeMicrophone:
    """Writes to the pipe source in real time, 20 ms at a time: speech when given some, else silence."""

    def __init__(self, fifo: Path):
        self.fd = os.open(fifo, os.O_WRONLY)  # the daemon holds the pipe open, so this does not block
        self.pending = bytearray()
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def say(self, pcm: bytes) -> None:
        with self.lock:
            self.pending += pcm

    @property
    def speaking(self) -> bool:
        with self.lock:
            return bool(self.pending)

    def _run(self) -> None:
        block, start, sent = 640, time.monotonic(), 0
        while not self.stopped.is_set():
            with self.lock:
                chunk = bytes(self.pending[:block]).ljust(block, b"\0")
                del self.pending[:block]
            try:
                os.write(self.fd, chunk)
            except OSError:  # the daemon went away; the test reports why
                return
            sent += 1
            time.sleep(max(0.0, start + sent * 0.02 - time.monotonic()))

    def close(self) -> None:
        self.stopped.set()
        self.thread.join(2)
        os.close(self.fd)


@pytest.fixture
def pulse(tmp_path):
    sd = pytest.importorskip("sounddevice")
    daemon = PulseDaemon(tmp_path / "pulse")
    daemon.start()
    before = os.environ.get("PULSE_SERVER")
    os.environ["PULSE_SERVER"] = daemon.env["PULSE_SERVER"]
    sd._terminate()
    sd._initialize()  # PortAudio lists devices when it starts; now it sees the daemon
    mic = PipeMicrophone(daemon.fifo)
    try:
        yield daemon, mic
    finally:
        mic.close()
        daemon.stop()
        if before is None:
            os.environ.pop("PULSE_SERVER", None)
        else:
            os.environ["PULSE_SERVER"] = before
        sd._terminate()
        sd._initialize()


def push_to_talk(session, game, mic, pcm: bytes, done: threading.Event, problems: list) -> None:
    """The player: wait for the game, hold SPACE, speak, let go, wait for the turn."""
    import pygame

    def key(kind):
        return pygame.event.Event(kind, key=pygame.K_SPACE, mod=0, unicode=" ", scancode=44)

    def wait(condition, seconds, what):
        deadline = time.monotonic() + seconds
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError(f"{what} (voice ready {game.ready.is_set()}, window seen {game.window_seen.is_set()}, "
                                   f"failed {game.failed!r}, voice {session.voice})")
            time.sleep(0.02)

    try:
        wait(lambda: game.ready.is_set() and game.window_seen.is_set(), 60, "voice never became ready")
        if game.failed:
            raise RuntimeError(game.failed)
        wait(lambda: session.interpreter is not None, 240, "the model never loaded")
        turns_before = len(session.turns_seen)
        pygame.event.post(key(pygame.KEYDOWN))
        wait(lambda: session.voice.status == "listening", 10, "SPACE did not start listening")
        mic.say(pcm)
        wait(lambda: not mic.speaking, 30, "the speech was not played")
        time.sleep(0.4)  # the audio server's buffering: the last words are still on their way
        pygame.event.post(key(pygame.KEYUP))
        wait(lambda: len(session.turns_seen) > turns_before and session.voice.status == "idle", 120,
             "no turn came back")
    except Exception as exc:  # reported by the test thread
        problems.append(exc)
    finally:
        done.set()


def play_by_voice(pulse, interpreter_loader, said: str):
    from garden import ui
    from garden.voice_game import VoiceGame

    daemon, mic = pulse
    session = Session(Garden())
    session.turns_seen = []
    session.listeners.append(session.turns_seen.append)
    game = VoiceGame(session, engine="pocketsphinx", input_device="pulse").start()
    done, problems = threading.Event(), []
    pcm = audio.espeak_command(said)
    driver = threading.Thread(target=push_to_talk, args=(session, game, mic, pcm, done, problems), daemon=True)
    driver.start()
    try:
        code = ui.play(session, headless=True, load_interpreter=interpreter_loader, on_event=game.on_event,
                       on_frame=lambda s: game.on_frame(s) or not done.is_set(), max_seconds=480)
    finally:
        game.close()
        done.wait(5)
    if problems:
        raise problems[0]
    assert code == 0
    return session, game


@needs_audio_server
@pytest.mark.timeout(600)
def test_speech_through_pulseaudio_reaches_the_brain_exactly_as_said(pulse):
    brain = RecordingInterpreter()
    session, game = play_by_voice(pulse, lambda: brain, COMMAND)
    assert game.microphone.name == "pulse"
    if brain.heard != [COMMAND]:  # keep what was heard, so a failure can be listened to
        wav = audio.write_wav(Path(pulse[0].root).parent / "heard.wav", game.utterances[-1]["audio"])
        pytest.fail(f"heard {brain.heard} for {COMMAND!r}; {game.utterances[-1]['overflows']} input overflows; "
                    f"the audio is in {wav}")
    turn = session.turns_seen[-1]
    assert turn.source == "voice" and turn.input == COMMAND
    assert game.utterances[0]["end_to_text_ms"] < 1500


@needs_audio_server
@needs_adapter
@pytest.mark.timeout(600)
def test_push_to_talk_through_pulseaudio_plants_the_top_row(pulse):
    from garden.brain.loader import load_interpreter

    session, game = play_by_voice(pulse, lambda: load_interpreter(progress=False), COMMAND)
    turn = session.turns_seen[-1]
    assert turn.input == COMMAND and turn.source == "voice", turn.lines()
    board = session.garden
    assert [board.plot(1, c).plant for c in range(1, board.cols + 1)] == ["sunflower"] * board.cols, turn.lines()
    assert all(board.plot(r, c).plant is None for r in range(2, board.rows + 1) for c in range(1, board.cols + 1))


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
@needs_adapter
@pytest.mark.timeout(600)
def test_garden_say_on_an_espeak_recording_executes_the_right_calls(tmp_path):
    wav = audio.write_wav(tmp_path / "say.wav", audio.espeak("plant a rose at row two column three"))
    done = subprocess.run([sys.executable, "-m", "garden.cli", "say", str(wav), "--json", "--engine", "pocketsphinx"],
                          capture_output=True, text=True, timeout=540, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert done.returncode == 0, done.stderr[-2000:]
    last = json.loads(done.stdout.strip().splitlines()[-1])
    assert last["text"] == "plant a rose at row two column three" and last["engine"] == "pocketsphinx"
    expected = [{"name": "plant_seed", "arguments": {"seed": "rose", "plots": [{"row": 2, "col": 3}]}}]
    assert calls_match(expected, last["calls"]), last["calls"]
    assert [r["status"] for r in last["results"]] == ["ok"]
