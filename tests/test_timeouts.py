"""Connect and read timeouts are different failures, and only one may have started a job.

A connect timeout means the request never left: the client sends it again,
even the ``inpaint`` POST. A read timeout on ``inpaint`` means the API got the
request and its answer was lost: a paid job may exist, so it is not sent
again and the error says so (``may_have_started``). Both are provoked with
real sockets on 127.0.0.1.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator

import numpy as np
import pytest

from inpaint import APITimeoutError, ModelsLabClient
from tests.fault_server import Canned, FaultServer

KEY = "sk-timeout-test-key-0123456789"
IMG = np.full((32, 32, 3), 90, np.uint8)
MASK = np.zeros((32, 32), np.uint8)
MASK[8:24, 8:24] = 255


@pytest.fixture
def never_accepts() -> Iterator[str]:
    """A listening socket whose accept queue is full: new connections never open.

    With a backlog of 0 the kernel queues one handshake; two filler
    connections that are never accepted fill the queue, and further SYNs are
    dropped, which is exactly a host that does not answer the connection.
    """
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(3):
        filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        filler.setblocking(False)
        filler.connect_ex(("127.0.0.1", port))
        fillers.append(filler)
    try:
        yield f"http://127.0.0.1:{port}/api"
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


def test_connect_timeout_on_submit_is_retried(never_accepts, caplog) -> None:
    client = ModelsLabClient(
        api_key=KEY, base_url=never_accepts, timeout=5, connect_timeout=0.3, max_retries=2
    )
    with (
        caplog.at_level(logging.INFO, logger="inpaint.http"),
        pytest.raises(APITimeoutError) as info,
    ):
        client.inpaint(IMG, MASK, prompt="x", transport="base64")
    retries = [
        r
        for r in caplog.records
        if r.getMessage().startswith("retrying /api/v6/image_editing/inpaint")
    ]
    assert len(retries) == 2  # sent again: nothing reached the API
    assert info.value.may_have_started is False
    assert "Could not connect" in str(info.value) and "request history" not in str(info.value)


def test_read_timeout_on_submit_is_not_retried() -> None:
    with FaultServer() as fs:
        fs.script("/api/v6/image_editing/inpaint", Canned(200, {"status": "error"}, delay=2.0))
        client = ModelsLabClient(
            api_key=KEY, base_url=fs.base_url, timeout=0.4, connect_timeout=5, max_retries=3
        )
        with pytest.raises(APITimeoutError) as info:
            client.inpaint(IMG, MASK, prompt="x", transport="base64")
        assert len(fs.requests_to("/api/v6/image_editing/inpaint")) == 1
    assert info.value.may_have_started is True
    assert "request history" in str(info.value) and KEY not in str(info.value)
