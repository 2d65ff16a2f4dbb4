"""Undoing a model's colour drift before a result is put back into the photo.

A diffusion model's round trip (encode, denoise, decode) shifts colours a
little everywhere, also where nothing was painted. Pasted back into the exact
original, the painted area then sits a few levels off its surroundings: a
visible edge however soft the blend. Where the result and what was sent
should agree (away from the mask) the shift can be measured; it is smooth, so
it is spread into the mask by normalised convolution and subtracted there too.
Because the correction inside the mask is interpolated from outside only, an
intended colour change inside the mask (a red scarf on a grey coat) is kept.

Pure numpy/OpenCV over float arrays; the correction is computed at reduced
size (it is smooth by construction), so a 1024 x 1024 result costs a few ms.
"""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image

# Pixels this far from the mask (in px of the result, at least) are trusted to
# be "unchanged" and measured; closer ones may have been touched on purpose.
TRUST_MARGIN = 6
# The correction field is computed at most this large (long side), then upsampled.
FIELD_SIDE = 128
# Spread of the field, as a share of the result's long side: drift that varies
# more slowly than this is followed, faster detail is not.
FIELD_SIGMA_SHARE = 1 / 12


def drift_field(
    result: np.ndarray, reference: np.ndarray, mask: np.ndarray, *, margin: int = TRUST_MARGIN
) -> np.ndarray | None:
    """The smooth per-pixel offset ``reference - result`` (float32, HxWx3), or None.

    ``mask`` (HxW, >0 = painted) marks where the result may differ on purpose.
    None when too little is left to measure (the mask covers nearly everything).
    """
    painted = (mask > 0).astype(np.uint8)
    grown = (
        cv2.dilate(
            painted, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * margin + 1, 2 * margin + 1))
        )
        if margin > 0
        else painted
    )
    trusted = grown == 0
    if trusted.mean() < 0.02:
        return None
    height, width = mask.shape
    scale = min(1.0, FIELD_SIDE / max(height, width))
    small = (max(1, round(width * scale)), max(1, round(height * scale)))
    diff = (reference.astype(np.float32) - result.astype(np.float32)) * trusted[..., None]
    weight = trusted.astype(np.float32)
    diff_small = cv2.resize(diff, small, interpolation=cv2.INTER_AREA)
    weight_small = cv2.resize(weight, small, interpolation=cv2.INTER_AREA)
    sigma = max(1.0, FIELD_SIGMA_SHARE * max(small))
    num = cv2.GaussianBlur(diff_small, (0, 0), sigma)
    den = cv2.GaussianBlur(weight_small, (0, 0), sigma)
    overall = diff.reshape(-1, 3).sum(axis=0) / max(1.0, float(weight.sum()))
    # Far from any trusted pixel the local estimate is noise: lean on the overall shift.
    confidence = np.clip(den / 0.2, 0.0, 1.0)[..., None]
    local = num / np.maximum(den, 1e-6)[..., None]
    field_small = local * confidence + overall[None, None, :] * (1.0 - confidence)
    return cv2.resize(
        field_small.astype(np.float32), (width, height), interpolation=cv2.INTER_LINEAR
    )


def match_colours(result: Image.Image, reference: Image.Image, mask: Image.Image) -> Image.Image:
    """``result`` with the colour drift it shows against ``reference`` (outside ``mask``) undone.

    All three are at the result's size. Returns ``result`` itself when there is
    nothing to measure.
    """
    res = np.asarray(result.convert("RGB"))
    ref = np.asarray(reference.convert("RGB"))
    msk = np.asarray(mask.convert("L"))
    field = drift_field(res, ref, msk)
    if field is None:
        return result
    corrected = np.clip(res.astype(np.float32) + field + 0.5, 0, 255).astype(np.uint8)
    return Image.fromarray(corrected, "RGB")


def seam_step(image: Image.Image, mask: Image.Image, width: int = 4) -> float:
    """Mean colour step across the mask's edge: just inside versus just outside (0..255).

    The measure behind the colour-matching test: an offset paste shows as a
    step of about the offset; a seamless one as about the photo's own local
    contrast.
    """
    msk = (np.asarray(mask.convert("L")) > 0).astype(np.uint8)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * width + 1, 2 * width + 1))
    inner = (msk - cv2.erode(msk, kernel)) > 0
    outer = (cv2.dilate(msk, kernel) - msk) > 0
    if not inner.any() or not outer.any():
        return 0.0
    arr = np.asarray(image.convert("RGB"), dtype=np.float32)
    return float(np.abs(arr[inner].mean(axis=0) - arr[outer].mean(axis=0)).mean())
