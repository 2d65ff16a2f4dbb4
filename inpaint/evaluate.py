"""Measuring fills where the truth is known.

A fill can only be judged against what really was there, so each case takes a
picture (a sample photo or a generated texture), pastes an object into it
(a piece of another picture, through a blob-shaped silhouette) and paints a
mask over the object with a brush-like margin. A backend fills the mask; the
scores compare its output, inside the mask, with the picture before the
object was pasted:

* **texture**: high-frequency energy of the fill relative to the truth's,
  ``(rms_fill + 1) / (rms_truth + 1)`` of the grey image minus its Gaussian
  blur (sigma ``DETAIL_SIGMA``), in grey levels. A smudge is near 0, a copy of
  the right texture near 1, noise far above 1 (the +1 keeps smooth areas such
  as a sky near 1 rather than dividing by almost nothing).
* **ghost**: how much of the pasted object is still visible:
  ``<result, o> / <object, o>`` over the mask, clipped to 0-1, where ``o`` is
  the part of the object that the truth does not explain; all on band-passed
  grey images (grey minus its Gaussian blur of sigma ``GHOST_SIGMA``: the
  object's edges and detail, not its mere colour). 0 = no trace (the result
  does not resemble the object), 1 = the object untouched; a fill that lets
  ``a`` of the object show through (a linear blend) scores ``a``.
* **ssim** (mean of the SSIM map of the grey images, Gaussian window sigma 1.5,
  over the mask) and **psnr** (RGB, over the mask, dB), against the truth.
* **seconds**: wall time of the backend's call.

A backend is any callable ``(image, mask, seed) -> image``; the reference ones
are OpenCV's Telea and pypatchmatch on the whole image. ``python -m
inpaint.evaluate`` prints the table, writes a CSV and a picture strip per
case (truth | masked | each method).
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np
from PIL import Image, ImageDraw

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
PHOTOS = ("chelsea", "coffee", "astronaut")
TEXTURES = ("brick", "grass", "sky", "gravel")
DETAIL_SIGMA = 1.5
# Ghost looks at structure finer than this (sigma of the blur subtracted, pixels).
GHOST_SIGMA = 6.0
# How far (pixels, at 512) the mask reaches beyond the pasted object, like a brush margin.
MASK_MARGIN = 6

if TYPE_CHECKING:
    from .client import ModelsLabClient

Backend = Callable[[Image.Image, Image.Image, int], Image.Image]


@dataclass(frozen=True)
class Case:
    """One picture with an object pasted in and the mask over it."""

    name: str
    truth: Image.Image
    damaged: Image.Image
    mask: Image.Image
    object_area: Image.Image  # L, white where the pasted object is (ghost is measured there)


@dataclass(frozen=True)
class Score:
    """One backend's fill of one case, scored inside the mask."""

    case: str
    method: str
    texture: float
    ghost: float
    ssim: float
    psnr: float
    seconds: float


