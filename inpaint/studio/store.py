"""Result and input files on disk: what is kept, and for how long.

The rule (also in the README):

* **Results** (the PNGs a page shows and downloads): a page session keeps its
  latest result; an earlier one is removed once the newer one has been
  delivered, and all of a session's files are removed when its tab is closed
  (``end_session``, gradio's ``unload``). Sessions that never close (API
  callers) keep theirs until ``SESSIONS_KEPT`` newer sessions have results,
  or for ``max_age``. Only events that made a result count: free events
  (captures, previews) never push a result out. A result's "before" file is
  a hard link, so it outlives the job inputs it comes from without costing
  bytes.
* **Captures** (the editor frozen into files for Generate / Extend): the last
  ``CAPTURES_KEPT`` of a session and ``CAPTURES_TOTAL`` in all, kept apart
  from results (gradio has its own copy once delivered).
* **Job inputs** (the full-size photo and mask of a sent job, for putting a
  result fetched later back into its photo): at most ``keep_jobs`` jobs and
  ``keep_bytes`` bytes, oldest dropped first (the newest is always kept). A
  job whose inputs were dropped can still be fetched: the result comes as the
  API returned it, and ``inputs_dropped`` lets the page say why.
* Anything older than ``max_age`` goes; the whole folder goes when the
  process ends (``workdir``).
"""

from __future__ import annotations

import os
import shutil
import threading
import time
import uuid
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from .. import images as imgs
from .. import metadata
from .settings import DEFAULT_KEEP_JOBS, DEFAULT_KEEP_MB, Settings

DEFAULT_KEEP_BYTES = int(DEFAULT_KEEP_MB * 1000 * 1000)
RESULTS_IN_GRADIO = "studio-results"  # the results' folder inside gradio's cache
# gradio's ``delete_cache``: every 10 minutes, its files (uploads, and the results
# the studio keeps in it) older than the store's ``max_age`` go.
DELETE_CACHE = (600, 6 * 3600)
SESSIONS_KEPT = 64
CAPTURES_KEPT = 3
# Capture folders kept across all sessions (as many as 64 sessions x 3 used to be).
CAPTURES_TOTAL = SESSIONS_KEPT * CAPTURES_KEPT
DROPPED_REMEMBERED = 10_000


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


def remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def folder_bytes(path: Path) -> int:
    total = 0
    for item in path.iterdir():
        try:
            total += item.stat().st_size
        except OSError:
            continue
    return total


class SessionFiles:
    """The result and capture folders of each page session (see the module's rule).

    Results and captures are kept apart on purpose. A capture is free (anyone,
    any script, can make one a second), so captures are bounded on their own,
    ``captures_total`` folders across every session, oldest first; they never
    create, refresh or evict an entry of the results. Only an event that made a
    result (a paid job, or an offline fill under its budget) takes one of the
    ``sessions_kept`` result places: a flood of free events cannot push
    another visitor's paid result out.
    """

    def __init__(
        self, sessions_kept: int = SESSIONS_KEPT, captures_total: int = CAPTURES_TOTAL
    ) -> None:
        self.sessions_kept = sessions_kept
        self.captures_total = captures_total
        # session -> [(folder, delivered)], least recently used first
        self._results: OrderedDict[str, list[tuple[Path, bool]]] = OrderedDict()
        self._captures: OrderedDict[Path, str] = OrderedDict()  # folder -> session, oldest first
        self._lock = threading.Lock()

    def add_result(self, session: str, folder: Path) -> None:
        gone: list[Path] = []
        with self._lock:
            self._results.setdefault(session, []).append((folder, False))
            self._results.move_to_end(session)
            while len(self._results) > self.sessions_kept:
                _, old = self._results.popitem(last=False)
                gone += [f for f, _ in old]
        for f in gone:
            remove(f)

    def delivered(self, session: str, folder: Path) -> None:
        """``folder``'s event has ended: it and the session's older results may go,
        except the latest and any still being delivered."""
        gone: list[tuple[Path, bool]] = []
        with self._lock:
            record = self._results.get(session)
            if record is None:
                return
            marked = [(f, done or f == folder) for f, done in record]
            latest = marked[-1][0] if marked else None
            kept: list[tuple[Path, bool]] = []
            for f, done in marked:
                (gone if done and f != latest else kept).append((f, done))
            self._results[session] = kept
        for f, _ in gone:
            remove(f)

    def add_capture(self, session: str, folder: Path) -> None:
        with self._lock:
            self._captures[folder] = session
            mine = [f for f, owner in self._captures.items() if owner == session]
            gone = mine[:-CAPTURES_KEPT]
            for f in gone:
                del self._captures[f]
            while len(self._captures) > self.captures_total:
                old, _ = self._captures.popitem(last=False)
                gone.append(old)
        for f in gone:
            remove(f)

    def end(self, session: str) -> None:
        with self._lock:
            results = [f for f, _ in self._results.pop(session, [])]
            captures = [f for f, owner in self._captures.items() if owner == session]
            for f in captures:
                del self._captures[f]
        for folder in results + captures:
            remove(folder)

    def count(self) -> int:
        """Sessions holding results."""
        with self._lock:
            return len(self._results)


