"""The page's event handlers (``Studio``)."""

from __future__ import annotations

import html
import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import gradio as gr
from PIL import Image

from .. import editor, masks, metadata
from ..client import InpaintResult, ModelsLabClient, ProgressEvent
from ..errors import (
    InputImageError,
    JobCancelledError,
    JobError,
    JobFailedError,
    JobTimeoutError,
    ModelsLabError,
    ParameterError,
)
from ..http import Scrubber
from . import codegen
from .backend import BACKEND_LABELS, Backend
from .form import (
    AREA_WHOLE,
    FORM_FIELDS,
    GENERATE_OUTPUTS,
    MASK_TAB,
    RESULT_TAB,
    Form,
)
from .history import history_entry, history_rows, record_history
from .messages import (
    ALL_BLACK_MESSAGE,
    EMPTY_PROMPT_MESSAGE,
    NO_PHOTO_CAPTION,
    _error,
    describe_error,
)
from .prepare import Prepared, prepare_inputs, preview_caption, preview_image
from .progress import CancelBoard, progress_text
from .settings import Settings
from .store import OutputStore, Placement

log = logging.getLogger("inpaint.studio")

# -- the handlers -------------------------------------------------------------------
_SKIP = object()  # placeholder: "leave this output as it is"
# gradio finds the progress tracker by the parameter's default being a Progress;
# the tracker itself is per event (a context variable), so one default is shared.
_PROGRESS = gr.Progress()


