import os

import pytest

# Headless everywhere: no window, no sound card needed.
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")


@pytest.fixture(autouse=True)
def _private_data_dir(tmp_path, monkeypatch):
    """Tests never touch the player's real save."""
    monkeypatch.setenv("GARDEN_DATA_DIR", str(tmp_path / "data"))
