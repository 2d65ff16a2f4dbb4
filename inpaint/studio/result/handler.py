"""Showing what a generation produced, and the buttons that act on a shown result."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import gradio as gr
from PIL import Image

from ...client import InpaintResult
from ...http import Scrubber
from ..backend import BACKEND_LABELS
from ..common import SKIP, before_after, generate_outputs, session_of
from ..form import MASK_TAB, RESULT_TAB, Form
from ..history import history_entry
from ..messages import page_error
from ..store import OutputStore, SavedRun

# Results larger than this (long side, px) are shown from a JPEG preview this large
# while the exact PNG is written for download: about what a screen shows of them.
PREVIEW_SIDE = 2048


def run_info_text(result: InpaintResult, elapsed: float, fetched: bool = False) -> str:
    """Seed, time and job id, the three things people copy from a result."""
    seed = "unknown" if result.seed is None else f"`{result.seed}`"
    parts = []
    if result.generation_time is not None:
        parts.append(f"{result.generation_time:.1f} s generation")
    parts.append(f"fetched in {elapsed:.1f} s" if fetched else f"{elapsed:.1f} s total")
    job = "-" if result.id is None else f"`{result.id}`"
    return f"**Seed** {seed} · **Time** {', '.join(parts)} · **Job id** {job}"


def job_entry(
    form: Form | None,
    *,
    status: str,
    mode: str,
    job_id: Any,
    size: tuple[int, int] | None,
    message: str,
    entry_id: str,
    fetched: bool,
    fetch_url: str | None = None,
) -> dict[str, Any]:
    """The history entry of a job; a fetched one completes the entry that recorded it."""
    entry = history_entry(
        form or Form(),
        status=status,
        backend=mode,
        job_id=job_id,
        size=size,
        message=message,
        fetch_url=fetch_url,
        entry_id=entry_id,
    )
    if fetched:  # keeps the form of the entry that recorded this job
        entry.update(update_job=True, params=None)
    return entry


def status_only(status: str) -> tuple[Any, ...]:
    return generate_outputs(status=status)


def pending(
    job_id: Any, entry: dict[str, Any], *, waiting: bool, message: str = ""
) -> tuple[Any, ...]:
    """A job that exists but has no result here (yet): its id goes to the history."""
    if waiting:
        status = (
            f"… Job **{job_id}** is running. It is in your history: if you leave, "
            "fetch it later with “Fetch result”."
        )
    else:
        status = f"… {message}"
    return generate_outputs(
        status=status,
        fetch_job_id=str(job_id),
        fetch_row=SKIP if waiting else gr.update(visible=True),
        new_entry=entry,
    )


def failed(message: str, entry: dict[str, Any]) -> tuple[Any, ...]:
    return generate_outputs(status=f"⚠ {message}", new_entry=entry)


class Results:
    """Turns a finished job into the page's outputs, and acts on the result shown."""

    def __init__(self, store: OutputStore) -> None:
        self.store = store

    def success(
        self,
        result: InpaintResult,
        form: Form | None,
        *,
        mode: str,
        before: Image.Image | None,
        size: tuple[int, int] | None,
        elapsed: float,
        entry_id: str,
        fetched: bool,
        scrub: Scrubber,
        session: str = "",
        remark: str = "",
        owner: str = "",
        kept_before: bool = True,
    ) -> Iterator[tuple[Any, ...]]:
        """Save the PNGs (with their parameters) and fill every result output.

        A large result is yielded twice: first shown from its previews (the
        downloads hidden), then, once its PNGs are written, with the downloads.
        ``kept_before`` False: ``before`` is shown, not the job's kept input (an
        extension's kept input is the canvas its jobs started from).
        """
        saved = self._save(result, mode, before, session, owner, kept_before)
        paths, shown = saved.outputs, saved.shown
        out_size = result.images[0].size if result.images else size
        captions = [
            f"Sample {i} · {img.size[0]}×{img.size[1]}" for i, img in enumerate(result.images, 1)
        ]
        entry = job_entry(
            form,
            status="done",
            mode=mode,
            job_id=result.id,
            size=out_size,
            message="",
            entry_id=entry_id,
            fetched=fetched,
        )
        entry.update(seed=result.seed, generation_time=result.generation_time)
        info = {
            "job_id": result.id,
            "backend": mode,
            "request": scrub(result.sent) if result.sent else "(fetched by job id)",
            "response_meta": scrub(result.meta),
            "output_urls": scrub(result.output_urls),
        }
        if result.nsfw_content_detected:
            info["nsfw_content_detected"] = True
        last_run = {
            "before": saved.before_shown,
            "outputs": paths,
            "shown": shown,
            "seed": result.seed,
            "job_id": result.id,
            "selected": 0,
        }
        note = " (the API flagged possibly unsafe content)" if result.nsfw_content_detected else ""
        status = (
            f"✓ Done: {len(paths)} image{'s' if len(paths) != 1 else ''}{note}. "
            "Select one to compare it with the input."
        ) + (f" {remark}" if remark else "")
        outputs = dict(
            gallery=list(zip(shown, captions, strict=True)),
            before_after=before_after(saved.before_shown, shown[0]) if shown else None,
            run_info=run_info_text(result, elapsed, fetched),
            info=info,
            status=status,
            fetch_job_id="",
            fetch_row=gr.update(visible=False),
            last_run=last_run,
            last_seed=result.seed,
            new_entry=entry,
            right_tabs=gr.Tabs(selected=RESULT_TAB),
        )
        if saved.pending is not None:
            yield generate_outputs(**outputs, downloads=gr.update(value=None, visible=False))
            saved.wait()
        yield generate_outputs(**outputs, downloads=gr.update(value=paths, visible=True))

    def _save(
        self,
        result: InpaintResult,
        mode: str,
        before: Image.Image | None,
        session: str,
        owner: str = "",
        kept_before: bool = True,
    ) -> SavedRun:
        """The results' files, and the "before" file for the slider.

        The photo a job was cut from is already on disk (for a later fetch):
        when the results have its size, the slider uses that file, not a copy.
        """
        parameters = {**result.parameters, "backend": BACKEND_LABELS.get(mode, mode)}
        kept = self.store.input_for(f"{mode}-{owner}-{result.id}") if kept_before else None
        same_size = before is None or (result.images and before.size == result.images[0].size)
        # The kept photo is linked into the result's folder (no copy): the result keeps
        # its "before" whatever happens to the kept inputs.
        shown: Image.Image | str | None = kept if kept and same_size else before
        return self.store.save_result(
            shown,
            result.images,
            result.id,
            result.seed,
            parameters,
            session=session,
            fallback=before,
            preview_side=PREVIEW_SIDE,
        )

    @staticmethod
    def select(
        last_run: dict[str, Any] | None, evt: gr.SelectData
    ) -> tuple[Any, dict[str, Any] | None]:
        """Show the chosen sample in the before/after slider."""
        if not last_run or not last_run.get("outputs"):
            return gr.skip(), last_run
        shown = last_run.get("shown") or last_run["outputs"]
        index = evt.index if isinstance(evt.index, int) else (evt.index or [0])[0]
        index = max(0, min(int(index), len(shown) - 1))
        last_run = {**last_run, "selected": index}
        return before_after(last_run.get("before"), shown[index]), last_run

    def use_as_input(
        self, last_run: dict[str, Any] | None, request: gr.Request | None = None
    ) -> tuple[str, Any, str, Any]:
        """Send the selected result back to the editor for another pass.

        Returns the image file (the photo; the editor follows it), no mask
        file, a status line and the Mask tab. The file is a link outside the
        result's folder (gradio copies it into its cache), so the photo
        outlives the result, which the next one replaces.
        """
        if not last_run or not last_run.get("outputs"):
            raise page_error("No result yet: generate one first, then use it as the input.")
        index = int(last_run.get("selected") or 0)
        shown = last_run["outputs"][min(index, len(last_run["outputs"]) - 1)]
        self.store.ready(shown)  # the exact PNG, which may still be being written
        path = self.store.detach(shown, session=session_of(request))
        status = (
            f"↩ Sample {index + 1} is now the input (its mask tools are reset): "
            "paint the next area to change."
        )
        return path, None, status, gr.Tabs(selected=MASK_TAB)

    @staticmethod
    def reuse_seed(last_seed: int | None) -> Any:
        """Put the last result's seed in the seed field (for small, controlled changes)."""
        if last_seed is None:
            gr.Warning("No seed yet: generate once, then reuse its seed.")
            return gr.skip()
        return last_seed
