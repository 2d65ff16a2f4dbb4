"""Inpainting with ModelsLab's v6 API, from Python or from the studio UI.

>>> from inpaint import ModelsLabClient
>>> client = ModelsLabClient()            # MODELSLAB_API_KEY, MODELSLAB_BASE_URL
>>> result = client.inpaint("photo.png", "mask.png", prompt="a red scarf")
>>> result.images[0].save("out.png")

The local ModelsLab-compatible server lives in ``inpaint.server``; the command
line is ``python -m inpaint --help`` (``inpaint.cli``).
"""

from .client import InpaintResult, ModelsLabClient, ProgressEvent
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
from .params import PARAMS, Param

__all__ = [
    "PARAMS",
    "APIConnectionError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "DownloadError",
    "InpaintResult",
    "InputImageError",
    "InsufficientCreditsError",
    "JobCancelledError",
    "JobError",
    "JobFailedError",
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
