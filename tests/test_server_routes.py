"""The server mounts its API where ``contract`` says the client sends requests."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from inpaint import contract
from inpaint.server import RunningServer, ServerConfig, create_app
from inpaint.server.state import state_of


# GET and HEAD share a function, so FastAPI warns that their operation ids repeat.
@pytest.mark.filterwarnings("ignore:Duplicate Operation ID")
def test_the_api_routers_are_mounted_exactly_on_the_contract_paths(tmp_path: Path) -> None:
    app = create_app(ServerConfig(storage_dir=tmp_path))
    try:
        # The schema is FastAPI's public list of what is mounted where.
        paths = app.openapi()["paths"]
    finally:
        state_of(app).close()
    posts = {path for path, operations in paths.items() if "post" in operations}
    assert posts == {
        contract.server_path(contract.INPAINT),
        contract.server_path(contract.FETCH),
        contract.server_path(contract.FETCH) + "/{job_id}",
        contract.server_path(contract.UPLOAD),
    }


@pytest.mark.parametrize(
    "name", [contract.INPAINT, f"{contract.FETCH}/1", contract.FETCH, contract.UPLOAD]
)
def test_the_client_s_urls_reach_the_routes(server: RunningServer, name: str) -> None:
    # No key: a route answers 401; a path that misses every route would be a 404.
    response = requests.post(contract.endpoint(server.base_url, name), json={}, timeout=10)
    assert response.status_code == 401, response.text
    assert response.json()["status"] == "error"
