"""A fork server for ``python app.py``: the heavy imports once, then one fork per app.

An app process spends most of its start importing gradio, numpy, OpenCV and
FastAPI (5-10 s on a busy 2-core machine); the tests start about twenty. This
process (``python -m tests.app_zygote``, one per test worker, started by
``tests/app_process.py``) imports those third-party libraries once and then,
for each app asked of it, forks a child that does exactly what ``python
app.py`` does from there: its own environment, working directory and log
file, ``app.py`` run as ``__main__`` (so the project's own modules, and every
setting read from the environment, are fresh in each child). Only libraries
that read nothing from the environment when imported are preloaded; an app
whose environment changes what they would read (``TMPDIR``,
``GRADIO_TEMP_DIR``) is started as a plain subprocess instead
(``app_process.IMPORT_SENSITIVE``).

The protocol is one JSON object a line on stdin/stdout: ``{"op": "start",
"env": {...}, "cwd": ..., "log": ...}`` answers ``{"pid": n}``; ``{"op":
"status", "pid": n}`` answers ``{"returncode": None | int}`` (negative: the
signal that ended it, as ``subprocess`` reports it). The children are this
process's, so it reaps them and keeps their exit codes.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from typing import Any

PRELOAD = (
    "gradio",
    "gradio_client",
    "numpy",
    "PIL.Image",
    "cv2",
    "fastapi",
    "uvicorn",
    "requests",
    "httpx",
    "dotenv",
)


def main() -> None:
    import importlib

    for name in PRELOAD:
        importlib.import_module(name)
    codes: dict[int, int] = {}
    out = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # a stray print must not garble the protocol
    reply(out, {"ready": True})
    for line in sys.stdin:
        request = json.loads(line)
        reap(codes)
        if request["op"] == "start":
            reply(out, {"pid": spawn(request, out)})
        elif request["op"] == "status":
            reply(out, {"returncode": codes.get(int(request["pid"]))})
        else:
            reply(out, {"error": f"unknown op {request['op']!r}"})


def reply(out: Any, answer: dict[str, Any]) -> None:
    out.write(json.dumps(answer) + "\n")
    out.flush()


def reap(codes: dict[int, int]) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        codes[pid] = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


def spawn(request: dict[str, Any], out: Any) -> int:
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        out.close()  # the protocol's pipe is the parent's alone
        log = os.open(request["log"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(log)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        code = run_app(request["cwd"], request["env"])
    except BaseException:  # noqa: BLE001 - the child reports and exits, never returns
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    raise AssertionError("unreachable")


def run_app(cwd: str, env: dict[str, str]) -> int:
    """What ``python app.py`` does once its interpreter is up."""
    import runpy
    import tempfile

    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    tempfile.tempdir = None  # found again from this environment
    sys.argv = ["app.py"]
    sys.path[0] = cwd
    try:
        runpy.run_path(os.path.join(cwd, "app.py"), run_name="__main__")
    except SystemExit as exc:
        if exc.code is None:
            return 0
        if isinstance(exc.code, int):
            return exc.code
        print(exc.code, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    main()
