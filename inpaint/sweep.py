"""Parameter sweeps: the cartesian product of up to three axes, run safely against a paid queue.

A sweep is a list of ``InpaintRequest``s, one per cell, all built (and so all
validated) before anything is sent, so its cost is known up front
(``SweepPlan.job_count``). Cells run concurrently but never more jobs at once
than the key's queue limit (the client's ``JobSlots``, shared with the studio
when the studio runs it). A failed cell is recorded and the sweep goes on.

Nothing paid is lost: ``out_dir/manifest.jsonl`` gets one line per change of a
cell's state, written as it happens (``submitted`` with its job ids as soon as
they exist, then ``done`` with its files, or ``failed``). Run the same sweep
again and done cells are read from disk, cells that were submitted but never
collected are fetched by their job id, and only the rest is sent.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image

from . import metadata, pipeline
from .errors import (
    JobCancelledError,
    JobError,
    ModelsLabError,
    ParameterError,
    RateLimitError,
)
from .outputs import ensure_parent, output_problem
from .progress import CancelHook, ProgressEvent
from .request import InpaintRequest
from .slots import DEFAULT_QUEUE_LIMIT, JobSlots

if TYPE_CHECKING:
    from .client import ModelsLabClient
    from .result import InpaintResult

MAX_AXES = 3
MANIFEST = "manifest.jsonl"


@dataclass(frozen=True)
class Cell:
    """One combination of the axes' values and the request it makes."""

    index: int
    values: tuple[Any, ...]
    request: InpaintRequest
    key: str
    jobs: int = 1

    def label(self, names: Sequence[str]) -> str:
        return ", ".join(f"{n}={_show(v)}" for n, v in zip(names, self.values, strict=True))


@dataclass(frozen=True)
class SweepPlan:
    """What a sweep will do and cost, known before anything is sent."""

    axes: tuple[tuple[str, tuple[Any, ...]], ...]
    cells: tuple[Cell, ...]

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.axes]

    @property
    def job_count(self) -> int:
        """Paid jobs if every cell is sent (an "only masked" cell may be several)."""
        return sum(cell.jobs for cell in self.cells)


@dataclass
class CellResult:
    """A cell's outcome: ``done`` (images and files), ``failed`` (error), or ``pending``."""

    cell: Cell
    state: str
    images: list[Image.Image] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    job_ids: list[Any] = field(default_factory=list)
    seed: int | None = None
    generation_time: float | None = None
    error: str | None = None
    reused: bool = False  # read back from an earlier run, not paid for again


@dataclass(frozen=True)
class SweepResult:
    """Every cell of a finished (or stopped) sweep, and the files it wrote."""

    plan: SweepPlan
    cells: list[CellResult]
    out_dir: Path
    grids: list[Path]
    html: Path
    csv: Path

    @property
    def sent(self) -> int:
        """Cells that were sent (or fetched) in this run rather than read back."""
        return sum(1 for c in self.cells if c.state == "done" and not c.reused)

    def counts(self) -> dict[str, int]:
        out = {"done": 0, "failed": 0, "pending": 0}
        for c in self.cells:
            out[c.state] = out.get(c.state, 0) + 1
        return out

    def _repr_html_(self) -> str:  # Jupyter shows the grid inline
        from .grid import notebook_html

        return notebook_html(self)


