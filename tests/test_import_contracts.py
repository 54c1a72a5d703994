"""The code's shape, checked: the import contracts in pyproject.toml hold, and what
import-linter cannot say is checked here on grimp's import graph (imports inside functions
counted) and on the source itself.

- no module imports another in a circle (import-linter only sees circles between packages);
- every product module sits in one layer of its app's contract, and the simulator's list of
  forbidden connections modules leaves out only its declared seams;
- no module imports a private (`_name`) function, class or constant of another;
- an import inside a function names a project module only with a comment saying why;
- no module is over 400 lines, but for the few still being split.
"""

import ast
import io
import subprocess
import sys
import tokenize
import tomllib
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ("accounts", "common", "connections", "envelopes", "ops")
PACKAGES = (*PRODUCT, "config", "simulator")
MAX_LINES = 400

# Being split: the lead empties this list as each module is split (a module that fits in
# MAX_LINES must leave it, so the list cannot go stale).
BEING_SPLIT: set[str] = set()

# What the simulator may use of the product (the "simulator-seams" contract forbids the rest).
SIMULATOR_SEAMS = {
    "connections.keys",
    "connections.models",
    "connections.fields",
    "connections.forms",
}


def contracts() -> dict[str, dict]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    return {contract["id"]: contract for contract in config["contracts"]}


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(*PACKAGES, cache_dir=None)


def source_files() -> list[Path]:
    return sorted(
        path
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts
    )


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def is_project(module: str) -> bool:
    return module.split(".")[0] in PACKAGES


# --- circles --------------------------------------------------------------------------------


def find_cycle(edges: dict[str, set[str]]) -> list[str]:
    """One import circle in `edges` (module -> modules it imports), or [] if there is none."""
    state: dict[str, int] = {}  # 1: on the path being walked, 2: done (no circle below)
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (loop := visit(nxt)):
                return loop
        stack.pop()
        state[node] = 2
        return []

    for node in sorted(edges):
        if node not in state and (loop := visit(node)):
            return loop
    return []


def test_the_import_contracts_hold():
    lint_imports = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run(  # noqa: S603  (our own venv's lint-imports, fixed arguments)
        [str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_module_imports_another_in_a_circle(graph):
    edges = {m: graph.find_modules_directly_imported_by(m) for m in graph.modules}
    assert find_cycle(edges) == []


def test_the_circle_finder_finds_circles_and_self_imports():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"a"}}) == ["a", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) == []


def test_grimp_counts_an_import_inside_a_function(tmp_path):
    package = tmp_path / "circled"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("import circled.b\n")
    (package / "b.py").write_text("def late():\n    import circled.a  # the circle\n")
    sys.path.insert(0, str(tmp_path))
    try:
        small = grimp.build_graph("circled", cache_dir=None)
    finally:
        sys.path.remove(str(tmp_path))
    edges = {m: small.find_modules_directly_imported_by(m) for m in small.modules}
    assert find_cycle(edges) == ["circled.a", "circled.b", "circled.a"]


# --- every module has its place ------------------------------------------------------------


def layer_entries(contract: dict) -> list[str]:
    return [
        name.strip().strip("()")
        for layer in contract["layers"]
        for part in layer.split("|")
        for name in part.split(":")
    ]


def covered_by(module: str, entries: list[str]) -> list[str]:
    return [e for e in entries if module == e or module.startswith(e + ".")]


@pytest.mark.parametrize("app", PRODUCT)
def test_every_module_of_an_app_sits_in_one_layer_of_its_contract(graph, app):
    entries = layer_entries(contracts()[app])
    unplaced, twice = [], []
    for module in sorted(graph.find_descendants(app)):
        if ".migrations" in module:
            continue
        if graph.find_children(module) and not graph.find_modules_directly_imported_by(module):
            continue  # a package whose __init__ imports nothing: its modules are placed
        places = covered_by(module, entries)
        if not places:
            unplaced.append(module)
        elif len(places) > 1:
            twice.append((module, places))
    assert unplaced == [], f"add these to a layer of the {app!r} contract in pyproject.toml"
    assert twice == []
    assert not [e for e in entries if e not in graph.modules], "a layer names a lost module"


