"""The layering of the code base (README "Architecture"), checked from every module's imports.

Three layers, each importing only from the ones below it:

* core: everything under `lagrum/` except `lagrum/app/` (documents, text rules, legal structure,
  embedders, stores, retrieval, answers);
* `ingest/`: loaders, formats, chunking, the pipeline, sync; imports the core;
* composition: `lagrum/app/` (service facade, CLI, eval runner, client) and `api/`; imports the
  core and ingest, and each other.

And no import cycles among the project's modules, counting imports inside functions.

Imports are read with `ast` from the source, never by importing it: `import x.y`, `from x import
y` (a submodule `x.y` when one exists, else `x`) and relative imports, at module level, inside
functions and classes, and inside `if TYPE_CHECKING:` blocks. A `TYPE_CHECKING` import obeys the
layer rules (naming an upper layer's type is a dependency on that layer) but may close a cycle:
it never runs, so it cannot make two modules wait on each other at import time. Imports by a
computed string (`importlib.import_module(f"ingest.formats.{name}")`, `__import__`) are not
seen; the two plugin registries that use them (the CLI's subcommand modules, the native
formats) are described in README "Architecture".
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("lagrum", "ingest", "api")
# What each layer must not import (by module-name prefix).
FORBIDDEN = {
    "core": ("ingest", "api", "lagrum.app"),
    "ingest": ("api", "lagrum.app"),
    "composition": (),
}


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the project module imported
    line: int
    type_checking: bool = False

    def __str__(self) -> str:
        where = " (under TYPE_CHECKING)" if self.type_checking else ""
        return f"{self.source} imports {self.target} (line {self.line}){where}"


def project_modules(root: Path) -> dict[str, Path]:
    """Every module of the project packages under `root` by dotted name (a package by its own name)."""
    modules: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join(parts)] = path
    return modules


def layer_of(module: str) -> str:
    if module == "lagrum.app" or module.startswith("lagrum.app.") or module == "api" or module.startswith("api."):
        return "composition"
    if module == "ingest" or module.startswith("ingest."):
        return "ingest"
    return "core"


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The longest prefix of dotted `name` that is a project module."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in modules:
            return candidate
    return None


def module_imports(module: str, path: Path, modules: dict[str, Path]) -> list[Import]:
    """The project modules `module` imports, wherever in the file the import statement is."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[Import] = []

    def visit(node: ast.AST, type_checking: bool) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                visit(child, True)
            for child in node.orelse:
                visit(child, type_checking)
            return
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [t for t in (_resolve(a.name, modules) for a in node.names) if t]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                target = f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else _resolve(base, modules)
                if target:
                    targets.append(target)
        for target in targets:
            imp = Import(module, target, node.lineno, type_checking)
            if target != module and imp not in found:  # `from x import a, b` is one import of x
                found.append(imp)
        for child in ast.iter_child_nodes(node):
            visit(child, type_checking)

    visit(tree, False)
    return found


def layer_violations(imports: list[Import]) -> list[Import]:
    """Imports of a layer above the importing module's own (TYPE_CHECKING ones too)."""
    bad = []
    for imp in imports:
        for prefix in FORBIDDEN[layer_of(imp.source)]:
            if imp.target == prefix or imp.target.startswith(prefix + "."):
                bad.append(imp)
                break
    return bad


def import_cycles(imports: list[Import]) -> list[list[Import]]:
    """One cycle (as the imports that close it) per strongly connected group of modules.

    TYPE_CHECKING imports are left out: they never run."""
    graph: dict[str, dict[str, Import]] = {}
    for imp in imports:
        if not imp.type_checking:
            graph.setdefault(imp.source, {}).setdefault(imp.target, imp)
    # Tarjan's strongly connected components, iteratively.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, {}))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, {})))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
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
    cycles = []
    for group in groups:
        members = set(group)
        # The shortest way back to the group's first module, by breadth-first search inside it.
        first = group[0]
        previous: dict[str, Import] = {}
        queue = [first]
        while queue and first not in previous:
            node = queue.pop(0)
            for child, imp in sorted(graph.get(node, {}).items()):
                if child in members and child not in previous:
                    previous[child] = imp
                    queue.append(child)
        path = [previous[first]]
        while path[-1].source != first:
            path.append(previous[path[-1].source])
        cycles.append(list(reversed(path)))
    return cycles


def check_layers(root: Path) -> tuple[list[Import], list[list[Import]]]:
    modules = project_modules(root)
    imports = [imp for name, path in modules.items() for imp in module_imports(name, path, modules)]
    return layer_violations(imports), import_cycles(imports)


def describe(violations: list[Import], cycles: list[list[Import]]) -> str:
    lines = [f"upward import: {v} ({layer_of(v.source)} must not import {layer_of(v.target)})" for v in violations]
    for cycle in cycles:
        chain = " -> ".join([cycle[0].source] + [f"{imp.target} (line {imp.line} of {imp.source})" for imp in cycle])
        lines.append(f"import cycle: {chain}")
    return "\n".join(lines)


