"""The outcome of an edit: its images, the jobs that made them, and its recipe.

An ``InpaintResult`` is built once, complete, and not changed afterwards. What
the API echoed (``meta``) and what was sent (``sent``) belong to its jobs;
``parameters`` is what a saved PNG records so that the edit can be repeated.
"""

from __future__ import annotations

import base64
import html
import io
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from PIL import Image

from . import metadata
from .job import JobOutput
from .outputs import ensure_parent
from .request import InpaintRequest


@dataclass(frozen=True)
class InpaintResult:
    """A finished edit. ``images`` have the photo's size when pasted back or cut by region."""

    images: list[Image.Image]
    jobs: tuple[JobOutput, ...]
    parameters: dict[str, Any] = field(default_factory=dict)
    request: InpaintRequest | None = None
    regions: tuple[tuple[int, int, int, int], ...] = ()
    # Seconds the client spent on each step ("prepare", "jobs", "full_size" (the wait
    # for the full-size photo and the put-back made ready meanwhile), "put_back"):
    # where an edit's time went.
    timings: dict[str, float] = field(default_factory=dict)

    # -- what the first job says (the only one, unless "only masked" split the edit) --
    @property
    def id(self) -> int | str | None:
        return self.jobs[0].id if self.jobs else None

    @property
    def job_ids(self) -> list[int | str]:
        return [job.id for job in self.jobs if job.id is not None]

    @property
    def seed(self) -> int | None:
        return self.jobs[0].seed if self.jobs else None

    @property
    def generation_time(self) -> float | None:
        times = [job.generation_time for job in self.jobs if job.generation_time is not None]
        return sum(times) if times else None

    @property
    def meta(self) -> dict[str, Any]:
        return self.jobs[0].meta if self.jobs else {}

    @property
    def sent(self) -> dict[str, Any]:
        """What the first job's request carried (key removed, data URIs shortened)."""
        return self.jobs[0].sent if self.jobs else {}

    @property
    def output_urls(self) -> list[str]:
        return [url for job in self.jobs for url in job.output_urls]

    @property
    def nsfw_content_detected(self) -> bool | None:
        return any(bool(job.nsfw_content_detected) for job in self.jobs) or None

    @property
    def status(self) -> str:
        return "success"

    # -- notebooks: a result shows as its images (and its recipe) inline --------------------
    def _repr_png_(self) -> bytes | None:
        if not self.images:
            return None
        buf = io.BytesIO()
        self.images[0].save(buf, format="PNG")
        return buf.getvalue()

    def _repr_html_(self) -> str:
        cells = []
        for image in self.images:
            thumb = image.copy()
            thumb.thumbnail((512, 512))
            buf = io.BytesIO()
            thumb.save(buf, format="PNG")
            data = base64.b64encode(buf.getvalue()).decode("ascii")
            cells.append(f'<img src="data:image/png;base64,{data}" style="margin:2px">')
        shown = {k: v for k, v in self.parameters.items() if v is not None}
        return (
            "".join(cells)
            + "<pre>"
            + html.escape(json.dumps(shown, ensure_ascii=False, indent=1))
            + "</pre>"
        )

    def save(self, path: str | os.PathLike[str]) -> list[Path]:
        """Write every image as PNG with its parameters in text chunks.

        One image goes to ``path`` itself; several go to ``name-1.png``,
        ``name-2.png``, ... beside it; missing folders are created. Returns the
        paths written.
        """
        target = ensure_parent(path)
        if target.suffix.lower() != ".png":
            target = target.with_suffix(".png")
        written = []
        for number, image in enumerate(self.images, 1):
            out = (
                target if len(self.images) == 1 else target.with_name(f"{target.stem}-{number}.png")
            )
            params = {**self.parameters, "sample": number if len(self.images) > 1 else None}
            written.append(metadata.save_png(image, out, params))
        return written


def edit_parameters(
    request: InpaintRequest,
    jobs: Sequence[JobOutput],
    images: Sequence[Image.Image],
    regions: Sequence[tuple[int, ...]],
    base_url: str,
) -> dict[str, Any]:
    """What a saved image of an edit records: the request, the seed used, the sizes."""
    size = images[0].size if images else (int(request.width or 0), int(request.height or 0))
    recorded = request.resolved(size).recorded()
    sent = jobs[0].sent if jobs else {}
    seed = jobs[0].seed if jobs and jobs[0].seed is not None else request.seed
    recorded.update(
        seed=seed,
        width=sent.get("width", request.width),
        height=sent.get("height", request.height),
        output_size=list(images[0].size) if images else None,
        regions=[list(b) for b in regions] or None,
        request_id=",".join(str(j.id) for j in jobs if j.id is not None) or None,
        backend=urlsplit(base_url).netloc.rpartition("@")[2],
    )
    return recorded


def fetched_parameters(
    job: JobOutput,
    base_url: str,
    *,
    placed: bool = False,
    paste_back: bool = True,
    images: Sequence[Image.Image] = (),
) -> dict[str, Any]:
    """What is known of a job fetched by id: what the API echoes, the seed, the id."""
    recorded = {name: job.meta.get(name) for name in metadata.RECORDED if name in job.meta}
    recorded.update(
        seed=job.seed, request_id=str(job.id), backend=urlsplit(base_url).netloc.rpartition("@")[2]
    )
    if placed:
        recorded.update(paste_back=paste_back, output_size=list(images[0].size) if images else None)
    return recorded
