"""Test doubles shared by several test modules (one definition each)."""

from garden.session import Interpretation


class RecordingInterpreter:
    """Stands in for the brain where a test is about what reaches it, not what it makes of it:
    keeps every utterance it is given, plants sunflowers in the top row for exactly that command
    (so a test can see the board change) and answers anything else with a short text."""

    description = "recorder"

    def __init__(self):
        self.heard = []

    def interpret(self, utterance, garden, history):
        self.heard.append(utterance)
        if utterance == "plant sunflowers in the top row":
            plots = [{"row": 1, "col": c} for c in range(1, garden.cols + 1)]
            return Interpretation([{"name": "plant_seed", "arguments": {"seed": "sunflower", "plots": plots}}])
        return Interpretation([], text="ok")
