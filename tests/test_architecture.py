"""The shape of the code, read from the source (ast; nothing is imported).

- Imports between `allocator` modules flow one way, down the pipeline's layers (LAYERS, lowest first): a
  module may import its own layer or a lower one, never a higher one; and no modules import each other in
  a cycle. Every import counts, at module top or inside a function, as does `importlib.import_module("...")`
  with a literal name: a lazy import still ties the two modules together.
- `allocator/__init__.py` is the public face: it may import `allocator.api` only, and only lazily (inside
  a function such as a module `__getattr__`), so that `import allocator` stays fast. Importing the package
  `allocator` itself therefore counts as importing `allocator.api`.
- `solvers/` sits beside `allocator/`, below all of it: it never imports `allocator`.
- No module over MAX_MODULE_LINES lines and no function over MAX_FUNCTION_LINES lines (from its `def` to
  its last line, decorators aside) in allocator/ and solvers/.

A new stage (history/, tracking/, report/, web/) gets its place in LAYERS when it lands: until then its
imports fail here as "not in any layer".
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CHECKED_PACKAGES = ("allocator", "solvers")

# Lowest first. A module belongs to the first entry that is its name or a dotted prefix of it.
LAYERS = (
    "allocator.errors",
    "allocator.scenario",
    "allocator.io",
    "allocator.history",
    "allocator.model",
    "allocator.plan",
    "allocator.solving",
    "allocator.analysis",
    "allocator.whatif",
    "allocator.tracking",
    "allocator.review",
    "allocator.api",
    "allocator.web",
    "allocator.cli",
)
# Modules outside the stage subpackages, placed in the layer they act in.
PLACED = {
    "allocator": "allocator.api",  # the package's public face re-exports the API
    "allocator.__main__": "allocator.cli",  # `python -m allocator` runs the CLI
}
PUBLIC_FACE = "allocator"
FACE_MAY_IMPORT = "allocator.api"

MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 80


@dataclass(frozen=True)
class Import:
    """One import of a package module: which module, of what, where, and whether it runs only on demand."""

    source: str
    target: str
    path: str
    line: int
    lazy: bool

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.source} imports {self.target}"


def module_name(path: Path, root: Path) -> str:
    """Dotted module name of a .py file under `root` (a package's __init__.py is the package)."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules_of(root: Path, package: str) -> dict[str, Path]:
    """Every module of `package` (a folder under `root`) by dotted name."""
    return {module_name(path, root): path for path in sorted((root / package).rglob("*.py"))}


def _resolve(node: ast.ImportFrom, source: str, is_package: bool) -> str:
    """The absolute module name an ImportFrom names (relative imports resolved against `source`)."""
    if not node.level:
        return node.module or ""
    base = source.split(".") if is_package else source.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _lazy_nodes(tree: ast.Module) -> set[int]:
    """ids of the nodes that run only on demand: inside a function, or under `if TYPE_CHECKING:`."""
    lazy: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            body = list(ast.walk(node))[1:]
        elif isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            body = [inner for statement in node.body for inner in ast.walk(statement)]
        else:
            continue
        lazy.update(id(inner) for inner in body)
    return lazy


def imports_in(path: Path, root: Path, package: str, modules: dict[str, Path]) -> list[Import]:
    """The imports of `package` modules (named in `modules`) that the file at `path` under `root` makes."""
    source = module_name(path, root)
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    lazy = _lazy_nodes(tree)
    is_package = path.name == "__init__.py"
    found: list[Import] = []

    def add(target: str, node: ast.AST) -> None:
        if target == package or target.startswith(package + "."):
            entry = Import(source, target, path.relative_to(root).as_posix(), node.lineno, id(node) in lazy)
            if entry not in found:  # `from m import a, b` is one import of m
                found.append(entry)

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name, node)
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(node, source, is_package)
            for alias in node.names:
                # `from allocator.plan import tables` imports the module allocator.plan.tables
                submodule = f"{base}.{alias.name}"
                add(submodule if submodule in modules else base, node)
        elif (isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None))
              == "import_module" and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)):
            add(node.args[0].value, node)
    return sorted(found, key=lambda entry: (entry.line, entry.target))


