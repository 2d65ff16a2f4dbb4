"""A job's result goes to whoever sent it, over the studio's public API.

Job ids count up one by one and every anonymous visitor shares one key (the
owner's, or the offline server's), so without an owner check a fresh
``gradio_client`` session could fetch a neighbour's result by the next id.
"""

from __future__ import annotations

import pytest
from gradio_client import Client, handle_file
from PIL import Image

from tests.app_process import ROOT, App

PHOTO = ROOT / "examples" / "chelsea.png"
MASK = ROOT / "examples" / "chelsea_mask.png"


def job_of(outputs: tuple) -> str:
    run_info = next(o for o in outputs if isinstance(o, str) and "Seed" in o)
    return run_info.rsplit("`", 2)[-2]


def refused(call) -> str:
    with pytest.raises(Exception) as caught:
        call()
    return str(caught.value)


def test_only_the_sender_fetches_a_job(offline_app: App) -> None:
    alice = Client(offline_app.url, verbose=False)
    outputs = alice.predict(
        image=handle_file(str(PHOTO)),
        mask=handle_file(str(MASK)),
        prompt="a cushion",
        seed=5,
        api_name="/inpaint",
    )
    job_id = job_of(outputs)
    # Alice collects it again, put back into her photo.
    again = alice.predict(job_id=job_id, api_name="/fetch_result")
    assert Image.open(again[0][0]["image"]).size == Image.open(PHOTO).size

    # Mallory, a new session on the same (offline) key, is refused: no photo, no prompt.
    mallory = Client(offline_app.url, verbose=False)
    message = refused(lambda: mallory.predict(job_id=job_id, api_name="/fetch_result"))
    assert f"Job {job_id} was not sent from this browser" in message
    assert "cushion" not in message
    # The next id is no better.
    message = refused(
        lambda: mallory.predict(job_id=str(int(job_id) + 1), api_name="/fetch_result")
    )
    assert "was not sent from this browser" in message


@pytest.mark.parametrize("job_id", ["../../../../health", "../inpaint", "12a", "1" * 19])
def test_a_job_id_is_digits_or_nothing_is_sent(offline_app: App, job_id: str) -> None:
    visitor = Client(offline_app.url, verbose=False)
    message = refused(lambda: visitor.predict(job_id=job_id, api_name="/fetch_result"))
    assert "job id is 1 to 18 digits" in message.lower(), message
