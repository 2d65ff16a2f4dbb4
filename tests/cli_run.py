"""The command line run in this process: ``inpaint.cli.main(argv)`` as ``python -m inpaint``.

A subprocess costs an interpreter and the library's imports (about a second
each, several on a busy machine); the command itself is ``main(argv)``, so the
tests call that with what a shell would give it: a working directory, the
environment (``MODELSLAB_*`` replaced), and stdout/stderr captured. What the
interpreter adds around ``main`` is mimicked: ``SystemExit`` (argparse's
``--help`` and usage errors) becomes the exit code, and log records of
WARNING and above reach stderr, as Python's last-resort handler prints them
in a process that configured no logging. A few tests still start the real
``python -m inpaint`` (``run_cli_process``) so the entry point itself is covered.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from inpaint import cli

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Ran:
    """What a run left behind, shaped like ``subprocess.CompletedProcess``."""

    returncode: int
    stdout: str
    stderr: str


def cli_env(key: str | None, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment a command sees: no ``MODELSLAB_*`` but the key given."""
    env = {k: v for k, v in (os.environ if base is None else base).items()}
    env = {k: v for k, v in env.items() if not k.startswith("MODELSLAB_")}
    env.pop("PYTHONSTARTUP", None)
    if key is not None:
        env["MODELSLAB_API_KEY"] = key
    return env


def run_cli_here(cwd: Path, *args: object, key: str | None, **env: str) -> Ran:
    """``python -m inpaint ARGS`` in ``cwd``, run by ``cli.main`` in this process."""
    out, err = io.StringIO(), io.StringIO()
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update({**cli_env(key, saved), **env})
    handler = logging.StreamHandler(err)  # Python's last resort, for this run only
    handler.setLevel(logging.WARNING)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        with (
            contextlib.chdir(cwd),
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(err),
        ):
            try:
                code = cli.main([str(a) for a in args], stdout=out, stderr=err)
            except SystemExit as exc:
                code = _exit_code(exc, err)
    finally:
        root.removeHandler(handler)
        os.environ.clear()
        os.environ.update(saved)
    return Ran(code, out.getvalue(), err.getvalue())


def run_cli_process(
    cwd: Path, *args: object, key: str | None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """The real ``python -m inpaint ARGS`` in ``cwd`` (the entry point's own smoke tests)."""
    env = cli_env(key)
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "inpaint", *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _exit_code(exc: SystemExit, err: io.StringIO) -> int:
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code
    print(exc.code, file=err)  # sys.exit("message"): printed, status 1
    return 1
