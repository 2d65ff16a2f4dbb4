"""The history table's events: record, show, clear, restore an entry into the form."""

from __future__ import annotations

from typing import Any

import gradio as gr

from ...contract import JOB_ID_PATTERN
from ..form import EXTEND_FIELDS, FORM_FIELDS, Form
from . import history_rows, record_history


def add(
    history: list[dict[str, Any]] | None, entry: dict[str, Any] | None
) -> tuple[list[dict[str, Any]], list]:
    items = record_history(history, entry)
    return items, history_rows(items)


def show(history: list[dict[str, Any]] | None) -> list[list[Any]]:
    return history_rows(history)


def clear() -> tuple[list, list]:
    return [], history_rows([])


def restore(history: list[dict[str, Any]] | None, evt: gr.SelectData) -> tuple[Any, ...]:
    """Refill the form from a history entry; a pending one also fills "Fetch result".

    The seed restored is the one the job used, so the result can be
    reproduced; outputs are ``FORM_FIELDS`` then fetch id, fetch row, status.
    """
    row = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
    items = history or []
    outputs = (*FORM_FIELDS, *EXTEND_FIELDS)
    if row is None or not 0 <= int(row) < len(items):
        return tuple(gr.skip() for _ in outputs) + (gr.skip(), gr.skip(), gr.skip())
    entry = items[int(row)]
    form = Form.from_entry(entry.get("params") or {})
    if entry.get("seed") is not None:
        form = form.replace(seed=entry["seed"])
    ui = form.as_ui()
    if form.overlap is None:
        # An edit inside the photo: the Extend panel's overlap and pre-fill stay.
        ui["overlap"] = ui["extend_prefill"] = gr.skip()
    job = entry.get("job_id")
    # The history lives in the browser: an id that is not digits is never offered for fetching.
    is_pending = (
        entry.get("status") == "pending"
        and job is not None
        and JOB_ID_PATTERN.fullmatch(str(job)) is not None
    )
    if is_pending:
        status = (
            f"↩ Restored the settings of pending job {job}. Press “Fetch result” to collect it."
        )
    else:
        seed_note = f" (seed {entry['seed']}, the one it used)" if entry.get("seed") else ""
        status = f"↩ Restored the settings from {entry.get('when', '')}{seed_note}."
    if form.extend:
        status += (
            f" It was an extension ({form.extension_text()}): the Extend panel's sliders are "
            "set, press **Extend** there to run it again."
        )
    return (
        *(ui[name] for name in outputs),
        str(job) if is_pending else gr.skip(),
        gr.update(visible=True) if is_pending else gr.skip(),
        status,
    )
