"""The local server over real HTTP, checked against the ModelsLab v6 contract."""

from __future__ import annotations

import base64
import io
import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np
import pytest
import requests
from PIL import Image

from .conftest import data_uri, endpoint, fetch_until_done, open_png, poll

KEY = "test-key-0123456789"


def body(examples, **overrides: Any) -> dict[str, Any]:
    """A valid inpaint request with inline images; ``overrides`` replace or add fields."""
    payload = {
        "key": KEY,
        "prompt": "a calm grey background",
        "init_image": examples.data_uri("chelsea"),
        "mask_image": examples.mask_data_uri("chelsea"),
        "width": 320,
        "height": 216,
        "samples": 1,
        "seed": 1234,
    }
    payload.update(overrides)
    return payload


def post(running, name: str, payload: Any, **kwargs: Any) -> requests.Response:
    return requests.post(endpoint(running, name), json=payload, timeout=30, **kwargs)


def upload(running, data: bytes, key: str = KEY) -> str:
    response = post(running, "base64_to_url", {"key": key, "init_image": data_uri(data)})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["status"] == "success"
    assert isinstance(answer["id"], int)
    (url,) = answer["output"]
    return url


# -- success ---------------------------------------------------------------------
def test_success_with_url_output(server, examples):
    response = post(server, "inpaint", body(examples, samples=2))
    assert response.status_code == 200
    answer = response.json()
    assert answer["status"] == "success"
    assert isinstance(answer["id"], int)
    assert isinstance(answer["generationTime"], float) and answer["generationTime"] > 0
    assert answer["nsfw_content_detected"] is False
    assert answer["webhook_status"] == ""
    assert isinstance(answer["tip"], str) and answer["tip"]
    assert len(answer["output"]) == 2 and answer["proxy_links"] == answer["output"]
    for url in answer["output"]:
        assert url.startswith(server.root_url + "/")
        download = requests.get(url, timeout=10)
        assert download.status_code == 200
        assert download.headers["content-type"] == "image/png"
        assert open_png(download.content).size == (320, 216)
    meta = answer["meta"]
    assert meta["seed"] == 1234 and meta["width"] == 320 and meta["height"] == 216
    assert meta["W"] == 320 and meta["H"] == 216
    assert meta["prompt"] == "a calm grey background"
    assert meta["samples"] == 2 and meta["guidance_scale"] == 5 and meta["strength"] == 0.7
    assert meta["num_inference_steps"] == 30 and meta["safety_checker"] == "no"
    # The quick engine's name (a PatchMatch job's is checked with the seeds below).
    assert meta["engine"] == "opencv-telea (quick engine)"
    # Giant inline images are not echoed.
    assert meta["init_image"].startswith("<data URI") and len(meta["init_image"]) < 100


def test_outputs_repaint_only_the_masked_area(server, examples):
    answer = post(server, "inpaint", body(examples, width=None, height=None, strength=1)).json()
    assert answer["status"] == "success"
    out = np.asarray(
        open_png(requests.get(answer["output"][0], timeout=10).content).convert("RGB"),
        dtype=np.int16,
    )
    size = (out.shape[1], out.shape[0])
    assert size == (448, 296)  # the init image (451 x 300) fitted to multiples of 8
    original = np.asarray(
        examples.image("chelsea").resize(size, Image.Resampling.LANCZOS), dtype=np.int16
    )
    mask = np.asarray(examples.mask_image("chelsea").resize(size, Image.Resampling.BILINEAR))
    assert np.abs(out[mask == 0] - original[mask == 0]).max() <= 1
    assert np.abs(out[mask == 255] - original[mask == 255]).mean() > 5


def test_random_seed_is_reported_and_a_given_seed_reproduces(patchmatch_server, examples):
    server = patchmatch_server  # the quick engine has no seed
    first = post(server, "inpaint", body(examples, seed=None)).json()
    assert isinstance(first["meta"]["seed"], int)
    assert first["meta"]["engine"].startswith("patchmatch")
    again = post(server, "inpaint", body(examples, seed=first["meta"]["seed"])).json()
    images = [requests.get(a["output"][0], timeout=10).content for a in (first, again)]
    assert np.array_equal(np.asarray(open_png(images[0])), np.asarray(open_png(images[1])))
    other = post(server, "inpaint", body(examples, seed=first["meta"]["seed"] + 1)).json()
    third = requests.get(other["output"][0], timeout=10).content
    assert not np.array_equal(np.asarray(open_png(images[0])), np.asarray(open_png(third)))


