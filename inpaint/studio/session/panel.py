"""The banner, sign-in, the visitor's own key for this tab, and what they may still spend."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import gradio as gr

from ..common import PRIVATE
from ..events import Studio
from ..form import KEY_INPUTS

# The browser's own token: who a job belongs to when nobody is signed in. Kept
# in local storage, like the history, so a reload can still fetch its jobs.
VISITOR_STORAGE_KEY = "inpaint-studio-visitor"
VISITOR_SECRET = "inpaint-studio-visitor-v1"

# Without a quota the allowance line is empty: it then leaves no gap under Generate.
CSS = """
#allowance:has(.md:empty) { display: none; }
"""


@dataclass
class SessionPanel:
    banner: gr.Markdown
    session_key: gr.State  # the typed key, held in this tab's session only
    # The public endpoints' ``api_key``: always empty on the page (so gradio's API
    # recorder never writes a typed key down), filled by scripts.
    api_key: gr.Textbox
    visitor_token: gr.BrowserState
    allowance: gr.Markdown | None = None

    def inputs(self, mask_file: gr.components.Component) -> dict[str, gr.components.Component]:
        """What every spending event takes besides the form, by the names handlers use."""
        keys = (self.api_key, self.session_key, self.visitor_token)
        return {"mask_file": mask_file, **dict(zip(KEY_INPUTS, keys, strict=True))}


def _token(current: str | None) -> str:
    return current if current else secrets.token_urlsafe(24)


def build(app: Studio) -> SessionPanel:
    banner = gr.Markdown(app.banner(), elem_id="banner")
    if app.access.rules.login_offered:
        gr.LoginButton(elem_id="login")
    key_box = gr.Textbox(
        label="Your ModelsLab API key (optional)",
        type="password",
        placeholder="Paste a key to use your own account, for this tab only",
        info="Kept for this browser tab only; never stored, logged or shared.",
        elem_id="session-key",
    )
    session_key = gr.State("")
    api_key = gr.Textbox(visible=False, label="api_key")
    visitor_token = gr.BrowserState("", storage_key=VISITOR_STORAGE_KEY, secret=VISITOR_SECRET)
    # .change, not .input: gradio 6.31 fires no input event for a pasted value,
    # and pasting is how a key arrives (the tab then kept using the server's key).
    key_box.change(app.set_session_key, key_box, [session_key, banner], queue=False, **PRIVATE)
    return SessionPanel(banner, session_key, api_key, visitor_token)


def wire_allowance(app: Studio, panel: SessionPanel, demo: gr.Blocks, after: list) -> gr.Markdown:
    """The line near Generate saying what this visitor may still send on the owner's key."""
    allowance = gr.Markdown("", elem_id="allowance")
    panel.allowance = allowance
    demo.load(_token, panel.visitor_token, panel.visitor_token, queue=False, **PRIVATE)
    inputs = [panel.session_key, panel.visitor_token]
    gr.on(
        [demo.load, panel.session_key.change, *after],
        app.allowance,
        inputs,
        allowance,
        queue=False,
        show_progress="hidden",
        **PRIVATE,
    )
    return allowance