class KeptInputs:
    """The inputs of sent jobs, for "Fetch result": capped in count and bytes."""

    def __init__(self, keep_jobs: int, keep_bytes: int) -> None:
        self.keep_jobs = keep_jobs
        self.keep_bytes = keep_bytes
        self._folders: OrderedDict[Path, int] = OrderedDict()  # folder -> bytes, oldest first
        self._jobs: dict[str, Placement] = {}
        self._dropped: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, folder: Path) -> None:
        gone = []
        with self._lock:
            self._folders[folder] = folder_bytes(folder)
            while len(self._folders) > 1 and (
                len(self._folders) > self.keep_jobs or sum(self._folders.values()) > self.keep_bytes
            ):
                old, _ = self._folders.popitem(last=False)
                gone.append(old)
            for old in gone:
                self._forget(old)
        for old in gone:
            remove(old)

    def _forget(self, folder: Path) -> None:
        """The jobs cut from ``folder``'s photo: their inputs are dropped (lock held)."""
        for key in [k for k, p in self._jobs.items() if Path(p.image).parent == folder]:
            del self._jobs[key]
            self._dropped[key] = None
        while len(self._dropped) > DROPPED_REMEMBERED:
            self._dropped.popitem(last=False)

    def remember(self, key: str, placement: Placement) -> None:
        with self._lock:
            if Path(placement.image).parent in self._folders:
                self._jobs[key] = placement
            else:  # dropped while the job was being sent
                self._dropped[key] = None

    def placement(self, key: str) -> Placement | None:
        with self._lock:
            return self._jobs.get(key)

    def dropped(self, key: str) -> bool:
        with self._lock:
            return key in self._dropped

    def stats(self) -> tuple[int, int]:
        """(jobs' folders kept, their bytes)."""
        with self._lock:
            return len(self._folders), sum(self._folders.values())


