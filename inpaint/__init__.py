"""Inpainting with ModelsLab's v6 API, from Python or from the studio UI.

>>> from inpaint import ModelsLabClient
>>> client = ModelsLabClient()            # MODELSLAB_API_KEY, MODELSLAB_BASE_URL
>>> client = ModelsLabClient.offline()    # or: the bundled local server, no key
>>> result = client.inpaint("photo.png", "mask.png", prompt="a red scarf")
>>> result.images[0].save("out.png")

Layers: ``request`` (the typed request, from the spec in ``params``),
``client`` over ``pipeline`` (prepare, regions, jobs, put back), ``job`` and
``transport`` (the API's calls, over ``http``). The local ModelsLab-compatible
server lives in ``inpaint.server``, the command line in ``inpaint.cli``
(``python -m inpaint --help``) and the Gradio studio's logic in
``inpaint.studio``; none of them is imported by ``import inpaint``.
"""

from .client import ModelsLabClient
from .errors import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    DownloadError,
    InputImageError,
    InsufficientCreditsError,
    JobCancelledError,
    JobError,
    JobFailedError,
    JobTimeoutError,
    MalformedResponseError,
    ModelsLabError,
    ParameterError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
)
from .job import Job, JobOutput
from .params import OPTIONS, PARAMS, Param
from .progress import ProgressEvent
from .request import InpaintRequest
from .result import InpaintResult

__all__ = [
    "OPTIONS",
    "PARAMS",
    "APIConnectionError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "DownloadError",
    "InpaintRequest",
    "InpaintResult",
    "InputImageError",
    "InsufficientCreditsError",
    "JobCancelledError",
    "JobError",
    "Job",
    "JobFailedError",
    "JobOutput",
    "JobTimeoutError",
    "MalformedResponseError",
    "ModelsLabClient",
    "ModelsLabError",
    "Param",
    "ParameterError",
    "PermissionDeniedError",
    "ProgressEvent",
    "RateLimitError",
    "ServerError",
]
