"""The Compare tab: a sweep of one or two parameters on the current photo and form.

The library already knows how to run a sweep safely (``inpaint.sweep``): every
cell validated before anything is sent, at most the key's queue limit of jobs
at once, a manifest so nothing paid is lost. The studio adds only what a
person at the page needs around it: values typed as text, the cost said
before the run, cells shown as they finish, and a click on a cell putting its
parameters back into the form so a good one can be generated again or
refined. The sweep shares the studio's job slots (``Backend.job_slots``), so
a comparison and other visitors' generations never exceed the queue together.
"""

from __future__ import annotations

import hashlib
import logging
import queue
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr
from PIL import Image, ImageDraw, ImageFont

from ...errors import ModelsLabError, ParameterError
from ...params import DECLARED
from ...request import spec
from ...sweep import (
    MANIFEST,
    CellResult,
    Manifest,
    SweepPlan,
    SweepResult,
    SweepRunner,
    plan_sweep,
)
from .. import editor
from ..access import Access, spending_client
from ..backend import MODE_OFFLINE, Backend
from ..common import browser_token, own_key, session_of
from ..form import FORM_FIELDS, KEY_INPUTS, PAGE_NAMES, Form
from ..jobs import HEARTBEAT
from ..messages import EMPTY_PROMPT_MESSAGE, describe_error, page_error
from ..prepare import prepare_inputs
from ..store import OutputStore
from ..visitors import Visitor, anonymous

log = logging.getLogger("inpaint.studio")

# The request fields worth comparing from the page (``Param.axis``), in the
# declaration's order. Size, samples and the transport options are not: they
# change what a cell is (several images, another shape) rather than how good it is.
SWEEPABLE = tuple(p.name for p in DECLARED if p.axis)
NO_AXIS = "none"
TEXT_SEPARATOR = "|"  # prompts contain commas, so lists of text are split on "|"
MAX_CELLS = 36  # a comparison is read at a glance; larger sweeps belong to the CLI
GALLERY_WIDTH = 560  # about the gallery's width in CSS px on a desktop page
TRUE_WORDS = ("yes", "true", "on", "1")
FALSE_WORDS = ("no", "false", "off", "0")
COMPARE_INPUTS = (
    "compare_snapshot",
    "mask_file",
    "axis_1",
    "values_1",
    "axis_2",
    "values_2",
    *KEY_INPUTS,
    *FORM_FIELDS,
)
COMPARE_OUTPUTS = ("compare_gallery", "compare_status", "compare_grid", "compare_cells")


def axis_choices() -> list[tuple[str, str]]:
    """(label, name) pairs for the dropdowns: the page's own label for each field."""
    return [(f"{spec(name).label} ({name})", name) for name in SWEEPABLE]


def parse_values(name: str, text: str | None) -> list[Any]:
    """ "0.3, 0.7, 1" -> [0.3, 0.7, 1.0], each value in the field's own type.

    A value that does not convert is passed on as typed, so ``plan_sweep``
    refuses it with the field's own message and range. Text fields (prompts)
    are split on "|" because a prompt may hold commas.
    """
    kind = spec(name).kind
    parts = (text or "").split(TEXT_SEPARATOR if kind == "text" else ",")
    return [_typed(kind, part.strip()) for part in parts if part.strip()]


def _typed(kind: str, part: str) -> Any:
    try:
        if kind == "float":
            return float(part)
        if kind == "int":
            number = float(part)
            return int(number) if number.is_integer() else number
    except ValueError:
        return part
    if kind in ("bool", "flag") and part.lower() in TRUE_WORDS + FALSE_WORDS:
        return part.lower() in TRUE_WORDS
    return part


def vary_from(axes: Sequence[tuple[str | None, str | None]]) -> dict[str, list[Any]]:
    """The sweep's ``vary`` from the page's (parameter, values text) pairs.

    An axis set to "none" is skipped; one with a parameter but no values is
    refused, so a forgotten field is not silently a one-axis comparison.
    """
    vary: dict[str, list[Any]] = {}
    for name, text in axes:
        if not name or name == NO_AXIS:
            continue
        if name not in SWEEPABLE:
            raise ParameterError(f"{name} cannot be compared here", field="vary")
        if name in vary:
            raise ParameterError("Choose two different parameters to compare.", field="vary")
        values = parse_values(name, text)
        if not values:
            raise ParameterError(
                f"Type the values of {spec(name).label.lower()} to compare, "
                'separated by commas (e.g. "0.3, 0.7").',
                field=name,
            )
        vary[name] = values
    if not vary:
        raise ParameterError("Choose a parameter to compare and type its values.", field="vary")
    return vary