class OutputStore:
    """Full-resolution PNGs of recent results and the inputs of recent jobs.

    ``root`` holds the job inputs, captures and comparisons; ``results`` the
    result PNGs (the studio puts it inside gradio's cache, which then serves
    them without copying them). Without a ``root`` a fresh per-process
    folder is made (``workdir.WorkDir``), removed at exit.
    """

    def __init__(
        self,
        root: str | os.PathLike | None = None,
        max_age: float = 6 * 3600,
        *,
        results: str | os.PathLike | None = None,
        keep_jobs: int = DEFAULT_KEEP_JOBS,
        keep_bytes: int = DEFAULT_KEEP_BYTES,
    ) -> None:
        self.workdir: Any = None
        if root is None:
            from .workdir import WorkDir

            self.workdir = WorkDir()
            root = self.workdir.root
        self.root = Path(root)
        self.results = Path(results) if results else self.root / "results"
        for folder in (self.root, self.results, self.root / "jobs", self.root / "inputs"):
            folder.mkdir(parents=True, exist_ok=True)
        self.max_age = max_age
        self.sessions = SessionFiles()
        self.kept = KeptInputs(keep_jobs, keep_bytes)
        self._pending: dict[str, Future[None]] = {}  # result files still being written
        self._lock = threading.Lock()

    @classmethod
    def for_settings(cls, settings: Settings, workdir: Any = None) -> OutputStore:
        """The studio's store: in ``workdir`` (a ``WorkDir``; None: a new one under
        ``settings.temp_dir``), with the results inside gradio's cache when gradio's
        cache is the workdir's, and the caps from ``settings``."""
        if workdir is None:
            from .workdir import WorkDir

            workdir = WorkDir(settings.temp_dir)
        gradio = Path(os.environ.get("GRADIO_TEMP_DIR") or "/nonexistent")
        results = workdir.gradio_dir / RESULTS_IN_GRADIO if gradio == workdir.gradio_dir else None
        store = cls(
            workdir.root,
            results=results,
            keep_jobs=settings.keep_jobs,
            keep_bytes=settings.keep_bytes,
        )
        store.workdir = workdir
        return store

    def save_run(
        self,
        before: Image.Image | str | None,
        images: list[Image.Image],
        job_id: Any,
        seed: int | None,
        parameters: dict[str, Any] | None = None,
        *,
        session: str = "",
        fallback: Image.Image | None = None,
    ) -> tuple[str | None, list[str]]:
        """``save_result`` without previews: the "before" file and the PNGs, all written."""
        saved = self.save_result(
            before, images, job_id, seed, parameters, session=session, fallback=fallback
        )
        return saved.before, saved.outputs

    def save_result(
        self,
        before: Image.Image | str | None,
        images: list[Image.Image],
        job_id: Any,
        seed: int | None,
        parameters: dict[str, Any] | None = None,
        *,
        session: str = "",
        fallback: Image.Image | None = None,
        preview_side: int | None = None,
    ) -> SavedRun:
        """Each result as a PNG carrying ``parameters`` (never the key), and the input.

        The input is saved at the results' size so the before/after slider
        compares like with like; a file (the kept input of the job) is linked,
        or, when it has just been dropped, ``fallback`` is saved instead.

        Results larger than ``preview_side`` are shown from previews (JPEG at
        screen size, made first and in parallel) while their PNGs, the exact
        pictures for download, are written in the background
        (``SavedRun.wait``, ``ready``): a 12 MP PNG takes about a second.
        """
        self.prune()
        run = self.results / uuid.uuid4().hex
        run.mkdir()
        stem = "inpaint" + (f"-job{job_id}" if job_id is not None else "")
        stem += f"-seed{seed}" if seed is not None else ""
        paths = [str(run / f"{stem}-{i}.png") for i in range(1, len(images) + 1)]
        jobs: list[PngJob] = [
            (img, path, {**(parameters or {}), **({"sample": i} if len(images) > 1 else {})})
            for i, (img, path) in enumerate(zip(images, paths, strict=True), 1)
        ]
        before_path = None
        if isinstance(before, str):
            before_path = str(run / ("input" + (Path(before).suffix.lower() or ".png")))
            try:
                _link_or_copy(before, before_path)
            except OSError:  # dropped by another job's inputs since it was looked up
                before, before_path = fallback, None
        big = bool(preview_side and images and max(images[0].size) > preview_side)
        pixels = before if isinstance(before, Image.Image) else fallback
        if images and pixels is not None and pixels.size != images[0].size:
            pixels = pixels.resize(images[0].size, Image.Resampling.LANCZOS)
        saved = SavedRun(outputs=paths, before=before_path)
        if isinstance(before, Image.Image) and pixels is not None:
            saved.before = str(run / "input.png")
            jobs.append((pixels, saved.before, None))
        if big and preview_side:
            shown = [
                (img, f"{path[:-4]}.preview.jpg") for img, path in zip(images, paths, strict=True)
            ]
            if pixels is not None:
                shown.append((pixels, str(run / "input.preview.jpg")))
            side = preview_side
            previews = list(_POOL.map(lambda pair: _write_preview(pair[0], pair[1], side), shown))
            saved.previews = previews[: len(images)]
            saved.before_preview = previews[len(images)] if pixels is not None else None
            saved.pending = _POOL.submit(_write_pngs, jobs)
            with self._lock:
                for done in [p for p, f in self._pending.items() if f.done()]:
                    del self._pending[done]
                for _img, path, _params in jobs:
                    self._pending[path] = saved.pending
        else:
            _write_pngs(jobs)
        self.sessions.add_result(session, run)
        return saved

    def ready(self, path: str, timeout: float = 120) -> None:
        """Wait until ``path``, a result being written in the background, is complete."""
        with self._lock:
            pending = self._pending.get(path)
        if pending is not None:
            pending.result(timeout=timeout)
            with self._lock:
                for done in [p for p, f in self._pending.items() if f.done()]:
                    del self._pending[done]

    def delivered(self, session: str, paths: list[str]) -> None:
        """The event that showed ``paths`` has ended: older results of the session may go."""
        if paths:
            self.sessions.delivered(session, Path(paths[0]).parent)

    def end_session(self, session: str) -> None:
        """A page was closed: its files are unreachable."""
        self.sessions.end(session)

    def remember_job(self, key: str, placement: Placement) -> None:
        """Keep where a job's result belongs, so a result fetched later is put back too."""
        self.kept.remember(str(key), placement)

    def placement_for(self, key: Any) -> Placement | None:
        placement = self.kept.placement(str(key))
        if placement is None or not Path(placement.image).is_file():
            return None
        return placement

    def inputs_dropped(self, key: Any) -> bool:
        """Whether this job's inputs were kept here and have since been dropped (caps, age)."""
        return self.kept.dropped(str(key)) or (
            self.kept.placement(str(key)) is not None and self.placement_for(key) is None
        )

    def input_for(self, key: Any) -> str | None:
        """The photo a job was cut from, for the before/after of a fetched result."""
        placement = self.placement_for(key)
        return placement.image if placement else None

    def save_job_inputs(self, image: Image.Image | str, mask: Image.Image) -> tuple[str, str]:
        """The full-size photo and mask of a sent job (fast PNG: they are working files).

        A photo that is a file (the one the job's photo was decoded from) is
        linked, not encoded again.
        """
        run = self.root / "jobs" / uuid.uuid4().hex
        run.mkdir()
        photo = _keep_photo(image, run)
        imgs.save_png(mask, run / "mask.png")
        self.kept.add(run)
        return photo, str(run / "mask.png")

    def save_inputs(
        self, image: Image.Image | str, mask: Image.Image, *, session: str = ""
    ) -> tuple[str, str]:
        """The editor's photo and mask as files: a photo that is a file (the user's
        own upload) is linked with its bytes as they are; pixels become lossless PNG."""
        self.prune()
        run = self.root / "inputs" / uuid.uuid4().hex
        run.mkdir()
        photo = _keep_photo(image, run)
        imgs.save_png(mask, run / "mask.png")
        self.sessions.add_capture(session, run)
        return photo, str(run / "mask.png")

    def detach(self, path: str, *, session: str = "") -> str:
        """A link to ``path`` among the session's captures, for a file that must outlive
        its result's folder (a result used as the next input); ``path`` itself when it
        is gone."""
        if not Path(path).is_file():
            return path
        run = self.root / "inputs" / uuid.uuid4().hex
        run.mkdir()
        target = run / Path(path).name
        _link_or_copy(path, str(target))
        self.sessions.add_capture(session, run)
        return str(target)

    def prune(self) -> None:
        """Remove what is older than ``max_age``."""
        cutoff = time.time() - self.max_age
        for parent in (self.root, self.results, self.root / "jobs", self.root / "inputs"):
            for item in parent.iterdir():
                if item.name in ("results", "jobs", "inputs", "gradio") or item == self.results:
                    continue
                try:
                    if item.stat().st_mtime >= cutoff:
                        continue
                    if item.is_dir():
                        shutil.rmtree(item, ignore_errors=True)
                    elif not item.name.startswith("."):
                        item.unlink(missing_ok=True)
                except OSError:
                    continue


