"""The performance changes keep behaviour: reduced JPEG decoding, mask sampling, job slots."""

from __future__ import annotations

import io
import threading

import numpy as np
import pytest
from PIL import Image

from inpaint import JobCancelledError, ModelsLabClient
from inpaint import images as imgs
from inpaint.server import ServerConfig, serve_in_background
from inpaint.slots import JobSlots
from inpaint.studio import Settings


def jpeg(size: tuple[int, int], orientation: int = 1) -> bytes:
    rng = np.random.default_rng(0)
    arr = rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)
    arr[: size[1] // 2] = (200, 30, 30)  # top half red, to check orientation
    buf = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.fromarray(arr).save(buf, "JPEG", quality=90, exif=exif.tobytes())
    return buf.getvalue()


def test_a_large_jpeg_is_decoded_reduced_but_never_below_the_size_sent():
    data = jpeg((4032, 3024))
    img = imgs.load_image(data, reduce_for=lambda size: imgs.fit_size(*size))
    assert img.size == (2016, 1512)  # the 1/2 DCT scale: still >= 1024 x 768
    assert imgs.load_image(data).size == (4032, 3024)  # without the hint: every pixel


def test_a_rotated_jpeg_is_reduced_in_its_own_orientation():
    data = jpeg((4000, 3000), orientation=6)  # stored landscape, shown portrait
    client = ModelsLabClient(api_key="k-test-123456", base_url="http://127.0.0.1:9/api")
    mask = Image.new("L", (3000, 4000), 0)
    mask.paste(255, (1000, 1000, 2000, 2000))
    img, msk, w, h = client.jobs.prepare(data, mask)
    assert (w, h) == img.size == msk.size == (768, 1024)
    # Orientation 6 turns the stored top (red) to the right-hand side.
    right = np.asarray(img)[:, -50:].reshape(-1, 3).mean(axis=0)
    assert right[0] > 150 and right[1] < 80


def test_uploads_are_verified_without_decoding_and_damage_is_refused():
    good = jpeg((64, 48))
    assert imgs.check_image_bytes(good).size == (64, 48)
    png = io.BytesIO()
    Image.new("RGB", (64, 64), "white").save(png, "PNG")
    broken = bytearray(png.getvalue())
    broken[60] ^= 0xFF  # inside the image data: its checksum no longer matches
    with pytest.raises(imgs.InputImageError):
        imgs.check_image_bytes(bytes(broken))


def test_the_studio_prepares_as_many_generations_as_its_queue_limit_allows_jobs():
    assert Settings(concurrency_limit=5).event_limit == 10


def test_a_full_job_slot_holds_the_submission_and_cancel_sends_nothing():
    slots = JobSlots(1)
    other = slots.try_acquire()  # another generation holds the only slot
    assert other is not None
    with serve_in_background(ServerConfig()) as server:
        client = ModelsLabClient(api_key="k-test-123456", base_url=server.base_url, job_slots=slots)
        events: list[str] = []
        photo = Image.new("RGB", (64, 64), "gray")
        mask = Image.new("L", (64, 64), 0)
        mask.paste(255, (16, 16, 48, 48))
        with pytest.raises(JobCancelledError, match="nothing was charged"):
            client.inpaint(
                photo,
                mask,
                prompt="x",
                transport="base64",
                progress=lambda e: events.append(e.message),
                cancel=lambda: any("free place" in m for m in events),
            )
        assert server.app.state.jobs.next_id() == 1  # no job was ever created
        slots.release(other)
        result = client.inpaint(photo, mask, prompt="x", transport="base64")
        assert result.images and slots.try_acquire()  # the slot was given back


def test_eta_factor_scales_the_reported_eta():
    photo = Image.new("RGB", (64, 64), "gray")
    mask = Image.new("L", (64, 64), 0)
    mask.paste(255, (16, 16, 48, 48))
    etas = {}
    for factor in (1.0, 0.5):
        config = ServerConfig(latency=6.0, sync_threshold=0.0, eta_factor=factor)
        with serve_in_background(config) as server:
            client = ModelsLabClient(api_key="k-test-123456", base_url=server.base_url)
            payload = {
                "prompt": "x",
                "width": 64,
                "height": 64,
                "init_image": imgs.to_data_uri(imgs.encode_png(photo)),
                "mask_image": imgs.to_data_uri(imgs.encode_mask(mask)),
            }
            answer = client.jobs.submit(payload)
            assert answer["status"] == "processing"
            etas[factor] = answer["eta"]
    assert etas[1.0] >= 6 and etas[0.5] <= 4


def test_eta_factor_must_be_positive():
    with pytest.raises(ValueError, match="eta_factor"):
        ServerConfig(eta_factor=0)


def test_job_slots_serve_waiters_in_arrival_order():
    slots = JobSlots(1)
    first = slots.try_acquire()
    assert first is not None
    order: list[int] = []
    queued = threading.Semaphore(0)

    def waiter(n: int) -> None:
        queued.release()
        hold = slots.acquire()
        assert hold is not None
        order.append(n)
        slots.release(hold)

    threads = []
    for n in range(4):
        thread = threading.Thread(target=waiter, args=(n,))
        thread.start()
        queued.acquire()
        while len(slots._waiting) < n + 1:  # until this waiter is in line
            threading.Event().wait(0.01)
        threads.append(thread)
    assert not slots.try_acquire()  # someone is waiting: no overtaking
    slots.release(first)
    for thread in threads:
        thread.join(5)
    assert order == [0, 1, 2, 3]
    assert slots.free == 1


def test_a_cancelled_waiter_leaves_the_line():
    slots = JobSlots(1)
    hold = slots.try_acquire()
    assert hold is not None
    assert slots.acquire(cancel=lambda: True) is None
    slots.release(hold)
    assert slots.try_acquire()