class Studio:
    """The page's event handlers, bound to one backend and one output folder."""

    def __init__(self, settings: Settings | None = None, *, backend: Backend | None = None,
                 store: OutputStore | None = None) -> None:
        self.settings = settings or Settings.from_env()
        self.backend = backend or Backend(self.settings)
        self.store = store or OutputStore()
        self.board = CancelBoard()

    # -- session key ----------------------------------------------------------
    def set_session_key(self, key: str | None) -> tuple[str, str]:
        """Keep the visitor's key in their session state and update the banner."""
        key = (key or "").strip()
        return key, self.backend.banner(key)

    def banner(self, session_key: str | None = None) -> str:
        return self.backend.banner(session_key)

    @staticmethod
    def size_controls(auto_size: bool) -> tuple[Any, Any]:
        """Width and height are only editable when the size is not automatic."""
        return gr.update(interactive=not auto_size), gr.update(interactive=not auto_size)

    # -- mask preview ---------------------------------------------------------
    def preview(self, image_editor: dict[str, Any] | None, mask_file: Any, auto_size: bool,
                width: float, height: float, invert_mask: bool, grow_px: float,
                feather_px: float, crop_to_mask: Any = AREA_WHOLE,
                mask_padding: float | None = None, paste_back: bool | None = None
                ) -> tuple[Image.Image | None, str]:
        """The exact mask that would be sent, tinted over the photo, and what is sent."""
        try:
            form = Form.from_ui({"auto_size": auto_size, "width": width, "height": height,
                                 "invert_mask": invert_mask, "grow_px": grow_px,
                                 "feather_px": feather_px, "crop_to_mask": crop_to_mask,
                                 "mask_padding": mask_padding, "paste_back": paste_back})
            if editor.background_image(image_editor) is None:
                return None, NO_PHOTO_CAPTION
            inputs = editor.read_inputs(image_editor, mask_file)
            prepared = prepare_inputs(inputs.image, inputs.mask, form, source=inputs.source,
                                      notes=inputs.notes)
        except InputImageError as exc:  # e.g. nothing painted yet: show the plain photo
            return editor.background_image(image_editor), describe_error(exc)
        except ModelsLabError as exc:
            return None, describe_error(exc)
        except Exception:  # the preview must never break the page
            log.exception("mask preview failed")
            return None, describe_error(RuntimeError())
        return preview_image(prepared), preview_caption(prepared)

    def refresh_preview(self, image_editor: dict[str, Any] | None, *settings: Any
                        ) -> tuple[Any, Any]:
        """``preview`` as the page uses it: silent while the editor reads empty.

        Right after an upload (or an example or a result put into the editor)
        the photo needs a moment to reach the canvas, and reading it earlier
        gives an empty editor, which must not replace the preview with "upload
        a photo". A cleared editor is handled by ``cleared``.
        """
        if editor.background_image(image_editor) is None:
            return gr.skip(), gr.skip()
        return self.preview(image_editor, *settings)

    @staticmethod
    def cleared() -> tuple[None, str]:
        """The editor was emptied: so is the preview."""
        return None, NO_PHOTO_CAPTION

    # -- generate -------------------------------------------------------------
    def capture(self, image_editor: dict[str, Any] | None, mask_file: Any,
                invert_mask: bool = False, prompt: str | None = "x",
                request: gr.Request = None) -> Iterator[tuple[Any, Any, str, Any]]:
        """Freeze the editor into an image file and a mask file for ``generate``.

        The page runs this quick step first and then ``generate`` on the two
        files, which is also exactly what an API caller sends. Saying "nothing
        is painted" belongs here, where it is still known whether the mask was
        painted or uploaded. Checking here also keeps these everyday slips out
        of the long-running event's error display. Yields (image file, mask
        file, status, tab to show).
        """
        try:
            inputs = editor.read_inputs(image_editor, mask_file)
            if masks.is_empty(inputs.mask) and not invert_mask:
                if inputs.source == "uploaded":
                    raise InputImageError(ALL_BLACK_MESSAGE, field="mask_image")
                raise InputImageError(masks.EMPTY_MASK_MESSAGE, field="mask_image")
            if not (prompt or "").strip():
                raise ParameterError(EMPTY_PROMPT_MESSAGE, field="prompt")
        except ModelsLabError as exc:
            message = describe_error(exc)
            yield gr.skip(), gr.skip(), f"⚠ {message}", gr.skip()
            raise _error(message) from None
        image, mask = self.store.save_inputs(inputs.image, inputs.mask)
        self.board.arm(_session_of(request))  # Cancel works from now on, even while queued
        # The result area is where the progress of the generation is shown.
        yield image, mask, "Sending…", gr.Tabs(selected=RESULT_TAB)

    def generate(self, image: str | None, mask: str | None, prompt: str = "",
                 negative_prompt: str | None = None, auto_size: bool | None = None,
                 width: float | None = None, height: float | None = None,
                 samples: float | None = None, num_inference_steps: float | None = None,
                 guidance_scale: float | None = None, strength: float | None = None,
                 safety_checker: bool | None = None, seed: float | None = None,
                 transport: str | None = None, base64_output: bool | None = None,
                 instant_response: bool | None = None, webhook: str | None = None,
                 track_id: float | None = None, invert_mask: bool | None = None,
                 grow_px: float | None = None, feather_px: float | None = None,
                 crop_to_mask: str | bool | None = None, mask_padding: float | None = None,
                 paste_back: bool | None = None,
                 session_key: str | None = None, progress: gr.Progress = _PROGRESS,
                 request: gr.Request = None) -> Iterator[tuple[Any, ...]]:
        """Inpaint the white area of ``mask`` in ``image``; yields the page's outputs.

        A job id is reported (and recorded in the history as pending) as soon
        as it exists, so a paid job survives a closed tab, a cancel or a
        timeout. Failures end with ``gr.Error`` carrying one plain sentence.
        """
        values = dict(locals())
        values.pop("self")
        scrub = self.backend.scrubber(session_key)
        session = _session_of(request)
        stop = self.board.begin(session)
        started = time.monotonic()
        try:
            try:
                form = Form.from_ui(values)
                progress(0.0, desc="Preparing the image and mask")
                prepared = prepare_inputs(image, mask, form)
                if not form.prompt.strip():  # after the image: the first thing missing first
                    raise ParameterError(EMPTY_PROMPT_MESSAGE, field="prompt")
                client = self.backend.client(session_key)
            except Exception as exc:  # plain words for everything, a log line for surprises
                if not isinstance(exc, ModelsLabError):
                    log.error("preparing a generation failed: %s", scrub(repr(exc)))
                message = scrub(describe_error(exc))
                yield self._status_only(f"⚠ {message}")
                raise _error(message) from None
            mode = self.backend.mode_for(session_key)

            def call(on_progress: Callable[[ProgressEvent], None],
                     cancel: Callable[[], bool]) -> InpaintResult:
                width, height = form.size()
                return client.inpaint(prepared.image, prepared.mask, width=width,
                                      height=height, mask_is_final=prepared.soft,
                                      progress=on_progress, cancel=cancel,
                                      **form.options(), **form.client_kwargs())

            yield from self._run_job(call, client, progress, stop, scrub, started, form=form,
                                     mode=mode, prepared=prepared)
        finally:
            self.board.end(session, stop)

    def fetch(self, job_id: str | float | None, session_key: str | None = None,
              progress: gr.Progress = _PROGRESS,
              request: gr.Request = None) -> Iterator[tuple[Any, ...]]:
        """Collect a job that was still running (timed out, cancelled or from history)."""
        scrub = self.backend.scrubber(session_key)
        job_id = str(job_id if job_id is not None else "").strip()
        if job_id.endswith(".0") and job_id[:-2].isdigit():
            job_id = job_id[:-2]
        if not job_id:
            message = "No job id: enter the id of the job to fetch (shown in the history)."
            yield self._status_only(f"⚠ {message}")
            raise _error(message)
        session = _session_of(request)
        stop = self.board.begin(session, fresh=True)
        started = time.monotonic()
        try:
            try:
                client = self.backend.client(session_key)
            except Exception as exc:
                if not isinstance(exc, ModelsLabError):
                    log.error("starting a fetch failed: %s", scrub(repr(exc)))
                message = scrub(describe_error(exc))
                yield self._status_only(f"⚠ {message}")
                raise _error(message) from None
            progress(0.0, desc=f"Checking job {job_id}")

            mode = self.backend.mode_for(session_key)
            placement = self.store.placement_for(f"{mode}-{job_id}")

            def call(on_progress: Callable[[ProgressEvent], None],
                     cancel: Callable[[], bool]) -> InpaintResult:
                placing = placement.fetch_kwargs() if placement is not None else {}
                return client.fetch_result(job_id, progress=on_progress, cancel=cancel,
                                           max_wait=self.settings.max_wait, **placing)

            yield from self._run_job(call, client, progress, stop, scrub, started, form=None,
                                     mode=mode, fetched_job=job_id)
        finally:
            self.board.end(session, stop)

    def cancel(self, request: gr.Request = None) -> str:
        """Stop waiting for this session's job (the job id is kept)."""
        if self.board.cancel(_session_of(request)):
            return ("Stopping… if the job was already sent, its id is kept so you can fetch "
                    "the result later.")
        return "Nothing is running."

    def _run_job(self, call: Callable[..., InpaintResult], client: ModelsLabClient,
                 progress: Any, stop: threading.Event, scrub: Scrubber, started: float, *,
                 form: Form | None, mode: str, prepared: Prepared | None = None,
                 fetched_job: str | None = None) -> Iterator[tuple[Any, ...]]:
        """Run the blocking client call in a worker, relaying progress from this thread.

        Progress is reported here (not from the worker) because gradio's
        progress and the generator's yields belong to the event's thread; the
        first time a job id appears, a pending history entry is yielded.
        ``prepared`` is what a generation sends (None for a fetch by id).
        """
        before = prepared.image if prepared is not None else None
        size = (prepared.width, prepared.height) if prepared is not None else None
        events: queue.Queue[tuple[str, Any]] = queue.Queue()

        def worker() -> None:
            try:
                if stop.is_set():  # cancelled while waiting in gradio's queue
                    raise JobCancelledError("Cancelled before the job was sent.")
                events.put(("result", call(lambda e: events.put(("progress", e)), stop.is_set)))
            except BaseException as exc:  # handed over to the event thread
                events.put(("error", exc))

        entry_id = uuid.uuid4().hex[:12]
        job_seen: Any = fetched_job
        jobs: list[Any] = []  # in the order sent: one per region in "only masked" mode
        files: tuple[str, str] | None = None
        thread = threading.Thread(target=worker, name="inpaint-job", daemon=True)
        thread.start()
        try:
            while True:
                kind, payload = events.get()
                if kind == "progress":
                    fraction, text = progress_text(payload)
                    progress(fraction, desc=scrub(text))
                    if (payload.job_id is not None and payload.job_id not in jobs
                            and prepared is not None and form is not None):
                        jobs.append(payload.job_id)
                        files = files or self.store.save_job_inputs(prepared.image,
                                                                    prepared.mask)
                        self.store.remember_job(f"{mode}-{payload.job_id}",
                                                _placement(prepared, form, files, len(jobs) - 1))
                    if payload.job_id is not None and job_seen is None and form is not None:
                        job_seen = payload.job_id
                        entry = history_entry(form, status="pending", backend=mode,
                                              job_id=job_seen, size=size, entry_id=entry_id,
                                              message="Waiting for the result")
                        yield self._pending(job_seen, entry, waiting=True)
                    continue
                break
        finally:
            client.close()
        elapsed = time.monotonic() - started

        if kind == "result":
            result: InpaintResult = payload
            yield self._success(result, form, mode, before, size, elapsed, entry_id,
                                fetched=fetched_job is not None, scrub=scrub)
            return
        exc = payload
        job_id = getattr(exc, "job_id", None)
        job_id = job_seen if job_id is None else job_id
        if not isinstance(exc, ModelsLabError):
            log.error("generation failed unexpectedly: %s", scrub(repr(exc)))
        message = scrub(describe_error(exc))
        if isinstance(exc, JobFailedError) and job_id is not None:
            entry = self._entry_for(form, status="failed", mode=mode, job_id=job_id,
                                    size=size, message=message, fetch_url=None,
                                    entry_id=entry_id, fetched=fetched_job is not None)
            yield self._failed(message, entry)
            raise _error(message)
        if job_id is None:
            if isinstance(exc, JobCancelledError):  # before a job existed: not a failure
                yield self._status_only(f"■ {message}")
                return
            yield self._status_only(f"⚠ {message}")
            raise _error(message)
        # The job exists (and may be paid for) but its result is not here: keep it.
        if not isinstance(exc, JobError):
            message += (f" Job {job_id} may still have finished: use “Fetch result” to "
                        "collect it.")
        entry = self._entry_for(form, status="pending", mode=mode, job_id=job_id, size=size,
                                message=message, fetch_url=getattr(exc, "fetch_url", None),
                                entry_id=entry_id, fetched=fetched_job is not None)
        yield self._pending(job_id, entry, waiting=False, message=message)
        if isinstance(exc, JobCancelledError):
            gr.Info(html.escape(message, quote=False))
            return
        if isinstance(exc, JobTimeoutError):  # not a failure: the job is alive and kept
            gr.Warning(html.escape(message, quote=False))
            return
        raise _error(message)

    # -- output tuples --------------------------------------------------------
    @staticmethod
    def _outputs(**values: Any) -> tuple[Any, ...]:
        return tuple(gr.skip() if values.get(name, _SKIP) is _SKIP else values[name]
                     for name in GENERATE_OUTPUTS)

    def _status_only(self, status: str) -> tuple[Any, ...]:
        return self._outputs(status=status)

    def _pending(self, job_id: Any, entry: dict[str, Any], *, waiting: bool,
                 message: str = "") -> tuple[Any, ...]:
        if waiting:
            status = (f"… Job **{job_id}** is running. It is in your history: if you leave, "
                      "fetch it later with “Fetch result”.")
        else:
            status = f"… {message}"
        return self._outputs(status=status, fetch_job_id=str(job_id),
                             fetch_row=_SKIP if waiting else gr.update(visible=True),
                             new_entry=entry)

    def _failed(self, message: str, entry: dict[str, Any]) -> tuple[Any, ...]:
        return self._outputs(status=f"⚠ {message}", new_entry=entry)

    def _entry_for(self, form: Form | None, *, status: str, mode: str, job_id: Any,
                   size: tuple[int, int] | None, message: str, fetch_url: str | None,
                   entry_id: str, fetched: bool) -> dict[str, Any]:
        entry = history_entry(form or Form(), status=status, backend=mode, job_id=job_id,
                              size=size, message=message, fetch_url=fetch_url,
                              entry_id=entry_id)
        if fetched:  # completes the entry that recorded this job, keeping its form
            entry.update(update_job=True, params=None)
        return entry

    def _success(self, result: InpaintResult, form: Form | None, mode: str,
                 before: Image.Image | None, size: tuple[int, int] | None, elapsed: float,
                 entry_id: str, *, fetched: bool, scrub: Scrubber) -> tuple[Any, ...]:
        parameters = {**result.parameters, "backend": BACKEND_LABELS.get(mode, mode)}
        # The photo a job was cut from is already on disk (for a later fetch): when
        # the results have its size, the slider uses that file rather than a copy.
        kept = self.store.input_for(f"{mode}-{result.id}")
        if kept and before is not None and result.images and before.size == result.images[0].size:
            before = None
        before_path, paths = self.store.save_run(before, result.images, result.id, result.seed,
                                                 parameters)
        before_path = before_path or kept
        out_size = result.images[0].size if result.images else size
        captions = [f"Sample {i}" + (f" · {img.size[0]}×{img.size[1]}")
                    for i, img in enumerate(result.images, 1)]
        gallery = list(zip(paths, captions, strict=True))
        slider = _before_after(before_path, paths[0]) if paths else None
        entry = self._entry_for(form, status="done", mode=mode, job_id=result.id,
                                size=out_size, message="", fetch_url=None, entry_id=entry_id,
                                fetched=fetched)
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
        last_run = {"before": before_path, "outputs": paths, "seed": result.seed,
                    "job_id": result.id, "selected": 0}
        note = " (the API flagged possibly unsafe content)" if result.nsfw_content_detected else ""
        status = (f"✓ Done: {len(paths)} image{'s' if len(paths) != 1 else ''}{note}. "
                  "Select one to compare it with the input.")
        return self._outputs(
            gallery=gallery, before_after=slider,
            downloads=gr.update(value=paths, visible=True),
            run_info=run_info_text(result, elapsed, fetched), info=info, status=status,
            fetch_job_id="", fetch_row=gr.update(visible=False), last_run=last_run,
            last_seed=result.seed, new_entry=entry, right_tabs=gr.Tabs(selected=RESULT_TAB),
        )

    # -- reproducing ------------------------------------------------------------
    def load_parameters(self, file: Any, *current: Any) -> tuple[Any, ...]:
        """Refill the form from a PNG this tool saved; outputs ``FORM_FIELDS`` then status.

        Fields the file does not record keep their current values.
        """
        skip = tuple(gr.skip() for _ in FORM_FIELDS)
        path = getattr(file, "name", file)
        if not path:
            return (*skip, gr.skip())
        try:
            params = metadata.read_parameters(path)
            base = Form.from_ui(dict(zip(FORM_FIELDS, current, strict=False)))
            form = Form.from_parameters(params, base)
        except (ModelsLabError, OSError, ValueError, TypeError) as exc:
            message = describe_error(exc) if isinstance(exc, ModelsLabError) else (
                "Could not read parameters from that file: choose a PNG saved by this tool.")
            gr.Warning(html.escape(message, quote=False))
            return (*skip, f"⚠ {message}")
        ui = form.as_ui()
        job = params.get("request_id")
        seed = params.get("seed")
        details = [f"job {job}"] if job else []
        details += [f"seed {seed}"] if seed is not None else []
        status = (f"↩ Loaded the parameters of {Path(str(path)).name}"
                  + (f" ({', '.join(details)})" if details else "") + ".")
        return (*(ui[name] for name in FORM_FIELDS), status)

    def code_for(self, *values: Any) -> tuple[str, str, str]:
        """The current request as Python, a curl script and a ``python -m inpaint`` command.

        ``values`` are ``FORM_FIELDS`` followed by the session key, which is
        only used to know which API the code should talk to; every version
        reads the key from ``MODELSLAB_API_KEY``.
        """
        fields = dict(zip(FORM_FIELDS, values, strict=False))
        session_key = values[len(FORM_FIELDS)] if len(values) > len(FORM_FIELDS) else None
        try:
            form = Form.from_ui(fields)
        except ModelsLabError as exc:
            note = f"# Fix the form first: {describe_error(exc)}"
            return note, note, note
        try:
            request = form.request()
        except ModelsLabError as exc:
            note = f"# Fix the form first: {describe_error(exc)}"
            return note, note, note
        base_url = self.backend.base_url_for(session_key)
        offline = self.backend.mode_for(session_key) == "offline"
        return (codegen.python_snippet(request, base_url=base_url, offline=offline),
                codegen.curl_script(request, base_url=base_url),
                codegen.cli_command(request, base_url=base_url, offline=offline))

    # -- results --------------------------------------------------------------
    def select_result(self, last_run: dict[str, Any] | None,
                      evt: gr.SelectData) -> tuple[Any, dict[str, Any] | None]:
        """Show the chosen sample in the before/after slider."""
        if not last_run or not last_run.get("outputs"):
            return gr.skip(), last_run
        index = evt.index if isinstance(evt.index, int) else (evt.index or [0])[0]
        index = max(0, min(int(index), len(last_run["outputs"]) - 1))
        last_run = {**last_run, "selected": index}
        return _before_after(last_run.get("before"), last_run["outputs"][index]), last_run

    def use_as_input(self, last_run: dict[str, Any] | None
                     ) -> tuple[str, Any, str, Any]:
        """Send the selected result back to the editor for another pass.

        Returns the image file (the page copies it into the editor in the
        browser), no mask file, a status line and the Mask tab.
        """
        if not last_run or not last_run.get("outputs"):
            raise _error("No result yet: generate one first, then use it as the input.")
        index = int(last_run.get("selected") or 0)
        path = last_run["outputs"][min(index, len(last_run["outputs"]) - 1)]
        status = (f"↩ Sample {index + 1} is now the input (its mask tools are reset): "
                  "paint the next area to change.")
        return path, None, status, gr.Tabs(selected=MASK_TAB)

    @staticmethod
    def reuse_seed(last_seed: int | None) -> Any:
        """Put the last result's seed in the seed field (for small, controlled changes)."""
        if last_seed is None:
            gr.Warning("No seed yet: generate once, then reuse its seed.")
            return gr.skip()
        return last_seed

    # -- history --------------------------------------------------------------
    @staticmethod
    def add_to_history(history: list[dict[str, Any]] | None,
                       entry: dict[str, Any] | None) -> tuple[list[dict[str, Any]], list]:
        items = record_history(history, entry)
        return items, history_rows(items)

    @staticmethod
    def show_history(history: list[dict[str, Any]] | None) -> list[list[Any]]:
        return history_rows(history)

    @staticmethod
    def clear_history() -> tuple[list, list]:
        return [], history_rows([])

    @staticmethod
    def restore(history: list[dict[str, Any]] | None,
                evt: gr.SelectData) -> tuple[Any, ...]:
        """Refill the form from a history entry; a pending one also fills "Fetch result".

        The seed restored is the one the job used, so the result can be
        reproduced; outputs are ``FORM_FIELDS`` then fetch id, fetch row, status.
        """
        row = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
        items = history or []
        if row is None or not 0 <= int(row) < len(items):
            return tuple(gr.skip() for _ in FORM_FIELDS) + (gr.skip(), gr.skip(), gr.skip())
        entry = items[int(row)]
        form = Form()
        for name, value in (entry.get("params") or {}).items():
            if name in FORM_FIELDS:
                setattr(form, name, value)
        if entry.get("seed") is not None:
            form.seed = entry["seed"]
        ui = form.as_ui()
        pending = entry.get("status") == "pending" and entry.get("job_id") is not None
        job = entry.get("job_id")
        if pending:
            status = (f"↩ Restored the settings of pending job {job}. Press “Fetch result” "
                      "to collect it.")
        else:
            seed_note = f" (seed {entry['seed']}, the one it used)" if entry.get("seed") else ""
            status = f"↩ Restored the settings from {entry.get('when', '')}{seed_note}."
        return (
            *(ui[name] for name in FORM_FIELDS),
            str(job) if pending else gr.skip(),
            gr.update(visible=True) if pending else gr.skip(),
            status,
        )