@dataclass
class SavedRun:
    """A result's files: the exact PNGs (``outputs``), the input for the slider
    (``before``) and, for a large result, the screen-size previews the page shows
    while the PNGs are written (``pending``)."""

    outputs: list[str]
    before: str | None = None
    previews: list[str] | None = None
    before_preview: str | None = None
    pending: Future[None] | None = None

    @property
    def shown(self) -> list[str]:
        """What the page shows: the previews, or the PNGs themselves."""
        return self.previews if self.previews is not None else self.outputs

    @property
    def before_shown(self) -> str | None:
        return (self.before_preview or self.before) if self.previews is not None else self.before

    def wait(self, timeout: float = 300) -> None:
        """Until every PNG is complete (raises what writing them raised)."""
        if self.pending is not None:
            self.pending.result(timeout=timeout)


# Writes result files: a sample's preview or PNG each (encoding releases the GIL).
_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="studio-results")
PREVIEW_QUALITY = 90


def _write_preview(image: Image.Image, path: str, side: int) -> str:
    """``image`` fitted within ``side`` px as a JPEG: what a screen shows of it."""
    scale = side / max(image.size)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    # Bilinear scaled to the reduction (PIL widens its support) is smooth enough to look
    # at and a third of Lanczos's cost on 12 MP.
    small = image.convert("RGB").resize(size, Image.Resampling.BILINEAR)
    small.save(path, "JPEG", quality=PREVIEW_QUALITY)
    return path


PngJob = tuple[Image.Image, str, "dict[str, Any] | None"]


def _write_pngs(jobs: list[PngJob]) -> None:
    """Each image as a PNG (with parameters when given), in parallel; each file
    appears complete or not at all (written aside, then renamed)."""

    def one(job: PngJob) -> None:
        image, path, parameters = job
        data = (
            imgs.encode_png(image) if parameters is None else metadata.encode_png(image, parameters)
        )
        part = path + ".part"
        Path(part).write_bytes(data)
        os.replace(part, path)

    list(_PNG_POOL.map(one, jobs))


# Separate from ``_POOL``: a background write that waits on it must not wait on itself.
_PNG_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="studio-pngs")


def _keep_photo(image: Image.Image | str, run: Path) -> str:
    """``image`` in ``run``: a file linked as it is (its own suffix), pixels as PNG."""
    if isinstance(image, str):
        target = run / ("image" + (Path(image).suffix.lower() or ".png"))
        _link_or_copy(image, str(target))
        return str(target)
    imgs.save_png(image, run / "image.png")
    return str(run / "image.png")


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
