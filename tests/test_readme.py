"""The README's Python snippets run as printed, from a folder outside the repository.

Each ```python block is run in a fresh interpreter, in an empty folder holding
the files the snippets name (photo.png, photo.jpg, mask.png and a 4032 x 3024
IMG_4032x3024.jpg), with a key and a base URL pointing at the local server for
the snippets that use ``ModelsLabClient()``. The studio's ``gradio_client``
example needs a running studio and is exercised by tests/test_browser.py.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
BLOCKS = re.findall(r"^ *```python\n(.*?)^ *```", (ROOT / "README.md").read_text(), re.S | re.M)
RUNNABLE = [b for b in BLOCKS if "gradio_client" not in b]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    photo = Image.open(EXAMPLES / "coffee.png").convert("RGB")
    photo.save(tmp_path / "photo.png")
    photo.save(tmp_path / "photo.jpg", quality=92)
    Image.open(EXAMPLES / "coffee_mask.png").save(tmp_path / "mask.png")
    photo.resize((4032, 3024), Image.Resampling.BICUBIC).save(tmp_path / "IMG_4032x3024.jpg")
    return tmp_path


def test_the_readme_has_snippets_to_run() -> None:
    assert len(RUNNABLE) >= 5 and any("ModelsLabClient.offline()" in b for b in RUNNABLE)


@pytest.mark.parametrize("code", RUNNABLE, ids=[f"block-{i}" for i in range(len(RUNNABLE))])
def test_snippet_runs_as_printed(code: str, folder: Path, server) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELSLAB_")}
    env.update(MODELSLAB_API_KEY="readme-key", MODELSLAB_BASE_URL=server.base_url)
    env.pop("PYTHONPATH", None)  # the installed package, as a reader has it
    proc = subprocess.run(
        [sys.executable, "-c", code.replace("\n    ", "\n    ")],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
