# The two commands of the README. Each creates .venv if needed.
.PHONY: play test setup setup-dev clean

play: setup
	.venv/bin/garden play

test: setup-dev
	.venv/bin/python -m pytest

setup:
	@scripts/setup.sh

setup-dev:
	@scripts/setup.sh --dev

clean:
	rm -rf .venv build *.egg-info
