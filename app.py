"""The inpainting studio: ``python app.py``, then open http://127.0.0.1:7860.

This file only lays the panels out (each feature's ``panel`` in ``inpaint.studio``) and starts the
server; each panel builds its components and wires its events, and what any
button does is decided (and tested) in ``inpaint.studio``. With
``MODELSLAB_API_KEY`` set (environment or ``.env``) requests go to ModelsLab;
without it the project's local ModelsLab-compatible server is started in the
background and used, so the whole flow works at once.
"""

from __future__ import annotations

import os
import sys

import gradio as gr
from dotenv import load_dotenv

from inpaint import studio
from inpaint.http import redact_url
from inpaint.shared import SharedStateError, open_state
from inpaint.studio import limits, plain_inputs
from inpaint.studio.browser import EDITOR_JS
from inpaint.studio.compare import panel as compare_panel
from inpaint.studio.examples import panel as examples
from inpaint.studio.extend import panel as extend_panel
from inpaint.studio.generate import panel as editor
from inpaint.studio.generate import parameters
from inpaint.studio.history import panel as history
from inpaint.studio.mask import panel as mask
from inpaint.studio.reproduce import panel as reproduce
from inpaint.studio.result import panel as result
from inpaint.studio.session import panel as session_panel

CSS = """
#banner { padding: 10px 14px; border-radius: 8px; border: 1px solid var(--border-color-primary);
          background: var(--background-fill-secondary); }
#status { min-height: 1.5em; }
#run-info { min-height: 1.5em; }
#forget-mask { display: none; }
"""


def build(app: studio.Studio) -> gr.Blocks:
    """The page: the panels laid out, then connected to one another."""
    with gr.Blocks(
        title="Inpainting studio", analytics_enabled=False, delete_cache=studio.DELETE_CACHE
    ) as demo:
        gr.Markdown(
            "# Inpainting studio\nUpload, paste or take a photo, paint over what should "
            "change, describe it, press **Generate**."
        )
        session = session_panel.build(app)
        with gr.Row(equal_height=False):
            with gr.Column(scale=1):
                edit = editor.build(app)
                session_panel.wire_allowance(app, session, demo, after=[edit.status.change])
                # Outside the tabs: Generate shows Result, the tools stay in reach.
                mask_tools = mask.build_tools()
            with gr.Column(scale=1):
                with gr.Tabs(selected=studio.MASK_TAB, elem_id="right-tabs") as right_tabs:
                    mask_preview = mask.build_preview()
                    # Before Result: a tab after the States that result.build makes
                    # inside these Tabs is shown twice (gradio 6).
                    comparison = compare_panel.build()
                    shown = result.build(app)
                masks = mask.MaskPanel(mask_preview, mask_tools)
                extension = extend_panel.build()
        with gr.Row(equal_height=False):
            with gr.Column(scale=1):
                sizes = parameters.build_size_and_quality()
            with gr.Column(scale=1):
                seeds = parameters.build_seed_and_advanced(app, shown.last_seed)
                code = reproduce.build()
        kept = history.build(demo)
        examples.build(edit.photo, masks.mask_file, edit.fields)

        fields = {**edit.fields, **masks.fields, **sizes.fields, **seeds.fields, **extension.fields}
        mask.wire_preview(
            masks,
            edit.photo,
            edit.image_editor,
            sizes.size,
        )
        mask.wire_new_photo(masks, edit.photo, edit.status)
        wiring = {
            **fields,
            **session.inputs(masks.mask_file),
            "status": edit.status,
            "right_tabs": right_tabs,
            "fetch_job_id": edit.fetch_job_id,
            "fetch_row": edit.fetch_row,
            "gallery": shown.gallery,
            "before_after": shown.before_after,
            "downloads": shown.downloads,
            "run_info": shown.run_info,
            "info": shown.info,
            "last_run": shown.last_run,
            "last_seed": shown.last_seed,
            "new_entry": kept.new_entry,
        }
        editor.wire_generation(app, edit, wiring, show_progress_on=shown.before_after)
        extend_panel.wire(app, extension, edit.photo, wiring, show_progress_on=shown.before_after)
        result.wire_use_as_input(app, shown, edit.photo, masks.mask_file, edit.status, right_tabs)
        history.wire_restore(kept, fields, edit.fetch_job_id, edit.fetch_row, edit.status)
        reproduce.wire(app, code, demo, fields, edit.status, session.session_key)
        compare_panel.wire(
            app, comparison, edit.photo, {**fields, **session.inputs(masks.mask_file)}
        )
        # API callers bypass the sliders: gradio's own refusals become plain ones.
        plain_inputs.guard(
            block for block in demo.blocks.values() if isinstance(block, gr.components.Component)
        )
        demo.unload(app.end_session)  # a closed tab's files are unreachable
    return demo


def main() -> None:
    load_dotenv()
    try:
        settings = studio.Settings.from_env()
    except studio.SettingsError as exc:
        sys.exit(f"Cannot start: {exc}")
    # Before the page is built: gradio's cache goes into the studio's own folder.
    workdir = studio.open_workdir(settings)
    studio.limit_arenas()  # before gradio's worker threads exist
    try:
        state = open_state(settings.state_location(), setting="STUDIO_STATE_URL")
    except SharedStateError as exc:
        sys.exit(f"Cannot start: {exc}")
    app = studio.Studio(
        settings,
        backend=studio.Backend(settings, state=state),
        store=studio.OutputStore.for_settings(settings, workdir),
        # Sign-in needs the Space's OAuth app: offered on a Space only.
        login_offered=settings.on_space and settings.owner_key_access == "signed-in",
    )
    local = app.backend.start()
    if local:
        print(
            "Offline demo mode: no MODELSLAB_API_KEY, using the local server "
            f"at {local} (classical fill, ignores the prompt).",
            flush=True,
        )
    else:
        print(f"Using ModelsLab at {redact_url(app.backend.modelslab_url)}.", flush=True)
    # The web server would otherwise read X-Forwarded-For from any local peer: the
    # studio's own list of trusted proxies is the only one (STUDIO_TRUSTED_PROXIES).
    os.environ["FORWARDED_ALLOW_IPS"] = settings.forwarded_allow_ips()
    demo = build(app)
    # Bounded waiting line: a flood is refused at once instead of starving others.
    demo.queue(default_concurrency_limit=8, max_size=limits.QUEUE_MAX_SIZE)
    try:
        demo.launch(
            css=CSS + session_panel.CSS + history.CSS + examples.CSS,
            js=EDITOR_JS,
            run_history=False,
            footer_links=["api", "gradio", "settings"],
            max_file_size=limits.MAX_UPLOAD,  # a 300 MB upload is refused, not kept
            **settings.launch_options(),
            **workdir.launch_options(),
        )
    finally:
        app.backend.stop()
        workdir.remove()


if __name__ == "__main__":
    main()
