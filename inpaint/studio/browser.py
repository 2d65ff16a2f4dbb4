"""The page's browser-side glue: a few lines of JavaScript on gradio's public contract.

The photo and the painting travel apart. The photo, at full resolution, is
the value of its own upload component (``gr.Image``, the user's file as it
is: uploaded once). The editor paints on a copy of it on a small fixed canvas
(``studio.canvas``), so gradio's own reading of the editor, which exports the
canvas as PNGs every time, stays quick. The server events read
one value, ``{background: the photo, layers: the paint}``, which JavaScript
functions given to the events put together from the two components' values
(``EDITOR_JS``); the server maps the paint onto the photo.

Why the editor is read by the page and not by the server events: in gradio 6
every component that takes part in a server event is re-read by the browser
on each later status update of that event, and each read of the editor is an
export. So the editor is read in a browser-only step whose result goes into
a hidden copy, and the server events read the copy.

Why the editor has no ``change``/``input`` listener: attaching either
switches it to "realtime" mode, where every canvas change exports the canvas
30 ms later and the next read returns that export by an id stored in the
editor component itself, which the hidden copy cannot read. So the page
learns of an edit from the editor's element (``elem_id="editor"``): a
pointer pressed there (a stroke, an erase, undo, redo, a layer button) and
released, or a key. The editor commits a stroke while the pointer is
released, so the read is asked for once that event has been handled.

Reads run one at a time (``window.inpaintPreview``): a read asked for while
one is under way waits for it and then runs once, so the last read always
starts after the last edit, and the preview never keeps an older painting
(two reads at once could finish in either order). A read of the editor is
kept and reused by everything that needs the painting (a mask setting moved,
Generate, Compare) until the next edit, so Generate after the preview has
caught up exports nothing. A new photo holds reads until the editor has been
given its copy (a read in between would still return the previous photo's
paint), and then needs none: a new copy has no paint. (Reading the editor
while it puts the new copy on its canvas also took 10-20 s on the shared
machine.)
"""

from __future__ import annotations

REFRESH_BUTTON_ID = "refresh-preview"
# Hidden buttons only the page presses (``window.inpaintPreview``): read the
# editor and refresh the preview, or refresh it with the painting last read.
READ_BUTTON_ID = "read-editor"
REUSE_BUTTON_ID = "reuse-painting"

# A read's files are gradio uploads, which gradio deletes after some hours
# (``store.DELETE_CACHE``): a painting read longer ago than this is read again.
REUSE_FOR_MS = 30 * 60 * 1000

# Installed when the page loads (``launch(js=...)``): ``window.inpaintPreview``.
EDITOR_JS = f"""
() => {{
  const state = {{
    edits: 0,        // edits seen (strokes, undo, a new photo...)
    fresh: -1,       // the edits count the kept painting covers
    kept: null,      // {{layers, at}}: the painting last read
    started: 0,      // the edits count when the read under way started
    busy: false,     // a refresh is under way (read, server, done)
    pending: null,   // null, "settings" or "paint": what to run next
    holding: false,  // a new photo is on its way to the editor
    waiters: [],     // Generate and Compare waiting for a current painting
  }};
  const isFresh = () => state.kept !== null && state.fresh === state.edits
    && !state.holding && Date.now() - state.kept.at < {REUSE_FOR_MS};
  const wake = () => {{
    if (!isFresh()) return;
    const waiting = state.waiters;
    state.waiters = [];
    waiting.forEach((done) => done());
  }};
  const pump = () => {{
    if (state.busy || state.holding || !state.pending) return;
    const kind = isFresh() ? state.pending : "paint";
    const button = document.getElementById(
      kind === "paint" ? "{READ_BUTTON_ID}" : "{REUSE_BUTTON_ID}");
    if (!button) return;
    state.pending = null;
    state.busy = true;
    if (kind === "paint") state.started = state.edits;
    button.click();
  }};
  const value = (photo) => photo
    ? {{background: photo, layers: state.kept?.layers || [], composite: null}}
    : {{background: null, layers: [], composite: null}};
  window.inpaintPreview = {{
    // Something that changes the preview: "paint" when the editor may have changed.
    request(kind = "settings") {{
      state.pending = kind === "paint" || state.pending === "paint" ? "paint" : kind;
      pump();
    }},
    edit() {{
      state.edits += 1;
      this.request("paint");
    }},
    // The read step: gradio has just read the editor (``edited``).
    read(photo, edited) {{
      state.kept = {{layers: edited?.layers || [], at: Date.now()}};
      state.fresh = state.started;
      wake();
      return value(photo);
    }},
    reuse: (photo) => value(photo),
    done() {{
      state.busy = false;
      setTimeout(pump, 0);
    }},
    hold() {{
      state.holding = true;
      state.edits += 1;
    }},
    // The editor has the new photo's copy, and no paint: nothing to read.
    release() {{
      state.holding = false;
      state.edits += 1;
      state.kept = {{layers: [], at: Date.now()}};
      state.fresh = state.edits;
      wake();
      this.request("settings");
    }},
    // The photo and a painting that covers every edit so far (read first if needed).
    async current(photo) {{
      if (!isFresh()) {{
        const ready = new Promise((done) => state.waiters.push(done));
        this.request("paint");
        await ready;
      }}
      return value(photo);
    }},
  }};
  let pressed = false;
  const edited = () => setTimeout(() => window.inpaintPreview.edit(), 0);
  const inEditor = (node) => document.getElementById("editor")?.contains(node);
  document.addEventListener("pointerdown", (event) => {{
    pressed = inEditor(event.target);
  }}, true);
  document.addEventListener("pointerup", () => {{
    if (pressed) edited();
    pressed = false;
  }}, true);
  document.addEventListener("keyup", (event) => {{
    if (inEditor(event.target)) edited();
  }}, true);
}}
"""

# The events' browser-only steps (``window.inpaintPreview``).
READ_JS = "(photo, edited) => window.inpaintPreview.read(photo, edited)"
REUSE_JS = "(photo) => window.inpaintPreview.reuse(photo)"
DONE_JS = "() => { window.inpaintPreview.done(); return []; }"
REQUEST_JS = "() => { window.inpaintPreview?.request('settings'); return []; }"
REREAD_JS = "() => { window.inpaintPreview?.request('paint'); return []; }"
HOLD_JS = "() => { window.inpaintPreview?.hold(); return []; }"
RELEASE_JS = "() => { window.inpaintPreview?.release(); return []; }"
CURRENT_JS = "async (photo) => await window.inpaintPreview.current(photo)"
# The editor's copy of a new photo, made by the server, into the editor, unpainted.
COPY_TO_EDITOR_JS = "(copy) => copy ? {background: copy, layers: [], composite: null} : null"
# The photo alone (extending needs no painting).
PHOTO_ONLY_JS = "(photo) => ({background: photo, layers: [], composite: null})"

# Generate's first, browser-only listener: the click is acknowledged at once
# (the previous "Done" goes) and the previous run's error toasts are closed.
ACKNOWLEDGE_JS = """() => {
  document.querySelectorAll(".toast-wrap .toast-close").forEach((b) => b.click());
  return "… Reading your painting…";
}"""

# Generate's reading: the photo and the current painting (the one the preview
# read, when nothing changed since), then what follows. ``inpaintRead`` says
# when the painting was in hand (the tests compare it with the first status).
READ_FOR_GENERATE_JS = """async (photo) => {
  const value = await window.inpaintPreview.current(photo);
  window.inpaintRead = {at: performance.now(), layers: value.layers.length};
  return [value, "… Preparing the image and mask…"];
}"""

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
