"""The inpainting studio: ``python app.py``, then open http://127.0.0.1:7860.

This file only lays out components and connects them to ``inpaint.studio``;
what any button actually does is decided (and tested) there. With
``MODELSLAB_API_KEY`` set (environment or ``.env``) requests go to ModelsLab;
without it the project's local ModelsLab-compatible server is started in the
background and used, so the whole flow works at once.
"""

from __future__ import annotations

import sys
from typing import Any

import gradio as gr
from dotenv import load_dotenv

from inpaint import plain_inputs, studio, ui_spec

CSS = """
#banner { padding: 10px 14px; border-radius: 8px; border: 1px solid var(--border-color-primary);
          background: var(--background-fill-secondary); }
#status { min-height: 1.5em; }
#run-info { min-height: 1.5em; }
"""

# Browser-side glue (no logic): copy the editor's value into a hidden copy that
# the server reads, and turn an image into an editor value with no paint.
COPY_JS = "(value) => value"
# Refresh the mask preview when a stroke, an undo or an erase ends in the editor.
PREVIEW_ON_POINTER_UP_JS = """
() => {
  const refresh = () => {
    clearTimeout(window.inpaintPreviewTimer);
    window.inpaintPreviewTimer = setTimeout(
      () => document.getElementById("refresh-preview")?.click(), 150);
  };
  document.addEventListener("pointerup", (event) => {
    if (document.getElementById("editor")?.contains(event.target)) refresh();
  }, true);
  document.addEventListener("keyup", (event) => {
    if ((event.ctrlKey || event.metaKey)
        && document.getElementById("editor")?.contains(document.activeElement)) refresh();
  }, true);
}
"""


def refresh_preview_js(*delays_ms: int) -> str:
    """Press "Refresh preview" after each delay: a photo just put into the editor
    reaches its canvas a moment later (reading it earlier gives an empty editor).
    Every refresh goes through that one button, so refreshes never overtake
    one another."""
    delays = ", ".join(str(ms) for ms in delays_ms)
    return (f"() => {{ for (const ms of [{delays}]) setTimeout(() => "
            "document.getElementById('refresh-preview')?.click(), ms); return []; }")


IMAGE_TO_EDITOR_JS = "(image) => image ? {background: image, layers: [], composite: image} : null"

# Stored in the visitor's browser (localStorage). Fixed, so the history
# survives a server restart; it holds no secret (the key is never recorded).
HISTORY_STORAGE_KEY = "inpaint-studio-history"
HISTORY_SECRET = "inpaint-studio-history-v1"


