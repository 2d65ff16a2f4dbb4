"""Putting results back is exactly what it was before it was made fast.

The put-back step once matched colours against the full-size photo, cropped
and scaled again for every sample, and placed the samples one after another.
It now measures against the image that was sent (the same pixels, already at
hand), once per job, and places the samples in parallel. ``old_put_back`` below
is the earlier code, kept as the reference; the SHA-256 of its pictures for
these cases were recorded from the earlier tree too, so a change to the shared
helpers (``paste_back``, ``match_colours``) cannot move both sides at once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pytest
from PIL import Image, ImageDraw

from inpaint import pipeline
from inpaint.colour import match_colours
from inpaint.region import Box, paste_back, paste_whole
from inpaint.request import InpaintRequest, spec

from .conftest import EXAMPLES


# -- the earlier code, verbatim apart from names --------------------------------------------
def old_colour_matched(
    original: Image.Image, result: Image.Image, mask: Image.Image, box: Box | None
) -> Image.Image:
    where = (box or Box(0, 0, *original.size)).as_tuple()
    reference = original.convert("RGB").crop(where)
    small_mask = mask.convert("L").crop(where)
    if reference.size != result.size:
        reference = reference.resize(result.size, Image.Resampling.LANCZOS)
        small_mask = small_mask.resize(result.size, Image.Resampling.BOX)
    return match_colours(result, reference, small_mask)


def old_place(original, result, mask, *, box, blend, feather, match):
    if match and mask is not None and (blend or box is not None):
        result = old_colour_matched(original, result, mask, box)
    if blend and mask is not None:
        return paste_back(original, result, mask, box=box, feather=feather)
    if box is None:
        return result
    return paste_whole(original, result, box)


def old_put_back(original, mask, samples, boxes, *, paste_back, feather, match_colours=False):
    count = max(len(s) for s in samples)
    if original is None:
        first = samples[0]
        return [first[min(i, len(first) - 1)] for i in range(count)]
    if feather is None:
        feather = spec("feather").scaled(original.size)
    images = []
    for i in range(count):
        canvas = original
        for job_samples, box in zip(samples, boxes, strict=True):
            sample = job_samples[min(i, len(job_samples) - 1)]
            canvas = old_place(
                canvas,
                sample,
                mask,
                box=box,
                blend=paste_back,
                feather=feather,
                match=match_colours,
            )
        images.append(canvas)
    return images


# -- the cases ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    name: str
    request: InpaintRequest
    soft: bool = False
    counts: tuple[int, ...] = (3, 3)  # samples per job (a job may return fewer)
    result_scale: float = 1.0  # an API answering at another size than was sent


CASES = [
    Case("regions, matched", InpaintRequest(prompt="x", crop_to_mask=True)),
    Case("regions, unmatched", InpaintRequest(prompt="x", crop_to_mask=True, match_colours=False)),
    Case(
        "regions, no blend",
        InpaintRequest(prompt="x", crop_to_mask=True, paste_back=False),
        counts=(2, 1),
    ),
    Case("regions, soft mask", InpaintRequest(prompt="x", crop_to_mask=True), soft=True),
    Case("regions, pre-filled", InpaintRequest(prompt="x", crop_to_mask=True, prefill="blur")),
    Case(
        "regions, other size back",
        InpaintRequest(prompt="x", crop_to_mask=True),
        result_scale=0.5,
        counts=(2, 2),
    ),
    Case("whole, matched", InpaintRequest(prompt="x", feather=12), counts=(4,)),
    Case("whole, no paste-back", InpaintRequest(prompt="x", paste_back=False), counts=(2,)),
]

# SHA-256 of every picture ``old_put_back`` made for each case, recorded before the change.
RECORDED = {
    "regions, matched": (
        "eef2561de38129be7a700a16d2d2cd4500785b94839bf6e99caa0773587ec0f3",
        "5458b023b4ebb27073d66cb4ee08a938226b4d8a5d041ba3893a5b3e16e5f47a",
        "9be930b6405ea710c17ae525bbe5d4bdcb99674681aaae705c3525ebe3750fa2",
    ),
    "regions, unmatched": (
        "55ea423aa18b6af0e58422210181369917d1de0fef9332128f4312b8cd3465fe",
        "5ba5940054728c216b6ea12f4e519b9d1ff48fe9137b945bbe7ac3f26a0f61f5",
        "1aca359b97d4841c322fba89899dd0c1002d88431d1f5abfee91dab74005a6d9",
    ),
    "regions, no blend": (
        "60740b46eaf38470df41a3a3569e0ce5e0517d94078aa0ab8dcb8bf3f7ba5b09",
        "09a62911df9b17537f2cf81b76ca35ce465415699de230406b5b871979ca9fca",
    ),
    "regions, soft mask": (
        "08a2e71956616f2431bfae9fcf801956e14ead6f075b11c95ebebd2b4057a589",
        "8e2efaacad63847511fd31f37d86b395d213b8004276945241adff1642ec2e03",
        "0275f6624271e7f59e44f3944315e49feaa5d5a931ba2ef8204d3c5937b4eba7",
    ),
    "regions, pre-filled": (
        "eef2561de38129be7a700a16d2d2cd4500785b94839bf6e99caa0773587ec0f3",
        "5458b023b4ebb27073d66cb4ee08a938226b4d8a5d041ba3893a5b3e16e5f47a",
        "9be930b6405ea710c17ae525bbe5d4bdcb99674681aaae705c3525ebe3750fa2",
    ),
    "regions, other size back": (
        "81316a0a06ccd3d7ed090be2027bde6226aa6379f26c87fbc3354194ebe6dc33",
        "cf2d57f984e8dcd78063972fb27f8ea88f4e41858d75a91abe6ece108bf0c7f3",
    ),
    "whole, matched": (
        "24b73fac5db1285e820e179622798de4c8b4a838e47499259168863f6bc339f5",
        "c3bc6056b59dc864d8c87873351019da7d33797566cd95e35ededb1904989175",
        "0edaeb1a73457e935849e3033847f1e55832aebc23bcee5e5bc382dbc49d4984",
        "3c8141738ec71ce254df2a00fdfab0a779a8902354c0d38b7f4889cab38034e8",
    ),
    "whole, no paste-back": (
        "f2a3d02a759b96602b633b89fe3cc9ff3460d5427bac2a28582ede870657ba97",
        "f1ef7c84121b5658338b6b039da38dffa3e9aa786fd6626528c54f8125da74dd",
    ),
}


def photo_and_mask() -> tuple[Image.Image, Image.Image]:
    """A 3000 x 2250 photo with two far-apart painted areas (two regions, each scaled
    down to be sent), with antialiased edges."""
    with Image.open(EXAMPLES / "coffee.png") as src:
        photo = src.convert("RGB").resize((3000, 2250), Image.Resampling.BICUBIC)
    big = Image.new("L", (6000, 4500), 0)
    draw = ImageDraw.Draw(big)
    draw.ellipse((600, 800, 2900, 2500), fill=255)
    draw.rectangle((3600, 2900, 5700, 4300), fill=255)
    return photo, big.resize(photo.size, Image.Resampling.BILINEAR)


def fake_result(sent: Image.Image, mask: Image.Image, seed: int, scale: float) -> Image.Image:
    """What a model might return: the sent image with a smooth colour drift, and new
    content (noise on a flat colour) where it was painted."""
    rng = np.random.default_rng(seed)
    arr = np.asarray(sent.convert("RGB"), dtype=np.float32)
    h, w = arr.shape[:2]
    ramp = np.linspace(-1.0, 1.0, w, dtype=np.float32)[None, :, None]
    drift = rng.uniform(-6, 6, 3).astype(np.float32) * (1.0 + 0.5 * ramp)
    painted = (np.asarray(mask.convert("L").resize((w, h))) > 0)[..., None]
    new = rng.uniform(0, 255, 3).astype(np.float32) + rng.normal(0, 12, arr.shape)
    out = np.where(painted, new, arr + drift)
    result = Image.fromarray(np.clip(np.rint(out), 0, 255).astype(np.uint8), "RGB")
    if scale != 1.0:
        result = result.resize((round(w * scale), round(h * scale)), Image.Resampling.BICUBIC)
    return result


def prepared(
    case: Case,
) -> tuple[Image.Image, Image.Image, list[pipeline.Send], list[list[Image.Image]]]:
    photo, mask = photo_and_mask()
    sends, original, full_mask, later = pipeline.plan_sends(
        photo, mask, case.request, soft=case.soft
    )
    if later is not None:
        original, full_mask = later.result()
    samples = [
        [fake_result(s.image, s.mask, 10 * j + i, case.result_scale) for i in range(n)]
        for j, (s, n) in enumerate(zip(sends, case.counts, strict=True))
    ]
    return original, full_mask, sends, samples


def digests(images: Sequence[Image.Image]) -> tuple[str, ...]:
    return tuple(
        hashlib.sha256(im.mode.encode() + repr(im.size).encode() + im.tobytes()).hexdigest()
        for im in images
    )


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_put_back_makes_the_same_pictures_as_before(case):
    original, full_mask, sends, samples = prepared(case)
    request = case.request
    common = dict(
        paste_back=request.paste_back,
        feather=request.feather if original is None else request.feather_for(original.size),
        match_colours=request.match_colours,
    )
    boxes = [s.box for s in sends]
    before = old_put_back(original, full_mask, samples, boxes, **common)
    assert digests(before) == RECORDED[case.name]
    now = pipeline.put_back(original, full_mask, samples, boxes, sent=sends, **common)
    assert digests(now) == RECORDED[case.name]
    # The client's way: made ready (canvases copied) while the jobs run, then placed.
    ready = pipeline.prepare_put_back(original, full_mask, None, sends, request).result()
    placed = ready.place(samples) if ready is not None else pipeline.as_returned(samples)
    assert digests(placed) == RECORDED[case.name]
