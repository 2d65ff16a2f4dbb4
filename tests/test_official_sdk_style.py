"""A client written the way ModelsLab's official Python SDK talks to the API.

It is this test's own minimal code, reproducing the SDK's habits as the
contract describes them: endpoints built as ``base + "v6/image_editing/" + name``
with a base ending in ``/api/``, the key in the body, numbers as floats, extra
fields (``enhance_prompt``), numeric strings, ``"base64": false`` as a JSON
boolean, a bare ``Exception`` on any non-200, and polling ``fetch/{id}`` a
fixed number of times. Passing here means such a client works against the
local server by changing only the host.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from .conftest import data_uri, open_png


class SdkStyleClient:
    def __init__(
        self, api_key: str, base_url: str, fetch_retry: int = 200, fetch_interval: float = 0.05
    ) -> None:
        self.api_key = api_key
        self.base_url = base_url  # ends with "/api/", like the SDK's default
        self.fetch_retry = fetch_retry
        self.fetch_interval = fetch_interval

    def _post(self, name: str, data: dict[str, Any]) -> dict[str, Any]:
        data = dict(data, key=self.api_key)
        response = requests.post(
            self.base_url + "v6/image_editing/" + name,
            json=data,
            headers={"Content-Type": "application/json"},
            timeout=30,
        )
        if response.status_code != 200:
            raise Exception(f"request failed with status {response.status_code}")
        return response.json()

    def inpaint(self, schema: dict[str, Any]) -> dict[str, Any]:
        answer = self._post("inpaint", schema)
        if answer["status"] != "processing":
            return answer
        for _ in range(self.fetch_retry):
            fetched = self._post("fetch/" + str(answer["id"]), {})
            if fetched["status"] != "processing":
                return fetched
            time.sleep(self.fetch_interval)  # the SDK's fixed polling interval
        raise Exception("the job did not finish in time")


def sdk_schema(image_url: str, mask_url: str) -> dict[str, Any]:
    return {
        "prompt": "a wooden table",
        "negative_prompt": None,
        "init_image": image_url,
        "mask_image": mask_url,
        "width": "512",
        "height": "512",
        "samples": 1.0,
        "num_inference_steps": 30.0,
        "safety_checker": "no",
        "enhance_prompt": "yes",
        "guidance_scale": 5.0,
        "strength": 0.7,
        "seed": None,
        "base64": False,
        "webhook": None,
        "track_id": None,
    }


@pytest.fixture
def hosted_images(server, examples) -> tuple[str, str]:
    """Example image and mask at URLs (the SDK takes URLs), hosted by the server itself."""
    urls = []
    for data in (examples.png("coffee"), examples.mask_png("coffee")):
        response = requests.post(
            server.base_url + "/v6/image_editing/base64_to_url",
            json={"key": "sdk-key", "init_image": data_uri(data)},
            timeout=30,
        )
        urls.append(response.json()["output"][0])
    return urls[0], urls[1]


def test_sdk_style_client_gets_a_result(server, hosted_images):
    client = SdkStyleClient("sdk-key", server.base_url + "/")
    result = client.inpaint(sdk_schema(*hosted_images))
    assert result["status"] == "success"
    assert result["meta"]["guidance_scale"] == 5 and result["meta"]["width"] == 512
    image = open_png(requests.get(result["output"][0], timeout=10).content)
    assert image.size == (512, 512)


def test_sdk_style_client_polls_a_queued_job(make_server, examples):
    slow = make_server(latency=0.6, sync_threshold=0)
    client = SdkStyleClient("sdk-key", slow.base_url + "/")
    image_url = client._post("base64_to_url", {"init_image": data_uri(examples.png())})
    mask_url = client._post("base64_to_url", {"init_image": data_uri(examples.mask_png())})
    schema = sdk_schema(image_url["output"][0], mask_url["output"][0])

    first = client._post("inpaint", schema)
    assert first["status"] == "processing" and isinstance(first["id"], int)
    result = client.inpaint(schema)
    assert result["status"] == "success" and result["id"] != first["id"]
    assert open_png(requests.get(result["output"][0], timeout=10).content).size == (512, 512)


def test_sdk_style_client_raises_on_errors(make_server, hosted_images):
    locked = make_server(keys=frozenset({"the-right-key"}))
    with pytest.raises(Exception, match="401"):
        SdkStyleClient("sdk-key", locked.base_url + "/").inpaint(sdk_schema(*hosted_images))
