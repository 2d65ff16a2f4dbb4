"""What every API request goes through before its handler: the JSON body and the key.

Both are FastAPI dependencies, so a handler states what it needs
(``body: JsonBody, owner: Owner``) and the order of refusals is the same on
every route: a body that is not a JSON object is a 400 before a missing or
wrong key is a 401. Both are ``async`` because neither blocks: they run on the
event loop, not on the threadpool the blocking handlers use.
"""

from __future__ import annotations

import hmac
import json
from typing import Annotated, Any

from fastapi import Depends, Request

from ..jobs import owner_of
from ..responses import ApiError
from ..state import StateDep

MAX_BODY_BYTES = 64 * 1024 * 1024


async def _json_object(request: Request) -> dict[str, Any]:
    """The request body as a JSON object, or a 400 saying what is wrong with it."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise ApiError(400, "The request body is too large.")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise ApiError(400, "The request body is too large.")
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw.strip():
        raise ApiError(400, "The request body is empty: send a JSON object.")
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise ApiError(400, "The request body must be a JSON object.")
    return body


JsonBody = Annotated[dict[str, Any], Depends(_json_object)]


async def _owner(body: JsonBody, state: StateDep) -> str:
    """The owner of the body's ``key`` (keys travel in the body, as the contract has it).

    Keys are compared in constant time; with no configured keys any non-empty
    key is accepted. Only the one-way ``owner_of`` fingerprint goes further.
    """
    key = body.get("key")
    if not isinstance(key, str) or not key.strip():
        raise ApiError(401, 'Missing API key: send it in the JSON body as "key".')
    key = key.strip()
    known_keys = state.config.keys
    if known_keys and not any(
        hmac.compare_digest(key.encode("utf-8"), known.encode("utf-8")) for known in known_keys
    ):
        raise ApiError(401, "Invalid API key.")
    return owner_of(key)


Owner = Annotated[str, Depends(_owner)]


def root_of(request: Request) -> str:
    """The root URL the client used (``http://host:port/``): every URL answered is built on it."""
    return str(request.base_url)
