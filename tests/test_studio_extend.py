"""The Extend panel's handlers without a browser: presets, preview, refusals, the run.

The run goes to a real local server (offline mode), through the same job
runner, history and result outputs as Generate.
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr
import numpy as np
import pytest
from PIL import Image

from inpaint.offline import OFFLINE_EXTEND_PROMPT
from inpaint.studio.extend import handler as extend
from tests.test_studio import (
    PHOTO,
    Progress,
    Request,
    first_change,
    make_studio,
    run,
    servers,
    skipped,
)

__all__ = ["make_studio", "servers"]  # fixtures, used by name


def test_presets_round_to_the_sliders_step_and_say_when_they_are_capped() -> None:
    ext, note = extend.preset((600, 400), "16:9", "center")
    assert ext.as_tuple() == (56, 0, 56, 0) and not note
    ext, _ = extend.preset((600, 400), "1:1", "top")
    assert ext.as_tuple() == (0, 0, 0, 200)
    ext, note = extend.preset((3000, 2000), "x4", "center")
    assert max(ext.as_tuple()) == extend.MAX_AMOUNT and "another pass" in note
    assert all(v % extend.STEP == 0 for v in ext.as_tuple())


def test_preview_tints_the_new_area_and_says_what_is_kept() -> None:
    shown, caption = extend.preview(str(PHOTO), extend.extension(64, 0, 0, 32), 16, "blur")
    assert shown is not None and shown.size == (664, 432)
    assert "600 × 400 → 664 × 432" in caption and "**2 jobs**" in caption
    assert "**blur**" in caption and "**16** px" in caption
    pixels = np.asarray(shown, np.int16)
    assert pixels[100:300, 10:50, 0].mean() > pixels[100:300, 10:50, 1].mean() + 40
    photo, caption = extend.preview(str(PHOTO), extend.extension(0, 0, 0, 0), 16, "blur")
    assert photo is not None and photo.size == (600, 400)  # the plain photo, and why
    assert caption == extend.NOTHING_MESSAGE
    assert extend.preview(None, extend.extension(8, 0, 0, 0), 16, "blur") == (
        None,
        extend.NO_PHOTO_MESSAGE,
    )


def test_capture_refuses_each_slip_in_one_sentence(make_studio) -> None:
    app = make_studio()
    photo = Image.open(PHOTO).convert("RGBA")
    value = {"background": photo, "layers": [], "composite": photo}
    cases = [
        (None, "x", (8, 0, 0, 0), "No photo"),
        (value, "x", (0, 0, 0, 0), "Nothing to extend"),
        (value, " ", (8, 0, 0, 0), "Empty prompt"),  # with a key: the model needs one
    ]
    for editor_value, prompt, amounts, words in cases:
        with pytest.raises(gr.Error, match=words):
            list(
                app.extend.capture(
                    editor_value, prompt, *amounts, session_key="own-key", request=Request()
                )
            )
    # Offline the fill ignores the prompt: none is demanded, and the status says so.
    *_, (_image, status, _tab, _kept) = app.extend.capture(
        value, " ", 8, 0, 0, 0, request=Request()
    )
    assert "prompt is ignored" in status
    big = Image.new("RGBA", (6000, 4000), (90, 120, 60, 255))
    with pytest.raises(gr.Error, match="megapixels"):
        list(
            app.extend.capture(
                {"background": big, "layers": [], "composite": big},
                "x",
                2048,
                2048,
                2048,
                2048,
                request=Request(),
            )
        )
    image, status, _tab, kept = list(app.extend.capture(value, "x", 8, 0, 0, 0, request=Request()))[
        -1
    ]
    assert Image.open(image).size == (600, 400) and kept == image
    assert status.startswith("Extending…") and "prompt is ignored" in status  # offline


def test_outpaint_runs_like_a_generation_and_keeps_the_original(
    make_studio, tmp_path: Path
) -> None:
    app = make_studio()
    seen, error = run(
        app.extend.outpaint(
            str(PHOTO), "more table", right=64, seed=5, progress=Progress(), request=Request()
        )
    )
    assert error is None
    final = seen[-1]
    assert final["status"].startswith("✓ Done: 1 image") and "`5`" in final["run_info"]
    result = np.asarray(Image.open(final["downloads"]["value"][0]).convert("RGB"))
    photo = np.asarray(Image.open(PHOTO).convert("RGB"))
    assert result.shape == (400, 664, 3)
    assert (result[:, : 600 - 16] == photo[:, : 600 - 16]).all()
    before, _after = final["before_after"]
    shown = np.asarray(Image.open(before).convert("RGB"))
    assert shown.shape == (400, 664, 3)  # the photo on the larger canvas...
    assert (shown[:, :600] == photo).all()
    assert (shown[:, 600:] == extend.NEUTRAL).all()  # ...neutral around it, not stretched
    entry = final["new_entry"]
    assert entry["status"] == "done" and entry["size"] == [664, 400]
    assert entry["params"]["prefill"] == "patchmatch"
    pending = [s["new_entry"] for s in seen[:-1] if not skipped(s["new_entry"])]
    assert pending and pending[0]["status"] == "pending"

    seen, error = run(app.extend.outpaint(str(PHOTO), "x", progress=Progress(), request=Request()))
    assert error is not None and error.message == extend.NOTHING_MESSAGE
    assert skipped(seen[-1]["new_entry"])


def test_cancel_keeps_the_extension_job_and_fetch_puts_it_back(make_studio, servers) -> None:
    """The Generate flow's Cancel and Fetch result work for an extension too."""
    app = make_studio({"gate_jobs": True, "sync_threshold": 0.0})  # held until released
    request = Request("tab-extend")
    gen = app.extend.outpaint(
        str(PHOTO), "more table", right=64, progress=Progress(), request=request
    )
    first = first_change(gen)  # the job exists: its id is reported at once
    assert first["new_entry"]["status"] == "pending"
    assert first["new_entry"]["size"] == [664, 400]
    assert app.cancel(request).startswith("Stopping")
    seen, error = run(gen)
    assert error is None and "Stopped waiting for job" in seen[-1]["status"]
    servers.started[-1].app.state.jobs.release()
    fetched, error = run(app.fetch(seen[-1]["fetch_job_id"], progress=Progress(), request=request))
    assert error is None and fetched[-1]["status"].startswith("✓ Done")
    result = np.asarray(Image.open(fetched[-1]["downloads"]["value"][0]).convert("RGB"))
    photo = np.asarray(Image.open(PHOTO).convert("RGB"))
    assert result.shape == (400, 664, 3)  # put back into its canvas, not the bare cut
    assert (result[:, : 600 - 16] == photo[:, : 600 - 16]).all()


