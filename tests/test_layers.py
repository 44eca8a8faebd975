"""The layers depend one way (STYLE.md): tools and engine <- brain, speech <- session <- ui <- the
commands (cli and the voice glue beside it); training/ uses garden/, never the reverse. Every
import in garden/ and training/ is read with ast, lazy ones inside functions too."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Lowest first. A module may import modules of its own group and of any lower layer; brain and
# speech share a layer but not a group, so neither imports the other.
LAYERS = [
    [("paths", ["garden.paths", "garden"])],
    [("tools", ["garden.tools", "garden.language", "garden.places"])],
    [("engine", ["garden.engine"])],
    [("brain", ["garden.brain"]), ("speech", ["garden.speech"])],
    [("session", ["garden.session", "garden.questions", "garden.repeats"])],
    [("ui", ["garden.ui"])],
    [("commands", ["garden.cli", "garden.options", "garden.say", "garden.voice_game", "garden.voice_bench",
                   "garden.bench"])],
    [("training", ["training"])],
]
# The one import that runs upwards, on purpose.
EXCEPTIONS = {("garden.cli", "training.retrain"): "`garden train` is the door into training/, imported when asked for"}


def place(module: str) -> tuple[int, str]:
    """(layer, group) of a module: the longest prefix named in LAYERS."""
    best = None
    for rank, groups in enumerate(LAYERS):
        for group, prefixes in groups:
            for prefix in prefixes:
                if (module == prefix or module.startswith(prefix + ".")) and (best is None or len(prefix) > best[0]):
                    best = (len(prefix), rank, group)
    assert best is not None, f"{module} belongs to no layer: add it to LAYERS in {__file__}"
    return best[1], best[2]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_module(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file() or path.is_dir()


def ours(name: str) -> bool:
    return name.split(".")[0] in ("garden", "training")


def imports(text: str, where: str) -> list[tuple[str, int]]:
    """(module imported, line) for every import of garden or training in a file's text."""
    found = []
    for node in ast.walk(ast.parse(text, where)):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names if ours(alias.name)]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and ours(node.module):
            for alias in node.names:  # `from garden import tools` imports the module garden.tools
                name = f"{node.module}.{alias.name}"
                found.append((name if is_module(name) else node.module, node.lineno))
        elif isinstance(node, ast.ImportFrom) and node.level:
            raise AssertionError(f"{where}:{node.lineno}: write imports absolute, as the rest of the code does")
    return found


def backwards_imports(files: dict[str, str]) -> list[str]:
    """"path:line who imports what" for each import against the layers; files: {path: source text}."""
    wrong = []
    for where, text in sorted(files.items()):
        source = module_name(ROOT / where)
        rank, group = place(source)
        for target, line in dict.fromkeys(imports(text, where)):
            target_rank, target_group = place(target)
            if target_rank < rank or target_group == group or (source, target) in EXCEPTIONS:
                continue
            wrong.append(f"{where}:{line} {source} ({group}) imports {target} ({target_group})")
    return wrong


def our_files() -> dict[str, str]:
    paths = [*ROOT.glob("garden/**/*.py"), *ROOT.glob("training/**/*.py")]
    return {str(p.relative_to(ROOT)): p.read_text(encoding="utf-8") for p in paths}


def test_no_import_runs_against_the_layers():
    assert backwards_imports(our_files()) == []


def test_the_layer_check_catches_an_import_from_a_higher_layer_even_inside_a_function():
    probe = {"garden/speech/probe.py": "def post():\n    from garden.ui.app import COMMAND\n",
             "garden/brain/probe.py": "from garden.speech import vocab\n",  # a peer, not a lower layer
             "garden/engine/probe.py": "import training.generate\n"}
    assert backwards_imports(probe) == [
        "garden/brain/probe.py:1 garden.brain.probe (brain) imports garden.speech.vocab (speech)",
        "garden/engine/probe.py:1 garden.engine.probe (engine) imports training.generate (training)",
        "garden/speech/probe.py:2 garden.speech.probe (speech) imports garden.ui.app (ui)"]


def test_every_module_belongs_to_a_layer():
    for where in our_files():
        place(module_name(ROOT / where))
