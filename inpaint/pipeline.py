"""The edit pipeline: inputs -> what to send -> jobs -> results put back into the photo.

``ModelsLabClient.inpaint`` is this pipeline with the client's transport; the
studio, the command line and ``fetch_result`` all end in ``put_back``, the one
rule for putting a job's images back into the photo they were cut from.

Steps:

1. **prepare**: the photo and mask as they are sent. Whole-picture mode decodes
   the photo at (about) the size sent; "only masked" mode reads it at full
   size and cuts regions (``region.plan_regions``).
2. **run**: one job per region (or one for the whole picture), each within a
   job slot, all with one seed so the edit is reproducible.
3. **put back**: each sample placed into the full-size photo (``region.Placement``,
   prepared once per job; the samples in parallel).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from PIL import Image

from . import images as imgs
from . import masks
from .contract import MAX_SIDE
from .errors import JobCancelledError, JobError, ModelsLabError, ParameterError
from .job import JobOutput
from .params import AUTO_AREA_GAIN
from .progress import CancelHook, ProgressCallback, notifier
from .region import Box, Placement, Region, cut
from .region import plan_regions as plan_boxes
from .request import InpaintRequest, spec
from .result import InpaintResult, fetched_parameters

# Samples placed at once (the API returns at most 4 per job).
MAX_PARALLEL = 4


@dataclass(frozen=True)
class Send:
    """One request's images (PIL images, or URLs for transport "url") and its region.

    ``unfilled`` is the image as cut, before a pre-fill replaced its painted
    area: the reference a result's colours are measured against.
    """

    image: Any
    mask: Any
    region: Region | None = None
    unfilled: Any = None

    @property
    def as_cut(self) -> Any:
        return self.unfilled if self.unfilled is not None else self.image

    @property
    def box(self) -> Box | None:
        return self.region.box if self.region is not None else None


# -- sizes ----------------------------------------------------------------------------------
def send_size(
    size: tuple[int, int], width: int | None = None, height: int | None = None
) -> tuple[int, int]:
    """The size a whole picture of ``size`` is sent at: the one asked for, or fitted.

    Both given: exactly that. One given: the other follows the photo's aspect
    (multiples of 8, within the API's maximum). Neither: the photo fitted
    within 1024 x 1024 in multiples of 8. The local server applies the same
    rule to a request that leaves them out (``images.output_size``).
    """
    return imgs.output_size(size, width, height)


# -- reading the inputs ---------------------------------------------------------------------
Fetch = Callable[[str], bytes]


def full_inputs(
    image: Any, mask: Any, *, soft: bool, fetch: Fetch | None = None
) -> tuple[Image.Image, Image.Image]:
    """The photo upright at its own full size, and the mask aligned to it.

    ``soft`` keeps a mask's greys (a feathered mask sent as it is); otherwise it
    is binarised. An empty mask is refused with the plain "paint the area".
    """
    original = imgs.to_rgb(imgs.load_image(image, what="image", fetch=fetch))
    raw_mask = imgs.upright(imgs.load_image(mask, what="mask", fetch=fetch))
    if soft:
        full = raw_mask.convert("L")
        if full.size != original.size:
            full = full.resize(original.size, Image.Resampling.BILINEAR)
    else:
        full = masks.to_binary_mask(raw_mask, original.size)
    masks.require_painted(full)
    return original, full


def prepare_whole(
    image: Any,
    mask: Any,
    width: int | None = None,
    height: int | None = None,
    *,
    soft: bool = False,
    fetch: Fetch | None = None,
) -> tuple[Image.Image, Image.Image]:
    """The exact whole-picture image and mask that are sent, at the size sent.

    A large JPEG is decoded at a reduced DCT scale (never below the size sent),
    several times faster than decoding every pixel only to scale them away.
    """
    img = imgs.to_rgb(
        imgs.load_image(
            image, what="image", fetch=fetch, reduce_for=lambda size: send_size(size, width, height)
        )
    )
    raw_mask = imgs.upright(imgs.load_image(mask, what="mask", fetch=fetch))
    size = send_size(img.size, width, height)
    img = imgs.resize_to(img, size)
    if soft:
        msk = raw_mask.convert("L")
        if msk.size != size:
            msk = msk.resize(size, Image.Resampling.BILINEAR)
    else:
        msk = masks.to_binary_mask(raw_mask, size)
    masks.require_painted(msk)
    return img, msk


def plan_regions(
    original: Image.Image, full_mask: Image.Image, request: InpaintRequest, *, soft: bool = False
) -> list[Send]:
    """\"Only masked\" mode: one ``Send`` per region of the photo (see ``region``)."""
    return [
        Send(*cut(original, full_mask, r, soft=soft), r) for r in regions_for(full_mask, request)
    ]


def regions_for(mask: Image.Image, request: InpaintRequest) -> list[Region]:
    """The regions "only masked" mode sends for ``mask`` (the studio's preview draws these).

    Each painted area is widened by the padding, and at least by the blend band
    when pasting back, so the blend always has result pixels to use.
    """
    limit = (int(request.width or MAX_SIDE), int(request.height or MAX_SIDE))
    return plan_boxes(
        mask,
        padding=request.padding_for(mask.size),
        feather=request.feather_for(mask.size) if request.paste_back else 0,
        limit=limit,
    )


# -- the inpaint area ("auto") ---------------------------------------------------------------
def choose_area(size: tuple[int, int], mask: Image.Image, request: InpaintRequest) -> bool:
    """Whether an edit of a photo of ``size`` sends only the area around ``mask``.

    The request's own choice when it made one. Left to "auto" (``crop_to_mask``
    None), the one rule of the library, the command line and the studio: only
    the masked area when the photo is larger than the API's 1024 px maximum,
    the result is pasted back into it, the painted areas fit in one region
    (one job, the cost of the whole picture) and that region is sent at least
    ``AUTO_AREA_GAIN`` times sharper than the whole picture would be.
    Otherwise the whole picture: on a photo the API takes at its own size
    nothing is gained, and several regions would cost several jobs. ``mask``
    is at the photo's size; transport "url" has no pixels to cut.
    """
    if request.crop_to_mask is not None:
        return request.crop_to_mask
    if request.transport == "url" or request.extension.any or not request.paste_back:
        return False  # without paste-back the API's images are the result: never a crop
    if max(size) <= MAX_SIDE:
        return False  # the API takes the whole photo at its own size: nothing to gain
    return area_gain(size, mask, request) >= AUTO_AREA_GAIN


def area_gain(size: tuple[int, int], mask: Image.Image, request: InpaintRequest) -> float:
    """How many times sharper "only masked" sends the painted area than the whole picture.

    0 when "only masked" would need more than one region (or nothing is painted).
    """
    whole = send_size(size, request.width, request.height)
    regions = regions_for(mask, request)
    if len(regions) != 1:
        return 0.0
    region = regions[0]
    return (region.send_size[0] / region.box.width) / (whole[0] / size[0])


def with_area(request: InpaintRequest, size: tuple[int, int], mask: Image.Image) -> InpaintRequest:
    """``request`` with "auto" resolved to the area ``choose_area`` picks."""
    if request.crop_to_mask is not None:
        return request
    return request.replace(crop_to_mask=choose_area(size, mask, request))


def resolve_area(
    image: Any, mask: Any, request: InpaintRequest, *, soft: bool, fetch: Fetch | None = None
) -> tuple[Any, Any, InpaintRequest]:
    """The inputs and ``request`` with "auto" resolved, reading only what the rule needs.

    The photo's size comes from its header (its pixels are decoded later, at
    the size the chosen mode needs); a photo or mask given as a URL is
    downloaded once here and handed on as bytes.
    """
    if request.crop_to_mask is not None or request.transport == "url":
        return image, mask, with_area(request, (1, 1), Image.new("L", (1, 1)))
    if fetch is not None:
        image = fetch(image) if imgs.is_url(image) else image
        mask = fetch(mask) if imgs.is_url(mask) else mask
    size = imgs.upright_size(imgs.load_image(image, what="image", lazy=True))
    if max(size) <= MAX_SIDE or not request.paste_back:
        return image, mask, request.replace(crop_to_mask=False)  # the mask is not read
    raw_mask = imgs.upright(imgs.load_image(mask, what="mask", fetch=fetch))
    if soft:
        full = raw_mask.convert("L")
        full = full if full.size == size else full.resize(size, Image.Resampling.BILINEAR)
    else:
        full = masks.to_binary_mask(raw_mask, size)
    if masks.is_empty(full):
        return image, mask, request.replace(crop_to_mask=False)  # refused with its own message
    return image, mask, with_area(request, size, full)


def prefilled(send: Send, request: InpaintRequest) -> Send:
    """``send`` with its painted area pre-filled as the request asks (``prefill``).

    Done on what is sent (the whole picture at the size sent, or each region),
    so the cost is that of at most 1024 x 1024 and the studio's preview, which
    calls this too, shows exactly the image the API receives.
    """
    if request.prefill == "original" or not isinstance(send.image, Image.Image):
        return send
    from .prefill import prefill  # the fill engine loads a compiled library

    filled = prefill(send.image, send.mask, request.prefill, seed=request.seed or 0)
    return Send(filled, send.mask, send.region, unfilled=send.image)


def url_send(image: Any, mask: Any) -> Send:
    """Transport "url": the caller's own URLs, passed through unchanged."""
    for name, value in (("image", image), ("mask", mask)):
        if not imgs.is_url(value):
            raise ParameterError(
                f'transport="url" needs the {name} as an http(s) URL '
                f'(use "upload" or "base64" for files and images)',
                field=name,
            )
    return Send(image, mask)


def in_background(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Future[Any]:
    """Run ``func`` on a daemon thread; its result (or exception) comes from the future.

    The full-size photo that paste-back needs is read this way while the job
    is uploaded and queued.
    """
    future: Future[Any] = Future()

    def run() -> None:
        try:
            future.set_result(func(*args, **kwargs))
        except BaseException as exc:  # handed to whoever asks for the result
            future.set_exception(exc)

    threading.Thread(target=run, name="inpaint-full-size", daemon=True).start()
    return future


def plan_sends(
    image: Any,
    mask: Any,
    request: InpaintRequest,
    *,
    soft: bool = False,
    fetch: Fetch | None = None,
    regions: Sequence[Region] | None = None,
) -> tuple[
    list[Send],
    Image.Image | None,
    Image.Image | None,
    Future[tuple[Image.Image, Image.Image]] | None,
]:
    """What to send, and the full-size photo and mask (or a future of them) for put-back.

    "Only masked" reads the photo at full size at once (regions are cut from
    it). A whole picture is sent from a reduced decode; the full-size photo
    that paste-back needs is read meanwhile, while the job is uploaded and
    queued. Without paste-back the API's images are the result: nothing is read.
    ``regions`` replaces "only masked" mode's own plan (outpainting's tiles).
    """
    if request.crop_to_mask or regions is not None:
        original, full_mask = full_inputs(image, mask, soft=soft, fetch=fetch)
        cuts = (
            [Send(*cut(original, full_mask, r, soft=soft), r) for r in regions]
            if regions is not None
            else plan_regions(original, full_mask, request, soft=soft)
        )
        return [prefilled(s, request) for s in cuts], original, full_mask, None
    if request.transport == "url":
        sends = [url_send(image, mask)]
    else:
        sends = [
            prefilled(
                Send(
                    *prepare_whole(
                        image, mask, request.width, request.height, soft=soft, fetch=fetch
                    )
                ),
                request,
            )
        ]
    later = (
        in_background(full_inputs, image, mask, soft=soft, fetch=fetch)
        if request.paste_back
        else None
    )
    return sends, None, None, later


# -- running the jobs -----------------------------------------------------------------------
RunOne = Callable[[Send, InpaintRequest], Any]


def run_sends(
    sends: Sequence[Send],
    request: InpaintRequest,
    run_one: RunOne,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelHook | None = None,
) -> list[Any]:
    """Run one job per ``Send`` in order; all share one seed (the first job's if random).

    When a later region fails, the error raised says which region, carries its
    box (to fetch it later) and names the jobs already finished (paid for).
    """
    notify = notifier(progress)
    outputs: list[Any] = []
    for index, send in enumerate(sends):
        if len(sends) > 1:
            notify("region", f"Region {index + 1} of {len(sends)}", fraction=index / len(sends))
        if outputs and request.seed is None and outputs[0].seed is not None:
            request = request.replace(seed=outputs[0].seed)  # one seed for every region
        if cancel is not None and cancel() and index > 0:
            raise JobCancelledError(
                "Cancelled before the next region was sent: the earlier ones finished.",
                completed_jobs=_ids(outputs),
            )
        try:
            outputs.append(run_one(send, request))
        except ModelsLabError as exc:
            raise _in_context(exc, send, index, len(sends), outputs) from exc
    return outputs


def _ids(outputs: list[Any]) -> tuple[Any, ...]:
    return tuple(o.id for o in outputs if o.id is not None)


def _in_context(
    exc: ModelsLabError, send: Send, index: int, total: int, done: list[Any]
) -> ModelsLabError:
    """The error of region ``index`` with what it needs to be collected later."""
    changes: dict[str, Any] = {}
    if isinstance(exc, JobError):
        if send.box is not None:
            changes["region"] = send.box.as_tuple()
        changes["completed_jobs"] = _ids(done)
    if not done:
        return exc.evolve(**changes) if changes else exc
    ids = ", ".join(str(i) for i in _ids(done))
    plural = len(done) > 1
    message = (
        f"{exc.message} (Region {index + 1} of {total}; the earlier "
        f"region{'s' if plural else ''} finished as job{'s' if plural else ''} {ids}.)"
    )
    return exc.evolve(message, **changes)


# -- putting back ---------------------------------------------------------------------------
class PutBack:
    """An edit's put-back, prepared before its images arrive.

    What depends only on the photo, the mask and where each job was cut (each
    job's ``region.Placement``), and a canvas (an RGB copy of the photo) for
    each of the ``samples`` expected, are made here, so that the client makes
    them while its jobs run (``prepare_put_back``) and ``place`` then costs only
    each sample's own work. The arguments are ``put_back``'s.
    """

    def __init__(
        self,
        original: Image.Image,
        mask: Image.Image | None,
        boxes: Sequence[Box | None],
        *,
        paste_back: bool,
        feather: int | None,
        match_colours: bool = False,
        sent: Sequence[Send] | None = None,
        samples: int = 0,
    ) -> None:
        if feather is None:  # scaled to the photo, as the request's own rule says
            feather = spec("feather").scaled(original.size)
        self.original = original.convert("RGB") if original.mode != "RGB" else original
        self.placements = [
            Placement(
                self.original,
                mask,
                box=box,
                blend=paste_back,
                feather=feather,
                match=match_colours,
                sent=sent[j].as_cut if sent is not None else None,
            )
            for j, box in enumerate(boxes)
        ]
        # 12 MP copies cost 10-20 ms each: made now, not while the user waits.
        self._canvases = [self.original.copy() for _ in range(samples)]
        self._lock = threading.Lock()

    def _canvas(self) -> Image.Image:
        with self._lock:
            if self._canvases:
                return self._canvases.pop()
        return self.original.copy()

    def place(self, samples: Sequence[Sequence[Image.Image]]) -> list[Image.Image]:
        """The finished images: sample ``i`` of every job placed into a canvas, in parallel."""
        count = max(len(s) for s in samples)

        def one(i: int) -> Image.Image:
            canvas = self._canvas()
            for placement, job_samples in zip(self.placements, samples, strict=True):
                canvas = placement.apply(canvas, job_samples[min(i, len(job_samples) - 1)])
            return canvas

        if count == 1:
            return [one(0)]
        with ThreadPoolExecutor(
            max_workers=min(count, MAX_PARALLEL), thread_name_prefix="put-back"
        ) as pool:
            return list(pool.map(one, range(count)))


def put_back(
    original: Image.Image | None,
    mask: Image.Image | None,
    samples: Sequence[Sequence[Image.Image]],
    boxes: Sequence[Box | None],
    *,
    paste_back: bool,
    feather: int | None,
    match_colours: bool = False,
    sent: Sequence[Send] | None = None,
) -> list[Image.Image]:
    """The finished images of an edit: each job's samples placed into the photo.

    ``samples[j]`` are job ``j``'s images, ``boxes[j]`` where job ``j`` was cut
    from (None: the whole picture). Sample ``i`` of the edit takes sample ``i``
    of every job (the last one when a job returned fewer). Without the
    original (whole picture, no paste-back) the API's images are returned.
    ``match_colours`` undoes each result's colour drift first (``colour``),
    measured against what job ``j`` was sent (``sent[j]``) when given.

    What depends only on the photo and a job is prepared once per job
    (``PutBack``); the samples are then placed in parallel, as they were
    downloaded.
    """
    if original is None:
        return as_returned(samples)
    prepared = PutBack(
        original,
        mask,
        boxes,
        paste_back=paste_back,
        feather=feather,
        match_colours=match_colours,
        sent=sent,
    )
    return prepared.place(samples)


def as_returned(samples: Sequence[Sequence[Image.Image]]) -> list[Image.Image]:
    """The API's own images as the edit's (whole picture, no paste-back): the first job's."""
    first = samples[0]
    return [first[min(i, len(first) - 1)] for i in range(max(len(s) for s in samples))]


def prepare_put_back(
    original: Image.Image | None,
    mask: Image.Image | None,
    full_size: Future[tuple[Image.Image, Image.Image]] | None,
    sends: Sequence[Send],
    request: InpaintRequest,
) -> Future[PutBack | None]:
    """``plan_sends``'s photo and mask (or the future of them) made into a ``PutBack``
    on a background thread, while the jobs run. None: nothing to put back into
    (the API's images are the result). A failure to read the photo is raised by
    the future's ``result``, as ``full_size``'s own would be.
    """

    def make() -> PutBack | None:
        photo, full_mask = full_size.result() if full_size is not None else (original, mask)
        if photo is None:
            return None
        return PutBack(
            photo,
            full_mask,
            [send.box for send in sends],
            paste_back=request.paste_back,
            feather=request.feather_for(photo.size),
            match_colours=request.match_colours,
            sent=sends,
            samples=request.samples,
        )

    return in_background(make)


@dataclass(frozen=True)
class Placing:
    """How a job fetched later goes back into its photo (``fetch_result``'s options).

    Without ``image`` and ``mask`` the API's own images are the result; with
    them, the one put-back rule applies, into ``box`` for an "only masked" job.
    """

    image: Any = None
    mask: Any = None
    box: tuple[int, int, int, int] | None = None
    paste_back: bool = True
    feather: int | None = None
    match_colours: bool = True

    @classmethod
    def checked(
        cls,
        image: Any,
        mask: Any,
        box: tuple[int, int, int, int] | None,
        *,
        paste_back: Any = True,
        feather: Any = None,
        match_colours: Any = True,
    ) -> Placing:
        """The options validated by the specification, before anything is fetched."""
        if (image is None) != (mask is None):
            raise ParameterError(
                "fetch_result needs both image and mask to put the result back, or neither",
                field="image" if image is None else "mask",
            )
        return cls(
            image,
            mask,
            box,
            spec("paste_back").coerce(paste_back),
            spec("feather").coerce(feather),
            spec("match_colours").coerce(match_colours),
        )

    def result(
        self, output: JobOutput, base_url: str, *, fetch: Fetch | None = None
    ) -> InpaintResult:
        images = output.images
        regions: tuple[tuple[int, int, int, int], ...] = ()
        if self.image is not None:
            original, full_mask = full_inputs(self.image, self.mask, soft=False, fetch=fetch)
            where = self._box_inside(original.size)
            images = put_back(
                original,
                full_mask,
                [output.images],
                [where],
                paste_back=self.paste_back,
                feather=self.feather,
                match_colours=self.match_colours,
            )
            regions = (where.as_tuple(),) if where else ()
        parameters = fetched_parameters(
            output,
            base_url,
            placed=self.image is not None,
            paste_back=self.paste_back,
            images=images,
        )
        return InpaintResult(images=images, jobs=(output,), regions=regions, parameters=parameters)

    def _box_inside(self, size: tuple[int, int]) -> Box | None:
        if self.box is None:
            return None
        where = Box(*(int(v) for v in self.box))
        if not (
            0 <= where.left < where.right <= size[0] and 0 <= where.top < where.bottom <= size[1]
        ):
            raise ParameterError(
                f"box {tuple(self.box)} is not inside the {size[0]} x {size[1]} photo", field="box"
            )
        return where
