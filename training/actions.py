"""Commands of the generated cases: a target and a seed turned into "plant roses in the top row" and the
calls it expects."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from garden import language, tools
from training.pools import (FILL_VERB, HARVEST, HARVEST_VERB, PLANT, PLANT_VERB, SEED_MANY, SEED_ONE, VERB_SLOTS,
                            WATER, WATER_VERB, WRAP, WRAP_VERBLESS)
from training.targets import Plots, Target, where
from training.wording import Say

TOOL_WEIGHTS = {"plant_seed": 0.45, "water_plots": 0.35, "harvest_plots": 0.20}


@dataclass
class Command:
    text: str
    calls: list[dict]
    verb_first: bool = True  # "could you <text>" reads well


def call(name: str, plots: Plots, seed: str | None = None) -> dict:
    arguments: dict = {"seed": seed} if seed is not None else {}
    arguments["plots"] = [{"row": r, "col": c} for r, c in plots]
    return {"name": name, "arguments": arguments}


def seed_words(say: Say, singular: str, plural: str, count: int, synonyms: tuple[str, ...] = (),
               after_seed_verb: bool = False) -> str:
    if count > 1 and synonyms and say.chance(0.15):
        return say.rng.choice(synonyms)
    # After the verb "seed", "seed a rose seed" would be clumsy.
    keep = (lambda t: "seed" not in t) if after_seed_verb else (lambda t: True)
    template = say.pick(SEED_ONE if count == 1 else SEED_MANY, keep)
    return say.fill(template, s=singular, p=plural, an=language.article(singular))


def seed_of(say: Say, kind: str, count: int, after_seed_verb: bool = False) -> str:
    return seed_words(say, *language.seed_names(kind), count, language.seed_synonyms(kind), after_seed_verb)


def frame_keep(target: Target, verb_first: bool) -> Callable[[str], bool]:
    """Frames a target can take: a pronoun cannot be a subject ('them could use a drink')."""
    def keep(frame: str) -> bool:
        if target.pronoun and frame.startswith("{np}"):
            return False
        return frame.startswith(VERB_SLOTS) or not verb_first
    return keep


def plant(say: Say, target: Target, kind: str, verb_first: bool = False, seed: str | None = None) -> Command:
    frame = say.pick(PLANT, frame_keep(target, verb_first))
    verb = say.pick(PLANT_VERB) if "{verb}" in frame else ""
    text = say.fill(frame, verb=verb, fill=lambda: say.pick(FILL_VERB), np=lambda: target.np,
                    where=lambda: where(say, target),
                    seed=seed or (lambda: seed_of(say, kind, len(target.plots), after_seed_verb=verb == "seed")))
    return Command(text, [call("plant_seed", target.plots, kind)], frame.startswith(VERB_SLOTS))


def water(say: Say, target: Target, verb_first: bool = False) -> Command:
    frame = say.pick(WATER, frame_keep(target, verb_first))
    text = say.fill(frame, verb=lambda: say.pick(WATER_VERB), np=target.np)
    return Command(text, [call("water_plots", target.plots)], frame.startswith(VERB_SLOTS))


def harvest(say: Say, target: Target, verb_first: bool = False) -> Command:
    frame = say.pick(HARVEST, frame_keep(target, verb_first))
    text = say.fill(frame, verb=lambda: say.pick(HARVEST_VERB), np=target.np)
    return Command(text, [call("harvest_plots", target.plots)], frame.startswith(VERB_SLOTS))


def some_tool(say: Say) -> str:
    return say.rng.choices(list(TOOL_WEIGHTS), weights=list(TOOL_WEIGHTS.values()))[0]


def some_seed(say: Say, other_than: str | None = None) -> str:
    return say.rng.choice([s for s in tools.SEEDS if s != other_than] or list(tools.SEEDS))


def act(say: Say, tool: str, target: Target, verb_first: bool = False, kind: str | None = None) -> Command:
    if tool == "plant_seed":
        return plant(say, target, kind or some_seed(say), verb_first)
    return (water if tool == "water_plots" else harvest)(say, target, verb_first)


def wrap(say: Say, cmd: Command) -> str:
    return say.fill(say.pick(WRAP if cmd.verb_first else WRAP_VERBLESS), cmd=cmd.text)
