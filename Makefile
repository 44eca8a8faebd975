# The README's commands. Each creates .venv if needed.
#   make play    the game
#   make check   the tests that load no model (about a minute and a half on 2 cores): the edit-test loop
#   make test    every test (what CI runs): the slow ones load the real model and speak real audio
.PHONY: play check test setup setup-dev clean

play: setup
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
