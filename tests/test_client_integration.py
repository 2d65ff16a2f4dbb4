"""The library against the project's local server, over real HTTP on 127.0.0.1.

No mocks: every call here crosses a socket to a running ``inpaint.server``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from inpaint import (
    AuthenticationError,
    BadRequestError,
    JobTimeoutError,
    ModelsLabClient,
    RateLimitError,
)
from inpaint.server import ServerConfig

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
KEY = "integration-key-123"


@pytest.fixture(scope="module")
def photo() -> Image.Image:
    return Image.open(EXAMPLES / "coffee.png").convert("RGB")  # 600 x 400


@pytest.fixture(scope="module")
def mask() -> Image.Image:
    m = Image.new("L", (600, 400), 0)
    m.paste(255, (250, 150, 350, 250))
    return m


def changed(a: Image.Image, b: Image.Image) -> np.ndarray:
    return np.abs(np.asarray(a, np.int16) - np.asarray(b, np.int16)).max(axis=2)


def assert_inpainted(result, photo, mask, size=(600, 400)):
    out = result.images[0].convert("RGB")
    assert out.size == size
    ref = photo.resize(size)
    diff = changed(out, ref)
    inside = np.asarray(mask.resize(size, Image.Resampling.NEAREST)) > 0
    assert diff[inside].mean() > 8, "the painted area was not repainted"
    # Outside the painted area the photo survives (resampling aside).
    assert np.percentile(diff[~inside], 99) <= 12


@pytest.mark.parametrize("transport", ["upload", "base64"])
def test_inpaint_every_transport(server, photo, mask, transport):
    client = ModelsLabClient(api_key=KEY, base_url=server.base_url)
    result = client.inpaint(photo, mask, prompt="an empty table", transport=transport, seed=5)
    assert_inpainted(result, photo, mask)
    assert result.seed == 5
    assert isinstance(result.id, int)
    assert result.generation_time is not None and result.generation_time >= 0
    assert result.meta["prompt"] == "an empty table"
    assert "key" not in result.sent
    assert KEY not in repr(result.sent) and KEY not in repr(result.meta)


def test_url_transport_passes_urls_through(server, photo, mask):
    client = ModelsLabClient(api_key=KEY, base_url=server.base_url + "/")
    from inpaint import images as imgs

    init_url = client.jobs.upload(imgs.encode_png(photo))
    mask_url = client.jobs.upload(imgs.encode_mask(mask))
    result = client.inpaint(init_url, mask_url, prompt="x", transport="url", width=600, height=400)
    assert result.sent["init_image"] == init_url
    assert_inpainted(result, photo, mask)


def test_base64_output_with_upload_transport(server, photo, mask):
    client = ModelsLabClient(api_key=KEY, base_url=server.base_url)
    result = client.inpaint(photo, mask, prompt="x", base64_output=True, samples=2, seed=9)
    assert len(result.images) == 2
    assert result.sent["base64"] == "true"
    assert_inpainted(result, photo, mask)


def test_same_seed_same_images_and_samples_differ(patchmatch_server, photo, mask):
    # PatchMatch: the quick engine has no seed, its samples are all the same picture.
    client = ModelsLabClient(api_key=KEY, base_url=patchmatch_server.base_url)
    a = client.inpaint(photo, mask, prompt="x", samples=2, seed=1234, transport="base64")
    b = client.inpaint(photo, mask, prompt="x", samples=2, seed=1234, transport="base64")
    assert [i.tobytes() for i in a.images] == [i.tobytes() for i in b.images]
    assert a.images[0].tobytes() != a.images[1].tobytes()


def test_explicit_size_is_honoured(server, photo, mask):
    client = ModelsLabClient(api_key=KEY, base_url=server.base_url)
    raw = client.inpaint(
        photo, mask, prompt="x", width=512, height=256, transport="base64", paste_back=False
    )
    assert raw.images[0].size == (512, 256)
    # Pasted back (the default), the same request comes back at the photo's own size.
    pasted = client.inpaint(photo, mask, prompt="x", width=512, height=256, transport="base64")
    assert pasted.sent["width"] == 512 and pasted.sent["height"] == 256
    assert pasted.images[0].size == photo.size


def test_processing_then_fetch(make_server, photo, mask):
    srv = make_server(ServerConfig(latency=1.5, sync_threshold=0.2, engine="quick"))
    client = ModelsLabClient(api_key=KEY, base_url=srv.base_url)
    events = []
    result = client.inpaint(photo, mask, prompt="x", transport="base64", progress=events.append)
    stages = [e.stage for e in events]
    assert "queued" in stages, stages
    queued = [e for e in events if e.stage == "queued"]
    assert queued[0].job_id == result.id and queued[0].eta is not None
    assert_inpainted(result, photo, mask)


def test_instant_response_and_fetch_result_later(server, photo, mask):
    client = ModelsLabClient(api_key=KEY, base_url=server.base_url)
    img, msk, w, h = client.jobs.prepare(photo, mask)
    from inpaint import images as imgs
    from inpaint.params import build_payload

    payload = build_payload({"prompt": "x", "instant_response": True, "width": w, "height": h})
    payload.update(
        init_image=client.jobs.upload(imgs.encode_png(img)),
        mask_image=client.jobs.upload(imgs.encode_mask(msk)),
    )
    answer = client.jobs.submit(payload)
    assert answer["status"] == "processing" and answer["output"] == []
    later = ModelsLabClient(api_key=KEY, base_url=server.base_url)  # e.g. another process
    result = later.fetch_result(answer["id"])
    assert result.id == answer["id"]
    assert_inpainted(result, photo, mask)


def test_wait_limit_keeps_id_then_fetch_result_gets_it(make_server, photo, mask):
    srv = make_server(ServerConfig(gate_jobs=True, sync_threshold=0.1, engine="quick"))
    impatient = ModelsLabClient(api_key=KEY, base_url=srv.base_url, max_wait=0.5)
    with pytest.raises(JobTimeoutError) as info:  # the job is held at the server's gate
        impatient.inpaint(photo, mask, prompt="x", transport="base64")
    job_id = info.value.job_id
    assert job_id is not None and str(job_id) in info.value.fetch_url
    assert srv.app.state.jobs.release([int(job_id)]) == [int(job_id)]
    patient = ModelsLabClient(api_key=KEY, base_url=srv.base_url)
    assert patient.fetch_result(job_id).images


def test_server_400_is_a_bad_request(server, photo, mask):
    client = ModelsLabClient(api_key=KEY, base_url=server.base_url)
    dead = server.base_url.rsplit(":", 1)[0] + ":9/nothing.png"
    with pytest.raises(BadRequestError, match="(?i)unable to fetch|fetch"):
        client.inpaint(dead, dead, prompt="x", transport="url", width=64, height=64)
    with pytest.raises(BadRequestError) as info:
        client.jobs.submit(
            {"prompt": "x", "init_image": dead, "mask_image": dead, "guidance_scale": 9}
        )
    assert info.value.status_code == 400
    assert "guidance_scale" in str(info.value)


def test_server_401_wrong_key(make_server, photo, mask):
    srv = make_server(ServerConfig(keys=frozenset({"the-right-key"}), engine="quick"))
    wrong = ModelsLabClient(api_key="a-wrong-key-456", base_url=srv.base_url)
    with pytest.raises(AuthenticationError) as info:
        wrong.inpaint(photo, mask, prompt="x")
    assert info.value.status_code == 401
    assert "a-wrong-key-456" not in str(info.value)
    right = ModelsLabClient(api_key="the-right-key", base_url=srv.base_url)
    assert right.inpaint(photo, mask, prompt="x", transport="base64").images


def test_server_429_past_queue_limit(make_server, photo, mask):
    srv = make_server(ServerConfig(latency=3.0, queue_limit=1, sync_threshold=0.1, engine="quick"))
    client = ModelsLabClient(api_key=KEY, base_url=srv.base_url, max_retries=0)
    img, msk, w, h = client.jobs.prepare(photo, mask)
    from inpaint import images as imgs
    from inpaint.params import build_payload

    payload = build_payload({"prompt": "x", "width": w, "height": h, "base64": True})
    payload.update(
        init_image=imgs.to_data_uri(imgs.encode_png(img)),
        mask_image=imgs.to_data_uri(imgs.encode_mask(msk)),
    )
    first = client.jobs.submit(payload)
    assert first["status"] == "processing"
    with pytest.raises(RateLimitError) as info:
        client.jobs.submit(payload)
    assert info.value.status_code == 429
    assert info.value.retry_after is not None and info.value.retry_after > 0
    # With retries on, the client waits out retry_after and gets through.
    patient = ModelsLabClient(api_key=KEY, base_url=srv.base_url, max_retries=3)
    second = patient.jobs.submit(payload)
    assert second["status"] in ("processing", "success")
