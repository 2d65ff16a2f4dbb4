"""Where results are written: checked before anything is sent, folders created alike.

A paid job whose result cannot be saved is money lost, so every front end
(``result.save``, the command line, sweeps) asks ``output_problem`` before it
sends anything and creates missing folders the same way (``ensure_parent``):
missing folders are always created, an existing file is never taken for a folder.
"""

from __future__ import annotations

import os
from pathlib import Path


def output_problem(path: str | os.PathLike[str], *, folder: bool = False) -> str | None:
    """Why ``path`` (a file, or a ``folder``) cannot be written, or None when it can.

    Checked without writing anything: the nearest existing ancestor must be a
    folder this process may create entries in, and an existing target must be
    of the right kind and writable.
    """
    target = Path(path)
    if target.exists():
        if folder and not target.is_dir():
            return f"{target} is a file, not a folder"
        if not folder and target.is_dir():
            return f"{target} is a folder, not a file"
        if not os.access(target, os.W_OK):
            return f"{target} is not writable"
        return None
    parent = target.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        return f"cannot create {target}: {parent} is a file, not a folder"
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"cannot create {target}: {parent} is not writable"
    return None


def ensure_parent(path: str | os.PathLike[str]) -> Path:
    """Create the folders ``path`` needs (missing folders are always created)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    return target
