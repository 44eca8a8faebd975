"""The training generator's phrasings for the recogniser's language model: `python -m training.speech_sentences`.

Writes garden/speech/training-sentences.txt, one sentence a line: every utterance of CASES
conversations from the generator's train split, in spoken form (lowercase words, numbers as words,
misheard forms written as the words said). PocketSphinx's language model (garden.speech.recognisers)
learns them alongside the sentences of its own command grammar, so it expects the many ways the
model was taught to phrase commands: on 100 held-out test commands they cut word errors from 16.2%
to 14.3% (sentences exact 33% -> 39%). Train split only, so the held-out phrasings of the test split
(which the voice bench speaks) stay out.

The game reads the file and never imports training/; tests/test_speech.py fails when the file is
not what this writes, so run this after changing the generator (training/generate.py and its parts)
or garden/language.py.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from garden.speech import corpus, vocab
from training import generate

CASES = 20000  # generator conversations; their history's utterances come too
SEED = 11


def sentences(cases: int = CASES, seed: int = SEED) -> list[str]:
    """Each utterance of `cases` train-split conversations (history first), as a recogniser writes it."""
    out = []
    for case in generate.generate("train", cases, seed):
        for utterance in [past["utterance"] for past in case.get("history", [])] + [case["utterance"]]:
            spoken = vocab.spoken_form(utterance)
            if spoken:
                out.append(vocab.unmishear(spoken))
    return out


def text(cases: int = CASES, seed: int = SEED) -> str:
    return "".join(sentence + "\n" for sentence in sentences(cases, seed))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.speech_sentences", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(corpus.TRAINING_SENTENCES), help="where to write (default: %(default)s)")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.write_text(text(), encoding="utf-8")
    print(f"wrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
