"""Keeping the app's resident memory level: glibc's allocator, told to give memory back.

A generation on a 12 MP photo allocates and frees a few hundred megabytes of
image buffers, in whichever of gradio's worker threads runs it. glibc gives
each thread that meets contention its own arena (up to 8 per core) and
returns freed memory from an arena to the system only from its top, so the
process's resident memory grew with every generation (1.2 GB after 20) though
nothing was still in use. Two remedies, both no-ops off glibc:

* ``limit_arenas``: at most ``ARENAS`` arenas (set at start-up, before the
  worker threads exist), and big buffers always mapped (``MMAP_THRESHOLD``), so
  freeing one unmaps it at once instead of leaving a hole in an arena;
* ``release``: after each generation, ``malloc_trim(0)`` hands every arena's
  free pages back (a few milliseconds).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import sys
from functools import cache
from typing import Any

log = logging.getLogger("inpaint.studio")

ARENAS = 2
MMAP_THRESHOLD = 1024 * 1024  # bytes: an image plane of a 1 MP photo and up
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8


@cache
def _libc() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc if hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt") else None
    except OSError:  # musl or another libc without these: nothing to tune
        return None


def limit_arenas() -> bool:
    """Tune glibc's allocator for big, short-lived buffers; False when there is no glibc."""
    libc = _libc()
    if libc is None:
        return False
    ok = bool(libc.mallopt(_M_ARENA_MAX, ARENAS))
    ok = bool(libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and ok
    ok = bool(libc.mallopt(_M_TRIM_THRESHOLD, 4 * MMAP_THRESHOLD)) and ok
    if not ok:
        log.info("the allocator's settings were not all accepted")
    return ok


def release() -> None:
    """Give the allocator's free pages back to the system."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)
