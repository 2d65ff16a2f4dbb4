"""The studio's temporary folder: one per app process, gone when the process ends.

``<STUDIO_TEMP_DIR>/run-<pid>-<random>/`` (default parent: the system's
temporary directory's ``inpaint-studio``) holds everything the process writes:
the result PNGs, the photos kept for "Fetch result", comparisons, and gradio's
own cache (``gradio/``, where ``GRADIO_TEMP_DIR`` is pointed before the page
is built). The process holds an exclusive lock on ``<folder>/.lock`` for as
long as it lives; at start-up any sibling folder whose lock nobody holds is
left over from a process that died without cleaning up, and is removed. On
exit (normal, Ctrl-C, SIGTERM) the folder is removed.
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import FrameType
from typing import IO, Any

try:  # POSIX; elsewhere stale folders are recognised by their owner's pid alone
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger("inpaint.studio")

LOCK_NAME = ".lock"
PREFIX = "run-"
GRADIO_ENV = "GRADIO_TEMP_DIR"
GRADIO_IMPORT_TIME_READERS = (
    "gradio.routes",
    "gradio.route_utils",
    "gradio.mcp",
    "gradio.screen_recording_utils",
)
# A folder younger than this may belong to a process that has not locked it yet.
STARTUP_GRACE = 60.0
# Older versions of the studio wrote straight into the shared folder and removed
# what was older than this: what they still use is never younger.
LEGACY_AGE = 6 * 3600.0


def default_parent() -> Path:
    return Path(tempfile.gettempdir()) / "inpaint-studio"


class WorkDir:
    """This process's temporary folder (``root``), locked while the process lives."""

    def __init__(self, parent: str | os.PathLike[str] | None = None) -> None:
        self.parent = Path(parent) if parent else default_parent()
        self.parent.mkdir(parents=True, exist_ok=True)
        self.removed_stale = remove_stale(self.parent)
        self.root = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=self.parent))
        self._lock_file: IO[str] | None = open(self.root / LOCK_NAME, "w")  # noqa: SIM115
        self._lock_file.write(str(os.getpid()))
        self._lock_file.flush()
        if fcntl is not None:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self._closed = threading.Lock()
        atexit.register(self.remove)

    @property
    def gradio_dir(self) -> Path:
        return self.root / "gradio"

    def point_gradio_here(self, env: Any = None) -> str:
        """Put gradio's cache (``GRADIO_TEMP_DIR``) in this folder, so it goes with it.

        Call before the page is built: gradio reads it when each component is
        made and when its server starts (a ``GRADIO_TEMP_DIR`` set on purpose
        is where the studio's folder itself goes: ``Settings.temp_dir``).
        """
        env = os.environ if env is None else env
        self.gradio_dir.mkdir(exist_ok=True)
        env[GRADIO_ENV] = str(self.gradio_dir)
        # A few of gradio's modules read it once, when imported (the studio imports
        # gradio first): their copy is brought in line, or gradio's server would still
        # make a folder in the system's temporary directory when it starts.
        for name in GRADIO_IMPORT_TIME_READERS:
            module = sys.modules.get(name)
            if module is not None and hasattr(module, "DEFAULT_TEMP_DIR"):
                setattr(module, "DEFAULT_TEMP_DIR", str(self.gradio_dir))  # noqa: B010
        return str(self.gradio_dir)

    def launch_options(self) -> dict[str, Any]:
        """gradio hands out the app's files from the system's temporary directory (and its
        own cache); a folder elsewhere (``STUDIO_TEMP_DIR``) has to be allowed."""
        under_temp = self.root.resolve().is_relative_to(Path(tempfile.gettempdir()).resolve())
        return {} if under_temp else {"allowed_paths": [str(self.root)]}

    def remove(self) -> None:
        """Remove the folder and everything in it (again: nothing happens)."""
        if not self._closed.acquire(blocking=False):
            return
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None
        shutil.rmtree(self.root, ignore_errors=True)


def remove_stale(parent: Path) -> list[Path]:
    """Remove the folders under ``parent`` that no living process owns.

    A run folder is owned while its lock is held (and for ``STARTUP_GRACE``
    after it is made); anything else in ``parent`` (files of older versions of
    the studio, which wrote straight into it) is stale once it is older than
    ``LEGACY_AGE``, as those versions themselves had it.
    """
    removed = []
    now = time.time()
    for item in parent.iterdir():
        try:
            run = item.name.startswith(PREFIX) and item.is_dir()
            grace = STARTUP_GRACE if run else LEGACY_AGE
            if now - item.stat().st_mtime < grace or (run and _owned(item)):
                continue
            if item.is_dir():
                shutil.rmtree(item, ignore_errors=True)
            else:
                item.unlink(missing_ok=True)
        except OSError:
            continue
        removed.append(item)
    if removed:
        log.info("removed %d folder(s) left by earlier runs from %s", len(removed), parent)
    return removed


def _owned(folder: Path) -> bool:
    """Whether a living process holds ``folder``'s lock."""
    lock = folder / LOCK_NAME
    if not lock.is_file():
        return False
    if fcntl is None:  # pragma: no cover - Windows: the pid in the name
        pid = folder.name.removeprefix(PREFIX).split("-")[0]
        return pid.isdigit() and _alive(int(pid))
    with open(lock) as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True  # held
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


def _alive(pid: int) -> bool:  # pragma: no cover - Windows only
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def open_workdir(settings: Any) -> WorkDir:
    """The app's folder under ``settings.temp_dir``, with gradio's cache in it and SIGTERM
    ending the app cleanly (see ``exit_on_sigterm``)."""
    workdir = WorkDir(settings.temp_dir)
    workdir.point_gradio_here()
    exit_on_sigterm()
    log.info("temporary files in %s", workdir.root)
    return workdir


def exit_on_sigterm() -> None:
    """SIGTERM (a service manager, ``docker stop``, a test's ``terminate()``) ends the app
    as Ctrl-C does: gradio closes its server and every ``finally`` and ``atexit`` runs,
    so the temporary folder is removed. Without this, SIGTERM kills Python outright."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, interrupt)
