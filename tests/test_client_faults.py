"""The client against a misbehaving server: retries, error classes, waiting, decoding.

Everything goes over real HTTP to a scripted server on 127.0.0.1.
"""

from __future__ import annotations

import base64
import io
import time

import numpy as np
import pytest
from PIL import Image

from inpaint import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    DownloadError,
    InsufficientCreditsError,
    JobCancelledError,
    JobFailedError,
    JobTimeoutError,
    MalformedResponseError,
    ModelsLabClient,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
)
from inpaint.http import MIN_404_TRIES, HttpSession
from tests.fault_server import Canned, FaultServer

KEY = "sk-secret-test-key-0123456789"
IMG = np.full((64, 96, 3), 120, np.uint8)
MASK = np.zeros((64, 96), np.uint8)
MASK[20:40, 30:60] = 255


def png_bytes(color=(10, 200, 30), size=(96, 64)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, format="PNG")
    return buf.getvalue()


def success(fs: FaultServer, outputs: list[str] | None = None, **extra) -> Canned:
    body = {
        "status": "success",
        "id": 42,
        "generationTime": 1.5,
        "output": outputs if outputs is not None else [fs.root + "/files/out.png"],
        "meta": {"seed": 1234, "prompt": "x"},
    }
    body.update(extra)
    return Canned(200, body)


@pytest.fixture
def fs():
    with FaultServer() as server:
        server.script("/files/out.png", Canned(200, png_bytes(), content_type="image/png"))
        yield server


def client_for(fs: FaultServer, **kw) -> ModelsLabClient:
    kw.setdefault("max_retries", 3)
    return ModelsLabClient(api_key=KEY, base_url=fs.base_url, timeout=5, **kw)


def run(client: ModelsLabClient, **kw):
    kw.setdefault("prompt", "a cat")
    kw.setdefault("transport", "base64")
    return client.inpaint(IMG, MASK, **kw)


def test_retries_5xx_then_succeeds(fs):
    fs.script(
        "/api/v6/image_editing/inpaint",
        Canned(500, {"status": "error", "message": "boom"}),
        Canned(503, "<html>down</html>"),
        success(fs),
    )
    result = run(client_for(fs))
    assert len(fs.requests_to("/api/v6/image_editing/inpaint")) == 3
    assert result.images[0].size == (96, 64)
    assert result.seed == 1234 and result.id == 42 and result.generation_time == 1.5


def test_persistent_5xx_becomes_server_error(fs):
    fs.script("/api/v6/image_editing/inpaint", Canned(500, {"status": "error", "message": "x"}))
    with pytest.raises(ServerError):
        run(client_for(fs, max_retries=1))
    assert len(fs.requests_to("/api/v6/image_editing/inpaint")) == 2


@pytest.mark.parametrize("where", ["body", "header"])
def test_429_honours_retry_after(fs, where):
    limited = (
        Canned(429, {"status": "error", "message": "queue full", "retry_after": 1})
        if where == "body"
        else Canned(429, {"status": "error", "message": "queue full"}, headers={"Retry-After": "1"})
    )
    fs.script("/api/v6/image_editing/inpaint", limited, success(fs))
    run(client_for(fs))
    first, second = fs.requests_to("/api/v6/image_editing/inpaint")
    assert second.at - first.at >= 0.95


def test_429_with_long_retry_after_is_reported_not_waited(fs):
    fs.script(
        "/api/v6/image_editing/inpaint",
        Canned(429, {"status": "error", "message": "queue full", "retry_after": 600}),
    )
    with pytest.raises(RateLimitError) as info:
        run(client_for(fs))
    assert info.value.retry_after == 600
    assert "600" in str(info.value)
    assert len(fs.requests_to("/api/v6/image_editing/inpaint")) == 1


@pytest.mark.parametrize(
    "status,cls",
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (402, InsufficientCreditsError),
        (403, PermissionDeniedError),
    ],
)
def test_client_errors_map_to_classes_without_retry(fs, status, cls):
    fs.script(
        "/api/v6/image_editing/inpaint",
        Canned(status, {"status": "error", "message": f"nope, your key {KEY} is bad"}),
    )
    with pytest.raises(cls) as info:
        run(client_for(fs))
    assert len(fs.requests_to("/api/v6/image_editing/inpaint")) == 1
    assert info.value.status_code == status
    assert KEY not in str(info.value) and KEY not in repr(info.value)
    assert KEY not in str(info.value.body)


def test_error_status_with_http_200_is_classified(fs):
    fs.script(
        "/api/v6/image_editing/inpaint",
        Canned(200, {"status": "error", "messege": "Invalid Api Key"}),
    )
    with pytest.raises(AuthenticationError, match="Invalid Api Key"):
        run(client_for(fs))


@pytest.mark.parametrize("body", ["<html><body>502 Bad Gateway</body></html>", "garbage{"])
def test_non_json_answer_is_malformed(fs, body):
    fs.script("/api/v6/image_editing/inpaint", Canned(200, body))
    with pytest.raises(MalformedResponseError):
        run(client_for(fs))


