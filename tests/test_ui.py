"""The Pygame game, run headless: scripts, screenshots, sprites, grid sizes, input and threads."""

from __future__ import annotations

import os

os.environ["SDL_VIDEODRIVER"] = "dummy"
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import struct  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import pygame  # noqa: E402
import pytest  # noqa: E402

from garden.session import Interpretation, Session  # noqa: E402
from garden.ui import pixelart, play  # noqa: E402
from garden.ui.layout import BoardGeometry, Layout  # noqa: E402
from garden.ui.sprites import SpriteBook  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PLANT = "/call call:plant_seed{plots:[{col:1,row:1},{col:2,row:1}],seed:<escape>rose<escape>}"
WATER = "/call call:water_plots{plots:[{col:1,row:1},{col:2,row:1}]}"
HARVEST = "/call call:harvest_plots{plots:[{col:1,row:1},{col:2,row:1}]}"
ROSE = pixelart.KINDS["rose"]["P"]


@pytest.fixture(autouse=True)
def private_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("GARDEN_DATA_DIR", str(tmp_path / "data"))


def script(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "script.txt"
    path.write_text("# a test script\n\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    return struct.unpack(">II", data[16:24])


def colour_in(path: Path, rect: pygame.Rect, colour) -> bool:
    image = pygame.image.load(str(path))
    return any(image.get_at((x, y))[:3] == tuple(colour)
               for y in range(rect.top, rect.bottom) for x in range(rect.left, rect.right))


def plot_rect(size, rows, cols, row, col) -> pygame.Rect:
    return BoardGeometry.fit(Layout.of(size).garden, rows, cols).plot(row, col)


def headless(session: Session, tmp_path: Path, *lines: str, **options) -> tuple[int, Path]:
    shot = tmp_path / "shots" / "final.png"
    code = play(session, headless=True, script=script(tmp_path, *lines), screenshot=shot, max_seconds=60, **options)
    return code, shot


def test_planting_watering_twice_and_harvesting_fills_the_basket(tmp_path, capsys):
    session = Session()
    code, shot = headless(session, tmp_path, PLANT, WATER, WATER, HARVEST)
    assert code == 0
    assert png_size(shot) == (960, 640)
    assert session.garden.basket == {"rose": 2}
    assert session.garden.board()[0] == ["empty", "empty", "empty"]
    out = capsys.readouterr().out
    assert "> " + HARVEST in out and "harvested 1, 2" in out


def test_blooms_show_in_the_screenshot(tmp_path):
    session = Session()
    code, shot = headless(session, tmp_path, PLANT, WATER, WATER)
    assert code == 0
    assert session.garden.board()[0][:2] == ["rose bloom", "rose bloom"]
    assert colour_in(shot, plot_rect((960, 640), 3, 3, 1, 1), ROSE)
    assert not colour_in(shot, plot_rect((960, 640), 3, 3, 2, 2), ROSE)


def test_a_missing_sprite_folder_still_renders(tmp_path):
    missing = tmp_path / "no-sprites-here"
    session = Session()
    code, shot = headless(session, tmp_path, PLANT, WATER, WATER, sprite_dir=missing)
    assert code == 0
    assert png_size(shot) == (960, 640)
    assert colour_in(shot, plot_rect((960, 640), 3, 3, 1, 2), ROSE)


def test_a_sprite_book_draws_what_it_cannot_load(tmp_path):
    pygame.display.init()
    try:
        book = SpriteBook(tmp_path / "nothing")
        assert set(book.drawn) == set(pixelart.sprite_names(("sunflower", "daisy", "rose", "tulip")))
        assert book.get("cactus_bloom").get_size() == (16, 16)  # a kind the art has never heard of
    finally:
        pygame.quit()


@pytest.mark.parametrize("rows,cols", [(2, 2), (6, 6), (2, 6)])
def test_every_grid_size_renders(tmp_path, rows, cols):
    session = Session()
    corner = f"/call call:plant_seed{{plots:[{{col:{cols},row:{rows}}}],seed:<escape>daisy<escape>}}"
    water = f"/call call:water_plots{{plots:[{{col:{cols},row:{rows}}}]}}"
    code, shot = headless(session, tmp_path, f"/size {rows} {cols}", corner, water)
    assert code == 0
    assert (session.garden.rows, session.garden.cols) == (rows, cols)
    assert session.garden.board()[rows - 1][cols - 1] == "daisy sprout"
    assert png_size(shot) == (960, 640)
    geometry = BoardGeometry.fit(Layout.of((960, 640)).garden, rows, cols)
    assert Layout.of((960, 640)).garden.contains(geometry.bed())


def test_other_window_sizes_render(tmp_path):
    code, shot = headless(Session(), tmp_path, PLANT, window_size=(800, 600), console=True)
    assert code == 0
    assert png_size(shot) == (800, 600)


def test_typed_language_runs_on_a_worker_and_shows_thinking(tmp_path):
    release = threading.Event()

    class SlowBrain:
        description = "test brain"

        def interpret(self, utterance, garden, history):
            release.wait(10)
            plots = [{"row": 1, "col": 1}]
            return Interpretation(calls=[{"name": "plant_seed", "arguments": {"seed": "daisy", "plots": plots}}])

    session = Session(interpreter=SlowBrain())
    app = _app(session)
    try:
        app.submit("plant a daisy in the corner")
        _until(lambda: session.voice.status == "thinking")
        app.update(1 / 30)
        app.draw()  # the window keeps drawing while the brain thinks
        assert app.last_turn is None
        release.set()
        _until(lambda: app.worker.idle)
        app.update(1 / 30)
        assert session.voice.status == "idle"
        assert app.last_turn.calls[0]["name"] == "plant_seed"
        assert app.view.plot(1, 1).plant == "daisy"
    finally:
        _close(app)


def test_space_on_an_empty_line_goes_to_the_voice_handler(tmp_path):
    seen = []

    def push_to_talk(event, session):
        if event.type in (pygame.KEYDOWN, pygame.KEYUP) and event.key == pygame.K_SPACE:
            seen.append(event.type)
            return True
        return False

    app = _app(Session(), on_event=push_to_talk)
    try:
        app.handle_event(_key(pygame.K_SPACE, " "))
        app.handle_event(_key(pygame.K_SPACE, " ", up=True))
        assert seen == [pygame.KEYDOWN, pygame.KEYUP] and app.entry.line == ""
        app.handle_event(_key(pygame.K_w, "w"))
        app.handle_event(_key(pygame.K_SPACE, " "))
        assert app.entry.line == "w " and seen == [pygame.KEYDOWN, pygame.KEYUP]
    finally:
        _close(app)


def test_text_posted_from_another_thread_runs_as_a_voice_turn(tmp_path):
    from garden.ui.app import COMMAND

    app = _app(Session())
    try:
        threading.Thread(target=pygame.event.post,
                         args=(pygame.event.Event(COMMAND, text="water plot 5", source="voice"),)).start()
        _until(lambda: pygame.event.peek(COMMAND))
        for event in pygame.event.get():
            app.handle_event(event)
        _until(lambda: app.worker.idle)
        app.update(1 / 30)
        assert app.last_turn.input == "water plot 5" and app.last_turn.source == "voice"
    finally:
        _close(app)


def test_console_toggles_and_remembers_what_was_sent(tmp_path):
    app = _app(Session())
    try:
        app.handle_event(_key(pygame.K_BACKQUOTE, "`"))
        assert app.console_open and app.entry.line == ""
        for ch in "/help":
            app.handle_event(_key(pygame.K_a, ch))
        app.handle_event(_key(pygame.K_RETURN, "\r"))
        _until(lambda: app.worker.idle)
        app.update(1 / 30)
        app.draw()
        assert app.last_turn.input == "/help"
        assert any("/reset" in line for line, _ in app.log.lines)
        app.handle_event(_key(pygame.K_UP, ""))
        assert app.entry.line == "/help"
        app.handle_event(_key(pygame.K_PAGEUP, ""))
        app.draw()
        app.handle_event(_key(pygame.K_BACKQUOTE, "`"))
        assert not app.console_open
    finally:
        _close(app)


def test_a_model_that_fails_to_load_leaves_call_working(tmp_path, capsys):
    def broken():
        raise FileNotFoundError("no adapter in models/")

    session = Session()
    code, _ = headless(session, tmp_path, PLANT, load_interpreter=broken)
    assert code == 0
    assert session.interpreter is None
    assert session.garden.board()[0][0] == "rose seed"
    assert "no adapter in models/" in capsys.readouterr().err


def test_a_loaded_model_becomes_the_sessions_interpreter(tmp_path):
    class Brain:
        description = "test brain"

        def interpret(self, utterance, garden, history):
            return Interpretation(calls=[{"name": "water_plots", "arguments": {"plots": [{"row": 2, "col": 2}]}}])

    def load():
        time.sleep(0.2)
        return Brain()

    session = Session()
    code, _ = headless(session, tmp_path, "water the middle plot", load_interpreter=load)
    assert code == 0
    assert isinstance(session.interpreter, Brain)
    assert session.garden.board()[1][1] == "wet soil"


def test_a_missing_script_is_one_clear_error(tmp_path, capsys):
    assert play(Session(), headless=True, script=tmp_path / "nope.txt") == 2
    assert "Cannot read the script" in capsys.readouterr().err


def test_make_sprites_writes_small_pngs(tmp_path):
    out = tmp_path / "sprites"
    subprocess.run([sys.executable, str(ROOT / "assets" / "make_sprites.py"), "--out", str(out)], check=True,
                   capture_output=True, env={**os.environ, "SDL_VIDEODRIVER": "dummy"})
    files = sorted(out.glob("*.png"))
    assert {f.stem for f in files} >= {"soil_dry", "soil_wet", "rose_bloom", "tulip_seed", "basket", "droplet"}
    assert all(png_size(f)[0] <= 32 for f in files)


# --- helpers for driving the window by hand ----------------------------------------------------

def _app(session: Session, **options):
    from garden.ui.app import App

    return App(session, headless=True, **options)


def _close(app) -> None:
    app.close()
    pygame.quit()


def _key(key: int, unicode: str, up: bool = False) -> pygame.event.Event:
    return pygame.event.Event(pygame.KEYUP if up else pygame.KEYDOWN, key=key, unicode=unicode, mod=0)


def _until(condition, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_ctrl_z_in_the_window_takes_the_last_command_back(tmp_path):
    app = _app(Session())
    try:
        app.submit(PLANT)
        _until(lambda: app.worker.idle and app.session.garden.board()[0][0] == "rose seed")
        app.update(1 / 30)
        app.handle_event(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_z, unicode="\x1a", mod=pygame.KMOD_LCTRL))
        _until(lambda: app.worker.idle and app.session.garden.board()[0][0] == "empty")
        app.update(1 / 30)
        app.draw()
        assert app.last_turn.input == "/undo" and app.entry.line == ""
    finally:
        _close(app)


def test_the_command_being_typed_is_prepared_and_answered_during_a_pause(tmp_path):
    """While the player types, the worker runs the prompt up to the words so far; after a pause it
    decodes the answer too (ModelInterpreter.prepare; tests/test_fast.py checks that an early
    answer is used only for the same words and board). Commands starting with / are not."""
    from tests.doubles import RecordingInterpreter

    class Preparing(RecordingInterpreter):
        def __init__(self):
            super().__init__()
            self.prepared = []

        def prepare(self, heard, garden, history, answer=False, give_way=None):
            self.prepared.append((heard, answer))
            return 1

    brain = Preparing()
    app = _app(Session(interpreter=brain))
    try:
        for ch in "water  plot":
            app.handle_event(_key(pygame.K_a, ch))
        _until(lambda: ("water plot", True) in brain.prepared)  # typing stopped: answered early
        assert brain.prepared[0][1] is False and len(brain.prepared) <= 4, brain.prepared
        for ch in " 5":
            app.handle_event(_key(pygame.K_a, ch))
        _until(lambda: ("water plot 5", True) in brain.prepared)
        app.handle_event(_key(pygame.K_RETURN, "\r"))
        _until(lambda: app.worker.idle and brain.heard == ["water  plot 5"])
        for ch in "/help":
            app.handle_event(_key(pygame.K_a, ch))
        time.sleep(0.5)
        assert not any(heard.startswith("/") for heard, _ in brain.prepared)
    finally:
        _close(app)
