"""The layout's rules, checked: the package root is the library, units stay small.

``import inpaint`` must mean "the library": no web framework behind it, so a
researcher's script or notebook pays for none of it. Units are kept small
enough to read in one sitting (the server's classes are exempt from the class
limit: ``JobManager`` is one bookkeeping object by design).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "inpaint"
MAX_FUNCTION_LINES = 80
MAX_CLASS_LINES = 250


def test_import_inpaint_pulls_in_no_web_framework() -> None:
    code = (
        "import sys, inpaint, inpaint.client, inpaint.request, inpaint.pipeline\n"
        "print(','.join(m for m in ('gradio', 'fastapi', 'uvicorn', 'starlette', "
        "'playwright') if m in sys.modules))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == ""


def test_no_module_at_the_package_root_imports_gradio() -> None:
    offenders = [path.name for path in PACKAGE.glob("*.py") if "gradio" in _imported_modules(path)]
    assert offenders == []


def _imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def _units(path: Path) -> list[tuple[str, str, int]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            assert node.end_lineno is not None
            kind = "class" if isinstance(node, ast.ClassDef) else "function"
            found.append((kind, node.name, node.end_lineno - node.lineno + 1))
    return found


SOURCES = sorted([*PACKAGE.rglob("*.py"), ROOT / "app.py"])


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_units_stay_small(path: Path) -> None:
    in_server = "server" in path.relative_to(ROOT).parts
    too_big = [
        f"{kind} {name}: {lines} lines"
        for kind, name, lines in _units(path)
        if (kind == "function" and lines > MAX_FUNCTION_LINES)
        or (kind == "class" and lines > MAX_CLASS_LINES and not in_server)
    ]
    assert too_big == []


def test_the_client_is_composed_not_mixed() -> None:
    """Its steps are a collaborator it holds; its workflows keep their own signatures."""
    import inspect

    from inpaint import ModelsLabClient
    from inpaint.steps import Jobs

    assert ModelsLabClient.__bases__ == (object,)
    with ModelsLabClient(api_key="k", base_url="http://127.0.0.1:9/api") as client:
        assert isinstance(client.jobs, Jobs) and client.jobs.transport is client.transport

        def first(method: Any, count: int) -> list[str]:
            return list(inspect.signature(method).parameters)[:count]

        assert first(client.outpaint, 3) == ["image", "prompt", "left"]
        assert first(client.sweep, 3) == ["image", "mask", "prompt"]
        assert first(client.fetch_result, 2) == ["job_id", "progress"]
