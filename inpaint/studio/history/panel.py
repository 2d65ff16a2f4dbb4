"""The history: kept in the visitor's browser, restored into the form on a click."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import gradio as gr

from ..common import PRIVATE
from ..form import EXTEND_FIELDS, FORM_FIELDS
from . import HISTORY_HEADERS, history_rows
from . import handler as history

# Stored in the visitor's browser (localStorage). Fixed, so the history
# survives a server restart; it holds no secret (the key is never recorded).
HISTORY_STORAGE_KEY = "inpaint-studio-history"
HISTORY_SECRET = "inpaint-studio-history-v1"

# The columns are shares of the table's width: on a phone those shares of ~300 px
# broke every word into letters, one per line. The table keeps this width at
# least and scrolls sideways in a narrow window (app.py puts CSS on the page).
TABLE_MIN_WIDTH = 800
CSS = f"""
#history .table-container {{ overflow-x: auto; }}
#history .table-wrap {{ min-width: {TABLE_MIN_WIDTH}px; }}
"""


@dataclass
class HistoryPanel:
    table: gr.Dataframe
    new_entry: gr.State  # what a generation reports; recorded into the browser's history
    kept: gr.BrowserState  # the entries, in the visitor's local storage


def build(demo: gr.Blocks) -> HistoryPanel:
    with gr.Accordion("History (kept in this browser)", open=True):
        table = gr.Dataframe(
            value=history_rows([]),
            headers=HISTORY_HEADERS,
            interactive=False,
            wrap=True,
            elem_id="history",
            max_height=300,
            # Shares of at least TABLE_MIN_WIDTH (see CSS): a date, "pending" and a
            # 10-digit seed each keep to one line, on a phone too.
            column_widths=["16%", "10%", "39%", "13%", "12%", "10%"],
        )
        with gr.Row():
            gr.Markdown(
                "Click a row to restore its settings; a pending row also fills in the "
                "job id for “Fetch result”. Images are not kept here: download the "
                "ones you want."
            )
            clear = gr.Button(
                "Clear history", size="sm", scale=0, min_width=140, elem_id="clear-history"
            )
    kept = gr.BrowserState([], storage_key=HISTORY_STORAGE_KEY, secret=HISTORY_SECRET)
    new_entry = gr.State(None)
    new_entry.change(history.add, [kept, new_entry], [kept, table], **PRIVATE)
    demo.load(history.show, kept, table, **PRIVATE)
    clear.click(history.clear, None, [kept, table], **PRIVATE)
    return HistoryPanel(table, new_entry, kept)


def wire_restore(
    panel: HistoryPanel,
    fields: Mapping[str, gr.components.Component],
    fetch_job_id: gr.Textbox,
    fetch_row: gr.Row,
    status: gr.Markdown,
) -> None:
    """A click on a row refills the form and the Extend panel's sliders (``fields`` by
    name); a pending entry also fills "Fetch result"."""
    form = [fields[name] for name in (*FORM_FIELDS, *EXTEND_FIELDS)]
    panel.table.select(
        history.restore, panel.kept, [*form, fetch_job_id, fetch_row, status], **PRIVATE
    )
