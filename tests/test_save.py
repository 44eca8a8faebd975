import json
import os
import subprocess
import sys
import textwrap

from garden.engine import Garden
from garden.engine import save as saving


def _played_garden():
    g = Garden(rows=4, cols=5)
    g.apply("plant_seed", {"seed": "rose", "plots": [{"row": 1, "col": 1}, {"row": 4, "col": 5}]})
    g.apply("water_plots", {"plots": [{"row": 1, "col": 1}, {"row": 2, "col": 2}]})
    return g


def test_save_and_load_round_trip(tmp_path):
    g = _played_garden()
    path = saving.save(g, tmp_path / "garden.json")
    data = json.loads(path.read_text())
    assert data["version"] == saving.SAVE_VERSION
    loaded = saving.load(path)
    assert loaded.garden.to_dict() == g.to_dict()


def test_save_goes_to_the_user_data_dir_by_default(tmp_path, monkeypatch):
    monkeypatch.setenv("GARDEN_DATA_DIR", str(tmp_path / "d"))
    path = saving.save(Garden())
    assert path == tmp_path / "d" / "garden.json" and path.exists()


def test_missing_save_starts_fresh_without_a_note(tmp_path):
    loaded = saving.load(tmp_path / "none.json", rows=4, cols=4)
    assert loaded.note is None and loaded.garden.rows == 4


def test_corrupt_save_is_kept_aside_and_the_game_starts_fresh(tmp_path):
    path = tmp_path / "garden.json"
    path.write_text('{"version": 1, "garden": {"rows": 3, "cols"')
    loaded = saving.load(path)
    assert loaded.garden.to_dict() == Garden().to_dict()
    assert "could not be read" in loaded.note
    assert loaded.kept_aside.exists() and not path.exists()
    assert loaded.kept_aside.read_text().startswith('{"version": 1')


def test_impossible_save_contents_are_reported_not_loaded(tmp_path):
    path = tmp_path / "garden.json"
    data = {"version": 1, "garden": Garden().to_dict()}
    data["garden"]["plots"][0][0] = {"plant": "oak", "stage": "seed", "wet": False}
    path.write_text(json.dumps(data))
    loaded = saving.load(path)
    assert loaded.kept_aside is not None and "fresh" in loaded.note


def test_unknown_save_version_is_kept_aside(tmp_path):
    path = tmp_path / "garden.json"
    path.write_text(json.dumps({"version": 99, "garden": {}}))
    assert "version" in saving.load(path).note


def test_a_crash_between_write_and_rename_keeps_the_last_good_save(tmp_path):
    """Kill a process that is saving right after it wrote the temp file, before the rename."""
    path = tmp_path / "garden.json"
    good = _played_garden()
    saving.save(good, path)
    script = textwrap.dedent(f"""
        import os, signal
        from garden.engine import Garden, save
        real_replace = os.replace
        def crash(src, dst):
            os.kill(os.getpid(), signal.SIGKILL)  # dies between the write and the rename
        save.os.replace = crash
        save.save(Garden(rows=2, cols=2), {str(path)!r})
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True)
    assert proc.returncode == -9
    assert saving.load(path).garden.to_dict() == good.to_dict()
    leftovers = [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]
    assert leftovers  # the half-done temp file is there, the real save untouched


def test_a_full_disk_during_save_raises_and_keeps_the_last_good_save(tmp_path, monkeypatch):
    path = tmp_path / "garden.json"
    good = _played_garden()
    saving.save(good, path)

    def full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(saving.os, "fsync", full)
    try:
        saving.save(Garden(), path)
    except OSError:
        pass
    assert saving.load(path).garden.to_dict() == good.to_dict()
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]


def test_keep_aside_renames_without_overwriting(tmp_path):
    path = tmp_path / "garden.json"
    assert saving.keep_aside("old", path) is None
    saving.save(Garden(), path)
    first = saving.keep_aside("old", path)
    saving.save(Garden(rows=4, cols=4), path)
    second = saving.keep_aside("old", path)
    assert first != second and first.exists() and second.exists() and not path.exists()


def test_asking_for_another_size_keeps_the_saved_garden(tmp_path, monkeypatch):
    import subprocess
    import sys

    env = {**os.environ, "GARDEN_DATA_DIR": str(tmp_path)}
    run = lambda *a: subprocess.run([sys.executable, "-m", "garden.cli", "console", "--save", "--no-model", *a],  # noqa: E731
                                    input="/call water_plots{plots:[{col:1,row:1}]}\n", capture_output=True, text=True, env=env)
    run()
    assert saving.load(tmp_path / "garden.json").garden.plot(1, 1).wet
    proc = run("--rows", "4", "--cols", "4")
    assert "kept as" in proc.stdout
    assert saving.load(tmp_path / "garden.json").garden.rows == 4
    assert len(list(tmp_path.glob("garden.previous-3x3*.json"))) == 1
