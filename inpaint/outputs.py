"""Where results are written: checked before anything is sent, folders created alike.

A paid job whose result cannot be saved is money lost, so every front end
(``result.save``, the command line, sweeps) asks ``output_problem`` before it
sends anything and creates missing folders the same way (``ensure_parent``):
missing folders are always created, an existing file is never taken for a folder.

The check writes for real rather than reading permission bits: ``os.access``
says yes to root everywhere, and knows nothing of read-only mounts, special
file systems such as ``/proc`` or a full disk. Creating the folders and a small
probe file (removed again) is the one test all of those fail.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

# Written into the probe so that a full disk refuses it (an empty file may
# still be created when only the data blocks have run out).
PROBE_BYTES = 4096


def output_problem(path: str | os.PathLike[str], *, folder: bool = False) -> str | None:
    """Why ``path`` (a file, or a ``folder``) cannot be written, or None when it can.

    Missing folders are created (they would be when the result is saved), a
    probe file is written next to the target and removed, and an existing
    target file is opened for writing without changing it.
    """
    target = Path(path)
    if target.exists():
        if folder and not target.is_dir():
            return f"{target} is a file, not a folder"
        if not folder and target.is_dir():
            return f"{target} is a folder, not a file"
    where = target if folder else target.parent
    blocker = _file_in_the_way(where)
    if blocker is not None:
        return f"cannot create {target}: {blocker} is a file, not a folder"
    try:
        where.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return f"cannot create {target}: the folder {where} cannot be made ({_reason(exc)})"
    if not folder and target.exists():
        try:
            os.close(os.open(target, os.O_WRONLY | os.O_APPEND))  # neither truncated nor changed
        except OSError as exc:
            return f"{target} is not writable ({_reason(exc)})"
    try:
        _probe(where)
    except OSError as exc:
        if not folder and target.exists() and exc.errno in (errno.EACCES, errno.EPERM):
            return None  # the file itself can be overwritten, new files beside it cannot
        return f"cannot write {target}: a test file in {where} was refused ({_reason(exc)})"
    return None


def _file_in_the_way(folder: Path) -> Path | None:
    """The nearest existing ancestor of ``folder`` (or itself) when it is not a folder."""
    current = folder
    while not current.exists() and current != current.parent:
        current = current.parent
    return None if current.is_dir() or not current.exists() else current


def _probe(folder: Path) -> None:
    """Create, fill and remove a small file in ``folder``; raises OSError when it cannot."""
    fd, name = tempfile.mkstemp(prefix=".inpaint-probe-", dir=folder)
    try:
        os.write(fd, b"\0" * PROBE_BYTES)
    finally:
        os.close(fd)
        os.unlink(name)


def _reason(exc: OSError) -> str:
    """The operating system's own words for ``exc`` (e.g. "Read-only file system")."""
    return exc.strerror or str(exc)


def ensure_parent(path: str | os.PathLike[str]) -> Path:
    """Create the folders ``path`` needs (missing folders are always created)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    return target
