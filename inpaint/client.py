"""``ModelsLabClient``: the library's one object, from inputs to finished images.

The client holds the configuration (key, base URL, timeouts, wait limit, the
job slots shared by clients of one key) and drives the edit pipeline
(``pipeline``) over the API transport (``transport``), one ``Job`` per request.
``inpaint`` is the whole flow. The client is composed rather than mixed: its
lower-level steps are a collaborator it holds, ``client.jobs`` (``prepare``,
``upload``, ``submit``, ``fetch``, ``job``, ``wait``, ``download``; see
``inpaint.steps``), for people who drive a job themselves, e.g. submit with
``instant_response`` and collect the result in another process with
``client.fetch_result(job_id)``; ``outpaint``, ``sweep`` and ``fetch_result`` are
functions of the client (``inpaint.workflows``) bound as its methods.

Without a key, ``ModelsLabClient.offline()`` starts the bundled local server
(a classical fill that ignores the prompt) and returns a client for it.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

from . import pipeline, workflows
from .contract import DEFAULT_BASE_URL, normalise_base_url
from .contract import endpoint as endpoint_url
from .errors import ParameterError
from .http import HttpSession, Scrubber
from .job import DOWNLOAD_LIMIT_BYTES, JobOutput
from .progress import CancelHook, ProgressCallback, notifier
from .region import Region
from .request import InpaintRequest, with_parameters
from .result import InpaintResult, edit_parameters
from .slots import DEFAULT_QUEUE_LIMIT, SlotPool
from .steps import Jobs
from .submission import Submitter
from .transport import ApiTransport

__all__ = ["ModelsLabClient", "slots_from_env"]


def slots_from_env(api_key: str) -> SlotPool | None:
    """The key's slots shared through ``INPAINT_SLOTS_URL``, or None when it is not set.

    A sweep in one process and the studio in another, both pointed at one
    SQLite file or Redis, then stay within the key's queue limit together.
    """
    url = os.environ.get("INPAINT_SLOTS_URL", "").strip()
    if not url or not api_key:
        return None
    text = os.environ.get("INPAINT_QUEUE_LIMIT", "").strip()
    try:
        size = int(text) if text else DEFAULT_QUEUE_LIMIT
    except ValueError:
        size = 0
    if size < 1:
        raise ParameterError(
            f"INPAINT_QUEUE_LIMIT must be a whole number of at least 1, not {text!r}."
        )
    from .shared import key_id

    return _opened(url).slots(key_id(api_key), size)


_states: dict[str, Any] = {}
_states_lock = threading.Lock()


def _chosen_slots(
    slots: SlotPool | None, job_slots: SlotPool | None, api_key: str
) -> SlotPool | None:
    """The slots shared by clients of one key: held from submit until the job is
    collected (the studio passes one to every client); else ``INPAINT_SLOTS_URL``'s."""
    if slots is not None and job_slots is not None and slots is not job_slots:
        raise ParameterError("Pass slots or job_slots (its older name), not both.")
    pool = slots if slots is not None else job_slots
    return pool if pool is not None else slots_from_env(api_key)


def _steps(clock: list[float], names: tuple[str, ...]) -> dict[str, float]:
    """Seconds per step from the times taken between them (``InpaintResult.timings``)."""
    return {name: end - start for name, start, end in zip(names, clock, clock[1:], strict=False)}


def _outpainted(
    client: ModelsLabClient,
    image: Any,
    mask: Any,
    request: InpaintRequest,
    progress: ProgressCallback | None,
    cancel: CancelHook | None,
) -> InpaintResult:
    """A request that extends the photo: ``inpaint.outpaint`` (the new area is the mask)."""
    if mask is not None:
        raise ParameterError(
            "outpainting takes no mask: the new area is the mask", field="mask_image"
        )
    from .outpaint import run_outpaint

    return run_outpaint(client, image, request, progress=progress, cancel=cancel)


def _opened(url: str) -> Any:
    """One open state per URL in a process, so its clients share waiters and connections."""
    from .shared import open_state

    with _states_lock:
        if url not in _states:
            _states[url] = open_state(url, setting="INPAINT_SLOTS_URL")
        return _states[url]


