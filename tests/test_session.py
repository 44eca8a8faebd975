"""Session: taking changes back (/undo, "undo that", Ctrl+Z in the window is in test_ui)."""

from __future__ import annotations

import pytest

from garden.engine import save as saving
from garden.session import UNDO_KEPT, Interpretation, Session

PLANT = "/call call:plant_seed{plots:[{col:1,row:1},{col:2,row:1}],seed:<escape>rose<escape>}"
WATER = "/call call:water_plots{plots:[{col:1,row:1}]}"


class ScriptedInterpreter:
    """Stands in for the model (not what these tests check): answers each utterance with the
    calls it was given for it, and records what it was asked with which history."""

    def __init__(self, answers: dict[str, list[dict]]):
        self.answers, self.asked = answers, []

    def interpret(self, utterance, garden, history):
        self.asked.append((utterance, [h.utterance for h in history]))
        return Interpretation(calls=self.answers.get(utterance, []), text=None if utterance in self.answers else "?")


def plots(session: Session) -> list[list[str]]:
    return session.garden.board()


def test_undo_takes_back_the_last_change_and_then_the_one_before():
    session = Session()
    empty = plots(session)
    session.handle(PLANT)
    planted = plots(session)
    session.handle(WATER)
    assert plots(session) != planted
    turn = session.handle("/undo")
    assert plots(session) == planted and turn.reply == f"Undone: {WATER}"
    session.handle("/undo")
    assert plots(session) == empty
    assert session.handle("/undo").reply == "Nothing to undo."


def test_a_spoken_undo_does_not_reach_the_model_and_the_history_goes_back_too():
    rose = {"name": "plant_seed", "arguments": {"seed": "rose", "plots": [{"row": 3, "col": 1}]}}
    model = ScriptedInterpreter({"plant a rose in plot 7": [rose], "now water it": []})
    session = Session(interpreter=model)
    session.handle("plant a rose in plot 7", source="voice")
    assert plots(session)[2][0] == "rose seed"
    turn = session.handle("undo that", source="voice")
    assert turn.source == "voice" and turn.input == "undo that" and turn.reply == "Undone: plant a rose in plot 7"
    assert plots(session)[2][0] == "empty" and session.history == []
    session.handle("now water it")
    # The model was asked twice, and the follow-up no longer sees the command that was taken back.
    assert model.asked == [("plant a rose in plot 7", []), ("now water it", [])]


@pytest.mark.parametrize("said", ["undo", "Undo that.", "please undo", "oops undo it", "take that back",
                                  "undo the last command please"])
def test_ways_of_saying_undo(said):
    session = Session()
    session.handle(PLANT)
    session.handle(said)
    assert plots(session)[0][0] == "empty"


@pytest.mark.parametrize("said", ["undo the roses in row 1", "plant roses then undo", "can you undo planting"])
def test_commands_that_only_mention_undo_go_to_the_model(said):
    model = ScriptedInterpreter({})
    session = Session(interpreter=model)
    session.handle(PLANT)
    session.handle(said)
    assert model.asked == [(said, [PLANT])] and plots(session)[0][0] == "rose seed"


def test_reset_and_a_new_size_can_be_undone_with_score_and_basket():
    session = Session()
    session.garden.place(1, 1, "rose", "bloom")
    session.handle("/call call:harvest_plots{plots:[{col:1,row:1}]}")
    before = session.garden.to_dict()
    assert before["score"] > 0
    session.handle("/reset")
    assert session.garden.score == 0
    session.handle("/size 4 5")
    assert (session.garden.rows, session.garden.cols) == (4, 5)
    session.handle("/undo")
    assert (session.garden.rows, session.garden.cols) == (3, 3) and session.garden.score == 0
    session.handle("/undo")
    assert session.garden.to_dict() == before


def test_undo_saves_the_garden_it_goes_back_to(tmp_path):
    path = tmp_path / "garden.json"
    session = Session(save_path=path, autosave=True)
    session.handle(PLANT)
    session.handle(WATER)
    session.handle("/undo")
    assert saving.load(path).garden.board() == plots(session)
    assert plots(session)[0][0] == "rose seed"


def test_only_the_last_changes_are_kept():
    session = Session()
    for _ in range(UNDO_KEPT + 5):
        session.handle(WATER)
    for _ in range(UNDO_KEPT):
        assert session.handle("/undo").reply.startswith("Undone")
    assert session.handle("/undo").reply == "Nothing to undo."
    assert session.garden.plots[0][0].wet  # the five oldest waterings stay