# -- scores ------------------------------------------------------------------------
def _grey(array: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(array, cv2.COLOR_RGB2GRAY).astype(np.float64)


def texture_ratio(result: np.ndarray, truth: np.ndarray, inside: np.ndarray) -> float:
    """High-frequency energy of ``result`` relative to ``truth`` inside ``inside`` (bool)."""

    def rms(array: np.ndarray) -> float:
        grey = _grey(array)
        detail = grey - cv2.GaussianBlur(grey, (0, 0), DETAIL_SIGMA)
        return float(np.sqrt(np.mean(detail[inside] ** 2)))

    return (rms(result) + 1.0) / (rms(truth) + 1.0)


def ghost(result: np.ndarray, truth: np.ndarray, damaged: np.ndarray, where: np.ndarray) -> float:
    """Share of the pasted object still visible: 0 = no trace, 1 = untouched (see module).

    Measured on the band-passed grey images (detail and edges up to
    ``GHOST_SIGMA``), so that a fill which merely differs from the truth in
    colour (every fill does) is not mistaken for the object showing through.
    """

    def band(array: np.ndarray) -> np.ndarray:
        grey = _grey(array)
        return (grey - cv2.GaussianBlur(grey, (0, 0), GHOST_SIGMA))[where]

    truth_band = band(truth)
    damaged_band = band(damaged)
    # The object's own structure: the damaged picture's detail with whatever it
    # shares with the truth (the margin around the object) projected out, so a
    # fill that restores the truth scores 0 and one that keeps the object 1.
    truth_energy = float(np.sum(truth_band * truth_band))
    shared = float(np.sum(damaged_band * truth_band)) / truth_energy if truth_energy else 0.0
    own = damaged_band - shared * truth_band
    energy = float(np.sum(damaged_band * own))
    if energy <= 0.0:
        return 0.0
    return float(np.clip(np.sum(band(result) * own) / energy, 0.0, 1.0))


def ssim(result: np.ndarray, truth: np.ndarray, inside: np.ndarray) -> float:
    """Mean SSIM (Wang et al. 2004, Gaussian window) of the grey images over ``inside``."""
    a, b = _grey(result), _grey(truth)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2

    def blur(x: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(x, (11, 11), 1.5)

    mu_a, mu_b = blur(a), blur(b)
    var_a = blur(a * a) - mu_a**2
    var_b = blur(b * b) - mu_b**2
    cov = blur(a * b) - mu_a * mu_b
    index = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / (
        (mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2)
    )
    return float(index[inside].mean())


def psnr(result: np.ndarray, truth: np.ndarray, inside: np.ndarray) -> float:
    """PSNR (dB) of the RGB pixels inside ``inside``; 99 for identical pixels."""
    error = np.mean((result[inside].astype(np.float64) - truth[inside]) ** 2)
    return 99.0 if error == 0 else float(10 * np.log10(255.0**2 / error))


def score(case: Case, result: Image.Image, method: str, seconds: float) -> Score:
    """All scores of ``result`` for ``case``."""
    out = np.asarray(result.convert("RGB").resize(case.truth.size), dtype=np.uint8)
    truth = np.asarray(case.truth, dtype=np.uint8)
    damaged = np.asarray(case.damaged, dtype=np.uint8)
    inside = np.asarray(case.mask) >= 128
    return Score(
        case.name,
        method,
        texture_ratio(out, truth, inside),
        ghost(out, truth, damaged, inside),
        ssim(out, truth, inside),
        psnr(out, truth, inside),
        seconds,
    )


# -- backends ----------------------------------------------------------------------
def engine_backend(strength: float = 0.7) -> Backend:
    """The local server's engine (``inpaint.server.engine``) at ``strength``."""
    from inpaint.server.engine import inpaint_image

    def run(image: Image.Image, mask: Image.Image, seed: int) -> Image.Image:
        width, height = image.size
        return inpaint_image(image, mask, width, height, samples=1, seed=seed, strength=strength)[0]

    return run


def telea_backend(image: Image.Image, mask: Image.Image, seed: int) -> Image.Image:
    """OpenCV's Telea (radius 3) on the whole image: the classic smooth fill."""
    del seed  # deterministic
    hole = np.where(np.asarray(mask.convert("L")) >= 8, 255, 0).astype(np.uint8)
    out = cv2.inpaint(np.asarray(image.convert("RGB")), hole, 3, cv2.INPAINT_TELEA)
    return Image.fromarray(out, "RGB")


def patchmatch_backend(patch_size: int = 3) -> Backend:
    """pypatchmatch on the whole image (``patch_size`` 3 is InvokeAI's infill setting)."""
    from inpaint.fill import _PATCHMATCH_LOCK

    def run(image: Image.Image, mask: Image.Image, seed: int) -> Image.Image:
        import patchmatch

        hole = (np.asarray(mask.convert("L")) >= 8).astype(np.uint8)
        with _PATCHMATCH_LOCK:
            patchmatch.set_random_seed(seed)
            out = patchmatch.inpaint(np.asarray(image.convert("RGB")), hole, patch_size=patch_size)
        return Image.fromarray(out, "RGB")

    return run


def client_backend(
    client: ModelsLabClient, prompt: str = "empty background", **options: Any
) -> Backend:
    """A backend that sends each case to an API (ModelsLab with a key, or the local
    server) through the library, one job at a time (always within a queue limit)."""

    def run(image: Image.Image, mask: Image.Image, seed: int) -> Image.Image:
        result = client.inpaint(image, mask, prompt=prompt, seed=seed, **options)
        return result.images[0]

    return run


def default_backends(strength: float = 0.7) -> dict[str, Backend]:
    """Ours next to the references, by the names the table uses."""
    return {
        "ours": engine_backend(strength),
        "telea": telea_backend,
        "patchmatch": patchmatch_backend(3),
    }


# -- cases -------------------------------------------------------------------------
def texture(kind: str, size: int, seed: int = 0) -> Image.Image:
    """A generated texture whose every pixel is known: brick, grass, sky or gravel."""
    rng = np.random.default_rng([seed, TEXTURES.index(kind)])
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32)
    if kind == "brick":
        row_h, brick_w = size // 16, size // 8
        row = (ys // row_h).astype(int)
        shifted = xs + (row % 2) * brick_w / 2
        col = (shifted // brick_w).astype(int)
        tint = rng.normal(0, 14, (row.max() + 2, col.max() + 2))
        base = np.stack(
            [150 + tint[row, col], 70 + tint[row, col] / 2, 50 + tint[row, col] / 3], axis=2
        )
        mortar = ((ys % row_h) < 3) | ((shifted % brick_w) < 3)
        base[mortar] = (190, 185, 175)
        base += rng.normal(0, 7, base.shape)
    elif kind == "grass":
        noise = rng.normal(0, 1, (size, size)).astype(np.float32)
        blades = cv2.GaussianBlur(noise, (0, 0), sigmaX=0.8, sigmaY=5.0)
        blades = blades / blades.std()
        light = cv2.GaussianBlur(rng.normal(0, 1, (size, size)).astype(np.float32), (0, 0), 30)
        light = light / (light.std() + 1e-6)
        base = np.stack(
            [60 + 18 * blades + 8 * light, 120 + 30 * blades + 12 * light, 40 + 10 * blades], axis=2
        )
    elif kind == "sky":
        clouds = cv2.GaussianBlur(rng.normal(0, 1, (size, size)).astype(np.float32), (0, 0), 25)
        clouds = clouds / (clouds.std() + 1e-6)
        t = ys / size
        base = np.stack(
            [90 + 90 * t + 6 * clouds, 140 + 70 * t + 6 * clouds, 220 + 25 * t + 4 * clouds], axis=2
        )
        base += rng.normal(0, 1.0, base.shape)
    elif kind == "gravel":
        base = np.full((size, size, 3), 110.0, np.float32)
        for _ in range(size * size // 60):
            y, x = rng.integers(0, size, 2)
            radius = int(rng.integers(3, 9))
            tone = float(rng.normal(125, 30))
            colour = (tone * 1.02, tone, tone * 0.94)
            cv2.circle(base, (int(x), int(y)), radius, colour, -1, lineType=cv2.LINE_AA)
            cv2.circle(
                base,
                (int(x) - radius // 3, int(y) - radius // 3),
                max(1, radius // 3),
                (min(255, tone + 35),) * 3,
                -1,
                lineType=cv2.LINE_AA,
            )
        base += rng.normal(0, 6, base.shape)
    else:
        raise ValueError(f"unknown texture {kind!r}; choose one of {', '.join(TEXTURES)}")
    return Image.fromarray(np.clip(base, 0, 255).astype(np.uint8), "RGB")


def photo(name: str, size: int) -> Image.Image:
    """A sample photo from ``examples/``, centre-cropped square and resized to ``size``."""
    image = Image.open(EXAMPLES / f"{name}.png").convert("RGB")
    side = min(image.size)
    left, top = (image.width - side) // 2, (image.height - side) // 2
    square = image.crop((left, top, left + side, top + side))
    return square.resize((size, size), Image.Resampling.LANCZOS)


def blob(size: int, centre: tuple[float, float], radius: float, seed: int) -> Image.Image:
    """An irregular blob silhouette (L, anti-aliased): the shape of a pasted object."""
    rng = np.random.default_rng(seed)
    angles = np.linspace(0, 2 * np.pi, 24, endpoint=False)
    radii = radius * (
        1 + 0.25 * np.sin(3 * angles + rng.uniform(0, 6)) + rng.uniform(-0.12, 0.12, len(angles))
    )
    points = [
        (centre[0] + r * np.cos(a), centre[1] + 0.8 * r * np.sin(a))
        for a, r in zip(angles, radii, strict=True)
    ]
    scale = 4  # drawn large and reduced: anti-aliased edges
    big = Image.new("L", (size * scale, size * scale), 0)
    ImageDraw.Draw(big).polygon([(x * scale, y * scale) for x, y in points], fill=255)
    return big.resize((size, size), Image.Resampling.BOX)


def make_case(
    name: str,
    truth: Image.Image,
    donor: Image.Image,
    *,
    radius: float,
    centre: tuple[float, float] | None = None,
    seed: int = 0,
) -> Case:
    """``truth`` with a blob cut from ``donor`` pasted in, and a mask over it."""
    size = truth.width
    centre = centre or (size * 0.5, size * 0.55)
    silhouette = blob(size, centre, radius, seed)
    donor = donor.resize(truth.size, Image.Resampling.LANCZOS)
    # The object comes from elsewhere in the donor, so it is not what belongs here.
    donor = Image.fromarray(np.roll(np.asarray(donor), (size // 3, size // 4), axis=(0, 1)))
    damaged = Image.composite(donor, truth, silhouette)
    margin = max(1, round(MASK_MARGIN * size / 512))
    grown = cv2.dilate(
        np.asarray(silhouette),
        cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * margin + 1, 2 * margin + 1)),
    )
    mask = Image.fromarray(np.where(grown > 0, 255, 0).astype(np.uint8), "L")
    return Case(name, truth, damaged, mask, silhouette)


def photo_cases(
    paths: Sequence[str | Path], size: int = 512, radius: float | None = None
) -> list[Case]:
    """Your own photos as cases: each centre-cropped to ``size`` with an object pasted in
    (cut from the next photo), so the truth under the mask is known."""
    pictures = []
    for path in paths:
        image = Image.open(path).convert("RGB")
        side = min(image.size)
        left, top = (image.width - side) // 2, (image.height - side) // 2
        square = image.crop((left, top, left + side, top + side))
        pictures.append((Path(path).stem, square.resize((size, size), Image.Resampling.LANCZOS)))
    radius = radius if radius is not None else 0.2 * size
    return [
        make_case(
            name,
            picture,
            pictures[(i + 1) % len(pictures)][1] if len(pictures) > 1 else texture("gravel", size),
            radius=radius,
            seed=i,
        )
        for i, (name, picture) in enumerate(pictures)
    ]


def default_cases(size: int = 512, radius: float | None = None) -> list[Case]:
    """The three sample photos and four generated textures, each with a pasted object.

    ``radius`` is the object's rough radius in pixels (default: 0.2 of the side,
    about 11 % of the picture, like a dog on a bench).
    """
    radius = radius if radius is not None else 0.2 * size
    pictures = [(name, photo(name, size)) for name in PHOTOS]
    pictures += [(kind, texture(kind, size)) for kind in TEXTURES]
    cases = []
    for index, (name, picture) in enumerate(pictures):
        donor = pictures[(index + 1) % len(pictures)][1]
        if name == "sky":  # an object in the sky: something unlike sky
            donor = pictures[0][1]
        cases.append(make_case(name, picture, donor, radius=radius, seed=index))
    return cases


# -- running -----------------------------------------------------------------------
def evaluate(
    cases: Iterable[Case],
    backends: dict[str, Backend],
    *,
    seed: int = 0,
    strips: Path | None = None,
    strip_height: int = 256,
    on_case: Callable[[Case, list[Score]], None] | None = None,
) -> list[Score]:
    """Run every backend on every case; optionally write a picture strip per case.

    ``on_case`` hears each case's scores as soon as it is done (the command
    line prints a line per case, so a long run is never silent).
    """
    scores = []
    for case in cases:
        results = []
        for method, backend in backends.items():
            started = time.perf_counter()
            result = backend(case.damaged, case.mask, seed)
            seconds = time.perf_counter() - started
            results.append((method, result))
            scores.append(score(case, result, method, seconds))
        if strips is not None:
            strips.mkdir(parents=True, exist_ok=True)
            strip(case, results, strip_height).save(strips / f"{case.name}.png")
        if on_case is not None:
            on_case(case, scores[-len(results) :] if results else [])
    return scores


def masked_view(case: Case) -> Image.Image:
    """The input as a user sees it: the object, with the mask tinted over it."""
    tint = Image.new("RGB", case.damaged.size, (255, 0, 200))
    alpha = case.mask.point(lambda v: v * 45 // 100)
    return Image.composite(tint, case.damaged, alpha)


def strip(case: Case, results: Sequence[tuple[str, Image.Image]], height: int = 256) -> Image.Image:
    """truth | masked | each method, labelled, ``height`` pixels high."""
    panels = [("truth", case.truth), ("masked", masked_view(case)), *results]
    width = round(case.truth.width * height / case.truth.height)
    out = Image.new("RGB", (width * len(panels), height + 18), (255, 255, 255))
    draw = ImageDraw.Draw(out)
    for index, (label, image) in enumerate(panels):
        out.paste(
            image.convert("RGB").resize((width, height), Image.Resampling.LANCZOS),
            (index * width, 18),
        )
        draw.text((index * width + 4, 3), label, fill=(0, 0, 0))
    return out


def medians(scores: Sequence[Score]) -> dict[str, dict[str, float]]:
    """Per method, the median of each score over the cases."""
    methods = list(dict.fromkeys(s.method for s in scores))
    fields = ("texture", "ghost", "ssim", "psnr", "seconds")
    return {
        m: {f: statistics.median(getattr(s, f) for s in scores if s.method == m) for f in fields}
        for m in methods
    }


def table(scores: Sequence[Score]) -> str:
    """The scores as a Markdown table, one row per case and method, then the medians."""
    lines = [
        "| case | method | texture | ghost | SSIM | PSNR dB | seconds |",
        "|---|---|---|---|---|---|---|",
    ]
    for s in scores:
        lines.append(
            f"| {s.case} | {s.method} | {s.texture:.2f} | {s.ghost:.3f} | "
            f"{s.ssim:.3f} | {s.psnr:.1f} | {s.seconds:.3f} |"
        )
    for method, m in medians(scores).items():
        lines.append(
            f"| **median** | {method} | {m['texture']:.2f} | {m['ghost']:.3f} | "
            f"{m['ssim']:.3f} | {m['psnr']:.1f} | {m['seconds']:.3f} |"
        )
    return "\n".join(lines)


def write_csv(scores: Sequence[Score], path: Path) -> None:
    """One row per case and method, the scores unrounded."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(Score.__dataclass_fields__))
        writer.writeheader()
        for s in scores:
            writer.writerow(asdict(s))


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m inpaint.evaluate``: score the fills, print the table, write CSV and strips."""
    parser = argparse.ArgumentParser(
        prog="python -m inpaint evaluate", description="Score fills against the known truth."
    )
    parser.add_argument("--size", type=int, default=512, help="side of every case (pixels)")
    parser.add_argument("--strength", type=float, default=0.7, help="strength for our engine")
    parser.add_argument(
        "--methods",
        default="ours,telea,patchmatch",
        help="comma-separated: ours, telea, patchmatch, patchmatch15",
    )
    parser.add_argument("--cases", default="", help="comma-separated subset of the case names")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--out", type=Path, default=Path("evaluation"), help="folder for scores.csv and the strips"
    )
    parser.add_argument(
        "--photos",
        nargs="+",
        metavar="PHOTO",
        help="your own photos as cases (default: the samples and textures)",
    )
    parser.add_argument(
        "--api",
        action="store_true",
        help="also score the API as method 'api': ModelsLab with "
        "MODELSLAB_API_KEY (one job at a time), else the local server",
    )
    parser.add_argument("--prompt", default="empty background", help="the API's prompt")
    parser.add_argument(
        "--outpaint",
        action="store_true",
        help="score outpainting instead: photos cropped and extended back to full size, "
        "ours (client.outpaint, offline unless MODELSLAB_API_KEY with --api) against "
        "plain pypatchmatch on the same canvas",
    )
    args = parser.parse_args(argv)
    if args.outpaint:
        return _outpaint_main(args)
    available = {**default_backends(args.strength), "patchmatch15": patchmatch_backend(15)}
    client = _api_client() if args.api else None
    if client is not None:
        available["api"] = client_backend(
            client, args.prompt, strength=args.strength, transport="base64"
        )
        if "api" not in args.methods:
            args.methods += ",api"
    names = [n.strip() for n in args.methods.split(",") if n.strip()]
    unknown = [n for n in names if n not in available]
    if unknown:
        parser.error(f"unknown method(s): {', '.join(unknown)}")
    cases = photo_cases(args.photos, args.size) if args.photos else default_cases(args.size)
    if args.cases:
        wanted = {n.strip() for n in args.cases.split(",")}
        cases = [c for c in cases if c.name in wanted]
    done = 0

    def said(case: Case, found: list[Score]) -> None:
        nonlocal done
        done += 1
        parts = ", ".join(f"{s.method} {s.seconds:.1f} s" for s in found)
        print(f"[{done}/{len(cases)}] {case.name}: {parts}", file=sys.stderr, flush=True)

    scores = evaluate(
        cases,
        {n: available[n] for n in names},
        seed=args.seed,
        strips=args.out / "strips",
        on_case=said,
    )
    write_csv(scores, args.out / "scores.csv")
    print(table(scores))
    print(f"\nwrote {args.out / 'scores.csv'} and {args.out / 'strips'}/*.png")
    if client is not None:
        client.close()
    return 0


def _outpaint_main(args: argparse.Namespace) -> int:
    """``--outpaint``: one line per case and method as it is scored, then the CSV."""
    from . import outpaint_eval as oe
    from .client import ModelsLabClient

    client = _api_client() if args.api else ModelsLabClient.offline()
    cases = oe.default_cases()
    if args.cases:
        wanted = {n.strip() for n in args.cases.split(",")}
        cases = [c for c in cases if c.name in wanted]
    methods = {
        "ours": oe.client_outpainter(client, args.prompt),
        "patchmatch": oe.patchmatch_outpainter,
    }
    print(oe.HEADER, flush=True)
    try:
        scores = oe.evaluate(
            cases,
            methods,
            seed=args.seed,
            report=lambda s: print(oe.row(s), flush=True),
            strips=args.out / "strips",
        )
    finally:
        client.close()
    args.out.mkdir(parents=True, exist_ok=True)
    with (args.out / "outpaint.csv").open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=list(asdict(scores[0])))
        writer.writeheader()
        for s in scores:
            writer.writerow(asdict(s))
    print(f"\nwrote {args.out / 'outpaint.csv'} and {args.out / 'strips'}/outpaint-*.png")
    return 0


def _api_client() -> ModelsLabClient:
    import os

    from .client import ModelsLabClient

    if os.environ.get("MODELSLAB_API_KEY", "").strip():
        return ModelsLabClient()
    return ModelsLabClient.offline()


if __name__ == "__main__":
    raise SystemExit(main())