def _placement(prepared: Prepared, form: Form, files: tuple[str, str], index: int
               ) -> Placement:
    """Where the ``index``-th job of a generation goes back (its region, or the whole)."""
    boxes = [r.box.as_tuple() for r in prepared.regions]
    return Placement(image=files[0], mask=files[1],
                     box=boxes[min(index, len(boxes) - 1)] if boxes else None,
                     paste_back=form.paste_back, feather=form.feather_px)


def _session_of(request: Any) -> str:
    session = getattr(request, "session_hash", None)
    return session or f"anonymous-{uuid.uuid4().hex}"


def _before_after(before: str | None, after: str) -> tuple[Any, Any]:
    """The slider's pair; without a known input the result is shown on both sides."""
    return (before or after, after)


def run_info_text(result: InpaintResult, elapsed: float, fetched: bool = False) -> str:
    """Seed, time and job id, the three things people copy from a result."""
    seed = "unknown" if result.seed is None else f"`{result.seed}`"
    parts = []
    if result.generation_time is not None:
        parts.append(f"{result.generation_time:.1f} s generation")
    parts.append(f"fetched in {elapsed:.1f} s" if fetched else f"{elapsed:.1f} s total")
    job = "-" if result.id is None else f"`{result.id}`"
    return f"**Seed** {seed} · **Time** {', '.join(parts)} · **Job id** {job}"


