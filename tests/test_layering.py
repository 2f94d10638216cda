"""Layering: models <- optimizer <- api/cli/benchmarks, checked on the imports of every module."""

from __future__ import annotations

import ast
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
WEB = ("fastapi", "starlette", "uvicorn")


@dataclass(frozen=True)
class Import:
    """One imported module, where, and whether it runs when the module is imported."""

    module: str
    line: int
    module_level: bool


def imports_of(source: str, package: str = "") -> list[Import]:
    """Every import in `source` (relative ones resolved against `package`); imports inside a
    function body are not module-level."""
    tree = ast.parse(source)
    out: list[Import] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(
                child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
            )
            if isinstance(child, ast.Import):
                out.extend(Import(a.name, child.lineno, not in_function) for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    parts = package.split(".")
                    base = ".".join(parts[: len(parts) - child.level + 1])
                    name = f"{base}.{child.module}" if child.module else base
                else:
                    name = child.module or ""
                out.append(Import(name, child.lineno, not in_function))
            visit(child, nested)

    visit(tree, False)
    return out


def modules_under(folder: str) -> list[Path]:
    """The Python files of a top-level package."""
    return sorted((ROOT / folder).rglob("*.py"))


def violations(
    folder: str,
    forbidden: tuple[str, ...],
    module_level_only: bool = False,
    files: list[Path] | None = None,
) -> list[str]:
    """`file:line imports module` for each forbidden import found."""
    found = []
    for path in files if files is not None else modules_under(folder):
        rel = path.relative_to(ROOT)
        package = ".".join(rel.with_suffix("").parts[:-1])
        for imp in imports_of(path.read_text(encoding="utf-8"), package):
            top = imp.module.split(".")[0]
            if top in forbidden and (imp.module_level or not module_level_only):
                found.append(f"{rel}:{imp.line} imports {imp.module}")
    return found


def test_scanner_finds_imports_and_their_level() -> None:
    """The scanner sees plain, from, relative, nested and function-level imports."""
    source = (
        "import os\nfrom fastapi import FastAPI\nfrom . import sibling\n"
        "if True:\n    import ortools.sat\n"
        "def f():\n    import fastapi.routing\n"
    )
    found = {(i.module, i.module_level) for i in imports_of(source, "optimizer.cp")}
    assert found == {
        ("os", True),
        ("fastapi", True),
        ("optimizer.cp", True),
        ("ortools.sat", True),
        ("fastapi.routing", False),
    }


@pytest.mark.parametrize("folder", ["models", "optimizer", "api"])
def test_layer_has_modules(folder: str) -> None:
    """Each scanned layer exists, so the rules below cannot pass vacuously."""
    assert modules_under(folder)


def test_models_import_neither_solver_nor_web() -> None:
    """`models/` imports neither OR-Tools nor FastAPI, nor the layers above it."""
    assert violations("models", ("ortools", *WEB, "optimizer", "api", "benchmarks")) == []


def test_optimizer_imports_no_web() -> None:
    """`optimizer/` imports neither FastAPI nor the layers above it."""
    assert violations("optimizer", (*WEB, "api", "benchmarks")) == []


def test_cli_imports_fastapi_only_lazily() -> None:
    """`api/cli/` and `api/__init__.py` do not import FastAPI at module level."""
    files = [*sorted((ROOT / "api" / "cli").glob("*.py")), ROOT / "api" / "__init__.py"]
    assert violations("api", WEB, module_level_only=True, files=files) == []


def test_importing_the_cli_loads_neither_fastapi_nor_ortools() -> None:
    """Importing the CLI (for `dispatch validate`) pulls in neither FastAPI nor OR-Tools."""
    code = (
        "import sys, api.cli\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('fastapi', 'starlette', 'ortools'))\n"
        "print(','.join(heavy))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == ""


def test_cli_command_modules_import_no_cycle() -> None:
    """Modules of `api/cli/` import their siblings by full path, never the package itself, and
    the imports among them form no cycle (only `api.cli` imports the command modules)."""
    folder = ROOT / "api" / "cli"
    graph: dict[str, set[str]] = {}
    from_package = []
    for path in sorted(folder.glob("*.py")):
        if path.stem in ("__init__", "__main__"):
            continue
        found = imports_of(path.read_text(encoding="utf-8"), "api.cli")
        from_package += [f"{path.name}:{i.line}" for i in found if i.module == "api.cli"]
        graph[path.stem] = {
            i.module.split(".")[2] for i in found if i.module.startswith("api.cli.")
        }
    assert from_package == []

    def reaches(start: str, target: str, seen: set[str]) -> bool:
        for nxt in graph.get(start, set()) - seen:
            if nxt == target or reaches(nxt, target, seen | {nxt}):
                return True
        return False

    assert [m for m in graph if reaches(m, m, set())] == []
