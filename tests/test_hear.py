"""training.hear: train-split commands as PocketSphinx hears espeak-ng speak them."""

import os
import re
import shutil

import pytest

from garden.brain.cases import load_cases
from training import generate as gen
from training import hear
from training.phrasings import leaks


@pytest.mark.parametrize("said, heard", [
    ("fill the bottom row with tulips please", "the bottom row with tulips please"),  # "fill" lost: tulips say plant
    ("would you reap whatever is growing in the tile numbered one", "would you reap whatever is growing in the tile numbered ones"),
    ("okay so i'd like tulip bulbs in columns one and three", "okay so i'd like tulip bulbs in column one and three"),
    ("harvest the final row and the far left column", "collect the final row and the far left column"),
    ("start tulip seeds in bed five and bed three", "start tulip seeds in spots five and bed three"),  # still plots
    ("now give the diagonal from top right to bottom left some water", "will you the diagonal from top right to bottom left some water"),
])
def test_a_hearing_that_keeps_the_meaning_is_kept(said, heard):
    assert hear.meaning_kept(said, heard)


@pytest.mark.parametrize("said, heard", [
    ("give the bed in the bottom left corner a drink", "give the bed in the bottom left corner and eight"),  # a plot added
    ("water plot nine", "water plot five"),
    ("can you plant roses in all the spots but the far right column", "can you plant all then in all the spots but the top column"),
    ("um start tulips in the middle uh column", "uh start tulips in the middle top column"),  # a place added
    ("ok wet all the plants", "ok collect all the plants"),  # another action
    ("harvest the left middle plot", "on the left middle plot"),  # the action lost
    ("whatever is ready needs water", "would you lilies at the will you"),  # mostly noise
    ("now give the sprouts a drink", "now give those plots a drink"),  # what grows there lost
    ("same thing for the left column", "the thing for the left column"),  # no longer a follow-up
])
def test_a_hearing_that_changes_or_loses_the_meaning_is_left_out(said, heard):
    assert not hear.meaning_kept(said, heard)


def test_the_committed_hearings_keep_their_meaning_and_no_held_out_phrasing():
    cases = [c for c in gen.handwritten() if c["id"].startswith("heard-")]
    assert len(cases) >= 200
    for case in cases:
        assert case["utterance"] != case["said"]
        assert hear.meaning_kept(case["said"], case["utterance"]), case
        assert not leaks(case["utterance"]), case


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
def test_the_command_line_speaks_hears_and_writes_loadable_cases(tmp_path, capsys):
    out = tmp_path / "heard.jsonl"
    assert hear.main(["--cases", "12", "--seed", "3", "--workers", "1", "--out", str(out)]) == 0
    summary = capsys.readouterr().out
    assert "commands spoken" in summary and str(out) in summary
    cases = load_cases(out)  # the header comment is skipped; every line is a valid case
    assert all(c["utterance"] != c["said"] and hear.meaning_kept(c["said"], c["utterance"]) for c in cases)
    spoken = int(re.match(r"(\d+) commands spoken", summary).group(1))
    counts = [int(n) for n in re.findall(r" (\d+)(?=,| ->)", summary.split(": ", 1)[1])]
    assert 0 < spoken <= 12 and sum(counts) == spoken and len(cases) in counts


@pytest.mark.slow
def test_speech_that_cannot_be_made_is_one_clear_error(tmp_path, capsys, monkeypatch):
    fake = tmp_path / "bin" / "espeak-ng"  # an espeak-ng that fails, found first by the worker processes too
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'no audio device' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    out = tmp_path / "heard.jsonl"
    assert hear.main(["--cases", "3", "--seed", "3", "--workers", "1", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "error: espeak-ng failed: no audio device" in err and "Traceback" not in err
    assert not out.exists()