# -- planning ----------------------------------------------------------------------------------
def plan_sweep(
    base: InpaintRequest,
    vary: Mapping[str, Sequence[Any]],
    *,
    image: Image.Image | None = None,
    mask: Image.Image | None = None,
) -> SweepPlan:
    """Every cell's request, validated now: a bad value fails before anything is sent.

    ``vary`` maps up to three request fields (API parameters, the library's
    options, ``prompt`` or ``negative_prompt``) to the values to try. With the
    photo and mask, each cell's key also covers them (a sweep over another
    photo never reuses these results) and "only masked" cells count their
    regions as jobs.
    """
    if not vary:
        raise ParameterError("vary needs at least one parameter and its values", field="vary")
    if len(vary) > MAX_AXES:
        raise ParameterError(
            f"at most {MAX_AXES} parameters can vary at once (got {len(vary)})", field="vary"
        )
    axes = []
    for name, values in vary.items():
        values = tuple(values)
        if not values:
            raise ParameterError(f"{name}: give at least one value to try", field=name)
        if len(set(map(_show, values))) != len(values):
            raise ParameterError(f"{name}: a value is listed twice", field=name)
        axes.append((name, values))
    fingerprint = inputs_fingerprint(image, mask)
    cells = []
    for index, combo in enumerate(itertools.product(*(v for _, v in axes))):
        request = base.replace(**dict(zip((n for n, _ in axes), combo, strict=True)))
        jobs = 1
        if mask is not None:  # "auto" chosen now, so the count and the grid say which
            request = pipeline.with_area(request, mask.size, mask)
        if request.crop_to_mask and mask is not None:
            jobs = max(1, len(pipeline.regions_for(mask, request)))
        cells.append(Cell(index, combo, request, _cell_key(request, fingerprint), jobs))
    return SweepPlan(tuple(axes), tuple(cells))


def inputs_fingerprint(image: Image.Image | None, mask: Image.Image | None) -> str:
    digest = hashlib.sha256()
    for item in (image, mask):
        if item is not None:
            digest.update(f"{item.mode}{item.size}".encode())
            digest.update(item.tobytes())
    return digest.hexdigest()[:16]