def build(app: studio.Studio) -> gr.Blocks:
    """The page. ``ui`` maps the names ``inpaint.studio`` uses to components."""
    ui: dict[str, Any] = {}
    limit = app.settings.event_limit

    with gr.Blocks(title="Inpainting studio", analytics_enabled=False,
                   delete_cache=(3600, 6 * 3600)) as demo:
        gr.Markdown("# Inpainting studio\nPaint over what should change, describe it, "
                    "press **Generate**.")
        banner = gr.Markdown(app.banner(), elem_id="banner")
        key_box = gr.Textbox(
            label="Your ModelsLab API key (optional)", type="password",
            placeholder="Paste a key to use your own account, for this tab only",
            info="Kept for this browser tab only; never stored, logged or shared.",
            elem_id="session-key")
        ui["session_key"] = gr.State("")

        with gr.Row(equal_height=False):
            with gr.Column(scale=1):
                ui["image_editor"] = gr.ImageEditor(
                    label="Image: upload, paste or take a photo, then paint over what to change",
                    sources=("upload", "clipboard", "webcam"), type="pil", image_mode="RGBA",
                    format="png", elem_id="editor", height=520, transforms=(),
                    brush=gr.Brush(colors=[("#ff2d6f", 0.6), ("#2d8cff", 0.6)],
                                   default_color=("#ff2d6f", 0.6), color_mode="fixed",
                                   default_size="auto"),
                    eraser=gr.Eraser(default_size="auto"),
                    layers=gr.LayerOptions(allow_additional_layers=True),
                )
                ui["prompt"] = gr.Textbox(**ui_spec.text_kwargs("prompt"), elem_id="prompt")
                ui["negative_prompt"] = gr.Textbox(**ui_spec.text_kwargs("negative_prompt"),
                                                   elem_id="negative-prompt")
                with gr.Row():
                    generate_btn = gr.Button("Generate", variant="primary", elem_id="generate",
                                             scale=3)
                    cancel_btn = gr.Button("Cancel", variant="stop", elem_id="cancel", scale=1)
                ui["status"] = gr.Markdown("", elem_id="status")
                with gr.Row(visible=False, elem_id="fetch-row") as fetch_row:
                    ui["fetch_job_id"] = gr.Textbox(label="Job id", elem_id="fetch-job-id",
                                                    scale=2)
                    fetch_btn = gr.Button("Fetch result", elem_id="fetch", scale=1)
                ui["fetch_row"] = fetch_row

            with gr.Column(scale=1):
                with gr.Tabs(selected=studio.MASK_TAB, elem_id="right-tabs") as right_tabs:
                    with gr.Tab("Mask", id=studio.MASK_TAB, elem_id="mask-tab") as mask_tab:
                        ui["mask_preview"] = gr.Image(
                            label="The mask that will be sent, over the image that will be sent",
                            interactive=False, type="pil", format="png",
                            elem_id="mask-preview", height=360)
                        with gr.Row(equal_height=True):
                            ui["mask_caption"] = gr.Markdown(
                                "Upload a photo, then paint the area to repaint.",
                                elem_id="mask-caption")
                            refresh_btn = gr.Button("Refresh preview", size="sm", scale=0,
                                                    min_width=140, elem_id="refresh-preview")
                        with gr.Row():
                            ui["crop_to_mask"] = gr.Radio(
                                list(studio.AREAS), value=studio.AREA_WHOLE,
                                label="Inpaint area",
                                info=ui_spec.param("crop_to_mask").help, elem_id="area")
                            ui["mask_padding"] = gr.Slider(
                                **ui_spec.slider_kwargs("mask_padding"), elem_id="padding")
                        with gr.Row():
                            ui["grow_px"] = gr.Slider(
                                -studio.MASK_TOOL_LIMIT, studio.MASK_TOOL_LIMIT, value=0, step=1,
                                label="Grow (+) or shrink (-), px of the photo",
                                elem_id="grow")
                            ui["feather_px"] = gr.Slider(**ui_spec.slider_kwargs("feather"),
                                                         elem_id="feather")
                        ui["paste_back"] = gr.Checkbox(**ui_spec.checkbox_kwargs("paste_back"),
                                                       elem_id="paste-back")
                        ui["invert_mask"] = gr.Checkbox(
                            label="Invert (repaint everything except the painted area)",
                            value=False, elem_id="invert")
                        ui["mask_file"] = gr.Image(
                            label="Or upload a mask image instead of painting (white = repaint)",
                            sources=["upload", "clipboard"], type="filepath", image_mode=None,
                            elem_id="mask-file", height=180)
                    with gr.Tab("Result", id=studio.RESULT_TAB, elem_id="result-tab"):
                        ui["before_after"] = gr.ImageSlider(
                            label="Before / after (drag the handle)", type="filepath",
                            format="png", max_height=420, interactive=False,
                            elem_id="before-after")
                        ui["gallery"] = gr.Gallery(
                            label="All samples (select one to compare it above)", columns=4,
                            height=140, object_fit="contain", format="png", fit_columns=False,
                            allow_preview=False, elem_id="gallery", interactive=False)
                        ui["run_info"] = gr.Markdown("", elem_id="run-info")
                        use_btn = gr.Button("Use as input (another pass)",
                                            elem_id="use-as-input")
                        ui["downloads"] = gr.File(
                            label="Download full-resolution PNGs", file_count="multiple",
                            interactive=False, elem_id="downloads", visible=False)
                        with gr.Accordion("Request sent and response meta (key redacted)",
                                          open=False):
                            ui["info"] = gr.JSON(label="Request and response", elem_id="info")
                ui["right_tabs"] = right_tabs

        with gr.Row(equal_height=False):
            with gr.Column(scale=1):
                with gr.Accordion("Parameters", open=True):
                    ui["auto_size"] = gr.Checkbox(
                        value=True, label="Size: auto from image",
                        info="The image's own size, fitted within 1024 x 1024 in multiples "
                             "of 8. Untick to set width and height.", elem_id="auto-size")
                    with gr.Row():
                        ui["width"] = gr.Slider(**ui_spec.slider_kwargs("width"),
                                                interactive=False, elem_id="width")
                        ui["height"] = gr.Slider(**ui_spec.slider_kwargs("height"),
                                                 interactive=False, elem_id="height")
                    with gr.Row():
                        ui["samples"] = gr.Slider(**ui_spec.slider_kwargs("samples"),
                                                  elem_id="samples")
                        ui["num_inference_steps"] = gr.Slider(
                            **ui_spec.slider_kwargs("num_inference_steps"), elem_id="steps")
                    with gr.Row():
                        ui["guidance_scale"] = gr.Slider(**ui_spec.slider_kwargs("guidance_scale"),
                                                         elem_id="guidance")
                        ui["strength"] = gr.Slider(**ui_spec.slider_kwargs("strength"),
                                                   elem_id="strength")
            with gr.Column(scale=1):
                with gr.Accordion("Seed and safety", open=True):
                    ui["seed"] = gr.Number(**ui_spec.number_kwargs("seed"), elem_id="seed")
                    reuse_seed_btn = gr.Button("Reuse the last result's seed",
                                               elem_id="reuse-seed", size="sm")
                    ui["safety_checker"] = gr.Checkbox(
                        **ui_spec.checkbox_kwargs("safety_checker"), elem_id="safety")
                with gr.Accordion("Advanced", open=False):
                    ui["transport"] = gr.Radio(
                        list(studio.TRANSPORTS), value="upload", label="Transport",
                        info="upload: the images go to the API's temporary storage first and "
                             "the job gets their URLs; base64: they travel inside the request.")
                    ui["base64_output"] = gr.Checkbox(**ui_spec.checkbox_kwargs("base64"))
                    ui["instant_response"] = gr.Checkbox(
                        **ui_spec.checkbox_kwargs("instant_response"))
                    ui["webhook"] = gr.Textbox(**ui_spec.text_kwargs("webhook"))
                    ui["track_id"] = gr.Number(**ui_spec.number_kwargs("track_id"))
                with gr.Accordion("Reproduce", open=False, elem_id="reproduce"):
                    load_params_file = gr.File(
                        label="Load parameters from image (a PNG saved by this studio)",
                        file_types=[".png"], type="filepath", elem_id="load-params",
                        height=120)
                    with gr.Tabs():
                        with gr.Tab("Python"):
                            python_code = gr.Code(language="python", interactive=False,
                                                  label="This request with the library "
                                                        "(key from MODELSLAB_API_KEY)",
                                                  elem_id="code-python")
                        with gr.Tab("curl"):
                            curl_code = gr.Code(language="shell", interactive=False,
                                                label="This request with curl "
                                                      "(key from $MODELSLAB_API_KEY)",
                                                elem_id="code-curl")
                        with gr.Tab("Command line"):
                            cli_code = gr.Code(language="shell", interactive=False,
                                               label="This request with python -m inpaint "
                                                     "(key from MODELSLAB_API_KEY)",
                                               elem_id="code-cli")

        with gr.Accordion("History (kept in this browser)", open=True):
            history_table = gr.Dataframe(
                value=studio.history_rows([]), headers=studio.HISTORY_HEADERS,
                interactive=False, wrap=True, elem_id="history", max_height=300,
                column_widths=["16%", "10%", "44%", "12%", "8%", "10%"])
            with gr.Row():
                gr.Markdown("Click a row to restore its settings; a pending row also fills in "
                            "the job id for “Fetch result”. Images are not kept here: download "
                            "the ones you want.")
                clear_history_btn = gr.Button("Clear history", size="sm", scale=0,
                                              min_width=140, elem_id="clear-history")

        # Hidden copies of the editor, which the server events read instead of
        # the editor itself. Why: in gradio 6.31 every component that takes part
        # in a server event is re-read by the browser on each later status
        # update of the page, and reading an edited ImageEditor re-exports and
        # re-uploads its whole canvas - dozens of times per generation. Copying
        # in the browser (COPY_JS) reads it exactly once per use. The editor also
        # has no change/input listener, which would switch it to a racy mode
        # where a just-uploaded photo can arrive empty; the preview is refreshed
        # on pointer-up instead (PREVIEW_ON_POINTER_UP_JS, refresh_preview_js).
        for name in ("preview_snapshot", "generate_snapshot"):
            ui[name] = gr.ImageEditor(type="pil", image_mode="RGBA", format="png",
                                      visible=False)
        # An image for the editor (an example's photo, a result to reuse).
        ui["example_image"] = gr.Image(label="Photo", type="filepath", format="png",
                                       visible=False)
        # What "Generate" actually sends, frozen from the editor by a quick first
        # step; also the two files an API caller of /inpaint passes.
        ui["input_image"] = gr.Image(label="Image", type="filepath", image_mode=None,
                                     format="png", visible=False)
        ui["input_mask"] = gr.Image(label="Mask (white = repaint)", type="filepath",
                                    image_mode=None, format="png", visible=False)
        examples = gr.Examples(
            examples=studio.load_examples(), label="Examples (each with a prepared mask)",
            inputs=[ui[name] for name in studio.EXAMPLE_INPUTS], examples_per_page=6)
        gr.Markdown("Example photos: scikit-image sample data (CC0 / public domain), see "
                    "`examples/SOURCES.md`.")

        ui["last_run"] = gr.State(None)
        ui["last_seed"] = gr.State(None)
        ui["new_entry"] = gr.State(None)
        history = gr.BrowserState([], storage_key=HISTORY_STORAGE_KEY, secret=HISTORY_SECRET)

        def pick(names: tuple[str, ...]) -> list[Any]:
            return [ui[name] for name in names]

        # -- wiring ------------------------------------------------------------
        plain_inputs.guard(ui.values())  # API callers bypass the sliders: plain refusals
        private: dict[str, Any] = {"api_visibility": "private"}
        # .change, not .input: gradio 6.31 fires no input event for a pasted value,
        # and pasting is how a key arrives (the tab then kept using the server's key).
        key_box.change(app.set_session_key, key_box, [ui["session_key"], banner],
                      queue=False, **private)

        gr.on([refresh_btn.click, mask_tab.select,
               *(ui[name].change for name in studio.PREVIEW_SETTINGS)],
              None, ui["image_editor"], ui["preview_snapshot"], js=COPY_JS, **private,
              ).then(app.refresh_preview, pick(studio.PREVIEW_INPUTS),
                     pick(studio.PREVIEW_OUTPUTS), show_progress="hidden",
                     trigger_mode="always_last", concurrency_id="preview",
                     concurrency_limit=4, **private)
        ui["image_editor"].clear(app.cleared, None, pick(studio.PREVIEW_OUTPUTS),
                                 queue=False, **private)
        ui["image_editor"].upload(None, js=refresh_preview_js(700, 2500, 6000), **private)
        examples.load_input_event.then(
            None, ui["example_image"], ui["image_editor"], js=IMAGE_TO_EDITOR_JS, **private,
        ).then(None, js=refresh_preview_js(300, 1500), **private)
        ui["auto_size"].change(app.size_controls, ui["auto_size"], [ui["width"], ui["height"]],
                               queue=False, **private)
        generate_btn.click(
            None, ui["image_editor"], ui["generate_snapshot"], js=COPY_JS, **private,
        ).then(
            app.capture, pick(studio.CAPTURE_INPUTS), pick(studio.CAPTURE_OUTPUTS),
            show_progress="hidden", **private,
        ).success(
            app.generate, pick(studio.GENERATE_INPUTS), pick(studio.GENERATE_OUTPUTS),
            api_name="inpaint", concurrency_id="modelslab", concurrency_limit=limit,
            show_progress_on=[ui["before_after"]],
            api_description="Inpaint the white area of the mask in the image. image and mask "
                            "are image files; the other parameters are optional.")
        fetch_btn.click(
            app.fetch, pick(studio.FETCH_INPUTS), pick(studio.GENERATE_OUTPUTS),
            api_name="fetch_result", concurrency_id="modelslab", concurrency_limit=limit,
            show_progress_on=[ui["before_after"]])
        cancel_btn.click(app.cancel, None, ui["status"], queue=False, **private)
        ui["new_entry"].change(app.add_to_history, [history, ui["new_entry"]],
                               [history, history_table], **private)
        demo.load(app.show_history, history, history_table, **private)
        history_table.select(app.restore, history,
                             [*pick(studio.FORM_FIELDS), ui["fetch_job_id"], fetch_row,
                              ui["status"]], **private)
        clear_history_btn.click(app.clear_history, None, [history, history_table], **private)
        ui["gallery"].select(app.select_result, ui["last_run"],
                             [ui["before_after"], ui["last_run"]], **private)
        use_btn.click(
            app.use_as_input, ui["last_run"],
            [ui["example_image"], ui["mask_file"], ui["status"], right_tabs], **private,
        ).success(None, ui["example_image"], ui["image_editor"], js=IMAGE_TO_EDITOR_JS,
                  **private,
                  ).then(None, js=refresh_preview_js(300, 1500), **private)
        reuse_seed_btn.click(app.reuse_seed, ui["last_seed"], ui["seed"], **private)
        load_params_file.upload(app.load_parameters, [load_params_file, *pick(studio.FORM_FIELDS)],
                                [*pick(studio.FORM_FIELDS), ui["status"]], **private)
        gr.on([demo.load, *(ui[name].change for name in studio.FORM_FIELDS),
               ui["session_key"].change],
              app.code_for, [*pick(studio.FORM_FIELDS), ui["session_key"]],
              [python_code, curl_code, cli_code], trigger_mode="always_last",
              show_progress="hidden", **private)
    return demo


def main() -> None:
    load_dotenv()
    try:
        settings = studio.Settings.from_env()
    except studio.SettingsError as exc:
        sys.exit(f"Cannot start: {exc}")
    app = studio.Studio(settings)
    local = app.backend.start()
    if local:
        print("Offline demo mode: no MODELSLAB_API_KEY, using the local server "
              f"at {local} (classical fill, ignores the prompt).", flush=True)
    else:
        print(f"Using ModelsLab at {app.backend.modelslab_url}.", flush=True)
    demo = build(app)
    demo.queue(default_concurrency_limit=8)
    try:
        demo.launch(css=CSS, js=PREVIEW_ON_POINTER_UP_JS, run_history=False,
                    footer_links=["api", "gradio", "settings"], **settings.launch_options())
    finally:
        app.backend.stop()


if __name__ == "__main__":
    main()
