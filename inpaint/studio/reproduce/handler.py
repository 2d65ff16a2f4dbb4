"""Reproducing a request: the form from a saved PNG, and the form as code."""

from __future__ import annotations

import html
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import gradio as gr

from ... import metadata
from ...errors import ModelsLabError
from ..backend import MODE_OFFLINE, Backend
from ..form import EXTEND_FIELDS, FORM_FIELDS, Form
from ..messages import describe_error
from .codegen import cli_command, curl_script, python_snippet


class Reproduce:
    """The "Reproduce" panel's two jobs; ``backend`` says which API the code talks to."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    @staticmethod
    def load_parameters(file: Any, current: Mapping[str, Any]) -> tuple[Any, ...]:
        """Refill the form from a PNG this tool saved; outputs ``FORM_FIELDS``, the
        Extend panel's ``EXTEND_FIELDS`` (an extension's amounts, else 0) then status.

        ``current`` is the form as it is (by field name): fields the file does
        not record keep their current values.
        """
        outputs = (*FORM_FIELDS, *EXTEND_FIELDS)
        skip = tuple(gr.skip() for _ in outputs)
        path = getattr(file, "name", file)
        if not path:
            return (*skip, gr.skip())
        try:
            params = metadata.read_parameters(path)
            form = Form.from_parameters(params, Form.from_ui(dict(current)))
        except (ModelsLabError, OSError, ValueError, TypeError) as exc:
            message = (
                describe_error(exc)
                if isinstance(exc, ModelsLabError)
                else ("Could not read parameters from that file: choose a PNG saved by this tool.")
            )
            gr.Warning(html.escape(message, quote=False))
            return (*skip, f"⚠ {message}")
        ui = form.as_ui()
        if form.overlap is None:
            ui["overlap"] = ui["extend_prefill"] = gr.skip()
        job = params.get("request_id")
        seed = params.get("seed")
        details = [f"job {job}"] if job else []
        details += [f"seed {seed}"] if seed is not None else []
        status = (
            f"↩ Loaded the parameters of {Path(str(path)).name}"
            + (f" ({', '.join(details)})" if details else "")
            + "."
        )
        if form.extend:
            status += (
                f" An extension ({form.extension_text()}): the Extend panel's sliders are set, "
                "press **Extend** there to repeat it."
            )
        return (*(ui[name] for name in outputs), status)

    def code_for(
        self, fields: Mapping[str, Any], session_key: str | None = None
    ) -> tuple[str, str, str]:
        """The current request as Python, a curl script and a ``python -m inpaint`` command.

        The session key only decides which API the code talks to; every
        version reads the key from ``MODELSLAB_API_KEY``.
        """
        try:
            request = Form.from_ui(dict(fields)).with_extension(fields).extension_request()
        except ModelsLabError as exc:
            note = f"# Fix the form first: {describe_error(exc)}"
            return note, note, note
        base_url = self.backend.base_url_for(session_key)
        # Offline, the code starts the bundled server itself: the studio's own
        # server (on a temporary port) is gone by the time the code runs.
        offline = self.backend.mode_for(session_key) == MODE_OFFLINE
        # The one place the studio calls the code generators.
        return (
            python_snippet(request, base_url=base_url, offline=offline),
            curl_script(request, base_url=base_url),
            cli_command(request, base_url=base_url, offline=offline),
        )
