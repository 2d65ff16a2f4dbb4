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

from dataclasses import dataclass

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


# Below this many (the float32 mantissa), sums of whole numbers are exact in any order.
EXACT_FLOAT32 = 2**24


@dataclass(frozen=True)
class DriftMeter:
    """What measuring a result's drift needs from the reference and mask alone.

    Every sample of a job is measured against the same sent image under the
    same mask, so this is made once per job (``drift_meter``) and shared.
    """

    reference: np.ndarray  # float32 HxWx3
    trusted: np.ndarray  # bool HxWx1: measured here
    weight_sum: float
    small: tuple[int, int]
    sigma: float
    confidence: np.ndarray  # float32 hxwx1
    den_safe: np.ndarray  # float32 hxwx1
    # ``trusted`` as 0.0/1.0 per channel: multiplying by it is what multiplying by
    # the bools does, without converting them for every sample.
    trusted_rgb: np.ndarray | None = None
    whole_reference: bool = False  # the reference holds whole numbers (it was 8-bit)

    def field(self, result: np.ndarray) -> np.ndarray:
        """The smooth per-pixel offset ``reference - result`` (float32, HxWx3)."""
        height, width = result.shape[:2]
        res = result if result.dtype == np.float32 else result.astype(np.float32)
        if self.trusted_rgb is not None and self.trusted_rgb.shape == res.shape:
            diff = self.reference - res
            diff *= self.trusted_rgb
        else:
            diff = (self.reference - res) * self.trusted
        diff_small = cv2.resize(diff, self.small, interpolation=cv2.INTER_AREA)
        num = cv2.GaussianBlur(diff_small, (0, 0), self.sigma)
        whole = self.whole_reference and result.dtype == np.uint8
        overall = _channel_sums(diff, whole) / max(1.0, self.weight_sum)
        local = num / self.den_safe
        field_small = local * self.confidence + overall[None, None, :] * (1.0 - self.confidence)
        return cv2.resize(
            field_small.astype(np.float32), (width, height), interpolation=cv2.INTER_LINEAR
        )

    def matched(self, result: Image.Image) -> Image.Image:
        """``result`` with the drift it shows against the reference undone."""
        rgb = result if result.mode == "RGB" else result.convert("RGB")
        pixels = np.asarray(rgb)
        res = pixels.astype(np.float32)
        corrected = np.clip(res + self.field(pixels) + 0.5, 0, 255)
        return Image.fromarray(corrected.astype(np.uint8), "RGB")


def _channel_sums(diff: np.ndarray, whole: bool) -> np.ndarray:
    """``diff.reshape(-1, 3).sum(axis=0)``, bit for bit, in a fraction of its time.

    numpy adds the rows one after another in float32 (slow: three values per
    step). When ``diff`` holds whole numbers whose absolute sum stays below
    2**24, every partial sum in any order is exact, so OpenCV's sum (in
    double) gives the same float32 values; otherwise numpy's own sum is used.
    """
    if whole and cv2.norm(diff, cv2.NORM_L1) < EXACT_FLOAT32:
        return np.array(cv2.sumElems(diff)[:3], dtype=np.float32)
    return diff.reshape(-1, 3).sum(axis=0)


def drift_meter(
    reference: np.ndarray, mask: np.ndarray, *, margin: int = TRUST_MARGIN
) -> DriftMeter | None:
    """The measure of drift against ``reference`` (HxWx3) outside ``mask`` (HxW, >0 = painted).

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
    weight = trusted.astype(np.float32)
    weight_small = cv2.resize(weight, small, interpolation=cv2.INTER_AREA)
    sigma = max(1.0, FIELD_SIGMA_SHARE * max(small))
    den = cv2.GaussianBlur(weight_small, (0, 0), sigma)
    # Far from any trusted pixel the local estimate is noise: lean on the overall shift.
    return DriftMeter(
        reference=reference.astype(np.float32),
        trusted=trusted[..., None],
        weight_sum=float(weight.sum()),
        small=small,
        sigma=sigma,
        confidence=np.clip(den / 0.2, 0.0, 1.0)[..., None],
        den_safe=np.maximum(den, 1e-6)[..., None],
        trusted_rgb=np.repeat(weight[..., None], reference.shape[-1], axis=-1),
        whole_reference=reference.dtype == np.uint8,
    )


def match_colours(result: Image.Image, reference: Image.Image, mask: Image.Image) -> Image.Image:
    """``result`` with the colour drift it shows against ``reference`` (outside ``mask``) undone.

    All three are at the result's size. Returns ``result`` itself when there is
    nothing to measure.
    """
    meter = drift_meter(np.asarray(reference.convert("RGB")), np.asarray(mask.convert("L")))
    return result if meter is None else meter.matched(result)


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
