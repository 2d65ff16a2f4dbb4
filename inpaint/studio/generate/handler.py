"""Generate, Fetch result and Cancel: sending jobs and keeping every paid job's id."""

from __future__ import annotations

import html
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

import gradio as gr
from PIL import Image

from ... import masks
from ...client import ModelsLabClient
from ...errors import (
    InputImageError,
    JobCancelledError,
    JobError,
    JobFailedError,
    JobTimeoutError,
    ModelsLabError,
    ParameterError,
)
from ...http import Scrubber
from ...progress import ProgressEvent
from ...result import InpaintResult
from .. import editor, memory, timing
from ..access import Access, spending_client
from ..backend import Backend
from ..form import GENERATE_OUTPUTS, RESULT_TAB, Form
from ..history import history_entry
from ..jobs import JobCall, JobRunner, Outcome
from ..messages import ALL_BLACK_MESSAGE, EMPTY_PROMPT_MESSAGE, describe_error, page_error
from ..ownership import JobOwners, clean_job_id
from ..prepare import Prepared, prepare_inputs
from ..progress import CancelBoard, progress_text
from ..result import handler as results
from ..result.handler import Results
from ..settings import Settings
from ..store import OutputStore, Placement
from ..visitors import Visitor, anonymous

log = logging.getLogger("inpaint.studio")


def unchanged() -> tuple[Any, ...]:
    """Outputs that change nothing, made afresh (gradio may edit an update it is given):
    what a heartbeat yields (``jobs.HEARTBEAT``)."""
    return tuple(gr.skip() for _ in GENERATE_OUTPUTS)


DROPPED_INPUTS_REMARK = (
    "The photo and mask this job was sent with are no longer kept here (the studio keeps "
    "those of its most recent jobs only), so the result is shown as the API returned it, "
    "not put back into your photo."
)


@dataclass
class Job:
    """One run of the client as the page sees it: for whom, for what, where it goes back."""

    mode: str
    scrub: Scrubber
    form: Form | None = None  # None: a fetch by id (the form is in the history entry)
    prepared: Prepared | None = None
    fetched_job: str | None = None
    entry_id: str = ""
    sent: list[Any] = field(default_factory=list)  # job ids, one per region, in order
    session: str = ""  # the page session (its files are tracked by the store)
    owner: str = ""  # who the job belongs to (``Visitor.owner``)
    remark: str = ""  # said after "Done" (e.g. why a fetched result is not put back)
    shown: list[str] = field(default_factory=list)  # the result files the event showed
    seconds: dict[str, float] = field(default_factory=dict)  # where the time went (``timing``)

    @property
    def size(self) -> tuple[int, int] | None:
        return (self.prepared.width, self.prepared.height) if self.prepared else None


@dataclass
class Plan:
    """A job ready to send: the form, the inputs as the history keeps them, how many
    jobs it may submit at most (the allowance reserved), its call, and the seconds
    its preparation took."""

    form: Form
    prepared: Prepared
    jobs: int
    call: Callable[[ModelsLabClient], JobCall]
    seconds: dict[str, float] = field(default_factory=dict)