def test_the_simulator_is_kept_from_every_connections_module_but_its_seams(graph):
    forbidden = contracts()["simulator-seams"]["forbidden_modules"]
    left_open = [
        module
        for module in sorted(graph.find_children("connections"))
        if module not in SIMULATOR_SEAMS and not covered_by(module, forbidden)
    ]
    assert left_open == [], "forbid these to the simulator, or declare them seams"
    assert not SIMULATOR_SEAMS & set(forbidden)


# --- private names, imports inside functions, module size ----------------------------------


def label(path: Path) -> str:
    return str(path.relative_to(ROOT))


def private_imports(text: str, where: str, modules: set[str]) -> list[str]:
    """`from x import _name`, or `x._name` on a project module `x`, in one file's text."""
    found = []
    tree = ast.parse(text)
    module_aliases: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.level or is_project(node.module or "")):
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    found.append(f"{where}:{node.lineno} imports {alias.name}")
                elif f"{node.module}.{alias.name}" in modules:
                    module_aliases.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            module_aliases |= {a.asname or a.name for a in node.names if is_project(a.name)}
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in module_aliases
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
        ):
            found.append(f"{where}:{node.lineno} uses {node.value.id}.{node.attr}")
    return found


def test_no_module_imports_a_private_name_of_another(graph):
    found = [
        line
        for path in source_files()
        for line in private_imports(path.read_text(), label(path), graph.modules)
    ]
    assert found == [], "give these a public name if they are shared, or keep them at home"


def test_the_private_name_check_sees_both_forms(graph):
    text = (
        "from envelopes.sending.create import _something\n"
        "from envelopes.tracking import drain\n"
        "from envelopes.models import Envelope\n"
        "drain._private()\n"
        "drain.__name__\n"
        "Envelope._meta\n"
    )
    assert private_imports(text, "probe.py", graph.modules) == [
        "probe.py:1 imports _something",
        "probe.py:4 uses drain._private",
    ]


def late_imports_without_a_reason(text: str, where: str) -> list[str]:
    """Imports of project modules inside functions with no comment on their lines
    (AppConfig.ready, where Django wants them, is exempt)."""
    commented = {
        token.start[0]
        for token in tokenize.generate_tokens(io.StringIO(text).readline)
        if token.type == tokenize.COMMENT
    }
    found = []
    for function in ast.walk(ast.parse(text)):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if function.name == "ready" and where.endswith("apps.py"):
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = ["." * node.level + (node.module or "")]
            else:
                continue
            if not any(is_project(name) or name.startswith(".") for name in names):
                continue
            lines = set(range(node.lineno, (node.end_lineno or node.lineno) + 1))
            if not lines & commented:
                found.append(f"{where}:{node.lineno} in {function.name}()")
    return found


def test_an_import_inside_a_function_says_why():
    found = [
        line
        for path in source_files()
        for line in late_imports_without_a_reason(path.read_text(), label(path))
    ]
    assert found == [], "move these to the top of the module, or say on the line why not"


def test_the_late_import_check_sees_one_without_a_comment():
    text = (
        "def a():\n    from envelopes import models\n\n"
        "def b():\n    from envelopes import models  # a circle: envelopes.models imports us\n\n"
        "def c():\n    import json\n\n"
        "class Config:\n    def ready(self):\n        from envelopes import signals\n"
    )
    assert late_imports_without_a_reason(text, "ops/views.py") == [
        "ops/views.py:2 in a()",
        "ops/views.py:12 in ready()",
    ]
    assert late_imports_without_a_reason(text, "ops/apps.py") == ["ops/apps.py:2 in a()"]


def test_no_module_is_over_400_lines():
    sizes = {label(path): len(path.read_text().splitlines()) for path in source_files()}
    too_long = {name: n for name, n in sizes.items() if n > MAX_LINES and name not in BEING_SPLIT}
    assert too_long == {}, f"split these modules (at most {MAX_LINES} lines)"
    split_already = sorted(name for name in BEING_SPLIT if sizes.get(name, 0) <= MAX_LINES)
    assert split_already == [], "these fit now: take them off BEING_SPLIT"