def test_meta_echoes_the_request_as_understood_in_a_fixed_order(server, examples):
    answer = post(server, "inpaint", body(examples, width=None, height=200, track_id=7)).json()
    meta = answer["meta"]
    assert list(meta) == [
        "prompt",
        "negative_prompt",
        "init_image",
        "mask_image",
        "width",
        "height",
        "W",
        "H",
        "samples",
        "num_inference_steps",
        "guidance_scale",
        "strength",
        "safety_checker",
        "seed",
        "base64",
        "instant_response",
        "webhook",
        "track_id",
        "engine",
        "engine_methods",
        "engine_note",
    ]
    assert meta["height"] == meta["H"] == 200 and meta["width"] == meta["W"]
    assert meta["width"] % 8 == 0 and meta["track_id"] == 7 and meta["webhook"] is None
    assert meta["base64"] == "false" and meta["instant_response"] == "false"
    assert len(meta["engine_methods"]) == meta["samples"] == 1
    assert "prompt does not steer" in meta["engine_note"]


def test_the_quick_engine_says_what_it_is(server, patchmatch_server, examples):
    """Meta and /health name the engine that ran: the quick one never passes for PatchMatch."""
    quick = post(server, "inpaint", body(examples, samples=2)).json()
    assert quick["status"] == "success"
    meta = quick["meta"]
    assert meta["engine"].startswith("opencv-telea") and "quick" in meta["engine"]
    assert "patchmatch" not in meta["engine"].lower()
    assert len(meta["engine_methods"]) == 2
    assert all("no seed" in method for method in meta["engine_methods"])
    assert "not PatchMatch" in meta["engine_note"]
    assert "prompt does not steer" in meta["engine_note"]
    health = requests.get(server.root_url + "/health", timeout=10).json()
    assert health["engine"] == meta["engine"]
    default = requests.get(patchmatch_server.root_url + "/health", timeout=10).json()
    assert default["engine"].startswith("patchmatch")


def test_base64_output_is_png_data_uris(server, examples):
    answer = post(server, "inpaint", body(examples, base64="true", samples=2)).json()
    assert answer["status"] == "success"
    assert len(answer["output"]) == 2
    for item in answer["output"]:
        assert item.startswith("data:image/png;base64,")
        image = open_png(base64.b64decode(item.split(",", 1)[1]))
        assert image.size == (320, 216)
    assert all(link.startswith("http://") for link in answer["proxy_links"])


def test_bare_base64_inputs_with_base64_true(server, examples):
    bare = base64.b64encode(examples.png("coffee")).decode()
    mask = base64.b64encode(examples.mask_png("coffee")).decode()
    answer = post(
        server, "inpaint", body(examples, init_image=bare, mask_image=mask, base64="true")
    ).json()
    assert answer["status"] == "success"
    assert answer["meta"]["init_image"].startswith("<base64 data")


def test_upload_then_inpaint_with_the_urls(server, examples):
    image_url = upload(server, examples.png("coffee"))
    mask_url = upload(server, examples.mask_png("coffee"))
    assert image_url.startswith(server.root_url + "/")
    stored = requests.get(image_url, timeout=10)
    assert stored.status_code == 200 and stored.content == examples.png("coffee")
    answer = post(
        server,
        "inpaint",
        body(
            examples,
            init_image=image_url,
            mask_image=mask_url,
            width=None,
            height=None,
            base64=False,
        ),
    ).json()
    assert answer["status"] == "success", answer
    assert answer["meta"]["init_image"] == image_url
    assert open_png(requests.get(answer["output"][0], timeout=10).content).size == (600, 400)


def test_upload_refusals(server, examples):
    too_big = "data:image/png;base64," + "A" * (5 * 1024 * 1024 + 10)
    for payload, expected in [
        ({"key": KEY, "init_image": too_big}, "5 MB"),
        ({"key": KEY, "init_image": data_uri(b"hello, not an image")}, "not an image"),
        ({"key": KEY, "init_image": "%%% not base64 %%%"}, "base64"),
        ({"key": KEY}, "init_image is required"),
    ]:
        response = post(server, "base64_to_url", payload)
        assert response.status_code == 400, payload.keys()
        assert response.json()["status"] == "error"
        assert expected in response.json()["message"]
    assert post(server, "base64_to_url", {"init_image": examples.data_uri()}).status_code == 401