class JobEvents:
    """Running a job and concluding it, whichever event started it (generate or fetch).

    The attributes are ``Generation``'s (this is its base): the backend, the
    output store, the job runner, the results' renderer and the cancel board.
    """

    settings: Settings
    backend: Backend
    store: OutputStore
    runner: JobRunner
    results: Results
    board: CancelBoard
    access: Access

    # -- fetch and cancel -----------------------------------------------------------
    def fetch(
        self,
        job_id: str | float | None,
        *,
        session_key: str | None,
        progress: Callable[..., Any],
        session: str,
        visitor: Visitor | None = None,
    ) -> Iterator[tuple[Any, ...]]:
        """Collect a job that was still running (timed out, cancelled or from history)."""
        scrub = self.backend.scrubber(session_key)
        visitor = visitor or anonymous(session)
        try:
            job_id = clean_job_id(job_id)
            if not (session_key or "").strip():  # with their own key, ModelsLab decides
                self.owners(session_key).check(job_id, visitor.owner)
        except ModelsLabError as exc:
            message = describe_error(exc)
            yield results.status_only(f"⚠ {message}")
            raise page_error(message) from None
        stop = self.board.begin(session, fresh=True)
        started = self.runner.clock()
        try:
            try:
                client = self.backend.client(session_key)
            except Exception as exc:
                yield from self._refuse(exc, scrub, "starting a fetch failed")
                return
            progress(0.0, desc=f"Checking job {job_id}")
            job = Job(
                self.backend.mode_for(session_key),
                scrub,
                fetched_job=job_id,
                session=session,
                owner=visitor.owner,
            )
            yield from self._run(
                job, client, self._fetch_call(client, job), progress, stop, started
            )
        finally:
            self.board.end(session, stop)

    def owners(self, session_key: str | None = None) -> JobOwners:
        """Who sent which job, for the key and server ``session_key`` selects."""
        return JobOwners(self.backend.state, self.backend.scope(session_key))

    def _fetch_call(self, client: ModelsLabClient, job: Job) -> JobCall:
        """The one place the studio calls ``client.fetch_result``."""
        job_id = str(job.fetched_job)
        key = _kept_key(job, job_id)
        placement = self.store.placement_for(key)

        # Sent from here: put back into its photo by the library's one put-back rule.
        placing = placement.fetch_kwargs() if placement is not None else {}
        if placement is None and self.store.inputs_dropped(key):
            job.remark = DROPPED_INPUTS_REMARK

        def call(
            on_progress: Callable[[ProgressEvent], None], cancel: Callable[[], bool]
        ) -> InpaintResult:
            return client.fetch_result(
                job_id,
                progress=on_progress,
                cancel=cancel,
                max_wait=self.settings.max_wait,
                **placing,
            )

        return call

    # -- running and concluding -------------------------------------------------------
    def _refuse(
        self, exc: Exception, scrub: Scrubber, what: str, mode: str | None = None
    ) -> Iterator[tuple[Any, ...]]:
        """Plain words for a failure before anything was sent; a log line for surprises."""
        if not isinstance(exc, ModelsLabError):
            log.error("%s: %s", what, scrub(repr(exc)))
        message = scrub(describe_error(exc, mode))
        yield results.status_only(f"⚠ {message}")
        raise page_error(message) from None

    def _run(
        self,
        job: Job,
        client: ModelsLabClient,
        call: JobCall,
        progress: Callable[..., Any],
        stop: threading.Event,
        started: float,
    ) -> Iterator[tuple[Any, ...]]:
        """Run ``call``; every new job id is remembered, the first one reported at once."""
        job.entry_id = uuid.uuid4().hex[:12]
        files: tuple[str, str] | None = None

        def relay(event: ProgressEvent) -> None:
            fraction, text = progress_text(event)
            progress(fraction, desc=job.scrub(text))

        try:
            running = self.runner.run(call, stop=stop, on_progress=relay, started=started)
            while True:
                try:
                    job_id = next(running)
                except StopIteration as done:
                    outcome: Outcome = done.value
                    break
                if job_id is None:  # a heartbeat: a visitor who left is noticed here
                    yield unchanged()
                    continue
                if job.prepared is None or job.form is None:
                    continue  # a fetch: the job is already in the history
                # (The id was recorded as the owner's when the API accepted the job:
                # ``spending_client``.)
                if files is None:
                    began = time.perf_counter()
                    files = self.store.save_job_inputs(
                        job.prepared.photo_file or job.prepared.image, job.prepared.mask
                    )
                    job.seconds["job_files"] = time.perf_counter() - began
                index = len(job.sent)
                job.sent.append(job_id)
                self.store.remember_job(
                    _kept_key(job, job_id), _placement(job.prepared, job.form, files, index)
                )
                if index == 0:
                    entry = history_entry(
                        job.form,
                        status="pending",
                        backend=job.mode,
                        job_id=job_id,
                        size=job.size,
                        entry_id=job.entry_id,
                        message="Waiting for the result",
                    )
                    yield results.pending(job_id, entry, waiting=True)
                elif len(job.prepared.regions) > 1:  # several jobs, possibly at once
                    yield results.status_only(
                        f"… Job {index + 1} of {len(job.prepared.regions)} sent (id **{job_id}**)."
                    )
        except GeneratorExit:  # the visitor left: the caller's board.end stops the worker
            stop.set()
            # Logged whether or not an id has reached this loop yet: under load the
            # visitor can be gone before the API's answer does, and that job is still
            # recorded as theirs when it is accepted (``spending_client``).
            log.warning(
                "visitor left; jobs sent and kept for /fetch_result: %s",
                job.sent or "none known yet (an id that arrives now is recorded as theirs)",
            )
            raise
        finally:
            client.close()
        try:
            yield from self._conclude(job, outcome)
        finally:  # the outputs are delivered: the session's earlier result may go
            self.store.delivered(job.session, job.shown)
            memory.release()

    def _conclude(self, job: Job, outcome: Outcome) -> Iterator[tuple[Any, ...]]:
        """The last outputs: the result, or a failure that keeps any job that exists."""
        fetched = job.fetched_job is not None
        if outcome.result is not None:
            began = time.perf_counter()
            own = job.prepared.before if job.prepared is not None else None
            before = own or (job.prepared.image if job.prepared is not None else None)
            steps = self.results.success(
                outcome.result,
                job.form,
                mode=job.mode,
                before=before,
                kept_before=own is None,
                size=job.size,
                elapsed=outcome.elapsed,
                entry_id=job.entry_id,
                fetched=fetched,
                scrub=job.scrub,
                session=job.session,
                remark=job.remark,
                owner=job.owner,
            )
            for step, outputs in enumerate(steps):
                job.shown = list(outputs[GENERATE_OUTPUTS.index("last_run")]["outputs"])
                if step == 0:  # the result is on its way to the page
                    timing.report(
                        "generate" if job.form is not None else "fetch",
                        **job.seconds,
                        **outcome.result.timings,
                        encode=time.perf_counter() - began,
                    )
                yield outputs
            timing.report("downloads", written=time.perf_counter() - began)
            return
        exc = outcome.error
        job_id = outcome.job_id if outcome.job_id is not None else job.fetched_job
        if not isinstance(exc, ModelsLabError):
            log.error("generation failed unexpectedly: %s", job.scrub(repr(exc)))
        message = job.scrub(describe_error(exc or RuntimeError(), job.mode))
        entry_kwargs = dict(
            mode=job.mode,
            job_id=job_id,
            size=job.size,
            message=message,
            entry_id=job.entry_id,
            fetched=fetched,
        )
        if isinstance(exc, JobFailedError) and job_id is not None:
            yield results.failed(
                message, results.job_entry(job.form, status="failed", **entry_kwargs)
            )
            raise page_error(message)
        if job_id is None:
            if isinstance(exc, JobCancelledError):  # before a job existed: not a failure
                yield results.status_only(f"■ {message}")
                return
            yield results.status_only(f"⚠ {message}")
            raise page_error(message)
        # The job exists (and may be paid for) but its result is not here: keep it.
        if not isinstance(exc, JobError):
            message += f" Job {job_id} may still have finished: use “Fetch result” to collect it."
            entry_kwargs["message"] = message
        entry = results.job_entry(
            job.form, status="pending", fetch_url=getattr(exc, "fetch_url", None), **entry_kwargs
        )
        yield results.pending(job_id, entry, waiting=False, message=message)
        if isinstance(exc, JobCancelledError):
            gr.Info(html.escape(message, quote=False))
        elif isinstance(exc, JobTimeoutError):  # not a failure: the job is alive and kept
            gr.Warning(html.escape(message, quote=False))
        else:
            raise page_error(message)


