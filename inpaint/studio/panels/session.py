"""The banner saying which backend is in use, and the visitor's own key for this tab."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from ..handlers import Studio
from .common import PRIVATE


@dataclass
class SessionPanel:
    banner: gr.Markdown
    session_key: gr.State  # the typed key, held in this tab's session only


def build(app: Studio) -> SessionPanel:
    banner = gr.Markdown(app.banner(), elem_id="banner")
    key_box = gr.Textbox(
        label="Your ModelsLab API key (optional)",
        type="password",
        placeholder="Paste a key to use your own account, for this tab only",
        info="Kept for this browser tab only; never stored, logged or shared.",
        elem_id="session-key",
    )
    session_key = gr.State("")
    # .change, not .input: gradio 6.31 fires no input event for a pasted value,
    # and pasting is how a key arrives (the tab then kept using the server's key).
    key_box.change(app.set_session_key, key_box, [session_key, banner], queue=False, **PRIVATE)
    return SessionPanel(banner, session_key)
