"""Whole workflows built on one edit: outpainting and parameter sweeps.

Mixed into ``ModelsLabClient``: both take the client's own ``run`` (one edit,
validated, within the job slots) and add their own planning around it
(``inpaint.outpaint``'s passes and tiles, ``inpaint.sweep``'s cells).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, cast

from .errors import ParameterError
from .progress import CancelHook, ProgressCallback
from .request import InpaintRequest

if TYPE_CHECKING:
    from .client import ModelsLabClient
    from .result import InpaintResult
    from .sweep import SweepResult


class Workflows:
    """``outpaint`` and ``sweep``, for ``ModelsLabClient`` (their ``self``)."""

    def outpaint(
        self,
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
        return _client(self).run(image, None, request, progress=progress, cancel=cancel)

    def sweep(
        self,
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
            _client(self),
            photo,
            full_mask,
            plan,
            out_dir,
            queue_limit=queue_limit,
            on_cell=on_cell,
            cancel=cancel,
        ).run()


def _client(mixin: Workflows) -> ModelsLabClient:
    """The client this mixin is part of (``Workflows`` is only mixed into it)."""
    return cast("ModelsLabClient", mixin)
