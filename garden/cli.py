"""The `garden` command: play, console, prompt, eval, train, bench, say, models."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from garden import tools
from garden.options import grid, grid_options, interpreter_factory, model_options

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CASES = REPO_ROOT / "training" / "data" / "test.jsonl"


def _fail(message: str, code: int = 2) -> int:
    print(f"garden: {message}", file=sys.stderr)
    return code


class LazyInterpreter:
    """Loads the model on the first natural-language command, so /call-only sessions start instantly."""

    description = "model loads on first use"

    def __init__(self, load):
        self._load, self._real = load, None

    def interpret(self, utterance, garden, history):
        if self._real is None:
            self._real = self._load()
            self.description = self._real.description
        return self._real.interpret(utterance, garden, history)


def _new_session(args, use_save: bool):
    from garden.engine import Garden
    from garden.engine import save as saving
    from garden.session import Session

    rows, cols = grid(args)
    problem = tools.check_grid_size(rows, cols)
    if problem:
        raise SystemExit(_fail(problem))
    note = None
    if use_save:
        loaded = saving.load(rows=rows, cols=cols)
        garden, note = loaded.garden, loaded.note
        asked = (args.rows or garden.rows, args.cols or garden.cols)
        if asked != (garden.rows, garden.cols):
            # A different size was asked for: keep the saved garden aside rather than overwrite it.
            kept = saving.keep_aside(f"previous-{garden.rows}x{garden.cols}")
            garden = Garden(rows=asked[0], cols=asked[1])
            note = f"Started a fresh {asked[0]}x{asked[1]} garden; your saved {loaded.garden.rows}x{loaded.garden.cols} garden is kept as {kept}."
    else:
        garden = Garden(rows=rows, cols=cols)
    session = Session(garden, autosave=use_save)
    return session, note


# --- commands ----------------------------------------------------------------------------------

def _adapter_problem(args) -> str | None:
    """A bad --adapter is said before a window opens or a model loads."""
    if args.no_adapter or args.adapter == "default":
        return None
    from garden.brain.adapters import problem

    found = problem(args.adapter)
    return f"--adapter: {found}" if found else None


def cmd_play(args) -> int:
    if _adapter_problem(args):
        return _fail(_adapter_problem(args))
    if args.headless:
        os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
        os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    session, note = _new_session(args, use_save=not args.headless and not args.fresh)
    if note:
        print(note)
    load = None if args.no_model else interpreter_factory(args)
    from garden import ui

    hooks = {}
    if args.voice != "off":
        try:
            from garden.voice_game import game_hooks

            hooks = game_hooks(session, args)
        except ImportError:
            session.voice.message = "voice is not available in this build"
    return ui.play(session, headless=args.headless, script=args.script, screenshot=args.screenshot,
                   load_interpreter=load, max_seconds=args.max_seconds, **hooks)


def cmd_console(args) -> int:
    if _adapter_problem(args):
        return _fail(_adapter_problem(args))
    session, note = _new_session(args, use_save=args.save)
    if not args.no_model:
        session.interpreter = LazyInterpreter(interpreter_factory(args))
    if args.json:
        for line in sys.stdin:
            if not line.strip():
                continue
            turn = _safe_handle(session, line)
            print(json.dumps({**turn.to_dict(), "board": session.garden.summary()}), flush=True)
        return 0
    if note:
        print(note)
    from garden.session import board_text

    print("garden console - type a command, /help for help, Ctrl-D to quit.")
    try:
        import readline  # noqa: F401  (line editing and up/down history)
    except ImportError:
        pass
    while True:
        try:
            line = input("garden> ")
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        turn = _safe_handle(session, line)
        print("\n".join(turn.lines()))
        print(board_text(session.garden))


def _safe_handle(session, line: str):
    """A model that fails to load is a message in the console, not a traceback."""
    from garden.brain.models import ModelError
    from garden.session import Turn

    try:
        return session.handle(line)
    except ModelError as exc:
        session.interpreter = None
        session.interpreter_note = str(exc)
        return Turn(input=line.strip(), source="typed", error=str(exc))


def cmd_prompt(args) -> int:
    from garden.brain import format as fg
    from garden.brain import prompt as garden_prompt

    if args.messages or args.tools:
        try:
            messages = json.loads(Path(args.messages).read_text()) if args.messages else []
            tool_list = json.loads(Path(args.tools).read_text()) if args.tools else None
        except (OSError, json.JSONDecodeError) as exc:
            return _fail(f"could not read JSON: {exc}")
        if isinstance(messages, dict):  # accept {"messages": [...], "tools": [...]} too
            tool_list = tool_list or messages.get("tools")
            messages = messages.get("messages", [])
        sys.stdout.write(fg.render(messages, tool_list, add_generation_prompt=args.generation_prompt))
        return 0
    from garden.brain import adapters
    from garden.brain.models import DEFAULT_ADAPTER

    form = args.plot_form or adapters.plot_form(DEFAULT_ADAPTER if not adapters.problem(DEFAULT_ADAPTER) else None)
    text = garden_prompt.render_prompt(*grid(args), [], args.utterance, form=form)
    sys.stdout.write(text)
    return 0


def cmd_eval(args) -> int:
    from garden.brain.evaluate import run_eval
    from garden.brain.models import ModelError

    try:
        return run_eval(args)
    except ModelError as exc:
        return _fail(str(exc))


def cmd_train(args) -> int:
    # training/ imports garden, never the reverse; this command is the one door into it.
    try:
        from training import retrain
    except ImportError:
        return _fail("the training code is not importable; run from a checkout of the repository (training/ folder).")
    return retrain.main(args.train_args)


def cmd_bench(args) -> int:
    if args.what == "voice":
        from garden.voice_bench import main as voice_bench

        return voice_bench(args)
    from garden.bench import main as bench

    return bench(args)


def cmd_say(args) -> int:
    from garden.say import main as say

    return say(args)


def cmd_models(args) -> int:
    from garden.brain import models

    if args.action == "prepare":
        try:
            print(models.convert_embedded(progress=True))
        except models.ModelError as exc:
            return _fail(str(exc))
        return 0
    if args.action == "fetch":
        if args.name != "vosk":
            return _fail("only `garden models fetch vosk` downloads anything; the embedded model ships with garden.")
        from garden.speech.fetch import fetch_vosk, fetch_vosk_if_online

        return fetch_vosk_if_online() if args.if_online else fetch_vosk()
    ready = (models.embedded_dir() / "garden-base.json").exists()
    print(f"base gemma3-270m (embedded): {'ready at ' + str(models.embedded_dir()) if ready else 'not prepared yet (first use converts it, ~1 min)'}")
    print(f"base functiongemma: {models.FUNCTIONGEMMA_HUB_ID} from Hugging Face (needs network and the Gemma licence)")
    adapter = models.DEFAULT_ADAPTER
    if (adapter / "adapter_config.json").exists():
        print(f"adapter: {adapter} (trained on {models.adapter_base_id(adapter) or 'unknown base'})")
    else:
        print(f"adapter: none at {adapter} (the model runs zero-shot; `garden train` makes one)")
    from garden.brain import adapters, llamacpp

    if not adapters.problem(adapters.previous_of(adapter)):
        print(f"previous adapter: {adapters.previous_of(adapter)} (`garden train --rollback` puts it back)")
    if llamacpp.available():
        print("runtime: llama.cpp (llama-cpp-python) for the fast path; PyTorch for training and --mode plain")
    else:
        print("runtime: PyTorch (llama-cpp-python is not installed; scripts/setup.sh builds it for a faster game)")
    return 0


# --- parser ------------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="garden", description="Grow a small garden by talking to it.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("play", help="open the game window")
    grid_options(p)
    model_options(p)
    p.add_argument("--headless", action="store_true", help="no window (SDL dummy driver); for tests and demos")
    p.add_argument("--script", help="run the lines of this file as console input")
    p.add_argument("--screenshot", help="write the final frame to this PNG")
    p.add_argument("--fresh", action="store_true", help="start a fresh garden instead of loading the save")
    p.add_argument("--no-model", action="store_true", help="do not load the language model (/call only)")
    p.add_argument("--max-seconds", type=float, default=None, help="quit after this many seconds")
    p.add_argument("--voice", default="auto", choices=["auto", "vosk", "pocketsphinx", "off"], help="speech engine")
    p.add_argument("--vosk-model", help="folder of a Vosk model")
    p.add_argument("--input-device", help="microphone (name or index, see `python -m sounddevice`)")
    p.add_argument("--listen", action="store_true", help="hands-free: listen continuously, act at end of speech")
    p.add_argument("--open-vocabulary", action="store_true", help="do not restrict recognition to garden words")
    p.set_defaults(func=cmd_play)

    p = sub.add_parser("console", help="the debug console in the terminal")
    grid_options(p)
    model_options(p)
    p.add_argument("--json", action="store_true", help="read one command per stdin line, print one JSON object per line")
    p.add_argument("--save", action="store_true", help="load and autosave your saved garden")
    p.add_argument("--no-model", action="store_true", help="do not load the language model (/call only)")
    p.set_defaults(func=cmd_console)

    p = sub.add_parser("prompt", help="print the rendered FunctionGemma prompt")
    grid_options(p)
    p.add_argument("--messages", help="Hugging Face messages JSON (a list, or {messages, tools})")
    p.add_argument("--tools", help="Hugging Face tools JSON")
    p.add_argument("--generation-prompt", action="store_true", help="append the open model turn")
    p.add_argument("--utterance", default="plant sunflowers in the top row and water them")
    p.add_argument("--plot-form", choices=tools.PLOT_FORMS,
                   help="how the prompt writes a plot (default: as the installed adapter learnt)")
    p.set_defaults(func=cmd_prompt)

    p = sub.add_parser("eval", help="exact-match accuracy on a cases file")
    model_options(p)
    p.add_argument("--cases", default=str(DEFAULT_CASES), help="JSONL cases (default: the test split)")
    p.add_argument("--json", action="store_true", help="last line: one JSON object with the scores")
    p.add_argument("--limit", type=int, default=None, help="only the first N cases")
    p.add_argument("--quiet", action="store_true", help="do not list failures")
    p.add_argument("--outcomes", metavar="FILE",
                   help="also write every case's outcome (JSONL: id, category, ok, utterance, expected, got, raw)")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("train", help="teach the garden adapter what is new in training/data (see the README's Retrain section)", add_help=False)
    p.add_argument("train_args", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("bench", help="measure inference speed (or `bench voice`)")
    p.add_argument("what", nargs="?", default="model", choices=["model", "voice"])
    model_options(p)
    p.add_argument("--cases", default=str(DEFAULT_CASES))
    p.add_argument("--limit", type=int, default=None, help="only the first N cases")
    p.add_argument("--modes", default=None, help="comma-separated modes to run (voice: engines)")
    p.add_argument("--against", metavar="FOLDER", default=None,
                   help="also run every mode but plain with this adapter, in the same run (old against new)")
    p.add_argument("--json", action="store_true")
    voice = p.add_argument_group("voice")
    voice.add_argument("--conditions", default=None, help="comma-separated voices and noises (default: all)")
    voice.add_argument("--single-turn", action="store_true", help="only commands with no history")
    voice.add_argument("--no-prepare", action="store_true", help="no model work during speech (faster bench)")
    voice.add_argument("--failures", action="store_true", help="list the misheard and misunderstood commands")
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("say", help="recognise a WAV file and run it on a fresh board")
    p.add_argument("wav")
    grid_options(p)
    model_options(p)
    p.add_argument("--json", action="store_true")
    p.add_argument("--engine", choices=["vosk", "pocketsphinx"], default=None)
    p.add_argument("--vosk-model", help="folder of a Vosk model")
    p.add_argument("--open-vocabulary", action="store_true")
    p.set_defaults(func=cmd_say)

    p = sub.add_parser("models", help="list models; `models prepare`; `models fetch vosk`")
    p.add_argument("action", nargs="?", default="list", choices=["list", "prepare", "fetch"])
    p.add_argument("name", nargs="?")
    p.add_argument("--if-online", action="store_true",
                   help="fetch: only when no Vosk model is found and the network is there; never fails (`make play` runs it)")
    p.set_defaults(func=cmd_models)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["train"]:
        # argparse's REMAINDER drops options that come first (`garden train --steps 10` would be
        # "unrecognized arguments"), so training's own parser gets everything after the word.
        return cmd_train(argparse.Namespace(train_args=argv[1:]))
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 0
    try:
        return args.func(args) or 0
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
