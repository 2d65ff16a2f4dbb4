"""The browser-side history: entries, merging, the table."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from ..form import Form

HISTORY_LIMIT = 50
SIDES = ("left", "top", "right", "bottom")


# -- history ------------------------------------------------------------------
def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


def history_entry(
    form: Form,
    *,
    status: str,
    backend: str,
    job_id: Any = None,
    seed: int | None = None,
    generation_time: float | None = None,
    size: tuple[int, int] | None = None,
    message: str = "",
    fetch_url: str | None = None,
    entry_id: str | None = None,
) -> dict[str, Any]:
    """A JSON-ready record of one generation, for the browser-side history.

    It holds the form (to restore it), the outcome and the job id (to fetch a
    pending job after a reload) and nothing secret: the key is not a form field.
    """
    return {
        "id": entry_id or uuid.uuid4().hex[:12],
        "when": _now(),
        "status": status,
        "backend": backend,
        "job_id": job_id,
        "seed": seed,
        "generation_time": generation_time,
        "size": list(size) if size else None,
        "message": message,
        "fetch_url": fetch_url,
        "params": form.as_entry(),
    }


def record_history(
    history: list[dict[str, Any]] | None, entry: dict[str, Any] | None
) -> list[dict[str, Any]]:
    """Insert or update ``entry`` (newest first), keeping at most ``HISTORY_LIMIT``.

    An entry with the same ``id`` is replaced; an update that only knows a job
    id (a fetched result) completes the pending entry of that job, keeping its
    parameters.
    """
    items = [dict(e) for e in (history or []) if isinstance(e, dict)]
    if not entry:
        return items
    entry = dict(entry)
    for i, old in enumerate(items):
        same_id = old.get("id") == entry.get("id")
        same_job = (
            entry.get("update_job")
            and old.get("job_id") is not None
            and str(old.get("job_id")) == str(entry.get("job_id"))
        )
        if same_id or same_job:
            update = {k: v for k, v in entry.items() if v is not None}
            if entry.get("update_job"):
                update.pop("when", None)  # a fetched result keeps its original time
            merged = {**old, **update}
            merged.pop("update_job", None)
            if not entry.get("params"):
                merged["params"] = old.get("params")
            merged["id"] = old.get("id")
            items[i] = merged
            return items[:HISTORY_LIMIT]
    entry.pop("update_job", None)
    return [entry, *items][:HISTORY_LIMIT]


STATUS_ICONS = {"done": "✓ done", "pending": "… pending", "failed": "✗ failed"}
HISTORY_HEADERS = ["When", "Status", "Prompt", "Seed", "Job id", "Size"]


def history_rows(history: list[dict[str, Any]] | None) -> list[list[Any]]:
    """The table the page shows: one short row per entry, newest first."""
    rows = []
    for e in history or []:
        params = e.get("params") or {}
        prompt = str(params.get("prompt") or "")
        extend = params.get("extend")
        if isinstance(extend, list) and len(extend) == 4 and any(extend):
            amounts = ", ".join(f"+{v} {side}" for side, v in zip(SIDES, extend, strict=True) if v)
            prompt = f"⤢ Extend {amounts}: {prompt}"
        size = e.get("size")
        rows.append(
            [
                e.get("when", ""),
                STATUS_ICONS.get(e.get("status", ""), e.get("status", "")),
                prompt if len(prompt) <= 72 else prompt[:71] + "…",
                "" if e.get("seed") is None else str(e.get("seed")),
                "" if e.get("job_id") is None else str(e.get("job_id")),
                f"{size[0]} × {size[1]}" if size else "",
            ]
        )
    return rows or [["", "", "No generations yet", "", "", ""]]
