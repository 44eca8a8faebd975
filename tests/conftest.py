import os

import pytest

# Headless everywhere: no window, no sound card needed.
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")


@pytest.fixture(scope="session", autouse=True)
def _private_data_dir_for_shared_fixtures(tmp_path_factory):
    """Module- and session-wide fixtures are built before any test's own data folder is set: they
    get an empty one too, never the player's (a PocketSphinx recogniser built there restored the
    microphone estimate someone's `garden say` had saved, and heard the speech tests differently)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GARDEN_DATA_DIR", str(tmp_path_factory.mktemp("shared-data")))
        yield


@pytest.fixture(autouse=True)
def _private_data_dir(tmp_path, monkeypatch):
    """Tests never touch the player's real save."""
    monkeypatch.setenv("GARDEN_DATA_DIR", str(tmp_path / "data"))