def _cell_key(request: InpaintRequest, fingerprint: str) -> str:
    text = json.dumps(
        {"request": request.kwargs(), "inputs": fingerprint}, sort_keys=True, default=str
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _show(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= 40 else text[:39] + "…"


# -- the manifest ------------------------------------------------------------------------------
class Manifest:
    """``manifest.jsonl``: append-only, one line per change of a cell's state, flushed at once."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def latest(self) -> dict[str, dict[str, Any]]:
        """The last recorded state of every cell key (a torn last line is ignored)."""
        states: dict[str, dict[str, Any]] = {}
        if not self.path.exists():
            return states
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict) and isinstance(entry.get("key"), str):
                states[entry["key"]] = {**states.get(entry["key"], {}), **entry}
        return states

    def record(self, cell: Cell, names: Sequence[str], state: str, **fields: Any) -> None:
        entry = {
            "key": cell.key,
            "index": cell.index,
            "state": state,
            "values": dict(
                zip(
                    names,
                    (json.loads(json.dumps(v, default=str)) for v in cell.values),
                    strict=True,
                )
            ),
            **fields,
        }
        line = json.dumps(entry, ensure_ascii=False, default=str)
        with self._lock, self.path.open("a", encoding="utf-8") as out:
            out.write(line + "\n")
            out.flush()


# -- running -------------------------------------------------------------------------------------
CellCallback = Callable[[CellResult], None]


class SweepRunner:
    """Runs a plan's cells on one client, at most ``queue_limit`` jobs at a time."""

    def __init__(
        self,
        client: ModelsLabClient,
        image: Image.Image,
        mask: Image.Image,
        plan: SweepPlan,
        out_dir: str | os.PathLike[str],
        *,
        queue_limit: int | None = None,
        on_cell: CellCallback | None = None,
        cancel: CancelHook | None = None,
        progress: Callable[[Cell, ProgressEvent], None] | None = None,
    ) -> None:
        problem = output_problem(out_dir, folder=True)
        if problem:
            raise ParameterError(f"out_dir: {problem}", field="out_dir")
        self.client, self.image, self.mask, self.plan = client, image, mask, plan
        self.out_dir = Path(out_dir)
        self.manifest = Manifest(self.out_dir / MANIFEST)
        self.slots = client.job_slots or JobSlots(queue_limit or DEFAULT_QUEUE_LIMIT)
        self.on_cell, self.cancel, self.progress = on_cell, cancel, progress

    def run(self) -> SweepResult:
        from .grid import write_reports

        self.out_dir.mkdir(parents=True, exist_ok=True)
        earlier = self.manifest.latest()
        own_slots = self.client.job_slots is None
        if own_slots:
            self.client.submitter.job_slots = self.slots
        try:
            # Twice the queue limit: while some cells' jobs run, the next are prepared.
            # Cells left running by an earlier run first: their jobs still hold places
            # in the API's queue, which their fetch holds here too (see _fetch).
            order = sorted(
                self.plan.cells,
                key=lambda c: (
                    (earlier.get(c.key) or {}).get("state") not in ("submitted", "pending"),
                    c.index,
                ),
            )
            with ThreadPoolExecutor(
                max_workers=2 * self.slots.size, thread_name_prefix="inpaint-sweep"
            ) as pool:
                results = list(pool.map(lambda c: self._cell(c, earlier.get(c.key)), order))
            results.sort(key=lambda r: r.cell.index)
        finally:
            if own_slots:
                self.client.submitter.job_slots = None
        return write_reports(self.plan, results, self.out_dir, self.image, self.mask)

    def _cell(self, cell: Cell, earlier: dict[str, Any] | None) -> CellResult:
        try:
            result = self._resume(cell, earlier) or self._patiently(cell)
        except (ModelsLabError, OSError) as exc:
            ids = list(getattr(exc, "completed_jobs", ()) or [])
            job_id = getattr(exc, "job_id", None)
            state = (
                "pending"
                if isinstance(exc, JobError) and job_id is not None and not _failed(exc)
                else "failed"
            )
            if job_id is not None:
                ids.append(job_id)
            result = CellResult(cell, state, job_ids=ids, error=str(exc))
            self.manifest.record(cell, self.plan.names, state, job_ids=ids, error=str(exc))
        if self.on_cell is not None:
            self.on_cell(result)
        return result

    def _patiently(self, cell: Cell) -> CellResult:
        """``_send``, waiting out a full queue for as long as the client's wait limit.

        The HTTP layer already retries a 429 a few times; a sweep has time, and
        a queue can stay full longer than that (jobs of another run on the same
        key, or one a crash left running). Nothing was sent, so trying again
        costs nothing; only past the wait limit is the cell given up.
        """
        deadline = time.monotonic() + self.client.max_wait
        while True:
            seen: list[Any] = []
            try:
                return self._send(cell, seen)
            except RateLimitError as exc:
                pause = min(max(exc.retry_after or 2.0, 0.5), 30.0)
                # A later region refused after an earlier one ran: sending again
                # would pay for that one twice, so the cell is recorded instead.
                if seen or time.monotonic() + pause > deadline:
                    raise
                if self._wait_or_cancelled(pause):
                    raise JobCancelledError(
                        "Stopped while the queue was full: nothing was sent for this cell."
                    ) from None

    def _wait_or_cancelled(self, seconds: float) -> bool:
        """Wait ``seconds`` unless the sweep is cancelled first (True: cancelled)."""
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            if self.cancel is not None and self.cancel():
                return True
            threading.Event().wait(min(0.2, left))
        return False

    def _resume(self, cell: Cell, earlier: dict[str, Any] | None) -> CellResult | None:
        if not earlier:
            return None
        files = [self.out_dir / f for f in earlier.get("files") or []]
        if earlier.get("state") == "done" and files and all(f.is_file() for f in files):
            images = [Image.open(f).convert("RGB") for f in files]
            return CellResult(
                cell,
                "done",
                images,
                [str(f) for f in earlier["files"]],
                earlier.get("job_ids") or [],
                earlier.get("seed"),
                earlier.get("generation_time"),
                reused=True,
            )
        ids = earlier.get("job_ids") or []
        boxes = earlier.get("boxes") or [None] * len(ids)
        if earlier.get("state") in ("submitted", "pending") and ids and len(boxes) == len(ids):
            return self._fetch(cell, ids, boxes)
        return None

    def _fetch(self, cell: Cell, ids: list[Any], boxes: list[Any]) -> CellResult:
        """A cell sent earlier but never collected: its jobs fetched, never sent again."""
        request = cell.request.resolved(self.image.size)
        hold = self.slots.acquire(self.cancel)
        if hold is None:
            raise JobCancelledError(
                "Stopped before the earlier run's jobs were collected.", job_id=ids[0]
            )
        try:
            last = self._fetch_jobs(request, ids, boxes)
        finally:
            self.slots.release(hold)
        parameters = {
            **request.recorded(),
            "seed": last.seed,
            "request_id": ",".join(map(str, ids)),
        }
        return self._finish(cell, last.images, ids, last.seed, last.generation_time, parameters)

    def _fetch_jobs(
        self, request: InpaintRequest, ids: list[Any], boxes: list[Any]
    ) -> InpaintResult:
        """Each job of a cell in turn, put back into the photo one region after another.

        Holds one job slot: the earlier run's job still occupies the API's queue.
        """
        canvas, last = self.image, None
        for job_id, box in zip(ids, boxes, strict=True):
            last = self.client.fetch_result(
                job_id,
                image=canvas if request.paste_back or box else None,
                mask=self.mask if request.paste_back or box else None,
                box=tuple(box) if box else None,
                paste_back=request.paste_back,
                feather=request.feather,
                match_colours=request.match_colours,
                cancel=self.cancel,
            )
            canvas = last.images[0]
        assert last is not None
        return last

    def _send(self, cell: Cell, seen: list[Any] | None = None) -> CellResult:
        """Send the cell; ``seen`` collects its job ids as they appear."""
        names = self.plan.names
        seen = [] if seen is None else seen
        boxes = (
            [r.box.as_tuple() for r in pipeline.regions_for(self.mask, cell.request)]
            if cell.request.crop_to_mask
            else []
        )

        def progress(event: ProgressEvent) -> None:
            if event.job_id is not None and event.job_id not in seen:
                seen.append(event.job_id)
                self.manifest.record(
                    cell,
                    names,
                    "submitted",
                    job_ids=list(seen),
                    boxes=boxes[: len(seen)] or [None] * len(seen),
                )
            if self.progress is not None:
                self.progress(cell, event)

        result = self.client.run(
            self.image, self.mask, cell.request, progress=progress, cancel=self.cancel
        )
        return self._finish(
            cell,
            result.images,
            result.job_ids,
            result.seed,
            result.generation_time,
            result.parameters,
        )

    def _finish(
        self,
        cell: Cell,
        images: list[Image.Image],
        job_ids: list[Any],
        seed: int | None,
        generation_time: float | None,
        parameters: dict[str, Any],
    ) -> CellResult:
        stem = f"cells/{cell.index:03d}"
        files = []
        for number, image in enumerate(images, 1):
            name = f"{stem}.png" if len(images) == 1 else f"{stem}-{number}.png"
            sample = {"sample": number} if len(images) > 1 else {}
            metadata.save_png(image, ensure_parent(self.out_dir / name), {**parameters, **sample})
            files.append(name)
        self.manifest.record(
            cell,
            self.plan.names,
            "done",
            job_ids=list(job_ids),
            files=files,
            seed=seed,
            generation_time=generation_time,
        )
        return CellResult(cell, "done", list(images), files, list(job_ids), seed, generation_time)


def _failed(exc: ModelsLabError) -> bool:
    from .errors import JobFailedError

    return isinstance(exc, JobFailedError)


def load_inputs(image: Any, mask: Any) -> tuple[Image.Image, Image.Image]:
    """The photo upright at full size and its binary mask, read once for every cell."""
    return pipeline.full_inputs(image, mask, soft=False)


def same_pixels(a: Image.Image, b: Image.Image) -> bool:
    """Whether two images are identical pixel for pixel (what ``replay`` promises offline)."""
    return a.size == b.size and bool(
        np.array_equal(np.asarray(a.convert("RGB")), np.asarray(b.convert("RGB")))
    )
