"""medfr's modules import each other without circles.

A circle means two modules can only be understood (and changed) together; it
usually hides behind a function-level import that Python tolerates at run time.
So every ``import`` statement counts, wherever it stands, except those under
``if TYPE_CHECKING:`` (never executed) and those of a module's own parent
package (Python imports the parent before the module anyway).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("medfr_eval", "medfr_train")


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def _known(name: str, modules: dict[str, Path]) -> str | None:
    """The medfr module an imported name lives in (``a.b.func`` -> ``a.b``), if any."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def _drop_type_checking_blocks(tree: ast.AST) -> None:
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            node.body = []


def _imported(module: str, path: Path, modules: dict[str, Path]) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    _drop_type_checking_blocks(tree)
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package[: len(package) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            names += [f"{base}.{alias.name}" for alias in node.names] + [base]
    found = {_known(name, modules) for name in names} - {None, module}
    ancestors = {".".join(module.split(".")[:i]) for i in range(1, module.count(".") + 1)}
    return found - ancestors


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imported(name, path, modules) for name, path in modules.items()}


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
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
                    found.append(sorted(group))
    return found


def test_the_circle_finder_finds_a_circle_through_a_function_level_import():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert circles(graph) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": set()}) == []


def test_an_import_inside_a_function_counts_and_one_under_type_checking_does_not(tmp_path):
    modules = {"pkg.one": tmp_path / "one.py", "pkg.two": tmp_path / "two.py"}
    modules["pkg.one"].write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from pkg import two\n"
        "def f():\n    from pkg.two import g\n",
        encoding="utf-8",
    )
    assert _imported("pkg.one", modules["pkg.one"], modules) == {"pkg.two"}
    modules["pkg.one"].write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import two\n",
        encoding="utf-8",
    )
    assert _imported("pkg.one", modules["pkg.one"], modules) == set()


@pytest.mark.parametrize("package", PACKAGES)
def test_no_module_imports_one_that_imports_it_back(package):
    graph = import_graph()
    found = [group for group in circles(graph) if group[0].startswith(package)]
    detail = "; ".join(
        " <-> ".join(f"{m} -> {sorted(graph[m] & set(group))}" for m in group) for group in found
    )
    assert not found, detail


#: What may stay at the top of ``medfr_eval``: the package, the lm-eval registration hook
#: the ``.pth`` file imports at interpreter start (its path is in every installed
#: environment), and the command-line faces the console scripts name.
TOP_LEVEL_FACES = {"__init__.py", "autoload.py", "cli.py", "cli_options.py"}


def test_medfr_eval_keeps_no_loose_module_beside_its_rooms():
    loose = {p.name for p in (ROOT / "medfr_eval").glob("*.py")} - TOP_LEVEL_FACES
    assert not loose, f"move into a room (core, data, lmeval, metrics, ...): {sorted(loose)}"


def test_core_imports_no_other_room_of_medfr():
    """``core`` is what every room reads; importing a room from it would make a circle
    the moment that room reads ``core`` (and they all do)."""
    graph = import_graph()
    core = [name for name in graph if name.startswith("medfr_eval.core")]
    assert core
    for name in core:
        outside = sorted(d for d in graph[name] if not d.startswith("medfr_eval.core"))
        assert not outside, (name, outside)
