"""Pairing a folder of photos with their masks, for the command line's folder mode.

Pure file-name logic, kept apart from the CLI so that the rules (which files
are photos, which mask belongs to which photo, where each result goes) are
stated and tested in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")
MASK_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff")
MASK_MARKERS = ("_mask", "-mask")


@dataclass(frozen=True)
class Pair:
    """One photo of the folder, its mask (None: not found) and where its result goes."""

    image: Path
    mask: Path | None
    out: Path


def is_mask_name(path: Path) -> bool:
    return path.stem.lower().endswith(MASK_MARKERS)


def list_images(folder: Path, *, skip_masks: bool = False) -> list[Path]:
    """The photos in ``folder`` (not recursive), sorted by name.

    ``skip_masks`` leaves out ``*_mask`` / ``*-mask`` files, for a folder that
    holds photos and masks side by side.
    """
    found = [
        p
        for p in folder.iterdir()
        if p.is_file()
        and p.suffix.lower() in IMAGE_SUFFIXES
        and not (skip_masks and is_mask_name(p))
    ]
    return sorted(found, key=lambda p: p.name.lower())


def find_mask(image: Path, mask_dir: Path) -> Path | None:
    """The mask for ``image`` in ``mask_dir``: same stem, then ``<stem>_mask``, ``<stem>-mask``.

    Any image extension counts for the mask. In the photo's own folder the
    same-stem rule is skipped (it would find the photo itself).
    """
    same_folder = mask_dir.resolve() == image.parent.resolve()
    stems = ([] if same_folder else [image.stem]) + [image.stem + m for m in MASK_MARKERS]
    by_name = {p.name.lower(): p for p in mask_dir.iterdir() if p.is_file()}
    for stem in stems:
        for suffix in MASK_SUFFIXES:
            hit = by_name.get((stem + suffix).lower())
            if hit is not None:
                return hit
    return None


def plan(image_dir: Path, mask: Path | None, out_dir: Path) -> list[Pair]:
    """Every photo of ``image_dir`` with its mask and output path.

    ``mask`` is a folder (matched per photo), one file used for every photo, or None
    (outpainting needs no mask).
    Results are ``<out_dir>/<stem>.png``; when two photos share a stem
    (``a.jpg``, ``a.png``) the later ones get their extension in the name so
    that nothing is overwritten.
    """
    same_folder = mask is not None and mask.is_dir() and mask.resolve() == image_dir.resolve()
    pairs: list[Pair] = []
    used: set[str] = set()
    for image in list_images(image_dir, skip_masks=same_folder):
        name = image.stem
        if name.lower() in used:
            name = f"{image.stem}-{image.suffix.lstrip('.').lower()}"
        used.add(name.lower())
        found = None if mask is None else find_mask(image, mask) if mask.is_dir() else mask
        pairs.append(Pair(image, found, out_dir / f"{name}.png"))
    return pairs
