"""The page's browser-side glue: a few lines of JavaScript, no logic.

Why the editor is read through hidden copies: in gradio 6.31 every component
that takes part in a server event is re-read by the browser on each later
status update of that event, and reading an edited ``ImageEditor`` re-exports
and re-uploads its whole canvas (dozens of times per generation). Copying its
value into a hidden ``ImageEditor`` in the browser (``COPY_JS``) reads it
exactly once per use, and the server events read the copy.

Why the editor has no ``change``/``input`` listener: attaching either switches
it to "realtime" mode, where every canvas change exports the canvas 30 ms
later and the next read returns that export by id. A photo being uploaded
exports as empty (it is not on the canvas yet), so the photo arrived empty;
and the id is stored in the editor component itself, so a hidden copy could
not read it anyway. The events that leave the editor alone are ``upload``
(fired once the uploaded photo is on the canvas and readable) and ``clear``.

So the preview follows the editor's real state by three signals, all of which
press the one "Refresh preview" button (a single event with
``trigger_mode="always_last"``, so refreshes never overtake one another):
the editor's ``upload`` event (wired in ``panels.mask``); the editor's own
drawing core's ``change`` event (``FOLLOW_EDITOR_JS``), which fires once a
stroke, an erase, an undo/redo or a layer change has been committed to the
canvas; and, after the page itself puts a photo into the editor (an example,
"Use as input"), the step that follows it (``PRESS_REFRESH_JS``): a value set
that way is read from the value itself, so it is readable at once.
"""

from __future__ import annotations

REFRESH_BUTTON_ID = "refresh-preview"
# A hidden button pressed when the user picks a photo file for the editor (not
# when the page puts one there): the previous photo's mask file is dropped.
FORGET_MASK_BUTTON_ID = "forget-mask"

COPY_JS = "(value) => value"

# An image file as an editor value with no paint (an example, a result to reuse).
IMAGE_TO_EDITOR_JS = "(image) => image ? {background: image, layers: [], composite: image} : null"

PRESS_REFRESH_JS = (
    f"() => {{ document.getElementById('{REFRESH_BUTTON_ID}')?.click(); return []; }}"
)

# A new result shown in the before/after view: if its top is off screen (the
# page scrolled down to Generate, or on a phone the result sits below the
# editor), bring it to the top of the window, whole, instead of leaving the
# view cut off.
SHOW_RESULT_JS = """
() => {
  const view = document.getElementById("before-after");
  if (!view) return;
  const top = view.getBoundingClientRect().top;
  if (top < 0 || top > window.innerHeight - 120) view.scrollIntoView({block: "start"});
}
"""

# Run once when the page loads (``launch(js=...)``). gradio 6.31's ImageEditor
# publishes its drawing core as ``window.editor`` when it mounts (this page
# has one editor that is shown); the core's ``on("change", ...)`` is called
# after every committed edit. A core mounted later (a re-render) is followed
# too, by watching the assignment. Edits notified together (a photo placed
# notifies several) are pressed once.
FOLLOW_EDITOR_JS = f"""
() => {{
  let pressed = false;
  const press = () => {{
    if (pressed) return;
    pressed = true;
    queueMicrotask(() => {{
      pressed = false;
      document.getElementById("{REFRESH_BUTTON_ID}")?.click();
    }});
  }};
  const follow = (core) => {{
    if (core && typeof core.on === "function" && !core.inpaintFollowed) {{
      core.inpaintFollowed = true;
      core.on("change", press);
    }}
  }};
  // A photo the user picks (file input or paste) is a new photo: the page drops
  // the previous photo's mask file. The page's own loads (examples) are not
  // user picks, so an example keeps its prepared mask.
  const newPhoto = () => document.getElementById("{FORGET_MASK_BUTTON_ID}")?.click();
  document.addEventListener("change", (event) => {{
    const input = event.target;
    if (input instanceof HTMLInputElement && input.type === "file"
        && document.getElementById("editor")?.contains(input)) newPhoto();
  }}, true);
  document.addEventListener("paste", (event) => {{
    if (document.getElementById("editor")?.contains(event.target)) newPhoto();
  }}, true);
  let current = window.editor;
  follow(current);
  Object.defineProperty(window, "editor", {{
    configurable: true,
    get: () => current,
    set: (core) => {{ current = core; follow(core); }},
  }});
}}
"""