# -- queued jobs -------------------------------------------------------------------
def test_instant_response_then_fetch(server, examples):
    response = post(server, "inpaint", body(examples, instant_response="true", samples=2))
    assert response.status_code == 200
    queued = response.json()
    assert queued["status"] == "processing"
    assert isinstance(queued["eta"], int) and queued["eta"] >= 1
    assert queued["output"] == [] and len(queued["future_links"]) == 2
    assert queued["fetch_result"] == endpoint(server, f"fetch/{queued['id']}")
    assert queued["message"] and queued["tip"] and queued["meta"]["seed"] == 1234
    done = fetch_until_done(queued["fetch_result"], KEY)
    assert done["status"] == "success" and done["id"] == queued["id"]
    assert done["output"] == queued["future_links"]
    for url in done["output"]:
        assert requests.get(url, timeout=10).status_code == 200


def test_slow_job_answers_processing_with_future_links(make_server, examples):
    slow = make_server(latency=1.0, sync_threshold=0.1)
    queued = post(slow, "inpaint", body(examples)).json()
    assert queued["status"] == "processing"
    (future,) = queued["future_links"]
    missing = requests.get(future, timeout=10)
    assert missing.status_code == 404
    assert missing.json()["status"] == "error"

    fetched = post(slow, f"fetch/{queued['id']}", {"key": KEY})
    assert fetched.status_code == 200
    shape = fetched.json()
    assert shape["status"] == "processing"
    assert shape["output"] == ""  # an empty string, as documented for fetch
    assert shape["message"] and shape["tip"]
    assert isinstance(shape["eta"], int) and shape["eta"] >= 1
    assert shape["id"] == queued["id"]

    done = fetch_until_done(queued["fetch_result"], KEY)
    assert done["status"] == "success" and done["output"] == [future]
    assert done["generationTime"] >= 1.0  # the simulated latency is part of it
    ready = requests.get(future, timeout=10)
    assert ready.status_code == 200 and open_png(ready.content).size == (320, 216)


def test_fetch_with_the_id_in_the_body(server, examples):
    queued = post(server, "inpaint", body(examples, instant_response=True)).json()
    done = poll(
        lambda: (lambda a: a if a["status"] != "processing" else None)(
            post(server, "fetch", {"key": KEY, "id": queued["id"]}).json()
        )
    )
    assert done["status"] == "success" and done["id"] == queued["id"]


def test_fetch_unknown_or_foreign_ids(server, examples):
    response = post(server, "fetch/987654321", {"key": KEY})
    assert response.status_code == 400
    assert response.json()["status"] == "error" and "not found" in response.json()["message"]
    assert post(server, "fetch/abc", {"key": KEY}).status_code == 400
    mine = post(server, "inpaint", body(examples)).json()
    theirs = post(server, f"fetch/{mine['id']}", {"key": "somebody-else"})
    assert theirs.status_code == 400 and theirs.json()["status"] == "error"
    assert post(server, f"fetch/{mine['id']}", {}).status_code == 401


# -- refusals ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"prompt": None}, "prompt"),
        ({"prompt": ""}, "prompt"),
        ({"init_image": None}, "init_image"),
        ({"mask_image": ""}, "mask_image"),
        ({"width": 2000}, "width"),
        ({"height": 4}, "height"),
        ({"samples": 5}, "samples"),
        ({"guidance_scale": 7}, "guidance_scale"),
        ({"guidance_scale": 2.5}, "guidance_scale"),
        ({"strength": 1.5}, "strength"),
        ({"num_inference_steps": "many"}, "num_inference_steps"),
        ({"safety_checker": "maybe"}, "safety_checker"),
        ({"webhook": "ftp://example.test/hook"}, "webhook"),
        ({"init_image": "not a url"}, "init_image"),
        ({"mask_image": "data:image/png;base64,!!!!"}, "mask_image"),
        ({"init_image": data_uri(b"GIF? no, plain text")}, "init_image"),
    ],
)
def test_bad_parameters_are_400(server, examples, change, needle):
    response = post(server, "inpaint", body(examples, **change))
    assert response.status_code == 400
    answer = response.json()
    assert answer["status"] == "error" and needle in answer["message"]


def test_malformed_bodies_are_400(server):
    url = endpoint(server, "inpaint")
    for raw in (b"{not json", b"[1, 2, 3]", b"", b'"just a string"'):
        response = requests.post(
            url, data=raw, headers={"Content-Type": "application/json"}, timeout=10
        )
        assert response.status_code == 400, raw
        assert response.json()["status"] == "error"


