"""Result and input files on disk, pruned by age."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from PIL import Image

from .. import metadata


# -- results on disk ------------------------------------------------------------
class OutputStore:
    """Full-resolution PNGs of recent results, for the gallery and the downloads.

    Files older than ``max_age`` are removed as new runs arrive, so a public
    Space does not fill its disk.
    """

    def __init__(self, root: str | os.PathLike | None = None, max_age: float = 6 * 3600) -> None:
        self.root = Path(root or Path(tempfile.gettempdir()) / "inpaint-studio")
        self.root.mkdir(parents=True, exist_ok=True)
        self.max_age = max_age
        self._inputs: dict[str, str] = {}
        self._lock = threading.Lock()

    def save_run(self, before: Image.Image | None, images: list[Image.Image], job_id: Any,
                 seed: int | None, parameters: dict[str, Any] | None = None
                 ) -> tuple[str | None, list[str]]:
        """Each result as a PNG carrying ``parameters`` (never the key), and the input.

        The input is saved at the results' size so the before/after slider
        compares like with like.
        """
        self.prune()
        run = self.root / uuid.uuid4().hex[:10]
        run.mkdir()
        stem = "inpaint" + (f"-job{job_id}" if job_id is not None else "")
        stem += f"-seed{seed}" if seed is not None else ""
        paths = []
        for i, img in enumerate(images, 1):
            path = run / f"{stem}-{i}.png"
            sample = {"sample": i} if len(images) > 1 else {}
            metadata.save_png(img, path, {**(parameters or {}), **sample})
            paths.append(str(path))
        before_path = None
        if before is not None:
            if images and before.size != images[0].size:
                before = before.resize(images[0].size, Image.Resampling.LANCZOS)
            before_path = str(run / "input.png")
            before.save(before_path, format="PNG", compress_level=1)
        return before_path, paths

    def remember_input(self, job_id: Any, image: Image.Image) -> None:
        """Keep the image a job was sent, so a result fetched later can be compared."""
        path = self.root / f"job-input-{_safe_name(job_id)}.png"
        image.save(path, format="PNG", compress_level=1)
        with self._lock:
            self._inputs[str(job_id)] = str(path)
            while len(self._inputs) > 256:
                self._inputs.pop(next(iter(self._inputs)))

    def input_for(self, job_id: Any) -> str | None:
        with self._lock:
            path = self._inputs.get(str(job_id))
        return path if path and Path(path).is_file() else None

    def save_inputs(self, image: Image.Image, mask: Image.Image) -> tuple[str, str]:
        """The editor's photo and mask as lossless PNG files."""
        self.prune()
        run = self.root / ("in-" + uuid.uuid4().hex[:10])
        run.mkdir()
        image.save(run / "image.png", format="PNG")
        mask.save(run / "mask.png", format="PNG")
        return str(run / "image.png"), str(run / "mask.png")

    def prune(self) -> None:
        cutoff = time.time() - self.max_age
        for item in self.root.iterdir():
            try:
                if item.stat().st_mtime >= cutoff:
                    continue
                if item.is_dir():
                    shutil.rmtree(item, ignore_errors=True)
                else:
                    item.unlink(missing_ok=True)
            except OSError:
                continue


def _safe_name(value: Any) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in str(value))[:64]
