# The README's commands. Each creates .venv if needed.
#   make play    the game (first, once, the Vosk speech model when the network is there)
#   make check   the tests that load no model (about a minute and a half on 2 cores): the edit-test loop
#   make test    every test (what CI runs): the slow ones load the real model and speak real audio
.PHONY: play check test setup setup-dev clean

# --if-online does nothing when a Vosk model is there and prints one line offline (at most a few
# seconds' wait); a failed fetch must still start the game, hence `|| true`.
play: setup
	@.venv/bin/garden models fetch vosk --if-online || true
	.venv/bin/garden play

check: setup-dev
	.venv/bin/python -m pytest -m "not slow"

test: setup-dev
	.venv/bin/python -m pytest

setup:
	@scripts/setup.sh

setup-dev:
	@scripts/setup.sh --dev

clean:
	rm -rf .venv build *.egg-info