def test_unfetchable_urls_are_400(server, examples):
    nowhere = post(server, "inpaint", body(examples, init_image="http://127.0.0.1:9/x.png"))
    assert nowhere.status_code == 400
    assert "Unable to fetch image from provided URL" in nowhere.json()["message"]
    missing = post(
        server,
        "inpaint",
        body(examples, mask_image=server.root_url + "/files/uploads/doesnotexist.png"),
    )
    assert missing.status_code == 400
    assert "Unable to fetch image" in missing.json()["message"]
    assert "mask_image" in missing.json()["message"]


def test_keys_are_checked_when_configured(make_server, examples):
    locked = make_server(keys=frozenset({"right-key"}))
    assert post(locked, "inpaint", body(examples, key="wrong-key")).status_code == 401
    missing = dict(body(examples))
    del missing["key"]
    refused = post(locked, "inpaint", missing)
    assert refused.status_code == 401 and refused.json()["status"] == "error"
    assert post(locked, "fetch/1", {"key": "wrong-key"}).status_code == 401
    assert (
        post(
            locked, "base64_to_url", {"key": "wrong-key", "init_image": examples.data_uri()}
        ).status_code
        == 401
    )
    assert post(locked, "inpaint", body(examples, key="right-key")).json()["status"] == "success"


def test_empty_key_is_401_even_without_configured_keys(server, examples):
    for key in ("", "   ", None, 12345):
        response = post(server, "inpaint", body(examples, key=key))
        assert response.status_code == 401, key


def test_queue_limit_is_429_with_retry_after(make_server, examples):
    busy = make_server(latency=1.0, queue_limit=2, workers=1, sync_threshold=0)
    first = post(busy, "inpaint", body(examples, instant_response="true")).json()
    second = post(busy, "inpaint", body(examples, instant_response="true")).json()
    assert first["status"] == second["status"] == "processing"

    refused = post(busy, "inpaint", body(examples, instant_response="true"))
    assert refused.status_code == 429
    answer = refused.json()
    assert answer["status"] == "error" and "queue" in answer["message"].lower()
    assert isinstance(answer["retry_after"], int) and 1 <= answer["retry_after"] <= 5
    assert refused.headers["Retry-After"] == str(answer["retry_after"])

    # The limit is per key: another key is still served.
    assert post(busy, "inpaint", body(examples, key="other-key")).status_code == 200

    fetch_until_done(first["fetch_result"], KEY)
    accepted = post(busy, "inpaint", body(examples, instant_response="true"))
    assert accepted.status_code == 200 and accepted.json()["status"] == "processing"


def test_lenient_types_and_unknown_fields(server, examples):
    answer = post(
        server,
        "inpaint",
        body(
            examples,
            width="320",
            height=216.0,
            samples="2",
            num_inference_steps="25",
            guidance_scale=4.0,
            strength="0.5",
            seed="77",
            base64=False,
            instant_response=False,
            safety_checker=True,
            track_id="9",
            enhance_prompt="yes",
            model_id="whatever",
        ),
    )
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["status"] == "success"
    meta = result["meta"]
    assert (meta["width"], meta["height"], meta["samples"]) == (320, 216, 2)
    assert meta["num_inference_steps"] == 25 and meta["guidance_scale"] == 4
    assert meta["strength"] == 0.5 and meta["seed"] == 77 and meta["track_id"] == 9
    assert meta["base64"] == "false" and meta["safety_checker"] == "yes"
    assert "enhance_prompt" not in meta and "model_id" not in meta
    assert result["output"][0].startswith("http")
    for random_seed in (-1, "-1", None, ""):
        meta = post(server, "inpaint", body(examples, seed=random_seed)).json()["meta"]
        assert isinstance(meta["seed"], int) and meta["seed"] >= 0


# -- webhooks ----------------------------------------------------------------------
class _Receiver:
    """A tiny HTTP server on 127.0.0.1 that records one webhook POST."""

    def __init__(self) -> None:
        self.received = threading.Event()
        self.raw = b""
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length", 0))
                receiver.raw = self.rfile.read(length)
                self.send_response(200)
                self.end_headers()
                receiver.received.set()

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def payload(self) -> dict[str, Any]:
        assert self.received.wait(15), "the webhook never arrived"
        return json.loads(self.raw)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def receiver():
    hook = _Receiver()
    yield hook
    hook.close()