def test_unreachable_server_is_a_connection_error():
    with FaultServer() as dead:
        base = dead.base_url
    client = ModelsLabClient(api_key=KEY, base_url=base, timeout=2, max_retries=1)
    with pytest.raises(APIConnectionError, match="Cannot reach"):
        run(client)


def test_read_timeout_on_inpaint_is_not_retried(fs):
    fs.script("/api/v6/image_editing/inpaint", Canned(200, {"status": "success"}, delay=2))
    client = ModelsLabClient(api_key=KEY, base_url=fs.base_url, timeout=0.5)
    with pytest.raises(APITimeoutError):
        run(client)
    assert len(fs.requests_to("/api/v6/image_editing/inpaint")) == 1


def processing(fs: FaultServer, eta: int = 1) -> Canned:
    return Canned(
        200,
        {
            "status": "processing",
            "id": 77,
            "eta": eta,
            "message": "queued",
            "output": [],
            "fetch_result": fs.base_url + "/v6/image_editing/fetch/77",
            "future_links": [fs.root + "/files/future.png"],
        },
    )


def test_processing_then_fetch_first_poll_near_eta(fs):
    fs.script("/api/v6/image_editing/inpaint", processing(fs, eta=3))
    fs.script(
        "/api/v6/image_editing/fetch/77",
        Canned(200, {"status": "processing", "output": "", "message": "wait"}),
        success(fs),
    )
    events = []
    result = run(client_for(fs), progress=events.append)
    submit = fs.requests_to("/api/v6/image_editing/inpaint")[0]
    polls = fs.requests_to("/api/v6/image_editing/fetch/77")
    assert len(polls) == 2
    # An integer eta is rounded up: the first poll lands 0.6 s before it, the
    # next half a second later (inpaint/polling.py). Never earlier; the upper
    # bounds are loose because a busy machine may be late (the exact schedule
    # is checked with a fake clock in tests/test_job.py).
    assert 2.3 <= polls[0].at - submit.at < 6.0
    assert 0.4 <= polls[1].at - polls[0].at < 3.0
    assert polls[0].body == {"key": KEY}
    stages = [e.stage for e in events]
    assert stages[0] == "preparing" and stages[-1] == "done"
    assert "queued" in stages and "downloading" in stages
    assert any(e.stage == "queued" and e.job_id == 77 and e.eta is not None for e in events)
    assert result.id == 42


def test_wait_limit_keeps_the_job_id(fs):
    fs.script("/api/v6/image_editing/inpaint", processing(fs, eta=1))
    fs.script("/api/v6/image_editing/fetch/77", Canned(200, {"status": "processing", "output": ""}))
    with pytest.raises(JobTimeoutError) as info:
        run(client_for(fs, max_wait=2))
    assert info.value.job_id == 77
    assert info.value.fetch_url.endswith("/fetch/77")
    assert info.value.future_links == [fs.root + "/files/future.png"]
    assert "77" in str(info.value)


@pytest.mark.parametrize("status", ["failed", "error"])
def test_failed_job_keeps_the_job_id(fs, status):
    fs.script("/api/v6/image_editing/inpaint", processing(fs, eta=0))
    fs.script(
        "/api/v6/image_editing/fetch/77",
        Canned(200, {"status": status, "message": "GPU fell over"}),
    )
    with pytest.raises(JobFailedError, match="GPU fell over") as info:
        run(client_for(fs))
    assert info.value.job_id == 77


def test_cancel_stops_waiting_and_keeps_the_id(fs):
    fs.script("/api/v6/image_editing/inpaint", processing(fs, eta=30))
    events = []
    with pytest.raises(JobCancelledError) as info:
        run(
            client_for(fs),
            progress=events.append,
            cancel=lambda: any(e.stage == "queued" for e in events),
        )
    assert info.value.job_id == 77
    assert not fs.requests_to("/api/v6/image_editing/fetch")


def test_fetch_result_later(fs):
    fs.script("/api/v6/image_editing/fetch/77", success(fs))
    result = client_for(fs).fetch_result(77)
    assert result.images and result.id == 42


def test_base64_outputs_in_every_shape(fs):
    raw = png_bytes((1, 2, 3))
    b64 = base64.b64encode(raw).decode()
    fs.script("/files/out.base64", Canned(200, b64, content_type="text/plain"))
    fs.script(
        "/api/v6/image_editing/inpaint",
        success(fs, outputs=["data:image/png;base64," + b64, b64, fs.root + "/files/out.base64"]),
    )
    result = run(client_for(fs), samples=3, paste_back=False)
    assert len(result.images) == 3
    for img in result.images:
        assert img.getpixel((0, 0)) == (1, 2, 3)


def test_future_links_404_until_ready(fs):
    fs.script(
        "/files/late.png",
        Canned(404, {"status": "error"}),
        Canned(404, "no"),
        Canned(200, png_bytes(), content_type="image/png"),
    )
    fs.script("/api/v6/image_editing/inpaint", success(fs, outputs=[fs.root + "/files/late.png"]))
    result = run(client_for(fs))
    assert result.images[0].size == (96, 64)
    assert len(fs.requests_to("/files/late.png")) == 3


