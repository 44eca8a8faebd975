"""`garden say FILE.wav`: recognise a recording, interpret it and run it on a fresh board.

    garden say plant.wav                 # heard text, calls, results and the board
    garden say plant.wav --json          # ... and last, one line: {"text", "engine", "calls", "results"}

Any sound file libsndfile reads (WAV of any layout, rate and channel count, FLAC, Ogg, MP3). A
recording with no speech in it is "heard nothing": text "" and no calls.
"""

from __future__ import annotations

import json
import sys
import time

from garden import tools
from garden.session import Session, board_text


# How much of a recording the recogniser hears, so that a minute of noise or a long file takes
# bounded time and never becomes a guessed command. Only the speech in it (endpoint.speech_span)
# is recognised, with AROUND_SPEECH_SECONDS either side for the unvoiced sounds that start and end
# words ("s", "p", "t"); a recording with no speech is "heard nothing" without asking the
# recogniser, which turns noise into words (PocketSphinx heard 5 s of white noise as "fill").
# Speech longer than MAX_SPEECH_SECONDS is refused rather than cut, since a cut command would be a
# different command; one takes seconds, and PocketSphinx needs about a tenth of the audio's length
# on two cores, a first command twice that (13 s for a minute of noise). Files longer than
# MAX_FILE_SECONDS are refused before they are decoded, so an hour of audio does not fill the memory.
AROUND_SPEECH_SECONDS = 0.5
MAX_SPEECH_SECONDS = 30.0
MAX_FILE_SECONDS = 600.0


def _fail(message: str, code: int = 2) -> int:
    print(f"garden: {message}", file=sys.stderr)
    return code


def main(args) -> int:
    from garden.speech.audio import AudioError, read_wav
    from garden.speech.recognisers import RecogniserError, open_recogniser
    from garden.speech.whisper import steady_in_noise

    args.rows, args.cols = args.rows or tools.DEFAULT_ROWS, args.cols or tools.DEFAULT_COLS
    problem = tools.check_grid_size(args.rows, args.cols)
    if problem:
        return _fail(problem)
    try:
        pcm = read_wav(args.wav, max_seconds=MAX_FILE_SECONDS)
    except AudioError as exc:
        return _fail(str(exc))
    speech, problem = find_speech(pcm, args.wav)
    if problem:
        return _fail(problem)
    try:
        recogniser = steady_in_noise(open_recogniser(args.engine, getattr(args, "vosk_model", None),
                                                     getattr(args, "open_vocabulary", False),
                                                     announce=lambda text: print(text, file=sys.stderr)))
    except RecogniserError as exc:
        return _fail(str(exc))
    if recogniser.note:
        print(f"note: {recogniser.note}", file=sys.stderr)
    if speech is None:
        text = ""
        print(f"heard nothing: {args.wav} holds no speech, only silence or noise.")
    else:
        text = _recognise(recogniser, speech, pcm)
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


def find_speech(pcm: bytes, path: str) -> tuple[bytes | None, str | None]:
    """(the part of the recording to recognise, None), (None, None) when it holds no speech, or
    (None, why it is refused)."""
    from garden.speech.audio import BYTES_PER_SECOND, RATE
    from garden.speech.endpoint import speech_span

    span = speech_span(pcm)
    if span is None:
        return None, None
    start = max(0.0, span[0] - AROUND_SPEECH_SECONDS)
    end = min(len(pcm) / BYTES_PER_SECOND, span[1] + AROUND_SPEECH_SECONDS)
    if end - start > MAX_SPEECH_SECONDS:
        return None, (f"{path} holds {end - start:.0f} s of speech, and garden say hears one command of up to "
                      f"{MAX_SPEECH_SECONDS:.0f} s; cut it out, e.g. `sox {path} command.wav trim {start:.1f} "
                      f"{MAX_SPEECH_SECONDS:.0f}`.")
    return pcm[2 * int(start * RATE):2 * int(end * RATE)], None


def _recognise(recogniser, speech: bytes, pcm: bytes) -> str:
    """The recogniser's text for the speech, printed with how long it took."""
    from garden.speech.audio import BYTES_PER_SECOND

    t0 = time.perf_counter()
    text = recogniser.transcribe(speech)
    recognise_ms = (time.perf_counter() - t0) * 1000
    seconds = f"{len(speech) / BYTES_PER_SECOND:.1f} s of audio"
    if len(speech) < len(pcm):
        seconds += f", the speech in {len(pcm) / BYTES_PER_SECOND:.1f} s"
    print(f"heard ({recogniser.description}, {recognise_ms:.0f} ms for {seconds}): {text or '(nothing)'}")
    return text


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
