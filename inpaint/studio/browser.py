"""The page's browser-side glue: a few lines of JavaScript, no logic.

Why the editor is read through hidden copies: in gradio 6.31 every component
that takes part in a server event is re-read by the browser on each later
status update of that event, and reading an edited ``ImageEditor`` re-exports
and re-uploads its whole canvas (dozens of times per generation). Copying its
value into a hidden ``ImageEditor`` in the browser (``COPY_JS``) reads it
exactly once per use, and the server events read the copy.

Generate and the mask preview do not even let gradio read it once: gradio's
read encodes the photo, every layer and the composite as full-size PNGs
(10-20 s for a 12 MP photo under software rendering) although the server
needs only the photo, which the user already has as a file, and the paint.
``EDITOR_READER_JS`` builds the same value from the editor's drawing core
(the user's own photo file, uploaded once; the paint as one layer), one read
at a time so the latest strokes always win (``READ_EDITOR_JS``).

Why the editor has no ``change``/``input`` listener: attaching either switches
it to "realtime" mode, where every canvas change exports the canvas 30 ms
later and the next read returns that export by id. A photo being uploaded
exports as empty (it is not on the canvas yet), so the photo arrived empty;
and the id is stored in the editor component itself, so a hidden copy could
not read it anyway. The events that leave the editor alone are ``upload``
(fired once the uploaded photo is on the canvas and readable) and ``clear``.

Why no event has the editor as a trigger either (but ``clear``): when an
event fires, gradio 6.31 reads the current value of every component the event
lists as a trigger (``set_event_args``), which for the editor is the same full
export. The preview listed the editor's ``upload`` among its triggers, so
every refresh, whatever pressed it, first waited for that export: minutes on
a busy machine for a 12 MP photo, while the caption still said "Upload a
photo".

So the preview follows the editor's real state by signals from the editor's
own drawing core (``FOLLOW_EDITOR_JS``), all of which press the one "Refresh
preview" button (a single event with ``trigger_mode="always_last"``, so
refreshes never overtake one another): its ``change`` event and its history
(a stroke, an erase, an undo/redo, a layer change or a photo placed, once
committed to the canvas); and, after the page itself puts a photo into the
editor (an example, "Use as input"), the step that follows it
(``PRESS_REFRESH_JS``).
"""

from __future__ import annotations

from .ui_spec import BRUSH_PER_1024, ERASER_PER_1024

REFRESH_BUTTON_ID = "refresh-preview"
# A hidden button pressed when the user picks a photo file for the editor (not
# when the page puts one there): the previous photo's mask file is dropped.
FORGET_MASK_BUTTON_ID = "forget-mask"
# A hidden button pressed when another photo is on the editor's canvas (the
# extend panel keeps its copy of the photo by it).
PHOTO_BUTTON_ID = "photo-placed"

COPY_JS = "(value) => value"

# The editor read without gradio's export (see ``EDITOR_READER_JS``): no
# inputs, so gradio reads nothing itself; the value is what the reader built.
READ_EDITOR_JS = "async () => await window.inpaintReader.read()"

# Generate's first, browser-only listener: the click is acknowledged at once
# (the previous "Done" goes) and the previous run's error toasts are closed.
ACKNOWLEDGE_JS = """() => {
  document.querySelectorAll(".toast-wrap .toast-close").forEach((b) => b.click());
  return "… Reading your painting…";
}"""

# Generate's reading, in two steps so each shows: the paint layers are read
# from the canvas (the status then says what follows), then the files are on
# the server and the hidden copy holds them.
READ_FOR_GENERATE_JS = """async () => {
  const reading = window.inpaintReader.read();
  window.inpaintReader.pending = reading;
  return await reading.exported;
}"""
READ_FOR_GENERATE_DONE_JS = """async () => {
  const value = await window.inpaintReader.pending;
  return [value, "… Preparing the image and mask…"];
}"""

