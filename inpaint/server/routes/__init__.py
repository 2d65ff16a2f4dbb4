"""The server's routes, one router per job.

* ``jobs``: ``inpaint`` and ``fetch``, on the contract's paths
  (``contract.server_path``), so a real ModelsLab client works by changing the host;
* ``uploads``: ``base64_to_url``;
* ``files``: the stored images and the liveness answers.

Handlers that may block (image downloads, waiting for a job) are plain ``def``,
so they run on the threadpool and the server can download its own URLs. Shared
state comes from ``state.StateDep``, the body and key from ``deps``.
"""

from __future__ import annotations

from fastapi import APIRouter

from . import files, jobs, uploads

ROUTERS: tuple[APIRouter, ...] = (jobs.router, uploads.router, files.router)

__all__ = ["ROUTERS"]
