"""Parameters written into, and read back from, the PNGs this tool saves.

A result that carries its own recipe can be reproduced months later, by
someone else, without the history it came from. The parameters go into PNG
text chunks: one readable chunk per parameter (what image viewers show) and
one JSON chunk with all of them (what ``read_parameters`` reads first).

Only names on ``RECORDED`` are ever written, so a secret cannot slip in by
being part of some dictionary handed over: the API key is not on the list.
"""

from __future__ import annotations

import io
import json
import os
import zlib
from pathlib import Path
from typing import Any

from PIL import Image, PngImagePlugin

from . import params
from .errors import InputImageError

JSON_CHUNK = "inpaint-parameters"
SOFTWARE = "inpaint-studio (ModelsLab v6 inpainting)"

# What a saved PNG records, in the order viewers list it: the declared fields
# that change the picture (``Param.recorded``), then how the edit was made.
RECORDED: tuple[str, ...] = (
    *params.RECORDED,
    "mode",
    "extend",
    "output_size",
    "regions",
    "request_id",
    "backend",
    "sample",
)
# Recorded as plain text (the rest as JSON): the free-text and choice fields.
TEXT_NAMES = frozenset(
    {p.name for p in params.DECLARED if p.kind in ("text", "enum")} | {"mode", "backend"}
)


def clean(parameters: dict[str, Any]) -> dict[str, Any]:
    """Only the recorded names, without empty values, as plain JSON types."""
    out: dict[str, Any] = {}
    for name in RECORDED:
        value = parameters.get(name)
        if value is None or value == "":
            continue
        out[name] = json.loads(json.dumps(value, default=str))
    return out


def png_info(parameters: dict[str, Any]) -> PngImagePlugin.PngInfo:
    info = PngImagePlugin.PngInfo()
    recorded = clean(parameters)
    for name, value in recorded.items():
        text = value if isinstance(value, str) else json.dumps(value)
        info.add_itxt(name, text)  # iTXt: UTF-8, so prompts with any script or emoji survive
    info.add_itxt(JSON_CHUNK, json.dumps(recorded, ensure_ascii=False))
    info.add_text("Software", SOFTWARE)
    return info


def encode_png(image: Image.Image, parameters: dict[str, Any]) -> bytes:
    """The image as PNG bytes carrying ``parameters`` (``images.encode_png``'s fast settings)."""
    buf = io.BytesIO()
    image.save(
        buf, format="PNG", pnginfo=png_info(parameters), compress_level=1, compress_type=zlib.Z_RLE
    )
    return buf.getvalue()


def save_png(image: Image.Image, path: str | os.PathLike, parameters: dict[str, Any]) -> Path:
    """Write ``image`` to ``path`` as PNG with ``parameters`` in its text chunks."""
    path = Path(path)
    path.write_bytes(encode_png(image, parameters))
    return path


def read_parameters(source: str | os.PathLike | bytes | Image.Image) -> dict[str, Any]:
    """The parameters a PNG saved by this tool carries.

    Raises ``InputImageError`` with a plain sentence when the file is not an
    image or carries none (e.g. it was re-saved by an editor that drops text
    chunks, or it is a JPEG).
    """
    if isinstance(source, Image.Image):
        img = source
    else:
        data = source if isinstance(source, (bytes, bytearray)) else Path(source).read_bytes()
        try:
            img = Image.open(io.BytesIO(data))
        except Exception:
            raise InputImageError(
                "That file is not an image: choose a PNG saved by this tool."
            ) from None
    chunks = dict(getattr(img, "text", None) or img.info or {})
    raw = chunks.get(JSON_CHUNK)
    if isinstance(raw, str):
        try:
            found = json.loads(raw)
        except ValueError:
            found = None
        if isinstance(found, dict):
            return clean(found)
    found = {}
    for name in RECORDED:
        if isinstance(chunks.get(name), str):
            text = chunks[name]
            try:
                found[name] = json.loads(text) if name not in TEXT_NAMES else text
            except ValueError:
                found[name] = text
    if not found:
        raise InputImageError(
            "This image carries no inpainting parameters: only PNGs saved by this tool do "
            "(editors and chat apps often strip them)."
        )
    return clean(found)
