"""The project installs as a library: metadata, the console script, one dependency list.

``pyproject.toml`` declares what ``pip install`` needs; ``requirements.txt`` is
what a Hugging Face Space installs. They must not drift apart, and the
``inpaint`` command must work from any directory.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _names(requirements: list[str]) -> dict[str, str]:
    out = {}
    for line in requirements:
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            name = re.split(r"[<>=!~\[ ]", line, maxsplit=1)[0].lower()
            out[name] = line
    return out


def test_library_dependencies_are_in_the_space_requirements() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    declared = _names(project["dependencies"] + extras["studio"] + extras["redis"])
    space = _names((ROOT / "requirements.txt").read_text().splitlines())
    assert declared == space  # same packages, same version specifiers
    # Redis is for several processes: the library and one studio work without it.
    assert "redis" not in _names(project["dependencies"]) and "redis" in space
    assert "pytest" not in space  # the Space never runs the tests
    assert project["scripts"]["inpaint"] == "inpaint.cli:main"


def test_console_script_runs_from_another_directory(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("inpaint")
    assert script.exists(), "scripts/test installs the project (pip install -e .)"
    proc = subprocess.run(
        [str(script), "--help"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert "--prompt" in proc.stdout and "exit codes" in proc.stdout


def test_gradio_is_a_compatible_range_and_the_space_runs_its_lowest_version() -> None:
    """The studio uses gradio's public API only, so security releases of gradio 6 are
    allowed in; the Space is pinned (``sdk_version``) to the lowest, tested one."""
    spec = _names((ROOT / "requirements.txt").read_text().splitlines())["gradio"]
    found = re.fullmatch(r"gradio\[oauth\]>=(\d+)\.(\d+),<(\d+)", spec)
    assert found, spec
    major, minor, below = (int(part) for part in found.groups())
    assert below == major + 1  # within one major version
    front = (ROOT / "README.md").read_text().split("---")[1]
    sdk = re.search(r"^sdk_version: (\S+)$", front, re.MULTILINE)
    assert sdk and sdk.group(1) == f"{major}.{minor}.0"
