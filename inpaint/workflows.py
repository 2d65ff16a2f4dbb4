"""Whole workflows over one client: outpainting, parameter sweeps, collecting a job later.

Each is a function of a ``ModelsLabClient`` that uses only its public side
(``run``: one edit, validated, within the job slots; ``jobs``; ``transport``)
and adds its own planning around it (``inpaint.outpaint``'s passes and tiles,
``inpaint.sweep``'s cells, ``pipeline.Placing``'s put-back). The client binds
them as its methods ``outpaint``, ``sweep`` and ``fetch_result``, the way
replicate's ``Client.run`` hands over to ``replicate.run.run(client, ...)``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from . import contract, pipeline
from .errors import ParameterError
from .progress import CancelHook, ProgressCallback, notifier
from .request import InpaintRequest

if TYPE_CHECKING:
    from .client import ModelsLabClient
    from .result import InpaintResult
    from .sweep import SweepResult


def outpaint(
    client: ModelsLabClient,
    image: Any,
    prompt: str = "",
    *,
    left: int = 0,
    top: int = 0,
    right: int = 0,
    bottom: int = 0,
    overlap: int | None = None,
    prefill: str = "patchmatch",
    progress: ProgressCallback | None = None,
    cancel: CancelHook | None = None,
    **usual: Any,
) -> InpaintResult:
    """The photo extended by ``left``/``top``/``right``/``bottom`` px, the new area
    painted (pre-filled by ``prefill`` first); see ``inpaint.outpaint``. Other
    keywords are ``inpaint``'s. ``outpaint.Extension.to_target`` turns a ratio
    such as "16:9" and an anchor into the four amounts."""
    request = InpaintRequest.from_values(
        {
            "prompt": prompt,
            "extend_left": left,
            "extend_top": top,
            "extend_right": right,
            "extend_bottom": bottom,
            "overlap": overlap,
            "prefill": prefill,
            **usual,
        }
    )
    if not request.extension.any:
        raise ParameterError(
            "nothing to extend: give at least one side more than 0 px", field="extend"
        )
    return client.run(image, None, request, progress=progress, cancel=cancel)


def sweep(
    client: ModelsLabClient,
    image: Any,
    mask: Any,
    prompt: str = "",
    *,
    vary: dict[str, list[Any]],
    out_dir: str | os.PathLike[str],
    queue_limit: int | None = None,
    cancel: CancelHook | None = None,
    on_cell: Any = None,
    **fixed: Any,
) -> SweepResult:
    """Every combination of ``vary``'s values (up to three fields), run within the
    key's queue limit, resumable from ``out_dir`` (see ``inpaint.sweep``)."""
    from .sweep import SweepRunner, load_inputs, plan_sweep

    photo, full_mask = load_inputs(image, mask)
    plan = plan_sweep(
        InpaintRequest.from_values({"prompt": prompt, **fixed}),
        vary,
        image=photo,
        mask=full_mask,
    )
    return SweepRunner(
        client,
        photo,
        full_mask,
        plan,
        out_dir,
        queue_limit=queue_limit,
        on_cell=on_cell,
        cancel=cancel,
    ).run()


def fetch_result(
    client: ModelsLabClient,
    job_id: int | str,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelHook | None = None,
    max_wait: float | None = None,
    image: Any = None,
    mask: Any = None,
    box: tuple[int, int, int, int] | None = None,
    paste_back: bool = True,
    feather: int | None = None,
    match_colours: bool = True,
) -> InpaintResult:
    """Collect an existing job by id: wait while it runs, then download it.

    Without ``image`` and ``mask`` the images are the API's own. With them
    (the photo and mask the job was made from), the result is put back
    into the photo as ``inpaint`` would have: into ``box`` for a job of
    "only masked" mode (``JobError.region`` of the error that left it
    pending), with paste-back and ``feather`` as given.
    """
    contract.job_id(job_id)  # before anything else: an id is never part of a path
    transport = client.transport
    transport.require_key()
    placing = pipeline.Placing.checked(
        image, mask, box, paste_back=paste_back, feather=feather, match_colours=match_colours
    )
    answer = {"id": job_id, "fetch_result": transport.fetch_url(job_id), **transport.fetch(job_id)}
    job = client.jobs.job(answer)
    job.wait(progress=progress, cancel=cancel, max_wait=max_wait)
    output = job.output(cancel=cancel, progress=progress)
    result = placing.result(output, client.base_url, fetch=client.jobs.fetch_input)
    notifier(progress)("done", "Done", fraction=1.0, job_id=result.id)
    return result