def package_imports(root: Path, package: str) -> list[Import]:
    """Every import of a `package` module by a `package` module, in file and line order."""
    modules = modules_of(root, package)
    return [found for path in modules.values() for found in imports_in(path, root, package, modules)]


def layer_of(module: str) -> int | None:
    """Index of the module's layer in LAYERS (None: in no layer)."""
    module = PLACED.get(module, module)
    for index, layer in enumerate(LAYERS):
        if module == layer or module.startswith(layer + "."):
            return index
    return None


def layering_violations(imports: list[Import]) -> list[str]:
    """One line per import that goes up a layer, leaves the layers, or breaks the public face's rule."""
    problems = []
    for found in imports:
        if found.source == PUBLIC_FACE:
            if found.target != FACE_MAY_IMPORT and not found.target.startswith(FACE_MAY_IMPORT + "."):
                problems.append(f"{found}: allocator/__init__.py may import {FACE_MAY_IMPORT} only")
            elif not found.lazy:
                problems.append(f"{found} at import time: import it lazily (inside __getattr__)")
            continue
        source, target = layer_of(found.source), layer_of(found.target)
        if source is None or target is None:
            outside = found.source if source is None else found.target
            problems.append(f"{found}: {outside} is in no layer (add it to LAYERS in {Path(__file__).name})")
        elif target > source:
            problems.append(f"{found}: upward, from layer {LAYERS[source]} to {LAYERS[target]}")
    return problems