def plan_for(
    form: Form,
    vary: Mapping[str, Sequence[Any]],
    *,
    image: Image.Image | None = None,
    mask: Image.Image | None = None,
) -> SweepPlan:
    """The plan (and so every cell's validation) for the form as the fixed parameters."""
    base = form if form.prompt.strip() or "prompt" in vary else form.replace(prompt="-")
    plan = plan_sweep(base.request(), vary, image=image, mask=mask)
    if len(plan.cells) > MAX_CELLS:
        raise ParameterError(
            f"That is {len(plan.cells)} cells: compare at most {MAX_CELLS} "
            "here (the command line's sweep takes more).",
            field="vary",
        )
    return plan


def out_dir_for(root: Path, plan: SweepPlan, session: str) -> Path:
    """Where a comparison's files go: the same cells on the same photo and mask in the
    same page session, the same folder.

    So running it again after Stop (or a failure) resumes it through the sweep's
    manifest instead of paying for finished cells again. A finished comparison
    with a random seed run again gets a fresh folder: asking again is asking for
    new seeds, which reading the old cells back would not give.
    """
    keys = session + "".join(cell.key for cell in plan.cells)
    folder = root / f"compare-{hashlib.sha256(keys.encode()).hexdigest()[:16]}"
    random_seed = any(cell.request.seed is None for cell in plan.cells)
    if random_seed and _finished(folder, plan):
        folder = root / f"compare-{uuid.uuid4().hex[:16]}"
    return folder


def _finished(folder: Path, plan: SweepPlan) -> bool:
    states = Manifest(folder / MANIFEST).latest()
    return all((states.get(cell.key) or {}).get("state") == "done" for cell in plan.cells)


def cost_text(plan: SweepPlan, mode: str, *, masked: bool = False) -> str:
    """What running the plan costs, said before it runs: "4 cells, 4 jobs (free …)"."""
    cells = len(plan.cells)
    jobs = plan.job_count
    text = f"{cells} cell{'s' * (cells != 1)}, {jobs} job{'s' * (jobs != 1)}"
    if masked:
        text += " or more (only masked: one job per painted area)"
    if mode == MODE_OFFLINE:
        return text + ": on the local server, free."
    return text + ": **paid** ModelsLab jobs, charged to the key in use."


def sentence(exc: BaseException) -> str:
    """One plain sentence, ending with a full stop, for a refusal."""
    text = describe_error(exc).strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def form_values(form: Form, plan: SweepPlan, result: CellResult) -> dict[str, Any]:
    """The form, by ``FORM_FIELDS`` name, that makes ``result``'s cell again.

    The fixed parameters are the form as it was when the comparison ran; the
    cell's own values go on top, and the seed is the one the cell used, so
    Generate repeats it even when the comparison's seed was random.
    """
    changes: dict[str, Any] = {}
    for name in plan.names:
        value = getattr(result.cell.request, name)  # normalised: "1" is 1, "yes" is True
        page_name = PAGE_NAMES.get(name, name)
        if value is None and spec(name).random_value is None:
            value = getattr(form, page_name)
        changes[page_name] = value
    if result.seed is not None:
        changes["seed"] = result.seed
    values = form.replace(**changes).as_ui()
    return {name: values[name] for name in FORM_FIELDS}


@dataclass
class Shown:
    """One cell as the gallery shows it, and the form that remakes it (None: not done)."""

    image: str
    label: str
    form: dict[str, Any] | None