def test_a_future_link_gets_its_tries_even_when_the_patience_ran_out_meanwhile(fs):
    # A starved machine can spend the whole patience on one or two tries: the
    # deadline has passed here before the first, and the file still arrives.
    fs.script(
        "/files/slow.png",
        *[Canned(404, "no")] * (MIN_404_TRIES - 1),
        Canned(200, png_bytes(), content_type="image/png"),
    )
    fs.script("/files/never.png", Canned(404, "no"))
    http = HttpSession(sleep=lambda seconds: None)
    past = time.monotonic() - 1.0
    data = http.get_bytes(fs.root + "/files/slow.png", limit=10**7, retry_404_until=past)
    assert Image.open(io.BytesIO(data)).size == (96, 64)
    with pytest.raises(DownloadError, match="404"):
        http.get_bytes(fs.root + "/files/never.png", limit=10**7, retry_404_until=past)
    assert len(fs.requests_to("/files/never.png")) == MIN_404_TRIES


def test_oversized_download_is_refused(fs):
    fs.script("/files/big.png", Canned(200, b"\x89PNG" + b"0" * 200_000))
    fs.script("/api/v6/image_editing/inpaint", success(fs, outputs=[fs.root + "/files/big.png"]))
    with pytest.raises(DownloadError, match="too large|larger"):
        run(client_for(fs, download_limit=100_000))


@pytest.mark.parametrize("suffix", ["/api", "/api/"])
def test_base_url_with_or_without_slash(fs, suffix):
    fs.script("/api/v6/image_editing/inpaint", success(fs))
    client = ModelsLabClient(api_key=KEY, base_url=fs.root + suffix)
    run(client)
    assert (
        fs.requests_to("/api/v6/image_editing/inpaint")[0].path == "/api/v6/image_editing/inpaint"
    )


def test_upload_transport_posts_data_uris_then_urls(fs):
    fs.script(
        "/api/v6/image_editing/base64_to_url",
        Canned(200, {"status": "success", "id": 1, "output": [fs.root + "/files/a.png"]}),
        Canned(200, {"status": "success", "id": 2, "output": [fs.root + "/files/b.png"]}),
    )
    fs.script("/api/v6/image_editing/inpaint", success(fs))
    run(client_for(fs), transport="upload")
    uploads = fs.requests_to("/api/v6/image_editing/base64_to_url")
    assert [u.body["init_image"][:22] for u in uploads] == ["data:image/png;base64,"] * 2
    sent = fs.requests_to("/api/v6/image_editing/inpaint")[0].body
    assert sent["init_image"] == fs.root + "/files/a.png"
    assert sent["mask_image"] == fs.root + "/files/b.png"
    assert sent["key"] == KEY and sent["base64"] == "false"
    assert sent["width"] == 96 and sent["height"] == 64
    assert sent["guidance_scale"] == 5 and sent["strength"] == 0.7


def test_key_never_in_repr_or_logs(fs, caplog):
    fs.script("/api/v6/image_editing/inpaint", Canned(500, {"message": f"bad {KEY}"}))
    client = client_for(fs, max_retries=1)
    caplog.set_level("DEBUG")
    with pytest.raises(ServerError) as info:
        run(client)
    assert KEY not in repr(client)
    assert KEY not in caplog.text
    assert KEY not in str(info.value)


def test_cancel_before_submit_sends_nothing(fs):
    fs.script("/api/v6/image_editing/inpaint", success(fs))
    with pytest.raises(JobCancelledError, match="before"):
        run(client_for(fs), cancel=lambda: True)
    assert not fs.requests_to("/api/v6/image_editing")


def test_a_later_region_still_running_names_the_jobs_already_done(fs):
    # Two painted spots far apart in a large photo: two regions, two jobs.
    img = np.full((2000, 3000, 3), 90, np.uint8)
    mask = np.zeros((2000, 3000), np.uint8)
    mask[100:150, 100:150] = 255
    mask[1800:1850, 2800:2850] = 255
    fs.script("/api/v6/image_editing/inpaint", success(fs), processing(fs, eta=30))
    fs.script("/api/v6/image_editing/fetch/77", Canned(200, {"status": "processing", "id": 77}))
    client = ModelsLabClient(api_key=KEY, base_url=fs.base_url, timeout=5, max_wait=0.6)
    with pytest.raises(JobTimeoutError) as info:
        client.inpaint(img, mask, prompt="x", transport="base64", crop_to_mask=True)
    assert info.value.job_id == 77
    assert "Region 2 of 2" in str(info.value) and "job 42" in str(info.value)


def test_the_scrubber_removes_keys_from_messages_but_leaves_image_data_whole():
    from inpaint.http import Scrubber

    scrub = Scrubber("k1")
    data = "data:image/png;base64," + "k1" * 50
    blob = "Ak1" * 3000  # bare base64 output
    answer = scrub({"message": "bad key k1 given", "output": [data, blob], "key": "k1"})
    assert answer["message"] == "bad key *** given" and answer["key"] == "***"
    assert answer["output"] == [data, blob]
