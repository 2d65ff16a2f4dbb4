"""9. Resources of the studio: 50 generations with 12-megapixel photos.

``python app.py`` runs as a subprocess in offline mode with its temporary
directory (``TMPDIR``) pointed at an empty folder, so every file the app (and
gradio inside it) writes shows up there. Two ``gradio_client`` users call
``/inpaint`` with a different 4032 x 3024 JPEG each time (a 160 px hole,
"Only masked": the engine's part is cheap, the studio's handling of the big
photo is what is measured). After 10 and after 50 generations: bytes and
files on disk (the studio's folder, gradio's cache, the local server's
storage) and the app process's resident memory (VmRSS); then the app is
stopped (SIGTERM, as a service manager does) and what is left is counted.

``tests/test_studio_resources.py`` runs the same driver, shorter.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from benchmarks.common import EXAMPLES, Section

PHOTO_SIZE = (4032, 3024)  # 12 megapixels, a phone's photo
HOLE = 160  # px, the painted area's diameter
USERS = 2


@dataclass
class Disk:
    """Bytes and files under a temporary directory, by who wrote them (a file linked
    twice is counted once)."""

    studio: int = 0  # the studio's own files (results, captures, comparisons)
    kept: int = 0  # of which the photos and masks kept for "Fetch result"
    gradio: int = 0  # gradio's cache (uploads, its copies), the studio's results excepted
    server: int = 0  # the local server's storage (offline mode)
    files: int = 0
    folders: int = 0

    @property
    def total(self) -> int:
        return self.studio + self.gradio + self.server


def disk_usage(temp: Path) -> Disk:
    """What lies under ``temp``: gradio's cache (a folder named ``gradio``), the local
    server's storage (``inpaint-server-*``) and the rest, the studio's."""
    disk = Disk()
    seen: set[tuple[int, int]] = set()
    for folder, dirs, names in os.walk(temp):
        disk.folders += len(dirs)
        parts = Path(folder).relative_to(temp).parts
        for name in names:
            try:
                stat = (Path(folder) / name).stat()
            except OSError:
                continue
            if (stat.st_dev, stat.st_ino) in seen:
                continue
            seen.add((stat.st_dev, stat.st_ino))
            disk.files += 1
            if "gradio" in parts and "studio-results" not in parts:
                disk.gradio += stat.st_size
            elif parts and parts[0].startswith("inpaint-server-"):
                disk.server += stat.st_size
            else:
                disk.studio += stat.st_size
                # "jobs/<id>" (or "job-<id>" before the per-process folders)
                kept = any(p == "jobs" or p.startswith("job-") for p in parts)
                disk.kept += stat.st_size if kept else 0
    return disk


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def make_photos(folder: Path, count: int) -> tuple[list[Path], Path]:
    """``count`` different 12 MP JPEGs (a number drawn in a corner) and one mask."""
    base = Image.open(EXAMPLES / "chelsea.png").convert("RGB").resize(PHOTO_SIZE)
    # A camera's grain: a smooth upscale would compress far better than a photo does.
    grain = np.random.default_rng(0).normal(0, 6, (PHOTO_SIZE[1], PHOTO_SIZE[0], 1))
    base = Image.fromarray(np.clip(np.asarray(base, np.float32) + grain, 0, 255).astype(np.uint8))
    photos = []
    for n in range(count):
        photo = base.copy()
        ImageDraw.Draw(photo).rectangle((10, 10, 60 + 40 * (n % 50), 50 + 3 * n), fill=(n, 0, 0))
        path = folder / f"photo-{n}.jpg"
        photo.save(path, quality=90)
        photos.append(path)
    mask = Image.new("L", PHOTO_SIZE, 0)
    cx, cy = PHOTO_SIZE[0] // 2, PHOTO_SIZE[1] // 2
    ImageDraw.Draw(mask).ellipse(
        (cx - HOLE // 2, cy - HOLE // 2, cx + HOLE // 2, cy + HOLE // 2), 255
    )
    mask_path = folder / "mask.png"
    mask.save(mask_path)
    return photos, mask_path


@dataclass
class Figures:
    """Disk and memory after each checkpoint, and what the stopped app left."""

    at: dict[int, tuple[Disk, float]] = field(default_factory=dict)
    left_after_exit: Disk = field(default_factory=Disk)
    seconds: float = 0.0
    # Which client session sent each job: only that session may fetch it again.
    sessions: dict[str, str] = field(default_factory=dict)


def run_generations(
    url: str,
    pid: int,
    temp: Path,
    photos: list[Path],
    mask: Path,
    checkpoints: tuple[int, ...],
    users: int = USERS,
) -> tuple[Figures, list[str]]:
    """``checkpoints[-1]`` calls of ``/inpaint`` by ``users`` clients at once; disk and RSS
    are read when the count of finished calls reaches each checkpoint (the clients
    wait there, so the reading is of a quiet app). Returns them and the job ids, in
    the order of the photos."""
    from gradio_client import Client, handle_file  # heavy import: only when this runs

    figures = Figures()
    clients = [Client(url, verbose=False, download_files=False) for _ in range(users)]
    job_ids: dict[int, str] = {}
    errors: list[str] = []
    lock = threading.Lock()
    started = time.monotonic()

    def call(client: Any, n: int) -> None:
        outputs = client.predict(
            image=handle_file(str(photos[n])),
            mask=handle_file(str(mask)),
            prompt="a plain wall",
            seed=n,
            crop_to_mask="Only masked",
            mask_padding=32,
            api_name="/inpaint",
        )
        info = next(o for o in outputs if isinstance(o, dict) and "job_id" in o)
        with lock:
            job_ids[n] = str(info["job_id"])
            figures.sessions[job_ids[n]] = client.session_hash

    start = 0
    for checkpoint in checkpoints:
        batch = list(range(start, checkpoint))

        def user(index: int, batch: list[int] = batch) -> None:
            for n in batch[index::users]:
                try:
                    call(clients[index], n)
                except Exception as exc:  # recorded and reported below
                    with lock:
                        errors.append(str(exc)[:200])

        threads = [threading.Thread(target=user, args=(i,)) for i in range(users)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        figures.at[checkpoint] = (disk_usage(temp), rss_mb(pid))
        start = checkpoint
    figures.seconds = time.monotonic() - started
    for client in clients:
        client.close()
    if errors:
        raise RuntimeError(f"{len(errors)} generation(s) failed: {errors[0]}")
    return figures, [job_ids[n] for n in sorted(job_ids)]


def measure(checkpoints: tuple[int, ...], *, start_app: Callable[[Path], Any]) -> Figures:
    """Start the app (``start_app(temp)`` returns an ``App``), run the generations,
    stop it with SIGTERM and count what is left under its temporary directory."""
    with tempfile.TemporaryDirectory(prefix="bench-resources-") as work:
        inputs, temp = Path(work) / "inputs", Path(work) / "tmp"
        inputs.mkdir()
        temp.mkdir()
        photos, mask = make_photos(inputs, checkpoints[-1])
        app = start_app(temp)
        try:
            url = app.wait_until_ready()
            figures, _ = run_generations(url, app.proc.pid, temp, photos, mask, checkpoints)
        finally:
            app.stop()
        figures.left_after_exit = disk_usage(temp)
    return figures


def mb(size: int) -> str:
    return f"{size / 1e6:.0f} MB"


def run(quick: bool = False) -> Section:
    from benchmarks.appproc import AppProcess

    started = time.perf_counter()
    checkpoints = (4, 8) if quick else (10, 50)
    figures = measure(
        checkpoints, start_app=lambda temp: AppProcess(TMPDIR=str(temp), GRADIO_TEMP_DIR="")
    )
    section = Section(
        "9. Resources: 50 generations with 12 MP photos through the studio's API",
        [
            "after",
            "studio's files",
            "kept for fetch",
            "gradio's cache",
            "local server",
            "files",
            "app RSS",
        ],
    )
    for count, (disk, rss) in figures.at.items():
        section.add(
            f"{count} generations",
            mb(disk.studio),
            mb(disk.kept),
            mb(disk.gradio),
            mb(disk.server),
            disk.files,
            f"{rss:.0f} MB",
        )
    left = figures.left_after_exit
    section.add(
        "the app stopped (SIGTERM)",
        mb(left.studio),
        mb(left.kept),
        mb(left.gradio),
        mb(left.server),
        f"{left.files} ({left.folders} folders)",
        "",
    )
    section.note(
        f"{checkpoints[-1]} calls of `/inpaint` by {USERS} gradio_client users at once "
        f"({figures.seconds:.0f} s), each with its own 4032 x 3024 JPEG (about 4 MB, with "
        f"grain) and a {HOLE} px round hole, 'Only masked', padding 32; offline mode."
    )
    section.seconds = time.perf_counter() - started
    return section