class Compare:
    """Count, run and stop comparisons; restore a cell into the form."""

    def __init__(
        self,
        backend: Backend,
        store: OutputStore,
        access: Access | None = None,
        visitor: Callable[..., Visitor] | None = None,
    ) -> None:
        self.backend = backend
        self.store = store
        self.access = access or Access.for_backend(backend)
        # (request, OAuth profile, browser token) -> the visitor: ``Studio.visitor``.
        self.visitor = visitor or (lambda request, profile, token: anonymous(session_of(request)))
        self._stops: dict[str, threading.Event] = {}
        self._lock = threading.Lock()

    # -- before the run -----------------------------------------------------------------
    def count(
        self,
        axis_1: str | None,
        values_1: str | None,
        axis_2: str | None,
        values_2: str | None,
        *inputs: Any,
    ) -> str:
        """The job count (or why the values are refused) as the person types;
        ``inputs`` are the ``KEY_INPUTS`` then the form (``COMPARE_INPUTS``)."""
        keys, form = _split(inputs)
        session_key = own_key(keys)
        try:
            current = Form.from_ui(form)
            vary = vary_from([(axis_1, values_1), (axis_2, values_2)])
            plan = plan_for(current, vary)
        except ModelsLabError as exc:
            return f"⚠ {sentence(exc)}"
        masked = any(cell.request.crop_to_mask for cell in plan.cells)
        return cost_text(plan, self.backend.mode_for(session_key), masked=masked)

    def count_for(
        self, request: gr.Request | None, profile: gr.OAuthProfile | None, *args: Any
    ) -> str:
        """``count`` and, on the owner's key, what this visitor may still send."""
        text = self.count(*args)
        keys, _ = _split(args[4:])
        visitor = self.visitor(request, profile, browser_token(keys))
        left = self.access.allowance(visitor, own_key(keys))
        return f"{text} {left}".strip()

    # -- the run ---------------------------------------------------------------------------
    def run(
        self,
        request: gr.Request | None,
        profile: gr.OAuthProfile | None,
        snapshot: dict[str, Any] | None,
        mask_file: Any,
        axis_1: str | None,
        values_1: str | None,
        axis_2: str | None,
        values_2: str | None,
        *inputs: Any,
    ) -> Iterator[tuple[Any, ...]]:
        """Run the comparison, yielding the gallery each time a cell finishes.

        ``request`` comes first because gradio finds its special arguments
        only among the positional ones, and the form follows as ``*form``
        (``COMPARE_INPUTS`` is the order). Outputs are ``COMPARE_OUTPUTS``:
        gallery, status, grid file, the cells' forms (what a click on the
        gallery restores). Everyday refusals (no photo, nothing painted, a
        value out of range) end the event with one plain sentence before
        anything is sent.
        """
        keys, fields = _split(inputs)
        session_key = own_key(keys)
        scrub = self.backend.scrubber(session_key)
        held = ExitStack()
        try:
            current = Form.from_ui(fields)
            vary = vary_from([(axis_1, values_1), (axis_2, values_2)])
            image, mask = self._inputs(snapshot, mask_file, current)
            plan = plan_for(current, vary, image=image, mask=mask)
            if not current.prompt.strip() and "prompt" not in vary:
                raise ParameterError(EMPTY_PROMPT_MESSAGE, field="prompt")
            self.backend.check_webhook(current.webhook, session_key)
            visitor = self.visitor(request, profile, browser_token(keys))
            jobs = sum(cell.jobs * max(1, cell.request.samples or 1) for cell in plan.cells)
            client = spending_client(held, self.access, self.backend, visitor, session_key, jobs)
        except Exception as exc:
            held.close()
            if not isinstance(exc, ModelsLabError):
                log.error("starting a comparison failed: %s", scrub(repr(exc)))
            message = scrub(sentence(exc))
            yield gr.skip(), f"⚠ {message}", gr.skip(), gr.skip()
            raise page_error(message) from None
        session = session_of(request)
        stop = self._begin(session)
        try:
            mode = self.backend.mode_for(session_key)
            out_dir = out_dir_for(self.store.root, plan, session)
            yield from self._stream(client, image, mask, plan, current, stop, scrub, mode, out_dir)
        finally:
            # A closed tab ends the event early: send no more cells (the worker closes
            # the client once the cells in flight have let go of it).
            stop.set()
            self._end(session, stop)
            held.close()  # what was reserved and never sent is given back

    def _inputs(
        self, snapshot: dict[str, Any] | None, mask_file: Any, form: Form
    ) -> tuple[Image.Image, Image.Image]:
        """The photo and the mask after the mask tools, exactly as Generate sends them."""
        inputs = editor.read_inputs(snapshot, mask_file)
        prepared = prepare_inputs(inputs.image, inputs.mask, form, source=inputs.source)
        return prepared.image, prepared.mask

    def _stream(
        self,
        client: Any,
        image: Image.Image,
        mask: Image.Image,
        plan: SweepPlan,
        form: Form,
        stop: threading.Event,
        scrub: Callable[[str], str],
        mode: str,
        out_dir: Path,
    ) -> Iterator[tuple[Any, ...]]:
        """The sweep in a worker; each finished cell relayed here and shown at once."""
        self.store.prune()
        events: queue.Queue[tuple[str, Any]] = queue.Queue()

        def work() -> None:
            try:
                runner = SweepRunner(
                    client,
                    image,
                    mask,
                    plan,
                    out_dir,
                    cancel=stop.is_set,
                    on_cell=lambda cell: events.put(("cell", cell)),
                )
                finished = runner.run()
                if stop.is_set():  # stopped or left: what was sent stays in the folder
                    log.warning("comparison stopped: cells %s", finished.counts())
                events.put(("done", finished))
            except BaseException as exc:  # handed over to the event's thread
                events.put(("error", exc))
            finally:
                client.close()

        board = Board(plan, form, out_dir)
        cost = cost_text(plan, mode)
        yield board.gallery(), f"Running… {cost}", gr.File(None, visible=False), board.forms()
        threading.Thread(target=work, name="inpaint-compare", daemon=True).start()
        while True:
            try:
                kind, payload = events.get(timeout=HEARTBEAT)
            except queue.Empty:  # yield so that gradio can tell us the visitor left
                yield gr.skip(), gr.skip(), gr.skip(), gr.skip()
                continue
            if kind != "cell":
                break
            board.add(payload, scrub, stopped=stop.is_set())
            yield board.gallery(), board.progress(stopping=stop.is_set()), gr.skip(), board.forms()
        if kind == "error":
            message = scrub(sentence(payload))
            if not isinstance(payload, ModelsLabError):
                log.error("comparison failed: %s", scrub(repr(payload)))
            yield board.gallery(), f"⚠ {message}", gr.skip(), board.forms()
            raise page_error(message)
        finished: SweepResult = payload
        grid = gr.File(str(finished.grids[0]), visible=True) if finished.grids else gr.skip()
        yield board.gallery(), board.summary(stopped=stop.is_set()), grid, board.forms()

    # -- stopping ------------------------------------------------------------------------------
    def _begin(self, session: str) -> threading.Event:
        stop = threading.Event()
        with self._lock:
            self._stops[session] = stop
        return stop

    def _end(self, session: str, stop: threading.Event) -> None:
        with self._lock:
            if self._stops.get(session) is stop:
                del self._stops[session]

    def leave(self, session: str) -> None:
        """The session's page was closed: send no more of its cells."""
        with self._lock:
            stop = self._stops.get(session)
        if stop is not None:
            stop.set()

    def stop(self, request: gr.Request | None = None) -> str:
        """Stop sending this session's cells; jobs already sent are collected."""
        with self._lock:
            stop = self._stops.get(session_of(request))
        if stop is None:
            return "No comparison is running."
        stop.set()
        return (
            "Stopping: unfinished cells are given up. Run the same comparison again to "
            "resume it: finished cells are not sent again, sent jobs are collected."
        )

    # -- after the run -------------------------------------------------------------------------
    @staticmethod
    def select(cells: list[dict[str, Any] | None] | None, evt: gr.SelectData) -> tuple[Any, ...]:
        """A click on a cell: its parameters into the form (``FORM_FIELDS``), then a status."""
        index = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
        items = cells or []
        if index is None or not 0 <= int(index) < len(items) or items[int(index)] is None:
            return (
                *(gr.skip() for _ in FORM_FIELDS),
                "That cell has no result yet: pick a finished one.",
            )
        chosen = items[int(index)]
        assert chosen is not None
        values = chosen["form"]
        return (
            *(values[name] for name in FORM_FIELDS),
            f"↩ Loaded {chosen['label']} (seed {values['seed']}) into the form: "
            "press Generate to make it again.",
        )


