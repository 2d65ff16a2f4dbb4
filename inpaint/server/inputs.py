"""Reading an inpaint request's images and deciding the output size.

What ``init_image`` / ``mask_image`` may be (the choices are deliberate):

* **http(s) URL**: the server's own ``base64_to_url`` and output URLs are read
  from its storage; any other URL is downloaded under ``netguard``'s rules
  (public addresses only unless the server allows private ones, no redirects,
  a time and size cap). Every URL that cannot be fetched is the same 400,
  "Unable to fetch image from provided URL (field).", whatever the cause.
  A body that is base64 text rather than image bytes (ModelsLab's ``.base64``
  links) is decoded too.
* **data URI** (``data:image/png;base64,...``): accepted whatever ``base64``
  says. The documentation ties inline images to ``base64: "true"``, but a data
  URI cannot be mistaken for anything else, so refusing it would only be
  pedantic.
* **bare base64**: accepted only with ``base64: "true"``. Without it, a string
  that is neither a URL nor a data URI is far more likely a mistyped URL or a
  file path, and saying so helps more than "not valid base64".

Output size: both ``width`` and ``height`` null -> the init image's size fitted
in 1024 x 1024, multiples of 8 (``fit_size``). One of them null -> derived from
the other with the init image's aspect ratio, rounded to a multiple of 8. Given
sizes are honoured exactly (any whole number from 8 to 1024).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageOps

from .. import netguard
from ..errors import InputImageError
from ..images import (
    decode_base64_payload,
    is_data_uri,
    is_url,
    looks_like_base64_text,
    open_image_bytes,
)
from ..masks import to_binary_mask
from .responses import ApiError
from .storage import FILES_PATH, Storage

log = logging.getLogger("inpaint.server")

FETCH_FAILED = "Unable to fetch image from provided URL"
USER_AGENT = "inpaint-local-server/1 (ModelsLab-compatible)"
_LAYER_MODES = ("RGBA", "LA", "PA", "RGBa", "La")


@dataclass(frozen=True)
class Fetching:
    """How URLs in a request may be fetched.

    ``own_root`` and ``storage``: URLs under this server's own ``/files/`` are
    read from its storage, not over HTTP (they are its own uploads and outputs,
    and loopback is otherwise refused). ``allow_private`` lets other loopback,
    private and link-local addresses through: for tests on 127.0.0.1 only.
    """

    timeout: float
    max_bytes: int
    allow_private: bool = False
    own_root: str = ""
    storage: Storage | None = None


def read_image_field(
    body: dict[str, Any], field: str, *, base64_enabled: bool, fetching: Fetching
) -> Image.Image:
    """The image named by ``body[field]``, or an ``ApiError`` (400) saying why not."""
    value = body.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ApiError(400, f"{field} is required")
    if not isinstance(value, str):
        raise ApiError(400, f"{field} must be a string: an image URL or a data URI")
    value = value.strip()
    if is_url(value):
        data = download(value, field, fetching)
    elif is_data_uri(value) or base64_enabled:
        data = _decode(value, field)
    else:
        raise ApiError(
            400,
            f"{field} must be an http(s) URL of an image or a data URI "
            '(bare base64 text is accepted with base64 "true")',
        )
    try:
        return open_image_bytes(data, what=field)
    except InputImageError as exc:
        if is_url(value) and looks_like_base64_text(data):
            return _open(_decode(data.decode("ascii", errors="replace"), field), field)
        raise ApiError(400, _sentence(exc.message)) from None


def download(url: str, field: str, fetching: Fetching) -> bytes:
    """The bytes at ``url``; every failure is the same 400, whatever the cause.

    One answer for a closed port, a refused address, a timeout, a 404 and a
    file too large: otherwise the server would tell a stranger which internal
    addresses and ports answer (a port scanner). The cause goes to the log.
    """
    failed = ApiError(400, f"{FETCH_FAILED} ({field}).")
    own = _own_file(url, fetching)
    if own is not None:
        if not own:
            raise failed
        return own
    try:
        status, data = netguard.request(
            "GET",
            url,
            timeout=fetching.timeout,
            max_bytes=fetching.max_bytes,
            allow_private=fetching.allow_private,
            headers={"User-Agent": USER_AGENT},
        )
    except (netguard.BlockedURL, netguard.FetchFailed) as exc:
        log.info("fetching %s failed: %s", field, exc)
        raise failed from None
    if status != 200:
        log.info("fetching %s failed: HTTP %s", field, status)
        raise failed
    return data


def _own_file(url: str, fetching: Fetching) -> bytes | None:
    """This server's own file at ``url`` (b"" if it is missing), or None if not its own."""
    if fetching.storage is None or not fetching.own_root:
        return None
    prefix = fetching.own_root.rstrip("/") + FILES_PATH + "/"
    if not url.startswith(prefix):
        return None
    folder, _, name = url[len(prefix) :].split("?", 1)[0].partition("/")
    log.debug("reading %s from this server's own storage", url)
    return fetching.storage.read(folder, name) or b""


def _decode(text: str, field: str) -> bytes:
    try:
        return decode_base64_payload(text)
    except (InputImageError, UnicodeError):
        raise ApiError(400, f"{field} is not valid base64 image data") from None


def _open(data: bytes, field: str) -> Image.Image:
    try:
        return open_image_bytes(data, what=field)
    except InputImageError as exc:
        raise ApiError(400, _sentence(exc.message)) from None


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:]


def mask_for_engine(mask: Image.Image) -> Image.Image:
    """The mask as the engine wants it: ``L``, white = repaint, grey edges kept.

    A brush layer (transparency carrying the strokes) goes through
    ``to_binary_mask``, the project's single reading of such masks; an opaque
    mask keeps its grey levels so anti-aliased edges blend instead of stepping.
    """
    mask = ImageOps.exif_transpose(mask) or mask
    layered = mask.mode in _LAYER_MODES or (mask.mode == "P" and "transparency" in mask.info)
    if layered or mask.mode.startswith("I;16") or mask.mode in ("I", "F"):
        mask = to_binary_mask(mask)
    else:
        mask = mask.convert("L")
    if mask.getextrema()[1] == 0:  # the client refuses this too: nothing would change
        raise ApiError(400, "mask_image is all black: nothing would be repainted (white = repaint)")
    return mask


def describe_image_field(value: Any) -> Any:
    """What ``meta`` echoes for an image field: URLs as they are, inline data abridged."""
    if not isinstance(value, str):
        return None
    if is_url(value):
        return value if len(value) <= 2048 else f"<URL, {len(value)} characters>"
    kind = "data URI" if is_data_uri(value) else "base64 data"
    return f"<{kind}, {len(value)} characters>"