def import_cycles(imports: list[Import]) -> list[list[str]]:
    """The groups of modules that import each other in a cycle (strongly connected components of two or
    more), each sorted, found with Tarjan's algorithm."""
    graph: dict[str, set[str]] = {}
    for found in imports:
        graph.setdefault(found.source, set()).add(found.target)
        graph.setdefault(found.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(graph[node]):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(groups)


def cycle_report(imports: list[Import]) -> list[str]:
    """Each cycle, followed by the imports between its modules (one per line)."""
    report = []
    for group in import_cycles(imports):
        inside = [f"    {found}" for found in imports
                  if found.source in group and found.target in group and found.source != found.target]
        report.append("\n".join(["between " + ", ".join(group) + ":", *inside]))
    return report


def size_violations(root: Path, packages: tuple[str, ...]) -> list[str]:
    """One line per module over MAX_MODULE_LINES and per function over MAX_FUNCTION_LINES."""
    problems = []
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            shown = path.relative_to(root)
            text = path.read_text(encoding="utf-8")
            lines = len(text.splitlines())
            if lines > MAX_MODULE_LINES:
                problems.append(f"{shown}: module is {lines} lines (at most {MAX_MODULE_LINES})")
            for name, node in _functions(ast.parse(text)):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    problems.append(f"{shown}:{node.lineno}: {name} is {length} lines (at most {MAX_FUNCTION_LINES})")
    return problems


def _functions(tree: ast.AST, prefix: str = ""):
    """(qualified name, node) of every function and method, nested ones included."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield prefix + node.name, node
            yield from _functions(node, f"{prefix}{node.name}.")
        elif isinstance(node, ast.ClassDef):
            yield from _functions(node, f"{prefix}{node.name}.")
        else:
            yield from _functions(node, prefix)


def _fail_listing(title: str, problems: list[str]) -> None:
    if problems:
        pytest.fail(f"{title} ({len(problems)}):\n" + "\n".join(problems), pytrace=False)


# --- the checks on this repository -------------------------------------------------------------------------------


def test_no_import_cycles():
    _fail_listing("import cycles among allocator modules", cycle_report(package_imports(REPO, "allocator")))


def test_imports_flow_down_the_layers():
    _fail_listing("imports against the layering (lowest first: " + " < ".join(LAYERS) + ")",
                  layering_violations(package_imports(REPO, "allocator")))


def test_solvers_never_import_allocator():
    allocator_modules = modules_of(REPO, "allocator")
    found = [str(i) for path in modules_of(REPO, "solvers").values()
             for i in imports_in(path, REPO, "allocator", allocator_modules)]
    _fail_listing("solvers/ importing allocator (backends never see scenario concepts)", found)


def test_modules_and_functions_are_short():
    _fail_listing("modules and functions too long", size_violations(REPO, CHECKED_PACKAGES))


def test_every_module_is_seen():
    """The walk finds the modules the layering speaks of (a broken walk would make every check pass)."""
    names = set(modules_of(REPO, "allocator"))
    assert {"allocator", "allocator.errors", "allocator.scenario.loader", "allocator.cli"} <= names
    assert len(package_imports(REPO, "allocator")) > 50


# --- the checks themselves, on a made-up package -----------------------------------------------------------------


def _write_package(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_checks_find_an_upward_import_a_cycle_and_a_stray_face_import(tmp_path):
    _write_package(tmp_path, {
        "allocator/__init__.py": "from allocator.api import solve\n"
                                 "def __getattr__(name):\n    from allocator import api\n    return api\n",
        "allocator/api.py": "from allocator.solving import pipeline\n",
        "allocator/errors.py": "",
        "allocator/solving/__init__.py": "",
        "allocator/solving/pipeline.py": "from allocator.plan.tables import make_plan\n",
        "allocator/plan/__init__.py": "",
        "allocator/plan/tables.py": "def f():\n    from . import prices\n",
        "allocator/plan/prices.py": "import allocator.plan.tables\nfrom ..errors import X\n",
        # upward twice: scenario -> model (lazily), scenario -> the public face
        "allocator/scenario/__init__.py": "",
        "allocator/scenario/schema.py": "import importlib\n"
                                        "def g():\n    return importlib.import_module('allocator.model.build')\n"
                                        "from allocator import load\n",
        "allocator/model/__init__.py": "",
        "allocator/model/build.py": "from allocator.scenario.schema import Scenario\n",
        "allocator/tui/log.py": "from allocator.errors import X\n",
    })
    imports = package_imports(tmp_path, "allocator")
    relative = [i for i in imports if i.source == "allocator.plan.prices" and i.target == "allocator.errors"]
    assert len(relative) == 1 and not relative[0].lazy
    assert import_cycles(imports) == [
        ["allocator.model.build", "allocator.scenario.schema"],
        ["allocator.plan.prices", "allocator.plan.tables"],
    ]
    problems = layering_violations(imports)
    assert problems == [
        "allocator/__init__.py:1: allocator imports allocator.api at import time: import it lazily "
        "(inside __getattr__)",
        "allocator/scenario/schema.py:3: allocator.scenario.schema imports allocator.model.build: upward, from "
        "layer allocator.scenario to allocator.model",
        "allocator/scenario/schema.py:4: allocator.scenario.schema imports allocator: upward, from layer "
        "allocator.scenario to allocator.api",
        "allocator/tui/log.py:1: allocator.tui.log imports allocator.errors: allocator.tui.log is in "
        "no layer (add it to LAYERS in test_architecture.py)",
    ]


def test_checks_measure_modules_and_functions(tmp_path):
    lines = [f"x{i} = {i}\n" for i in range(MAX_FUNCTION_LINES - 1)]  # with its def line: the limit
    _write_package(tmp_path, {
        "allocator/ok.py": "def fits():\n" + "".join("    " + line for line in lines),
        "allocator/long.py": "class C:\n    def method(self):\n" + "".join("        " + line for line in lines)
                             + "        return 1\n",
        "solvers/big.py": "x = 1\n" * (MAX_MODULE_LINES + 1),
    })
    assert size_violations(tmp_path, CHECKED_PACKAGES) == [
        f"allocator/long.py:2: C.method is {MAX_FUNCTION_LINES + 1} lines (at most {MAX_FUNCTION_LINES})",
        f"solvers/big.py: module is {MAX_MODULE_LINES + 1} lines (at most {MAX_MODULE_LINES})",
    ]
