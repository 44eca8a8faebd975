"""`garden say FILE.wav`: recognise a recording, interpret it and run it on a fresh board.

    garden say plant.wav                 # heard text, calls, results and the board
    garden say plant.wav --json          # ... and last, one line: {"text", "engine", "calls", "results"}
"""

from __future__ import annotations

import json
import sys
import time

from garden import tools
from garden.session import Session, board_text


def _fail(message: str, code: int = 2) -> int:
    print(f"garden: {message}", file=sys.stderr)
    return code


def main(args) -> int:
    from garden.speech.audio import BYTES_PER_SECOND, AudioError, read_wav
    from garden.speech.recognisers import RecogniserError, open_recogniser
    from garden.speech.whisper import steady_in_noise

    args.rows, args.cols = args.rows or tools.DEFAULT_ROWS, args.cols or tools.DEFAULT_COLS
    problem = tools.check_grid_size(args.rows, args.cols)
    if problem:
        return _fail(problem)
    try:
        pcm = read_wav(args.wav)
    except AudioError as exc:
        return _fail(str(exc))
    try:
        recogniser = steady_in_noise(open_recogniser(args.engine, getattr(args, "vosk_model", None),
                                                     getattr(args, "open_vocabulary", False),
                                                     announce=lambda text: print(text, file=sys.stderr)))
    except RecogniserError as exc:
        return _fail(str(exc))
    if recogniser.note:
        print(f"note: {recogniser.note}", file=sys.stderr)
    t0 = time.perf_counter()
    text = recogniser.transcribe(pcm)
    recognise_ms = (time.perf_counter() - t0) * 1000
    print(f"heard ({recogniser.description}, {recognise_ms:.0f} ms for {len(pcm) / BYTES_PER_SECOND:.1f} s of audio): "
          f"{text or '(nothing)'}")
    calls, results = [], []
    if text:
        session, problem = _session(args)
        if problem:
            return _fail(problem)
        turn = session.handle(text, source="voice")
        calls, results = turn.calls, turn.results
        print("\n".join(turn.lines()))
        print(board_text(session.garden))
    if args.json:
        print(json.dumps({"text": text, "engine": recogniser.name, "calls": calls, "results": results}))
    return 0


def _session(args):
    """A fresh board of the asked size with the model loaded, or (None, why not)."""
    from garden.brain.models import ModelError
    from garden.engine import Garden
    from garden.options import interpreter_factory

    session = Session(Garden(rows=args.rows, cols=args.cols))
    try:
        session.interpreter = interpreter_factory(args)()
    except ModelError as exc:
        return None, str(exc)
    return session, None
