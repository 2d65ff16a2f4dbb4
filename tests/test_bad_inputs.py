"""Every bad input of issue 4 through the three doors: the library, the local server's
HTTP API and the studio's ``/inpaint`` endpoint (a real ``python app.py``, called with
``gradio_client`` the way an API user does, bypassing the page's sliders).

The three agree, case by case (``tests/bad_inputs.py`` says which inputs must work
and which words a refusal must contain), and after every refusal the server or app
still serves a good request.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import requests
from gradio_client import Client, handle_file
from PIL import Image

from inpaint import InputImageError, ModelsLabClient, ParameterError
from inpaint import images as imgs
from inpaint.server import RunningServer
from inpaint.studio import plain_inputs
from tests.app_process import App
from tests.bad_inputs import BOX, BY_CASE, CASES, PROMPT, SIZE, Case, box_mask, changed_box, photo
from tests.conftest import endpoint

KEY = "sk-bad-input-tests-0123456789"
PLAIN_FORBIDDEN = ("Traceback", 'File "', "/work/", "site-packages", "Exception", "upstream")


def ids(cases: list[Case]) -> list[str]:
    return [case.name for case in cases]


def assert_plain(message: str, needle: str) -> None:
    """Names the problem (``needle``, a regular expression), in one plain sentence or two."""
    assert re.search(needle, message, re.IGNORECASE), message
    for word in PLAIN_FORBIDDEN:
        assert word not in message, message
    assert len(message) < 300, message


def assert_result(case: Case, image: str | None, result: Image.Image) -> None:
    """A working input gives an image of the size the user saw, changed only where painted.

    "What the user saw" is the input as the library normalises it (upright, RGB),
    so for the EXIF-rotated JPEG the box only lines up if the orientation is honoured.
    The library and the studio paste the result back into that photo, so a 1 x 1
    photo comes back 1 x 1 even though the API works at 8 x 8 at least.
    """
    assert result.size == case.size
    if case.size != SIZE or case.name == "all-white-mask":
        return
    seen = imgs.to_rgb(imgs.load_image(image))
    assert seen.size == SIZE
    box = changed_box(seen, result, threshold=8)
    assert box is not None, "nothing was repainted"
    left, top, right, bottom = box
    assert left >= BOX[0] - 3 and top >= BOX[1] - 3, box
    assert right <= BOX[2] + 4 and bottom <= BOX[3] + 4, box


# -- the library -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def library(server: RunningServer) -> Iterator[ModelsLabClient]:
    with ModelsLabClient(api_key=KEY, base_url=server.base_url, timeout=20) as client:
        yield client


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_library(case: Case, library: ModelsLabClient, tmp_path: Path) -> None:
    image, mask = case.write(tmp_path)
    params = {"prompt": PROMPT, **case.params}
    if case.works:
        result = library.inpaint(image, mask, seed=3, **params)
        assert_result(case, image, result.images[0])
        return
    with pytest.raises((InputImageError, ParameterError)) as info:
        library.inpaint(image, mask, **params)
    assert_plain(str(info.value), case.needle or "")


# -- the local server --------------------------------------------------------------------
def data_uri(data: bytes | None) -> str | None:
    return None if data is None else "data:image/png;base64," + base64.b64encode(data).decode()


def good_body() -> dict[str, Any]:
    return {
        "key": KEY,
        "prompt": PROMPT,
        "base64": "true",
        "init_image": data_uri(Case("good").image()),
        "mask_image": data_uri(Case("good").mask()),
    }


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_server(case: Case, server: RunningServer) -> None:
    body = {
        **good_body(),
        "init_image": data_uri(case.image()),
        "mask_image": data_uri(case.mask()),
        **case.params,
    }
    body = {k: v for k, v in body.items() if v is not None}
    answer = requests.post(endpoint(server, "inpaint"), json=body, timeout=30)
    if case.works:
        assert answer.status_code == 200, answer.text
        assert answer.json()["status"] == "success"
        return
    assert answer.status_code == 400, answer.text
    message = answer.json()["message"]
    assert_plain(message, case.needle or "")
    # ... and it keeps serving.
    again = requests.post(endpoint(server, "inpaint"), json=good_body(), timeout=30)
    assert again.status_code == 200 and again.json()["status"] == "success"


# -- the studio's /inpaint endpoint ------------------------------------------------------
@pytest.fixture(scope="module")
def studio_api(offline_app: App) -> Client:
    return Client(offline_app.url, verbose=False)


def call_studio(client: Client, image: str | None, mask: str | None, **params: Any) -> Any:
    if "width" in params or "height" in params:
        params.setdefault("auto_size", False)
    return client.predict(
        image=handle_file(image) if image else None,
        mask=handle_file(mask) if mask else None,
        api_name="/inpaint",
        **{"prompt": PROMPT, **params},
    )


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_studio_endpoint(case: Case, studio_api: Client, offline_app: App, tmp_path: Path) -> None:
    image, mask = case.write(tmp_path)
    if case.works:
        outputs = call_studio(studio_api, image, mask, seed=3, **case.params)
        gallery = outputs[0]
        assert len(gallery) == 1
        assert_result(case, image, Image.open(gallery[0]["image"]).convert("RGB"))
        return
    with pytest.raises(Exception) as info:  # gradio_client's AppError carries the message
        call_studio(studio_api, image, mask, **case.params)
    assert_plain(str(info.value), case.needle or "")
    # The app keeps serving other requests.
    good_image, good_mask = Case("good").write(tmp_path / "good")
    outputs = call_studio(studio_api, good_image, good_mask)
    assert len(outputs[0]) == 1
    assert offline_app.proc.poll() is None


def test_the_app_log_has_no_traceback_from_bad_input(offline_app: App) -> None:
    """Refusals are expected, not crashes: nothing in the app's output looks like one.

    Runs after the matrix above (same module, later in the file).
    """
    log = offline_app.output()
    assert "Traceback" not in log, log[-3000:]


def test_exif_mask_stays_where_the_user_painted(library: ModelsLabClient, tmp_path: Path) -> None:
    """The rotated JPEG's repaint fills the mask drawn on the upright picture, and only it.

    Had the orientation been ignored, the 96 x 64 mask would have been stretched
    over a 64 x 96 picture and the repaint would land elsewhere.
    """
    image, mask = BY_CASE["exif-rotated-jpeg"].write(tmp_path)
    seen = imgs.to_rgb(imgs.load_image(image))
    # Upright: the decoded picture is the photo (JPEG noise aside), not its rotation.
    upright = np.abs(np.asarray(seen, np.int16) - np.asarray(photo(), np.int16))
    assert seen.size == SIZE and upright.mean() < 6
    result = library.inpaint(image, mask, prompt=PROMPT, seed=5).images[0]
    diff = np.abs(np.asarray(result, np.int16) - np.asarray(seen, np.int16)).max(axis=2)
    inside = np.asarray(box_mask()) > 0
    near = np.asarray(box_mask(box=(BOX[0] - 3, BOX[1] - 3, BOX[2] + 3, BOX[3] + 3))) > 0
    # Whatever the engine puts there (the session's quick engine smooths it over,
    # PatchMatch continues the stripes), it changed there and nowhere else.
    assert diff[inside].mean() > 8
    assert diff[~near].max() <= 2


@pytest.mark.parametrize(
    "value,problem",
    [
        (3, None),
        (None, None),
        (1.0, None),
        (7, "from 1 to 5 (got 7)"),
        (0, "(got 0)"),
        ("abc", "(got 'abc')"),
        (True, "(got True)"),
        (float("nan"), "(got nan)"),
    ],
)
def test_gradio_refusals_name_the_field_and_range(value: Any, problem: str | None) -> None:
    found = plain_inputs.number_problem("Guidance scale", value, 1, 5)
    if problem is None:
        assert found is None
    else:
        assert found and found.startswith("Guidance scale must be a number from 1 to 5")
        assert problem in found
