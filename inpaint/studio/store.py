"""Result and input files on disk, pruned by age."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from .. import images as imgs
from .. import metadata


# -- results on disk ------------------------------------------------------------
@dataclass(frozen=True)
class Placement:
    """Where a job's result belongs: the photo it was cut from, the mask, the box.

    ``box`` is the region in "only masked" mode (None: the whole picture).
    """

    image: str
    mask: str
    box: tuple[int, int, int, int] | None
    paste_back: bool
    feather: int

    def fetch_kwargs(self) -> dict[str, Any]:
        """``ModelsLabClient.fetch_result`` keywords that put a job fetched later back into
        its photo, by the library's one put-back rule."""
        return {
            "image": self.image,
            "mask": self.mask,
            "box": self.box,
            "paste_back": self.paste_back,
            "feather": self.feather,
        }


class OutputStore:
    """Full-resolution PNGs of recent results, for the gallery and the downloads.

    Files older than ``max_age`` are removed as new runs arrive, so a public
    Space does not fill its disk.
    """

    def __init__(self, root: str | os.PathLike | None = None, max_age: float = 6 * 3600) -> None:
        self.root = Path(root or Path(tempfile.gettempdir()) / "inpaint-studio")
        self.root.mkdir(parents=True, exist_ok=True)
        self.max_age = max_age
        self._jobs: dict[str, Placement] = {}
        self._lock = threading.Lock()

    def save_run(
        self,
        before: Image.Image | None,
        images: list[Image.Image],
        job_id: Any,
        seed: int | None,
        parameters: dict[str, Any] | None = None,
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
            imgs.save_png(before, before_path)
        return before_path, paths

    def remember_job(self, key: str, placement: Placement) -> None:
        """Keep where a job's result belongs, so a result fetched later is put back too."""
        with self._lock:
            self._jobs[str(key)] = placement
            while len(self._jobs) > 256:
                self._jobs.pop(next(iter(self._jobs)))

    def placement_for(self, key: Any) -> Placement | None:
        with self._lock:
            placement = self._jobs.get(str(key))
        if placement is None or not Path(placement.image).is_file():
            return None
        return placement

    def input_for(self, key: Any) -> str | None:
        """The photo a job was cut from, for the before/after of a fetched result."""
        placement = self.placement_for(key)
        return placement.image if placement else None

    def save_job_inputs(self, image: Image.Image, mask: Image.Image) -> tuple[str, str]:
        """The full-size photo and mask of a sent job (fast PNG: they are working files)."""
        run = self.root / ("job-" + uuid.uuid4().hex[:10])
        run.mkdir()
        imgs.save_png(image, run / "image.png")
        imgs.save_png(mask, run / "mask.png")
        return str(run / "image.png"), str(run / "mask.png")

    def save_inputs(self, image: Image.Image, mask: Image.Image) -> tuple[str, str]:
        """The editor's photo and mask as lossless PNG files."""
        self.prune()
        run = self.root / ("in-" + uuid.uuid4().hex[:10])
        run.mkdir()
        imgs.save_png(image, run / "image.png")
        imgs.save_png(mask, run / "mask.png")
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