class Generation(JobEvents):
    """Capture, generate, fetch and cancel, bound to a backend and an output store."""

    def __init__(
        self,
        settings: Settings,
        backend: Backend,
        store: OutputStore,
        runner: JobRunner | None = None,
        access: Access | None = None,
    ) -> None:
        self.settings = settings
        self.backend = backend
        self.store = store
        self.runner = runner or JobRunner()
        self.results = Results(store)
        self.board = CancelBoard()
        self.access = access or Access.for_backend(backend)

    # -- the quick first step of Generate ---------------------------------------
    def capture(
        self,
        image_editor: dict[str, Any] | None,
        mask_file: Any,
        invert_mask: bool = False,
        prompt: str | None = "x",
        session: str = "",
    ) -> Iterator[tuple[Any, Any, str, Any]]:
        """Freeze the editor into an image file and a mask file for ``generate``.

        The page runs this quick step first and then ``generate`` on the two
        files, which is also exactly what an API caller sends. Saying "nothing
        is painted" belongs here, where it is still known whether the mask was
        painted or uploaded; it also keeps these everyday slips out of the
        long-running event's error display. Yields (image file, mask file,
        status, tab to show).
        """
        began = time.perf_counter()
        try:
            # The user's own photo file is kept as it is (decoded once, by generate).
            found = editor.photo_file(image_editor)
            photo: Image.Image | str
            if found is None:
                inputs = editor.read_inputs(image_editor, mask_file)
                photo, painted, source = inputs.image, inputs.mask, inputs.source
            else:
                photo, size = found
                painted, source, _notes = editor.read_mask(image_editor, mask_file, size)
            if masks.is_empty(painted) and not invert_mask:
                if source == "uploaded":
                    raise InputImageError(ALL_BLACK_MESSAGE, field="mask_image")
                raise InputImageError(masks.EMPTY_MASK_MESSAGE, field="mask_image")
            if not (prompt or "").strip():
                raise ParameterError(EMPTY_PROMPT_MESSAGE, field="prompt")
        except ModelsLabError as exc:
            message = describe_error(exc)
            yield gr.skip(), gr.skip(), f"⚠ {message}", gr.skip()
            raise page_error(message) from None
        read = time.perf_counter()
        image, mask = self.store.save_inputs(photo, painted, session=session)
        timing.report("capture", read=read - began, save=time.perf_counter() - read)
        self.board.arm(session)  # Cancel works from now on, even while queued
        # The result area is where the progress of the generation is shown.
        yield image, mask, "Sending…", gr.Tabs(selected=RESULT_TAB)

    # -- generate -----------------------------------------------------------------
    def generate(
        self,
        image: Any,
        mask: Any,
        fields: Mapping[str, Any],
        *,
        session_key: str | None,
        progress: Callable[..., Any],
        session: str,
        visitor: Visitor | None = None,
    ) -> Iterator[tuple[Any, ...]]:
        """Inpaint the white area of ``mask`` in ``image``; yields the page's outputs.

        ``fields`` is the form by field name. A job id is reported (and
        recorded in the history as pending) as soon as it exists, so a paid
        job survives a closed tab, a cancel or a timeout. Failures end with
        ``gr.Error`` carrying one plain sentence.
        """

        def plan(mode: str) -> Plan:
            form = Form.from_ui(dict(fields))
            progress(0.0, desc="Preparing the image and mask")
            began = time.perf_counter()
            prepared = prepare_inputs(image, mask, form)
            seconds = {"studio_prepare": time.perf_counter() - began}
            if not form.prompt.strip():  # after the image: the first thing missing first
                raise ParameterError(EMPTY_PROMPT_MESSAGE, field="prompt")
            return Plan(
                form,
                prepared,
                len(prepared.regions or [None]) * form.samples,
                lambda client: self._inpaint_call(client, form, prepared),
                seconds,
            )

        yield from self.launch(
            plan,
            "preparing a generation failed",
            session_key=session_key,
            progress=progress,
            session=session,
            visitor=visitor,
        )

    def launch(
        self,
        plan: Callable[[str], Plan],
        failure: str,
        *,
        session_key: str | None,
        progress: Callable[..., Any],
        session: str,
        visitor: Visitor | None,
    ) -> Iterator[tuple[Any, ...]]:
        """Plan a job, check its webhook, reserve the visitor's allowance for every job
        it may send, and run it; any slip before sending is refused in one sentence.

        One path for Generate and Extend, so a visitor's allowance, the cancel
        board and the refusals cannot differ between them. ``plan`` gets the
        mode (offline or the API) and ``failure`` is what the log says of an
        unexpected error while planning.
        """
        scrub = self.backend.scrubber(session_key)
        mode = self.backend.mode_for(session_key)
        visitor = visitor or anonymous(session)
        stop = self.board.begin(session)
        started = self.runner.clock()
        try:
            with ExitStack() as held:
                try:
                    planned = plan(mode)
                    self.backend.check_webhook(planned.form.webhook, session_key)
                    client = spending_client(
                        held, self.access, self.backend, visitor, session_key, planned.jobs
                    )
                except Exception as exc:
                    yield from self._refuse(exc, scrub, failure, mode)
                    return
                job = Job(
                    mode,
                    scrub,
                    form=planned.form,
                    prepared=planned.prepared,
                    session=session,
                    owner=visitor.owner,
                    seconds=planned.seconds,
                )
                yield from self._run(job, client, planned.call(client), progress, stop, started)
        finally:
            self.board.end(session, stop)

    @staticmethod
    def _inpaint_call(client: ModelsLabClient, form: Form, prepared: Prepared) -> JobCall:
        """The one place the studio calls ``client.inpaint``."""
        request = form.request()

        def call(
            on_progress: Callable[[ProgressEvent], None], cancel: Callable[[], bool]
        ) -> InpaintResult:
            return client.run(
                prepared.image,
                prepared.mask,
                request,
                mask_is_final=prepared.soft,
                progress=on_progress,
                cancel=cancel,
            )

        return call

    def cancel(self, session: str) -> str:
        """Stop waiting for this session's job (the job id is kept)."""
        if self.board.cancel(session):
            return (
                "Stopping… if the job was already sent, its id is kept so you can fetch "
                "the result later."
            )
        return "Nothing is running."


def _kept_key(job: Job, job_id: Any) -> str:
    """Where a job's photo is kept: by backend, owner and id, so only its owner finds it."""
    return f"{job.mode}-{job.owner}-{job_id}"


def _placement(prepared: Prepared, form: Form, files: tuple[str, str], index: int) -> Placement:
    """Where the ``index``-th job of a generation goes back (its region, or the whole)."""
    boxes = [r.box.as_tuple() for r in prepared.regions]
    return Placement(
        image=files[0],
        mask=files[1],
        box=boxes[min(index, len(boxes) - 1)] if boxes else None,
        paste_back=form.paste_back,
        feather=form.feather_for(prepared.image.size),
    )