class Board:
    """The gallery's cells in grid order: the first parameter across, the second down."""

    def __init__(self, plan: SweepPlan, form: Form, out_dir: Path) -> None:
        self.plan, self.form = plan, form
        self.results: dict[int, CellResult] = {}
        self.notes: dict[int, str] = {}
        self.waiting = _placeholder(out_dir)
        across = plan.axes[0][1]
        down = plan.axes[1][1] if len(plan.axes) > 1 else (None,)
        position = {
            cell.index: (
                down.index(cell.values[1]) if len(plan.axes) > 1 else 0,
                across.index(cell.values[0]),
            )
            for cell in plan.cells
        }
        self.order = sorted(plan.cells, key=lambda cell: position[cell.index])
        self.columns = len(across)

    def add(self, result: CellResult, scrub: Callable[[str], str], *, stopped: bool) -> None:
        """Record a finished cell; after Stop an unfinished one was given up, not failed."""
        self.results[result.cell.index] = result
        if result.state != "done":
            self.notes[result.cell.index] = (
                "stopped" if stopped else scrub(result.error or result.state)
            )

    def _shown(self) -> list[Shown]:
        shown = []
        for cell in self.order:
            label = cell.label(self.plan.names)
            result = self.results.get(cell.index)
            if result is not None and result.state == "done" and result.files:
                path = str(Path(self.waiting).parent / result.files[0])
                form = form_values(self.form, self.plan, result)
                shown.append(Shown(path, label, {"label": label, "form": form}))
            elif result is not None:
                note = "stopped" if self.notes.get(cell.index) == "stopped" else result.state
                shown.append(Shown(self.waiting, f"{label} · {note}", None))
            else:
                shown.append(Shown(self.waiting, f"{label} · waiting", None))
        return shown

    def gallery(self) -> Any:
        """The cells, as many across as the first parameter has values.

        Tall enough for every row with its captions: gradio's gallery would
        otherwise scroll, hiding the labels of the rows below the first.
        """
        rows = -(-len(self.order) // self.columns)
        side = GALLERY_WIDTH / self.columns
        return gr.Gallery(
            value=[(s.image, s.label) for s in self._shown()],
            columns=self.columns,
            height=round(rows * (side + 8) + 40),
        )

    def forms(self) -> list[dict[str, Any] | None]:
        return [s.form for s in self._shown()]

    def progress(self, *, stopping: bool) -> str:
        done = sum(1 for r in self.results.values() if r.state == "done")
        text = f"{done} of {len(self.plan.cells)} cells done"
        return text + (" (stopping…)" if stopping else "…")

    def summary(self, *, stopped: bool) -> str:
        done = sum(1 for r in self.results.values() if r.state == "done")
        total = len(self.plan.cells)
        text = f"{done} of {total} cells done"
        reused = sum(1 for r in self.results.values() if r.reused)
        if reused:
            text += f" ({reused} kept from the earlier run, not sent again)"
        problems = [note for note in self.notes.values() if note != "stopped"]
        if problems:
            first = problems[0]
            text += f"; {len(problems)} not done ({first})"
        if stopped and done < total:
            text += " (stopped: run it again to resume)"
        return text + ". Click a cell to load its parameters into the form."


def _placeholder(out_dir: Path) -> str:
    """A plain grey tile for cells still running, so the grid keeps its shape."""
    path = out_dir / "waiting.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    tile = Image.new("RGB", (240, 160), (236, 236, 236))
    ImageDraw.Draw(tile).text(
        (120, 80),
        "not done yet",
        fill=(110, 110, 110),
        anchor="mm",
        font=ImageFont.load_default(size=20),
    )
    tile.save(path)
    return str(path)


__all__ = [
    "COMPARE_INPUTS",
    "COMPARE_OUTPUTS",
    "NO_AXIS",
    "SWEEPABLE",
    "Board",
    "Compare",
    "axis_choices",
    "cost_text",
    "form_values",
    "parse_values",
    "plan_for",
    "vary_from",
]


def _split(inputs: Sequence[Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """An event's ``KEY_INPUTS`` then form values (``COMPARE_INPUTS``' tail), by name."""
    keys = dict(zip(KEY_INPUTS, inputs[: len(KEY_INPUTS)], strict=True))
    return keys, dict(zip(FORM_FIELDS, inputs[len(KEY_INPUTS) :], strict=True))