def test_the_project_keeps_its_layers_and_has_no_import_cycles():
    modules = project_modules(ROOT)
    assert "lagrum.app.cli" in modules and "ingest.pipeline" in modules and "api.app" in modules
    violations, cycles = check_layers(ROOT)
    assert not violations and not cycles, (
        "the layering of README 'Architecture' is broken; move the shared code down into the core "
        "(or pass it in) instead of importing upwards or in a circle:\n" + describe(violations, cycles)
    )


def test_every_folder_of_modules_is_a_package():
    """`find_packages` (pyproject) ships only folders with an `__init__.py`; a folder without one
    would work from a checkout and be missing from the installed wheel (lagrum/app/ once was)."""
    folders = {path.parent for package in PACKAGES for path in (ROOT / package).rglob("*.py")}
    missing = sorted(str(f.relative_to(ROOT)) for f in folders if not (f / "__init__.py").exists())
    assert not missing, f"add an __init__.py (with a docstring saying what the package holds) to: {', '.join(missing)}"


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_the_checker_reports_upward_imports_and_cycles_in_a_made_up_tree(tmp_path):
    """A tiny made-up code base with every kind of fault, and the allowed imports next to them."""
    root = _tree(
        tmp_path,
        {
            "lagrum/__init__.py": "",
            # core -> ingest, hidden inside a function
            "lagrum/text.py": "def clean(s):\n    from ingest.cleaning import clean_text\n    return clean_text(s)\n",
            # core -> composition, under TYPE_CHECKING: still a layer violation
            "lagrum/typed.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from lagrum.app.service import Service\n",
            # a cycle, one side a relative import inside a function
            "lagrum/answer.py": "from lagrum.status import annotate\n",
            "lagrum/status.py": "def annotate():\n    from . import answer\n",
            # a cycle closed only under TYPE_CHECKING: allowed
            "lagrum/graph.py": "import lagrum.timeline\n",
            "lagrum/timeline.py": "import typing\nif typing.TYPE_CHECKING:\n    from lagrum.graph import Graph\n",
            "lagrum/app/__init__.py": "",
            "lagrum/app/service.py": "import ingest.cleaning\nfrom lagrum import text\n",
            "ingest/__init__.py": "",
            "ingest/cleaning.py": "from lagrum.text import clean\n",
            # ingest -> composition
            "ingest/pipeline.py": "from lagrum.app.service import Service\nimport json\n",
            "api/__init__.py": "",
            "api/app.py": "from lagrum.app.service import Service\nfrom ingest.pipeline import run\n",
        },
    )
    violations, cycles = check_layers(root)
    assert sorted(str(v) for v in violations) == [
        "ingest.pipeline imports lagrum.app.service (line 1)",
        "lagrum.text imports ingest.cleaning (line 2)",
        "lagrum.typed imports lagrum.app.service (line 3) (under TYPE_CHECKING)",
    ]
    cycle_members = sorted(sorted({imp.source for imp in cycle}) for cycle in cycles)
    assert cycle_members == [
        ["ingest.cleaning", "lagrum.text"],  # lagrum.text -> ingest.cleaning -> lagrum.text
        ["lagrum.answer", "lagrum.status"],
    ]
    report = describe(violations, cycles)
    assert "import cycle: lagrum.answer -> lagrum.status (line 1 of lagrum.answer) -> lagrum.answer (line 2 of lagrum.status)" in report
    assert "upward import: lagrum.text imports ingest.cleaning (line 2) (core must not import ingest)" in report
    assert "lagrum.graph" not in report  # its only way back is a TYPE_CHECKING import


def test_the_checker_fails_on_the_tree_before_the_layering(tmp_path):
    """The faults this layering removed, rebuilt in miniature: the answer layer quoting with ingest's
    sentence splitter, and the sync engine and its connectors importing each other."""
    root = _tree(
        tmp_path,
        {
            "lagrum/__init__.py": "",
            "lagrum/text.py": "from ingest.sentences import split_sentences\n",
            "ingest/__init__.py": "",
            "ingest/sentences.py": "import re\n",
            "ingest/sync/__init__.py": "",
            "ingest/sync/engine.py": "def connector_for(kind):\n    if kind == 'atom':\n        from ingest.sync.atom import sync_atom\n        return sync_atom\n",
            "ingest/sync/atom.py": "from ingest.sync.engine import EntrySync\n",
        },
    )
    violations, cycles = check_layers(root)
    assert [str(v) for v in violations] == ["lagrum.text imports ingest.sentences (line 1)"]
    assert [[str(imp) for imp in cycle] for cycle in cycles] == [
        ["ingest.sync.atom imports ingest.sync.engine (line 1)", "ingest.sync.engine imports ingest.sync.atom (line 3)"]
    ]