class ModelsLabClient:
    """Client for ``/v6/image_editing/*``.

    ``api_key`` defaults to ``MODELSLAB_API_KEY``; ``base_url`` to
    ``MODELSLAB_BASE_URL`` or the public API, with or without a trailing
    slash. ``timeout`` bounds the wait for each HTTP answer and
    ``connect_timeout`` the time to reach the host; ``max_wait`` bounds the
    wait for a queued job.

    ``slots`` (a ``SlotPool``; ``job_slots`` is its older name) bounds how many
    of this key's jobs are in the API's queue at once, shared by every client
    given the same pool. Without one, ``INPAINT_SLOTS_URL`` (an SQLite file or
    Redis, see ``inpaint.shared``) gives the key's slots shared with other
    processes, ``INPAINT_QUEUE_LIMIT`` of them.

    ``jobs`` holds the lower-level steps (``inpaint.steps.Jobs``).
    """

    # Workflows over the client's public side, bound as methods (``inpaint.workflows``).
    outpaint = workflows.outpaint
    sweep = workflows.sweep
    fetch_result = workflows.fetch_result

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float = 30,
        max_wait: float = 600,
        *,
        connect_timeout: float = 10,
        max_retries: int = 3,
        download_limit: int = DOWNLOAD_LIMIT_BYTES,
        slots: SlotPool | None = None,
        job_slots: SlotPool | None = None,
    ) -> None:
        key = api_key if api_key is not None else os.environ.get("MODELSLAB_API_KEY", "")
        self._key = (key or "").strip()
        self.base_url = normalise_base_url(
            base_url or os.environ.get("MODELSLAB_BASE_URL") or DEFAULT_BASE_URL
        )
        self.timeout = float(timeout)
        pool = _chosen_slots(slots, job_slots, self._key)
        scrub = Scrubber(self._key)
        http = HttpSession(
            timeout=self.timeout,
            connect_timeout=connect_timeout,
            max_retries=max_retries,
            scrub=scrub,
        )
        self.transport = ApiTransport(self._key, self.base_url, http, scrub)
        self.submitter = Submitter(
            self.transport,
            job_slots=pool,
            max_wait=float(max_wait),
            download_limit=download_limit,
        )
        self.jobs = Jobs(self.transport, self.submitter)
        self._server: Any = None  # the bundled server, for clients made by offline()

    @classmethod
    def offline(cls, *, latency: float = 0.0, **kwargs: Any) -> ModelsLabClient:
        """A client of the bundled local server, started now and stopped by ``close()``.

        No key and no network: the fill is classical and ignores the prompt, but
        every parameter, status and error behaves as the API's.
        """
        from .offline import OFFLINE_KEY, start_local_server

        server = start_local_server(latency=latency)
        client = cls(api_key=OFFLINE_KEY, base_url=server.base_url, **kwargs)
        client._server = server
        return client

    def __repr__(self) -> str:
        return (
            f"ModelsLabClient(base_url={self.base_url!r}, api_key=<"
            f"{'set' if self._key else 'missing'}>)"
        )

    def __enter__(self) -> ModelsLabClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.transport.close()
        if self._server is not None:
            self._server.stop()
            self._server = None

    @property
    def max_wait(self) -> float:
        return self.submitter.max_wait

    @property
    def slots(self) -> SlotPool | None:
        return self.submitter.job_slots

    @property
    def job_slots(self) -> SlotPool | None:
        return self.submitter.job_slots

    @property
    def has_key(self) -> bool:
        return bool(self._key)

    def endpoint(self, name: str) -> str:
        return endpoint_url(self.base_url, name)

    # -- the whole flow ---------------------------------------------------------------
    @with_parameters
    def inpaint(
        self,
        image: Any,
        mask: Any,
        prompt: str = "",
        *,
        mask_is_final: bool = False,
        progress: ProgressCallback | None = None,
        cancel: CancelHook | None = None,
        **params: Any,
    ) -> InpaintResult:
        """Prepare, send, wait for and download one inpainting edit.

        The keyword arguments are the declared parameters (``params.Parameters``,
        by their library keywords: ``inspect.signature`` lists them with types
        and defaults); each is validated (``InpaintRequest``) before anything is
        sent. ``mask_is_final`` sends a soft (e.g. feathered) mask as it is
        instead of binarising it. ``crop_to_mask`` sends only the area around
        the painted parts (widened by ``mask_padding`` px; far-apart parts
        become separate jobs, see ``inpaint.region``) and puts the results back
        into the full photo; left out ("auto") it does so when that sends a
        photo larger than 1024 px sharper in one job (``pipeline.choose_area``).
        ``paste_back`` (the default) returns images at the original's size in
        which every pixel farther than ``feather`` px from the mask is the
        original's own. ``mask_padding`` and ``feather`` left
        out scale with the photo (32 and 8 px per 1024 px of its long side).
        ``prefill`` fills the painted area before it is sent (``params.PREFILL_METHODS``).
        """
        request = InpaintRequest.from_values({"prompt": prompt, **params})
        return self.run(
            image, mask, request, mask_is_final=mask_is_final, progress=progress, cancel=cancel
        )

    def run(
        self,
        image: Any,
        mask: Any,
        request: InpaintRequest,
        *,
        mask_is_final: bool = False,
        progress: ProgressCallback | None = None,
        cancel: CancelHook | None = None,
        regions: list[Region] | None = None,
    ) -> InpaintResult:
        """``inpaint`` for a request object (the studio, the CLI and sweeps build one).

        A request that extends the photo is outpainted (``inpaint.outpaint``):
        ``mask`` must then be None, the new area is the mask.
        """
        self.transport.require_key()
        if request.extension.any:
            return _outpainted(self, image, mask, request, progress, cancel)
        notify = notifier(progress)
        notify("preparing", "Preparing the image and mask")
        clock = [time.perf_counter()]
        if regions is None:
            image, mask, request = pipeline.resolve_area(
                image, mask, request, soft=mask_is_final, fetch=self.jobs.fetch_input
            )
        sends, original, full_mask, full_size = pipeline.plan_sends(
            image, mask, request, soft=mask_is_final, fetch=self.jobs.fetch_input, regions=regions
        )
        placing = pipeline.prepare_put_back(original, full_mask, full_size, sends, request)
        clock.append(time.perf_counter())
        outputs: list[JobOutput] = pipeline.run_sends(
            sends,
            request,
            lambda send, req: self.submitter.run(send, req, progress, cancel),
            progress=progress,
            cancel=cancel,
        )
        clock.append(time.perf_counter())
        prepared = placing.result()
        clock.append(time.perf_counter())
        samples = [o.images for o in outputs]
        images = prepared.place(samples) if prepared else pipeline.as_returned(samples)
        clock.append(time.perf_counter())
        boxes = [send.box for send in sends]
        sent_boxes = tuple(b.as_tuple() for b in boxes if b is not None)
        result = InpaintResult(
            images=images,
            jobs=tuple(outputs),
            request=request,
            regions=sent_boxes,
            parameters=edit_parameters(request, outputs, images, sent_boxes, self.base_url),
            timings=_steps(clock, ("prepare", "jobs", "full_size", "put_back")),
        )
        notify("done", "Done", fraction=1.0, job_id=result.id)
        return result