# An image file as an editor value with no paint (an example, a result to reuse).
IMAGE_TO_EDITOR_JS = "(image) => image ? {background: image, layers: [], composite: image} : null"

PRESS_REFRESH_JS = (
    f"() => {{ document.getElementById('{REFRESH_BUTTON_ID}')?.click(); return []; }}"
)

# Installed when the page loads (part of ``FOLLOW_EDITOR_JS``): ``window.inpaintReader``.
# ``read()`` gives the editor's value as the server reads it, without
# gradio's export of the whole canvas (three full-size PNGs encoded and
# uploaded: 10-20 s for a 12 MP photo in software rendering):
# - the photo is the user's own file, taken from the editor's drawing core
#   (the "AddImage" step that put the current photo on the canvas), uploaded
#   once and reused until it changes; a photo the page put there (an example,
#   a result) is exported from its texture once;
# - the paint layers are read as pixels from their draw textures and sent
#   as one full-size layer, white where any visible layer has paint (the
#   server takes the union of the layers' paint anyway); no composite.
# Reads run one after another and each reads the canvas when it starts, so
# the last one to finish holds the latest strokes: gradio runs a browser-only
# step for every press at once, and an earlier, slower read finishing last
# used to overwrite a later one (the preview lost strokes on big photos).
# ``read().exported`` resolves, with the status for what follows, once the
# canvas has been read (the uploads may still be under way).
EDITOR_READER_JS = """
  const root = () => (window.gradio_config?.root || location.origin).replace(/\\/$/, "");
  const upload = async (blob, name) => {
    const form = new FormData();
    form.append("files", blob, name);
    const response = await fetch(root() + "/gradio_api/upload", {method: "POST", body: form});
    if (!response.ok) throw new Error("upload failed: " + response.status);
    const [path] = await response.json();
    return {path, url: root() + "/gradio_api/file=" + path, orig_name: name, size: blob.size,
            mime_type: blob.type, meta: {_type: "gradio.FileData"}};
  };
  const toBlob = (canvas) => new Promise((done, fail) => canvas.toBlob(
    (blob) => (blob ? done(blob) : fail(new Error("the canvas could not be encoded"))),
    "image/png"));
  const photoFile = (core) => {
    for (let node = core.command_manager?.history; node; node = node.previous) {
      const step = node.command;
      if (step?.name === "AddImage")
        return step.sprite === core.background_image && step.background instanceof Blob
          ? step.background : null;
    }
    return null;
  };
  const sent = new WeakMap();  // photo file or texture -> {at, data: Promise<file data>}
  const photo = (core) => {
    const file = photoFile(core);
    const key = file || core.background_image.texture;
    let entry = sent.get(key), fresh = false;
    // gradio deletes uploaded files after some hours: an old upload is sent again.
    if (!entry || Date.now() - entry.at > 3600 * 1000) {
      fresh = true;
      const blob = file ? Promise.resolve(file)
        : toBlob(core.app.renderer.extract.canvas(key));
      entry = {at: Date.now(), data: blob.then((b) => upload(b, file?.name || "photo.png"))};
      entry.data.catch(() => sent.delete(key));
      sent.set(key, entry);
    }
    return {data: entry.data, fresh};
  };
  const steps = (core) => {  // were there steps (strokes, erases...) after the photo?
    for (let node = core.command_manager?.history; node; node = node.previous) {
      if (node.command?.name === "AddImage") return false;
      if (node.command) return true;
    }
    return true;
  };
  const paint = (core) => {
    if (!steps(core)) return null;
    const manager = core.layer_manager;
    let union = null, width = 0, height = 0;
    for (const layer of manager.layers) {
      const texture = manager.draw_textures.get(layer.container);
      if (layer.visible === false || !texture) continue;
      const read = core.app.renderer.extract.pixels(texture);
      if (!union) {
        ({width, height} = read);
        union = new Uint32Array(width * height);
      }
      if (read.width !== width || read.height !== height) continue;
      const px = read.pixels;
      const words = new Uint32Array(px.buffer, px.byteOffset, union.length);
      for (let i = 0; i < union.length; i++) if (words[i] >>> 24) union[i] = 0xffffffff;
    }
    if (!union) return null;
    const canvas = document.createElement("canvas");
    canvas.width = width;
    canvas.height = height;
    const pixels = new Uint8ClampedArray(union.buffer);
    canvas.getContext("2d").putImageData(new ImageData(pixels, width, height), 0, 0);
    return toBlob(canvas);
  };
  const empty = () => ({background: null, layers: [], composite: null});
  const readNow = async (exported) => {
    // A frame first: a status set just before this read is painted before it.
    await new Promise((done) => requestAnimationFrame(() => setTimeout(done, 0)));
    const core = window.editor;
    if (!core?.background_image) {
      exported("… Preparing…");
      return empty();
    }
    const started = performance.now();
    let picture, mask;
    try {
      picture = photo(core);
      mask = await paint(core);
    } catch (error) {  // not the drawing core this was written for: gradio's own export
      console.warn("inpaint: reading the editor through get_blobs:", error);
      const blobs = await core.get_blobs();
      exported("… Uploading the photo and mask…");
      const [background, ...layers] = await Promise.all([
        upload(blobs.background, "background.png"),
        ...blobs.layers.filter(Boolean).map((blob, i) => upload(blob, `layer_${i}.png`))]);
      return {background, layers, composite: null};
    }
    const timing = {export_ms: performance.now() - started, exported_at: performance.now()};
    exported(picture.fresh ? "… Uploading the photo and mask…" : "… Uploading the mask…");
    const [background, layer] = await Promise.all([
      picture.data, mask ? upload(mask, "paint.png") : null]);
    timing.total_ms = performance.now() - started;
    window.inpaintReader.timing = timing;
    return {background, layers: layer ? [layer] : [], composite: null};
  };
  let chain = Promise.resolve();
  window.inpaintReader = {
    read() {
      let exported = () => {};
      const ready = new Promise((done) => { exported = done; });
      const reading = chain.then(() => readNow(exported));
      chain = reading.catch((error) => { exported("⚠ " + error); });
      reading.exported = ready;
      return reading;
    },
  };
"""

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
{EDITOR_READER_JS}
  let pressed = false;
  const press = () => {{
    if (pressed) return;
    pressed = true;
    queueMicrotask(() => {{
      pressed = false;
      document.getElementById("{REFRESH_BUTTON_ID}")?.click();
    }});
  }};
  let shownPhoto = null;
  // gradio's brush is 25 px of the photo whatever its size: a hairline on a
  // 4000 px photo. Each new photo gets a brush and eraser scaled to its long
  // side; the size control still changes them afterwards.
  const sizeBrush = (core) => {{
    const texture = core.background_image?.texture;
    const side = Math.max(texture?.orig?.width || texture?.width || 0,
                          texture?.orig?.height || texture?.height || 0);
    const brush = core.tools?.get?.("brush");
    if (!side || !brush) return;
    brush.set_brush_size?.(Math.max(3, Math.round({BRUSH_PER_1024} * side / 1024)));
    brush.set_eraser_size?.(Math.max(3, Math.round({ERASER_PER_1024} * side / 1024)));
  }};
  const follow = (core) => {{
    if (core && typeof core.on === "function" && !core.inpaintFollowed) {{
      core.inpaintFollowed = true;
      core.on("change", press);
      // Every committed step (a stroke, undo, redo, a photo placed) moves the
      // history; a new photo is also announced to the extend panel.
      core.command_manager?.current_history?.subscribe?.(() => {{
        press();
        if (core.background_image && core.background_image !== shownPhoto) {{
          shownPhoto = core.background_image;
          sizeBrush(core);
          document.getElementById("{PHOTO_BUTTON_ID}")?.click();
        }}
      }});
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
