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


@pytest.fixture(autouse=True)
def _only_slow_tests_load_the_real_model(request, monkeypatch):
    """`make check` runs the tests not marked slow and must never wait for the real model: a test
    that loads it without the mark fails at once and says why."""
    if request.node.get_closest_marker("slow"):
        return
    from garden.brain import models

    def refuse(*args, **kwargs):
        raise AssertionError("this test loads the real model: mark it @pytest.mark.slow")

    for name in ("embedded_gguf", "convert_embedded", "load"):
        monkeypatch.setattr(models, name, refuse)
