"""Classical inpainting: the local server's stand-in for a diffusion model.

The app has to work offline and the tests need a server whose output is
deterministic, so the local ModelsLab look-alike fills the masked area from its
surroundings with PatchMatch (``inpaint.fill``: the hole's neighbourhood,
coarse to fine). It is honest about what it is: the prompt does not steer the
fill, and nothing here can paint a cat where there was a dog.

How a sample is made, and why:

* **The fill.** :func:`inpaint.fill.fill` with seed ``seed + i`` for sample
  ``i``: the seed picks PatchMatch's random search and which parts of the
  surroundings it may copy from, so samples are visibly different, every one is
  reproducible (also with several jobs at once), and sample ``i`` of seed ``s``
  equals sample 0 of seed ``s + i``.
* **Strength** says how much the painted area may change (ModelsLab: 0-1,
  default 0.7). A diffusion model at 0.7 does not show a faded copy of the old
  object, so neither does this engine: from ``FULL_CHANGE`` (0.7) up the
  painted area is the fill alone. Below it, the area keeps a share
  ``1 - strength / FULL_CHANGE`` of the original's *broad colour and light*
  only: the difference between original and fill, low-passed with a Gaussian
  as wide as the hole is thick (never less than ``MIN_SIGMA``), is added back,
  so a lower strength keeps more of the old colours but never the old edges or
  detail. The change is monotone in strength; 0 returns the (resized) original
  exactly.
* **Soft masks.** The result is composited through the mask's grey level, so
  anti-aliased edges blend; pixels below ``HOLE_LEVEL`` are never touched.
* **The quick engine.** ``engine="quick"`` (``ServerConfig.engine``) swaps the
  fill for OpenCV's Telea (:func:`inpaint.fill.telea_fill_array`): the same
  strength and mask rules, tens of milliseconds a job, but a smooth fill with
  no texture and no seed (every sample is the same picture). It is a speed
  option for tests and CI that exercise everything around the picture; the
  response says which engine ran (``engine``, ``engine_methods``, ``engine_note``).
"""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image

from inpaint import fill as fill_engine
from inpaint.fill import HOLE_LEVEL

from .config import DEFAULT_ENGINE, ENGINES

__all__ = [
    "ENGINES",
    "ENGINE_NAME",
    "FULL_CHANGE",
    "HOLE_LEVEL",
    "engine_name",
    "engine_note",
    "inpaint_image",
    "methods_for",
    "strength_target",
]

# From this strength up the painted area is the fill alone (the API's default).
FULL_CHANGE = 0.7
# The low-pass that decides what a lower strength keeps is at least this wide (sigma, px).
MIN_SIGMA = 8.0

# The default engine's name (what ``patchmatch`` really runs on this machine).
ENGINE_NAME = fill_engine.describe()
QUICK_ENGINE_NAME = f"{fill_engine.TELEA_NAME} (quick engine)"
_NOTES = {
    "patchmatch": (
        "classical PatchMatch fill; the prompt does not steer it"
        if fill_engine.PATCHMATCH_AVAILABLE
        else "classical OpenCV Telea fill (pypatchmatch missing); the prompt does not steer it"
    ),
    "quick": "quick classical OpenCV Telea fill (a test/CI speed option, not PatchMatch: "
    "smooth, no texture, the seed has no effect); the prompt does not steer it",
}


def engine_name(engine: str = DEFAULT_ENGINE) -> str:
    """What ``engine`` (one of ``ENGINES``) reports as itself in ``meta`` and ``/health``."""
    _check(engine)
    return QUICK_ENGINE_NAME if engine == "quick" else ENGINE_NAME


def engine_note(engine: str = DEFAULT_ENGINE) -> str:
    """One sentence for ``meta``: what the engine is, and that it ignores the prompt."""
    _check(engine)
    return _NOTES[engine]


def methods_for(seed: int, samples: int, engine: str = DEFAULT_ENGINE) -> list[str]:
    """What made each sample of a job (for the response's meta): method and its seed."""
    if engine == "quick":
        return [f"{QUICK_ENGINE_NAME}, no seed" for _ in range(samples)]
    _check(engine)
    return [f"{ENGINE_NAME} seed={seed + i}" for i in range(samples)]


def _check(engine: str) -> None:
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")


def inpaint_image(
    image: Image.Image,
    mask: Image.Image,
    width: int,
    height: int,
    samples: int = 1,
    seed: int = 0,
    strength: float = 1.0,
    engine: str = DEFAULT_ENGINE,
) -> list[Image.Image]:
    """Fill the white part of ``mask`` in ``image`` from its surroundings.

    ``image`` is resized (Lanczos) and ``mask`` (bilinear, so its edges stay
    soft) to ``width`` x ``height``. Returns ``samples`` RGB images, made by
    ``engine`` (one of ``ENGINES``).
    """
    _check(engine)
    if width < 1 or height < 1:
        raise ValueError("width and height must be positive")
    if samples < 1:
        raise ValueError("samples must be at least 1")
    if seed < 0:
        raise ValueError("seed must not be negative")
    size = (int(width), int(height))
    rgb = image.convert("RGB")
    if rgb.size != size:
        rgb = rgb.resize(size, Image.Resampling.LANCZOS)
    grey = mask.convert("L")
    if grey.size != size:
        grey = grey.resize(size, Image.Resampling.BILINEAR)
    original = np.asarray(rgb, dtype=np.uint8)
    level = np.asarray(grey, dtype=np.uint8)
    strength = float(min(1.0, max(0.0, strength)))

    hole = level >= HOLE_LEVEL
    if strength == 0.0 or not hole.any():
        return [Image.fromarray(original.copy(), "RGB") for _ in range(samples)]

    alpha = np.where(hole, level.astype(np.float32) / 255.0, 0.0)[:, :, None]
    quick = fill_engine.telea_fill_array(original, hole) if engine == "quick" else None
    outputs = []
    for index in range(samples):
        filled = (
            quick
            if quick is not None
            else fill_engine.fill_array(original, hole, seed=seed + index)
        )
        target = strength_target(original, filled, hole, strength)
        blended = original + (target - original) * alpha
        out = np.where(hole[:, :, None], np.clip(blended + 0.5, 0, 255), original)
        outputs.append(Image.fromarray(out.astype(np.uint8), "RGB"))
    return outputs


def strength_target(
    original: np.ndarray, filled: np.ndarray, hole: np.ndarray, strength: float
) -> np.ndarray:
    """What the painted area becomes at ``strength`` (float32 HxWx3; soft edges come later).

    At ``FULL_CHANGE`` and above: the fill. Below: the fill plus a share
    ``1 - strength / FULL_CHANGE`` of the heavily low-passed difference between
    the original and the fill, i.e. the original's broad colour and light and
    none of its edges (a removal at the default leaves no ghost).
    """
    fill_f = filled.astype(np.float32)
    keep = max(0.0, 1.0 - strength / FULL_CHANGE)
    if keep == 0.0:
        return fill_f
    difference = (original.astype(np.float32) - fill_f) * hole[:, :, None]
    # As wide as the hole is thick, so the old object's outline is blurred away.
    thickness = cv2.distanceTransform(hole.astype(np.uint8), cv2.DIST_L2, 5).max()
    sigma = max(MIN_SIGMA, float(thickness))
    broad = cv2.GaussianBlur(difference, (0, 0), sigma)
    return fill_f + keep * broad
