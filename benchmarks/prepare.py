"""1. Preparing a large photo: a 12-megapixel JPEG and a full-size painted layer.

Ours: ``ModelsLabClient.prepare`` + ``encode_for_upload`` + ``encode_mask`` and
the base64 text that travels. Naive (written here, labelled as such): what the
official SDK's helper pattern does, the full-size image and mask layer saved
as PNG and base64-encoded. Both start from the same JPEG file and the same
in-memory RGBA layer (``gr.ImageEditor(type="pil")`` hands over PIL layers).
"""

from __future__ import annotations

import base64
import io
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from benchmarks.common import EXAMPLES, Section, interleaved, median, ms, verdict
from inpaint import ModelsLabClient
from inpaint import images as imgs
from inpaint.contract import UPLOAD_LIMIT_BYTES

SIZE = (4032, 3024)


def make_photo(path: Path, size: tuple[int, int] = SIZE) -> Path:
    """A camera-like JPEG: an example photo upscaled, with sensor-like grain.

    Grain matters: a smooth upscale compresses far better than a real photo,
    in JPEG and PNG alike, and would flatter both paths.
    """
    if path.exists():
        return path
    base = Image.open(EXAMPLES / "coffee.png").convert("RGB").resize(size, Image.Resampling.BICUBIC)
    rng = np.random.default_rng(5)
    arr = np.asarray(base, dtype=np.int16)
    arr = arr + rng.normal(0, 5, arr.shape).astype(np.int16)
    Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8)).save(path, "JPEG", quality=92)
    return path


def make_layer(size: tuple[int, int] = SIZE) -> Image.Image:
    """A transparent RGBA layer with a few thick brush strokes, as the editor delivers it."""
    layer = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    w, h = size
    brush = max(8, w // 30)
    draw.line(
        [(w * 0.40, h * 0.35), (w * 0.55, h * 0.45), (w * 0.62, h * 0.60)],
        fill=(255, 255, 255, 255),
        width=brush,
        joint="curve",
    )
    draw.ellipse((w * 0.42, h * 0.40, w * 0.58, h * 0.62), fill=(255, 255, 255, 255))
    return layer


def ours(client: ModelsLabClient, photo: Path, layer: Image.Image) -> list[str]:
    """The library path: the two base64 bodies it would upload (one POST each)."""
    img, msk, _w, _h = client.jobs.prepare(str(photo), layer)
    data, mime = imgs.encode_for_upload(img)
    return [imgs.to_data_uri(data, mime), imgs.to_data_uri(imgs.encode_mask(msk), "image/png")]


def naive(photo: Path, layer: Image.Image) -> list[str]:
    """NAIVE, for comparison: full-size PNGs in base64 (PIL's default PNG settings)."""
    out = []
    for image in (Image.open(photo).convert("RGB"), layer):
        buf = io.BytesIO()
        image.save(buf, format="PNG")
        out.append("data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii"))
    return out


def run(quick: bool = False) -> Section:
    started = time.perf_counter()
    runs = 2 if quick else 5
    section = Section(
        "1. Preparing a 12-megapixel photo",
        ["path", "input", "median", "largest upload body", "both bodies", "target", "result"],
    )
    client = ModelsLabClient(api_key="bench", base_url="http://127.0.0.1:9/api")
    with tempfile.TemporaryDirectory() as tmp:
        photo = make_photo(Path(tmp) / "photo-12mp.jpg")
        layer = make_layer()
        label = f"{SIZE[0]}x{SIZE[1]} JPEG ({photo.stat().st_size / 1e6:.1f} MB) + RGBA layer"
        bodies: dict[str, list[str]] = {}
        times = interleaved(
            {
                "ours": lambda: bodies.__setitem__("ours", ours(client, photo, layer)),
                "naive": lambda: bodies.__setitem__("naive", naive(photo, layer)),
            },
            runs=runs,
        )
        t_ours, t_naive = median(times["ours"]), median(times["naive"])
        ratio = t_naive / t_ours
        for name, t in (("ours", t_ours), ("naive (full-size PNG, base64)", t_naive)):
            sizes = [len(b) for b in bodies[name.split()[0]]]
            fits = max(sizes) <= UPLOAD_LIMIT_BYTES
            if name == "ours":
                target = f">= 20x faster (got {ratio:.1f}x); body < 5 MB"
                result = verdict(ratio >= 20 and fits)
            else:
                target, result = "", "over the limit" if not fits else "fits"
            section.add(
                name,
                label,
                ms(t),
                f"{max(sizes) / 1e6:.2f} MB",
                f"{sum(sizes) / 1e6:.2f} MB",
                target,
                result,
            )
        # "Any input size": the payload is bounded by the output size, not the input's.
        if not quick:
            big = (6000, 4500)
            photo27 = make_photo(Path(tmp) / "photo-27mp.jpg", big)
            layer27 = make_layer(big)
            times27 = interleaved(
                {"ours": lambda: bodies.__setitem__("big", ours(client, photo27, layer27))}, runs=3
            )
            sizes = [len(b) for b in bodies["big"]]
            section.add(
                "ours",
                f"{big[0]}x{big[1]} JPEG ({photo27.stat().st_size / 1e6:.1f} MB) + RGBA layer",
                ms(median(times27["ours"])),
                f"{max(sizes) / 1e6:.2f} MB",
                f"{sum(sizes) / 1e6:.2f} MB",
                "body < 5 MB",
                verdict(max(sizes) <= UPLOAD_LIMIT_BYTES),
            )
    section.note(
        f"Median of {runs} interleaved runs after one warm-up each. 'Upload body' is "
        "the base64 text of one image as POSTed to `base64_to_url` (the 5 MB limit "
        "applies to each upload); 'both bodies' adds the mask."
    )
    section.note(
        "Ours sends the size the API works at (fitted within 1024 x 1024), so its "
        "payload does not grow with the input; the naive path sends every pixel."
    )
    section.seconds = time.perf_counter() - started
    return section
