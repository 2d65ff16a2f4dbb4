"""``base64_to_url``: store a data-URI image and answer its URL.

The size limit is the contract's ``UPLOAD_LIMIT_BYTES`` (the client sizes its
uploads by it too), counted on the base64 text as sent. PNG, JPEG, WebP and GIF
are stored as sent; formats served less widely (BMP, TIFF) are decoded and
stored as PNG.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from PIL import Image

from ... import contract
from ...errors import InputImageError
from ...images import (
    check_image_bytes,
    decode_base64_payload,
    encode_png,
    is_url,
    open_image_bytes,
    to_rgb,
)
from ..responses import ApiError
from ..state import StateDep
from ..storage import UPLOADS, Storage
from .deps import JsonBody, Owner, root_of

UPLOAD_EXTENSIONS = {"PNG": ".png", "JPEG": ".jpg", "WEBP": ".webp", "GIF": ".gif"}

router = APIRouter()


@router.post(contract.server_path(contract.UPLOAD))
def base64_to_url(request: Request, body: JsonBody, _owner: Owner, state: StateDep) -> JSONResponse:
    data, extension = _image_bytes(body.get("init_image"))
    name = state.storage.save_upload(data, extension)
    upload_id = state.next_upload_id()
    url = Storage.url(root_of(request), UPLOADS, name)
    return JSONResponse(
        {"status": "success", "id": upload_id, "output": [url], "proxy_links": [url]}
    )


def _image_bytes(value: object) -> tuple[bytes, str]:
    """The file to store and its extension, or a 400 saying what is wrong with the data."""
    if not isinstance(value, str) or not value.strip():
        raise ApiError(
            400, 'init_image is required: a data URI such as "data:image/png;base64,..."'
        )
    limit = contract.UPLOAD_LIMIT_BYTES
    if len(value) > limit:
        raise ApiError(
            400,
            f"The image is larger than the upload limit of {limit // 2**20} MB (as base64 text).",
        )
    if is_url(value.strip()):
        raise ApiError(400, "init_image must be base64 image data, not a URL.")
    try:
        data = decode_base64_payload(value)
        image = check_image_bytes(data, what="init_image")
        extension = UPLOAD_EXTENSIONS.get(image.format or "")
        if extension is None:
            image = open_image_bytes(data, what="init_image")
            data, extension = encode_png(_plain(image)), ".png"
    except InputImageError as exc:
        raise ApiError(400, exc.message[:1].upper() + exc.message[1:]) from None
    return data, extension


def _plain(image: Image.Image) -> Image.Image:
    """An image PNG can hold (BMP and TIFF may be in modes it cannot)."""
    return to_rgb(image) if image.mode not in ("RGB", "RGBA", "L", "LA") else image
