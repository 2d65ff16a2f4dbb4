"""The examples shown under the editor."""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..form import PROMPTS

# -- examples -------------------------------------------------------------------
EXAMPLES_DIR = Path(__file__).resolve().parents[3] / "examples"


def load_examples(
    folder: str | os.PathLike = EXAMPLES_DIR, *, offline: bool | None = None
) -> list[list[str]]:
    """Rows for ``gr.Examples`` from ``examples.json``: photo, prepared mask, ``PROMPTS``.

    ``offline`` True keeps the examples the offline classical fill does well
    (something removed from a background it can continue); False keeps those
    that need a generative model (new content: a glass instead of a cup, a
    backdrop where a flag hangs); None keeps all. A missing file is a packaging
    mistake worth failing on at start-up, not a broken example discovered by a
    visitor.
    """
    folder = Path(folder)
    rows = []
    for item in json.loads((folder / "examples.json").read_text(encoding="utf-8")):
        if offline is not None and bool(item.get("offline", True)) != offline:
            continue
        image, mask = folder / item["image"], folder / item["mask"]
        for path in (image, mask):
            if not path.is_file():
                raise FileNotFoundError(f"example file missing: {path}")
        rows.append([str(image), str(mask), *(item.get(name, "") for name in PROMPTS)])
    return rows
