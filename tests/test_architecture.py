"""The layers and import rules hold (import-linter contracts in pyproject.toml), and there are no import cycles."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]


def _lint_imports(cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    code = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"
    return subprocess.run([sys.executable, "-c", code, "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
                          cwd=cwd, capture_output=True, text=True, check=False, env=env)


def test_import_contracts_hold() -> None:
    out = _lint_imports(ROOT)
    if out.returncode != 0:  # pragma: no cover - the message is the point
        raise AssertionError(out.stdout[-4000:] + out.stderr[-2000:])
    assert "Contracts: 5 kept, 0 broken." in out.stdout


def _cycles(graph: grimp.ImportGraph, modules: set[str]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.find_modules_directly_imported_by(v):
            if w not in modules:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for m in sorted(modules):
        if m not in index:
            visit(m)
    return out


def test_no_import_cycles() -> None:
    sys.setrecursionlimit(10_000)
    graph = grimp.build_graph("arraylake_nb", exclude_type_checking_imports=True)
    # The package root re-exports the public API; it is the one module allowed to import everything.
    modules = {m for m in graph.modules if m != "arraylake_nb"}
    assert _cycles(graph, modules) == []


def test_a_planted_upward_import_is_caught(tmp_path: Path) -> None:
    # The contracts are not vacuous: an engine module importing the API breaks them.
    pkg = tmp_path / "arraylake_nb"
    subprocess.run(["cp", "-r", str(ROOT / "arraylake_nb"), str(pkg)], check=True)
    (pkg / "engine" / "planted.py").write_text("from arraylake_nb.api import hooks  # noqa: F401\n")
    out = _lint_imports(tmp_path, env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert out.returncode != 0, out.stdout + out.stderr
    assert "arraylake_nb.engine.planted" in out.stdout