def test_webhook_is_delivered_with_track_id(make_server, examples, receiver):
    server = make_server(allow_private_fetch=True)  # the receiver is on 127.0.0.1
    answer = post(server, "inpaint", body(examples, webhook=receiver.url, track_id=4242)).json()
    assert answer["status"] == "success"
    payload = receiver.payload()
    assert payload["status"] == "success" and payload["id"] == answer["id"]
    assert payload["track_id"] == 4242
    assert payload["output"] == answer["output"]
    assert isinstance(payload["generationTime"], float)
    assert payload["meta"]["seed"] == 1234 and payload["meta"]["webhook"] == receiver.url
    assert KEY.encode() not in receiver.raw

    def delivered() -> bool:
        state = post(server, f"fetch/{answer['id']}", {"key": KEY}).json()
        return state["webhook_status"] == "delivered"

    poll(delivered)


def test_failed_job_reports_error_and_webhook(make_server, examples, receiver):
    failing = make_server(fail_marker="PLEASE-FAIL", allow_private_fetch=True)
    response = post(
        failing,
        "inpaint",
        body(examples, prompt="x PLEASE-FAIL x", webhook=receiver.url, track_id=7),
    )
    assert response.status_code == 200
    answer = response.json()
    assert answer["status"] == "error" and "Simulated failure" in answer["message"]
    payload = receiver.payload()
    assert payload["status"] == "error" and payload["message"] and payload["track_id"] == 7
    fetched = post(failing, f"fetch/{answer['id']}", {"key": KEY}).json()
    assert fetched["status"] == "error" and fetched["message"] == answer["message"]


# -- error shapes, URLs, secrecy ---------------------------------------------------------
def test_framework_errors_use_the_contract_shape(server):
    checks = [
        requests.get(endpoint(server, "inpaint"), timeout=10),
        requests.post(server.base_url + "/v6/image_editing/nothing", json={}, timeout=10),
        requests.get(server.root_url + "/files/generations/nope.png", timeout=10),
        requests.get(server.root_url + "/files/../../etc/passwd", timeout=10),
    ]
    assert [r.status_code for r in checks] == [405, 404, 404, 404]
    for response in checks:
        answer = response.json()
        assert answer["status"] == "error" and answer["message"]
        assert "detail" not in answer and "Traceback" not in response.text


def test_sloppy_paths_still_route(server, examples):
    url = server.base_url + "//v6/image_editing/inpaint/"
    response = requests.post(url, json=body(examples), timeout=30, allow_redirects=False)
    assert response.status_code == 200 and response.json()["status"] == "success"


def test_urls_follow_the_host_the_client_used(server, examples):
    headers = {"Host": "inpaint.example.test:8123"}
    answer = post(
        server, "inpaint", body(examples, instant_response="true"), headers=headers
    ).json()
    assert answer["fetch_result"].startswith("http://inpaint.example.test:8123/api/v6/")
    assert all(
        u.startswith("http://inpaint.example.test:8123/files/") for u in answer["future_links"]
    )


def test_the_key_never_appears_in_answers_or_logs(server, examples, caplog):
    caplog.set_level(logging.DEBUG)
    secret = "sk-THIS-MUST-NOT-LEAK-42"
    answers = [
        post(server, "inpaint", body(examples, key=secret)),
        post(server, "inpaint", body(examples, key=secret, instant_response="true")),
        post(server, "inpaint", body(examples, key=secret, samples=9)),
        post(server, "inpaint", body(examples, key=secret, init_image="http://127.0.0.1:9/")),
        post(server, "fetch/1", {"key": secret}),
        post(server, "base64_to_url", {"key": secret, "init_image": examples.data_uri()}),
    ]
    queued = answers[1].json()
    answers.append(post(server, f"fetch/{queued['id']}", {"key": secret}))
    for response in answers:
        assert secret not in response.text
        assert secret not in json.dumps(dict(response.headers))
    assert secret not in caplog.text


def test_health(server):
    answer = requests.get(server.root_url + "/health", timeout=10).json()
    assert answer["status"] == "success" and answer["api_base"] == server.base_url


def test_image_bytes_round_trip_through_an_upload(server):
    # A JPEG stays a JPEG: uploads are stored as sent.
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 200, 30)).save(buf, format="JPEG")
    url = upload(server, buf.getvalue())
    stored = requests.get(url, timeout=10)
    assert url.endswith(".jpg") and stored.headers["content-type"] == "image/jpeg"
    assert stored.content == buf.getvalue()
