"""The gated server (a test aid): jobs wait until the test lets them through.

Other tests hold jobs "running" with it instead of a simulated latency, so
its own behaviour is pinned here: nothing passes unasked, a release lets
exactly the named jobs through, a stop ends waiting jobs, and the routes
exist only on a gated server.
"""

from __future__ import annotations

import requests

from tests.conftest import endpoint, fetch_until_done
from tests.gate import RemoteGate

KEY = "gate-key-1234"


def submit(running, examples, **extra) -> dict:
    payload = {
        "key": KEY,
        "prompt": "p",
        "init_image": examples.data_uri("chelsea"),
        "mask_image": examples.mask_data_uri("chelsea"),
        "width": 128,
        "height": 96,
        **extra,
    }
    response = requests.post(endpoint(running, "inpaint"), json=payload, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def status(running, job_id: int) -> str:
    answer = requests.post(endpoint(running, f"fetch/{job_id}"), json={"key": KEY}, timeout=10)
    return answer.json()["status"]


def test_jobs_wait_until_released_one_by_one(make_server, examples):
    running = make_server(gate_jobs=True, sync_threshold=0.0)
    jobs = running.app.state.jobs
    first, second = submit(running, examples), submit(running, examples)
    assert first["status"] == second["status"] == "processing"
    assert jobs.wait_at_gate(2, timeout=30) == [first["id"], second["id"]]
    assert status(running, first["id"]) == "processing"  # nothing passes unasked

    assert jobs.release([second["id"]]) == [second["id"]]
    assert fetch_until_done(second["fetch_result"], KEY)["status"] == "success"
    assert jobs.at_gate() == [first["id"]]
    assert status(running, first["id"]) == "processing"

    assert jobs.release() == [first["id"]]  # everything waiting
    assert fetch_until_done(first["fetch_result"], KEY)["status"] == "success"
    assert jobs.at_gate() == [] and jobs.release([999]) == []

    third = submit(running, examples)
    assert jobs.wait_at_gate(1, timeout=30) == [third["id"]]
    assert jobs.open_gate() == [third["id"]]  # and the gate stays open
    assert fetch_until_done(third["fetch_result"], KEY)["status"] == "success"
    later = submit(running, examples)  # passes unreleased
    assert fetch_until_done(later["fetch_result"], KEY)["status"] == "success"


def test_the_http_handle_and_a_stop_while_jobs_wait(make_server, examples):
    running = make_server(gate_jobs=True, sync_threshold=0.0)
    gate = RemoteGate(running.base_url)
    queued = submit(running, examples)
    assert gate.wait(1, timeout=30) == [queued["id"]]
    assert gate.waiting() == [queued["id"]]
    bad = requests.post(f"{gate.root}/test/gate/release", json={"ids": "1"}, timeout=5)
    assert bad.status_code == 400 and "ids must be a list" in bad.json()["message"]
    late = requests.post(f"{gate.root}/test/gate/wait", json={"count": 2, "timeout": 0.2})
    assert late.status_code == 408 and "1 job(s) at the gate" in late.json()["message"]
    assert gate.release([queued["id"]]) == [queued["id"]]
    assert fetch_until_done(queued["fetch_result"], KEY)["status"] == "success"
    assert gate.release() == []  # nothing waiting
    assert gate.unfinished() == 0
    gate.open()
    assert fetch_until_done(submit(running, examples)["fetch_result"], KEY)["status"] == "success"
    gate.close()  # gated again

    held = submit(running, examples)
    running.app.state.jobs.wait_at_gate(1, timeout=30)
    assert gate.unfinished() == 1
    running.stop()  # a waiting job ends with the server instead of holding a thread
    job = next(j for j in running.app.state.jobs.held() if j.id == held["id"])
    assert job.done.wait(10) and job.status == "error"


def test_an_ordinary_server_has_no_gate(server, examples):
    root = server.base_url.removesuffix("/api")
    assert requests.get(f"{root}/test/gate", timeout=5).status_code == 404
    assert submit(server, examples)["status"] == "success"  # and its jobs just run