def test_an_extension_is_kept_restored_loaded_and_shown_as_code(make_studio) -> None:
    """History, "load parameters" and Reproduce carry the four amounts and the overlap;
    offline, no prompt is demanded."""
    from inpaint.studio import EXTEND_FIELDS, FORM_FIELDS, history_rows
    from inpaint.studio.history import handler as history_events

    app = make_studio()
    seen, error = run(
        app.extend.outpaint(
            str(PHOTO),
            "",
            right=64,
            bottom=24,
            overlap=12,
            seed=5,
            progress=Progress(),
            request=Request(),
        )
    )
    assert error is None, error
    final = seen[-1]
    entry = final["new_entry"]
    assert entry["params"]["extend"] == [0, 0, 64, 24] and entry["params"]["overlap"] == 12
    assert entry["params"]["prompt"] == OFFLINE_EXTEND_PROMPT
    assert history_rows([entry])[0][2].startswith("⤢ Extend +64 right, +24 bottom")

    class Select:
        index = [0, 2]

    names = (*FORM_FIELDS, *EXTEND_FIELDS)
    values = history_events.restore([entry], Select())
    restored = dict(zip(names, values, strict=False))
    assert [restored[f"extend_{s}"] for s in ("left", "top", "right", "bottom")] == [0, 0, 64, 24]
    assert restored["overlap"] == 12 and restored["extend_prefill"] == "patchmatch"
    assert restored["seed"] == 5 and "It was an extension (+64 right, +24 bottom)" in values[-1]

    [path] = final["downloads"]["value"]
    values = app.reproduce.load_parameters(path, {**restored, "extend_right": 0})
    loaded = dict(zip(names, values, strict=False))
    assert loaded["extend_right"] == 64 and loaded["extend_bottom"] == 24
    assert loaded["overlap"] == 12 and "An extension" in values[-1]

    python, curl, command = app.reproduce.code_for(loaded)
    assert "client.outpaint(" in python and "right=64" in python and "bottom=24" in python
    assert "overlap=12" in python and "'mask.png'" not in python
    assert "--extend-right=64" in command and "--overlap=12" in command
    assert "--mask=" not in command and "--feather" not in command and "outpainting" in curl

    plain = dict(loaded, extend_right=0, extend_bottom=0)
    python, _, command = app.reproduce.code_for(plain)
    assert "client.inpaint(" in python and "--mask=mask.png" in command


def test_the_preview_is_drawn_once_for_the_same_photo_and_amounts() -> None:
    """gradio fires a side slider's change again, with the same value, on each status
    update of a running extension: such a refresh draws nothing; a new amount does."""
    photo = str(PHOTO)
    picture, caption, drawn_for = extend.Extend.refresh(photo, 56, 0, 56, 0, 16, "patchmatch")
    assert isinstance(picture, Image.Image) and picture.size == (712, 400) and drawn_for
    again = extend.Extend.refresh(photo, 56, 0, 56, 0, 16, "patchmatch", drawn_for)
    assert all(isinstance(v, type(gr.skip())) for v in again)
    wider = extend.Extend.refresh(photo, 56, 0, 100, 0, 16, "patchmatch", drawn_for)
    assert wider[0].size == (756, 400) and wider[2] != drawn_for
